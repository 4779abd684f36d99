"""(being written)"""
class Adam: pass
