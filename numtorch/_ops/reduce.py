"""Reductions: sum/nansum/mean/nanmean/prod, max/min/amax/amin/argmax/argmin/aminmax, norm,
logsumexp, all/any, count_nonzero, and ``torch.return_types``; the shared reduction plumbing
(dim normalisation, result and node wrapping) that ``scan.py`` and ``stats.py`` build on.

The scans (cumsum/cumprod/cummax/cummin, ``scan.py``) and the statistics (std/var/std_mean/
var_mean/median/nanmedian/mode, ``stats.py``) live in their own files; every public name of both
is re-exported here, so ``from numtorch._ops.reduce import *`` gives the whole family.

Each op runs one vectorised NumPy reduction and, when a graph is recorded, attaches a node
named as torch's (``SumBackward0``, ``MaxBackward0``, ``LinalgVectorNormBackward0``...).
Backward formulas work on arrays, and on Tensors under ``create_graph=True``.  torch's rules
are matched: sums/products of integers and bools give int64, ``mean`` of an integer tensor
raises, ``dim`` takes an int or a tuple where torch allows, ``dim=()`` reduces everything
(except ``all``/``any``, which then reduce nothing), ties split the gradient evenly for
``max()``/``amax``, and dim-wise ``max``/``min`` route it to the returned index.  Dim-wise
selections return ``torch.return_types``-like named tuples.
"""
from __future__ import annotations

import functools
import inspect
import math

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD
from ..autograd.graph import _LEGACY, edge, node_class, out_rec, save
from ._helpers import attach, make, write_out
from .sorting import return_type

__all__ = [
    "sum", "nansum", "mean", "nanmean", "prod", "max", "min", "amax", "amin", "argmax", "argmin",
    "aminmax", "norm", "logsumexp", "all", "any", "count_nonzero", "return_types",
]

ndarray = np.ndarray
_bmax = max  # the builtin, before ``max`` is shadowed below
_INT64 = np.dtype(np.int64)
_F32 = np.dtype(np.float32)
_INTS = (int, np.integer)


_NO = type("_Missing", (), {"__repr__": lambda self: "None", "__doc__": "``dim`` not given: torch tells ``x.sum()``"
           " (SumBackward0) from ``x.sum(dim=None)`` (SumBackward1)."})()


class return_types:  # noqa: N801 - torch's name
    """``torch.return_types``: the named-tuple classes of dim-wise selections (``sorting.return_type``
    makes and caches them, so ``sort``/``topk`` results share the scheme)."""
    max, min, median, nanmedian, mode, cummax, cummin, sort, topk, kthvalue = (
        return_type(n, ("values", "indices"))
        for n in ("max", "min", "median", "nanmedian", "mode", "cummax", "cummin", "sort", "topk", "kthvalue"))
    aminmax = return_type("aminmax", ("min", "max"))


