"""torch.nn.functional activations: relu ... gelu, softmax family, glu, prelu, rrelu, normalize.

Every common activation is ONE graph node (named as torch's: ``GeluBackward0``,
``LeakyReluBackward0``...) whose forward and backward are hand-written NumPy kernels.  A
kernel ``k(out, x, *params)`` is elementwise and shape-agnostic; ``_ew`` runs it once on small
arrays and, on large ones, in cache-sized blocks spread over numtorch's ufunc threads
(``numtorch._ops._par``), so a ten-ufunc formula costs about one memory pass.  float16 computes
in float32 as torch does.  Under ``create_graph=True`` the backward formulas are written with
numtorch ops instead, so double backward works.

``inplace=True`` / the ``op_`` forms write into the input with torch's checks (a leaf that
requires grad raises) and node names (``LeakyReluBackward1``, ``EluBackward1``...; relu,
hardtanh, leaky_relu, elu/celu/selu and rrelu save their result, as torch, so a later in-place
change of it is detected).  Exact gelu uses its own erfc (Chebyshev fit of
``log(erfc(z)/t) + z^2``, t = 2/(2+z)): relative error ~1e-13 in float64, ~1e-6 in float32 (rounding of z^2).
"""
from __future__ import annotations

import inspect
import math

import numpy as np

from ... import _dtype as D
from ..._ops import _par as P
from ..._ops import activation as _A
from ..._ops._helpers import make, normalize_dim
from ..._ops.elementwise import relu as _relu_op
from ..._ops.elementwise import sigmoid as _sigmoid_op
from ..._ops.elementwise import tanh as _tanh_op
from ..._ops.factories import _rng
from ..._ops.inplace import apply_inplace, check_inplace
from ..._tensor import Tensor
from ...autograd.grad_mode import GRAD
from ...autograd.graph import _LEGACY, const, edge, node_class, out_rec

__all__ = [
    "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "prelu", "rrelu", "rrelu_", "elu", "elu_", "celu",
    "celu_", "selu", "selu_", "gelu", "silu", "mish", "sigmoid", "tanh", "hardtanh", "hardtanh_", "hardsigmoid",
    "hardswish", "logsigmoid", "softplus", "softsign", "softshrink", "hardshrink", "tanhshrink", "threshold",
    "threshold_", "glu", "softmax", "log_softmax", "softmin", "gumbel_softmax", "normalize",
]

_BLK = 1 << 15          # elements per cache-resident block of a composite kernel
_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_K_TANH = math.sqrt(2.0 / math.pi)
_C_TANH = 0.044715
_SIXTH = float(np.float32(1.0 / 6.0))  # torch's hardsigmoid gradient uses this float constant for every dtype
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946

from ..._ops._special import erfc_pos as _erfc_pos  # noqa: E402


def _nt():
    import numtorch
    return numtorch


# ------------------------------------------------------------------ kernel runner
def _chunked(kernel):
    def run(*args, out):
        n = out.shape[0]
        for s in range(0, n, _BLK):
            e = s + _BLK
            kernel(out[s:e], *[a[s:e] if type(a) is np.ndarray else a for a in args])
    return run


def _ew(kernel, *args):
    """``kernel(out, *args)`` into a fresh array shaped and typed like ``args[0]`` (float16
    computes in float32).  Large arrays run in blocks over the ufunc threads."""
    x = args[0]
    shape = x.shape
    half = x.dtype == np.float16
    if half or not shape:   # float16 computes in float32; 0-d arrays as 1-element ones (ufuncs give scalars)
        args = tuple((a.astype(np.float32) if half and a.dtype == np.float16 else a).reshape(a.shape or (1,))
                     if type(a) is np.ndarray else a for a in args)
        x = args[0]
    out = np.empty(x.shape, x.dtype)
    n = x.size
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if n <= _BLK:
            kernel(out, *args)
        else:
            flat = tuple(np.ascontiguousarray(a).reshape(-1) if type(a) is np.ndarray else a for a in args)
            P._run(_chunked(kernel), flat, out.reshape(-1), n)
    if half:
        out = out.astype(np.float16)
    return out if shape else out.reshape(())


