"""Sorting and searching: sort, argsort, msort, topk, kthvalue, unique, unique_consecutive,
searchsorted, bucketize, histc, and ``return_type`` (torch's ``torch.return_types.*``
named tuples).

Sorts are stable (torch's CPU sort is stable in practice too); NaN sorts as the largest
value, first when descending, as in torch.  Gradients of sorted/selected values scatter back
to the source positions through a differentiable gather/scatter pair, so double backward
works.
"""
from __future__ import annotations

import collections

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import GRAD
from ..autograd.graph import _LEGACY, edge, node_class
from ._helpers import attach, make, normalize_dim, write_out

__all__ = [
    "argsort",
    "bucketize",
    "histc",
    "kthvalue",
    "msort",
    "searchsorted",
    "sort",
    "topk",
    "unique",
    "unique_consecutive",
]

_RT: dict = {}


def return_type(name: str, fields) -> type:
    """The ``torch.return_types.<name>`` class: a tuple with named fields that prints as
    ``torch.return_types.sort(\\nvalues=...,\\nindices=...)``.  Classes are cached by name."""
    key = (name, tuple(fields))
    cls = _RT.get(key)
    if cls is None:
        base = collections.namedtuple(name, fields)

        def __repr__(self):
            body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
            return f"torch.return_types.{name}(\n{body})"

        cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__str__": __repr__,
                                   "n_fields": len(fields), "n_sequence_fields": len(fields),
                                   "n_unnamed_fields": 0, "__module__": "torch.return_types"})
        cls.__qualname__ = name
        _RT[key] = cls
    return cls


# ------------------------------------------------------------------ differentiable gather / scatter
def _take(x, idx, axis, out_shape):
    """``take_along_axis(x, idx, axis).reshape(out_shape)`` for arrays, differentiable for Tensors."""
    if type(x) is np.ndarray:
        return np.take_along_axis(x, idx, axis).reshape(out_shape)
    r = np.take_along_axis(x._data, idx, axis).reshape(out_shape)
    if GRAD[0] and x._rg:
        return make(r, True, _TakeBackward((edge(x),), (idx, axis, x._data.shape)))
    return make(r, False, None)


def _put(g, idx, axis, shape):
    """Zeros of ``shape`` with ``g`` (reshaped to ``idx``'s shape) written at ``idx`` along ``axis``."""
    if type(g) is np.ndarray:
        z = np.zeros(shape, dtype=g.dtype)
        np.put_along_axis(z, idx, g.reshape(idx.shape), axis)
        return z
    z = np.zeros(shape, dtype=g._data.dtype)
    np.put_along_axis(z, idx, g._data.reshape(idx.shape), axis)
    if GRAD[0] and g._rg:
        return make(z, True, _PutBackward((edge(g),), (idx, axis, g._data.shape)))
    return make(z, False, None)


_TakeBackward = node_class("GatherBackward0", lambda c, s, g: (_put(g, c[0], c[1], c[2]),))
_PutBackward = node_class("ScatterBackward0", lambda c, s, g: (_take(g, c[0], c[1], c[2]),))


def _select_bw(ctx, saved, g):
    if ctx is None:  # 0-d input: the value itself was selected
        return (g,)
    idx, axis, shape = ctx
    return (_put(g, idx, axis, shape),)


SortBackward0 = node_class("SortBackward0", _select_bw)
TopkBackward0 = node_class("TopkBackward0", _select_bw)
KthvalueBackward0 = node_class("KthvalueBackward0", _select_bw)


def _values(input, vals, idx, axis, cls):
    if GRAD[0] and input._rg:
        return make(vals, True, cls((edge(input),), None if idx is None else (idx, axis, input._data.shape)))
    return make(vals, False, None)


def _stable_rows(d2: np.ndarray, descending: bool) -> np.ndarray:
    """Stable argsort of each row; descending keeps equal elements in order and puts NaN first."""
    if not descending:
        return np.argsort(d2, axis=1, kind="stable")
    return (d2.shape[1] - 1) - np.flip(np.argsort(np.flip(d2, 1), axis=1, kind="stable"), 1)


