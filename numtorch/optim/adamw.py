"""``AdamW``: Adam with decoupled weight decay (``p *= 1 - lr * weight_decay`` before the
Adam update), as torch 2.13 defines it: a subclass of ``Adam`` whose groups carry
``decoupled_weight_decay=True`` and whose default ``weight_decay`` is ``1e-2``.
"""
from __future__ import annotations

from typing import Optional

from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """Implements AdamW (Loshchilov & Hutter, decoupled weight decay)."""

    _GROUP_DEFAULTS = {"amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
                       "differentiable": False, "decoupled_weight_decay": True, "fused": None}

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False, *, maximize: bool = False, foreach: Optional[bool] = None,
                 capturable: bool = False, differentiable: bool = False, fused: Optional[bool] = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