# a 0/1 float mask: selecting by float multiplies is SIMD-fast, where ``np.where`` or
# ``copyto(where=)`` on a 50/50 mask is ~50x slower (branch mispredictions)
_f = lambda m, dt: m.astype(dt)


def _phi(x):
    """The standard normal CDF, accurate in both tails: ``h`` for x < 0, ``1 - h`` otherwise,
    with ``h = erfc(|x| / sqrt 2) / 2``."""
    z = np.abs(x)
    z *= _SQRT1_2
    h = _erfc_pos(z, np.empty_like(x))
    m = _f(x >= 0, x.dtype)
    np.multiply(m, -2.0, out=z)
    z += 1.0
    z *= h
    z *= 0.5
    z += m
    return z


# ------------------------------------------------------------------ forward / backward kernels
# k(out, x, *params) writes f(x); kb(out, g, x, *params) writes g * f'(x).  They run on blocks
# that fit in cache, so the temporaries that expressions allocate are cheap.
_k_hardtanh = lambda o, x, lo, hi: np.minimum(np.maximum(x, lo, out=o), hi, out=o)


def _kb_hardtanh(o, g, x, lo, hi):
    m = x <= lo
    m |= x >= hi
    np.multiply(g, _f(~m, g.dtype), out=o)           # NaN passes the gradient, as torch


_k_leaky = lambda o, x, s: (np.maximum if s <= 1 else np.minimum)(x, np.multiply(x, s, out=o), out=o)


def _kb_leaky(o, g, x, s):
    t = _f(x > 0, g.dtype)
    t *= 1.0 - s
    t += s
    np.multiply(g, t, out=o)


def _k_elu(o, x, a, sc, isc):
    t = np.expm1(np.minimum(x, 0.0) * isc)
    t *= a * sc
    np.multiply(np.maximum(x, 0.0), sc, out=o)
    o += t


def _kb_elu(o, g, x, a, sc, isc):
    c = a * sc * isc
    t = np.exp(np.minimum(x, 0.0) * isc)
    t *= c
    t += _f(x > 0, x.dtype) * (sc - c)
    np.multiply(g, t, out=o)


def _kb_elu_out(o, g, r, a, sc, isc):
    c = a * sc * isc
    t = np.minimum(r, 0.0) * isc
    t += c
    t += _f(r > 0, r.dtype) * (sc - c)
    np.multiply(g, t, out=o)


_k_gelu = lambda o, x: np.copyto(o, _phi(x))       # writes Phi(x); gelu multiplies by x and saves Phi


def _kb_gelu(o, g, x, phi):
    t = np.exp(np.multiply(x, x) * -0.5)
    t *= x
    t *= _INV_SQRT_2PI
    t += phi
    np.multiply(g, t, out=o)


def _gelu_th(x, x2):
    t = np.multiply(x2, _C_TANH)
    t += 1.0
    t *= x
    t *= _K_TANH
    return np.tanh(t, out=t)


def _k_gelu_tanh(o, x):
    t = _gelu_th(x, np.multiply(x, x))
    t += 1.0
    t *= 0.5
    np.multiply(x, t, out=o)


def _kb_gelu_tanh(o, g, x):
    x2 = np.multiply(x, x)
    t = _gelu_th(x, x2)
    u = np.subtract(1.0, t * t)
    u *= x2 * (1.5 * _C_TANH * _K_TANH) + 0.5 * _K_TANH     # 0.5 * d(inner)/dx
    u *= x
    t += 1.0
    t *= 0.5
    t += u
    np.multiply(g, t, out=o)


def _sig(x):
    s = np.exp(np.negative(x))
    s += 1.0
    return np.divide(1.0, s, out=s)


_k_silu = lambda o, x: np.divide(x, np.exp(-x) + 1.0, out=o)


def _kb_silu(o, g, x):
    s = _sig(x)
    t = np.subtract(1.0, s)
    t *= x
    t += 1.0
    t *= s
    np.multiply(g, t, out=o)


_k_mish = lambda o, x: np.multiply(x, np.tanh(np.log1p(np.exp(x))), out=o)