def _argsort(d: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable argsort along ``axis`` (torch's stable order; NaN sorts as the largest value).

    Floats use NumPy's SIMD quicksort and re-sort stably only the rows that hold ties or NaN,
    where the order of equal elements could differ; integers and bools sort stably at once."""
    if d.ndim == 0:
        return np.zeros((), dtype=np.int64)
    n = d.shape[axis]
    dm = np.moveaxis(d, axis, -1)
    d2 = dm.reshape(int(np.prod(dm.shape[:-1])), n)
    if d.dtype.kind != "f" or n < 2:
        idx = _stable_rows(d2, descending)
    else:
        idx = np.argsort(d2, axis=1)
        v = np.take_along_axis(d2, idx, 1)
        hi = v[:, 1:]
        rows = np.flatnonzero(np.any((hi == v[:, :-1]) | np.isnan(hi), axis=1))
        if descending:
            idx = np.flip(idx, 1)
        if rows.size:
            idx[rows] = _stable_rows(d2[rows], descending)
    return np.moveaxis(idx.reshape(dm.shape), -1, axis)


def _topk_idx(d: np.ndarray, k: int, axis: int, largest: bool) -> np.ndarray:
    """Indices of the k largest (smallest) along ``axis``, in sorted order; a partial partition
    first when k is small."""
    n = d.shape[axis]
    if 0 < k and k * 8 < n and n > 64:
        part = np.argpartition(d, n - k if largest else k - 1, axis=axis)
        part = part.take(np.arange(n - k, n) if largest else np.arange(k), axis)
        order = _argsort(np.take_along_axis(d, part, axis), axis, largest)
        return np.take_along_axis(part, order, axis)
    return _argsort(d, axis, largest).take(np.arange(k), axis)


def _no_bool_dim(dim, fn):
    if isinstance(dim, bool):
        raise TypeError(f"{fn}() received an invalid combination of arguments - got (Tensor, bool)")


def _outs(name, values, indices, out):
    if out is None:
        return return_type(name, ("values", "indices"))(values, indices)
    write_out(out[0], values)
    write_out(out[1], indices)
    return return_type(name + "_out", ("values", "indices"))(out[0], out[1])


# ------------------------------------------------------------------ sort family
def sort(input, dim=-1, descending=False, *, stable=False, out=None):
    """torch.sort -> ``torch.return_types.sort(values, indices)``; always stable."""
    _no_bool_dim(dim, "sort")
    d = input._data
    axis = normalize_dim(dim, d.ndim)
    idx = _argsort(d, axis, descending)
    vals = d.copy() if d.ndim == 0 else np.take_along_axis(d, idx, axis)
    return _outs("sort", _values(input, vals, idx if d.ndim else None, axis, SortBackward0),
                 make(idx, False, None), out)


def argsort(input, dim=-1, descending=False, *, stable=False):
    """torch.argsort: the indices of a stable sort."""
    d = input._data
    return make(_argsort(d, normalize_dim(dim, d.ndim), descending), False, None)


def msort(input, *, out=None):
    """torch.msort: values sorted along dimension 0."""
    res = sort(input, 0).values
    return res if out is None else write_out(out, res)


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    """torch.topk: the ``k`` largest (or smallest) values and their indices, sorted; NaN is largest."""
    d = input._data
    axis = normalize_dim(dim, d.ndim)
    n = d.shape[axis] if d.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if d.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    if d.ndim == 0:
        return _outs("topk", _values(input, d.copy(), None, 0, TopkBackward0),
                     make(np.zeros((), np.int64), False, None), out)
    idx = _topk_idx(d, k, axis, largest)
    vals = np.take_along_axis(d, idx, axis)
    return _outs("topk", _values(input, vals, idx, axis, TopkBackward0), make(idx, False, None), out)


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    """torch.kthvalue: the k-th smallest value along ``dim`` and its index."""
    d = input._data
    axis = normalize_dim(dim, d.ndim)
    if d.dtype == np.bool_:
        raise NotImplementedError("\"kthvalue_cpu\" not implemented for 'Bool'")
    x = d.reshape(1) if d.ndim == 0 else d
    n = x.shape[axis]
    if n == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {axis} to have non-zero size.")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
    idx = _argsort(x, axis, False).take([k - 1], axis)
    vals = np.take_along_axis(x, idx, axis)
    shape = d.shape if d.ndim == 0 else (idx.shape if keepdim else np.squeeze(idx, axis).shape)
    v = _values(input, vals.reshape(shape), idx if d.ndim else None, axis, KthvalueBackward0)
    return _outs("kthvalue", v, make(idx.reshape(shape), False, None), out)


# ------------------------------------------------------------------ unique
def _no_derivative(name):
    def bw(ctx, saved, g):
        raise NotImplementedError(f"the derivative for '{name}' is not implemented.")
    return bw


Unique2Backward0 = node_class("Unique2Backward0", _no_derivative("_unique2"))
UniqueDimBackward0 = node_class("UniqueDimBackward0", _no_derivative("unique_dim"))
UniqueConsecutiveBackward0 = node_class("UniqueConsecutiveBackward0", _no_derivative("unique_consecutive"))


def _pack(input, vals, inv, counts, return_inverse, return_counts, cls):
    v = make(vals, True, cls((edge(input),))) if GRAD[0] and input._rg else make(vals, False, None)
    if not (return_inverse or return_counts):
        return v
    res = [v]
    if return_inverse:
        res.append(make(inv.astype(np.int64, copy=False), False, None))
    if return_counts:
        res.append(make(counts.astype(np.int64, copy=False), False, None))
    return tuple(res)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """torch.unique: sorted unique values (NaNs stay distinct, as in torch), optionally the
    inverse indices (input-shaped, or along ``dim``) and counts; ``dim`` compares whole slices."""
    d = input._data
    if dim is None:
        vals, inv, counts = np.unique(d.reshape(-1), return_inverse=True, return_counts=True, equal_nan=False)
        return _pack(input, vals, inv.reshape(d.shape), counts, return_inverse, return_counts, Unique2Backward0)
    axis = normalize_dim(dim, d.ndim)
    if any(s == 0 for k, s in enumerate(d.shape) if k != axis):
        raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique cannot be applied")
    vals, inv, counts = np.unique(d, return_inverse=True, return_counts=True, axis=axis)
    return _pack(input, vals, inv.reshape(-1), counts, return_inverse, return_counts, UniqueDimBackward0)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """torch.unique_consecutive: collapse runs of equal values (or equal slices along ``dim``)."""
    d = input._data
    if dim is None:
        flat = d.reshape(-1)
        rows = flat
        change = flat[1:] != flat[:-1]
    else:
        axis = normalize_dim(dim, d.ndim)
        moved = np.moveaxis(d, axis, 0)
        rows = moved.reshape(moved.shape[0], -1)
        change = np.any(rows[1:] != rows[:-1], axis=1)
    starts = np.concatenate([np.ones(min(len(rows), 1), dtype=bool), change])
    pos = np.flatnonzero(starts)
    counts = np.diff(np.append(pos, len(rows)))
    inv = np.cumsum(starts) - 1
    if dim is None:
        vals = flat[starts]
        inv = inv.reshape(d.shape)
    else:
        vals = np.moveaxis(moved[starts], 0, axis)
    return _pack(input, vals, inv, counts, return_inverse, return_counts, UniqueConsecutiveBackward0)


# ------------------------------------------------------------------ searching
def _search(seq: np.ndarray, vals: np.ndarray, right: bool) -> np.ndarray:
    """Row-wise searchsorted over the last dimension without a Python loop: sort each row of
    ``[seq, vals]`` stably (values placed where ties resolve as ``side`` asks) and count the
    boundaries in front of each value."""
    if seq.ndim == 1:
        return np.searchsorted(seq, vals, side="right" if right else "left").astype(np.int64, copy=False)
    n, m = seq.shape[-1], vals.shape[-1]
    rows = int(np.prod(seq.shape[:-1]))
    s2, v2 = seq.reshape(rows, n), vals.reshape(rows, m)
    dt = np.result_type(s2.dtype, v2.dtype)
    s2, v2 = s2.astype(dt, copy=False), v2.astype(dt, copy=False)
    if right:
        comb, is_seq, off = np.concatenate([s2, v2], 1), np.r_[np.ones(n, bool), np.zeros(m, bool)], n
    else:
        comb, is_seq, off = np.concatenate([v2, s2], 1), np.r_[np.zeros(m, bool), np.ones(n, bool)], 0
    order = np.argsort(comb, axis=1, kind="stable")
    flags = is_seq[order]
    before = np.cumsum(flags, axis=1) - flags
    at_val = ~flags
    res = np.empty((rows, m), dtype=np.int64)
    res[np.repeat(np.arange(rows), m), order[at_val] - off] = before[at_val]
    return res.reshape(vals.shape)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, out=None, sorter=None):
    """torch.searchsorted: insertion indices of ``input`` into the last dimension of
    ``sorted_sequence`` (1-D, or matching ``input`` in all leading dimensions)."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if (side == "left") == bool(right) and right:
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of "
                               f"{side} while right was {bool(right)}")
        right = side == "right"
    seq = sorted_sequence._data
    scalar = not isinstance(input, Tensor)
    vals = np.asarray(input) if scalar else input._data
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
                           "dimension")
    if seq.ndim > 1 and (vals.ndim != seq.ndim or vals.shape[:-1] != seq.shape[:-1]):
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           "dimensions of boundaries tensor and input value tensor must match, but we got "
                           f"boundaries tensor {list(seq.shape)} and input value tensor {list(vals.shape)}")
    if vals.dtype == np.bool_ and seq.dtype == np.bool_:
        raise NotImplementedError("\"searchsorted_out_cpu\" not implemented for 'Bool'")
    if sorter is not None:
        s = sorter._data
        if s.dtype != np.int64:
            raise RuntimeError(f"torch.searchsorted(): sorter must be a tensor of long dtype but got dtype "
                               f"{_LEGACY[s.dtype.name]}")
        if s.shape != seq.shape:
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same size, but got "
                               f"boundary tensor {list(seq.shape)}and got sorter tensor {list(s.shape)}")
        if s.size and (s.min() < 0 or s.max() >= seq.shape[-1]):
            raise RuntimeError("torch.searchsorted(): sorter index out of range")
        seq = np.take_along_axis(seq, s, -1)
    r = _search(seq, vals, bool(right))
    res = make(np.asarray(r, dtype=np.int32 if out_int32 else np.int64), False, None)
    return res if out is None else write_out(out, res)


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """torch.bucketize: the bucket of each element given 1-D ``boundaries``
    (``right=False``: boundaries[i-1] < x <= boundaries[i])."""
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


