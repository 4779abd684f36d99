"""Joining and splitting: cat/concat/concatenate, stack, hstack/vstack/row_stack/dstack/column_stack,
and split, chunk, unbind, tensor_split, hsplit/vsplit/dsplit; re-exported by ``shape``.

Joins match torch's dtype promotion across inputs, its legacy skipping of 1-D empty tensors in
``cat``, and its error messages; their backward hands each input its slice of the gradient, cast
back to that input's dtype.  Splits return views (``make_view``) that share one multi-output
node (SplitBackward0 / SplitWithSizesBackward0 / UnbindBackward0) whose backward joins the
outputs' gradients, with zeros for outputs that got none.  ``tensor_split`` and the
h/v/dsplit family return narrow() views, as torch.
"""
from __future__ import annotations

from operator import index as _idx

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD
from ..autograd.graph import edge, node_class
from ._helpers import attach, make, normalize_dim, write_out
from .shape import (SliceBackward0, _index_view, _need_1d, _no_dims, _rec, _tname, atleast_1d, atleast_2d,
                    atleast_3d, make_view)

__all__ = [
    "cat", "chunk", "column_stack", "concat", "concatenate", "dsplit", "dstack", "hsplit", "hstack", "row_stack",
    "split", "stack", "tensor_split", "unbind", "vsplit", "vstack",
]

ndarray = np.ndarray


# ------------------------------------------------------------------ cat / stack
def _cast_part(p, dt):
    if type(p) is ndarray:
        return p if p.dtype == dt else p.astype(dt)
    return p if p._data.dtype == dt else p.to(D.from_np(dt))


def _cat_bw(ctx, saved, g):
    dim, sizes, dts = ctx
    out, s = [], 0
    arr = type(g) is ndarray
    for n, dt in zip(sizes, dts):
        if n is None:  # a legacy empty 1-D input, skipped by cat
            z = np.zeros((0,), dtype=dt)
            out.append(z if arr else make(z, False, None))
            continue
        p = g[(slice(None),) * dim + (slice(s, s + n),)] if arr else g.narrow(dim, s, n)
        out.append(_cast_part(p, dt))
        s += n
    return tuple(out)


CatBackward0 = node_class("CatBackward0", _cat_bw)


def _tensor_list(tensors, name):
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(x).__name__}")
    return tensors


def _promoted(arrs):
    dt = arrs[0].dtype
    for a in arrs:
        if a.dtype != dt:
            res = D.from_np(dt)
            for b in arrs:
                res = D.promote_types(res, D.from_np(b.dtype))
            return res.np
    return dt


def _cat_checked(tensors, dim):
    """torch's validation (run when NumPy refuses, to give torch's messages); legacy empty
    1-D tensors are skipped.  Returns (normalized dim, kept indices)."""
    for i, x in enumerate(tensors):
        if x._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    keep = [i for i, x in enumerate(tensors) if x._data.shape != (0,)]
    if not keep:
        return 0, []
    ref = tensors[keep[0]]._data.shape
    dim = normalize_dim(dim, len(ref))
    for i in keep:
        s = tensors[i]._data.shape
        if len(s) != len(ref):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(ref)} and {len(s)}")
        for k in range(len(ref)):
            if k != dim and s[k] != ref[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {dim}. Expected size {ref[k]} "
                                   f"but got size {s[k]} for tensor number {i} in the list.")
    return dim, keep


def cat(tensors, dim: int = 0, *, axis=None, out=None) -> Tensor:
    """Concatenate along ``dim`` (or NumPy-style ``axis``) with torch's dtype promotion; 1-D
    empty tensors are skipped (torch's legacy behaviour)."""
    if axis is not None:
        dim = axis
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    arrs = [x._data for x in tensors]
    dt = _promoted(arrs)
    keep = None
    try:
        r = np.concatenate(arrs, axis=dim, dtype=dt, casting="unsafe")
        if dim < 0:
            dim += r.ndim
    except (ValueError, IndexError, TypeError):
        dim, keep = _cat_checked(tensors, dim)
        r = np.concatenate([arrs[i] for i in keep], axis=dim, dtype=dt, casting="unsafe") if keep else \
            np.zeros((0,), dtype=dt)
    if out is not None and D.from_np(dt)._cat > out.dtype._cat:
        raise TypeError(f"torch.cat(): input types can't be cast to the desired output type {_tname(out._data.dtype)}")
    if GRAD[0] and any(x._rg for x in tensors):
        ks = set(range(len(arrs))) if keep is None else set(keep)
        sizes = [a.shape[dim] if i in ks else None for i, a in enumerate(arrs)]
        res = make(r, True, CatBackward0(tuple(edge(x) for x in tensors), (dim, sizes, [a.dtype for a in arrs])))
    else:
        res = make(r, False, None)
    return res if out is None else write_out(out, res)


