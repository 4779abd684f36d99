"""Indexing: ``Tensor.__getitem__`` / ``__setitem__``, in-place ops on views (``CopySlices``),
and ``index_put``.

Basic indexing (ints, slices, None, Ellipsis) returns a view: the result shares the base's
memory and version counter, ``_base`` is the root base and ``__dict__['_view_fn']`` maps the
root's ndarray to the view's.  Advanced indexing (integer or bool tensors, lists) returns a
copy; as in torch, ints and slices are applied first (a view), then the advanced indices.

Two internal ops are each other's backward and serve every index-shaped gradient:
``_gather_idx(t, idx)`` (``t[idx]`` for a NumPy index tuple) and ``_embed(shape, idx, g)``
(zeros with ``g`` written or accumulated at ``idx``), so double backward works throughout.
The gather/scatter/index_* family lives in ``scatter.py``, take/put/nonzero/masked_* in
``masked.py``; both are re-exported from here.
"""
from __future__ import annotations

import operator
import warnings

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import GRAD
from ..autograd.graph import NO_EDGE, _LEGACY, const, edge, legacy_type_name, node_class, unpack_saved
from ._helpers import attach, make, to_scalar, unbroadcast
from .inplace import _rebase_history, check_inplace

__all__ = ["index_put", "index_put_"]

_ALL = slice(None)
_I64 = np.dtype(np.int64)
_I32 = np.dtype(np.int32)
_SEQ_WARN = ("Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in "
             "pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as tensor "
             "index, x[torch.tensor(seq)], which will result either in an error or a different result")
_U8_WARN = "indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead."
_ZERO_DIM = ("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ "
             "to convert a 0-dim tensor to a number")


def lname(dt) -> str:
    """torch's legacy scalar-type name of a NumPy dtype (``Float``, ``Long``...)."""
    n = np.dtype(dt).name
    return _LEGACY.get(n, n)


def _shape_list(s) -> str:
    return str(list(s))


def _node(name: str, bw):
    """``node_class`` whose formula always sees an ndarray (not a NumPy scalar) in array mode
    and returns ndarrays: 0-dim gradients reach it as NumPy scalars from arithmetic."""
    def f(ctx, saved, g):
        if type(g) is not np.ndarray and not isinstance(g, Tensor):
            g = np.asarray(g)
        r = bw(ctx, saved, g)
        for x in r:
            if isinstance(x, np.generic):
                return tuple(np.asarray(x) if isinstance(x, np.generic) else x for x in r)
        return r
    return node_class(name, f)


# ============================================================ generic index ops (gradients)
def _is_accum_free(idx) -> bool:
    """True when no element can be hit twice (only slices, ints and bool masks)."""
    for i in idx:
        if type(i) is np.ndarray and i.dtype.kind != "b":
            return False
    return True


def _accum(shape, idx, vals):
    """zeros(shape) with ``vals`` added at NumPy index tuple ``idx`` (repeats accumulate):
    ``bincount`` over linear positions for float values, ``np.add.at`` otherwise."""
    shape = tuple(shape)
    if vals.dtype.kind == "f" and idx:
        arrs = [k for k, i in enumerate(idx) if type(i) is np.ndarray]
        if len(idx) == len(shape) and len(arrs) == len(idx) and all(i.dtype.kind in "iu" for i in idx):
            lin = None
            stride = 1
            for i, s in zip(reversed(idx), reversed(shape)):
                i = _wrap_neg(i, s)
                lin = i * stride if lin is None else lin + i * stride
                stride *= s
            lin, vals = np.broadcast_arrays(lin, vals)
            return _bincount(lin, vals, shape)
        if len(arrs) == 1 and idx[arrs[0]].dtype.kind in "iu" and all(
                i is _ALL for k, i in enumerate(idx) if k != arrs[0]):
            k = arrs[0]
            ix = _wrap_neg(idx[k], shape[k])
            n = shape[k]
            if ix.size <= n and np.bincount(ix.ravel(), minlength=n).max(initial=0) <= 1:
                z = np.zeros(shape, vals.dtype)
                z[idx] = vals
                return z
            P = int(np.prod(shape[:k]))
            Q = int(np.prod(shape[k + 1:]))
            v = np.broadcast_to(vals, shape[:k] + ix.shape + shape[k + 1:]).reshape(P, ix.size, Q)
            lin = (np.arange(P)[:, None, None] * n + ix.reshape(1, -1, 1)) * Q + np.arange(Q)[None, None, :]
            return _bincount(lin, v, shape)
    z = np.zeros(shape, vals.dtype)
    np.add.at(z, idx, vals)
    return z


