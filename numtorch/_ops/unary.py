"""Unary elementwise math (``exp``, ``log``, trigonometric and hyperbolic functions,
``sigmoid``, ``erf``, rounding, ``relu``...): one NumPy ufunc forward (threaded on large
arrays), one node whose backward formula works on arrays and, for double backward, on
Tensors.  Integer inputs of float-valued functions compute in the default float dtype, as
torch does; ``abs``/``neg``/``sign``/rounding keep integer dtypes.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from ..autograd.grad_mode import GRAD
from ..autograd.graph import NONE_REC, edge, node_class, out_rec
from . import _par as P
from . import _special
from ._helpers import arr, float_array, make, ns, write_out

__all__ = ["neg", "negative", "abs", "absolute", "sign", "sgn", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt", "square", "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh", "sigmoid", "relu", "floor", "ceil", "round", "trunc", "fix", "frac", "deg2rad", "rad2deg", "erf", "erfc", "erfinv"]


# ------------------------------------------------------------------ unary family
def _make_unary(name, fwd, bw=None, save_in=False, save_out=False, keep_int=False, torch_name=None):
    if isinstance(fwd, np.ufunc):  # plain ufuncs run threaded on large arrays
        uf = fwd

        def fwd(d):
            return P.unary(uf, d)
    """Build a unary op: ``fwd(array)``; ``bw(x, out, g)`` returns the input gradient."""
    cls = node_class(name + "Backward0", (lambda ctx, saved, g: (bw(saved[0], saved[1], g),))) if bw else None

    def op(input, *, out=None):
        d = input._data
        if not keep_int and d.dtype.kind != "f":
            d = d.astype(D.get_default_dtype().np)
        r = fwd(d)
        if type(r) is not np.ndarray:
            r = np.asarray(r)
        if GRAD[0] and input._rg:
            if cls is None:
                node = _ZeroUnary((edge(input),), input.shape)
                res = make(r, True, node)
            else:
                node = cls((edge(input),))
                res = make(r, True, node)
                node._saved = ((input, d, input._vc, input._vc[0]) if save_in else NONE_REC,
                               out_rec(res) if save_out else NONE_REC)
        else:
            res = make(r, False, None)
        return res if out is None else write_out(out, res)

    op.__name__ = torch_name or name.lower()
    op.__qualname__ = op.__name__
    op.__doc__ = f"torch.{op.__name__}: elementwise, differentiable."
    return op


_ZeroUnary = node_class("ZeroBackward0", lambda ctx, saved, g: (ns(g).zeros_like(g),))


def _sigmoid_np(x):
    e = P.unary(np.negative, x)
    with np.errstate(over="ignore"):
        P.unary(np.exp, e, e)
    P.add(e, 1.0, e)
    return P.binary(np.true_divide, 1.0, e, e)


def _tanh_bw(x, o, g):
    if type(g) is np.ndarray:
        t = P.mul(o, o)
        P.binary(np.subtract, 1.0, t, t)
        return P.mul(g, t, t)
    return g * (1 - o * o)


def _sigmoid_bw(x, o, g):
    if type(g) is np.ndarray:
        t = P.binary(np.subtract, 1.0, o)
        P.mul(t, o, t)
        return P.mul(t, g, t)
    return g * o * (1 - o)


def _erf_np(x):
    return _special.erf(x)


def _erf_bw(x, o, g):
    M = ns(g)
    return g * (2.0 / math.sqrt(math.pi)) * M.exp(-(x * x))


exp = _make_unary("Exp", np.exp, lambda x, o, g: ns(g).mul(g, o), save_out=True)
exp2 = _make_unary("Exp2", np.exp2, lambda x, o, g: g * o * math.log(2.0), save_out=True)
log = _make_unary("Log", np.log, lambda x, o, g: g / x, save_in=True)
log2 = _make_unary("Log2", np.log2, lambda x, o, g: g / (x * math.log(2.0)), save_in=True)
log10 = _make_unary("Log10", np.log10, lambda x, o, g: g / (x * math.log(10.0)), save_in=True)
log1p = _make_unary("Log1P", np.log1p, lambda x, o, g: g / (x + 1), save_in=True, torch_name="log1p")
expm1 = _make_unary("Expm1", np.expm1, lambda x, o, g: g * (o + 1), save_out=True)
sqrt = _make_unary("Sqrt", np.sqrt, lambda x, o, g: g / (2 * o), save_out=True)
rsqrt = _make_unary("Rsqrt", lambda x: 1 / np.sqrt(x), lambda x, o, g: g * (-0.5) * o * o * o, save_out=True)
reciprocal = _make_unary("Reciprocal", lambda x: 1 / x, lambda x, o, g: -g * o * o, save_out=True)
sin = _make_unary("Sin", np.sin, lambda x, o, g: g * ns(g).cos(x), save_in=True)
cos = _make_unary("Cos", np.cos, lambda x, o, g: -g * ns(g).sin(x), save_in=True)
tan = _make_unary("Tan", np.tan, lambda x, o, g: g * (1 + o * o), save_out=True)
asin = _make_unary("Asin", np.arcsin, lambda x, o, g: g / ns(g).sqrt(1 - x * x), save_in=True)
acos = _make_unary("Acos", np.arccos, lambda x, o, g: -g / ns(g).sqrt(1 - x * x), save_in=True)
atan = _make_unary("Atan", np.arctan, lambda x, o, g: g / (1 + x * x), save_in=True)
sinh = _make_unary("Sinh", np.sinh, lambda x, o, g: g * ns(g).cosh(x), save_in=True)
cosh = _make_unary("Cosh", np.cosh, lambda x, o, g: g * ns(g).sinh(x), save_in=True)
tanh = _make_unary("Tanh", np.tanh, _tanh_bw, save_out=True)
asinh = _make_unary("Asinh", np.arcsinh, lambda x, o, g: g / ns(g).sqrt(x * x + 1), save_in=True)
acosh = _make_unary("Acosh", np.arccosh, lambda x, o, g: g / ns(g).sqrt(x * x - 1), save_in=True)
atanh = _make_unary("Atanh", np.arctanh, lambda x, o, g: g / (1 - x * x), save_in=True)
sigmoid = _make_unary("Sigmoid", _sigmoid_np, _sigmoid_bw, save_out=True)
erf = _make_unary("Erf", _erf_np, _erf_bw, save_in=True)
erfc = _make_unary("Erfc", _special.erfc, lambda x, o, g: -_erf_bw(x, o, g), save_in=True)
square = _make_unary("Square", np.square, lambda x, o, g: g * 2 * x, save_in=True, keep_int=True)
neg = _make_unary("Neg", np.negative, lambda x, o, g: -g, keep_int=True)
abs = _make_unary("Abs", np.abs, lambda x, o, g: g * ns(g).sign(x), save_in=True, keep_int=True)  # noqa: A001
sign = _make_unary("Sign", np.sign, None, keep_int=True)
floor = _make_unary("Floor", np.floor, None, keep_int=True)
ceil = _make_unary("Ceil", np.ceil, None, keep_int=True)
trunc = _make_unary("Trunc", np.trunc, None, keep_int=True)
frac = _make_unary("Frac", lambda x: x - np.trunc(x), lambda x, o, g: g)
deg2rad = _make_unary("Deg2Rad", np.deg2rad, lambda x, o, g: g * (math.pi / 180))
rad2deg = _make_unary("Rad2Deg", np.rad2deg, lambda x, o, g: g * (180 / math.pi))
fix = trunc
negative = neg
absolute = abs
arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh


def sgn(input, *, out=None):
    return sign(input, out=out)


def erfinv(input, *, out=None):
    """torch.erfinv (forward via Newton iterations on erf; gradient 1/erf'(y))."""
    x = float_array(input._data).astype(np.float64)
    y = np.zeros_like(x)
    a = 0.147
    ln = np.log1p(-x * x)
    t = 2 / (math.pi * a) + ln / 2
    y = np.sign(x) * np.sqrt(np.sqrt(t * t - ln / a) - t)
    for _ in range(3):
        err = _erf_np(y) - x
        y = y - err / (2 / math.sqrt(math.pi) * np.exp(-y * y))
    r = y.astype(float_array(input._data).dtype)
    if GRAD[0] and input._rg:
        node = _ErfinvBackward((edge(input),))
        res = make(r, True, node)
        node._saved = (out_rec(res),)
    else:
        res = make(r, False, None)
    return write_out(out, res) if out is not None else res


_ErfinvBackward = node_class("ErfinvBackward0", lambda c, s, g: (g * (math.sqrt(math.pi) / 2) * ns(g).exp(s[0] * s[0]),))


def round(input, *, decimals=0, out=None):  # noqa: A001
    """torch.round: half to even, optionally to ``decimals`` places."""
    d = input._data
    r = arr(np.round(d, decimals) if decimals else np.rint(d) if d.dtype.kind == "f" else d.copy())
    from .elementwise import _zero_grad_result
    res = _zero_grad_result(r, input if input._rg else None, None, "RoundBackward0") if input._rg and GRAD[0] \
        else make(r, False, None)
    return write_out(out, res) if out is not None else res


# ------------------------------------------------------------------ relu
def _relu_bw(ctx, saved, g):
    (o,) = saved
    if type(g) is np.ndarray:
        m = P.binary(np.greater, o, 0.0, np.empty(o.shape, g.dtype))  # the mask, straight into a float buffer
        return (P.mul(g, m, m),)
    return (g * (o > 0),)


ReluBackward0 = node_class("ReluBackward0", _relu_bw)


def relu(input):
    """torch.relu (gradient 0 at 0, as torch)."""
    d = input._data
    r = P.binary(np.maximum, d, 0)
    if type(r) is not np.ndarray:
        r = np.asarray(r)
    if GRAD[0] and input._rg:
        node = ReluBackward0((edge(input),))
        res = make(r, True, node)
        node._saved = (out_rec(res),)
        return res
    return make(r, False, None)
