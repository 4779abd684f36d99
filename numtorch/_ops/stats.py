"""Statistics: std / var / std_mean / var_mean, and median / nanmedian / mode.

Split out of ``reduce.py``, which re-exports every public name here; the shared reduction
plumbing (dim normalisation, result wrapping, ``_select``) stays there.  torch's rules are matched:
``std``/``var`` take ``correction`` (default 1) or the legacy ``unbiased``, accept only floating
dtypes, warn when the degrees of freedom are <= 0 and divide the gradient by the unclamped
``n - correction``; ``std``'s gradient is 0 where the std is 0; ``std_mean``/``var_mean`` return
both outputs from one node (``StdMeanBackward0``, ``VarMeanBackward0``).  ``median``/``nanmedian``
give the lower median (NaN if any NaN, for ``median``); without ``dim`` ties share the gradient
evenly, with ``dim`` (and for ``mode``, the smallest most frequent value at its last index) a
``torch.return_types`` named tuple routes it to the returned index.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .._tensor import Tensor
from ..autograd.graph import node_class, out_rec, save
from ._helpers import attach
from .reduce import (_F32, _add_opt, _axes, _check, _done, _even_bw, _expand, _flag, _int_dim, _keep, _np_names,
                     _numel, _res, _res2, _sel_bw, _select, _w, mean)

__all__ = ["std", "var", "std_mean", "var_mean", "median", "nanmedian", "mode"]


# ------------------------------------------------------------------ std / var
def _moments(input, dim, correction, keepdim, name):
    """(var, mean) in the input dtype, and the context; warns as torch does when dof <= 0."""
    d = _check(input, name)
    if d.dtype.kind != "f":
        raise RuntimeError(f"{'std and var' if name in ('std', 'var') else name} only support floating point and "
                           "complex dtypes")
    axes = _axes(dim, d.ndim)
    x = d.astype(_F32) if d.dtype.itemsize == 2 else d
    n = _numel(d.shape, axes)
    dof = max(n - correction, 0)
    if dof == 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                      "reduction factor (input numel divided by output numel).", UserWarning, stacklevel=3)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.add.reduce(x, axes, None, None, True) / (n if n else math.nan)
        dev = x - m
        v = np.add.reduce(dev * dev, axes, None, None, True) / (dof if dof else 0.0)
    if not keepdim:
        oshape = tuple(s for i, s in enumerate(d.shape) if i not in axes)
        v, m = v.reshape(oshape), m.reshape(oshape)
    # the backward divides by the unclamped n - correction, as torch's does (see _var_grad for dim=None)
    dof_bw = None if dim is None and n - correction <= 0 else float(n - correction)
    return v.astype(d.dtype, copy=False), m.astype(d.dtype, copy=False), (d.shape, axes, keepdim, dof_bw)


def _dev(x, c):
    """Deviation from the mean over the reduced axes."""
    if not isinstance(x, Tensor):
        n = _numel(c[0], c[1])
        return x - np.add.reduce(x, c[1], None, None, True) / (n if n else math.nan)
    return x - mean(x, c[1], True)


def _var_grad(c, x, g):
    """2 (x - mean) / (n - correction); torch's full reduction with dof <= 0 gives inf (nan at the mean)."""
    dev = _dev(x, c)
    with np.errstate(invalid="ignore", divide="ignore"):
        if c[3] is None:
            return _expand(g, c) * (dev / dev) * math.inf
        return _expand(g, c) * (dev * (2.0 / c[3] if c[3] else math.inf))


def _std_grad(c, x, sd, g):
    """var's gradient / (2 std), zero where the std is zero, as torch."""
    sk = _keep(sd, c)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _w(sk != 0, _var_grad(c, x, g) / (sk * 2.0))


def _mean_grad(c, g):
    n = _numel(c[0], c[1])
    return _expand(g / n if n else g * math.nan, c)


def _pair_bw(first):
    """Backward of ``(std|var, mean)``: the first output's gradient plus the mean's."""
    return lambda c, s, g: (_add_opt(first(c, s, g[0]) if g[0] is not None else None,
                                     _mean_grad(c, g[1]) if g[1] is not None else None),)


_VAR_BW, _STD_BW = (lambda c, s, g: _var_grad(c, s[0], g)), (lambda c, s, g: _std_grad(c, s[0], s[1], g))
VarBackward0 = node_class("VarBackward0", lambda c, s, g: (_VAR_BW(c, s, g),))
StdBackward0 = node_class("StdBackward0", lambda c, s, g: (_STD_BW(c, s, g),))
StdMeanBackward0 = node_class("StdMeanBackward0", _pair_bw(_STD_BW), n_out=2)
VarMeanBackward0 = node_class("VarMeanBackward0", _pair_bw(_VAR_BW), n_out=2)


