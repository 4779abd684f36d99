"""Shape and view operations: view/reshape/permute/expand/..., joining and splitting
(cat, stack, split, chunk, unbind), and structural ops (tril, flip, roll, diagonal, unfold...).

Ops that return views in torch return NumPy views here and follow the view protocol
(``make_view``): the view shares its base's version counter, records the root base in
``_base``, and keeps ``_view_fn`` (root array -> this view's array) so in-place ops on a view
can rebuild the base's history.  Gradients of linear ops whose adjoint is not a public op
go through ``_lin_apply``: a pair of NumPy functions (backward, its adjoint), so double
backward stays exact without depending on other op modules.  Errors carry torch's messages.
"""
from __future__ import annotations

import math
import warnings
from operator import index as _idx

import numpy as np
from numpy.lib.stride_tricks import as_strided as _np_as_strided

from .. import _dtype as D
from .._tensor import Size, Tensor
from ..autograd.grad_mode import GRAD
from ..autograd.graph import _LEGACY, edge, legacy_type_name, node_class
from ._helpers import attach, make, normalize_dim, normalize_dims, unbroadcast, write_out

__all__ = [
    "adjoint", "as_strided", "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes", "broadcast_tensors",
    "broadcast_to", "cat", "chunk", "column_stack", "concat", "concatenate", "diag", "diag_embed", "diagflat",
    "diagonal", "dsplit", "dstack", "flatten", "flip", "fliplr", "flipud", "hsplit", "hstack", "moveaxis",
    "movedim", "narrow", "permute", "ravel", "repeat_interleave", "reshape", "roll", "rot90", "row_stack", "select",
    "split", "squeeze", "stack", "swapaxes", "swapdims", "t", "tensor_split", "tile", "trace", "transpose", "tril",
    "triu", "unbind", "unflatten", "unsqueeze", "vsplit", "vstack",
]

_new = object.__new__
ndarray = np.ndarray
_VIEW_MSG = ("view size is not compatible with input tensor's size and stride (at least one dimension spans "
             "across two contiguous subspaces). Use .reshape(...) instead.")


# ------------------------------------------------------------------ plumbing
def _compose(pf, f):
    return lambda a: f(pf(a))


def make_view(input: Tensor, r: ndarray, node, f) -> Tensor:
    """A tensor viewing ``input``: shared version counter, root ``_base``, and ``_view_fn``
    (root array -> ``r``), composed from ``input``'s own ``_view_fn`` and ``f`` (input array -> ``r``)."""
    t = _new(Tensor)
    t._data = r
    t._rg = node is not None
    t.grad_fn = node
    t._grad = None
    t._vc = input._vc
    t._output_nr = 0
    t._accum = None
    b = input._base
    if b is None:
        t._base = input
    else:
        t._base = b
        pf = input.__dict__.get("_view_fn")
        f = None if pf is None else _compose(pf, f)
    t.__dict__["_view_fn"] = f
    return t


def _rec(t) -> bool:
    return GRAD[0] and t._rg


def _lin_bw(ctx, saved, g):
    f, adj = ctx
    if type(g) is ndarray:
        return (f(g),)
    return (_lin_apply(g, f, adj),)


_LinearBackward = node_class("LinearBackward0", _lin_bw)


def _lin_apply(t: Tensor, f, adj) -> Tensor:
    """Apply the linear NumPy map ``f`` to a Tensor, recording ``adj`` as its backward."""
    r = f(t._data)
    if GRAD[0] and t._rg:
        return make(r, True, _LinearBackward((edge(t),), (adj, f)))
    return make(r, False, None)


def _sizes(args, name: str) -> tuple:
    """Sizes given as varargs or one sequence (``view(2, 3)`` / ``view((2, 3))``)."""
    if len(args) == 1 and type(args[0]) is not int and not isinstance(args[0], (Tensor, np.integer)):
        args = args[0]
    try:
        return tuple(map(_idx, args))
    except TypeError:
        bad = next(a for a in args if not hasattr(a, "__index__"))
        raise TypeError(f"{name}(): argument 'size' must be tuple of ints, but found element of type "
                        f"{type(bad).__name__}") from None