def _kb_mish(o, g, x):
    ts = np.tanh(np.log1p(np.exp(x)))
    e = np.subtract(1.0, ts * ts)
    e *= _sig(x)
    e *= x
    e += ts
    np.multiply(g, e, out=o)


_k_hardsigmoid = lambda o, x: np.divide(np.minimum(np.maximum(x + 3.0, 0.0), 6.0), 6.0, out=o)
_kb_hardsigmoid = lambda o, g, x: np.multiply(g, _f((x > -3.0) & (x < 3.0), g.dtype) * _SIXTH, out=o)
_k_hardswish = lambda o, x: np.divide(np.minimum(np.maximum(x + 3.0, 0.0), 6.0) * x, 6.0, out=o)


def _kb_hardswish(o, g, x):
    t = np.divide(x, 3.0)
    t += 0.5
    t *= _f(x > -3.0, x.dtype)
    hi = _f(x < 3.0, x.dtype)
    t *= hi
    t += 1.0
    t -= hi                                               # 1 where x >= 3
    np.multiply(g, t, out=o)


_k_logsigmoid = lambda o, x: np.subtract(np.minimum(x, 0.0), np.log1p(np.exp(-np.abs(x))), out=o)
_kb_logsigmoid = lambda o, g, x: np.divide(g, np.exp(x) + 1.0, out=o)


def _k_softplus(o, x, beta, thr):
    z = x * beta if beta != 1 else x
    np.log1p(np.exp(z, out=o), out=o)
    if beta != 1:
        o /= beta
    np.copyto(o, x, where=z > thr)                        # rare: fast despite where=


def _kb_softplus(o, g, x, beta, thr):
    z = x * beta if beta != 1 else x
    np.divide(g, np.exp(-z) + 1.0, out=o)
    np.copyto(o, g, where=z > thr)


_k_softsign = lambda o, x: np.divide(x, np.abs(x) + 1.0, out=o)
_kb_softsign = lambda o, g, x: np.divide(g, np.square(np.abs(x) + 1.0), out=o)
_k_softshrink = lambda o, x, lam: np.subtract(x, np.minimum(np.maximum(x, -lam, out=o), lam, out=o), out=o)
_k_hardshrink = lambda o, x, lam: np.multiply(x, _f(~(np.abs(x) <= lam), x.dtype), out=o)
_kb_shrink = lambda o, g, x, lam: np.multiply(g, _f(~(np.abs(x) <= lam), g.dtype), out=o)
_k_tanhshrink = lambda o, x: np.subtract(x, np.tanh(x), out=o)
_kb_tanhshrink = lambda o, g, x: np.multiply(g, np.square(np.tanh(x)), out=o)
_k_threshold = lambda o, x, thr, val: np.copyto(o, np.where(x <= thr, val, x), casting="unsafe")
_kb_threshold = lambda o, g, x, thr, val: np.multiply(g, _f(~(x <= thr), g.dtype), out=o)


# ------------------------------------------------------------------ double-backward formulas (Tensors)
_tb_leaky = lambda g, x, s: g * ((x > 0).to(g.dtype) * (1.0 - s) + s)
_tb_elu = lambda g, x, a, sc, isc: g * _nt().where(x > 0, sc, (x * isc).exp() * (a * sc * isc))
_tb_elu_out = lambda g, r, a, sc, isc: g * _nt().where(r > 0, sc, (r + a * sc) * isc)
_tb_gelu = lambda g, x, phi: g * (0.5 * (1.0 + _nt().erf(x * _SQRT1_2)) + x * (x * x * -0.5).exp() * _INV_SQRT_2PI)


def _tb_gelu_tanh(g, x):
    th = ((x + _C_TANH * x * x * x) * _K_TANH).tanh()
    return g * (0.5 * (1 + th) + 0.5 * x * (1 - th * th) * (_K_TANH * (1 + 3 * _C_TANH * x * x)))


def _tb_mish(g, x):
    ts = _nt().nn.functional.softplus(x).tanh()
    return g * (ts + x * x.sigmoid() * (1 - ts * ts))


_tb_hardswish = lambda g, x: g * (((x > -3) & (x < 3)).to(g.dtype) * (x / 3 + 0.5) + (x >= 3).to(g.dtype))


