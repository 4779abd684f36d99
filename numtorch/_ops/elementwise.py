"""Elementwise arithmetic, comparison, unary math, and their in-place forms.

Each op: promote operands as torch does, compute with one NumPy ufunc, and, when a graph is
being recorded, attach a node whose backward formula works on arrays (or on Tensors for
double backward).  Gradients of broadcast operands are summed back to their shapes.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD
from ..autograd.graph import CONST_VC, NO_EDGE, NONE_REC, edge, node_class, out_rec
from . import _par as P
from ._helpers import (arr, attach, binary_operands, broadcast_error, float_array, make, ns, to_scalar, unbroadcast,
                       write_out)

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
    "remainder", "fmod", "pow", "float_power", "atan2", "arctan2", "clamp", "clip", "clamp_min",
    "clamp_max", "where", "maximum", "minimum", "fmax", "fmin", "lerp", "hypot", "logaddexp",
    "xlogy", "addcmul", "addcdiv",
]


from . import unary as _unary  # noqa: E402
from .unary import *  # noqa: E402,F401,F403  (re-exported; the method table below uses them)
from .unary import (abs, acos, acosh, asin, asinh, atan, atanh, ceil, cos, cosh, deg2rad, erf, erfc,  # noqa: E402
                    erfinv, exp, exp2, expm1, floor, frac, log, log1p, log2, log10, neg, rad2deg, reciprocal,
                    relu, round, rsqrt, sgn, sigmoid, sign, sin, sinh, sqrt, square, tan, tanh, trunc)

__all__ += _unary.__all__


def _record2(r, cls, ta, tb, ctx, saved=()):
    return make(r, True, cls((NO_EDGE if ta is None else edge(ta), NO_EDGE if tb is None else edge(tb)),
                             ctx, saved))


def _grad_rec(ta, tb):
    return GRAD[0] and ((ta is not None and ta._rg) or (tb is not None and tb._rg))


# ------------------------------------------------------------------ add / sub
def _add_bw(ctx, saved, g):
    sa, sb, alpha = ctx
    return unbroadcast(g, sa), unbroadcast(g if alpha is None else g * alpha, sb)


def _sub_bw(ctx, saved, g):
    sa, sb, alpha = ctx
    return unbroadcast(g, sa), unbroadcast(-g if alpha is None else g * (-alpha), sb)


AddBackward0 = node_class("AddBackward0", _add_bw)
SubBackward0 = node_class("SubBackward0", _sub_bw)
RsubBackward1 = node_class("RsubBackward1", lambda c, s, g: _sub_bw(c, s, g)[::-1])


def add(input, other, *, alpha=1, out=None):
    """torch.add: ``input + alpha * other`` with broadcasting and torch's type promotion."""
    ad, bd, ta, tb = binary_operands(input, other)
    if alpha != 1:
        bd = bd * alpha
    try:
        r = P.add(ad, bd)
    except ValueError:
        raise broadcast_error(np.shape(ad), np.shape(bd)) from None
    if type(r) is not np.ndarray:
        r = np.asarray(r)
    if GRAD[0] and ((ta is not None and ta._rg) or (tb is not None and tb._rg)):
        rs = r.shape
        sa = ad.shape if ad.shape != rs else None
        sb = bd.shape if type(bd) is np.ndarray and bd.shape != rs else None
        res = _record2(r, AddBackward0, ta, tb, (sa, sb, None if alpha == 1 else alpha))
    else:
        res = make(r, False, None)
    return res if out is None else write_out(out, res)