def _infer(shape: tuple, numel: int) -> tuple:
    """Resolve one -1 in ``shape`` with torch's errors."""
    if math.prod(shape) == numel and (not shape or min(shape) >= 0):
        return shape
    neg, prod = None, 1
    for i, s in enumerate(shape):
        if s == -1:
            if neg is not None:
                raise RuntimeError("only one dimension can be inferred")
            neg = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
        else:
            prod *= s
    if neg is not None:
        if prod == 0 and numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                               "unspecified dimension size -1 can be any value and is ambiguous")
        if prod and numel % prod == 0:
            return shape[:neg] + (numel // prod,) + shape[neg + 1:]
    raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")


def _no_dims(dim):
    raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")


def _need_1d(d: ndarray, name: str) -> None:
    if d.ndim == 0:
        raise RuntimeError(f"{name} expects at least a 1-dimensional tensor")


def _tname(dt: np.dtype) -> str:
    return _LEGACY.get(dt.name, dt.name)


# ------------------------------------------------------------------ view / reshape family
def _view_bw(ctx, saved, g):
    return (g.reshape(ctx),)


ViewBackward0 = node_class("ViewBackward0", _view_bw)
UnsafeViewBackward0 = node_class("UnsafeViewBackward0", _view_bw)
SqueezeBackward0 = node_class("SqueezeBackward0", _view_bw)
SqueezeBackward1 = node_class("SqueezeBackward1", _view_bw)
SqueezeBackward2 = node_class("SqueezeBackward2", _view_bw)
UnsqueezeBackward0 = node_class("UnsqueezeBackward0", _view_bw)


def _reshape_to(t: Tensor, shape, view_only: bool, cls=ViewBackward0) -> Tensor:
    """NumPy validates and reshapes on the fast path; torch's checks and messages run only
    when NumPy refuses (bad shape, or strides that need a copy)."""
    d = t._data
    try:
        r = d.reshape(shape) if d.flags.c_contiguous else d.reshape(shape, copy=False)
        if shape and min(shape) < -1:  # NumPy takes any negative size as "infer"
            _infer(tuple(shape), d.size)
    except (ValueError, TypeError):
        shape = _infer(_sizes((shape,), "view" if view_only else "reshape"), d.size)
        if view_only:
            raise RuntimeError(_VIEW_MSG) from None
        from .convert import clone
        c = clone(t)
        r = c._data.reshape(shape)
        return make(r, True, UnsafeViewBackward0((edge(c),), d.shape)) if c._rg else make(r, False, None)
    rs = r.shape
    return make_view(t, r, cls((edge(t),), d.shape) if GRAD[0] and t._rg else None, lambda a: a.reshape(rs))


def _view_dtype(self: Tensor, dtype) -> Tensor:
    """``view(dtype)``: reinterpret the bytes (torch's checks); the result does not require grad."""
    nd = D.to_dtype(dtype).np
    d = self._data
    if nd.itemsize != d.itemsize:
        fr, to = _tname(d.dtype), _tname(nd)
        if d.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 to view {fr} as {to} (different element sizes)")
        if d.strides[-1] != d.itemsize and d.shape[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 to view {fr} as {to} (different element sizes), "
                               f"but got {d.strides[-1] // d.itemsize}")
        if nd.itemsize > d.itemsize and d.shape[-1] % (nd.itemsize // d.itemsize):
            raise RuntimeError(f"self.size(-1) must be divisible by {nd.itemsize // d.itemsize} to view {fr} as "
                               f"{to} (different element sizes), but got {d.shape[-1]}")
    t = make(d.view(nd), False, None)
    t._vc = self._vc
    return t


def view(self: Tensor, *shape) -> Tensor:
    """Tensor.view(*shape) or view(dtype); raises torch's error when strides don't allow a view."""
    if len(shape) == 1 and type(shape[0]) is not int:
        shape = shape[0]
        if isinstance(shape, (D.dtype, D._Unsupported)):
            return _view_dtype(self, shape)
    return _reshape_to(self, shape, True)


def view_as(self: Tensor, other: Tensor) -> Tensor:
    return _reshape_to(self, other._data.shape, True)


def reshape(input: Tensor, shape) -> Tensor:
    """A view when the strides allow one (ViewBackward0), otherwise a copy (UnsafeViewBackward0)."""
    return _reshape_to(input, (shape,) if type(shape) is int else shape, False)


def _reshape_m(self: Tensor, *shape) -> Tensor:
    return _reshape_to(self, shape[0] if len(shape) == 1 and type(shape[0]) is not int else shape, False)


def reshape_as(self: Tensor, other: Tensor) -> Tensor:
    return _reshape_to(self, other._data.shape, False)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim (reshape semantics); returns ``input`` itself when they coincide."""
    sh = input._data.shape
    nd = len(sh)
    if nd == 0:
        return _reshape_to(input, (1,), False)
    s, e = normalize_dim(start_dim, nd), normalize_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    return _reshape_to(input, sh[:s] + (math.prod(sh[s:e + 1]),) + sh[e + 1:], False)


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one may be -1); always a view."""
    sh = input._data.shape
    dim = normalize_dim(dim, len(sh))
    sizes = tuple(map(_idx, sizes))
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if sizes.count(-1) > 1:
        raise RuntimeError("unflatten got an unexpected error:\nonly one dimension can be inferred")
    try:
        new = _infer(sizes, sh[dim])
    except RuntimeError:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                           f"({sh[dim]}) in the input tensor") from None
    return _reshape_to(input, sh[:dim] + new + sh[dim + 1:], True)


def ravel(input: Tensor) -> Tensor:
    """contiguous().view(-1), as torch (a copy for non-contiguous input)."""
    c = input if input._data.flags.c_contiguous else input.contiguous()
    return _reshape_to(c, (c._data.size,), True)


def squeeze(input: Tensor, dim=None) -> Tensor:
    """Remove size-1 dims: all, one (int) or several (tuple); other dims are left alone."""
    sh = input._data.shape
    if dim is None:
        cls, new = SqueezeBackward0, tuple(s for s in sh if s != 1)
    elif isinstance(dim, (tuple, list)):
        dims = normalize_dims(dim, len(sh))
        cls, new = SqueezeBackward2, tuple(s for i, s in enumerate(sh) if s != 1 or i not in dims)
    else:
        k = normalize_dim(dim, len(sh))
        cls, new = SqueezeBackward1, (sh[:k] + sh[k + 1:] if sh and sh[k] == 1 else sh)
    return make_view(input, input._data.reshape(new), cls((edge(input),), sh) if _rec(input) else None,
                     lambda a: a.reshape(new))


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    sh = input._data.shape
    k = normalize_dim(dim, len(sh) + 1)
    new = sh[:k] + (1,) + sh[k:]
    return make_view(input, input._data.reshape(new), UnsqueezeBackward0((edge(input),), sh) if _rec(input) else None,
                     lambda a: a.reshape(new))


def _perm_bw(ctx, saved, g):
    inv = [0] * len(ctx)
    for i, x in enumerate(ctx):
        inv[x] = i
    return (g.transpose(inv) if type(g) is ndarray else g.permute(inv),)


def _transpose_bw(ctx, saved, g):
    return (g.swapaxes(*ctx) if type(g) is ndarray else g.transpose(*ctx),)


PermuteBackward0 = node_class("PermuteBackward0", _perm_bw)
TransposeBackward0 = node_class("TransposeBackward0", _transpose_bw)
TBackward0 = node_class("TBackward0", lambda c, s, g: (g.T if type(g) is ndarray else g.t(),))


def _permuted(input: Tensor, p: tuple) -> Tensor:
    return make_view(input, input._data.transpose(p), PermuteBackward0((edge(input),), p)
                     if GRAD[0] and input._rg else None, lambda a: a.transpose(p))


def permute(input: Tensor, dims) -> Tensor:
    nd = input._data.ndim
    dims = tuple(dims)
    if len(dims) != nd:
        raise RuntimeError("permute(sparse_coo): number of dimensions in the tensor input does not match the length "
                           f"of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal to "
                           f"len(dims) = {len(dims)}")
    if nd and len(set(dims)) == nd and min(dims) >= 0 and max(dims) < nd:
        return _permuted(input, dims)
    p = tuple(normalize_dim(x, nd) for x in dims)
    if len(set(p)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _permuted(input, p)


def _permute_m(self: Tensor, *dims) -> Tensor:
    return permute(self, dims[0] if len(dims) == 1 and not isinstance(dims[0], (int, np.integer)) else dims)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    d = input._data
    nd = d.ndim
    a, b = normalize_dim(dim0, nd), normalize_dim(dim1, nd)
    r = d.swapaxes(a, b) if nd else d.view()
    return make_view(input, r, TransposeBackward0((edge(input),), (a, b)) if _rec(input) else None,
                     (lambda x: x.swapaxes(a, b)) if nd else (lambda x: x.view()))


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    return transpose(input, axis0, axis1)


def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:
    return transpose(input, dim0, dim1)


def t(input: Tensor) -> Tensor:
    """Transpose a matrix; 0-D and 1-D tensors come back as views of themselves."""
    d = input._data
    if d.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {d.ndim}D")
    return make_view(input, d.T, TBackward0((edge(input),)) if _rec(input) else None, lambda a: a.T)


def _T(self: Tensor) -> Tensor:
    nd = self._data.ndim
    if nd == 0:
        warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
                      UserWarning, stacklevel=2)
    elif nd != 2:
        warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and "
                      "it will throw an error in a future release. Consider `x.mT` to transpose batches of matrices "
                      "or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.",
                      UserWarning, stacklevel=2)
    return _permuted(self, tuple(range(nd - 1, -1, -1)))


