"""(being written)"""
class RMSprop: pass
