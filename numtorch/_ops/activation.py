"""softmax / log_softmax (``torch.*`` and Tensor methods), plus ``softmin`` and ``one_hot`` for
``torch.nn.functional`` (not exported at the top level: torch has no ``torch.softmin`` /
``torch.one_hot``).

The forward passes subtract the row maximum (stable for large logits; ``inf`` gives NaN as in
torch) and reuse one temporary through ``out=``.  Backward formulas
(``s * (g - sum(g * s))`` and ``g - exp(out) * sum(g)``) take one allocation on arrays and
are written with Tensor ops under ``create_graph=True`` for double backward.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD
from ..autograd.graph import edge, node_class, out_rec
from ._helpers import attach, make, normalize_dim

__all__ = ["log_softmax", "softmax"]

_MISSING = object()


def _kernel_check(d: np.ndarray, axis: int, name: str) -> None:
    if d.dtype.kind != "f":
        last = "lastdim_" if d.ndim == 0 or axis == d.ndim - 1 else ""
        tn = D.from_np(d.dtype).name
        leg = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
               "bool": "Bool"}.get(tn, tn)
        raise NotImplementedError(f"\"{name}_{last}kernel_impl\" not implemented for '{leg}'")


def _prepare(input, dim, dtype, name, pos):
    if dim is _MISSING:
        raise TypeError(f"{name}() missing 1 required positional arguments: \"dim\"")
    if dim is None or isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'dim' (position {pos}) must be int, not {type(dim).__name__}")
    if dtype is not None:
        input = input.to(dtype)
    d = input._data
    axis = normalize_dim(int(dim), d.ndim)
    _kernel_check(d, axis, name)
    return input, d, axis


def _rowsum(x: np.ndarray, axis: int) -> np.ndarray:
    """``x.sum(axis, keepdims=True)``; over a contiguous last axis a BLAS matrix-vector product
    with a ones vector is several times faster than NumPy's reduction."""
    n = x.shape[axis]
    if axis == x.ndim - 1 and n >= 16 and x.flags.c_contiguous and x.dtype.kind == "f" and x.dtype.itemsize >= 4:
        return np.matmul(x, np.ones(n, x.dtype))[..., None]
    return x.sum(axis=axis, keepdims=True)


def _softmax_np(d: np.ndarray, axis: int, log: bool) -> np.ndarray:
    work = d.astype(np.float32) if d.dtype == np.float16 else d
    if work.ndim == 0:
        work = work.reshape(1)
    if work.size == 0:
        r = np.empty(work.shape, work.dtype)
    else:
        m = work.max(axis=axis, keepdims=True)
        with np.errstate(invalid="ignore"):  # inf - inf: NaN, as in torch
            r = np.subtract(work, m)
        if log:
            e = np.exp(r)
            s = _rowsum(e, axis)
            np.log(s, out=s)
            r -= s
        else:
            np.exp(r, out=r)
            r /= _rowsum(r, axis)
    return r.astype(d.dtype, copy=False).reshape(d.shape)


def _softmax_bw(ctx, saved, g):
    axis = ctx
    (s,) = saved
    if type(g) is np.ndarray:
        if g.ndim == 0:
            return (g * 0,)
        t = g * s
        ssum = _rowsum(t, axis)
        np.subtract(g, ssum, out=t)
        t *= s
        return (t,)
    if g.ndim == 0:
        return (g * 0,)
    return ((g - (g * s).sum(dim=axis, keepdim=True)) * s,)


def _log_softmax_bw(ctx, saved, g):
    axis = ctx
    (o,) = saved
    if type(g) is np.ndarray:
        if g.ndim == 0:
            return (g * 0,)
        gs = _rowsum(g, axis) if g.flags.c_contiguous else g.sum(axis=axis, keepdims=True)
        t = np.exp(o)
        t *= gs
        np.subtract(g, t, out=t)
        return (t,)
    if g.ndim == 0:
        return (g * 0,)
    return (g - o.exp() * g.sum(dim=axis, keepdim=True),)


SoftmaxBackward0 = node_class("SoftmaxBackward0", _softmax_bw)
LogSoftmaxBackward0 = node_class("LogSoftmaxBackward0", _log_softmax_bw)


def _run(input, dim, dtype, log, pos=2):
    name = "log_softmax" if log else "softmax"
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    input, d, axis = _prepare(input, dim, dtype, name, pos)
    r = _softmax_np(d, axis, log)
    if GRAD[0] and input._rg:
        node = (LogSoftmaxBackward0 if log else SoftmaxBackward0)((edge(input),), axis)
        res = make(r, True, node)
        node._saved = (out_rec(res),)
        return res
    return make(r, False, None)


def softmax(input, dim=_MISSING, dtype=None):
    """torch.softmax(input, dim, dtype=None): ``exp(x) / sum(exp(x))`` along ``dim``; with
    ``dtype`` the input is cast first (integer inputs need it, as in torch)."""
    return _run(input, dim, dtype, False)


def log_softmax(input, dim=_MISSING, dtype=None):
    """torch.log_softmax(input, dim, dtype=None): ``x - max - log(sum(exp(x - max)))``."""
    return _run(input, dim, dtype, True)


def _implicit_dim(name: str, ndim: int, stacklevel: int) -> int:
    """torch.nn.functional's deprecated implicit ``dim`` (0 for 0-, 1- and 3-D inputs, else 1)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """torch.nn.functional.softmin: ``softmax(-input)`` (implicit ``dim`` warns as in torch)."""
    if dim is None:
        dim = _implicit_dim("softmin", input.ndim, _stacklevel)
    from .elementwise import neg
    return _run(neg(input), dim, dtype, False)


def one_hot(input, num_classes=-1):
    """torch.nn.functional.one_hot: int64 indices -> int64 one-hot rows (last dimension
    ``num_classes``; -1 infers ``max + 1``), with torch's errors."""
    d = input._data
    if d.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if d.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(d.max()) + 1
    if d.size:
        if d.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if d.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    r = np.zeros(d.shape + (max(num_classes, 0),), dtype=np.int64)
    np.put_along_axis(r, d[..., None], 1, axis=-1)
    return make(r, False, None)


def _m_softmax(self, dim=_MISSING, dtype=None):
    return _run(self, dim, dtype, False, 1)


def _m_log_softmax(self, dim=_MISSING, dtype=None):
    return _run(self, dim, dtype, True, 1)


attach({"softmax": _m_softmax, "log_softmax": _m_log_softmax})