_SPECS = {
    # name: (kernel name for dtype errors, fwd, bw on x, Tensor bw, node, in-place node, in-place bw on result)
    "hardtanh": ("hardtanh", _k_hardtanh, _kb_hardtanh, lambda g, x, lo, hi: g * ((x > lo) & (x < hi)),
                 "HardtanhBackward0", "HardtanhBackward0", None, None),
    "leaky_relu": ("leaky_relu_cpu", _k_leaky, _kb_leaky, _tb_leaky, "LeakyReluBackward0", "LeakyReluBackward1",
                   _kb_leaky, _tb_leaky),
    "elu": ("elu_cpu", _k_elu, _kb_elu, _tb_elu, "EluBackward0", "EluBackward1", _kb_elu_out, _tb_elu_out),
    "celu": ("elu_cpu", _k_elu, _kb_elu, _tb_elu, "CeluBackward0", "CeluBackward1", _kb_elu_out, _tb_elu_out),
    "gelu": ("GeluKernelImpl", _k_gelu, _kb_gelu, _tb_gelu, "GeluBackward0", None, None, None),
    "gelu_tanh": ("GeluKernelImpl", _k_gelu_tanh, _kb_gelu_tanh, _tb_gelu_tanh, "GeluBackward0", None, None, None),
    "silu": ("silu_cpu", _k_silu, _kb_silu, lambda g, x: g * (x.sigmoid() * (1 + x * (1 - x.sigmoid()))),
             "SiluBackward0", "SiluBackward0", None, None),
    "mish": ("mish_cpu", _k_mish, _kb_mish, _tb_mish, "MishBackward0", "MishBackward0", None, None),
    "hardsigmoid": ("hardsigmoid_cpu", _k_hardsigmoid, _kb_hardsigmoid,
                    lambda g, x: g * (((x > -3) & (x < 3)).to(g.dtype) * _SIXTH),
                    "HardsigmoidBackward0", "HardsigmoidBackward0", None, None),
    "hardswish": ("hardswish_cpu", _k_hardswish, _kb_hardswish, _tb_hardswish, "HardswishBackward0",
                  "HardswishBackward0", None, None),
    "logsigmoid": ("log_sigmoid_cpu", _k_logsigmoid, _kb_logsigmoid, lambda g, x: g * (-x).sigmoid(),
                   "LogSigmoidBackward0", None, None, None),
    "softplus": ("softplus_cpu", _k_softplus, _kb_softplus,
                 lambda g, x, b, t: g * _nt().where(x * b > t, 1.0, (x * b).sigmoid()),
                 "SoftplusBackward0", None, None, None),
    "softsign": (None, _k_softsign, _kb_softsign, lambda g, x: g / ((x.abs() + 1) * (x.abs() + 1)),
                 "DivBackward0", None, None, None),
    "softshrink": ("softshrink_check", _k_softshrink, _kb_shrink, lambda g, x, lam: g * (x.abs() > lam),
                   "SoftshrinkBackward0", None, None, None),
    "hardshrink": ("hardshrink_cpu", _k_hardshrink, _kb_shrink, lambda g, x, lam: g * (x.abs() > lam),
                   "HardshrinkBackward0", None, None, None),
    "tanhshrink": (None, _k_tanhshrink, _kb_tanhshrink, lambda g, x: g * x.tanh() * x.tanh(),
                   "SubBackward0", None, None, None),
    "threshold": ("threshold_cpu", _k_threshold, _kb_threshold, lambda g, x, thr, val: g * (x > thr),
                  "ThresholdBackward0", "ThresholdBackward1", None, None),
}
_NODES = {}


def _node(name, cls_name, bw_np, bw_t, on_result):
    key = (name, cls_name, on_result)
    cls = _NODES.get(key)
    if cls is None:
        def bw(ctx, saved, g):
            if ctx and ctx[-1] is _NEG_INPLACE:
                raise RuntimeError(_NEG_MSG[name])
            if type(g) is np.ndarray:
                return (_ew(bw_np, g, *saved, *ctx),)
            return (bw_t(g, *saved, *ctx),)
        cls = _NODES[key] = node_class(cls_name, bw)
    return cls


