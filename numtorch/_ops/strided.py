"""Copying and strided structure ops: repeat/tile/repeat_interleave, tril/triu, flip/fliplr/flipud,
roll, rot90, diagonal/diag/diag_embed/diagflat/trace, Tensor.unfold and as_strided; re-exported
by ``shape``.

As in torch, ``diagonal``, ``unfold`` and ``as_strided`` return (writable) views of their input
-- NumPy strided views following the view protocol of ``shape.make_view`` -- and the rest return
copies.  Linear backward formulas are (backward, adjoint) NumPy pairs run through ``_lin_bw`` so
double backward stays exact; integer ``trace`` gives int64; errors carry torch's messages.
"""
from __future__ import annotations

import math
from operator import index as _idx

import numpy as np
from numpy.lib.stride_tricks import as_strided as _np_as_strided

from .._tensor import Tensor
from ..autograd.graph import edge, node_class
from ._helpers import attach, make, normalize_dim, normalize_dims, write_out
from .shape import _lin_bw, _no_dims, _rec, _sizes, _tname, make_view

__all__ = [
    "as_strided", "diag", "diag_embed", "diagflat", "diagonal", "flip", "fliplr", "flipud", "repeat_interleave",
    "roll", "rot90", "tile", "trace", "tril", "triu",
]

ndarray = np.ndarray


# ------------------------------------------------------------------ repeat / tile / repeat_interleave
RepeatBackward0 = node_class("RepeatBackward0", _lin_bw)


def _repeat(input: Tensor, reps: tuple) -> Tensor:
    d = input._data
    sh = d.shape
    if len(reps) < len(sh):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    pad = (1,) * (len(reps) - len(sh)) + sh
    out = [p * r for p, r in zip(pad, reps)]
    for v in out:
        if v < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {v}: {out}")
    r = np.tile(d, reps)
    if not _rec(input):
        return make(r, False, None)
    inter = tuple(x for p, k in zip(pad, reps) for x in (k, p))
    axes = tuple(range(0, 2 * len(reps), 2))
    return make(r, True, RepeatBackward0((edge(input),), (lambda g: g.reshape(inter).sum(axis=axes).reshape(sh),
                                                          lambda a: np.tile(a.reshape(pad), reps))))


def repeat(self: Tensor, *repeats) -> Tensor:
    """Tensor.repeat: tile the tensor (extra leading repeats add dims)."""
    return _repeat(self, _sizes(repeats, "repeat"))


def tile(input: Tensor, dims) -> Tensor:
    dims = _sizes((dims,), "tile")
    nd = input._data.ndim
    return _repeat(input, (1,) * (nd - len(dims)) + dims if len(dims) < nd else dims)


def _tile_m(self: Tensor, *dims) -> Tensor:
    return tile(self, _sizes(dims, "tile"))


RepeatInterleaveBackward = node_class("ViewBackward0", _lin_bw)   # torch's int path ends in a view
IndexSelectBackward0 = node_class("IndexSelectBackward0", _lin_bw)


def _segment_sum(g, reps, n, ax, xs):
    gm = np.moveaxis(g, ax, 0)
    out = np.zeros((n,) + gm.shape[1:], dtype=g.dtype)
    np.add.at(out, np.repeat(np.arange(n), reps), gm)
    return np.moveaxis(out, 0, ax)


