"""gather / scatter / scatter_add / scatter_reduce and index_select / index_add / index_copy /
index_fill, with their in-place forms and gradients (re-exported by ``indexing``).

A gather-style ``index`` along ``dim`` becomes a full NumPy coordinate tuple
(``coords_along``), so forward and backward are single vectorised NumPy calls
(fancy indexing, ``bincount`` sums, ``ufunc.at`` where repeated indices must reduce).
"""
from __future__ import annotations

import warnings

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import GRAD
from ..autograd.graph import NO_EDGE, edge
from ._helpers import attach, make, normalize_dim, to_scalar, write_out
from .inplace import inplace_method
from .indexing import _node, checked_scalar, _accum, _const, _embed, _gather_bw, _gather_idx, lname

__all__ = ["gather", "scatter", "scatter_add", "scatter_reduce", "index_select", "index_add", "index_copy",
           "index_fill"]

_ALL = slice(None)


def coords_along(index: np.ndarray, dim: int, n=None) -> tuple:
    """The coordinates a gather-style ``index`` addresses: ``index`` along ``dim``,
    the position itself along every other dim (as broadcastable aranges)."""
    nd = index.ndim
    out = []
    for k in range(nd):
        if k == dim:
            out.append(index)
        else:
            sh = [1] * nd
            sh[k] = index.shape[k]
            out.append(np.arange(index.shape[k]).reshape(sh))
    return tuple(out)


def _check_index(index, name: str, allowed=("int64", "int32")) -> np.ndarray:
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    ix = index._data
    if ix.dtype.name not in allowed:
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    return ix


def _bounds(ix: np.ndarray, n: int, dim: int, neg_ok: bool = False, exc=RuntimeError, prefix: str = "") -> np.ndarray:
    """Check ``ix`` against a dim of size ``n``; returns it with negatives wrapped."""
    if ix.size:
        lo = -n if neg_ok else 0
        if ix.max() >= n or ix.min() < lo:
            bad = ix[(ix >= n) | (ix < lo)].flat[0]
            raise exc(f"{prefix}index {bad} is out of bounds for dimension {dim} with size {n}")
        if neg_ok and ix.min() < 0:
            ix = np.where(ix < 0, ix + n, ix)
    return ix


def _as1(a: np.ndarray) -> np.ndarray:
    return a if a.ndim else a.reshape(1)


# ============================================================ gather
def _gather_nd_bw(ctx, saved, g):
    shape1, coords, shape = ctx
    r = _gather_bw((shape1, coords, True), saved, g)[0]
    return (r if shape1 == shape else r.reshape(shape),)


GatherBackward0 = _node("GatherBackward0", _gather_nd_bw)


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False, out=None) -> Tensor:
    """torch.gather: ``out[i][j] = input[index[i][j]][j]`` (for dim 0), index no larger than input."""
    ix = _check_index(index, "gather")
    d = input._data
    dim = normalize_dim(dim, d.ndim)
    d1, ix1 = _as1(d), _as1(ix)
    if d1.ndim != ix1.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for k in range(d1.ndim):
        if k != dim and ix1.shape[k] > d1.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index {list(ix.shape)} to be no "
                               f"larger than self {list(d.shape)} apart from dimension {dim}")
    ix1 = _bounds(ix1, d1.shape[dim], dim)
    coords = coords_along(ix1, dim)
    r = d1[coords].reshape(ix.shape)
    if GRAD[0] and input._rg:
        res = make(r, True, GatherBackward0((edge(input),), (d1.shape, coords, d.shape)))
    else:
        res = make(r, False, None)
    return write_out(out, res)


# ============================================================ scatter family
def _src_corner(sshape, ishape):
    return tuple(slice(0, s) for s in ishape) + (Ellipsis,) if sshape != ishape else (Ellipsis,)


def _scatter_prep(input, dim, index, src, name):
    """Checks shared by scatter/scatter_add/scatter_reduce; returns (d1, coords, src values, dim)."""
    ix = _check_index(index, "scatter")
    d = input._data
    dim = normalize_dim(dim, d.ndim)
    d1, ix1 = _as1(d), _as1(ix)
    if d1.ndim != ix1.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    sd = None
    if src is not None:
        sd = _as1(src._data)
        if src._data.dtype != d.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        if sd.ndim != ix1.ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    for k in range(d1.ndim):
        if (k != dim and ix1.shape[k] > d1.shape[k]) or (sd is not None and ix1.shape[k] > sd.shape[k]):
            msg = (f"Expected index {list(ix.shape)} to be no larger than self {list(d.shape)} apart from "
                   f"dimension {dim}")
            if sd is not None:
                msg += f" and to be no larger size than src {list(src._data.shape)}"
            raise RuntimeError(msg)
    ix1 = _bounds(ix1, d1.shape[dim], dim)
    coords = coords_along(ix1, dim)
    vals = None if sd is None else sd[_src_corner(sd.shape, ix1.shape)]
    return d1, coords, vals, dim