_NEG_INPLACE = object()  # marks an in-place leaky_relu_/elu_ with a negative slope: torch refuses its backward
_NEG_MSG = {
    "leaky_relu": "In-place leakyReLu backward calculation is triggered with a negative slope which is not supported. "
                  "This is caused by calling in-place forward function with a negative slope, please call out-of-place "
                  "version instead. File an issue at https://github.com/pytorch/pytorch if you do require supporting "
                  "in-place leakRelu backward calculation with negative slope",
    "elu": "In-place elu backward calculation is triggered with a negative slope which is not supported. This is caused "
           "by calling in-place forward function with a negative slope, please call out-of-place version instead.",
}
_NEG_MSG["celu"] = _NEG_MSG["elu"]


def _legacy(dt) -> str:
    return _LEGACY.get(np.dtype(dt).name, np.dtype(dt).name)


def _need_tensor(input, fname):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fname}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")


def _float_only(d, kname):
    if d.dtype.kind != "f":
        raise NotImplementedError(f"\"{kname}\" not implemented for '{_legacy(d.dtype)}'")


def _record(input, name, params, ip):
    """Out-of-place activation ``name`` with one node; ``ip``: called by apply_inplace for an ``op_``."""
    kname, fwd, bw, bwt, cls_name, ip_name, bw_out, bwt_out = _SPECS[name]
    d = input._data
    if d.dtype.kind != "f" and kname is None:
        d = d.astype(D.get_default_dtype().np)
    extra = ()
    if name == "gelu":   # the forward's Phi(x) is saved for backward (saves recomputing erfc)
        phi = _ew(fwd, d)
        r = np.asarray(P.mul(d, phi))
        extra = (const(phi),)
    else:
        r = _ew(fwd, d, *params)
    if GRAD[0] and input._rg:
        on_result = ip and bw_out is not None
        cls = _node(name, ip_name if ip else cls_name, bw_out if on_result else bw,
                    bwt_out if on_result else bwt, on_result)
        if on_result and name in _NEG_MSG and params[0] < 0:
            params = params + (_NEG_INPLACE,)
        node = cls((edge(input),), params)
        res = make(r, True, node)
        node._saved = (out_rec(res),) if on_result else ((input, d, input._vc, input._vc[0]),) + extra
        return res
    return make(r, False, None)


def _act(input, name, params, inplace, fname, int_ok=False):
    _need_tensor(input, fname)
    d = input._data
    kname = _SPECS[name][0]
    if d.dtype.kind != "f" and kname is not None:
        if d.dtype == np.bool_ and int_ok:
            raise RuntimeError(f"Bool inputs not supported for {kname}")
        if not int_ok:
            _float_only(d, kname)
        params = tuple(d.dtype.type(p) for p in params)
    if not inplace:
        return _record(input, name, params, False)
    if GRAD[0] and input._rg:
        return apply_inplace(input, _record, name, params, True)
    check_inplace(input)
    np.copyto(d, _ew(_SPECS[name][1], d, *params), casting="unsafe")
    input._vc[0] += 1
    return input


# ------------------------------------------------------------------ the public functions
def relu(input, inplace=False):
    """F.relu: ``max(x, 0)`` (integer inputs allowed, bool refused, as torch); ReluBackward0."""
    _need_tensor(input, "relu")
    if input._data.dtype == np.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")
    if inplace:
        return relu_(input)
    return _relu_op(input)


def relu_(input):
    """F.relu_ / torch.relu_: in place; the node saves the result (as torch)."""
    _need_tensor(input, "relu_")
    d = input._data
    if d.dtype == np.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")
    if GRAD[0] and input._rg:
        return apply_inplace(input, _relu_op)
    check_inplace(input)
    P.binary(np.maximum, d, 0, d)
    input._vc[0] += 1
    return input


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """F.hardtanh: clamp to [min_val, max_val]; gradient 0 at and beyond the bounds (torch)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _act(input, "hardtanh", (min_val, max_val), inplace, "hardtanh", int_ok=True)


def relu6(input, inplace=False):
    """F.relu6: ``hardtanh(x, 0, 6)`` (node HardtanhBackward0, as torch)."""
    return _act(input, "hardtanh", (0.0, 6.0), inplace, "relu6", int_ok=True)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """F.leaky_relu: ``x if x > 0 else negative_slope * x`` (gradient ``negative_slope`` at 0)."""
    return _act(input, "leaky_relu", (float(negative_slope),), inplace, "leaky_relu")


def elu(input, alpha=1.0, inplace=False):
    """F.elu: ``x if x > 0 else alpha * (exp(x) - 1)``."""
    return _act(input, "elu", (float(alpha), 1.0, 1.0), inplace, "elu")


def selu(input, inplace=False):
    """F.selu: ``scale * elu(x, alpha)`` with torch's constants (node EluBackward0, as torch)."""
    return _act(input, "elu", (_SELU_ALPHA, _SELU_SCALE, 1.0), inplace, "selu")