# ------------------------------------------------------------------ shared plumbing
def _check(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    return x._data


def _legacy(dt) -> str:
    return _LEGACY.get(np.dtype(dt).name, np.dtype(dt).name)


def _wrap(d, nd):
    n = nd or 1
    if not -n <= d < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
    return d % n


def _axes(dim, nd, empty_all=True):
    """Normalised reduction axes; ``None`` (and ``()`` when ``empty_all``) mean all axes."""
    if dim is None or dim is _NO:
        return tuple(range(nd))
    if isinstance(dim, _INTS):
        d = _wrap(int(dim), nd)
        return (d,) if nd else ()
    out = []
    for d in dim:
        d = _wrap(int(d), nd)
        if d in out:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        out.append(d)
    if not out and empty_all:
        return tuple(range(nd))
    return tuple(out) if nd else ()


def _int_dim(dim, nd, name):
    if not isinstance(dim, _INTS):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    return _wrap(int(dim), nd)


def _kshape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _numel(shape, axes):
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _keep(a, c):
    """An output-shaped array/tensor in the keepdim shape (``c = (in_shape, axes, keepdim, ...)``)."""
    return a if c[2] or not c[1] else a.reshape(_kshape(c[0], c[1]))


def _expand(g, c):
    """An output gradient broadcast back over the input's shape."""
    g = _keep(g, c)
    return g.expand(c[0]) if isinstance(g, Tensor) else np.broadcast_to(g, c[0])


def _as(g, dt):
    """Cast a gradient back to the input's NumPy dtype ``dt`` (None: leave it)."""
    if dt is None or g is None:
        return g
    if not isinstance(g, Tensor):
        return g if g.dtype == dt else g.astype(dt)
    return g if g._data.dtype == dt else g.to(D.from_np(dt))


def _t(a):
    return make(np.asarray(a), False, None)


def _res(r, input, cls, ctx, saved=(), save_out=False):
    """Wrap ``r`` as the op's result, recording ``cls`` when ``input`` needs a gradient."""
    if type(r) is not ndarray:
        r = np.asarray(r)
    if GRAD[0] and input._rg:
        if r.dtype.kind != "f":   # an integer ``dtype=`` asked of a tensor that requires grad
            raise RuntimeError(f"Autograd not support dtype: {_legacy(r.dtype)}")
        node = cls((edge(input),), ctx, saved)
        res = make(r, True, node)
        if save_out:
            node._saved = tuple(saved) + (out_rec(res),)
        return res
    return make(r, False, None)


def _res2(r0, r1, input, cls, ctx, saved, save_outs=False):
    """Two differentiable outputs of one node (``StdMeanBackward0``, ``AminmaxBackward0``)."""
    if GRAD[0] and input._rg and r0.dtype.kind == "f":
        node = cls((edge(input),), ctx, saved)
        a, b = make(r0, True, node), make(r1, True, node)
        b._output_nr = 1
        if save_outs:
            node._saved = saved + (out_rec(a), out_rec(b))
        return a, b
    return make(r0, False, None), make(r1, False, None)


def _w(mask, a, b=0.0):
    """``where(mask, a, b)`` in the namespace of ``a`` (array or Tensor)."""
    if not isinstance(a, Tensor) and not isinstance(mask, Tensor):
        return np.where(mask, a, b)
    from .elementwise import where
    return where(mask if isinstance(mask, Tensor) else _t(mask), a, b)


def _sign(x):
    return np.sign(x) if not isinstance(x, Tensor) else x.sign()


def _add_opt(a, b):
    return b if a is None else a if b is None else a + b


def _reduce(uf, x, axes, keepdim, tdt):
    """``uf.reduce`` over ``axes`` giving dtype ``tdt`` (float16 accumulates in float32, as torch)."""
    if tdt.kind == "f" and tdt.itemsize == 2:
        return uf.reduce(x, axes, _F32, None, keepdim).astype(tdt)
    return np.asarray(uf.reduce(x, axes, None if x.dtype == tdt and tdt.kind == "f" else tdt, None, keepdim))


def _sum_dtype(d, dtype):
    """The input cast to ``dtype`` and the result dtype (ints and bools sum to int64)."""
    if dtype is not None:
        t = D.to_dtype(dtype).np
        return (d if d.dtype == t else d.astype(t)), t
    return d, (_INT64 if d.dtype.kind in "biu" else d.dtype)


def _done(res, out):
    return res if out is None else write_out(out, res)


def _aliases(kw):
    """torch also takes NumPy's ``axis=`` and ``keepdims=`` for ``dim=`` and ``keepdim=``."""
    if "axis" in kw:
        kw["dim"] = kw.pop("axis")
    if "keepdims" in kw:
        kw["keepdim"] = kw.pop("keepdims")
    return kw


def _np_names(f):
    def op(*args, **kwargs):
        return f(*args, **_aliases(kwargs)) if kwargs else f(*args)
    return functools.update_wrapper(op, f)


def _flag(impl, flag, name, doc):
    """The public op ``name``: ``impl`` with its first (flag) argument fixed; ``impl``'s other parameters."""
    def op(*args, **kwargs):
        return impl(flag, *args, **_aliases(kwargs)) if kwargs else impl(flag, *args)
    sig = inspect.signature(impl)
    op.__signature__ = sig.replace(parameters=list(sig.parameters.values())[1:])
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


# ------------------------------------------------------------------ sum / nansum / mean / nanmean
def _sum_bw(c, s, g):
    return (_as(_expand(g, c), c[3]),)


def _nansum_bw(c, s, g):
    x = s[0]
    return (_as(_w(~np.isnan(x) if not isinstance(x, Tensor) else ~x.isnan(), _expand(g, c)), c[3]),)


def _mean_bw(c, s, g):
    n = c[4]
    return (_as(_expand(g / n if n else g * math.nan, c), c[3]),)


SumBackward0 = node_class("SumBackward0", _sum_bw)
SumBackward1 = node_class("SumBackward1", _sum_bw)
NansumBackward0 = node_class("NansumBackward0", _nansum_bw)
MeanBackward0 = node_class("MeanBackward0", _mean_bw)
MeanBackward1 = node_class("MeanBackward1", _mean_bw)


@_np_names
def sum(input, dim=_NO, keepdim=False, *, dtype=None, out=None):  # noqa: A001
    """torch.sum: all elements (0-dim result) or over ``dim`` (int/tuple); ints and bools give int64."""
    if dim is _NO and dtype is None and out is None and not keepdim:   # the lean path (losses)
        d = input._data if type(input) is Tensor else _check(input, "sum")
        if d.dtype.kind == "f" and d.dtype.itemsize > 2:
            r = np.asarray(np.add.reduce(d, None))
            if GRAD[0] and input._rg:
                return make(r, True, SumBackward0((edge(input),), (d.shape, (), True, None)))
            return make(r, False, None)
    d = _check(input, "sum")
    if dim is _NO and keepdim:
        raise TypeError("sum() received an invalid combination of arguments - got (Tensor, keepdim=bool)")
    axes = _axes(dim, d.ndim)
    x, tdt = _sum_dtype(d, dtype)
    res = _res(_reduce(np.add, x, axes, keepdim, tdt), input, SumBackward0 if dim is _NO else SumBackward1,
               (d.shape, axes, keepdim, d.dtype if tdt != d.dtype else None))
    return _done(res, out)


@_np_names
def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """torch.nansum: the sum treating NaN as zero (gradient 0 at the NaNs)."""
    d = _check(input, "nansum")
    axes = _axes(dim, d.ndim)
    x, tdt = _sum_dtype(d, dtype)
    if x.dtype.kind == "f":
        x = np.where(np.isnan(x), 0, x)
    res = _res(_reduce(np.add, x, axes, keepdim, tdt), input, NansumBackward0,
               (d.shape, axes, keepdim, d.dtype if tdt != d.dtype else None), (save(input),))
    return _done(res, out)


def _float_input(d, dtype, name):
    if dtype is None:
        if d.dtype.kind != "f":
            raise RuntimeError(f"{name}(): could not infer output dtype. Input dtype must be either a floating "
                               f"point or complex dtype. Got: {_legacy(d.dtype)}")
        return d
    t = D.to_dtype(dtype)
    if not t.is_floating_point:
        raise RuntimeError(f"{name}(): could not infer output dtype. Optional dtype must be either a floating "
                           f"point or complex dtype. Got: {_legacy(t.np)}")
    return d if d.dtype == t.np else d.astype(t.np)


@_np_names
def mean(input, dim=_NO, keepdim=False, *, dtype=None, out=None):
    """torch.mean over all elements or ``dim``; integer inputs raise torch's dtype error."""
    d = _check(input, "mean")
    if dim is _NO and dtype is None and out is None and not keepdim and d.dtype.kind == "f" \
            and d.dtype.itemsize > 2 and d.size:   # the lean path (losses)
        r = np.asarray(np.add.reduce(d, None) / d.size)
        if GRAD[0] and input._rg:
            return make(r, True, MeanBackward0((edge(input),), (d.shape, (), True, None, d.size)))
        return make(r, False, None)
    x = _float_input(d, dtype, "mean")
    axes = _axes(dim, d.ndim)
    n = _numel(d.shape, axes)
    s = _reduce(np.add, x, axes, keepdim, x.dtype)
    r = np.asarray(s / n if n else s * math.nan)
    res = _res(r, input, MeanBackward0 if dim is _NO else MeanBackward1,
               (d.shape, axes, keepdim, d.dtype if x.dtype != d.dtype else None, n))
    return _done(res, out)


@_np_names
def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """torch.nanmean: nansum / count of non-NaN, recorded as a division (``DivBackward0``) as torch does."""
    d = _check(input, "nanmean")
    if d.dtype.kind != "f":
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype but got "
                           f"{_legacy(d.dtype)}")
    from .elementwise import div
    cnt = np.sum(~np.isnan(d), axis=_axes(dim, d.ndim), keepdims=keepdim)
    return _done(div(nansum(input, dim, keepdim, dtype=dtype), _t(cnt)), out)


