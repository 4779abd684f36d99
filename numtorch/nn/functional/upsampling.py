"""F.interpolate (nearest, nearest-exact, linear, bilinear, bicubic, trilinear, area, and the
anti-aliased bilinear/bicubic/lanczos modes) and the deprecated F.upsample* wrappers.

Every mode is separable: each spatial axis gets a cached ``_Axis`` plan saying which input
positions (``idx``) and weights (``w``) make each output position.  Nearest modes gather with
``np.take``; the others multiply by the plan's (out, in) matrix along the axis (one GEMM for
the last axis, a stacked matmul otherwise; long axes are cut into banded chunks so the
matrix work stays proportional to the taps).  The op is linear, so backward applies the
transposed plans in reverse axis order, and under ``create_graph`` the backward is itself a
node whose backward is the forward again.

Matched torch behaviour (observed, CPU): the Python-level size/scale_factor rules and
messages, and the argument/size/dtype errors of the underlying ops; output sizes
``trunc(in * scale)``; source coordinates use ``1 / scale_factor`` when a scale is given and
``recompute_scale_factor`` is not true; nearest indices with torch's float rounding (the 2-D
kernel for small outputs, oH + oW <= 128, maps equal and doubled sizes directly and works in
float32, the generic kernel works in the dtype's precision, and every backward kernel uses the
float32 direct-map rule, so forward and backward maps can differ as they do in torch); linear
modes copy an axis whose size is unchanged; bicubic uses A = -0.75 with clamped border taps,
and its backward passes the gradient through when no size changes; area is adaptive average
pooling (1-D through unsqueeze/squeeze as torch does) and saves its input; anti-aliasing uses
the PIL-style support-scaled filters, with torch's quirks (the forward skips an axis whose size
is unchanged but the backward filters it; a one-column output after a height resize repeats its
first row).  Weights are computed in the input's precision with torch's operation order.  Node
names are torch's.  Not emulated: torch's fixed-point uint8 bilinear/bicubic kernels (numtorch
raises NotImplementedError for those; uint8 nearest works).
"""
from __future__ import annotations

import functools
import math
import numbers
import warnings
from typing import List, Optional, Union

import numpy as np

from ..._ops._helpers import make
from ..._tensor import Tensor
from ...autograd.grad_mode import GRAD
from ...autograd.graph import edge, node_class, save

__all__ = ["interpolate", "upsample", "upsample_bilinear", "upsample_nearest"]

_F32, _F64 = np.float32, np.float64
_LEGACY = {"uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long", "bool": "Bool",
           "float16": "Half"}
_CHUNK = 128        # output positions per banded chunk on long axes
_DENSE = 1 << 16    # an axis with n_in * n_out up to this is one dense matrix