def _grad_src(g, coords, sshape, ishape, scale=None, mask=None):
    """Gradient of a scattered ``src``: ``g`` gathered at ``coords`` (times constants), padded
    with zeros to ``src``'s shape."""
    if type(g) is np.ndarray:
        gs = g[coords] if scale is None else (g * scale)[coords]
        if mask is not None:
            gs = gs * mask
        if gs.shape != tuple(sshape):
            z = np.zeros(sshape, g.dtype)
            z[_src_corner(sshape, ishape)] = gs
            gs = z
        return gs
    from .elementwise import mul
    gs = _gather_idx(g if scale is None else mul(g, _const(scale.astype(g._data.dtype))), coords)
    if mask is not None:
        gs = mul(gs, _const(mask.astype(g._data.dtype)))
    if gs.shape != tuple(sshape):
        gs = _embed(tuple(sshape), _src_corner(sshape, ishape), gs, False)
    return gs


def _mul_const(g, a):
    if a is None:
        return g
    if type(g) is np.ndarray:
        return g * a.astype(g.dtype, copy=False)
    from .elementwise import mul
    return mul(g, _const(a.astype(g._data.dtype)))


def _reshape_to(g, shape):
    return g if g.shape == tuple(shape) else g.reshape(shape)


def _scatter_bw(ctx, saved, g):
    """ctx: (shape, coords, src shape or None, index shape, A, B, C): grad_self = g * A,
    grad_src = gather(g * B) * C (None means 1)."""
    shape, coords, sshape, ishape, A, B, C = ctx
    g1 = g if g.ndim else _reshape_to(g, (1,))
    gi = _reshape_to(_mul_const(g1, A), shape)
    gs = None
    if sshape is not None:
        gs = _grad_src(g1, coords, tuple(sshape) or (1,), ishape, B, C)
        gs = _reshape_to(gs, sshape)
    return gi, gs


ScatterBackward0 = _node("ScatterBackward0", _scatter_bw)
ScatterBackward1 = _node("ScatterBackward1", _scatter_bw)
ScatterAddBackward0 = _node("ScatterAddBackward0", _scatter_bw)
ScatterReduceBackward0 = _node("ScatterReduceBackward0", _scatter_bw)


def _not_impl(ctx, saved, g):
    raise RuntimeError("derivative for aten::scatter is not implemented")


_ScatterNI = _node("NotImplemented", _not_impl)


def _hit_mask(shape1, coords):
    m = np.zeros(shape1, np.bool_)
    m[coords] = True
    return m


def _record(r, shape, input, src, cls, ctx):
    need_s = src is not None and src._rg
    if GRAD[0] and (input._rg or need_s):
        sh, coords, ishape, A, B, C = ctx
        return make(r, True, cls((edge(input), edge(src) if src is not None else NO_EDGE),
                                 (sh, coords, src._data.shape if need_s else None, ishape, A, B, C)))
    return make(r, False, None)


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce=None, out=None) -> Tensor:
    """torch.scatter: a copy of ``input`` with ``src`` (a tensor, or a scalar ``value``)
    written at ``index`` along ``dim``; ``reduce='add'|'multiply'`` combines instead."""
    if src is not None and not isinstance(src, Tensor):
        value, src = src, None
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    if reduce is not None and src is not None:
        warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in "
                      "a future PyTorch release. Use torch.scatter_reduce instead for more reduction options.",
                      UserWarning, stacklevel=2)
    d1, coords, vals, dim = _scatter_prep(input, dim, index, src, "scatter")
    if src is None:
        v = to_scalar(value._data.item() if isinstance(value, Tensor) else value)
        if v is None:
            raise TypeError(f"scatter(): argument 'value' must be Number, not {type(value).__name__}")
        vals = checked_scalar(v, d1.dtype)
    r = d1.copy()
    if reduce is None:
        r[coords] = vals
    elif reduce == "add":
        np.add.at(r, coords, vals)
    else:
        np.multiply.at(r, coords, vals)
    r = r.reshape(input._data.shape)
    ishape = coords[dim].shape
    if reduce is not None:
        if GRAD[0] and (input._rg or (src is not None and src._rg)):
            res = make(r, True, _ScatterNI((edge(input), edge(src) if src is not None else NO_EDGE)))
        else:
            res = make(r, False, None)
    else:
        keep = ~_hit_mask(d1.shape, coords)
        res = _record(r, input._data.shape, input, src, ScatterBackward0 if src is not None else ScatterBackward1,
                      (input._data.shape, coords, ishape, keep, None, None))
    return write_out(out, res)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor, *, out=None) -> Tensor:
    """torch.scatter_add: ``input`` plus ``src`` summed into the positions given by ``index``."""
    d1, coords, vals, dim = _scatter_prep(input, dim, index, src, "scatter_add")
    if d1.dtype.kind == "f":
        r = d1 + _accum(d1.shape, coords, np.broadcast_to(vals, coords[dim].shape))
    else:
        r = d1.copy()
        np.add.at(r, coords, vals)
    r = r.reshape(input._data.shape)
    res = _record(r, input._data.shape, input, src, ScatterAddBackward0,
                  (input._data.shape, coords, coords[dim].shape, None, None, None))
    return write_out(out, res)