concat = concatenate = cat


def _stack_bw(ctx, saved, g):
    dim, dts = ctx
    if type(g) is ndarray:
        pre = (slice(None),) * dim
        return tuple(_cast_part(g[pre + (i, Ellipsis)], dt) for i, dt in enumerate(dts))
    return tuple(_cast_part(p, dt) for p, dt in zip(g.unbind(dim), dts))


StackBackward0 = node_class("StackBackward0", _stack_bw)


def stack(tensors, dim: int = 0, *, axis=None, out=None) -> Tensor:
    """Join equal-shaped tensors along a new dim ``dim`` (or ``axis``)."""
    if axis is not None:
        dim = axis
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    arrs = [x._data for x in tensors]
    s0 = arrs[0].shape
    for i, a in enumerate(arrs):
        if a.shape != s0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(s0)} at entry 0 and "
                               f"{list(a.shape)} at entry {i}")
    dim = normalize_dim(dim, len(s0) + 1)
    dt = _promoted(arrs)
    r = np.stack(arrs, axis=dim, dtype=dt, casting="unsafe")
    if GRAD[0] and any(x._rg for x in tensors):
        res = make(r, True, StackBackward0(tuple(edge(x) for x in tensors), (dim, [a.dtype for a in arrs])))
    else:
        res = make(r, False, None)
    return res if out is None else write_out(out, res)


def _nonempty(tensors, name):
    tensors = _tensor_list(tensors, name)
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return tensors


def hstack(tensors, *, out=None) -> Tensor:
    ts = atleast_1d(list(_nonempty(tensors, "hstack")))
    return cat(ts, 0 if ts[0]._data.ndim == 1 else 1, out=out)


def vstack(tensors, *, out=None) -> Tensor:
    return cat(atleast_2d(list(_nonempty(tensors, "vstack"))), 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None) -> Tensor:
    return cat(atleast_3d(list(_nonempty(tensors, "dstack"))), 2, out=out)


def column_stack(tensors, *, out=None) -> Tensor:
    ts = [x.reshape(x._data.size, 1) if x._data.ndim <= 1 else x for x in _nonempty(tensors, "column_stack")]
    return cat(ts, 1, out=out)


# ------------------------------------------------------------------ split / chunk / unbind / tensor_split
def _join_bw(ctx, saved, g):
    """Backward of split-like ops: put the outputs' gradients back together (zeros for missing ones)."""
    dim, shapes, dtype, is_stack = ctx
    if type(g) is not list:
        g = [g]
    arr = all(x is None or type(x) is ndarray for x in g)
    parts = []
    for x, s in zip(g, shapes):
        if x is None:
            z = np.zeros(s, dtype=dtype)
            x = z if arr else make(z, False, None)
        parts.append(x)
    if arr:
        return ((np.stack if is_stack else np.concatenate)(parts, axis=dim),)
    return ((stack if is_stack else cat)(parts, dim),)


SplitBackward0 = node_class("SplitBackward0", _join_bw)
SplitWithSizesBackward0 = node_class("SplitWithSizesBackward0", _join_bw)
UnbindBackward0 = node_class("UnbindBackward0", _join_bw)


def _multi_view(input, arrays, fns, cls, dim, is_stack):
    node = None
    if _rec(input):
        node = cls((edge(input),), (dim, [a.shape for a in arrays], input._data.dtype, is_stack))
        node.__dict__["_n_out"] = len(arrays)
    outs = []
    for i, (r, f) in enumerate(zip(arrays, fns)):
        o = make_view(input, r, node, f)
        o._output_nr = i
        outs.append(o)
    return tuple(outs)


