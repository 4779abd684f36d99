"""``take`` / ``put`` / ``take_along_dim`` / ``nonzero`` / ``argwhere`` and the ``masked_*``
family (``masked_fill``, ``masked_select``, ``masked_scatter``), with gradients; re-exported
by ``indexing``."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import GRAD
from ..autograd.graph import NO_EDGE, edge
from ._helpers import attach, make, to_scalar, unbroadcast, write_out
from .inplace import inplace_method, apply_inplace
from .indexing import _node, checked_scalar, _I64, _const, _embed, _gather_bw, _gather_idx, _sum_to, lname

__all__ = ["take", "put", "take_along_dim", "nonzero", "argwhere", "masked_fill", "masked_select",
           "masked_scatter"]


# ============================================================ take / put / take_along_dim
def _flat_index(index: Tensor, n: int, name: str) -> np.ndarray:
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    ix = index._data
    if ix.dtype != _I64:
        raise RuntimeError(f"{name}(): Expected a long tensor for index, but got {lname(ix.dtype)}")
    if ix.size:
        bad = (ix >= n) | (ix < -n)
        if bad.any():
            raise IndexError(f"out of range: tried to access index {ix[bad].flat[0]} on a tensor of {n} elements.")
        if ix.min() < 0:
            ix = np.where(ix < 0, ix + n, ix)
    return ix


TakeBackward0 = _node("TakeBackward0", _gather_bw)


def take(input: Tensor, index: Tensor) -> Tensor:
    """torch.take: ``input`` as 1-D, indexed by ``index`` (result has index's shape)."""
    d = input._data
    shape = d.shape
    ix = _flat_index(index, d.size, "take")
    r = np.take(d, ix)
    if GRAD[0] and input._rg:
        if not shape:
            return make(r, True, _ScalarTake((edge(input),)))
        return make(r, True, TakeBackward0((edge(input),), (shape, np.unravel_index(ix, shape), True)))
    return make(r, False, None)


_ScalarTake = _node("TakeBackward0", lambda c, s, g: (
    g.sum() if type(g) is not np.ndarray else np.asarray(g.sum(), g.dtype),))


def _put_bw(ctx, saved, g):
    ix, vshape, accumulate = ctx
    if type(g) is np.ndarray:
        flat = g.reshape(-1)
        gs = g
        if not accumulate:
            gs = g.copy()
            gs.reshape(-1)[ix] = 0
        gv = None if vshape is None else flat[ix].reshape(vshape)
        return gs, gv
    coords = np.unravel_index(ix, g.shape) if g.ndim else ()
    gs = g
    if not accumulate:
        from .elementwise import mul
        keep = np.ones(g.shape, g._data.dtype)
        keep.reshape(-1)[ix] = 0
        gs = mul(g, _const(keep))
    gv = None if vshape is None else (_gather_idx(g, coords).reshape(vshape) if g.ndim else g.expand(vshape))
    return gs, gv


PutBackward0 = _node("PutBackward0", _put_bw)


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """torch.put: a copy of ``input`` with ``source`` written at flat positions ``index``."""
    d = input._data
    ix = _flat_index(index, d.size, "put_")
    sd = source._data
    if sd.size != ix.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                         f"source.numel() = {sd.size}, index.numel() = {ix.size}")
    if sd.dtype != d.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{lname(d.dtype)} and source.dtype = {lname(sd.dtype)}")
    r = d.copy()
    flat = r.reshape(-1)
    if accumulate:
        np.add.at(flat, ix.ravel(), sd.ravel())
    else:
        flat[ix.ravel()] = sd.ravel()
    if GRAD[0] and (input._rg or source._rg):
        return make(r, True, PutBackward0((edge(input), edge(source)),
                                          (ix.ravel(), sd.shape if source._rg else None, bool(accumulate))))
    return make(r, False, None)