def celu(input, alpha=1.0, inplace=False):
    """F.celu: ``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``; alpha == 0 raises as torch."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _act(input, "celu", (float(alpha), 1.0, 1.0 / alpha), inplace, "celu")


def gelu(input, *, approximate="none"):
    """F.gelu: ``x * Phi(x)`` (exact, via erfc) or the ``approximate='tanh'`` form."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _act(input, "gelu" if approximate == "none" else "gelu_tanh", (), False, "gelu")


def silu(input, inplace=False):
    """F.silu (swish): ``x * sigmoid(x)``."""
    return _act(input, "silu", (), inplace, "silu")


def mish(input, inplace=False):
    """F.mish: ``x * tanh(softplus(x))``."""
    return _act(input, "mish", (), inplace, "mish")


def hardsigmoid(input, inplace=False):
    """F.hardsigmoid: ``relu6(x + 3) / 6``."""
    return _act(input, "hardsigmoid", (), inplace, "hardsigmoid")


def hardswish(input, inplace=False):
    """F.hardswish: ``x * relu6(x + 3) / 6``."""
    return _act(input, "hardswish", (), inplace, "hardswish")


def logsigmoid(input):
    """F.logsigmoid: ``min(x, 0) - log1p(exp(-|x|))`` (stable for large |x|)."""
    return _act(input, "logsigmoid", (), False, "log_sigmoid")


def softplus(input, beta=1.0, threshold=20.0):
    """F.softplus: ``log1p(exp(beta * x)) / beta``, or ``x`` where ``beta * x > threshold``."""
    return _act(input, "softplus", (float(beta), float(threshold)), False, "softplus")


def softsign(input):
    """F.softsign: ``x / (1 + |x|)`` (integer inputs give the default float dtype)."""
    return _act(input, "softsign", (), False, "softsign")


def _check_lambda(d, lambd):
    if lambd < 0:
        dt = d.dtype if d.dtype.kind == "f" else np.dtype(np.float32)
        raise RuntimeError(f"lambda must be in range [0, {float(np.finfo(dt).max):g}] for input dtype "
                           f"{_legacy(dt)}, but found {lambd:g}")


def softshrink(input, lambd=0.5):
    """F.softshrink: ``x - lambd``, ``x + lambd`` or 0; a negative lambd raises as torch."""
    _need_tensor(input, "softshrink")
    _float_only(input._data, "softshrink_check")
    _check_lambda(input._data, lambd)
    return _act(input, "softshrink", (float(lambd),), False, "softshrink")


def hardshrink(input, lambd=0.5):
    """F.hardshrink: ``x`` where ``|x| > lambd``, else 0."""
    return _act(input, "hardshrink", (float(lambd),), False, "hardshrink")


def tanhshrink(input):
    """F.tanhshrink: ``x - tanh(x)``."""
    return _act(input, "tanhshrink", (), False, "tanhshrink")


def threshold(input, threshold, value, inplace=False):
    """F.threshold: ``x`` where ``x > threshold``, else ``value`` (NaN stays NaN, as torch)."""
    return _act(input, "threshold", (threshold, value), inplace, "threshold", int_ok=True)


def _zero_dim_safe(op, input):
    # numtorch.sigmoid / tanh's backward fail on 0-d tensors (their NumPy ufuncs return scalars):
    # run those through a 1-element view
    if isinstance(input, Tensor) and input.ndim == 0:
        return op(input.reshape(1)).reshape(())
    return op(input)


