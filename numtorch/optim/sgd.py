"""``SGD``: stochastic gradient descent with momentum, dampening, Nesterov momentum,
weight decay and ``maximize``, as torch 2.13's single-tensor implementation computes it.

Per parameter with a gradient ``g`` (``-g`` when maximizing)::

    g = g + weight_decay * p                         (weight_decay != 0)
    buf = g  (first step) | momentum * buf + (1 - dampening) * g
    g = g + momentum * buf  (nesterov)  | buf
    p = p - lr * g

The momentum buffer is stored as ``state[p]['momentum_buffer']`` only when momentum != 0,
as torch does.  Defaults, validation errors and the group keys are torch's
(``lr=1e-3``; "Nesterov momentum requires a momentum and zero dampening").
All arithmetic happens in place on the NumPy arrays: ``y += a*x`` and ``y = a*x + b*y`` are
single BLAS passes for large arrays (``Optimizer._axpy``/``_axpby``), so the momentum update
reads and writes each array about twice; results equal torch's up to float rounding.
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, _check_unsupported, _f, updating

__all__ = ["SGD"]


class SGD(Optimizer):
    """Implements stochastic gradient descent (optionally with momentum)."""

    _GROUP_DEFAULTS = {"nesterov": False, "maximize": False, "foreach": None, "differentiable": False,
                       "fused": False}

    def __init__(self, params, lr=1e-3, momentum: float = 0, dampening: float = 0, weight_decay=0,
                 nesterov: bool = False, *, maximize: bool = False, foreach: Optional[bool] = None,
                 differentiable: bool = False, fused: Optional[bool] = None) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_unsupported("SGD", foreach, fused, False, differentiable)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        super().__init__(params, defaults)

    def step(self, closure: Optional[Callable] = None):
        """Perform a single optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure(closure)
        with updating():
            state = self.state
            axpy, axpby = self._axpy, self._axpby
            for group in self.param_groups:
                lr = _f(group["lr"])
                mom = _f(group["momentum"])
                damp = _f(group["dampening"])
                wd = _f(group["weight_decay"])
                nesterov = group["nesterov"]
                sign = -1.0 if group["maximize"] else 1.0
                for p in group["params"]:
                    g = p._grad
                    if g is None:
                        continue
                    pd = p._data
                    # the gradient used is s * gd (with weight_decay * p added)
                    gd, s = self._decayed_grad(pd, g._data, sign, wd)
                    if mom:
                        st = state[p]
                        buf = st.get("momentum_buffer")
                        if buf is None:
                            bd = np.empty_like(pd)
                            if s > 0:
                                np.copyto(bd, gd)
                            else:
                                np.negative(gd, out=bd)
                            st["momentum_buffer"] = Tensor._make(bd, False, None)
                        else:
                            bd = buf._data
                            axpby(s * (1.0 - damp), gd, mom, bd)
                            buf._vc[0] += 1
                        if nesterov:             # p -= lr * (g + momentum * buf)
                            axpy(-lr * s, gd, pd)
                            axpy(-lr * mom, bd, pd)
                        else:
                            axpy(-lr, bd, pd)
                    else:
                        axpy(-lr * s, gd, pd)
                    p._vc[0] += 1
        return loss
