"""(being written)"""
class Adagrad: pass