def sub(input, other, *, alpha=1, out=None):
    """torch.sub: ``input - alpha * other``."""
    ad, bd, ta, tb = binary_operands(input, other)
    if ad.dtype == np.bool_ or (type(bd) is bool or getattr(bd, "dtype", None) == np.bool_):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    if alpha != 1:
        bd = bd * alpha
    try:
        r = P.sub(ad, bd)
    except ValueError:
        raise broadcast_error(np.shape(ad), np.shape(bd)) from None
    if type(r) is not np.ndarray:
        r = np.asarray(r)
    if GRAD[0] and ((ta is not None and ta._rg) or (tb is not None and tb._rg)):
        rs = r.shape
        sa = ad.shape if ad.shape != rs else None
        sb = bd.shape if type(bd) is np.ndarray and bd.shape != rs else None
        res = _record2(r, SubBackward0, ta, tb, (sa, sb, None if alpha == 1 else alpha))
    else:
        res = make(r, False, None)
    return res if out is None else write_out(out, res)


subtract = sub


def _rsub(self, other):
    return sub(other, self)


# ------------------------------------------------------------------ mul / div
def _mul_bw(ctx, saved, g):
    sa, sb, need_a, need_b = ctx
    a, b = saved
    M = ns(g)
    ga = unbroadcast(M.mul(g, b), sa) if need_a else None
    gb = unbroadcast(M.mul(g, a), sb) if need_b else None
    return ga, gb


MulBackward0 = node_class("MulBackward0", _mul_bw)


def _sv(t, a):
    """A saved record for an operand: a tensor (checked for in-place changes) or a constant."""
    if t is None:
        return (None, a, CONST_VC, 0)
    return (t, a, t._vc, t._vc[0])


def mul(input, other, *, out=None):
    """torch.mul with broadcasting; saves each operand the other's gradient needs."""
    ad, bd, ta, tb = binary_operands(input, other)
    try:
        r = P.mul(ad, bd)
    except ValueError:
        raise broadcast_error(np.shape(ad), np.shape(bd)) from None
    if type(r) is not np.ndarray:
        r = np.asarray(r)
    if GRAD[0] and ((ta is not None and ta._rg) or (tb is not None and tb._rg)):
        rs = r.shape
        need_a = ta is not None and ta._rg
        need_b = tb is not None and tb._rg
        sa = ad.shape if need_a and ad.shape != rs else None
        sb = bd.shape if need_b and bd.shape != rs else None
        res = _record2(r, MulBackward0, ta, tb, (sa, sb, need_a, need_b),
                       (_sv(ta, ad) if need_b else NONE_REC, _sv(tb, bd) if need_a else NONE_REC))
    else:
        res = make(r, False, None)
    return res if out is None else write_out(out, res)


multiply = mul


def _div_bw(ctx, saved, g):
    sa, sb, need_a, need_b = ctx
    a, b = saved
    ga = ns(g).div(g, b)
    gb = unbroadcast(-ga * a / b, sb) if need_b else None
    return (unbroadcast(ga, sa) if need_a else None), gb


DivBackward0 = node_class("DivBackward0", _div_bw)


def div(input, other, *, rounding_mode=None, out=None):
    """torch.div: true division (ints give the default float dtype), or ``'trunc'``/``'floor'``."""
    ad, bd, ta, tb = binary_operands(input, other)
    if rounding_mode is None:
        if ad.dtype.kind != "f":
            ad = ad.astype(D.get_default_dtype().np)
            if type(bd) is np.ndarray:
                bd = bd.astype(ad.dtype)
        try:
            r = P.div(ad, bd)
        except ValueError:
            raise broadcast_error(np.shape(ad), np.shape(bd)) from None
        if type(r) is not np.ndarray:
            r = np.asarray(r)
        if GRAD[0] and ((ta is not None and ta._rg) or (tb is not None and tb._rg)):
            rs = r.shape
            need_a = ta is not None and ta._rg
            need_b = tb is not None and tb._rg
            sa = ad.shape if ad.shape != rs else None
            sb = bd.shape if type(bd) is np.ndarray and bd.shape != rs else None
            res = _record2(r, DivBackward0, ta, tb, (sa, sb, need_a, need_b),
                           (_sv(ta, ad) if need_b else NONE_REC, _sv(tb, bd)))
        else:
            res = make(r, False, None)
        return res if out is None else write_out(out, res)
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")
    with np.errstate(divide="ignore", invalid="ignore"):
        if ad.dtype.kind == "f":
            q = ad / bd
            r = np.trunc(q) if rounding_mode == "trunc" else np.floor(q)
        else:
            if np.any(np.asarray(bd) == 0):
                raise RuntimeError("ZeroDivisionError")
            if rounding_mode == "floor":
                r = np.floor_divide(ad, bd)
            else:
                r = (np.trunc(ad / np.asarray(bd, dtype=np.float64))).astype(ad.dtype)
    res = _zero_grad_result(arr(r), ta, tb, "DivBackward1")
    return res if out is None else write_out(out, res)