def _split_sizes(input, sizes, dim, cls):
    d = input._data
    pre = (slice(None),) * dim
    sls, s = [], 0
    for n in sizes:
        sls.append(pre + (slice(s, s + n),))
        s += n
    return _multi_view(input, [d[sl] for sl in sls], [(lambda a, sl=sl: a[sl]) for sl in sls], cls, dim, False)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0):
    """Views of chunks of ``split_size`` (int) or of the given sizes (list) along ``dim``."""
    d = tensor._data
    _need_1d(d, "split")
    dim = normalize_dim(dim, d.ndim)
    n = d.shape[dim]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [_idx(x) for x in split_size_or_sections]
        if sum(sizes) != n or any(x < 0 for x in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                               f"dimension {dim}), but got split_sizes={sizes}")
        return _split_sizes(tensor, sizes, dim, SplitWithSizesBackward0)
    s = _idx(split_size_or_sections)
    if s < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={s}")
    if s == 0 and n != 0:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
    k = max(-(-n // s), 1) if s else 1
    return _split_sizes(tensor, [s] * (k - 1) + [n - s * (k - 1)], dim, SplitBackward0)


def chunk(input: Tensor, chunks: int, dim: int = 0):
    """``chunks`` pieces of size ceil(n / chunks) (fewer if they run out), as torch."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = input._data
    _need_1d(d, "chunk")
    dim = normalize_dim(dim, d.ndim)
    n = d.shape[dim]
    if n == 0:
        return _split_sizes(input, [0] * chunks, dim, SplitWithSizesBackward0)
    return split(input, -(-n // chunks), dim)


def unbind(input: Tensor, dim: int = 0):
    """Views of each slice along ``dim`` (one UnbindBackward0 node with an output per slice)."""
    d = input._data
    if d.ndim == 0:
        _no_dims(dim)
    dim = normalize_dim(dim, d.ndim)
    pre = (slice(None),) * dim
    ids = [pre + (i, Ellipsis) for i in range(d.shape[dim])]
    return _multi_view(input, [d[i] for i in ids], [(lambda a, i=i: a[i]) for i in ids], UnbindBackward0, dim, True)


def tensor_split(input: Tensor, indices_or_sections=None, dim: int = 0, *, sections=None, indices=None,
                 tensor_indices_or_sections=None):
    """Split into ``sections`` nearly equal parts or at ``indices``; each part is a narrow() view."""
    ios = next(x for x in (indices_or_sections, sections, indices, tensor_indices_or_sections) if x is not None)
    d = input._data
    if d.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    dim = normalize_dim(dim, d.ndim)
    n = d.shape[dim]
    if isinstance(ios, Tensor):
        a = ios._data
        if a.dtype != np.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                               f"{_tname(a.dtype)}")
        if a.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {a.ndim} dims")
        ios = int(a) if a.ndim == 0 else a.tolist()
    if isinstance(ios, (list, tuple)):
        bounds = [0] + [min(max(_idx(i) if _idx(i) >= 0 else _idx(i) + n, 0), n) for i in ios] + [n]
        spans = [(bounds[k], max(bounds[k], bounds[k + 1])) for k in range(len(bounds) - 1)]
    else:
        k = _idx(ios)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        q, m = divmod(n, k)
        spans, s = [], 0
        for i in range(k):
            e = s + q + (1 if i < m else 0)
            spans.append((s, e))
            s = e
    pre = (slice(None),) * dim
    return tuple(_index_view(input, pre + (slice(s, e),), SliceBackward0) for s, e in spans)


def _dsplit_like(input, ios, dim, name, min_dim):
    nd = input._data.ndim
    if nd < min_dim:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dim} dimension, but got a tensor with "
                           f"{nd} dimensions!")
    if isinstance(ios, (int, np.integer)):
        n = input._data.shape[dim]
        if ios == 0 or n % ios:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the dimension "
                               f"{n} is not divisible by the split_size {ios}!")
    return tensor_split(input, ios, dim)


def hsplit(input: Tensor, indices_or_sections):
    return _dsplit_like(input, indices_or_sections, 1 if input._data.ndim > 1 else 0, "hsplit", 1)


def vsplit(input: Tensor, indices_or_sections):
    return _dsplit_like(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input: Tensor, indices_or_sections):
    return _dsplit_like(input, indices_or_sections, 2, "dsplit", 3)


attach({
    "split": lambda self, split_size, dim=0: split(self, split_size, dim),
    "tensor_split": tensor_split, "hsplit": hsplit, "vsplit": vsplit, "dsplit": dsplit, "chunk": chunk,
    "unbind": unbind,
})