# ------------------------------------------------------------------ prod
def _prod_bw(c, s, g):
    """d prod / dx_i = product of the others: exact with one zero, 0 with two or more."""
    x, out = s
    axes, gk = c[1], _expand(g, c)
    if not isinstance(g, Tensor):
        zero = x == 0
        if not zero.any():
            return (_as(gk * (_keep(out, c) / x), c[3]),)
        xnz = np.where(zero, 1, x)
        zc = np.count_nonzero(zero, axis=axes, keepdims=True)
        pnz = np.multiply.reduce(xnz, axes, None, None, True)
        return (_as(gk * np.where(zero, np.where(zc == 1, pnz, 0), np.where(zc == 0, pnz / xnz, 0)), c[3]),)
    # Tensors (double backward): zero-valued factors stay in the formula so that they differentiate
    zero = x == 0
    xnz, zsum = _w(~zero, x, 1.0), sum(_w(zero, x), axes, True)   # zsum == 0, but carries a gradient
    zc = sum(zero, axes, True)
    pnz = _prod(xnz, axes, True, None)
    at_zero = _w(zc == 1, pnz, _w(zc == 2, pnz * (zsum - x)))
    return (_as(gk * _w(zero, at_zero, pnz / xnz * _w(zc == 0, 1.0, _w(zc == 1, zsum))), c[3]),)


