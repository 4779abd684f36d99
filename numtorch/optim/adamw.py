"""``AdamW``: Adam with decoupled weight decay (``p *= 1 - lr * weight_decay`` before the
Adam update), as torch 2.13 defines it: a subclass of ``Adam`` whose groups carry
``decoupled_weight_decay=True`` and whose default ``weight_decay`` is ``1e-2``.
"""
from __future__ import annotations

from typing import Optional

from .adam import Adam, _validate_adam
from .optimizer import Optimizer, _check_unsupported

__all__ = ["AdamW"]


class AdamW(Adam):
    """Implements AdamW (Loshchilov & Hutter, decoupled weight decay)."""

    _GROUP_DEFAULTS = {"amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
                       "differentiable": False, "decoupled_weight_decay": True, "fused": None}

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False, *, maximize: bool = False, foreach: Optional[bool] = None,
                 capturable: bool = False, differentiable: bool = False, fused: Optional[bool] = None) -> None:
        _validate_adam(lr, betas, eps, weight_decay)
        _check_unsupported("AdamW", foreach, fused, capturable, differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable,
                        fused=fused, decoupled_weight_decay=True)
        Optimizer.__init__(self, params, defaults)
