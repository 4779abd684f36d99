"""Comparisons, logical and bitwise ops, and elementwise predicates (``isnan``...).

None of these is differentiable: they return bool (or integer) tensors without a graph.
Operands are promoted as torch promotes them before comparing.
"""
from __future__ import annotations

import numpy as np

from ..autograd.grad_mode import GRAD
from ..autograd.graph import edge, node_class
from ._helpers import arr, binary_operands, make, write_out

__all__ = [
    "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
    "not_equal", "equal", "allclose", "isclose", "logical_and", "logical_or", "logical_xor",
    "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "isnan", "isinf",
    "isfinite", "isposinf", "isneginf", "nan_to_num", "signbit",
]


# ------------------------------------------------------------------ comparisons and logic
def _cmp(f, name):
    def op(input, other, *, out=None):
        ad, bd, ta, tb = binary_operands(input, other)
        res = make(arr(f(ad, bd)), False, None)
        return res if out is None else write_out(out, res)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"torch.{name}: elementwise comparison giving a bool tensor."
    return op


eq = _cmp(np.equal, "eq")
ne = not_equal = _cmp(np.not_equal, "ne")
lt = less = _cmp(np.less, "lt")
le = less_equal = _cmp(np.less_equal, "le")
gt = greater = _cmp(np.greater, "gt")
ge = greater_equal = _cmp(np.greater_equal, "ge")
logical_and = _cmp(lambda a, b: np.logical_and(a, b), "logical_and")
logical_or = _cmp(lambda a, b: np.logical_or(a, b), "logical_or")
logical_xor = _cmp(lambda a, b: np.logical_xor(a, b), "logical_xor")


def _bitwise(f, name):
    def op(input, other, *, out=None):
        ad, bd, ta, tb = binary_operands(input, other)
        if np.asarray(ad).dtype.kind == "f" or np.asarray(bd).dtype.kind == "f":
            raise RuntimeError(f'"{name}_cpu" not implemented for \'Float\'')
        res = make(arr(f(ad, bd)), False, None)
        return res if out is None else write_out(out, res)
    op.__name__ = op.__qualname__ = name
    return op


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")


def bitwise_not(input, *, out=None):
    d = input._data
    if d.dtype.kind == "f":
        raise RuntimeError("\"bitwise_not_cpu\" not implemented for 'Float'")
    res = make(arr(np.invert(d)), False, None)
    return res if out is None else write_out(out, res)


def logical_not(input, *, out=None):
    res = make(arr(np.logical_not(input._data)), False, None)
    return res if out is None else write_out(out, res)


def _pred(f, name):
    def op(input):
        return make(arr(f(input._data)), False, None)
    op.__name__ = op.__qualname__ = name
    return op


isnan = _pred(np.isnan, "isnan")
isinf = _pred(np.isinf, "isinf")
isfinite = _pred(np.isfinite, "isfinite")
isposinf = _pred(np.isposinf, "isposinf")
isneginf = _pred(np.isneginf, "isneginf")
signbit = _pred(np.signbit, "signbit")


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    d = input._data
    r = np.nan_to_num(d, nan=nan, posinf=posinf, neginf=neginf)
    if GRAD[0] and input._rg:
        res = make(r, True, _NanToNumBackward((edge(input),), None, ((None, np.isfinite(d), [0], 0),)))
    else:
        res = make(r, False, None)
    return res if out is None else write_out(out, res)


_NanToNumBackward = node_class("NanToNumBackward0", lambda c, s, g: (g * s[0],))


def equal(input, other) -> bool:
    """torch.equal: same shape and same values."""
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data, other._data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    ad, bd, _, _ = binary_operands(input, other)
    return make(arr(np.isclose(ad, bd, rtol=rtol, atol=atol, equal_nan=equal_nan)), False, None)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return bool(np.all(isclose(input, other, rtol, atol, equal_nan)._data))


