"""Shared plumbing for op kernels: operand coercion with torch's promotion, graph recording,
and the two "namespaces" backward formulas are written against.

A backward formula receives NumPy arrays on the fast path and Tensors under
``create_graph=True``; it picks its namespace with ``ns(g)`` (``NP`` or ``TN``), so one
formula serves both and double backward stays exact.
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import _dtype as D
from . import _par
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD
from ..autograd.graph import NO_EDGE, edge, node_class, save  # noqa: F401  (re-exported)

make = Tensor._make
ndarray = np.ndarray
_SCALARS = (int, float, bool)


def arr(x) -> np.ndarray:
    """NumPy ufuncs return scalars for 0-d inputs; tensors always hold arrays."""
    return x if type(x) is ndarray else np.asarray(x)


def is_tensor(x) -> bool:
    return isinstance(x, Tensor)


def to_scalar(x):
    """A Python number from a Python or NumPy scalar, or None if ``x`` is not a number."""
    t = type(x)
    if t is float or t is int or t is bool:
        return x
    if isinstance(x, np.generic) and x.ndim == 0:
        return x.item()
    if isinstance(x, numbers.Number):
        return x
    return None


def as_tensor_arg(x, like: Tensor = None) -> Tensor:
    """Coerce an argument that must be a tensor (numbers become 0-dim tensors)."""
    if isinstance(x, Tensor):
        return x
    s = to_scalar(x)
    if s is not None:
        dt = D.result_type(s)
        return make(np.asarray(s, dtype=dt.np), False, None)
    raise TypeError(f"expected Tensor as argument, but got {type(x).__name__}")


def binary_operands(a, b):
    """(a_array, b_array_or_scalar, a_tensor_or_None, b_tensor_or_None) promoted as torch does."""
    ta = a if isinstance(a, Tensor) else None
    tb = b if isinstance(b, Tensor) else None
    if ta is not None and tb is not None:
        ad = ta._data
        bd = tb._data
        if ad.shape != bd.shape:
            try:
                np.broadcast_shapes(ad.shape, bd.shape)
            except ValueError:
                raise broadcast_error(ad.shape, bd.shape) from None
        if ad.dtype is bd.dtype or ad.dtype == bd.dtype:
            return ad, bd, ta, tb
        rt = D.result_type(ta, tb).np
        return ad.astype(rt, copy=False), bd.astype(rt, copy=False), ta, tb
    if ta is not None:
        ad = ta._data
        s = to_scalar(b)
        if s is None:
            if isinstance(b, np.ndarray):  # torch converts an ndarray operand to a tensor
                return binary_operands(a, make(b, False, None))
            raise TypeError(f"unsupported operand type(s): 'Tensor' and '{type(b).__name__}'")
        k = ad.dtype.kind
        if k == "f" or (k != "b" and type(s) is not float) or type(s) is bool:
            return ad, s, ta, None
        rt = D.result_type(ta, s).np
        return ad.astype(rt, copy=False), s, ta, None
    if tb is not None:
        bd, s, _, _ = binary_operands(b, a)
        if isinstance(s, np.ndarray):
            return s, bd, None, tb
        # a scalar on the left becomes a 0-dim array of the result dtype
        return np.asarray(s, dtype=bd.dtype), bd, None, tb
    sa, sb = to_scalar(a), to_scalar(b)
    rt = D.result_type(sa, sb).np
    return np.asarray(sa, dtype=rt), np.asarray(sb, dtype=rt), None, None


def broadcast_error(a_shape, b_shape) -> RuntimeError:
    """torch's message for operands that cannot broadcast."""
    na, nb = len(a_shape), len(b_shape)
    n = max(na, nb)
    for i in range(1, n + 1):
        sa = a_shape[-i] if i <= na else 1
        sb = b_shape[-i] if i <= nb else 1
        if sa != sb and sa != 1 and sb != 1:
            return RuntimeError(f"The size of tensor a ({sa}) must match the size of tensor b ({sb}) at "
                                f"non-singleton dimension {n - i}")
    return RuntimeError(f"shapes {list(a_shape)} and {list(b_shape)} cannot be broadcast")


def needs_grad(*ts) -> bool:
    if not GRAD[0]:
        return False
    for t in ts:
        if t is not None and t._rg:
            return True
    return False


def edges(*ts) -> tuple:
    return tuple(NO_EDGE if t is None else edge(t) for t in ts)


