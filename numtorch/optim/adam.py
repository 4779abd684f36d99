"""``Adam`` (and the update shared with ``AdamW``), as torch 2.13's single-tensor
implementation computes it.

Per parameter with a gradient ``g`` (``-g`` when maximizing), at step ``t``::

    p = p * (1 - lr * weight_decay)          (decoupled_weight_decay, i.e. AdamW)
    g = g + weight_decay * p                 (otherwise, weight_decay != 0)
    m = beta1 * m + (1 - beta1) * g          (torch's exp_avg.lerp_(g, 1 - beta1))
    v = beta2 * v + (1 - beta2) * g * g
    vmax = max(vmax, v)                      (amsgrad; vmax replaces v below)
    denom = sqrt(v) / sqrt(1 - beta2**t) + eps
    p = p - lr / (1 - beta1**t) * m / denom  (rearranged to save a pass; equal up to rounding)

State keys and order are torch's: ``step`` (a 0-dim float32 tensor, float64 under a float64
default dtype), ``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq`` (amsgrad), created lazily at
the first step that sees a gradient.  Defaults, group keys (``decoupled_weight_decay``
included) and validation errors are torch's.
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from .._ops import _par as P
from .optimizer import (Optimizer, _bump_step, _check_nonneg, _check_unsupported, _f, _step_tensor, _zeros_state,
                        updating)

__all__ = ["Adam"]


class Adam(Optimizer):
    """Implements Adam (``decoupled_weight_decay=True`` gives AdamW)."""

    _GROUP_DEFAULTS = {"amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
                       "differentiable": False, "decoupled_weight_decay": False, "fused": None}
    _STEP_IN_STATE = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 amsgrad: bool = False, *, foreach: Optional[bool] = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False, fused: Optional[bool] = None,
                 decoupled_weight_decay: bool = False) -> None:
        _validate_adam(lr, betas, eps, weight_decay)
        _check_unsupported(type(self).__name__, foreach, fused, capturable, differentiable)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable,
                        fused=fused, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure: Optional[Callable] = None):
        """Perform a single optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure(closure)
        with updating():
            for group in self.param_groups:
                _adam_group(self, group)
        return loss


def _validate_adam(lr, betas, eps, weight_decay) -> None:
    _check_nonneg(("learning rate", lr), ("epsilon value", eps))
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    _check_nonneg(("weight_decay value", weight_decay))


def _adam_group(opt: Optimizer, group: dict) -> None:
    """One Adam/AdamW step over a param group, in place, with scratch arrays 0 and 1."""
    b1, b2 = group["betas"]
    b1, b2 = _f(b1), _f(b2)
    lr = _f(group["lr"])
    eps = _f(group["eps"])
    wd = _f(group["weight_decay"])
    amsgrad = group["amsgrad"]
    sign = -1.0 if group["maximize"] else 1.0
    decoupled = group.get("decoupled_weight_decay", False)
    w = 1.0 - b1
    state = opt.state
    axpy, axpby = opt._axpy, opt._axpby
    for p in group["params"]:
        g = p._grad
        if g is None:
            continue
        pd = p._data
        st = state[p]
        if len(st) == 0:
            st["step"] = _step_tensor(0.0)
            st["exp_avg"] = _zeros_state(pd)
            st["exp_avg_sq"] = _zeros_state(pd)
            if amsgrad:
                st["max_exp_avg_sq"] = _zeros_state(pd)
        step = _bump_step(st)
        if wd and decoupled:
            P.mul(pd, 1.0 - lr * wd, out=pd)
            gd, s = g._data, sign
        else:
            # the gradient used is s * gd (with weight_decay * p added)
            gd, s = opt._decayed_grad(pd, g._data, sign, wd)
        t1 = opt._tmp(pd, 1)
        m_t, v_t = st["exp_avg"], st["exp_avg_sq"]
        m, v = m_t._data, v_t._data
        axpby(w * s, gd, b1, m)                # exp_avg.lerp_(grad, 1 - beta1)
        P.mul(gd, gd, out=t1)
        axpby(1.0 - b2, t1, b2, v)             # exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
        m_t._vc[0] += 1
        v_t._vc[0] += 1
        bc1 = 1 - b1 ** step
        bc2_sqrt = (1 - b2 ** step) ** 0.5
        src = v
        if amsgrad:
            mx_t = st["max_exp_avg_sq"]
            src = mx_t._data
            np.maximum(src, v, out=src)
            mx_t._vc[0] += 1
        # p -= lr / bc1 * m / (sqrt(v) / bc2_sqrt + eps), computed as
        # p -= (lr / bc1 * bc2_sqrt) * m / (sqrt(v) + eps * bc2_sqrt)
        P.unary(np.sqrt, src, out=t1)
        P.add(t1, eps * bc2_sqrt, out=t1)
        P.div(m, t1, out=t1)
        axpy(-(lr / bc1) * bc2_sqrt, t1, pd)
        p._vc[0] += 1