def _wrap_neg(i: np.ndarray, s: int) -> np.ndarray:
    return np.where(i < 0, i + s, i) if i.size and i.min() < 0 else i


def _bincount(lin: np.ndarray, vals: np.ndarray, shape) -> np.ndarray:
    r = np.bincount(lin.ravel(), weights=vals.ravel(), minlength=int(np.prod(shape)))
    return r.astype(vals.dtype, copy=False).reshape(shape)


def _embed_np(shape, idx, g, acc):
    if acc:
        return _accum(shape, idx, g)
    z = np.zeros(shape, g.dtype)
    z[idx] = g
    return z


def _gather_bw(ctx, saved, g):
    shape, idx, acc = ctx
    if type(g) is np.ndarray:
        return (_embed_np(shape, idx, g, acc),)
    return (_embed(shape, idx, g, acc),)


def _embed_bw(ctx, saved, g):
    shape, idx, acc = ctx
    if type(g) is np.ndarray:
        return (g[idx],)
    return (_gather_idx(g, idx),)


IndexBackward0 = _node("IndexBackward0", _gather_bw)
_EmbedBackward = _node("IndexPutBackward0", _embed_bw)


def _gather_idx(t: Tensor, idx, cls=IndexBackward0, shape=None) -> Tensor:
    """``t[idx]`` for a ready NumPy index tuple; a copy, differentiable."""
    d = t._data
    r = d[idx]
    has_arr = acc = False
    for i in idx:
        if type(i) is np.ndarray:
            has_arr = True
            if i.dtype.kind != "b":
                acc = True
    if not has_arr:
        r = np.array(r)
    if GRAD[0] and t._rg:
        return make(r, True, cls((edge(t),), (d.shape if shape is None else shape, idx, acc)))
    return make(r, False, None)


def _embed(shape, idx, g: Tensor, acc: bool) -> Tensor:
    """zeros(shape) with ``g`` written (or accumulated) at ``idx``; differentiable in ``g``."""
    z = _embed_np(shape, idx, g._data, acc)
    if GRAD[0] and g._rg:
        return make(z, True, _EmbedBackward((edge(g),), (shape, idx, acc)))
    return make(z, False, None)


def _sum_to(g, shape):
    """Sum a gradient to a value's ``shape``, which may carry extra leading 1-dims."""
    if g.shape == shape:
        return g
    k = len(shape) - g.ndim
    r = unbroadcast(g, tuple(shape[k:])).reshape(shape) if k > 0 else unbroadcast(g, tuple(shape))
    return r if isinstance(r, (Tensor, np.ndarray)) else np.asarray(r)


def _const(a: np.ndarray) -> Tensor:
    return make(a, False, None)


# ============================================================ views
class _ViewFn:
    """Maps the root base's ndarray to a view's ndarray (composes with the parent's map)."""

    __slots__ = ("parent", "idx")

    def __init__(self, parent, idx) -> None:
        self.parent = parent
        self.idx = idx

    def __call__(self, a):
        p = self.parent
        return (a if p is None else p(a))[self.idx]


def _view_bw(ctx, saved, g):
    shape, idx = ctx
    if type(g) is np.ndarray:
        z = np.zeros(shape, g.dtype)
        z[idx] = g
        return (z,)
    return (_embed(shape, idx, g, False),)


SelectBackward0 = _node("SelectBackward0", _view_bw)
SliceBackward0 = _node("SliceBackward0", _view_bw)
UnsqueezeBackward0 = _node("UnsqueezeBackward0", _view_bw)
AliasBackward0 = _node("AliasBackward0", _view_bw)


def _basic(self: Tensor, idx: tuple, cls) -> Tensor:
    """The view ``self[idx]`` (``idx`` a NumPy basic index ending in Ellipsis)."""
    d = self._data
    r = d[idx]
    if GRAD[0] and self._rg:
        res = make(r, True, cls((edge(self),), (d.shape, idx)))
    else:
        res = make(r, False, None)
    res._vc = self._vc
    base = self._base
    pf = None
    if base is not None:
        pf = self.__dict__.get("_view_fn")
        if pf is None:
            base = self
    else:
        base = self
    res._base = base
    res.__dict__["_view_fn"] = _ViewFn(pf, idx)
    return res


