"""``Adagrad``, as torch 2.13's single-tensor implementation computes it.

Per parameter with a gradient ``g`` (``-g`` when maximizing), at step ``t``::

    g = g + weight_decay * p                  (weight_decay != 0)
    clr = lr / (1 + (t - 1) * lr_decay)
    sum = sum + g * g
    p = p + (-clr) * g / (sqrt(sum) + eps)

Like torch, the state (``step``: a 0-dim float32 tensor, ``sum``: filled with
``initial_accumulator_value``) is created for every parameter at construction, and lazily
for parameters that gain a group later or lost their state.  Defaults (``lr=1e-2``,
``eps=1e-10``), group keys and errors are torch's.
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from .._ops import _par as P
from .._tensor import Tensor
from .optimizer import Optimizer, _bump_step, _check_nonneg, _check_unsupported, _f, _step_tensor, updating

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Implements the Adagrad algorithm."""

    _GROUP_DEFAULTS = {"foreach": None, "maximize": False, "differentiable": False, "fused": None}
    _STEP_IN_STATE = True

    def __init__(self, params, lr=1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: Optional[bool] = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: Optional[bool] = None) -> None:
        _check_nonneg(("learning rate", lr), ("lr_decay value", lr_decay), ("weight_decay value", weight_decay),
                      ("initial_accumulator_value value", initial_accumulator_value), ("epsilon value", eps))
        _check_unsupported("Adagrad", foreach, fused, False, differentiable)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p: Tensor, group: dict) -> dict:
        st = self.state[p]
        st["step"] = _step_tensor(0.0)
        st["sum"] = Tensor._make(np.full_like(p._data, _f(group["initial_accumulator_value"])), False, None)
        return st

    def share_memory(self) -> None:
        """No-op: numtorch tensors live in ordinary process memory."""

    def step(self, closure: Optional[Callable] = None):
        """Perform a single optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure(closure)
        with updating():
            state = self.state
            for group in self.param_groups:
                lr = _f(group["lr"])
                lr_decay = _f(group["lr_decay"])
                eps = _f(group["eps"])
                wd = _f(group["weight_decay"])
                sign = -1.0 if group["maximize"] else 1.0
                for p in group["params"]:
                    g = p._grad
                    if g is None:
                        continue
                    pd = p._data
                    st = state[p]
                    if "sum" not in st:
                        st = self._init_state(p, group)
                    step = _bump_step(st)
                    # the gradient used is s * gd (with weight_decay * p added)
                    gd, s = self._decayed_grad(pd, g._data, sign, wd)
                    t1 = self._tmp(pd, 1)
                    clr = lr / (1 + (step - 1) * lr_decay)
                    s_t = st["sum"]
                    sm = s_t._data
                    P.mul(gd, gd, out=t1)
                    P.add(sm, t1, out=sm)          # state_sum.addcmul_(grad, grad, value=1)
                    s_t._vc[0] += 1
                    P.unary(np.sqrt, sm, out=t1)
                    P.add(t1, eps, out=t1)         # std = state_sum.sqrt().add_(eps)
                    P.div(gd, t1, out=t1)
                    self._axpy(-clr * s, t1, pd)   # param.addcdiv_(grad, std, value=-clr)
                    p._vc[0] += 1
        return loss