_REDUCE_INIT = {"sum": 0, "mean": 0, "prod": 1}


def _reduce_init(reduce, dt):
    if reduce in _REDUCE_INIT:
        return _REDUCE_INIT[reduce]
    if dt.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    if dt.kind == "b":
        return reduce == "amin"
    info = np.iinfo(dt)
    return info.min if reduce == "amax" else info.max


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True, out=None) -> Tensor:
    """torch.scatter_reduce with ``reduce`` in sum / prod / mean / amax / amin."""
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    d1, coords, vals, dim = _scatter_prep(input, dim, index, src, "scatter_reduce")
    ishape = coords[dim].shape
    hit = _hit_mask(d1.shape, coords)
    r = d1.copy()
    if not include_self:
        r[hit] = _reduce_init(reduce, d1.dtype)
    uf = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}[reduce]
    uf.at(r, coords, vals)
    cnt = None
    if reduce == "mean":
        cnt = np.zeros(d1.shape, np.int64)
        np.add.at(cnt, coords, 1)
        cnt = cnt + (1 if include_self else 0)
        cnt[cnt == 0] = 1
        r = r / cnt if r.dtype.kind == "f" else np.floor_divide(r, cnt).astype(r.dtype)
        r = r.astype(d1.dtype, copy=False)
    A = B = C = None
    need = GRAD[0] and (input._rg or src._rg)
    if need:
        self_in = np.ones(d1.shape, np.bool_) if include_self else ~hit
        if reduce == "sum":
            A = None if include_self else self_in
        elif reduce == "mean":
            inv = 1.0 / cnt
            A = inv * self_in
            B = inv
        elif reduce in ("amax", "amin"):
            # ties share the gradient evenly; as in torch, an excluded self equal to the
            # result still counts in the share (but gets no gradient)
            self_eq = d1 == r
            src_c = vals == r[coords]
            n = self_eq.astype(np.int64)
            np.add.at(n, coords, src_c)
            inv = 1.0 / np.maximum(n, 1)
            A, B, C = (self_eq & self_in) * inv, inv, src_c
        else:
            A, C = _prod_others(d1, coords, vals, self_in)
    res = _record(r.reshape(input._data.shape), input._data.shape, input, src,
                  _ScatterProdBackward if reduce == "prod" else ScatterReduceBackward0,
                  (input._data.shape, coords, ishape, A, B, C))
    return write_out(out, res)