def _root_layout(a: np.ndarray) -> list:
    """The ctx cache of a view-of-root node: starts with the root's axis order in memory.
    Buffers the view function is applied to must be laid out like the root, or NumPy's
    reshape inside the view chain would copy instead of viewing."""
    return [tuple(np.argsort([-s for s in a.strides], kind="stable").tolist())]


def _like_root(cache: list, shape, dtype, fill=None) -> np.ndarray:
    order = cache[0]
    buf = np.empty([shape[i] for i in order], dtype=dtype).transpose(np.argsort(order))
    if fill is not None:
        buf[...] = fill
    return buf


def _flat_coords(ctx):
    """The view's region in the base as a tuple of coordinate arrays (cached in ``ctx``)."""
    cache = ctx[-1]
    if len(cache) < 2:
        vf, shape = ctx[0], ctx[-2]
        ids = _like_root(cache, shape, np.int64, np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape))
        flat = np.array(vf(ids))
        cache.append(np.unravel_index(flat, shape) if len(shape) else ())
    return cache[1]


def _as_strided_bw(ctx, saved, g):
    vf, shape, cache = ctx
    if type(g) is np.ndarray:
        z = _like_root(cache, shape, g.dtype, 0)
        vf(z)[...] = g
        return (z,)
    return (_embed(shape, _flat_coords(ctx), g, False),)


def _copy_slices_bw(ctx, saved, g):
    vf, fn, shape, cache = ctx
    if type(g) is np.ndarray:
        gb = _like_root(cache, shape, g.dtype, g)
        region = vf(gb)
        res = fn._bw(fn._ctx, unpack_saved(fn, False), region.copy())
        r0 = res[0]
        region[...] = 0 if r0 is None else r0
        return (gb,) + tuple(res[1:])
    from .elementwise import add, mul
    idx = _flat_coords(ctx)
    res = fn._bw(fn._ctx, unpack_saved(fn, True), _gather_idx(g, idx))
    keep = np.ones(shape, g._data.dtype)
    keep[idx] = 0
    gb = mul(g, _const(keep))
    if res[0] is not None:
        gb = add(gb, _embed(shape, idx, res[0], False))
    return (gb,) + tuple(res[1:])


AsStridedBackward0 = _node("AsStridedBackward0", _as_strided_bw)
CopySlices = _node("CopySlices", _copy_slices_bw)
CopySlices.name = lambda self: "torch::autograd::CopySlices"


def copy_slices(base: Tensor, view: Tensor, fn) -> None:
    """After an in-place op on ``view`` recorded as ``fn``, make ``base`` (the root) own the
    history: its grad_fn becomes ``CopySlices`` and the view reads back through it."""
    vf = view.__dict__["_view_fn"]
    shape = base._data.shape
    node = CopySlices((edge(base),) + tuple(fn.next_functions[1:]), (vf, fn, shape, _root_layout(base._data)), (const(None),))
    base.grad_fn = node
    base._rg = True
    base._output_nr = 0
    view.grad_fn = AsStridedBackward0(((node, 0),), (vf, shape, _root_layout(base._data)))
    view._rg = True
    view._output_nr = 0


def refresh_view(t: Tensor) -> None:
    """A view whose base was modified in place through another view since the view's grad_fn
    was made reads its gradient through the base's new history (torch regenerates it)."""
    base = t._base
    bf = base.grad_fn
    if type(bf) is CopySlices:
        f = t.grad_fn
        if (f is None or f._seq < bf._seq) and "_view_fn" in t.__dict__:
            t.grad_fn = AsStridedBackward0(((bf, 0),), (t.__dict__["_view_fn"], base._data.shape, _root_layout(base._data)))
            t._rg = True
            t._output_nr = 0


# ============================================================ index parsing
def _seq_as_tuple(seq: list) -> bool:
    if len(seq) >= 32:
        return False
    for it in seq:
        if it is None or it is Ellipsis or isinstance(it, (Tensor, np.ndarray, list, tuple, slice)):
            return True
    return False