def repeat_interleave(input: Tensor, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Repeat each element ``repeats`` times (int or per-element tensor) along ``dim`` (flattened if None)."""
    if repeats is None:  # torch.repeat_interleave(repeats): indices repeated
        rd = input._data
        if rd.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        return make(np.repeat(np.arange(rd.size, dtype=rd.dtype), rd.reshape(-1)), False, None)
    d = input._data
    x = d.reshape(-1) if dim is None else d
    ax = 0 if dim is None else normalize_dim(dim, d.ndim)
    n = x.shape[ax] if x.ndim else 1
    if isinstance(repeats, Tensor):
        rd = repeats._data
        if rd.dtype.kind not in "iu":
            raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for '{_tname(rd.dtype)}'")
        if rd.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if rd.size == 1:
            repeats = int(rd.reshape(()))
        else:
            if rd.size != n:
                raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                                   f"{rd.size} and input.size({ax}) = {n}")
            if rd.size and rd.min() < 0:
                raise RuntimeError("repeats can not be negative")
            reps = rd.astype(np.int64)
            r = np.repeat(x, reps, axis=ax)
            _check_out_size(output_size, r.shape[ax])
            if not _rec(input):
                return make(r, False, None)
            xs, sh = x.shape, d.shape
            return make(r, True, IndexSelectBackward0((edge(input),), (
                lambda g: _segment_sum(g, reps, n, ax, xs).reshape(sh),
                lambda a: np.repeat(a.reshape(xs), reps, axis=ax))))
    repeats = _idx(repeats)
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    r = np.repeat(x, repeats, axis=ax)
    _check_out_size(output_size, r.shape[ax])
    if not _rec(input):
        return make(r, False, None)
    xs, sh = x.shape, d.shape
    split = xs[:ax] + (n, repeats) + xs[ax + 1:]
    return make(r, True, RepeatInterleaveBackward((edge(input),), (
        lambda g: g.reshape(split).sum(axis=ax + 1).reshape(sh),
        lambda a: np.repeat(a.reshape(xs), repeats, axis=ax))))


def _check_out_size(output_size, got):
    if output_size is not None and output_size != got:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {got} but got {output_size}")


# ------------------------------------------------------------------ tril / triu / flip / roll / rot90
def _tri(name, npf):
    cls = node_class(name + "Backward0", lambda c, s, g: (npf(g, c) if type(g) is ndarray else _tri_fn[name](g, c),))

    def op(input: Tensor, diagonal: int = 0, *, out=None) -> Tensor:
        d = input._data
        if d.ndim < 2:
            raise RuntimeError(f"{name.lower()}: input tensor must have at least 2 dimensions")
        r = npf(d, diagonal)
        res = make(r, True, cls((edge(input),), diagonal)) if _rec(input) else make(r, False, None)
        return res if out is None else write_out(out, res)
    op.__name__ = name.lower()
    op.__doc__ = f"torch.{name.lower()}: the {'lower' if name == 'Tril' else 'upper'} triangle of the last two dims."
    return op


_tri_fn = {}
tril = _tri_fn["Tril"] = _tri("Tril", np.tril)
triu = _tri_fn["Triu"] = _tri("Triu", np.triu)


def _flip_bw(ctx, saved, g):
    return (np.flip(g, ctx) if type(g) is ndarray else flip(g, ctx),)


FlipBackward0 = node_class("FlipBackward0", _flip_bw)


def flip(input: Tensor, dims) -> Tensor:
    """A reversed copy along ``dims``."""
    d = input._data
    dims = normalize_dims((dims,) if isinstance(dims, (int, np.integer)) else tuple(dims), d.ndim)
    r = np.flip(d, dims).copy() if dims and d.ndim else d.copy()
    return make(r, True, FlipBackward0((edge(input),), dims)) if _rec(input) else make(r, False, None)


def _flip_m(self: Tensor, *dims) -> Tensor:
    return flip(self, dims[0] if len(dims) == 1 and not isinstance(dims[0], (int, np.integer)) else dims)


def fliplr(input: Tensor) -> Tensor:
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input: Tensor) -> Tensor:
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


def _roll_bw(ctx, saved, g):
    shifts, dims = ctx
    neg = tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts
    return (np.roll(g, neg, dims) if type(g) is ndarray else roll(g, neg, dims),)


RollBackward0 = node_class("RollBackward0", _roll_bw)


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Circular shift; with no ``dims`` the flattened tensor is shifted and reshaped back."""
    d = input._data
    sh = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
    if dims is None:
        if len(sh) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:0")
        sh, dm = sh[0], None
    else:
        dm = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
        if d.ndim == 0:
            _no_dims(dm[0])
        if len(sh) != len(dm):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:{len(dm)}")
        dm = tuple(normalize_dim(x, d.ndim) for x in dm)
    r = np.roll(d, sh, dm) if d.ndim else d.copy()
    return make(r, True, RollBackward0((edge(input),), (sh, dm))) if _rec(input) else make(r, False, None)


def _rot90_np(a, k, d0, d1):
    k %= 4
    if k == 0:
        return a.copy()
    if k == 2:
        return np.flip(a, (d0, d1)).copy()
    return np.flip(a, d1 if k == 1 else d0).copy().swapaxes(d0, d1)


Rot90Backward0 = node_class("Rot90Backward0", lambda c, s, g: (
    _rot90_np(g, -c[0], c[1], c[2]) if type(g) is ndarray else rot90(g, -c[0], (c[1], c[2])),))


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees k times in the plane of ``dims`` (flip + transpose, as torch)."""
    d = input._data
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if d.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {d.ndim}")
    d0, d1 = normalize_dim(dims[0], d.ndim), normalize_dim(dims[1], d.ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    r = _rot90_np(d, k, d0, d1)
    return make(r, True, Rot90Backward0((edge(input),), (k, d0, d1))) if _rec(input) else make(r, False, None)


# ------------------------------------------------------------------ diagonals / trace
def _diag_view(a, offset, d1, d2):
    """A writable strided view of a diagonal of ``a`` in the (d1, d2) plane, diagonal last."""
    sh, st = a.shape, a.strides
    if offset >= 0:
        n = max(0, min(sh[d1], sh[d2] - offset))
        ax, off = d2, offset
    else:
        n = max(0, min(sh[d1] + offset, sh[d2]))
        ax, off = d1, -offset
    if n:
        a = a[(slice(None),) * ax + (slice(off, None),)]
    keep = [i for i in range(len(sh)) if i != d1 and i != d2]
    return _np_as_strided(a, tuple(sh[i] for i in keep) + (n,), tuple(st[i] for i in keep) + (st[d1] + st[d2],),
                          writeable=True)


def _diag_embed_np(a, offset, d1, d2, shape):
    z = np.zeros(shape, dtype=a.dtype)
    _diag_view(z, offset, d1, d2)[...] = a
    return z


def _diag_dims(nd, dim1, dim2):
    a, b = normalize_dim(dim1, nd), normalize_dim(dim2, nd)
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return a, b


DiagonalBackward0 = node_class("DiagonalBackward0", _lin_bw)
DiagonalBackward0_copy = node_class("DiagonalBackward0_copy", _lin_bw)
DiagEmbedBackward0 = node_class("DiagEmbedBackward0", _lin_bw)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A (writable) view of the diagonal of the (dim1, dim2) planes, appended as the last dim."""
    d = input._data
    a, b = _diag_dims(d.ndim, dim1, dim2)
    sh = d.shape
    node = DiagonalBackward0((edge(input),), (lambda g: _diag_embed_np(g, offset, a, b, sh),
                                               lambda x: _diag_view(x, offset, a, b))) if _rec(input) else None
    return make_view(input, _diag_view(d, offset, a, b), node, lambda x: _diag_view(x, offset, a, b))


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Place the last dim of ``input`` on diagonals of new (dim1, dim2) planes."""
    d = input._data
    nd = d.ndim + 1
    a, b = _diag_dims(nd, dim1, dim2)
    m = (d.shape[-1] if d.ndim else 1) + abs(offset)
    rest = list(d.shape[:-1])
    for k in sorted((a, b)):
        rest.insert(k, m)
    shape = tuple(rest)
    r = _diag_embed_np(d, offset, a, b, shape)
    if not _rec(input):
        return make(r, False, None)
    return make(r, True, DiagEmbedBackward0((edge(input),), (lambda g: _diag_view(g, offset, a, b),
                                                              lambda x: _diag_embed_np(x, offset, a, b, shape))))


def diag(input: Tensor, diagonal: int = 0, *, out=None) -> Tensor:
    """1-D: a matrix with ``input`` on a diagonal; 2-D: a copy of that diagonal."""
    d = input._data
    if d.ndim == 1:
        res = diag_embed(input, diagonal, 0, 1)
    elif d.ndim == 2:
        r = _diag_view(d, diagonal, 0, 1).copy()
        sh = d.shape
        res = make(r, True, DiagonalBackward0_copy((edge(input),), (
            lambda g: _diag_embed_np(g, diagonal, 0, 1, sh), lambda x: _diag_view(x, diagonal, 0, 1).copy()))) \
            if _rec(input) else make(r, False, None)
    else:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {d.ndim}D")
    return res if out is None else write_out(out, res)


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    return diag_embed(input.reshape(-1), offset, 0, 1)


TraceBackward0 = node_class("TraceBackward0", _lin_bw)


def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a matrix; integer inputs give int64, as torch."""
    d = input._data
    if d.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {d.ndim}")
    if d.dtype == np.bool_:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    r = np.asarray(np.trace(d, dtype=np.int64 if d.dtype.kind in "iu" else d.dtype))
    if not _rec(input):
        return make(r, False, None)
    sh = d.shape
    return make(r, True, TraceBackward0((edge(input),), (lambda g: _diag_embed_np(np.broadcast_to(g, (min(sh),)), 0,
                                                                                  0, 1, sh),
                                                          lambda x: np.asarray(np.trace(x)))))


# ------------------------------------------------------------------ unfold / as_strided
def _unfold_view(a, dim, size, step):
    if a.ndim == 0:
        return a.reshape(1)[:size]
    n = a.shape[dim]
    sh, st = a.shape, a.strides
    return _np_as_strided(a, sh[:dim] + ((n - size) // step + 1,) + sh[dim + 1:] + (size,),
                          st[:dim] + (st[dim] * step,) + st[dim + 1:] + (st[dim],), writeable=True)


def _unfold_back(g, shape, dim, size, step):
    """Scatter-add the windows' gradient back onto the input (vectorised with bincount)."""
    if not shape:
        return g.reshape(())
    n = shape[dim]
    nw = g.shape[dim]
    gm = np.moveaxis(g, dim, -2)
    rest = gm.shape[:-2]
    m = math.prod(rest)
    col = (np.arange(nw)[:, None] * step + np.arange(size)[None, :]).ravel()
    flat = (np.arange(m)[:, None] * n + col[None, :]).ravel()
    r = np.bincount(flat, weights=gm.reshape(-1).astype(np.float64), minlength=m * n).astype(g.dtype)
    return np.moveaxis(r.reshape(rest + (n,)), -1, dim)


UnfoldBackward0 = node_class("UnfoldBackward0", _lin_bw)


def unfold(self: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Tensor.unfold: a view of all windows of ``size`` with ``step`` along ``dimension`` (window last)."""
    d = self._data
    dim = normalize_dim(dimension, d.ndim)
    n = d.shape[dim] if d.ndim else 1
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {dim} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    sh = d.shape
    node = UnfoldBackward0((edge(self),), (lambda g: _unfold_back(g, sh, dim, size, step),
                                           lambda x: _unfold_view(x, dim, size, step))) if _rec(self) else None
    return make_view(self, _unfold_view(d, dim, size, step), node, lambda a: _unfold_view(a, dim, size, step))


def _ptr(a):
    return a.__array_interface__["data"][0]


def _storage_idx(shape, strides, off):
    idx = np.asarray(off, dtype=np.int64)
    for k, (n, s) in enumerate(zip(shape, strides)):
        idx = idx[..., None] + np.arange(n, dtype=np.int64) * s
    return idx


AsStridedBackward0 = node_class("AsStridedBackward0", _lin_bw)


def as_strided(input: Tensor, size, stride, storage_offset=None) -> Tensor:
    """A strided view of the underlying storage (the root base's memory, in elements)."""
    root = input._base if input._base is not None else input
    rd = root._data
    d = input._data
    if not rd.flags.c_contiguous:
        raise NotImplementedError("numtorch as_strided needs a contiguous base tensor")
    isz = d.itemsize
    size, stride = tuple(map(_idx, size)), tuple(map(_idx, stride))
    base_off = (_ptr(d) - _ptr(rd)) // isz if rd.size else 0
    off = base_off if storage_offset is None else _idx(storage_offset)
    need = off + 1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
    if need > rd.size:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {off}, and "
                           f"itemsize {isz} requiring a storage size of {need * isz} are out of bounds for storage of "
                           f"size {rd.size * isz}")

    def fn(a):
        flat = np.ascontiguousarray(a).reshape(-1)
        return _np_as_strided(flat[off:] if all(size) else flat, size, tuple(s * a.itemsize for s in stride),
                              writeable=True)
    node = None
    if _rec(input):
        n_st = rd.size
        oi = _storage_idx(size, stride, off).ravel()
        ii = _storage_idx(d.shape, tuple(s // isz for s in d.strides), base_off).ravel()

        def back(g):
            s = np.bincount(oi, weights=g.reshape(-1).astype(np.float64), minlength=n_st)
            return s[ii].reshape(d.shape).astype(g.dtype)

        def fwd(x):
            s = np.bincount(ii, weights=x.reshape(-1).astype(np.float64), minlength=n_st)
            return s[oi].reshape(size).astype(x.dtype)
        node = AsStridedBackward0((edge(input),), (back, fwd))
    t = make_view(input, fn(rd), node, fn)
    t.__dict__["_view_fn"] = fn  # defined on the root's memory, not composed
    return t


# ------------------------------------------------------------------ methods
def _tri_inplace(f):
    def op(self, diagonal=0):
        from .elementwise import apply_inplace
        return apply_inplace(self, f, diagonal)
    return op


attach({
    "repeat": repeat, "tile": _tile_m, "repeat_interleave": repeat_interleave, "tril": tril, "triu": triu,
    "flip": _flip_m, "fliplr": fliplr, "flipud": flipud, "roll": roll, "rot90": rot90, "diagonal": diagonal,
    "diag": diag, "diagflat": diagflat, "diag_embed": diag_embed, "trace": trace, "unfold": unfold,
    "as_strided": as_strided, "tril_": _tri_inplace(tril), "triu_": _tri_inplace(triu),
})
