"""Scans: cumsum / cumprod (and the in-place ``cumsum_`` / ``cumprod_``), cummax / cummin.

Split out of ``reduce.py``, which re-exports every public name here.  torch's rules are matched:
``dim`` is a single int (NumPy's ``axis=`` is accepted too), integers and bools accumulate in int64
unless ``dtype=`` says otherwise, float16 accumulates in float32, a 0-dim input scans to a copy of
itself, and the nodes are named as torch's (``CumsumBackward0``, ``CumprodBackward0``,
``CummaxBackward0``, ``CumminBackward0``).  ``cumprod``'s gradient is exact when the input holds
zeros; ``cummax``/``cummin`` return ``torch.return_types`` named tuples whose index is the last of
tied extrema (a NaN takes over), and route the gradient to that index.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.graph import node_class, save
from .inplace import inplace_method
from ._helpers import attach, make
from .reduce import (_F32, _INT64, _as, _check, _done, _flag, _int_dim, _np_names, _res, _sum_dtype, _t, _w,
                     return_types, sum)  # ``sum``: torch's, for the Tensor (create_graph) backward

__all__ = ["cumsum", "cumprod", "cummax", "cummin"]


# ------------------------------------------------------------------ cumsum / cumprod / cummax / cummin
def _revcumsum(g, ax):
    if not isinstance(g, Tensor):
        return np.flip(np.cumsum(np.flip(g, ax), axis=ax), ax)
    return sum(g, ax, True) - cumsum(g, ax) + g


def _cumsum_bw(c, s, g):
    ax, dt, nd = c
    return (_as(_revcumsum(g, ax) if nd else g, dt),)


def _cumprod_bw(c, s, g):
    """Exact with zeros: past the first zero of a slice the gradient is 0; at the first zero it
    is the reverse cumsum of ``g`` times the cumprod with that zero replaced by 1."""
    ax, dt, nd = c
    x, out = s
    if not nd:
        return (_as(g, dt),)
    if not isinstance(g, Tensor):
        zero = x == 0
        if not zero.any():
            return (_as(_revcumsum(g * out, ax) / x, dt),)
        first = zero & (np.cumsum(zero, axis=ax) == 1)
        gi = _revcumsum(g * out, ax) / np.where(zero, 1, x)
        gz = _revcumsum(g * np.cumprod(np.where(first, 1, x), axis=ax), ax)
        return (_as(np.where(zero, np.where(first, gz, 0), gi), dt),)
    zero = x == 0
    first = zero & (cumsum(zero, ax) == 1)
    gi = _revcumsum(g * out, ax) / _w(~zero, x, 1.0)
    gz = _revcumsum(g * cumprod(_w(~first, x, 1.0), ax), ax)
    return (_as(_w(zero, _w(first, gz), gi), dt),)


CumsumBackward0 = node_class("CumsumBackward0", _cumsum_bw)
CumprodBackward0 = node_class("CumprodBackward0", _cumprod_bw)


def _scan(input, dim, dtype, out, name, uf, cls):
    d = _check(input, name)
    ax = _int_dim(dim, d.ndim, name)
    x, tdt = _sum_dtype(d, dtype)
    if not d.ndim:
        r = x.astype(tdt, copy=True)
    elif tdt.kind == "f" and tdt.itemsize == 2:
        r = uf.accumulate(x, ax, _F32).astype(tdt)
    else:
        r = uf.accumulate(x, ax, tdt)
    prod_ = cls is CumprodBackward0
    return _done(_res(r, input, cls, (ax, d.dtype if tdt != d.dtype else None, d.ndim),
                      (save(input, x),) if prod_ else (), save_out=prod_), out)


@_np_names
def cumsum(input, dim, *, dtype=None, out=None):
    """torch.cumsum along ``dim``; ints and bools accumulate in int64."""
    return _scan(input, dim, dtype, out, "cumsum", np.add, CumsumBackward0)


@_np_names
def cumprod(input, dim, *, dtype=None, out=None):
    """torch.cumprod along ``dim``; the gradient is exact when the input holds zeros."""
    return _scan(input, dim, dtype, out, "cumprod", np.multiply, CumprodBackward0)


def _cumext_bw(c, s, g):
    """Scatter-add the gradient onto the running arg-extremum indices."""
    ax, idx, shape = c
    if not shape:
        return (g,)
    n = shape[ax]
    if not isinstance(g, Tensor):
        if g.size == 0:
            return (np.zeros(shape, g.dtype),)
        gm = np.moveaxis(g, ax, -1)
        rows = gm.size // n
        flat = (np.moveaxis(idx, ax, -1).reshape(rows, n) + (np.arange(rows) * n)[:, None]).ravel()
        acc = np.bincount(flat, weights=gm.reshape(-1), minlength=rows * n).astype(g.dtype)
        return (np.moveaxis(acc.reshape(gm.shape), -1, ax),)
    onehot = np.expand_dims(idx, ax) == np.arange(n).reshape((n,) + (1,) * (len(shape) - ax))
    return (sum(g.unsqueeze(ax) * _t(onehot).to(g.dtype), ax + 1),)


CummaxBackward0 = node_class("CummaxBackward0", _cumext_bw)
CumminBackward0 = node_class("CumminBackward0", _cumext_bw)


def _cumext(is_max, input, dim):
    name = "cummax" if is_max else "cummin"
    d = _check(input, name)
    ax = _int_dim(dim, d.ndim, name)
    if d.ndim == 0:
        vals, idx = d.copy(), np.zeros((), _INT64)
    else:
        vals = (np.maximum if is_max else np.minimum).accumulate(d, axis=ax)
        hit = d == vals                      # ties move the index to the later element
        if d.dtype.kind == "f":
            hit |= np.isnan(d)               # a NaN takes over, and each later NaN from it
        ar = np.arange(d.shape[ax], dtype=_INT64).reshape((-1,) + (1,) * (d.ndim - ax - 1))
        idx = np.maximum.accumulate(np.where(hit, ar, 0), axis=ax) if d.size else np.zeros(d.shape, _INT64)
    res = _res(vals, input, CummaxBackward0 if is_max else CumminBackward0, (ax, idx, d.shape))
    return getattr(return_types, name)(res, make(idx, False, None))


cummax = _flag(_cumext, True, "cummax", "torch.cummax: running maximum and the index where it was reached (last tie).")
cummin = _flag(_cumext, False, "cummin", "torch.cummin: see ``cummax``.")


# ------------------------------------------------------------------ Tensor methods


attach({
    "cumsum": cumsum, "cumprod": cumprod, "cummax": cummax, "cummin": cummin,
    "cumsum_": inplace_method(cumsum), "cumprod_": inplace_method(cumprod),
})