def _index_array(a: np.ndarray):
    """Classify an array index: ('b', bool) scalar bool, ('m', mask), ('i', int), ('a', ints)."""
    k = a.dtype.kind
    if k == "b":
        return ("b", bool(a)) if a.ndim == 0 else ("m", a)
    if a.dtype == np.uint8:
        warnings.warn(_U8_WARN, UserWarning, stacklevel=4)
        a = a.astype(bool)
        return ("b", bool(a)) if a.ndim == 0 else ("m", a)
    if a.dtype != _I64 and a.dtype != _I32:
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if a.ndim == 0:
        return "i", int(a)
    return "a", a


def _classify(it):
    t = type(it)
    if t is int:
        return "i", it
    if t is slice:
        return "s", it
    if it is None:
        return "n", None
    if it is Ellipsis:
        return "e", None
    if t is bool or t is np.bool_:
        return "b", bool(it)
    if isinstance(it, Tensor):
        return _index_array(it._data)
    if isinstance(it, np.ndarray):
        return _index_array(it)
    if isinstance(it, np.integer):
        return "i", int(it)
    if isinstance(it, (list, tuple)):
        a = np.asarray([x._data if isinstance(x, Tensor) else x for x in it])
        if a.size == 0 and a.dtype.kind == "f":
            a = a.astype(np.int64)
        return _index_array(a)
    if not isinstance(it, (float, str, bytes)) and hasattr(it, "__index__"):
        return "i", operator.index(it)
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
                     f"indices (got {t.__name__})")


def _check_step(s: slice) -> None:
    st = s.step
    if st is not None:
        st = operator.index(st)
        if st == 0:
            raise ValueError("slice step cannot be zero")
        if st < 0:
            raise ValueError("step must be greater than zero")


def _is_full(s: slice, n: int) -> bool:
    return (s.start is None or s.start == 0) and (s.step is None or s.step == 1) and (
        s.stop is None or s.stop >= n)


def _parse(idx, shape):
    """Split an index into (basic, adv, cls, ident, checks).

    ``basic``: a NumPy basic index (ending in Ellipsis) or None when nothing but advanced
    indices and full slices; ``cls``: the view node class torch reports; ``adv``: the NumPy
    index applied to the basic result (or None); ``ident``: the basic part is the identity;
    ``checks``: deferred checks of the advanced indices against the basic result's shape.
    """
    if type(idx) is tuple:
        items, single = idx, False
    elif type(idx) is list and _seq_as_tuple(idx):
        warnings.warn(_SEQ_WARN, UserWarning, stacklevel=3)
        items, single = tuple(idx), False
    else:
        items, single = (idx,), True
    kinds = [_classify(it) for it in items]
    ndim = len(shape)
    consumed = 0
    for k, v in kinds:
        if k == "i" or k == "s" or k == "a":
            consumed += 1
        elif k == "m":
            consumed += v.ndim
    if consumed > ndim:
        if single and ndim == 0 and kinds[0][0] == "i":
            raise IndexError(_ZERO_DIM)
        if single and ndim == 0 and kinds[0][0] == "s":
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    basic, adv, checks = [], [], []
    cls = None
    ident = True
    cur = pos = advk = 0
    ell = False
    for k, v in kinds:
        if k == "i":
            n = shape[cur]
            if v >= n or v < -n:
                raise IndexError(f"index {v} is out of bounds for dimension {pos} with size {n}")
            basic.append(v)
            cur += 1
            cls = SelectBackward0
            ident = False
        elif k == "s":
            _check_step(v)
            basic.append(v)
            adv.append(_ALL)
            if single or not _is_full(v, shape[cur]):
                cls = SliceBackward0
                ident = ident and _is_full(v, shape[cur])
            cur += 1
            pos += 1
        elif k == "n":
            basic.append(None)
            adv.append(_ALL)
            pos += 1
            cls = UnsqueezeBackward0
            ident = False
        elif k == "e":
            m = 0 if ell else ndim - consumed
            ell = True
            basic.extend([_ALL] * m)
            adv.extend([_ALL] * m)
            cur += m
            pos += m
        elif k == "b":
            basic.append(None)
            adv.append(np.zeros(1 if v else 0, np.int64))
            pos += 1
            advk += 1
            cls = UnsqueezeBackward0
            ident = False
        elif k == "m":
            basic.extend([_ALL] * v.ndim)
            adv.append(v)
            checks.append(("m", v, pos, advk))
            cur += v.ndim
            pos += v.ndim
            advk += v.ndim
        else:
            basic.append(_ALL)
            adv.append(v)
            checks.append(("a", v, pos, advk))
            cur += 1
            pos += 1
            advk += 1
    has_adv = any(type(a) is np.ndarray for a in adv)
    if has_adv:
        while adv and adv[-1] is _ALL:
            adv.pop()
        adv = tuple(adv)
        basic = None if ident else tuple(basic) + (Ellipsis,)
    else:
        adv = None
        basic = tuple(basic) + (Ellipsis,)
        if cls is None:
            cls = AliasBackward0
    return basic, adv, cls, ident, checks