_ZERO_D = {"mT": "Tensor.mT is deprecated on 0-D tensors. This function is the identity in these cases.",
           "mH": "Tensor.mH is deprecated on 0-D tensors. Consider using x.conj().",
           "adjoint()": "adjoint() is deprecated on 0-D tensors. Consider using x.conj().",
           "H": "Tensor.H is deprecated on 0-D tensors. Consider using x.conj()."}


def _matrix_t(self: Tensor, what: str) -> Tensor:
    """mT / mH / adjoint(): swap the last two dims; 0-D tensors come back as themselves (warned)."""
    nd = self._data.ndim
    if nd == 0:
        warnings.warn(_ZERO_D[what], UserWarning, stacklevel=3)
        return self
    if nd < 2:
        raise RuntimeError(f"tensor.{what} is only supported on matrices or batches of matrices. Got {nd}-D tensor.")
    return transpose(self, -2, -1)


def adjoint(input: Tensor) -> Tensor:
    return _matrix_t(input, "adjoint()")


def movedim(input: Tensor, source, destination) -> Tensor:
    """Move dims ``source`` to positions ``destination``; the rest keep their order."""
    nd = input._data.ndim
    src = (source,) if isinstance(source, (int, np.integer)) else tuple(source)
    dst = (destination,) if isinstance(destination, (int, np.integer)) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain "
                           f"the same number of dims as destination ({list(dst)} dims)")
    s = [normalize_dim(x, nd) for x in src]
    d = [normalize_dim(x, nd) for x in dst]
    for name, orig, norm in (("source", src, s), ("destination", dst, d)):
        if len(set(norm)) != len(norm):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(orig)})")
    if nd == 0:
        return _permuted(input, ())
    order = [n for n in range(nd) if n not in s]
    for dd, ss in sorted(zip(d, s)):
        order.insert(dd, ss)
    return _permuted(input, tuple(order))


