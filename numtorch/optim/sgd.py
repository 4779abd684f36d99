"""(being written)"""
class SGD: pass