def _run_checks(checks, bs) -> None:
    """Mask shapes and index bounds, against the shape ``bs`` of the basic result."""
    for k, v, p, advk in checks:
        if k == "m":
            for j, s in enumerate(v.shape):
                if s != bs[p + j]:
                    raise IndexError(f"The shape of the mask {_shape_list(v.shape)} at index {j} does not match "
                                     f"the shape of the indexed tensor {_shape_list(bs)} at index {p + j}")
        elif v.size:
            n = bs[p]
            if v.max() >= n or v.min() < -n:
                bad = v[(v >= n) | (v < -n)].flat[0]
                raise IndexError(f"index {bad} is out of bounds for dimension {advk} with size {n}")


# ============================================================ __getitem__
def _fast_tuple(self: Tensor, idx: tuple):
    """A tuple of only ints and slices (the common case): the view, or None to fall back."""
    shape = self._data.shape
    if len(idx) > len(shape):
        return None
    cls = None
    pos = 0
    for k, it in enumerate(idx):
        ti = type(it)
        if ti is int:
            n = shape[k]
            if it >= n or it < -n:
                raise IndexError(f"index {it} is out of bounds for dimension {pos} with size {n}")
            cls = SelectBackward0
        elif ti is slice:
            if it.step is not None:
                _check_step(it)
            if not _is_full(it, shape[k]):
                cls = SliceBackward0
            pos += 1
        else:
            return None
    return _basic(self, idx + (Ellipsis,), cls or AliasBackward0)


def _getitem(self: Tensor, idx) -> Tensor:
    """``tensor[idx]``: a view for basic indexing, a copy for advanced indexing."""
    if self._base is not None:
        refresh_view(self)
    t = type(idx)
    if t is int:
        s = self._data.shape
        if not s:
            raise IndexError(_ZERO_DIM)
        if idx >= s[0] or idx < -s[0]:
            raise IndexError(f"index {idx} is out of bounds for dimension 0 with size {s[0]}")
        return _basic(self, (idx, Ellipsis), SelectBackward0)
    if t is slice:
        if not self._data.shape:
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        if idx.step is not None:
            _check_step(idx)
        return _basic(self, (idx, Ellipsis), SliceBackward0)
    if t is tuple:
        r = _fast_tuple(self, idx)
        if r is not None:
            return r
    elif t is Tensor:
        a = idx._data
        if a.dtype == _I64 and a.ndim and self._data.ndim:
            _run_checks((("a", a, 0, 0),), self._data.shape)
            return _gather_idx(self, (a,))
    basic, adv, cls, ident, checks = _parse(idx, self._data.shape)
    res = self if basic is None else _basic(self, basic, cls)
    if adv is None:
        return res
    _run_checks(checks, res._data.shape)
    return _gather_idx(res, adv)


# ============================================================ __setitem__ / index_put
def _copy_bw(ctx, saved, g):
    vshape, vdt = ctx
    arr = type(g) is np.ndarray
    z = np.zeros_like(g) if arr else _const(np.zeros(g.shape, g._data.dtype))
    if vshape is None:
        return z, None
    gv = _sum_to(g, vshape)
    return z, (gv.astype(vdt, copy=False) if arr else gv.to(vdt))


CopyBackwards = _node("CopyBackwards", _copy_bw)
FillBackward3 = _node("FillBackward3", _copy_bw)


def _strip_lead(vd: np.ndarray, nd: int) -> np.ndarray:
    """Drop leading size-1 dims of a value beyond ``nd`` (torch does before copying)."""
    s = vd.shape
    k = 0
    while len(s) - k > nd and s[k] == 1:
        k += 1
    return vd.reshape(s[k:]) if k else vd