# ------------------------------------------------------------------ per-axis plans
class _Axis:
    """How one axis is resampled: ``out[o] = sum_k w[k, o] * in[idx[k, o]]`` over the taps with
    ``valid[k, o]``.  Nearest plans have no weights (a gather) and their own backward map
    ``bidx``: torch's backward kernels compute nearest indices differently from the forward."""

    __slots__ = ("n_in", "n_out", "idx", "bidx", "w", "valid", "ident", "rep", "_mats")

    def __init__(self, n_in, n_out, idx, w=None, valid=None, ident=False, bidx=None):
        self.n_in, self.n_out = n_in, n_out
        self.idx, self.w, self.valid, self.ident, self.bidx = idx, w, valid, ident, bidx
        self.rep = 0
        if bidx is not None and n_out % n_in == 0:
            k = n_out // n_in
            if np.array_equal(bidx[0], np.arange(n_out) // k):
                self.rep = k   # integer nearest upscaling: the adjoint is a k-slice sum
        self._mats = {}

    def chunks(self, dt) -> list:
        """[(c0, c1, lo, hi, W)]: outputs c0:c1 come from inputs lo:hi through W (c1-c0, hi-lo)."""
        r = self._mats.get(dt)
        if r is None:
            n_out, n_in = self.n_out, self.n_in
            step = n_out if n_in * n_out <= _DENSE else _CHUNK
            idx = self.idx if self.bidx is None else self.bidx   # nearest only uses them in backward
            w = np.ones(idx.shape) if self.w is None else self.w
            ok = np.ones(idx.shape, bool) if self.valid is None else self.valid
            r = []
            for c0 in range(0, n_out, step):
                c1 = min(c0 + step, n_out)
                i, ww, v = idx[:, c0:c1], w[:, c0:c1], ok[:, c0:c1]
                lo, hi = (0, n_in) if step == n_out else (int(i[v].min()), int(i[v].max()) + 1)
                m = np.zeros((c1 - c0, hi - lo))
                rows = np.broadcast_to(np.arange(c1 - c0), i.shape)
                np.add.at(m, (rows[v], i[v] - lo), ww[v])
                r.append((c0, c1, lo, hi, m.astype(dt)))
            self._mats[dt] = r
        return r


def _fma(s, b, c, dbl):
    """``s * b + c`` rounded once, in the input's precision (torch's contracted source index)."""
    if not dbl:   # float32 scale times a short b is exact in float64
        return (_F64(s) * b + c).astype(_F32)
    hi = _F64(_F32(s))   # split s so each partial product is exact
    return (hi * b + c) + (_F64(s) - hi) * b


def _scale(n_in, n_out, scale, ac, P):
    if ac:
        return P(n_in - 1) / P(n_out - 1) if n_out > 1 else P(0)
    return P(1.0 / scale) if scale is not None and scale > 0 else P(n_in) / P(n_out)


def _nearest_idx(n_in, n_out, scale, exact, dbl, small2d):
    o = np.arange(n_out)
    if small2d:   # torch's 2-D kernel for small outputs: float32 index math, direct maps
        if not exact and n_out == n_in:
            return o
        if not exact and n_out == 2 * n_in:
            return o >> 1
        s = _scale(n_in, n_out, scale, False, _F32)
        v = ((o + 0.5) if exact else o).astype(_F32) * s
    elif exact:
        s = _scale(n_in, n_out, scale, False, _F64 if dbl else _F32)
        v = (_fma(s, o + 0.5, -0.5, dbl) + 0.5).astype(_F32)
    else:
        s = _scale(n_in, n_out, scale, False, _F64 if dbl else _F32)
        v = (o.astype(s.dtype) * s).astype(_F32)
    return np.minimum(np.floor(v).astype(np.intp), n_in - 1)


def _fma32(a, b, c):
    """float32 ``a * b + c`` rounded once (the float32 product is exact in float64)."""
    return (_F64(a) * b + c).astype(_F32)


def _cubic_coeffs(t, P):
    """The four A = -0.75 cubic-convolution weights for offsets t in [0, 1), evaluated in the
    input's precision with torch's operation order (fused multiply-adds, ``(1 - t) + 1``)."""
    a = P(-0.75)
    fma = _fma32 if P is _F32 else (lambda x, y, z: x * y + z)   # noqa: E731

    def near(x):     # |x| <= 1
        u = fma(a + 2, x, -(a + 3))
        return (u * x).astype(P) * x + P(1)

    def far(x):      # 1 < |x| < 2
        return fma(fma(fma(a, x, -5 * a), x, 8 * a), x, -4 * a)

    t1 = (P(1) - t).astype(P)
    return [far((t + P(1)).astype(P)), near(t), near(t1), far((t1 + P(1)).astype(P))]


def _aa_filter(kind, x, P):
    x = np.abs(x)
    if kind == "bilinear":
        return np.maximum(P(0), P(1) - x)
    if kind == "bicubic":   # PIL's a = -0.5
        a = P(-0.5)
        return np.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                        np.where(x < 2, (((x - 5) * x + 8) * x - 4) * a, P(0))).astype(P)
    return np.where(x < 3, np.sinc(x) * np.sinc(x / P(3)), 0.0).astype(P)