ProdBackward0 = node_class("ProdBackward0", _prod_bw)
ProdBackward1 = node_class("ProdBackward1", _prod_bw)


def _prod(input, axes, keepdim, dtype, cls=ProdBackward1):
    d = input._data
    x, tdt = _sum_dtype(d, dtype)
    return _res(_reduce(np.multiply, x, axes, keepdim, tdt), input, cls,
                (d.shape, axes, keepdim, d.dtype if tdt != d.dtype else None), (save(input, x),), save_out=True)


@_np_names
def prod(input, dim=_NO, keepdim=False, *, dtype=None, out=None):
    """torch.prod over all elements or one int ``dim`` (gradient exact with zeros in the input)."""
    d = _check(input, "prod")
    if dim is _NO or dim is None:
        return _done(_prod(input, tuple(range(d.ndim)), False, dtype, ProdBackward0), out)
    return _done(_prod(input, (_int_dim(dim, d.ndim, "prod"),) if d.ndim else (), keepdim, dtype), out)


# ------------------------------------------------------------------ max / min / amax / amin / argmax / aminmax
def _even_bw(c, s, g):
    """Share the gradient evenly among the elements equal to the result.  ``c[3]``: a NaN result
    selects the NaNs (max()/median()); otherwise a NaN result gives NaN gradients (amax, as torch)."""
    x, out = s
    outk = _keep(out, c)
    if not isinstance(g, Tensor):
        mask = x == outk
        if c[3] and x.dtype.kind == "f":
            mask |= np.isnan(x) & np.isnan(outk)
        cnt = np.add.reduce(mask, c[1], g.dtype, None, True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return ((_expand(g, c) / cnt) * mask,)
    mask = x == outk
    if c[3]:
        mask = mask | (x.isnan() & outk.isnan())
    mask = mask.to(g.dtype)
    return (_expand(g, c) / sum(mask, c[1], True) * mask,)


def _sel_bw(c, s, g):
    """Route the gradient to the selected index (max/min/median/mode with ``dim``)."""
    shape, ax, keepdim, idx = c
    if not shape:
        return (g,)
    if not isinstance(g, Tensor):
        gi = np.zeros(shape, dtype=g.dtype)
        np.put_along_axis(gi, idx, g if keepdim else np.expand_dims(g, ax), ax)
        return (gi,)
    ar = np.arange(shape[ax]).reshape((-1,) + (1,) * (len(shape) - ax - 1))
    return (_w(_t(ar == idx), g if keepdim else g.unsqueeze(ax)),)


def _aminmax_bw(c, s, g):
    x, lo, hi = s
    return (_add_opt(_even_bw(c, (x, lo), g[0])[0] if g[0] is not None else None,
                     _even_bw(c, (x, hi), g[1])[0] if g[1] is not None else None),)


MaxBackward1 = node_class("MaxBackward1", _even_bw)
MinBackward1 = node_class("MinBackward1", _even_bw)
MaxBackward0 = node_class("MaxBackward0", _sel_bw)
MinBackward0 = node_class("MinBackward0", _sel_bw)
AmaxBackward0 = node_class("AmaxBackward0", _even_bw)
AminBackward0 = node_class("AminBackward0", _even_bw)
AminmaxBackward0 = node_class("AminmaxBackward0", _aminmax_bw, n_out=2)


def _select(input, d, ax, keepdim, pick, name, cls):
    """``(values, indices)`` of the element chosen along ``ax`` by ``pick(d, ax) -> keepdim indices``."""
    if d.ndim == 0:
        idx, vals, ctx = np.zeros((), _INT64), d.copy(), ((), 0, keepdim, None)
    else:
        if d.shape[ax] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {ax} to have non-zero size.")
        idx = pick(d, ax)
        vals = np.take_along_axis(d, idx, ax)
        ctx = (d.shape, ax, keepdim, idx)
        if not keepdim:
            vals, idx = vals.squeeze(ax), idx.squeeze(ax)
    return getattr(return_types, name)(_res(vals, input, cls, ctx), make(idx.astype(_INT64, copy=False), False, None))


def _maxmin(is_max, input, dim=None, keepdim=False, *, out=None, other=None):
    name = "max" if is_max else "min"
    if isinstance(dim, Tensor) or other is not None:
        from .elementwise import maximum, minimum
        return (maximum if is_max else minimum)(input, dim if other is None else other, out=out)
    d = _check(input, name)
    if dim is None:
        if d.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        r = np.asarray((np.maximum if is_max else np.minimum).reduce(d, None))
        return _done(_res(r, input, MaxBackward1 if is_max else MinBackward1,
                          (d.shape, tuple(range(d.ndim)), False, True), (save(input),), save_out=True), out)
    res = _select(input, d, _int_dim(dim, d.ndim, name), keepdim,
                  lambda a, ax: (np.argmax if is_max else np.argmin)(a, axis=ax, keepdims=True), name,
                  MaxBackward0 if is_max else MinBackward0)
    if out is not None:
        return type(res)(write_out(out[0], res[0]), write_out(out[1], res[1]))
    return res


max = _flag(_maxmin, True, "max", """torch.max: the maximum (0-dim, ties share the gradient); with ``dim`` a
    ``(values, indices)`` named tuple (first index of ties, NaN wins); with a tensor second argument,
    the elementwise ``maximum``.""")  # noqa: A001
min = _flag(_maxmin, False, "min", "torch.min: see ``max``.")  # noqa: A001


def _amaxmin(is_max, input, dim=(), keepdim=False, *, out=None):
    name = "amax" if is_max else "amin"
    d = _check(input, name)
    axes = _axes(dim, d.ndim)
    if d.size == 0:
        given = [dim] if isinstance(dim, _INTS) else list(dim or ())
        if not given:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        for a, gd in zip(axes, given):
            if d.shape[a] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {gd} to have non-zero size.")
    r = (np.maximum if is_max else np.minimum).reduce(d, axes, None, None, keepdim)
    return _done(_res(r, input, AmaxBackward0 if is_max else AminBackward0, (d.shape, axes, keepdim, False),
                      (save(input),), save_out=True), out)


amax = _flag(_amaxmin, True, "amax", "torch.amax over ``dim`` (int/tuple, ``()`` = all); ties share the gradient.")
amin = _flag(_amaxmin, False, "amin", "torch.amin: see ``amax``.")


def _argmaxmin(is_max, input, dim=None, keepdim=False, *, out=None):
    name = "argmax" if is_max else "argmin"
    d = _check(input, name)
    if d.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    f = np.argmax if is_max else np.argmin
    if dim is None:
        if d.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        r = np.asarray(f(d), dtype=_INT64).reshape((1,) * d.ndim if keepdim else ())
    else:
        ax = _int_dim(dim, d.ndim, name)
        if d.ndim and d.shape[ax] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {ax} to have non-zero size.")
        r = f(d, axis=ax, keepdims=keepdim).astype(_INT64, copy=False) if d.ndim else np.zeros((), _INT64)
    return _done(make(r, False, None), out)


argmax = _flag(_argmaxmin, True, "argmax", "torch.argmax: flat index without ``dim``; first of ties; NaN is largest.")
argmin = _flag(_argmaxmin, False, "argmin", "torch.argmin: see ``argmax``.")


def aminmax(input, *, dim=None, keepdim=False):
    """torch.aminmax: ``(min, max)`` named tuple over all elements or one int ``dim``."""
    d = _check(input, "aminmax")
    axes = tuple(range(d.ndim)) if dim is None else (_int_dim(dim, d.ndim, "aminmax"),) if d.ndim else ()
    if d.size == 0 and (dim is None or d.shape[axes[0]] == 0):
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    lo = np.asarray(np.minimum.reduce(d, axes, None, None, keepdim))
    hi = np.asarray(np.maximum.reduce(d, axes, None, None, keepdim))
    return return_types.aminmax(*_res2(lo, hi, input, AminmaxBackward0, (d.shape, axes, keepdim, False),
                                       (save(input),), save_outs=True))


# ------------------------------------------------------------------ norm
def _vnorm_bw(c, s, g):
    x, out = s
    p = c[3]
    if p == 0:
        return (None,)
    gk, nk, arr = _expand(g, c), _keep(out, c), not isinstance(g, Tensor)
    with np.errstate(invalid="ignore", divide="ignore"):
        if p == 1:
            return (gk * _sign(x),)
        if p == 2:
            return (_w(nk != 0, gk * (x / nk)),)
        a = np.abs(x) if arr else x.abs()
        if p == math.inf or p == -math.inf:   # ties of the extreme |x| share the gradient
            mask = (a == nk).astype(g.dtype) if arr else (a == nk).to(g.dtype)
            cnt = np.add.reduce(mask, c[1], None, None, True) if arr else sum(mask, c[1], True)
            return (gk * _sign(x) * mask / cnt,)
        return (_w((x != 0) & (nk != 0), gk * (_sign(x) * a ** (p - 1) / nk ** (p - 1))),)


def _nuc_bw(c, s, g):
    return (_expand(g, c) * (c[3] if not isinstance(g, Tensor) else _t(c[3]).to(g.dtype)),)


LinalgVectorNormBackward0 = node_class("LinalgVectorNormBackward0", _vnorm_bw)
_NucBackward = node_class("SumBackward1", _nuc_bw)  # torch composes the nuclear norm; its grad_fn is a sum


def _vector_norm(input, d, p, axes, keepdim):
    x = d.astype(_F32) if d.dtype.itemsize == 2 else d
    if p == 2:
        r = np.sqrt(np.add.reduce(x * x, axes, None, None, keepdim))
    elif p == 1:
        r = np.add.reduce(np.abs(x), axes, None, None, keepdim)
    elif p == math.inf or p == -math.inf:
        if _numel(d.shape, axes) == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {'' if p > 0 else '-'}inf norm on an empty "
                               "tensor because the operation does not have an identity")
        r = (np.maximum if p > 0 else np.minimum).reduce(np.abs(x), axes, None, None, keepdim)
    elif p == 0:
        r = np.add.reduce(x != 0, axes, x.dtype, None, keepdim)
    else:
        with np.errstate(divide="ignore"):
            r = np.add.reduce(np.abs(x) ** p, axes, None, None, keepdim) ** (1.0 / p)
    r = np.asarray(r).astype(d.dtype, copy=False)
    return _res(r, input, LinalgVectorNormBackward0, (d.shape, axes, keepdim, p), (save(input),), save_out=True)