def unbroadcast(g, shape):
    """Sum a broadcast gradient back to an input's ``shape``."""
    if shape is None:
        return g
    gs = g.shape
    if gs == shape:
        return g
    nd = len(gs) - len(shape)
    axes = tuple(range(nd)) + tuple(i + nd for i, s in enumerate(shape) if s == 1 and gs[i + nd] != 1)
    if type(g) is ndarray:
        return g.sum(axis=axes).reshape(shape) if axes else g.reshape(shape)
    return (g.sum(dim=axes) if axes else g).reshape(shape)


def float_array(d: np.ndarray) -> np.ndarray:
    """Integer and bool inputs of float-valued ops compute in the default dtype, as torch does."""
    return d if d.dtype.kind == "f" else d.astype(D.get_default_dtype().np)


def normalize_dim(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


def normalize_dims(dim, ndim: int) -> tuple:
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        return (normalize_dim(int(dim), ndim),)
    out = tuple(normalize_dim(int(d), ndim) for d in dim)
    seen = set()
    for d in out:
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)
    return out


def write_out(out, result: Tensor) -> Tensor:
    """Support torch's ``out=`` argument: copy the result into ``out`` (resizing as torch does)."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError("argument 'out' must be Tensor")
    if GRAD[0] and (out._rg or result._rg):
        raise RuntimeError(
            f"{type(result.grad_fn).__name__.replace('Backward0', '').lower() if result.grad_fn else 'op'}(): "
            "functions with out=... arguments don't support automatic differentiation, but one of the "
            "arguments requires grad.")
    r = result._data
    if out._data.shape != r.shape:
        out._data = np.empty(r.shape, dtype=out._data.dtype)
    np.copyto(out._data, r, casting="unsafe")
    out._vc[0] += 1
    return out


class NP:
    """NumPy namespace for backward formulas on arrays (large float ufuncs run threaded)."""
    mul = staticmethod(_par.mul)
    add = staticmethod(_par.add)
    sub = staticmethod(_par.sub)
    div = staticmethod(_par.div)
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    sqrt = staticmethod(np.sqrt)
    sign = staticmethod(np.sign)
    where = staticmethod(np.where)
    abs = staticmethod(np.abs)
    tanh = staticmethod(np.tanh)
    cosh = staticmethod(np.cosh)
    sinh = staticmethod(np.sinh)
    pow = staticmethod(np.power)
    zeros_like = staticmethod(np.zeros_like)
    ones_like = staticmethod(np.ones_like)

    @staticmethod
    def sum(x, axis, keepdims=False):
        return np.sum(x, axis=axis, keepdims=keepdims)

    @staticmethod
    def cast(x, like):
        return x.astype(like.dtype, copy=False)

    @staticmethod
    def swap(x):
        return np.swapaxes(x, -1, -2)

    @staticmethod
    def broadcast_to(x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def mask(x):
        """A comparison result usable as a multiplier (same dtype as the gradients)."""
        return x


class _TN:
    """numtorch namespace for backward formulas on Tensors (double backward)."""

    @staticmethod
    def mul(a, b):
        return a * b

    @staticmethod
    def add(a, b):
        return a + b

    @staticmethod
    def sub(a, b):
        return a - b

    @staticmethod
    def div(a, b):
        return a / b

    def __getattr__(self, name):
        import numtorch
        f = {"pow": numtorch.pow, "zeros_like": numtorch.zeros_like, "ones_like": numtorch.ones_like}.get(name)
        if f is None:
            f = getattr(numtorch, name)
        setattr(self, name, f)
        return f

    @staticmethod
    def sum(x, axis, keepdims=False):
        return x.sum(dim=axis, keepdim=keepdims)

    @staticmethod
    def cast(x, like):
        return x.to(like.dtype)

    @staticmethod
    def swap(x):
        return x.transpose(-1, -2)

    @staticmethod
    def broadcast_to(x, shape):
        return x.expand(shape)

    @staticmethod
    def mask(x):
        return x


TN = _TN()


def ns(g):
    return NP if type(g) is ndarray else TN


def attach(names: dict) -> None:
    """Attach functions as Tensor methods."""
    for k, v in names.items():
        setattr(Tensor, k, v)


_ONES: dict = {}


def ones_vec(n: int, dt) -> np.ndarray:
    """A cached read-only vector of ``n`` ones: row sums as BLAS matrix-vector products."""
    key = (n, np.dtype(dt))
    v = _ONES.get(key)
    if v is None:
        if len(_ONES) > 64:
            _ONES.clear()
        v = _ONES[key] = np.ones(n, dt)
        v.flags.writeable = False
    return v


def affine_grads(gx, gw, gb, has_w: bool, has_b: bool) -> tuple:
    """A normalisation node's gradients in edge order: input, then weight and bias if present."""
    out = (gx,)
    if has_w:
        out += (gw,)
    if has_b:
        out += (gb,)
    return out
