"""``RMSprop``, as torch 2.13's single-tensor implementation computes it.

Per parameter with a gradient ``g`` (``-g`` when maximizing)::

    g = g + weight_decay * p                      (weight_decay != 0)
    sq = alpha * sq + (1 - alpha) * g * g
    ga = lerp(ga, g, 1 - alpha); avg = sqrt(sq - ga * ga)   (centered)
    avg = sqrt(sq)                                          (otherwise)
    avg = avg + eps
    buf = momentum * buf + g / avg; p = p - lr * buf        (momentum > 0)
    p = p + (-lr) * g / avg                                 (otherwise)

State keys and order are torch's: ``step`` (0-dim float32 tensor), ``square_avg``,
``momentum_buffer`` (momentum > 0), ``grad_avg`` (centered), created at the first step that
sees a gradient.  Defaults (``lr=1e-2``, ``alpha=0.99``), group keys and errors are torch's.
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from .._ops import _par as P
from .optimizer import (Optimizer, _bump_step, _check_nonneg, _check_unsupported, _f, _step_tensor, _zeros_state,
                        updating)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Implements RMSprop (optionally centered, with momentum)."""

    _GROUP_DEFAULTS = {"momentum": 0, "centered": False, "foreach": None, "maximize": False,
                       "differentiable": False, "capturable": False}
    _STEP_IN_STATE = True

    def __init__(self, params, lr=1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0,
                 momentum: float = 0, centered: bool = False, capturable: bool = False,
                 foreach: Optional[bool] = None, maximize: bool = False, differentiable: bool = False) -> None:
        _check_nonneg(("learning rate", lr), ("epsilon value", eps), ("momentum value", momentum),
                      ("weight_decay value", weight_decay), ("alpha value", alpha))
        _check_unsupported("RMSprop", foreach, None, capturable, differentiable)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Optional[Callable] = None):
        """Perform a single optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure(closure)
        with updating():
            axpy, axpby = self._axpy, self._axpby
            state = self.state
            for group in self.param_groups:
                lr = _f(group["lr"])
                alpha = _f(group["alpha"])
                eps = _f(group["eps"])
                wd = _f(group["weight_decay"])
                mom = _f(group["momentum"])
                centered = group["centered"]
                sign = -1.0 if group["maximize"] else 1.0
                w = 1.0 - alpha
                for p in group["params"]:
                    g = p._grad
                    if g is None:
                        continue
                    pd = p._data
                    st = state[p]
                    if len(st) == 0:
                        st["step"] = _step_tensor(0.0)
                        st["square_avg"] = _zeros_state(pd)
                        if mom > 0:
                            st["momentum_buffer"] = _zeros_state(pd)
                        if centered:
                            st["grad_avg"] = _zeros_state(pd)
                    _bump_step(st)
                    # the gradient used is s * gd (with weight_decay * p added)
                    gd, s = self._decayed_grad(pd, g._data, sign, wd)
                    t1 = self._tmp(pd, 1)
                    sq_t = st["square_avg"]
                    sq = sq_t._data
                    P.mul(gd, gd, out=t1)
                    axpby(w, t1, alpha, sq)        # square_avg.mul_(alpha).addcmul_(grad, grad, 1 - alpha)
                    sq_t._vc[0] += 1
                    if centered:
                        ga_t = st["grad_avg"]
                        ga = ga_t._data
                        axpby(w * s, gd, alpha, ga)    # grad_avg.lerp_(grad, 1 - alpha)
                        ga_t._vc[0] += 1
                        P.mul(ga, ga, out=t1)
                        P.sub(sq, t1, out=t1)
                        P.unary(np.sqrt, t1, out=t1)
                    else:
                        P.unary(np.sqrt, sq, out=t1)
                    P.add(t1, eps, out=t1)
                    P.div(gd, t1, out=t1)          # grad / avg (times s)
                    if mom > 0:
                        buf_t = st["momentum_buffer"]
                        bd = buf_t._data
                        axpby(s, t1, mom, bd)      # buf.mul_(momentum).addcdiv_(grad, avg)
                        buf_t._vc[0] += 1
                        axpy(-lr, bd, pd)
                    else:
                        axpy(-lr * s, t1, pd)      # param.addcdiv_(grad, avg, value=-lr)
                    p._vc[0] += 1
        return loss