@functools.lru_cache(maxsize=1024)
def _plan(kind: str, n_in: int, n_out: int, scale, ac: bool, dbl: bool, small2d: bool = False) -> _Axis:
    """The cached plan of one axis; ``kind`` is a mode name or 'aa-<filter>'."""
    P = _F64 if dbl else _F32
    o = np.arange(n_out)
    if kind in ("nearest", "nearest-exact"):
        exact = kind == "nearest-exact"
        idx = _nearest_idx(n_in, n_out, scale, exact, dbl, small2d)
        # torch's nearest backward always uses the float32 small-kernel index rule
        bidx = _nearest_idx(n_in, n_out, scale, exact, False, True)
        return _Axis(n_in, n_out, idx[None], ident=bool(n_in == n_out and np.array_equal(idx, o)), bidx=bidx[None])
    if kind == "linear":
        if n_in == n_out:   # torch copies an axis whose size does not change
            return _Axis(n_in, n_out, o[None], np.ones((1, n_out)), ident=True)
        s = _scale(n_in, n_out, scale, ac, P)
        src = o.astype(P) * s if ac else np.maximum(_fma(s, o + 0.5, -0.5, dbl), P(0))
        i0 = np.clip(np.floor(src).astype(np.intp), 0, n_in - 1)
        l1 = (src - i0.astype(P)).astype(P)
        return _Axis(n_in, n_out, np.stack([i0, np.minimum(i0 + 1, n_in - 1)]),
                     np.stack([P(1) - l1, l1]).astype(_F64))
    if kind == "cubic":
        s = _scale(n_in, n_out, scale, ac, P)
        src = o.astype(P) * s if ac else _fma(s, o + 0.5, -0.5, dbl)
        i = np.floor(src).astype(np.intp)
        t = (src - i.astype(P)).astype(P)
        idx = np.stack([np.clip(i - 1 + k, 0, n_in - 1) for k in range(4)])
        return _Axis(n_in, n_out, idx, np.stack(_cubic_coeffs(t, P)).astype(_F64))
    if kind == "area":   # adaptive average pooling windows [floor(o*in/out), ceil((o+1)*in/out))
        lo = o * n_in // n_out
        hi = -(-(o + 1) * n_in // n_out)
        k = np.arange(max(int((hi - lo).max()), 1) if n_out else 1)[:, None]
        valid = lo + k < hi
        return _Axis(n_in, n_out, np.minimum(lo + k, hi - 1), np.broadcast_to(1.0 / (hi - lo), valid.shape).copy(),
                     valid, ident=n_in == n_out)
    # anti-aliased: PIL-style filter whose support widens with the downscaling factor, evaluated
    # in the input's precision as torch does
    filt = kind[3:]
    half = P({"bilinear": 1.0, "bicubic": 2.0, "lanczos": 3.0}[filt])
    s = _scale(n_in, n_out, scale, ac, P)
    support = half * s if s >= 1 else half
    inv = P(1) / s if s >= 1 else P(1)
    center = s * (o.astype(P) + P(0.5))
    xmin = np.maximum(np.trunc(center - support + P(0.5)), 0).astype(np.intp)
    xsize = np.minimum(np.trunc(center + support + P(0.5)).astype(np.intp), n_in) - xmin
    k = np.arange(max(int(xsize.max()), 1))[:, None]
    valid = k < xsize
    w = np.where(valid, _aa_filter(filt, ((k + xmin).astype(P) - center + P(0.5)) * inv, P), P(0))
    tot = np.zeros(n_out, P)
    for j in range(k.shape[0]):   # torch's sequential total
        tot += w[j]
    w = np.where(tot != 0, w / np.where(tot != 0, tot, P(1)), w)
    return _Axis(n_in, n_out, np.minimum(xmin + k, n_in - 1), w.astype(_F64), valid)


# ------------------------------------------------------------------ applying plans
def _finite(a) -> bool:
    """No inf/nan in ``a`` (a sum that overflows only sends us down the exact-taps path)."""
    with np.errstate(all="ignore"):
        return bool(np.isfinite(np.add.reduce(a, axis=None)))


def _fwd_axis(x3, p, fin):
    B, n, A = x3.shape
    if p.w is None:
        return np.take(x3, p.idx[0], axis=1)
    if not fin:   # torch's tap-by-tap sum, so inf/nan spread only where torch spreads them
        out = np.zeros((B, p.n_out, A), x3.dtype)
        with np.errstate(invalid="ignore", over="ignore"):
            for k in range(p.idx.shape[0]):
                t = np.take(x3, p.idx[k], axis=1) * p.w[k].astype(x3.dtype)[:, None]
                out += t if p.valid is None else np.where(p.valid[k][:, None], t, 0)
        return out
    ch = p.chunks(x3.dtype)
    if len(ch) == 1:
        m = ch[0][4]
        if A == 1:
            return (x3.reshape(B, n) @ m.T)[:, :, None]
        return m @ x3[0] if B == 1 else np.matmul(m, x3)
    out = np.empty((B, p.n_out, A), x3.dtype)
    for c0, c1, lo, hi, m in ch:
        if A == 1:
            out[:, c0:c1, 0] = x3[:, lo:hi, 0] @ m.T
        else:
            out[:, c0:c1] = np.matmul(m, x3[:, lo:hi])
    return out


def _adj_axis(g3, p, fin):
    B, n, A = g3.shape
    if p.rep:
        g4 = g3.reshape(B, p.n_in, p.rep, A)
        r = g4[:, :, 0].copy()
        for j in range(1, p.rep):
            r += g4[:, :, j]
        return r
    if not fin:
        r = np.zeros((B, p.n_in, A), g3.dtype)
        idx = p.idx if p.bidx is None else p.bidx
        w = np.ones(idx.shape) if p.w is None else p.w
        with np.errstate(invalid="ignore", over="ignore"):
            for k in range(idx.shape[0]):
                sel = slice(None) if p.valid is None else p.valid[k]
                np.add.at(r, (slice(None), idx[k][sel]), g3[:, sel] * w[k][sel].astype(g3.dtype)[:, None])
        return r
    ch = p.chunks(g3.dtype)
    if len(ch) == 1:
        m = ch[0][4]
        if A == 1:
            return (g3.reshape(B, n) @ m)[:, :, None]
        return m.T @ g3[0] if B == 1 else np.matmul(m.T, g3)
    r = np.zeros((B, p.n_in, A), g3.dtype)
    for c0, c1, lo, hi, m in ch:
        if A == 1:
            r[:, lo:hi, 0] += g3[:, c0:c1, 0] @ m
        else:
            r[:, lo:hi] += np.matmul(m.T, g3[:, c0:c1])
    return r


def _run(d, plans, order, adjoint):
    """Apply the plans (or their adjoints, in reverse order) to array ``d``; float16 computes in
    float32 as torch does."""
    dt = d.dtype
    if dt == np.float16 and (adjoint or any(p.w is not None for p in plans)):
        d = d.astype(_F32)
    fin = None if d.dtype.kind == "f" else True
    shape = list(d.shape)
    src = d
    for ax in (reversed(order) if adjoint else order):
        p = plans[ax]
        if p.ident:
            continue
        if fin is None and (p.w is not None or adjoint and not p.rep):   # gathers need no check
            fin = _finite(d)
        a = ax + 2
        B = math.prod(shape[:a])
        A = math.prod(shape[a + 1:])
        x3 = d.reshape(B, shape[a], A)
        if adjoint:
            d, shape[a] = _adj_axis(x3, p, fin), p.n_in
        else:
            d, shape[a] = _fwd_axis(x3, p, fin), p.n_out
    if d is src:   # every axis kept its size: still a new tensor
        return d.copy()
    d = np.ascontiguousarray(d.reshape(shape))
    return d.astype(dt) if d.dtype != dt else d


def _resample(d, ctx, adjoint):
    """ctx = (plans, axis order, input shape, output shape, node name, backward plans,
    first-row flag)."""
    target = ctx[2] if adjoint else ctx[3]
    if d.size == 0 or math.prod(target) == 0:
        return np.zeros(target, d.dtype)
    r = _run(d, ctx[5] if adjoint else ctx[0], ctx[1], adjoint)
    if ctx[6] and not adjoint:
        # torch's anti-aliased kernels, resizing the height to a one-column output, repeat the
        # first output row down the plane (its backward is unaffected); reproduced as observed
        r[:, :, 1:] = r[:, :, :1]
    return r


def _fwd_bw(ctx, saved, g):
    if ctx[4][0] == "A":   # adaptive_avg_pool*d_backward rejects an empty non-batch dimension
        shape = tuple(g.shape)
        for i in range(1, len(shape)):
            if shape[i] == 0:
                raise RuntimeError(f"adaptive_avg_pool{len(shape) - 2}d_backward(): Expected grad_output to have "
                                   f"non-zero size for non-batch dimensions, but grad_output has sizes "
                                   f"{list(shape)} with dimension {i} being empty")
    if type(g) is np.ndarray:
        return (_resample(g, ctx, True),)
    return (_apply_t(g, ctx, True),)


def _adj_bw(ctx, saved, g):
    if type(g) is np.ndarray:
        return (_resample(g, ctx, False),)
    return (_apply_t(g, ctx, False),)


_NODES = {}


def _nodes(name):
    n = _NODES.get(name)
    if n is None:
        n = _NODES[name] = (node_class(name, _fwd_bw), node_class(name.replace("Backward0", "BackwardBackward0"), _adj_bw))
    return n


def _apply_t(t, ctx, adjoint, keep_input=False):
    r = _resample(t._data, ctx, adjoint)
    if GRAD[0] and t._rg:
        # adaptive pooling saves its input in torch: in-place changes and a second backward raise
        saved = (save(t),) if keep_input else ()
        return make(r, True, _nodes(ctx[4])[1 if adjoint else 0]((edge(t),), ctx, saved))
    return make(r, False, None)


def _resample_t(input, plans, out_sizes, name, bplans=None, first_row=False):
    shape = tuple(input._data.shape)
    out_shape = shape[:2] + tuple(out_sizes)
    # shrinking axes first keeps the intermediates small; among equals, the last axis first
    order = tuple(sorted(range(len(plans)), key=lambda i: (plans[i].n_out / plans[i].n_in, -i)))
    plans = tuple(plans)
    ctx = (plans, order, shape, out_shape, name, plans if bplans is None else tuple(bplans), first_row)
    return _apply_t(input, ctx, False, name[0] == "A")


# ------------------------------------------------------------------ torch's aten-level checks
_LETTERS = {1: ("W",), 2: ("H", "W"), 3: ("D", "H", "W")}


def _type_desc(v) -> str:
    if isinstance(v, list):
        return "list of [" + ", ".join(type(e).__name__ for e in v) + "]"
    if isinstance(v, tuple):
        inner = ", ".join(type(e).__name__ for e in v)
        return "tuple of (" + inner + ("," if len(v) == 1 else "") + ")"
    return type(v).__name__


def _arg_error(op, k, output_size, align_corners, scales, has_ac):
    """torch's argument-parser TypeError for an upsample op called with bad argument types."""
    args = [output_size] + ([align_corners] if has_ac else []) + [scales]
    got = ", ".join(["Tensor"] + [type(a).__name__ for a in args])
    marks = ["Tensor", f"!{_type_desc(output_size)}!"]
    if has_ac:
        marks.append("bool" if isinstance(align_corners, bool) else f"!{_type_desc(align_corners)}!")
    marks.append(f"!{_type_desc(scales)}!")
    ac = "bool align_corners, " if has_ac else ""
    sc = "float scales = None" if k == 1 else ", ".join(f"float scales_{c.lower()} = None" for c in _LETTERS[k])
    return TypeError(f"{op}() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                     f" * (Tensor input, tuple of ints output_size, {ac}tuple of floats scale_factors)\n"
                     f"      didn't match because some of the arguments have invalid types: ({', '.join(marks)})\n"
                     f" * (Tensor input, tuple of ints output_size, {ac}{sc}, *, Tensor out = None)\n")


def _is_int(v) -> bool:
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, (bool, np.bool_))