def _nuclear(input, d, dims, keepdim):
    a, b = dims
    u, sv, vh = np.linalg.svd(np.moveaxis(d, (a, b), (-2, -1)), full_matrices=False)
    r = sv.sum(-1)
    axes = tuple(sorted(dims))
    if keepdim:
        r = np.expand_dims(r, axes)
    back = np.moveaxis(u @ vh, (-2, -1), (a, b))   # d(sum of singular values)/dx = U V^T
    return _res(r.astype(d.dtype, copy=False), input, _NucBackward, (d.shape, axes, keepdim, back))


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """torch.norm: vector p-norms (2/'fro', 1, inf, -inf, 0, any p) over ``dim`` (None = all),
    'fro' over up to two dims, and the nuclear norm 'nuc' over a 2-tuple of dims."""
    if dtype is not None:
        input = input.to(dtype)
    d = _check(input, "norm")
    if d.dtype.kind != "f":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_legacy(d.dtype)}")
    if isinstance(p, str):
        dims = None if dim is None else [dim] if isinstance(dim, _INTS) else list(dim)
        if p not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
        if p == "nuc" and dims is None:
            dims = list(range(d.ndim))
        if dims is not None and (len(dims) > 2 or (p == "nuc" and len(dims) != 2)):
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(str(x) for x in dims)}")
        if p == "nuc":
            return _done(_nuclear(input, d, _axes(dims, d.ndim), keepdim), out)
        p = 2
    return _done(_vector_norm(input, d, 2.0 if p is None else float(p), _axes(dim, d.ndim), keepdim), out)


