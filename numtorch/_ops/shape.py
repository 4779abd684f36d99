"""Shape and view operations: view/reshape/flatten/squeeze/unsqueeze, permute/transpose/movedim,
expand/broadcast_*, narrow/select and atleast_nd -- the ops that return views in torch.

Those views are NumPy views here and follow the view protocol (``make_view``): the view shares
its base's version counter, records the root base in ``_base``, and keeps ``_view_fn`` (root
array -> this view's array) so in-place ops on a view can rebuild the base's history.  Gradients
of linear ops whose adjoint is not a public op go through ``_lin_apply``: a pair of NumPy
functions (backward, its adjoint), so double backward stays exact without depending on other op
modules.  Errors carry torch's messages.

The rest of the family lives beside this module and is re-exported from here (so ``numtorch``
needs only this module's import): joining and splitting in ``join`` (cat, stack, split, chunk,
unbind, ...), and copies / strided structure in ``strided`` (repeat, tril, flip, roll, diagonal,
unfold, as_strided, ...).  Both build on the plumbing defined here.
"""
from __future__ import annotations

import math
import warnings
from operator import index as _idx

import numpy as np

from .. import _dtype as D
from .._tensor import Size, Tensor
from ..autograd.grad_mode import GRAD
from ..autograd.graph import _LEGACY, edge, legacy_type_name, node_class
from ._helpers import attach, make, normalize_dim, normalize_dims, unbroadcast

__all__ = [
    "adjoint", "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes", "broadcast_tensors", "broadcast_to",
    "flatten", "moveaxis", "movedim", "narrow", "permute", "ravel", "reshape", "select", "squeeze", "swapaxes",
    "swapdims", "t", "transpose", "unflatten", "unsqueeze",
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


# ------------------------------------------------------------------ narrow / select
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


attach({
    "view": view, "view_as": view_as, "reshape": _reshape_m, "reshape_as": reshape_as, "flatten": flatten,
    "unflatten": unflatten, "ravel": ravel, "squeeze": squeeze, "unsqueeze": unsqueeze, "permute": _permute_m,
    "transpose": transpose, "swapaxes": swapaxes, "swapdims": swapdims, "t": t, "adjoint": adjoint,
    "movedim": movedim, "moveaxis": movedim, "expand": expand, "expand_as": expand_as, "broadcast_to": broadcast_to,
    "narrow": narrow, "select": select, "squeeze_": _inplace_view(squeeze), "unsqueeze_": _inplace_view(unsqueeze),
    "t_": _inplace_view(t), "transpose_": _inplace_view(transpose), "swapaxes_": _inplace_view(transpose),
    "swapdims_": _inplace_view(transpose),
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


# the rest of the family (they import the plumbing above), re-exported so ``numtorch`` needs only this module
from .join import *  # noqa: E402,F401,F403
from .strided import *  # noqa: E402,F401,F403
from . import join as _join, strided as _strided  # noqa: E402

__all__ += _join.__all__ + _strided.__all__