moveaxis = movedim


# ------------------------------------------------------------------ expand / broadcast
def _expand_bw(ctx, saved, g):
    if type(g) is ndarray:
        return (unbroadcast(g, ctx),)
    gs = g._data.shape
    return (_lin_apply(g, lambda a: unbroadcast(a, ctx), lambda a: np.broadcast_to(a, gs)),)


ExpandBackward0 = node_class("ExpandBackward0", _expand_bw)


def _expand_sizes(d: ndarray, sizes: tuple) -> tuple:
    """Resolve -1 entries of expand's ``sizes`` and raise torch's errors for invalid ones."""
    sh = d.shape
    n, nd = len(sizes), len(sh)
    if n < nd:
        raise RuntimeError(f"expand({legacy_type_name(d)}{{[{', '.join(map(str, sh))}]}}, size={list(sizes)}): the "
                           f"number of sizes provided ({n}) must be greater or equal to the number of "
                           f"dimensions in the tensor ({nd})")
    out = list(sizes)
    for i, s in enumerate(sizes):
        j = i - (n - nd)
        if j < 0:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                                   f"non-existing dimension {i}")
        elif s == -1:
            out[i] = sh[j]
        elif s != sh[j] and sh[j] != 1:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({sh[j]}) "
                               f"at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                               f"{list(sh)}")
        elif s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(sizes)}")
    return tuple(out)