def _is_num(v) -> bool:
    return isinstance(v, (numbers.Real, np.number)) and not isinstance(v, str)


def _seq_ok(v, first_ok) -> bool:
    # torch's argument parser matches a sequence argument on its first element
    return v is None or (isinstance(v, (list, tuple)) and (not v or first_ok(v[0])))


def _out_sizes(op, k, shape, output_size, scales, align_corners, has_ac):
    if not (_seq_ok(output_size, _is_int) and _seq_ok(scales, _is_num)
            and (not has_ac or isinstance(align_corners, bool))):
        raise _arg_error(op, k, output_size, align_corners, scales, has_ac)
    for i, v in enumerate(scales or ()):
        if not _is_num(v):
            raise TypeError(f"{op}(): argument 'scale_factors' must be tuple of floats, but found element of type "
                            f"{type(v).__name__} at pos {i + 1}")
    if output_size is not None:
        return [int(v) for v in output_size]
    out = []
    for n, s in zip(shape[2:], scales):
        v = n * float(s)
        if not math.isfinite(v) or abs(v) >= 2.0 ** 63:
            raise RuntimeError("value cannot be converted to type int64_t without overflow")
        out.append(int(v))
    return out


def _check_sizes(k, shape, outs):
    ins = shape[2:]
    if all(i > 0 for i in ins) and all(o > 0 for o in outs):
        return
    L = _LETTERS[k]
    si = ", ".join(f"{c}: {v}" for c, v in zip(L, ins))
    so = ", ".join(f"{c}: {v}" for c, v in zip(L, outs))
    sep = " and output" if k == 1 else " output"
    raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({si}){sep} ({so})")