def histc(input, bins=100, min=0, max=0, *, out=None):
    """torch.histc: equal-width histogram of a floating tensor over [min, max] (the data's range
    when both are 0); values outside are ignored, ``max`` falls in the last bin."""
    d = input._data
    if d.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{_LEGACY[d.dtype.name]}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = float(min), float(max)
    if lo == hi and d.size:
        lo, hi = float(np.min(d)), float(np.max(d))
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        f = (lambda v: "-nan" if np.isnan(v) else str(v))
        raise RuntimeError(f"torch.histc: range of [{f(lo)}, {f(hi)}] is not finite")
    if hi < lo:
        raise RuntimeError("torch.histc: max must be larger than min")
    x = d.reshape(-1)
    x = x[(x >= lo) & (x <= hi)]
    b = ((x - d.dtype.type(lo)) * d.dtype.type(bins) / (d.dtype.type(hi) - d.dtype.type(lo))).astype(np.int64)
    np.minimum(b, bins - 1, out=b)
    res = make(np.bincount(b, minlength=bins).astype(d.dtype), False, None)
    return res if out is None else write_out(out, res)


attach({
    "sort": sort, "argsort": argsort, "msort": msort, "topk": topk, "kthvalue": kthvalue, "unique": unique,
    "unique_consecutive": unique_consecutive, "histc": histc,
})