def _expand(input: Tensor, sizes: tuple) -> Tensor:
    d = input._data
    sh = d.shape
    if sizes != sh:
        k = len(sizes) - len(sh)
        if k < 0 or min(sizes) < 0 or any([s != e and e != 1 for s, e in zip(sizes[k:], sh)]):  # noqa: C419
            sizes = _expand_sizes(d, sizes)
    return make_view(input, _bcast(d, sizes), ExpandBackward0((edge(input),), sh) if GRAD[0] and input._rg else None,
                     lambda a: _bcast(a, sizes))


def _bcast(d: ndarray, sizes: tuple) -> ndarray:
    """np.broadcast_to (read-only: writing to an expanded tensor is an error in torch), built
    directly for contiguous arrays (np.broadcast_to costs several microseconds)."""
    if not d.flags.c_contiguous or not d.size:
        return np.broadcast_to(d, sizes)
    k = len(sizes) - d.ndim
    st = (0,) * k + tuple([0 if n != m else s for n, m, s in zip(d.shape, sizes[k:], d.strides)])
    r = np.ndarray(sizes, d.dtype, d, 0, st)
    r.flags.writeable = False
    return r


def expand(self: Tensor, *sizes) -> Tensor:
    """Tensor.expand: broadcast to ``sizes`` without copying (-1 keeps a dim); read-only memory."""
    return _expand(self, _sizes(sizes, "expand"))


def expand_as(self: Tensor, other: Tensor) -> Tensor:
    return _expand(self, other._data.shape)


def broadcast_to(input: Tensor, size) -> Tensor:
    return _expand(input, _sizes((size,), "broadcast_to"))


def _infer_size(a: tuple, b: tuple) -> tuple:
    na, nb = len(a), len(b)
    n = max(na, nb)
    out = [0] * n
    for i in range(n - 1, -1, -1):  # torch checks from the last dim
        x = a[i - n + na] if i - n + na >= 0 else 1
        y = b[i - n + nb] if i - n + nb >= 0 else 1
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                               f"non-singleton dimension {i}")
        out[i] = y if x == 1 else x
    return tuple(out)


def broadcast_tensors(*tensors):
    """Expand all tensors to their common shape (tensors already of that shape are returned as is)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    shapes = [x._data.shape for x in tensors]
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        shape = ()
        for s in shapes:
            shape = _infer_size(shape, s)
    return tuple(x if x._data.shape == shape else _expand(x, shape) for x in tensors)


def broadcast_shapes(*shapes) -> Size:
    """The broadcast shape of ``shapes`` (ints or sequences), with torch's error text."""
    shapes = [(s,) if isinstance(s, (int, np.integer)) else tuple(s) for s in shapes]
    n = max((len(s) for s in shapes), default=0)
    res = [1] * n
    for k, s in enumerate(shapes):
        for i in range(-1, -len(s) - 1, -1):
            v = s[i]
            if v < 0:
                raise ValueError("Attempting to broadcast a dimension with negative length!")
            if res[i] == 1 or v == res[i]:
                res[i] = v
            elif v != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {v} at {i}! Mismatching argument "
                                   f"at index {k} had {s}; but expected shape should be broadcastable to {res}")
    return Size(res)


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


# ------------------------------------------------------------------ split / chunk / unbind / narrow / select
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


SliceBackward0 = node_class("SliceBackward0", _lin_bw)
SelectBackward0 = node_class("SelectBackward0", _lin_bw)


def _embed(shape, sl):
    def f(g):
        z = np.zeros(shape, dtype=g.dtype)
        z[sl] = g
        return z
    return f


def _index_view(input, sl, cls):
    d = input._data
    node = cls((edge(input),), (_embed(d.shape, sl), lambda a: a[sl])) if _rec(input) else None
    return make_view(input, d[sl], node, lambda a: a[sl])


def narrow(input: Tensor, dim: int, start, length: int) -> Tensor:
    """The view input[..., start:start+length, ...] along ``dim`` (start may be negative or a tensor)."""
    d = input._data
    if d.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    dim = normalize_dim(dim, d.ndim)
    n = d.shape[dim]
    start = _idx(start)
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return _index_view(input, (slice(None),) * dim + (slice(start, start + length),), SliceBackward0)