def _upsample(input, mode, k, output_size, scales, align_corners, antialias=False):
    """One of torch's upsample ops: argument checks, output size, then the separable resample."""
    if mode in ("nearest", "nearest-exact"):
        op = f"upsample_nearest{k}d" if mode == "nearest" else f"_upsample_nearest_exact{k}d"
        name = f"UpsampleNearest{k}DBackward0" if mode == "nearest" else f"UpsampleNearestExact{k}DBackward0"
    else:
        base = {"linear": "linear", "bilinear": "bilinear", "trilinear": "trilinear", "bicubic": "bicubic",
                "lanczos": "lanczos"}[mode]
        op = f"_upsample_{base}{k}d_aa" if antialias else f"upsample_{base}{k}d"
        name = f"Upsample{base.capitalize()}{k}D{'Aa' if antialias else ''}Backward0"
    has_ac = mode not in ("nearest", "nearest-exact")
    shape = tuple(input.shape)
    outs = _out_sizes(op, k, shape, output_size, scales, align_corners, has_ac)
    _check_sizes(k, shape, outs)
    if shape[1] == 0:
        raise RuntimeError(f"Non-empty {k + 2}D data tensor expected but got a tensor with sizes {list(shape)}")
    dt = input._data.dtype
    dbl = dt == np.float64
    small2d = k == 2 and sum(outs) <= 128
    scl = [None] * k if scales is None else [float(s) for s in scales]
    if antialias:
        # torch's forward leaves an axis whose size is unchanged alone (the whole tensor is copied,
        # whatever its dtype, when no size changes) while its backward still filters that axis
        same = [o == n for o, n in zip(outs, shape[2:])]
        ident = [_plan("linear", n, n, None, False, dbl) for n in shape[2:]]
        if all(same):
            return _resample_t(input, ident, outs, name, [_plan("aa-" + mode, n, o, s, bool(align_corners), dbl)
                                                          for n, o, s in zip(shape[2:], outs, scl)])
    if dt.kind not in "fu" or (dt == np.float16 and antialias) or (dt.kind == "u" and mode in ("linear", "trilinear")):
        if not has_ac:
            kname = "upsample_nearest2d_channels_last" if small2d else "compute_indices_weights_nearest"
        elif antialias:
            kname = "compute_index_ranges_weights"
        elif mode == "bicubic":
            kname = "compute_indices_weights_cubic"
        else:
            kname = "upsample_bilinear2d_channels_last" if small2d else "compute_indices_weights_linear"
        raise NotImplementedError(f"\"{kname}\" not implemented for '{_LEGACY.get(dt.name, dt.name)}'")
    if dt.kind == "u" and has_ac:
        raise NotImplementedError(f"numtorch: {mode} interpolation of uint8 tensors is not implemented (torch uses a "
                                  "fixed-point kernel); convert to float first")
    if antialias:
        kind = "aa-" + mode
    else:
        kind = "cubic" if mode == "bicubic" else "linear" if has_ac else mode
    plans = [_plan(kind, n, o, s, bool(align_corners), dbl, small2d) for n, o, s in zip(shape[2:], outs, scl)]
    if antialias:
        fwd = [i if sm else p for i, sm, p in zip(ident, same, plans)]
        return _resample_t(input, fwd, outs, name, plans, first_row=outs[1] == 1 and not same[0])
    bplans = None
    if mode == "bicubic" and all(o == i for o, i in zip(outs, shape[2:])):
        # torch's bicubic backward passes the gradient through unchanged when no size changes,
        # even though its forward still filters with the given scale
        bplans = [_plan("linear", n, n, None, False, dbl) for n in outs]
    return _resample_t(input, plans, outs, name, bplans)