divide = true_divide = div


def _zero_bw(ctx, saved, g):
    sa, sb = ctx
    z = ns(g).zeros_like(g)
    return unbroadcast(z, sa), unbroadcast(z, sb)


_ZERO_NODES = {}


def _zero_grad_result(r, ta, tb, name):
    """Ops whose gradient is zero almost everywhere (floor division, rounding)."""
    if _grad_rec(ta, tb):
        cls = _ZERO_NODES.get(name)
        if cls is None:
            cls = _ZERO_NODES[name] = node_class(name, _zero_bw)
        sa = ta.shape if ta is not None and ta.shape != r.shape else None
        sb = tb.shape if tb is not None and tb.shape != r.shape else None
        return _record2(r, cls, ta, tb, (sa, sb))
    return make(r, False, None)


def _no_derivative(name):
    def bw(ctx, saved, g):
        raise RuntimeError(f"derivative for aten::{name} is not implemented")
    return bw


FloorDivideBackward0 = node_class("NotImplemented", _no_derivative("floor_divide"))
_NO_DERIV = {n: node_class("NotImplemented", _no_derivative(n)) for n in ("remainder", "fmod")}


def floor_divide(input, other, *, out=None):
    """torch.floor_divide (like torch, not differentiable: backward raises)."""
    res = div(input.detach() if isinstance(input, Tensor) else input,
              other.detach() if isinstance(other, Tensor) else other, rounding_mode="floor")
    ta = input if isinstance(input, Tensor) else None
    tb = other if isinstance(other, Tensor) else None
    if _grad_rec(ta, tb):
        res = _record2(res._data, FloorDivideBackward0, ta, tb, None)
    return res if out is None else write_out(out, res)


def _rdiv(self, other):
    return div(other, self)


def _rfloordiv(self, other):
    return floor_divide(other, self)


def _remainder_bw(ctx, saved, g):
    sa, sb, fmod_ = ctx
    a, b = saved
    ga = unbroadcast(g, sa)
    gb = None
    if isinstance(b, (np.ndarray, Tensor)):
        q = a / b
        k = (np.trunc(q) if fmod_ else np.floor(q)) if type(g) is np.ndarray else (q.trunc() if fmod_ else q.floor())
        gb = unbroadcast(-g * k, sb)
    return ga, gb


RemainderBackward0 = node_class("RemainderBackward0", _remainder_bw)
FmodBackward0 = node_class("FmodBackward0", _remainder_bw)


def _rem(input, other, fmod_, out):
    ad, bd, ta, tb = binary_operands(input, other)
    if ad.dtype.kind != "f" and np.any(np.asarray(bd) == 0):
        raise RuntimeError("ZeroDivisionError")
    with np.errstate(divide="ignore", invalid="ignore"):
        r = arr(np.fmod(ad, bd) if fmod_ else np.remainder(ad, bd))
    if ta is None and _grad_rec(ta, tb):  # torch has no derivative for a scalar dividend
        res = _record2(r, _NO_DERIV["fmod" if fmod_ else "remainder"], ta, tb, None)
    elif _grad_rec(ta, tb):
        rs = r.shape
        sa = ad.shape if ad.shape != rs else None
        sb = bd.shape if type(bd) is np.ndarray and bd.shape != rs else None
        res = _record2(r, FmodBackward0 if fmod_ else RemainderBackward0, ta, tb, (sa, sb, fmod_),
                       (_sv(ta, ad), _sv(tb, bd)))
    else:
        res = make(r, False, None)
    return write_out(out, res) if out is not None else res