def sigmoid(input):
    """F.sigmoid: torch.sigmoid."""
    return _zero_dim_safe(_sigmoid_op, input)


def tanh(input):
    """F.tanh: torch.tanh."""
    return _zero_dim_safe(_tanh_op, input)


# ------------------------------------------------------------------ rrelu
def _rrelu_bw(ctx, saved, g):
    noise = ctx
    if type(g) is np.ndarray:
        return (P.mul(g, noise.astype(g.dtype, copy=False)),)
    return (g * make(noise, False, None).to(g.dtype),)


_RreluBackward = (node_class("RreluWithNoiseBackward0", _rrelu_bw), node_class("RreluWithNoiseBackward1", _rrelu_bw))


def _rrelu_record(input, lower, upper, training, ip):
    d = input._data
    if training:
        noise = _rng(None).uniform(lower, upper, d.shape).astype(d.dtype)
        np.copyto(noise, 1, where=d > 0)
    else:
        s = (lower + upper) / 2
        noise = _ew(_kb_leaky, np.ones(d.shape, d.dtype), d, s)
    r = np.asarray(P.mul(d, noise))
    if GRAD[0] and input._rg:
        node = _RreluBackward[ip]((edge(input),), noise)
        res = make(r, True, node)
        node._saved = (out_rec(res),) if ip else ()
        return res
    return make(r, False, None)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """F.rrelu: in training each non-positive element gets a slope drawn uniformly from
    [lower, upper] (numtorch's global generator); in eval the slope is ``(lower + upper) / 2``."""
    _need_tensor(input, "rrelu")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    _float_only(input._data, "leaky_relu_cpu")
    if not inplace:
        return _rrelu_record(input, lower, upper, training, False)
    if GRAD[0] and input._rg:
        return apply_inplace(input, _rrelu_record, lower, upper, training, True)
    check_inplace(input)
    np.copyto(input._data, _rrelu_record(input, lower, upper, training, False)._data)
    input._vc[0] += 1
    return input


# ------------------------------------------------------------------ prelu
def _prelu_bw(ctx, saved, g):
    wshape, bshape, red, need_x, need_w = ctx
    x, w = saved
    wb = w.reshape(bshape)
    if type(g) is np.ndarray:
        pos = x > 0
        gx = gw = None
        if need_x:
            gx = np.asarray(np.multiply(g, wb))
            np.copyto(gx, g, where=pos)
        if need_w:
            t = np.asarray(np.multiply(g, x))
            t[pos] = 0
            gw = t.sum(axis=red).reshape(wshape) if red else t.reshape(wshape)
        return gx, gw
    pos = (x > 0).to(g.dtype)
    gx = g * (pos + (1 - pos) * w.reshape(bshape)) if need_x else None
    gw = None
    if need_w:
        t = g * x * (1 - pos)
        gw = (t.sum(dim=red) if red else t).reshape(wshape)
    return gx, gw


PreluKernelBackward0 = node_class("PreluKernelBackward0", _prelu_bw)


def prelu(input, weight):
    """F.prelu: ``x if x > 0 else weight * x`` with one weight per channel (dim 1; a single
    weight for 0-/1-D inputs), torch's shape and dtype checks; node PreluKernelBackward0."""
    _need_tensor(input, "prelu")
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu(): argument 'weight' (position 2) must be Tensor, not {type(weight).__name__}")
    d, w = input._data, weight._data
    nd = d.ndim
    ch = d.shape[1] if nd >= 2 else 1
    if w.size != 1:
        if nd == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        if w.size != ch:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{w.size} and channel size = {ch}.")
    if w.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {w.ndim}")
    if d.dtype != w.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {_legacy(d.dtype)} and {_legacy(w.dtype)}")
    _float_only(d, "prelu_cpu")
    if w.size == 1 or nd < 2:
        bshape = (1,) * nd if w.size == 1 else (ch,)
        red = tuple(range(nd))
    else:
        bshape = (1, ch) + (1,) * (nd - 2)
        red = (0,) + tuple(range(2, nd))
    wb = w.reshape(bshape)
    r = np.asarray(np.multiply(d, wb))
    np.copyto(r, d, where=d > 0)
    if GRAD[0] and (input._rg or weight._rg):
        node = PreluKernelBackward0((edge(input), edge(weight)), (w.shape, bshape, red, input._rg, weight._rg))
        node._saved = ((input, d, input._vc, input._vc[0]), (weight, w, weight._vc, weight._vc[0]))
        return make(r, True, node)
    return make(r, False, None)