def _expand_check(vd: np.ndarray, shape) -> None:
    vs = vd.shape
    if len(vs) > len(shape):
        raise RuntimeError(f"expand({legacy_type_name(vd)}{{{_shape_list(vs)}}}, size={_shape_list(shape)}): the "
                           f"number of sizes provided ({len(shape)}) must be greater or equal to the number of "
                           f"dimensions in the tensor ({len(vs)})")
    off = len(shape) - len(vs)
    for i in range(len(vs) - 1, -1, -1):
        if vs[i] != 1 and vs[i] != shape[i + off]:
            raise RuntimeError(f"The expanded size of the tensor ({shape[i + off]}) must match the existing size "
                               f"({vs[i]}) at non-singleton dimension {i + off}.  Target sizes: {_shape_list(shape)}."
                               f"  Tensor sizes: {_shape_list(vs)}")


_OVERLAP = ("unsupported operation: some elements of the input tensor and the written-to tensor refer to a "
            "single memory location. Please clone() the tensor before performing the operation.")


def _same_view(a: np.ndarray, b: np.ndarray) -> bool:
    return (a.shape == b.shape and a.strides == b.strides
            and a.__array_interface__["data"][0] == b.__array_interface__["data"][0])


def _copy_into(target: Tensor, vt, vd) -> None:
    """``target[...] = value`` in place (a scalar, or a tensor broadcast to target's shape)."""
    check_inplace(target)
    td = target._data
    if vt is not None:
        if vd.size > 1 and np.may_share_memory(td, vd) and not _same_view(td, vd):
            raise RuntimeError(_OVERLAP)
        v2 = _strip_lead(vd, td.ndim)
        _expand_check(v2, td.shape)
        np.copyto(td, v2, casting="unsafe")
    else:
        td[...] = vd
    target._vc[0] += 1
    if GRAD[0] and (target._rg or (vt is not None and vt._rg)):
        if vt is None:
            node = FillBackward3((edge(target), NO_EDGE), (None, None))
        else:
            cls = FillBackward3 if vd.ndim == 0 else CopyBackwards  # torch fills with a 0-dim value
            node = cls((edge(target), edge(vt)), (vd.shape if vt._rg else None, vd.dtype))
        _rebase_history(target, node)


def _index_put_bw(ctx, saved, g):
    adv, vshape, vdt, accumulate = ctx
    if type(g) is np.ndarray:
        if accumulate:
            gs = g
        else:
            gs = g.copy()
            gs[adv] = 0
        gv = None
        if vshape is not None:
            gv = _sum_to(g[adv], vshape).astype(vdt, copy=False)
        return gs, gv
    gs = g
    if not accumulate:
        from .elementwise import mul
        keep = np.ones(g.shape, g._data.dtype)
        keep[adv] = 0
        gs = mul(g, _const(keep))
    gv = None if vshape is None else _sum_to(_gather_idx(g, adv), vshape).to(vdt)
    return gs, gv


IndexPutBackward0 = _node("IndexPutBackward0", _index_put_bw)


def _put_adv(target: Tensor, adv, vt, vd, accumulate: bool, check_dtype: bool) -> None:
    """``target[adv] = value`` (or ``+=`` with ``accumulate``) in place; ``adv`` is checked."""
    check_inplace(target)
    td = target._data
    if vt is not None and check_dtype and vd.dtype != td.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got {lname(td.dtype)} "
                           f"for the destination and {lname(vd.dtype)} for the source.")
    if vt is not None and check_dtype and np.may_share_memory(td, vd):
        raise RuntimeError(_OVERLAP)
    src = vd.astype(td.dtype, copy=False) if vt is not None else vd
    try:
        if accumulate:
            if _is_accum_free(adv):
                td[adv] += src
            else:
                np.add.at(td, adv, src)
        else:
            td[adv] = src
    except ValueError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {_shape_list(np.shape(vd))} cannot be "
                           f"broadcast to indexing result of shape {_shape_list(td[adv].shape)}") from None
    target._vc[0] += 1
    if GRAD[0] and (target._rg or (vt is not None and vt._rg)):
        vr = vt is not None and vt._rg
        node = IndexPutBackward0((edge(target), edge(vt) if vt is not None else NO_EDGE),
                                 (adv, vd.shape if vr else None, vd.dtype if vr else None, accumulate))
        _rebase_history(target, node)


_C_TYPE = {"int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t", "uint8": "uint8_t",
           "float32": "float", "float64": "double"}