def _stdvar(name, input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    if isinstance(dim, bool):      # std(input, unbiased)
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got both 'unbiased' and 'correction'")
    v, m, ctx = _moments(input, dim, (0 if unbiased is False else 1) if correction is None else correction,
                         keepdim, name)
    if name[0] == "s":
        v = np.sqrt(v)
    if name.endswith("_mean"):
        a, b = _res2(v, m, input, StdMeanBackward0 if name[0] == "s" else VarMeanBackward0, ctx, (save(input),))
        if name[0] == "s" and a.grad_fn is not None:
            a.grad_fn._saved = (save(input), out_rec(a))
        return a, b
    return _done(_res(v, input, StdBackward0 if name[0] == "s" else VarBackward0, ctx, (save(input),),
                      save_out=name[0] == "s"), out)


var = _flag(_stdvar, "var", "var", "torch.var with ``correction`` (default 1) or ``unbiased``; ``dim`` int/tuple/None.")
std = _flag(_stdvar, "std", "std", "torch.std: the square root of ``var`` (gradient 0 where the std is 0, as torch).")
var_mean = _flag(_stdvar, "var_mean", "var_mean", "torch.var_mean: ``(var, mean)`` from one node (VarMeanBackward0).")
std_mean = _flag(_stdvar, "std_mean", "std_mean", "torch.std_mean: ``(std, mean)`` from one node (StdMeanBackward0).")


# ------------------------------------------------------------------ median / nanmedian / mode
def _median_k(d, ax):
    """Lower median per slice (stable order decides among equal values); NaN: the first NaN."""
    idx = np.take(np.argsort(d, axis=ax, kind="stable"), [(d.shape[ax] - 1) // 2], axis=ax)
    if d.dtype.kind == "f":
        nan = np.isnan(d)
        has = nan.any(axis=ax, keepdims=True)
        if has.any():
            idx = np.where(has, np.argmax(nan, axis=ax, keepdims=True), idx)
    return idx


def _nanmedian_k(d, ax):
    srt = np.argsort(d, axis=ax, kind="stable")   # NaNs sort last
    valid = ~np.isnan(d) if d.dtype.kind == "f" else np.ones(d.shape, bool)
    return np.take_along_axis(srt, np.maximum((np.sum(valid, axis=ax, keepdims=True) - 1) // 2, 0), ax)


def _mode_k(d, ax):
    """Most frequent value per slice (the smallest among equally frequent), at its last index."""
    n = d.shape[ax]
    srt = np.moveaxis(np.argsort(d, axis=ax, kind="stable"), ax, -1)
    s = np.take_along_axis(np.moveaxis(d, ax, -1), srt, -1)
    new = np.ones(s.shape, bool)
    new[..., 1:] = s[..., 1:] != s[..., :-1]          # a run of equal values starts here
    end = np.ones(s.shape, bool)
    end[..., :-1] = new[..., 1:]                      # ... ends here
    ar = np.arange(n)
    start = np.maximum.accumulate(np.where(new, ar, 0), axis=-1)
    stop = np.flip(np.minimum.accumulate(np.flip(np.where(end, ar, n), -1), axis=-1), -1)
    pos = np.take_along_axis(stop, np.argmax(stop - start, axis=-1)[..., None], -1)
    return np.moveaxis(np.take_along_axis(srt, pos, -1), -1, ax)


MedianBackward0 = node_class("MedianBackward0", _even_bw)
NanmedianBackward0 = node_class("NanmedianBackward0", _even_bw)
MedianBackward1 = node_class("MedianBackward1", _sel_bw)
NanmedianBackward1 = node_class("NanmedianBackward1", _sel_bw)
ModeBackward0 = node_class("ModeBackward0", _sel_bw)


def _median(skip_nan, input, dim=None, keepdim=False):
    name = "nanmedian" if skip_nan else "median"
    d = _check(input, name)
    if d.dtype == np.bool_:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for 'Bool'")
    if dim is not None:
        return _select(input, d, _int_dim(dim, d.ndim, name), keepdim, _nanmedian_k if skip_nan else _median_k,
                       name, NanmedianBackward1 if skip_nan else MedianBackward1)
    flat, isf = d.reshape(-1), d.dtype.kind == "f"
    if isf and skip_nan:
        flat = flat[~np.isnan(flat)]
    if flat.size == 0 or (isf and not skip_nan and np.isnan(flat).any()):
        r = np.asarray(math.nan if isf else 0, dtype=d.dtype)
    else:
        k = (flat.size - 1) // 2
        r = np.asarray(np.partition(flat, k)[k])
    return _res(r, input, NanmedianBackward0 if skip_nan else MedianBackward0,
                (d.shape, tuple(range(d.ndim)), False, True), (save(input),), save_out=True)


median = _flag(_median, False, "median", """torch.median: the lower median (NaN if any NaN; ties share the
    gradient); with ``dim`` a ``(values, indices)`` named tuple whose gradient goes to the index.""")
nanmedian = _flag(_median, True, "nanmedian", "torch.nanmedian: the lower median of the non-NaN values.")


@_np_names
def mode(input, dim=-1, keepdim=False):
    """torch.mode: the most frequent value along ``dim`` (smallest on ties) and its last index."""
    d = _check(input, "mode")
    return _select(input, d, _int_dim(dim, d.ndim, "mode"), keepdim, _mode_k, "mode", ModeBackward0)


# ------------------------------------------------------------------ Tensor methods
attach({"std": std, "var": var, "median": median, "nanmedian": nanmedian, "mode": mode})