def select(input: Tensor, dim: int, index: int) -> Tensor:
    d = input._data
    if d.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = normalize_dim(dim, d.ndim)
    n = d.shape[dim]
    i = _idx(index)
    if not -n <= i < n:
        raise IndexError(f"select(): index {i} out of range for tensor of size {list(d.shape)} at dimension {dim}")
    return _index_view(input, (slice(None),) * dim + (i % n, Ellipsis), SelectBackward0)


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


# ------------------------------------------------------------------ atleast_nd
def _atleast(tensors, n):
    one = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    ts = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    out = []
    for x in ts:
        nd = x._data.ndim
        if nd >= n:
            out.append(x)
        elif nd == 0:
            out.append(_reshape_to(x, (1,) * n, True))
        elif n == 2 or nd == 2:
            out.append(unsqueeze(x, 0 if n == 2 else -1))
        else:
            out.append(unsqueeze(unsqueeze(x, 0), -1))
    return out[0] if one else tuple(out)


def atleast_1d(*tensors):
    """The tensor(s) with at least 1 dim (0-D become shape [1])."""
    return _atleast(tensors, 1)


def atleast_2d(*tensors):
    return _atleast(tensors, 2)


def atleast_3d(*tensors):
    return _atleast(tensors, 3)


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
def _inplace_view(f):
    """squeeze_/unsqueeze_/t_/transpose_: change ``self``'s shape in place (history rebased)."""
    def op(self, *args, **kwargs):
        from .elementwise import check_inplace
        check_inplace(self)
        r = f(self, *args, **kwargs)
        self._data = r._data
        if r.grad_fn is not None:
            self.grad_fn, self._output_nr = r.grad_fn, 0
        return self
    op.__name__ = f.__name__ + "_"
    return op


def _tri_inplace(f):
    def op(self, diagonal=0):
        from .elementwise import apply_inplace
        return apply_inplace(self, f, diagonal)
    return op


attach({
    "view": view, "view_as": view_as, "reshape": _reshape_m, "reshape_as": reshape_as, "flatten": flatten,
    "unflatten": unflatten, "ravel": ravel, "squeeze": squeeze, "unsqueeze": unsqueeze, "permute": _permute_m,
    "transpose": transpose, "swapaxes": swapaxes, "swapdims": swapdims, "t": t, "adjoint": adjoint,
    "movedim": movedim, "moveaxis": movedim, "expand": expand, "expand_as": expand_as, "broadcast_to": broadcast_to,
    "repeat": repeat, "tile": _tile_m, "repeat_interleave": repeat_interleave,
    "split": lambda self, split_size, dim=0: split(self, split_size, dim),
    "tensor_split": tensor_split, "hsplit": hsplit, "vsplit": vsplit, "dsplit": dsplit, "chunk": chunk,
    "unbind": unbind, "narrow": narrow, "select": select, "tril": tril, "triu": triu, "flip": _flip_m,
    "fliplr": fliplr, "flipud": flipud, "roll": roll, "rot90": rot90, "diagonal": diagonal, "diag": diag,
    "diagflat": diagflat, "diag_embed": diag_embed, "trace": trace, "unfold": unfold, "as_strided": as_strided,
    "tril_": _tri_inplace(tril), "triu_": _tri_inplace(triu), "squeeze_": _inplace_view(squeeze),
    "unsqueeze_": _inplace_view(unsqueeze), "t_": _inplace_view(t), "transpose_": _inplace_view(transpose),
    "swapaxes_": _inplace_view(transpose), "swapdims_": _inplace_view(transpose),
})
Tensor.T = property(_T)
Tensor.mT = property(lambda self: _matrix_t(self, "mT"))
Tensor.mH = property(lambda self: _matrix_t(self, "mH"))


def _H(self: Tensor) -> Tensor:
    nd = self._data.ndim
    if nd == 0:
        return _matrix_t(self, "H")
    if nd != 2:
        extra = ". For batches of matrices, consider using tensor.mH" if nd > 2 else "."
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {nd}-D tensor{extra}")
    return transpose(self, 0, 1)


Tensor.H = property(_H)