def _adaptive_avg(input, k, output_size):
    """adaptive_avg_pool{1,2,3}d as interpolate(mode='area') calls it (its checks and node names)."""
    fname = f"adaptive_avg_pool{k}d"
    os = list(output_size)
    if os and not _is_int(os[0]):
        raise TypeError(f"{fname}(): argument 'output_size' (position 2) must be tuple of ints, but found element of "
                        f"type {type(os[0]).__name__} at pos 0")
    os = [int(v) for v in os]
    if k == 1:
        return _adaptive_avg(input.unsqueeze(-2), 2, [1] + os).squeeze(-2)
    if any(v < 0 for v in os):
        got = f"{{{os[0]}, {os[1]}}}" if k == 2 else f"{{{os[0]}, {os[1]},{os[2]}}}"
        raise RuntimeError(f"{fname}: elements of output_size must be greater than or equal to 0 but received {got}")
    shape = tuple(input.shape)
    for i in range(2 if k == 2 else 1, len(shape)):
        if shape[i] == 0:
            raise RuntimeError(f"{fname}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {list(shape)} with dimension {i} being empty")
    dt = input._data.dtype
    if dt.kind != "f":
        kname = "adaptive_avg_pool2d" if k == 2 else "adaptive_avg_pool3d_cpu"
        raise NotImplementedError(f"\"{kname}\" not implemented for '{_LEGACY.get(dt.name, dt.name)}'")
    dbl = dt == np.float64
    plans = [_plan("area", n, o, None, False, dbl) for n, o in zip(shape[2:], os)]
    return _resample_t(input, plans, os, f"AdaptiveAvgPool{k}DBackward0")


