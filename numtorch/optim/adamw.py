"""(being written)"""
class AdamW: pass