# ------------------------------------------------------------------ glu
def _glu_bw(ctx, saved, g):
    axis, n = ctx
    (x,) = saved
    if type(g) is np.ndarray:
        a, b = np.split(x, 2, axis=axis)
        s = _sig(b)
        out = np.empty(x.shape, g.dtype)
        ga, gb = np.split(out, 2, axis=axis)
        np.multiply(g, s, out=ga)
        np.subtract(1.0, s, out=gb)
        gb *= a
        gb *= ga
        return (out,)
    a, b = x.chunk(2, axis)
    s = b.sigmoid()
    return (_nt().cat([g * s, g * a * s * (1 - s)], axis),)


GluBackward0 = node_class("GluBackward0", _glu_bw)


def glu(input, dim=-1):
    """F.glu: ``a * sigmoid(b)`` with ``a, b`` the halves of ``input`` along ``dim``."""
    _need_tensor(input, "glu")
    d = input._data
    if d.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    axis = normalize_dim(dim, d.ndim)
    if d.shape[axis] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {axis} is size {d.shape[axis]}")
    _float_only(d, "glu_cpu")
    a, b = np.split(d, 2, axis=axis)
    with np.errstate(over="ignore"):
        r = np.multiply(a, _sig(b))
    if GRAD[0] and input._rg:
        node = GluBackward0((edge(input),), (axis, d.shape[axis]))
        node._saved = ((input, d, input._vc, input._vc[0]),)
        return make(r, True, node)
    return make(r, False, None)


# ------------------------------------------------------------------ softmax family
def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """F.softmax: torch.softmax; ``dim=None`` picks torch's implicit dim with its warning."""
    if dim is None:
        dim = _A._implicit_dim("softmax", input.dim(), _stacklevel)
    return _A.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """F.log_softmax: torch.log_softmax; ``dim=None`` picks torch's implicit dim with its warning."""
    if dim is None:
        dim = _A._implicit_dim("log_softmax", input.dim(), _stacklevel)
    return _A.log_softmax(input, dim, dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """F.softmin: ``softmax(-input)`` (node SoftmaxBackward0 over NegBackward0, as torch)."""
    if dim is None:
        dim = _A._implicit_dim("softmin", input.dim(), _stacklevel)
    return _A.softmin(input, dim, dtype=dtype)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """F.gumbel_softmax: ``softmax((logits + g) / tau)`` with Gumbel(0, 1) noise ``g`` from the
    global generator; ``hard=True`` returns one-hot rows with the soft sample's gradient."""
    nt = _nt()
    d = logits._data
    e = _rng(None).exponential(1.0, d.shape).astype(d.dtype)
    gumbels = make(-np.log(e), False, None)
    y_soft = _A.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = nt.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """F.normalize: ``input / max(||input||_p over dim, eps)`` (torch's composition, so the same
    nodes: DivBackward0 over the clamped norm)."""
    nt = _nt()
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / denom
    return nt.div(input, denom, out=out)


def _inplace_form(f):
    """``f_(input, ...)``: ``f(input, ..., inplace=True)`` with ``f``'s signature minus ``inplace``."""
    def op(input, *args, **kwargs):
        return f(input, *args, inplace=True, **kwargs)
    sig = inspect.signature(f)
    op.__signature__ = sig.replace(parameters=[v for k, v in sig.parameters.items() if k != "inplace"])
    op.__name__ = op.__qualname__ = f.__name__ + "_"
    op.__doc__ = f"F.{f.__name__}_: in-place {f.__name__}; returns ``input``."
    return op


hardtanh_, leaky_relu_, elu_, selu_, celu_, threshold_, rrelu_ = (
    _inplace_form(f) for f in (hardtanh, leaky_relu, elu, selu, celu, threshold, rrelu))
