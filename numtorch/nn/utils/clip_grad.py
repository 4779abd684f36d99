"""Gradient clipping: ``clip_grad_norm_``, ``get_total_norm``, ``clip_grads_with_norm_``,
``clip_grad_value_`` and the deprecated ``clip_grad_norm``, matching torch 2.13.

As in torch, the total norm is the ``norm_type``-norm of the per-gradient norms (each in
its gradient's dtype, the total in their promoted dtype; ``tensor(0.)`` when there are no
gradients); gradients are scaled in place by ``min(max_norm / (total + 1e-6), 1)``, also
when that is negative or NaN; ``error_if_nonfinite`` raises torch's RuntimeError.  The
``foreach`` argument is accepted and ignored (one CPU implementation).  Norms of half
precision gradients are accumulated in float32 and rounded, as torch does.
"""
from __future__ import annotations

import warnings
from typing import Iterable, Optional, Union

import numpy as np

from ..._tensor import Tensor
from ...autograd.grad_mode import GRAD

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]

_TensorOrTensors = Union[Tensor, Iterable[Tensor]]


def _as_list(tensors) -> list:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _vector_norm(a: np.ndarray, p: float):
    """``torch.linalg.vector_norm(a, p)`` as a 0-dim array of ``a``'s (floating) dtype."""
    dt = a.dtype if a.dtype.kind == "f" else np.dtype(np.float32)
    x = a.astype(np.float32) if a.dtype.itemsize < 4 or a.dtype.kind != "f" else a
    if x.size == 0:
        r = 0.0
    elif p == 2.0:
        v = x.ravel()
        r = np.sqrt(np.dot(v, v))
    elif p == np.inf:
        r = np.maximum(x.max(), -x.min())
    elif p == -np.inf:
        r = np.abs(x).min()
    elif p == 0.0:
        r = np.count_nonzero(x)
    elif p == 1.0:
        r = np.abs(x).sum()
    else:
        r = (np.abs(x) ** p).sum() ** (1.0 / p)
    return np.asarray(r, dtype=dt)


def get_total_norm(tensors: _TensorOrTensors, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: Optional[bool] = None) -> Tensor:
    """The ``norm_type``-norm over all ``tensors`` (as if concatenated into one vector)."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        from ... import _dtype as D
        return Tensor._make(np.array(0.0, dtype=D.get_default_dtype().np), False, None)
    with np.errstate(all="ignore"):
        norms = [_vector_norm(t._data, norm_type) for t in tensors]
        dt = np.result_type(*norms)
        total = _vector_norm(np.array(norms, dtype=dt), norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`")
    return Tensor._make(total, False, None)


def clip_grads_with_norm_(parameters: _TensorOrTensors, max_norm: float, total_norm: Tensor,
                          foreach: Optional[bool] = None) -> None:
    """Scale the gradients of ``parameters`` by ``min(max_norm / (total_norm + 1e-6), 1)`` in place."""
    grads = [p._grad for p in _as_list(parameters) if p._grad is not None]
    if not isinstance(total_norm, Tensor):
        raise TypeError(
            f"clamp() received an invalid combination of arguments - got ({type(total_norm).__name__}, max=float), "
            "but expected one of:\n * (Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)\n"
            " * (Tensor input, Number min = None, Number max = None, *, Tensor out = None)\n")
    if len(grads) == 0:
        return
    max_norm = float(max_norm)
    with np.errstate(all="ignore"):
        coef = np.minimum(max_norm / (total_norm._data + 1e-6), 1.0)
        c = float(coef)
        for g in grads:
            gd = g._data
            if c != 1.0:
                np.multiply(gd, c, out=gd)
            g._vc[0] += 1


def clip_grad_norm_(parameters: _TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: Optional[bool] = None) -> Tensor:
    """Clip the gradients' total norm to ``max_norm`` in place; returns the total norm (before clipping)."""
    prev = GRAD[0]
    GRAD[0] = False
    try:
        parameters = _as_list(parameters)
        grads = [p._grad for p in parameters if p._grad is not None]
        total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
        clip_grads_with_norm_(parameters, max_norm, total, foreach)
        return total
    finally:
        GRAD[0] = prev


def clip_grad_norm(parameters: _TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: Optional[bool] = None) -> Tensor:
    """Deprecated alias of ``clip_grad_norm_`` (warns as torch does)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: _TensorOrTensors, clip_value: float, foreach: Optional[bool] = None) -> None:
    """Clamp every gradient to ``[-clip_value, clip_value]`` in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        g = p._grad
        if g is None:
            continue
        gd = g._data
        np.minimum(np.maximum(gd, -clip_value, out=gd), clip_value, out=gd)
        g._vc[0] += 1