# ------------------------------------------------------------------ logsumexp
def _lse_bw(c, s, g):
    x, out = s
    with np.errstate(invalid="ignore"):
        e = x - _keep(out, c)
    return (_expand(g, c) * (e.exp() if isinstance(e, Tensor) else np.exp(e)),)


LogsumexpBackward0 = node_class("LogsumexpBackward0", _lse_bw)


@_np_names
def logsumexp(input, dim, keepdim=False, *, out=None):
    """torch.logsumexp over ``dim`` (int/tuple), computed stably: shifted by the max (by 0 where the
    max is infinite); integer inputs give the default float dtype."""
    d = _check(input, "logsumexp")
    axes = _axes(dim, d.ndim)
    x = d if d.dtype.kind == "f" else d.astype(D.get_default_dtype().np)
    xa = x.astype(_F32) if x.dtype.itemsize == 2 else x
    oshape = tuple(1 if i in axes else n for i, n in enumerate(d.shape) if keepdim or i not in axes)
    if _numel(d.shape, axes) == 0:
        r = np.full(oshape, -math.inf, x.dtype)
    else:
        m = np.maximum.reduce(xa, axes, None, None, True)
        m = np.where(np.isfinite(m), m, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = (np.log(np.add.reduce(np.exp(xa - m), axes, None, None, True)) + m).reshape(oshape).astype(x.dtype)
    return _done(_res(r, input, LogsumexpBackward0, (d.shape, axes, keepdim), (save(input, x),), save_out=True), out)


# ------------------------------------------------------------------ all / any / count_nonzero
def _allany(is_all, input, dim=None, keepdim=False, *, out=None):
    d = _check(input, "all" if is_all else "any")
    r = np.asarray((np.all if is_all else np.any)(d, axis=_axes(dim, d.ndim, empty_all=False), keepdims=keepdim))
    return _done(make(r.astype(np.uint8) if d.dtype == np.uint8 else r, False, None), out)


all = _flag(_allany, True, "all", "torch.all: bool (uint8 for uint8); ``dim`` int/tuple (``()``: none).")  # noqa: A001
any = _flag(_allany, False, "any", "torch.any: see ``all``.")  # noqa: A001


@_np_names
def count_nonzero(input, dim=None):
    """torch.count_nonzero: int64 count over all elements or ``dim`` (int/tuple)."""
    d = _check(input, "count_nonzero")
    return make(np.asarray(np.add.reduce(d != 0, _axes(dim, d.ndim), _INT64)), False, None)


# ------------------------------------------------------------------ Tensor methods
def _norm_method(self, p="fro", dim=None, keepdim=False, dtype=None):
    return norm(self, p, dim, keepdim, dtype=dtype)


attach({
    "sum": sum, "nansum": nansum, "mean": mean, "nanmean": nanmean, "prod": prod, "max": max, "min": min,
    "amax": amax, "amin": amin, "argmax": argmax, "argmin": argmin, "aminmax": aminmax, "norm": _norm_method,
    "logsumexp": logsumexp, "all": all, "any": any, "count_nonzero": count_nonzero,
})


# ------------------------------------------------------------------ re-exports
# Last, as ``scan``/``stats`` import the plumbing above from this (by then fully defined) module.
from . import scan as _scan  # noqa: E402
from . import stats as _stats  # noqa: E402
from .scan import *  # noqa: E402,F403
from .stats import *  # noqa: E402,F403

__all__ += _scan.__all__ + _stats.__all__