def put_(self: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    return apply_inplace(self, put, index, source, accumulate)


def _tad_bw(ctx, saved, g):
    cshape, coords, ishape, flat = ctx
    gi = _gather_bw((cshape, coords, True), saved, g)[0]
    return (gi.reshape(ishape) if flat else _sum_to(gi, ishape),)


TakeAlongDimBackward0 = _node("GatherBackward0", _tad_bw)


def take_along_dim(input: Tensor, indices: Tensor, dim=None, *, out=None) -> Tensor:
    """torch.take_along_dim: gather along ``dim`` with broadcasting (flattened when dim is None)."""
    d = input._data
    ix = indices._data
    if ix.dtype != _I64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got {lname(ix.dtype)}")
    if dim is None:
        n = d.size
        ix = ix.reshape(-1)
        ishape, coords_shape = d.shape, (n,)
        dm, dd = 0, d.reshape(-1)
    else:
        from ._helpers import normalize_dim
        if d.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        if d.ndim != ix.ndim:
            raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of "
                               f"dimensions, but got {d.ndim} dimensions for input, and {ix.ndim} dimensions for "
                               "indices")
        dm = normalize_dim(dim, d.ndim)
        bs = []
        for k, (a, b) in enumerate(zip(d.shape, ix.shape)):
            if k != dm and a != b and a != 1 and b != 1:
                raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                                   f"non-singleton dimension {k}")
            bs.append(max(a, b) if k != dm else None)
        in_shape = tuple(d.shape[dm] if k == dm else s for k, s in enumerate(bs))
        ix_shape = tuple(ix.shape[dm] if k == dm else s for k, s in enumerate(bs))
        dd = np.broadcast_to(d, in_shape)
        ix = np.broadcast_to(ix, ix_shape)
        ishape, coords_shape = d.shape, in_shape
    n = dd.shape[dm] if dd.ndim else 1
    if ix.size:
        bad = (ix >= n) | (ix < -n)
        if bad.any():
            raise RuntimeError(f"index {ix[bad].flat[0]} is out of bounds for dimension {dm} with size {n}")
    from .scatter import coords_along
    coords = coords_along(ix if ix.ndim else ix.reshape(1), dm, n)
    r = np.ascontiguousarray(dd[coords])
    if GRAD[0] and input._rg:
        res = make(r, True, TakeAlongDimBackward0((edge(input),), (coords_shape, coords, ishape, dim is None)))
    else:
        res = make(r, False, None)
    return write_out(out, res)


# ============================================================ nonzero
def nonzero(input: Tensor, *, out=None, as_tuple: bool = False):
    """Indices of the nonzero elements: an (n, ndim) int64 tensor, or a tuple of 1-D tensors."""
    d = input._data
    if d.ndim == 0:
        n = int(bool(d))
        if as_tuple:
            return (make(np.zeros(n, np.int64), False, None),)
        return write_out(out, make(np.zeros((n, 0), np.int64), False, None))
    if as_tuple:
        return tuple(make(a.astype(np.int64, copy=False), False, None) for a in np.nonzero(d))
    return write_out(out, make(np.argwhere(d).astype(np.int64, copy=False), False, None))


def argwhere(input: Tensor) -> Tensor:
    return nonzero(input)


# ============================================================ masked_*
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _bshape(a, b):
    """Broadcast shape of a (tensor a) and b (tensor b) with torch's message."""
    n = max(len(a), len(b))
    a2 = (1,) * (n - len(a)) + tuple(a)
    b2 = (1,) * (n - len(b)) + tuple(b)
    out = []
    for i in range(n - 1, -1, -1):
        x, y = a2[i], b2[i]
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                               f"non-singleton dimension {i}")
        out.append(y if x == 1 else x)
    return tuple(reversed(out))


def _masked_fill_bw(ctx, saved, g):
    m, ishape, need_v = ctx
    if type(g) is np.ndarray:
        gi = unbroadcast(np.where(m, np.zeros((), g.dtype), g), ishape)
        gv = np.asarray((g * m).sum(), g.dtype) if need_v else None
        return gi, gv
    from .elementwise import mul
    mt = _const(m.astype(g._data.dtype))
    gi = unbroadcast(mul(g, _const((~m).astype(g._data.dtype))), ishape)
    gv = mul(g, mt).sum() if need_v else None
    return gi, gv