# ------------------------------------------------------------------ entry points
_ALL_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_NEEDS = {"linear": 3, "bilinear": 4, "trilinear": 5}


def interpolate(input: Tensor, size: Optional[Union[int, List[int]]] = None,
                scale_factor: Optional[Union[float, List[float]]] = None, mode: str = "nearest",
                align_corners: Optional[bool] = None, recompute_scale_factor: Optional[bool] = None,
                antialias: bool = False) -> Tensor:
    """Resample ``input`` (N, C, *spatial) to ``size`` or by ``scale_factor`` with torch's rules.

    Modes: 'nearest', 'nearest-exact', 'linear' (3-D), 'bilinear' / 'bicubic' (4-D),
    'trilinear' (5-D), 'area' (adaptive average pooling) and 'lanczos' (4-D, antialias only);
    ``antialias=True`` applies to bilinear, bicubic and lanczos on 4-D input."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input "
                                 f"with spatial dimensions of {list(input.shape[2:])} and output size of {size}. "
                                 f"Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                                 f"(o1, o2, ...,oK) format.")
            if not all(_is_int(v) or isinstance(v, bool) for v in size):
                raise TypeError(f"expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                                f"Tuple[int, int, int], but got size with types {[type(v) for v in size]}")
            output_size = size
        else:
            output_size = [size for _ in range(dim)]
        scale_factors = None
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {list(input.shape[2:])} and scale_factor of shape "
                                 f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                                 f"scale_factor in (s1, s2, ...,sK) format.")
            scale_factors = scale_factor
        else:
            scale_factors = [scale_factor for _ in range(dim)]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor is not None and recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor is not None and recompute_scale_factor:
        output_size = [int(input.shape[i + 2] * scale_factors[i]) for i in range(dim)]
        scale_factors = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D "
                         "tensor as input")
    nd = input.dim()
    if mode in ("nearest", "nearest-exact") and nd in (3, 4, 5):
        return _upsample(input, mode, nd - 2, output_size, scale_factors, None)
    if mode == "area" and nd in (3, 4, 5):
        return _adaptive_avg(input, nd - 2, output_size)
    if (mode, nd) in (("linear", 3), ("bilinear", 4), ("trilinear", 5)):
        return _upsample(input, mode, nd - 2, output_size, scale_factors, align_corners, bool(antialias))
    if mode == "bicubic" and nd == 4:
        return _upsample(input, mode, 2, output_size, scale_factors, align_corners, bool(antialias))
    if mode == "lanczos" and nd == 4:
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
        return _upsample(input, mode, 2, output_size, scale_factors, align_corners, True)
    if mode in _NEEDS and nd in (3, 4, 5):
        raise NotImplementedError(f"Got {nd}D input, but {mode} mode needs {_NEEDS[mode]}D input")
    raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {nd}D) for the modes: "
                              f"{_ALL_MODES} (got {mode})")


def upsample(input: Tensor, size: Optional[Union[int, List[int]]] = None,
             scale_factor: Optional[Union[float, List[float]]] = None, mode: str = "nearest",
             align_corners: Optional[bool] = None) -> Tensor:
    """Deprecated alias of :func:`interpolate` (warns as torch does)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Optional[Union[int, List[int]]] = None,
                     scale_factor: Optional[Union[float, List[float]]] = None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='nearest')`` (warns as torch does)."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Optional[Union[int, List[int]]] = None,
                      scale_factor: Optional[Union[float, List[float]]] = None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)`` (warns as torch does)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