def remainder(input, other, *, out=None):
    """torch.remainder: Python-style modulus (sign of the divisor)."""
    return _rem(input, other, False, out)


def fmod(input, other, *, out=None):
    """torch.fmod: C-style modulus (sign of the dividend)."""
    return _rem(input, other, True, out)


def _rmod(self, other):
    return remainder(other, self)


# ------------------------------------------------------------------ pow
def _pow_scalar_bw(ctx, saved, g):       # tensor ** scalar
    (a,) = saved
    e = ctx
    if e == 0:
        return (g * 0,)
    return (g * (e * a ** (e - 1)),)


def _pow_tensor_bw(ctx, saved, g):       # tensor ** tensor
    sa, sb, need_a, need_b = ctx
    a, b, r = saved
    M = ns(g)
    ga = gb = None
    if need_a:
        ga = unbroadcast(g * (b * M.pow(a, b - 1)), sa)
    if need_b:
        if type(g) is np.ndarray:
            with np.errstate(divide="ignore", invalid="ignore"):
                lg = r * np.log(a)
            gb = g * np.where((a == 0) & (b >= 0), np.zeros((), g.dtype), lg)
        else:
            gb = g * M.where((a == 0) & (b >= 0), M.zeros_like(r), r * M.log(a))
        gb = unbroadcast(gb, sb)
    return ga, gb


def _pow_exp_bw(ctx, saved, g):          # scalar ** tensor
    (r,) = saved
    base = ctx
    if base == 0:
        M = ns(g)
        return (None, g * M.where(r == 1, M.zeros_like(r), r * 0) if type(g) is not np.ndarray else g * 0)
    return (None, g * (r * math.log(base)))


PowBackward0 = node_class("PowBackward0", _pow_scalar_bw)
PowBackward1 = node_class("PowBackward1", _pow_tensor_bw)
PowBackward2 = node_class("PowBackward2", _pow_exp_bw)


def pow(input, exponent, *, out=None):
    """torch.pow for tensor**scalar, scalar**tensor and tensor**tensor."""
    ad, bd, ta, tb = binary_operands(input, exponent)
    if np.asarray(ad).dtype.kind in "iub" and np.asarray(bd).dtype.kind in "iub" and np.any(np.asarray(bd) < 0):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if tb is None and bd == 2:
        r = ad * ad
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.power(ad, bd)
    if type(r) is not np.ndarray:
        r = np.asarray(r)
    if not _grad_rec(ta, tb):
        res = make(r, False, None)
    elif tb is None:
        res = make(r, True, PowBackward0((edge(ta),), bd, (_sv(ta, ad),)))
    elif ta is None:
        node = PowBackward2((NO_EDGE, edge(tb)), to_scalar(input))
        res = make(r, True, node)
        node._saved = (out_rec(res),)
    else:
        rs = r.shape
        need_a, need_b = ta._rg, tb._rg
        node = PowBackward1((edge(ta), edge(tb)),
                            (ad.shape if ad.shape != rs else None, bd.shape if bd.shape != rs else None,
                             need_a, need_b))
        res = make(r, True, node)
        node._saved = (_sv(ta, ad), _sv(tb, bd), out_rec(res) if need_b else NONE_REC)
    return res if out is None else write_out(out, res)


def _rpow(self, other):
    return pow(other, self)


def float_power(input, exponent, *, out=None):
    a = input.double() if isinstance(input, Tensor) else float(input)
    b = exponent.double() if isinstance(exponent, Tensor) else float(exponent)
    return pow(a, b, out=out)