MaskedFillBackward0 = _node("MaskedFillBackward0", _masked_fill_bw)
MaskedFillBackward1 = _node("MaskedFillBackward1", _masked_fill_bw)


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """``value`` where ``mask`` (bool, broadcast) is True, ``input`` elsewhere."""
    md = mask._data
    if md.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_C_NAMES.get(md.dtype.name, md.dtype.name)}")
    vt = None
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        vt = value
        v = value._data
    else:
        v = to_scalar(value)
        if v is None:
            raise TypeError(f"masked_fill(): argument 'value' must be Number, not {type(value).__name__}")
    d = input._data
    bs = _bshape(md.shape, d.shape)
    r = np.where(md, v.astype(d.dtype) if vt is not None else checked_scalar(v, d.dtype), d)
    if r.shape != bs:
        r = np.array(np.broadcast_to(r, bs))
    need_v = vt is not None and vt._rg
    if GRAD[0] and (input._rg or need_v):
        cls = MaskedFillBackward0 if vt is None else MaskedFillBackward1
        return make(r, True, cls((edge(input), edge(vt) if vt is not None else NO_EDGE),
                                                 (np.broadcast_to(md, bs), d.shape, need_v)))
    return make(r, False, None)


def _masked_select_bw(ctx, saved, g):
    m, ishape = ctx
    if type(g) is np.ndarray:
        z = np.zeros(m.shape, g.dtype)
        z[m] = g
        return (unbroadcast(z, ishape),)
    return (unbroadcast(_embed(m.shape, (m,), g, False), ishape),)


MaskedSelectBackward0 = _node("MaskedSelectBackward0", _masked_select_bw)


def masked_select(input: Tensor, mask: Tensor, *, out=None) -> Tensor:
    """The elements of ``input`` where ``mask`` is True, as a 1-D tensor (both broadcast)."""
    md = mask._data
    if md.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    d = input._data
    bs = _bshape(md.shape, d.shape)
    mb = np.broadcast_to(md, bs)
    r = np.broadcast_to(d, bs)[mb]
    if GRAD[0] and input._rg:
        res = make(r, True, MaskedSelectBackward0((edge(input),), (mb, d.shape)))
    else:
        res = make(r, False, None)
    return write_out(out, res)


def _masked_scatter_bw(ctx, saved, g):
    m, ishape, sshape, need_s = ctx
    k = int(m.sum())
    n = int(np.prod(sshape))
    if type(g) is np.ndarray:
        gi = unbroadcast(np.where(m, np.zeros((), g.dtype), g), ishape)
        gs = None
        if need_s:
            gs = np.zeros(n, g.dtype)
            gs[:k] = g[m]
            gs = gs.reshape(sshape)
        return gi, gs
    from .elementwise import mul
    gi = unbroadcast(mul(g, _const((~m).astype(g._data.dtype))), ishape)
    gs = None
    if need_s:
        coords = np.unravel_index(np.arange(k), sshape) if sshape else ()
        gs = _embed(sshape, coords, _gather_idx(g, (m,)), False)
    return gi, gs


MaskedScatterBackward0 = _node("MaskedScatterBackward0", _masked_scatter_bw)


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """Copy ``source``'s leading elements (row-major) into ``input`` where ``mask`` is True."""
    md = mask._data
    if md.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype {lname(md.dtype)}")
    d = input._data
    sd = source._data
    if sd.dtype != d.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{lname(d.dtype)} and {lname(sd.dtype)}")
    bs = _bshape(md.shape, d.shape)
    mb = np.broadcast_to(md, bs)
    k = int(mb.sum())
    if sd.size < k:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    r = np.array(np.broadcast_to(d, bs))
    r[mb] = sd.reshape(-1)[:k]
    if GRAD[0] and (input._rg or source._rg):
        return make(r, True, MaskedScatterBackward0((edge(input), edge(source)),
                                                    (mb, d.shape, sd.shape, source._rg)))
    return make(r, False, None)




attach({
    "take": take, "put": put, "put_": put_, "take_along_dim": take_along_dim,
    "nonzero": lambda self, *, as_tuple=False: nonzero(self, as_tuple=as_tuple), "argwhere": argwhere,
    "masked_fill": masked_fill, "masked_fill_": inplace_method(masked_fill), "masked_select": masked_select,
    "masked_scatter": masked_scatter, "masked_scatter_": inplace_method(masked_scatter),
})