def checked_scalar(v, dt: np.dtype) -> np.ndarray:
    """A Python scalar as a 0-dim array of ``dt``, with torch's overflow errors."""
    if type(v) is int and not -2 ** 63 <= v < 2 ** 63:
        raise ValueError("Overflow when unpacking long long")
    k = dt.kind
    bad = False
    if k in "iu":
        info = np.iinfo(dt)
        if isinstance(v, float):
            bad = not (info.min <= v <= info.max)  # also NaN / inf
        elif not isinstance(v, bool):
            bad = v > info.max or v < (info.min if k == "i" else -(info.max + 1))
    elif k == "f" and dt.itemsize > 2 and not isinstance(v, bool):
        bad = abs(v) > float(np.finfo(dt).max) and v == v and abs(v) != float("inf")
    if bad:
        raise RuntimeError(f"value cannot be converted to type {_C_TYPE.get(dt.name, dt.name)} without overflow")
    with np.errstate(over="ignore", invalid="ignore"):
        return np.array(v).astype(dt)


def _value_of(value, self: Tensor):
    if isinstance(value, Tensor):
        return value, value._data
    s = to_scalar(value) if not isinstance(value, np.ndarray) else None
    if s is None or isinstance(s, complex):
        tn = type(value)
        name = tn.__name__ if tn.__module__ == "builtins" else f"{tn.__module__}.{tn.__name__}"
        raise TypeError(f"can't assign a {name} to a {legacy_type_name(self._data)}")
    return None, checked_scalar(s, self._data.dtype)


def _setitem(self: Tensor, idx, value) -> None:
    """``tensor[idx] = value``: in place, with autograd (views rebase their base's history)."""
    if self._base is not None:
        refresh_view(self)
    vt, vd = _value_of(value, self)
    basic, adv, cls, ident, checks = _parse(idx, self._data.shape)
    if adv is None:
        target = self if ident else _basic(self, basic, cls)
        _copy_into(target, vt, vd)
        return
    target = self if basic is None else _basic(self, basic, cls)
    _run_checks(checks, target._data.shape)
    # a lone bool mask with a 0-dim value is torch's masked_fill path: no dtype check
    masked_fill_path = len(adv) == 1 and adv[0].dtype.kind == "b" and vt is not None and vd.ndim == 0
    _put_adv(target, adv, vt, vd, False, not masked_fill_path)


def _indices_tuple(indices, shape):
    """index_put's ``indices`` (a tuple of tensors, each an advanced index) as a checked
    NumPy index tuple."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' must be tuple of Tensors, not {type(indices).__name__}")
    adv, checks = [], []
    pos = 0
    for i, it in enumerate(indices):
        if not isinstance(it, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 1, but got {type(it).__name__}")
        a = it._data
        if a.dtype == np.uint8:
            warnings.warn(_U8_WARN, UserWarning, stacklevel=3)
            a = a.astype(bool)
        if a.dtype.kind == "b":
            checks.append(("m", a, pos, pos))
            pos += a.ndim
        elif a.dtype == _I64 or a.dtype == _I32:
            checks.append(("a", a, pos, pos))
            pos += 1
        else:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        adv.append(a)
    if pos > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)} (got {len(indices)})")
    _run_checks(checks, shape)
    return tuple(adv)


def index_put_(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """In-place ``input[indices] = values`` (``+=`` with ``accumulate``)."""
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put_(): argument 'values' (position 2) must be Tensor, not {type(values).__name__}")
    adv = _indices_tuple(indices, input._data.shape)
    _put_adv(input, adv, values, values._data, bool(accumulate), True)
    return input


def index_put(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """Out-of-place ``index_put_``: a copy of ``input`` with ``values`` put at ``indices``."""
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put(): argument 'values' (position 3) must be Tensor, not {type(values).__name__}")
    from .convert import clone
    out = clone(input)
    adv = _indices_tuple(indices, input._data.shape)
    _put_adv(out, adv, values, values._data, bool(accumulate), True)
    return out




attach({"__getitem__": _getitem, "__setitem__": _setitem, "index_put_": index_put_, "index_put": index_put})

# the rest of the family, re-exported so ``numtorch`` needs only this module's import
from .scatter import *  # noqa: E402,F401,F403
from .masked import *  # noqa: E402,F401,F403
from . import masked as _masked, scatter as _scatter  # noqa: E402

__all__ += _scatter.__all__ + _masked.__all__


# views consult the base's latest history wherever the engine takes an edge
from ..autograd import graph as _graph  # noqa: E402

_graph.refresh_view = refresh_view