def _prod_others(d1, coords, vals, self_in):
    """For reduce='prod': the product of the other members of each element's group (exact
    with zeros), for the self elements (A) and the src elements (C)."""
    sv = np.where(self_in, d1, 1)
    nz_prod = np.where(sv == 0, 1, sv).astype(np.float64)
    zeros = (sv == 0).astype(np.int64)
    np.multiply.at(nz_prod, coords, np.where(vals == 0, 1, vals))
    np.add.at(zeros, coords, vals == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        def others(x, P, Z):
            return np.where(x == 0, np.where(Z == 1, P, 0), np.where(Z == 0, P / np.where(x == 0, 1, x), 0))
        A = others(sv, nz_prod, zeros) * self_in
        C = others(vals, nz_prod[coords], zeros[coords])
    return A, C


def _scatter_prod_bw(ctx, saved, g):
    if type(g) is not np.ndarray:
        raise NotImplementedError("double backward of scatter_reduce with reduce='prod' is not supported")
    return _scatter_bw(ctx, saved, g)


_ScatterProdBackward = _node("ScatterReduceBackward0", _scatter_prod_bw)


# ============================================================ index_* along a dim
def _along(dim, ix):
    return (_ALL,) * dim + (ix,)


def _index_select_bw(ctx, saved, g):
    shape1, idx, shape = ctx
    r = _gather_bw((shape1, idx, True), saved, g)[0]
    return (_reshape_to(r, shape),)


IndexSelectBackward0 = _node("IndexSelectBackward0", _index_select_bw)


def index_select(input: Tensor, dim: int, index: Tensor, *, out=None) -> Tensor:
    """torch.index_select: the entries of ``input`` at ``index`` (1-D) along ``dim``."""
    if not isinstance(index, Tensor):
        raise TypeError(f"index_select(): argument 'index' (position 3) must be Tensor, not {type(index).__name__}")
    ix = index._data
    if ix.dtype.name not in ("int64", "int32"):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if ix.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    d = input._data
    dim = normalize_dim(dim, d.ndim)
    ix = ix.reshape(-1)
    if d.ndim == 0 and ix.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {ix.size} value(s)")
    d1 = _as1(d)
    n = d1.shape[dim]
    if ix.size:
        if ix.min() < 0:
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={ix[ix < 0][0]} axis_dim={n}")
        if ix.max() >= n:
            raise IndexError("index out of range in self")
    idx = _along(dim, ix)
    r = d1[idx]
    if d.ndim == 0:
        r = r.reshape(())
    if GRAD[0] and input._rg:
        res = make(r, True, IndexSelectBackward0((edge(input),), (d1.shape, idx, d.shape)))
    else:
        res = make(r, False, None)
    return write_out(out, res)


def _index_add_bw(ctx, saved, g):
    shape1, idx, shape, sshape, alpha = ctx
    gi = g
    gs = None
    if sshape is not None:
        g1 = g if g.ndim else _reshape_to(g, (1,))
        gs = g1[idx] if type(g) is np.ndarray else _gather_idx(g1, idx)
        if alpha != 1:
            gs = gs * alpha
        gs = _reshape_to(gs, sshape)
    return gi, gs


IndexAddBackward0 = _node("IndexAddBackward0", _index_add_bw)


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1, out=None) -> Tensor:
    """torch.index_add: ``input`` with ``alpha * source`` added at ``index`` along ``dim``."""
    ix = index._data
    if ix.dtype.name not in ("int64", "int32"):
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: {lname(ix.dtype)}")
    if ix.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: {ix.ndim} with type: "
                         f"{lname(ix.dtype)} and size: {list(ix.shape)}")
    d, sd = input._data, source._data
    dim = normalize_dim(dim, d.ndim)
    ix = ix.reshape(-1)
    d1, s1 = _as1(d), _as1(sd)
    if s1.ndim != d1.ndim or s1.shape[dim] != ix.size:
        if s1.ndim == d1.ndim:
            raise RuntimeError(f"index_add_(): Number of indices ({ix.size}) should be equal to source.size(dim): "
                               f"({s1.shape[dim]}), for dim: {dim}")
    if s1.shape[:dim] + s1.shape[dim + 1:] != d1.shape[:dim] + d1.shape[dim + 1:]:
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(d.shape)} source.shape = {list(sd.shape)}")
    if sd.dtype != d.dtype:
        raise RuntimeError(f"index_add_(): self ({lname(d.dtype)}) and source ({lname(sd.dtype)}) must have the "
                           "same scalar type")
    ix = _bounds(ix, d1.shape[dim], dim)
    idx = _along(dim, ix)
    src = s1 if alpha == 1 else s1 * alpha
    if d1.dtype.kind == "f":
        r = d1 + _accum(d1.shape, idx, src.astype(d1.dtype, copy=False))
    else:
        r = d1.copy()
        np.add.at(r, idx, src.astype(d1.dtype, copy=False))
    r = r.reshape(d.shape)
    if GRAD[0] and (input._rg or source._rg):
        res = make(r, True, IndexAddBackward0((edge(input), edge(source)),
                                              (d1.shape, idx, d.shape, sd.shape if source._rg else None, alpha)))
    else:
        res = make(r, False, None)
    return write_out(out, res)