# ------------------------------------------------------------------ clamp / where / min / max
def _clamp_bw(ctx, saved, g):
    (x, lo, hi) = saved
    if type(g) is np.ndarray:
        m = np.ones(x.shape, dtype=bool)
        if lo is not None:
            m &= x >= lo
        if hi is not None:
            m &= x <= hi
        return (np.multiply(g, m, dtype=g.dtype),
                None if not isinstance(lo, np.ndarray) else unbroadcast(np.multiply(g, x < lo, dtype=g.dtype), lo.shape),
                None if not isinstance(hi, np.ndarray) else unbroadcast(np.multiply(g, x > hi, dtype=g.dtype), hi.shape))
    keep = (x >= lo) if lo is not None else None
    if hi is not None:
        keep = (x <= hi) if keep is None else keep & (x <= hi)
    glo = unbroadcast(g * (x < lo), lo.shape) if isinstance(lo, Tensor) else None
    ghi = unbroadcast(g * (x > hi), hi.shape) if isinstance(hi, Tensor) else None
    return (g * keep, glo, ghi)


ClampBackward1 = node_class("ClampBackward1", _clamp_bw)


def clamp(input, min=None, max=None, *, out=None):  # noqa: A002
    """torch.clamp with scalar or tensor bounds; the gradient passes where min <= x <= max."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    d = input._data
    tmin = min if isinstance(min, Tensor) else None
    tmax = max if isinstance(max, Tensor) else None
    lo = tmin._data if tmin is not None else min
    hi = tmax._data if tmax is not None else max
    rt = D.result_type(*(v for v in (input, min, max) if v is not None))
    if rt.np != d.dtype:
        d = d.astype(rt.np)
    if lo is not None and hi is not None:
        r = np.minimum(np.maximum(d, lo), hi)
    elif lo is not None:
        r = np.maximum(d, lo)
    else:
        r = np.minimum(d, hi)
    r = arr(r).astype(rt.np, copy=False)
    if GRAD[0] and (input._rg or (tmin is not None and tmin._rg) or (tmax is not None and tmax._rg)):
        node = ClampBackward1((edge(input), edge(tmin) if tmin is not None else NO_EDGE,
                               edge(tmax) if tmax is not None else NO_EDGE))
        node._saved = ((input, d, input._vc, input._vc[0]),
                       (tmin, lo, tmin._vc, tmin._vc[0]) if tmin is not None else (None, lo, [0], 0),
                       (tmax, hi, tmax._vc, tmax._vc[0]) if tmax is not None else (None, hi, [0], 0))
        res = make(r, True, node)
    else:
        res = make(r, False, None)
    return res if out is None else write_out(out, res)


clip = clamp


def clamp_min(input, min):  # noqa: A002
    return clamp(input, min=min)


def clamp_max(input, max):  # noqa: A002
    return clamp(input, max=max)


def _where_bw(ctx, saved, g):
    cond, sa, sb = ctx
    M = ns(g)
    if type(g) is np.ndarray:
        z = np.zeros((), dtype=g.dtype)
        ga = np.where(cond, g, z)
        gb = np.where(cond, z, g)
    else:
        c = make(cond, False, None)
        z = M.zeros_like(g)
        ga = M.where(c, g, z)
        gb = M.where(c, z, g)
    return None, (unbroadcast(ga, sa) if sa is not None else None), (unbroadcast(gb, sb) if sb is not None else None)


WhereBackward0 = node_class("WhereBackward0", _where_bw)


def where(condition, input=None, other=None, *, out=None):
    """torch.where(condition, input, other); ``where(condition)`` gives the nonzero indices."""
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    c = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if c.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {D.from_np(c.dtype).name.capitalize()}")
    ad, bd, ta, tb = binary_operands(input, other)
    try:
        r = arr(np.where(c, ad, bd))
    except ValueError:
        raise broadcast_error(c.shape, np.broadcast_shapes(np.shape(ad), np.shape(bd))
                              if np.shape(ad) != np.shape(bd) else np.shape(ad)) from None
    if _grad_rec(ta, tb):
        rs = r.shape
        res = _record2(r, WhereBackward0, ta, tb, None)
        res.grad_fn.next_functions = (NO_EDGE,) + res.grad_fn.next_functions
        res.grad_fn._ctx = (np.broadcast_to(c, rs), ta.shape if ta is not None else None,
                            tb.shape if tb is not None else None)
    else:
        res = make(r, False, None)
    return res if out is None else write_out(out, res)


def _minmax_bw(ctx, saved, g):
    sa, sb, is_max = ctx
    a, b = saved
    if type(g) is np.ndarray:
        pick_a = (a > b) if is_max else (a < b)
        tie = a == b
        wa = pick_a + 0.5 * tie
        wa = wa.astype(g.dtype)
        ga = g * wa
        gb = g - ga
    else:
        pick_a = ((a > b) if is_max else (a < b)).to(g.dtype)
        tie = (a == b).to(g.dtype)
        ga = g * (pick_a + tie * 0.5)
        gb = g - ga
    return (unbroadcast(ga, sa) if sa is not None else ga), (unbroadcast(gb, sb) if sb is not None else gb)


MaximumBackward0 = node_class("MaximumBackward0", _minmax_bw)
MinimumBackward0 = node_class("MinimumBackward0", _minmax_bw)


def _minmax(input, other, is_max, nan_prop, out):
    if not isinstance(other, Tensor):
        raise TypeError(f"{'maximum' if is_max else 'minimum'}(): argument 'other' must be Tensor")
    ad, bd, ta, tb = binary_operands(input, other)
    f = (np.maximum if is_max else np.minimum) if nan_prop else (np.fmax if is_max else np.fmin)
    r = arr(f(ad, bd))
    if _grad_rec(ta, tb):
        rs = r.shape
        res = _record2(r, MaximumBackward0 if is_max else MinimumBackward0, ta, tb,
                       (ad.shape if ad.shape != rs else None, bd.shape if bd.shape != rs else None, is_max),
                       (_sv(ta, ad), _sv(tb, bd)))
    else:
        res = make(r, False, None)
    return res if out is None else write_out(out, res)


def maximum(input, other, *, out=None):
    """torch.maximum (NaN propagates; ties split the gradient evenly, as torch)."""
    return _minmax(input, other, True, True, out)


def minimum(input, other, *, out=None):
    return _minmax(input, other, False, True, out)


def fmax(input, other, *, out=None):
    return _minmax(input, other, True, False, out)


def fmin(input, other, *, out=None):
    return _minmax(input, other, False, False, out)


def lerp(input, end, weight, *, out=None):
    """torch.lerp: ``input + weight * (end - input)`` (differentiable in all three)."""
    res = add(input, mul(weight, sub(end, input)))
    return res if out is None else write_out(out, res)


def atan2(input, other, *, out=None):
    """torch.atan2(y=input, x=other)."""
    res = _atan2(input, other)
    return res if out is None else write_out(out, res)


def _atan2_bw(ctx, saved, g):
    sa, sb = ctx
    y, x = saved
    den = x * x + y * y
    ga = g * x / den
    gb = -g * y / den
    return unbroadcast(ga, sa), unbroadcast(gb, sb)


Atan2Backward0 = node_class("Atan2Backward0", _atan2_bw)


def _atan2(input, other):
    ad, bd, ta, tb = binary_operands(input, other)
    ad, bd = float_array(np.asarray(ad)), float_array(np.asarray(bd))
    r = arr(np.arctan2(ad, bd))
    if _grad_rec(ta, tb):
        rs = r.shape
        return _record2(r, Atan2Backward0, ta, tb,
                        (ad.shape if ad.shape != rs else None, bd.shape if bd.shape != rs else None),
                        (_sv(ta, ad), _sv(tb, bd)))
    return make(r, False, None)


arctan2 = atan2


def hypot(input, other, *, out=None):
    res = sqrt(add(mul(input, input), mul(other, other)))
    return res if out is None else write_out(out, res)


def logaddexp(input, other, *, out=None):
    m = maximum(input, other).detach()
    res = add(m, log(add(exp(sub(input, m)), exp(sub(other, m)))))
    return res if out is None else write_out(out, res)


def _xlogy_bw(ctx, saved, g):
    sa, sb = ctx
    x, y = saved
    M = ns(g)
    with np.errstate(divide="ignore", invalid="ignore"):  # log(0) and x/0 are silent in torch
        gx = g * M.log(y)
        gy = g * x / y
    # torch: d/dx is 0 where x == 0 and y == 0 (the value is defined as 0 there)
    both0 = (x == 0) & (y == 0)
    if type(g) is np.ndarray:
        if both0.any():
            gx = np.where(both0, np.zeros((), gx.dtype), gx)
    else:
        gx = M.where(both0, M.zeros_like(gx), gx)
    return unbroadcast(gx, sa), unbroadcast(gy, sb)


XlogyBackward0 = node_class("XlogyBackward0", _xlogy_bw)


def xlogy(input, other, *, out=None):
    """torch.xlogy: ``x * log(y)``, 0 where x == 0 (NaN where y is NaN)."""
    ad, bd, ta, tb = binary_operands(input, other)
    ad, bd = float_array(np.asarray(ad)), float_array(np.asarray(bd)).astype(float_array(np.asarray(ad)).dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where((ad == 0) & ~np.isnan(bd), np.zeros((), ad.dtype), ad * np.log(bd))
    r = arr(r)
    if _grad_rec(ta, tb):
        rs = r.shape
        res = _record2(r, XlogyBackward0, ta, tb,
                       (ad.shape if ad.shape != rs else None, bd.shape if bd.shape != rs else None),
                       (_sv(ta, ad), _sv(tb, bd)))
    else:
        res = make(r, False, None)
    return res if out is None else write_out(out, res)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    res = add(input, mul(tensor1, tensor2), alpha=value)
    return res if out is None else write_out(out, res)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    res = add(input, div(tensor1, tensor2), alpha=value)
    return res if out is None else write_out(out, res)


from .compare import (bitwise_and, bitwise_not, bitwise_or, bitwise_xor, eq, equal, ge, gt, isclose,  # noqa: E402
                      allclose, isfinite, isinf, isnan, isneginf, isposinf, le, logical_and, logical_not,
                      logical_or, logical_xor, lt, nan_to_num, ne, signbit)
from .inplace import (inplace_method, _div_ip, _fast_inplace, _rebase_history, add_, apply_inplace, check_inplace,  # noqa: E402,F401
                      div_, mul_, sub_)




def _iop(fast):
    def op(self, other):
        return fast(self, other)
    return op


_METHODS = {
    "add": add, "sub": sub, "subtract": sub, "mul": mul, "multiply": mul, "div": div, "divide": div,
    "true_divide": div, "floor_divide": floor_divide, "remainder": remainder, "fmod": fmod, "pow": pow,
    "float_power": float_power, "atan2": atan2, "arctan2": atan2, "hypot": hypot, "logaddexp": logaddexp,
    "xlogy": xlogy, "addcmul": addcmul, "addcdiv": addcdiv, "lerp": lerp, "maximum": maximum,
    "minimum": minimum, "fmax": fmax, "fmin": fmin, "clamp": clamp, "clip": clamp, "clamp_min": clamp_min,
    "clamp_max": clamp_max, "relu": relu, "sigmoid": sigmoid, "round": round,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "greater": gt, "greater_equal": ge,
    "less": lt, "less_equal": le, "not_equal": ne, "equal": equal, "isclose": isclose, "allclose": allclose,
    "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor,
    "logical_not": logical_not, "bitwise_and": bitwise_and, "bitwise_or": bitwise_or,
    "bitwise_xor": bitwise_xor, "bitwise_not": bitwise_not, "isnan": isnan, "isinf": isinf,
    "isfinite": isfinite, "isposinf": isposinf, "isneginf": isneginf, "signbit": signbit,
    "nan_to_num": nan_to_num, "sgn": sgn, "erfinv": erfinv,
    "where": lambda self, condition, other: where(condition, self, other),
    "__add__": add, "__radd__": lambda self, other: add(other, self),
    "__sub__": sub, "__rsub__": _rsub,
    "__mul__": mul, "__rmul__": lambda self, other: mul(other, self),
    "__truediv__": div, "__rtruediv__": _rdiv, "__floordiv__": floor_divide, "__rfloordiv__": _rfloordiv,
    "__mod__": remainder, "__rmod__": _rmod, "__pow__": pow, "__rpow__": _rpow,
    "__neg__": neg, "__pos__": lambda self: self, "__abs__": abs,
    "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    "__and__": bitwise_and, "__or__": bitwise_or, "__xor__": bitwise_xor, "__invert__": bitwise_not,
    "__rand__": lambda self, other: bitwise_and(other, self), "__ror__": lambda self, other: bitwise_or(other, self),
    "__rxor__": lambda self, other: bitwise_xor(other, self),
    "add_": add_, "sub_": sub_, "subtract_": sub_, "mul_": mul_, "multiply_": mul_, "div_": div_,
    "divide_": div_, "true_divide_": div_,
    "__iadd__": _iop(add_), "__isub__": _iop(sub_), "__imul__": _iop(mul_), "__itruediv__": _iop(_div_ip),
    "__ifloordiv__": lambda self, other: apply_inplace(self, floor_divide, other),
    "__imod__": lambda self, other: apply_inplace(self, remainder, other),
    "__ipow__": lambda self, other: apply_inplace(self, pow, other),
    "__iand__": lambda self, other: apply_inplace(self, bitwise_and, other),
    "__ior__": lambda self, other: apply_inplace(self, bitwise_or, other),
    "__ixor__": lambda self, other: apply_inplace(self, bitwise_xor, other),
}
for _f in (neg, abs, sign, exp, exp2, log, log2, log10, log1p, expm1, sqrt, rsqrt, square, reciprocal,
           sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, acosh, atanh, floor, ceil, trunc, frac,
           deg2rad, rad2deg, erf, erfc):
    _METHODS[_f.__name__] = _f
for _alias, _f in (("negative", neg), ("absolute", abs), ("arcsin", asin), ("arccos", acos), ("arctan", atan),
                   ("arcsinh", asinh), ("arccosh", acosh), ("arctanh", atanh), ("fix", trunc)):
    _METHODS[_alias] = _f
# in-place forms of the unary and binary ops (``x.exp_()``, ``x.clamp_(0, 1)``, ...)
for _name in ("neg", "abs", "sign", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt",
              "square", "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
              "asinh", "acosh", "atanh", "floor", "ceil", "trunc", "frac", "sigmoid", "relu", "clamp", "clip",
              "clamp_min", "clamp_max", "pow", "remainder", "fmod", "floor_divide", "lerp", "atan2", "addcmul",
              "addcdiv", "round", "nan_to_num", "maximum", "minimum", "erf", "erfc", "erfinv", "deg2rad",
              "rad2deg", "negative", "absolute", "arcsin", "arccos", "arctan", "fix", "hypot", "xlogy",
              "logical_not", "logical_and", "logical_or", "logical_xor", "bitwise_not", "bitwise_and",
              "bitwise_or", "bitwise_xor", "eq", "ne", "lt", "le", "gt", "ge", "sgn"):
    _METHODS[_name + "_"] = inplace_method(_METHODS[_name])
attach(_METHODS)