def _index_copy_bw(ctx, saved, g):
    shape1, idx, shape, sshape, keep = ctx
    gi = _mul_const(g, keep)
    gs = None
    if sshape is not None:
        g1 = g if g.ndim else _reshape_to(g, (1,))
        gs = _reshape_to(g1[idx] if type(g) is np.ndarray else _gather_idx(g1, idx), sshape)
    return gi, gs


IndexCopyBackward0 = _node("IndexCopyBackward0", _index_copy_bw)


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor, *, out=None) -> Tensor:
    """torch.index_copy: ``input`` with slices of ``source`` copied to ``index`` along ``dim``."""
    ix = index._data
    if ix.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {ix.ndim})")
    if ix.dtype.name != "int64":
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {lname(ix.dtype)}")
    d, sd = input._data, source._data
    dim = normalize_dim(dim, d.ndim)
    ix = ix.reshape(-1)
    d1, s1 = _as1(d), _as1(sd)
    if s1.ndim == d1.ndim and s1.shape[dim] != ix.size:
        raise IndexError(f"index_copy_(): Number of indices ({ix.size}) should be equal to source.size(dim) "
                         f"({s1.shape[dim]})")
    for k in range(d1.ndim):
        if k != dim and (k >= s1.ndim or s1.shape[k] != d1.shape[k]):
            j = k if k < dim else k - 1
            raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice shapes. Destination "
                               f"slice shape: {d1.shape[k]} at dimension {j} and source slice shape: "
                               f"{s1.shape[k] if k < s1.ndim else 1} at dimension {j}.")
    if sd.dtype != d.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{lname(d.dtype)} and (source) {lname(sd.dtype)}")
    ix = _bounds(ix, d1.shape[dim], dim, exc=IndexError, prefix="index_copy_(): ")
    idx = _along(dim, ix)
    r = d1.copy()
    r[idx] = s1
    r = r.reshape(d.shape)
    if GRAD[0] and (input._rg or source._rg):
        keep = np.ones(d1.shape, np.bool_)
        keep[idx] = False
        res = make(r, True, IndexCopyBackward0((edge(input), edge(source)),
                                               (d1.shape, idx, d.shape, sd.shape if source._rg else None,
                                                keep.reshape(d.shape))))
    else:
        res = make(r, False, None)
    return write_out(out, res)


def _index_fill_bw(ctx, saved, g):
    keep, need_v = ctx
    gi = _mul_const(g, keep)
    gv = None
    if need_v:
        gv = _mul_const(g, ~keep).sum()
        if type(g) is np.ndarray:
            gv = np.asarray(gv, g.dtype)
    return gi, gv


IndexFillBackward0 = _node("IndexFillBackward0", _index_fill_bw)
IndexFillBackward1 = _node("IndexFillBackward1", _index_fill_bw)


def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """torch.index_fill: ``input`` with the slices at ``index`` along ``dim`` set to ``value``."""
    ix = index._data
    if ix.dtype.name != "int64":
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if ix.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    vt = None
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        vt, v = value, value._data
    else:
        v = to_scalar(value)
        if v is None:
            raise TypeError(f"index_fill(): argument 'value' must be Number, not {type(value).__name__}")
    d = input._data
    dim = normalize_dim(dim, d.ndim)
    d1 = _as1(d)
    ix = _bounds(ix.reshape(-1), d1.shape[dim], dim, neg_ok=True, exc=IndexError)
    keep = np.ones(d1.shape, np.bool_)
    keep[_along(dim, ix)] = False
    keep = keep.reshape(d.shape)
    r = np.where(keep, d, v.astype(d.dtype) if vt is not None else checked_scalar(v, d.dtype))
    need_v = vt is not None and vt._rg
    if GRAD[0] and (input._rg or need_v):
        cls = IndexFillBackward1 if vt is not None else IndexFillBackward0
        return make(r, True, cls((edge(input), edge(vt) if vt is not None else NO_EDGE), (keep, need_v)))
    return make(r, False, None)




attach({
    "gather": gather, "scatter": scatter, "scatter_": inplace_method(scatter), "scatter_add": scatter_add,
    "scatter_add_": inplace_method(scatter_add), "scatter_reduce": scatter_reduce,
    "scatter_reduce_": inplace_method(scatter_reduce), "index_select": index_select, "index_add": index_add,
    "index_add_": inplace_method(index_add), "index_copy": index_copy, "index_copy_": inplace_method(index_copy),
    "index_fill": index_fill, "index_fill_": inplace_method(index_fill),
})
