"""Pooling functions of torch.nn.functional: max / average / power-average pooling, max
unpooling, and (re-exported from ``_pool_adaptive`` / ``_pool_fractional``) adaptive and
fractional max pooling.

Matched torch behaviour: output shapes (ceil mode: the last window must start inside the input
or its left padding), flat per-plane indices (first maximum in window scan order; the last NaN
when a window holds NaN), padding limits, batchless inputs, dtype support (max pooling takes
any non-bool dtype, average pooling float and int64 with truncating division), argument and
shape error messages in torch's order, and node names: the 2-d/3-d forms are one node
(``MaxPool2DWithIndicesBackward0``, ``AvgPool3DBackward0``, ...); the 1-d forms, like torch's,
run the 2-d op on an unsqueezed input (``SqueezeBackward1`` outermost); ``lp_pool`` is composed
of tensor ops as in torch (``PowBackward0`` outermost).  Kernels live in ``_pool_core``.
"""
from __future__ import annotations

from math import prod
from typing import List, Optional, Tuple, Union

import numpy as np

from ..._ops._helpers import make
from ..._tensor import Tensor
from ...autograd.grad_mode import GRAD
from ...autograd.graph import edge, node_class
from ..modules.utils import _pair, _single, _triple
from . import _pool_core as C
from ._pool_args import dims_2_to_3, ints, is_int, need_tensor, one_int
from ._pool_adaptive import *  # noqa: F401,F403
from ._pool_adaptive import __all__ as _adaptive_all
from ._pool_fractional import *  # noqa: F401,F403
from ._pool_fractional import __all__ as _fractional_all

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "max_pool3d_with_indices", "max_unpool1d", "max_unpool2d", "max_unpool3d", "avg_pool1d", "avg_pool2d",
           "avg_pool3d", "lp_pool1d", "lp_pool2d", "lp_pool3d"] + _adaptive_all + _fractional_all

IntOrTuple = Union[int, Tuple[int, ...], List[int]]
_LETTERS = {2: ("H", "W"), 3: ("T", "H", "W")}


def _full(v: list, n: int) -> list:
    return v * n if len(v) == 1 else list(v)


def _shape_check(shape, nd, k, s, p, d, O, prefix3: str, avg3: bool = False) -> None:
    """torch's pool2d/pool3d shape checks, in its order."""
    L = _LETTERS[nd]
    if any(v <= 0 for v in k):
        raise RuntimeError("kernel size should be greater than zero, but got " +
                           " ".join(f"k{c}: {v}" for c, v in zip(L, k)))
    if any(v <= 0 for v in s):
        raise RuntimeError("stride should be greater than zero, but got " + " ".join(f"d{c}: {v}" for c, v in zip(L, s)))
    if any(v <= 0 for v in d):
        raise RuntimeError("dilation should be greater than zero, but got " +
                           " ".join(f"dilation{c}: {v}" for c, v in zip(L, d)))
    ndim = len(shape)
    body = shape if ndim == nd + 1 else shape[1:]
    if nd == 2:
        if ndim not in (3, 4) or 0 in body:
            raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
                               f"got:{list(shape)}")
    else:
        if 0 in body:
            raise RuntimeError(f"{prefix3}(): Expected input's non-batch dimensions to have positive length, but input "
                               f"has a shape of {list(shape)} and non-batch dimension 0 has length zero!")
        S = shape[-3:]
        if avg3 and any(a < b for a, b in zip(S, k)):
            raise RuntimeError(f"input image (T: {S[0]} H: {S[1]} W: {S[2]}) smaller than kernel size (kT: {k[0]} "
                               f"kH: {k[1]} kW: {k[2]})")
    if any(ki // 2 < pi for ki, pi in zip(k, p)):
        if nd == 2:
            raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got padW = {p[1]}, "
                               f"padH = {p[0]}, kW = {k[1]}, kH = {k[0]}")
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got kT: {k[0]} kW: {k[2]} "
                           f"kH: {k[1]} padT: {p[0]} padW: {p[2]} padH: {p[1]}")
    if any(o < 1 for o in O):
        c = shape[-nd - 1]
        raise RuntimeError(f"Given input size: ({c}x{'x'.join(map(str, shape[-nd:]))}). Calculated output size: "
                           f"({c}x{'x'.join(map(str, O))}). Output size is too small")


def _lead(shape, nd):
    lead = tuple(shape[:len(shape) - nd])
    return lead, prod(lead) if lead else 1


# ------------------------------------------------------------------ max pooling
def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, nd: int, fn: str, want_idx: bool):
    need_tensor(input, fn)
    k = ints(kernel_size, fn, "kernel_size", 2, unpack=True)
    s = ints(stride, fn, "stride", 3, none_ok=True, unpack=True)
    p = ints(padding, fn, "padding", 4, unpack=True)
    d = ints(dilation, fn, "dilation", 5, unpack=True)
    tag, w = f"max_pool{nd}d", C._WORDS[nd]
    if len(k) not in (1, nd):
        raise RuntimeError(f"{tag}: kernel_size must either be a single int, or a tuple of {w} ints")
    if len(s) not in (0, 1, nd):
        raise RuntimeError(f"{tag}: stride must either be omitted, a single int, or a tuple of {w} ints")
    if len(p) not in (1, nd):
        raise RuntimeError(f"{tag}: padding must either be a single int, or a tuple of {w} ints")
    if len(d) not in (1, nd):
        raise RuntimeError(f"{tag}: dilation must be either a single int, or a tuple of {w} ints")
    k = _full(k, nd)
    s = k if not s else _full(s, nd)
    p, d = _full(p, nd), _full(d, nd)
    shape = tuple(input._data.shape)
    if len(shape) not in (nd + 1, nd + 2):
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input")
    S = shape[-nd:]
    O = [C.pool_out(S[i], k[i], p[i], s[i], d[i], ceil_mode) for i in range(nd)]
    _shape_check(shape, nd, k, s, p, d, O, "max_pool3d_with_indices_out_cpu_template")
    x = input._data
    if x.dtype.kind == "b":
        raise NotImplementedError(f"\"{tag}\" not implemented for 'Bool'")
    return _max_compute(input, S, O, k, s, p, d, nd, want_idx, f"MaxPool{nd}DWithIndicesBackward0")


def _max_compute(input, S, O, k, s, p, d, nd, want_idx, name):
    shape = tuple(input._data.shape)
    lead, B = _lead(shape, nd)
    need_grad = GRAD[0] and input._rg
    win = C.win(tuple(S), tuple(O), tuple(k), tuple(s), tuple(p), tuple(d))
    m, idx, gflat = C.max_regular(input._data.reshape((B,) + tuple(S)), win, want_idx or need_grad, want_idx)
    out_shape = lead + tuple(O)
    m = m.reshape(out_shape)
    ind = make(idx.reshape(out_shape), False, None) if want_idx else None
    if need_grad:
        extra = ((ind, ind._data, ind._vc, 0),) if want_idx else ()
        op = C.Gather(idx, tuple(S), win.overlap, name, C.windows_valid(win), gflat)
        out = C.record(input, m, op, nd, extra)
    else:
        out = make(m, False, None)
    return (out, ind) if want_idx else out


def max_pool1d_with_indices(input: Tensor, kernel_size: IntOrTuple, stride: Optional[IntOrTuple] = None,
                            padding: IntOrTuple = 0, dilation: IntOrTuple = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> Tuple[Tensor, Tensor]:
    """F.max_pool1d_with_indices: (values, flat indices); runs the 2-d op on ``input.unsqueeze(-2)``."""
    fn = "max_pool1d_with_indices"
    need_tensor(input, fn)
    k = ints(kernel_size, fn, "kernel_size", 2)
    s = ints(stride, fn, "stride", 3, none_ok=True)
    p = ints(padding, fn, "padding", 4)
    d = ints(dilation, fn, "dilation", 5)
    one_int(k, "max_pool1d", "kernel_size")
    one_int(s, "max_pool1d", "stride", allow_empty=True)
    one_int(p, "max_pool1d", "padding")
    one_int(d, "max_pool1d", "dilation")
    dims_2_to_3(input, "max_pool1d")
    out, ind = _max_pool(input.unsqueeze(-2), [1, k[0]], [1, (s or k)[0]], [0, p[0]], [1, d[0]], ceil_mode, 2,
                         "max_pool2d", True)
    return out.squeeze(-2), ind.squeeze(-2)


def max_pool1d(input: Tensor, kernel_size: IntOrTuple, stride: Optional[IntOrTuple] = None, padding: IntOrTuple = 0,
               dilation: IntOrTuple = 1, ceil_mode: bool = False, return_indices: bool = False):
    """F.max_pool1d over the last dimension of a (N, C, L) or (C, L) input."""
    if return_indices:
        return max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    fn = "max_pool1d"
    need_tensor(input, fn)
    k = ints(kernel_size, fn, "kernel_size", 2)
    s = ints(stride, fn, "stride", 3, none_ok=True)
    p = ints(padding, fn, "padding", 4)
    d = ints(dilation, fn, "dilation", 5)
    if len(k) != 1:
        raise RuntimeError(f"max_pool1d() kernel_size must be an int, list of ints or tuple of ints of size 1 but got "
                           f"size {len(k)}")
    if len(s) > 1:
        raise RuntimeError(f"max_pool1d() stride must be None, an int, list of ints, or tuple of ints of size 1 but "
                           f"got size {len(s)}")
    if len(p) != 1:
        raise RuntimeError(f"max_pool1d() padding must be an int, list of ints, or tuple of ints of size 1 but got size "
                           f"{len(p)}")
    if len(d) != 1:
        raise RuntimeError(f"max_pool1d() dilation must be an int, list of ints or tuple of ints of size 1 but got "
                           f"size {len(d)}")
    shape = tuple(input._data.shape)
    if len(shape) not in (2, 3) or 0 in shape[-2:]:
        raise RuntimeError(f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{list(shape)}")
    k0, p0, d0 = k[0], p[0], d[0]
    s0 = s[0] if s else k0
    if k0 <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k0}")
    if s0 <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s0}")
    if p0 < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p0}")
    if p0 > k0 // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got padding={p0} and "
                           f"kernel_size={k0}")
    if d0 <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d0}")
    o = C.pool_out(shape[-1], k0, p0, s0, d0, ceil_mode)
    if o <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {o}")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"max_pool1d_impl\" not implemented for '{C.cname(input._data.dtype)}'")
    if GRAD[0] and input._rg:  # torch's autograd path: the 2-d op with indices on an unsqueezed input
        return _max_compute(input.unsqueeze(-2), (1, shape[-1]), (1, o), (1, k0), (1, s0), (0, p0), (1, d0), 2, False,
                            "MaxPool2DWithIndicesBackward0").squeeze(-2)
    return _max_compute(input, shape[-1:], (o,), (k0,), (s0,), (p0,), (d0,), 1, False, "")


def max_pool2d_with_indices(input: Tensor, kernel_size: IntOrTuple, stride: Optional[IntOrTuple] = None,
                            padding: IntOrTuple = 0, dilation: IntOrTuple = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> Tuple[Tensor, Tensor]:
    """F.max_pool2d_with_indices: (values, indices flattened over each input plane H*W)."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, 2, "max_pool2d_with_indices", True)


def max_pool2d(input: Tensor, kernel_size: IntOrTuple, stride: Optional[IntOrTuple] = None, padding: IntOrTuple = 0,
               dilation: IntOrTuple = 1, ceil_mode: bool = False, return_indices: bool = False):
    """F.max_pool2d over the last two dimensions of a (N, C, H, W) or (C, H, W) input."""
    if return_indices:
        return max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, 2, "max_pool2d", False)


def max_pool3d_with_indices(input: Tensor, kernel_size: IntOrTuple, stride: Optional[IntOrTuple] = None,
                            padding: IntOrTuple = 0, dilation: IntOrTuple = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> Tuple[Tensor, Tensor]:
    """F.max_pool3d_with_indices: (values, indices flattened over each input volume D*H*W)."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, 3, "max_pool3d_with_indices", True)


def max_pool3d(input: Tensor, kernel_size: IntOrTuple, stride: Optional[IntOrTuple] = None, padding: IntOrTuple = 0,
               dilation: IntOrTuple = 1, ceil_mode: bool = False, return_indices: bool = False):
    """F.max_pool3d over the last three dimensions of a (N, C, D, H, W) or (C, D, H, W) input."""
    if return_indices:
        return max_pool3d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, 3, "max_pool3d", False)


# ------------------------------------------------------------------ average pooling
def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd: int):
    fn = f"avg_pool{nd}d"
    need_tensor(input, fn)
    k = ints(kernel_size, fn, "kernel_size", 2, unpack=True)
    s = ints(stride, fn, "stride", None, none_ok=True, unpack=True)
    p = ints(padding, fn, "padding", None, unpack=True)
    if divisor_override is not None and not is_int(divisor_override):
        raise TypeError(f"{fn}(): argument 'divisor_override' must be int, not {type(divisor_override).__name__}")
    either = "either " if nd == 2 else ""
    if len(k) not in (1, nd):
        raise RuntimeError(f"{fn}: kernel_size must {either}be a single int, or a tuple of {C._WORDS[nd]} ints")
    if len(s) not in (0, 1, nd):
        raise RuntimeError(f"{fn}: stride must {either}be omitted, a single int, or a tuple of {C._WORDS[nd]} ints")
    if len(p) not in (1, nd):
        raise RuntimeError(f"{fn}: padding must {either}be a single int, or a tuple of {C._WORDS[nd]} ints")
    k = _full(k, nd)
    s = k if not s else _full(s, nd)
    p = _full(p, nd)
    shape = tuple(input._data.shape)
    ndim = len(shape)
    if nd == 3 and ndim not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if ndim < nd + 1:  # torch reads input.size(-3) first
        n = max(ndim, 1)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {-nd - 1})")
    S = shape[-nd:]
    O = [C.pool_out(S[i], k[i], p[i], s[i], 1, ceil_mode) for i in range(nd)]
    _shape_check(shape, nd, k, s, p, [1] * nd, O, "avg_pool3d", avg3=nd == 3)
    x = input._data
    ok = ("float32", "float64", "int64") + (("float16",) if nd == 2 else ())
    if x.dtype.name not in ok:
        raise NotImplementedError(f"\"{'avg_pool2d' if nd == 2 else 'avg_pool3d_out_frame'}\" not implemented for "
                                  f"'{C.cname(x.dtype)}'")
    lead, B = _lead(shape, nd)
    op = C.AvgReg(C.win(tuple(S), tuple(O), tuple(k), tuple(s), tuple(p), (1,) * nd), count_include_pad,
                  divisor_override, f"AvgPool{nd}DBackward0")
    out = op.fwd(x.reshape((B,) + tuple(S)), lead + tuple(O))
    return C.record(input, out, op, nd)


def avg_pool1d(input: Tensor, kernel_size: IntOrTuple, stride: Optional[IntOrTuple] = None, padding: IntOrTuple = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """F.avg_pool1d (no ``divisor_override``, as in torch); runs the 2-d op on ``input.unsqueeze(-2)``."""
    fn = "avg_pool1d"
    need_tensor(input, fn)
    k = ints(kernel_size, fn, "kernel_size", 2)
    s = ints(stride, fn, "stride", 3, none_ok=True)
    p = ints(padding, fn, "padding", 4)
    one_int(k, fn, "kernel_size")
    one_int(s, fn, "stride", allow_empty=True)
    one_int(p, fn, "padding")
    dims_2_to_3(input, fn)
    return _avg_pool(input.unsqueeze(-2), [1, k[0]], [1, (s or k)[0]], [0, p[0]], ceil_mode, count_include_pad, None,
                     2).squeeze(-2)


def avg_pool2d(input: Tensor, kernel_size: IntOrTuple, stride: Optional[IntOrTuple] = None, padding: IntOrTuple = 0,
               ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: Optional[int] = None) -> Tensor:
    """F.avg_pool2d: window means (the divisor counts padding unless ``count_include_pad`` is
    False, never the ceil-mode overhang; ``divisor_override`` replaces it)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2)


def avg_pool3d(input: Tensor, kernel_size: IntOrTuple, stride: Optional[IntOrTuple] = None, padding: IntOrTuple = 0,
               ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: Optional[int] = None) -> Tensor:
    """F.avg_pool3d over the last three dimensions (see ``avg_pool2d``)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 3)


# ------------------------------------------------------------------ power-average pooling
def _lp(input, out, norm_type, ksize):
    from ..._ops import unary as U
    from .activation import relu
    return (U.sign(out) * relu(U.abs(out))).mul(ksize).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: Union[int, float], kernel_size: IntOrTuple,
              stride: Optional[IntOrTuple] = None, ceil_mode: bool = False) -> Tensor:
    """F.lp_pool1d: ``(sum over each window of x**p) ** (1/p)``, as ``avg_pool1d(x**p) * k``
    clamped at 0 with its sign kept (torch's formulation); ``p = inf`` is max pooling of |x|."""
    if norm_type == float("inf"):
        return max_pool1d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp(input, out, norm_type, kernel_size)


def lp_pool2d(input: Tensor, norm_type: Union[int, float], kernel_size: IntOrTuple,
              stride: Optional[IntOrTuple] = None, ceil_mode: bool = False) -> Tensor:
    """F.lp_pool2d (see ``lp_pool1d``)."""
    kh, kw = _pair(kernel_size)
    if norm_type == float("inf"):
        return max_pool2d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp(input, out, norm_type, kh * kw)


def lp_pool3d(input: Tensor, norm_type: Union[int, float], kernel_size: IntOrTuple,
              stride: Optional[IntOrTuple] = None, ceil_mode: bool = False) -> Tensor:
    """F.lp_pool3d (see ``lp_pool1d``)."""
    kd, kh, kw = _triple(kernel_size)
    if norm_type == float("inf"):
        return max_pool3d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _lp(input, out, norm_type, kd * kh * kw)


# ------------------------------------------------------------------ max unpooling
def _unpool_bw(ctx, saved, g):
    idx, in_shape, B, n_out = ctx
    if type(g) is np.ndarray:
        gidx = idx + (np.arange(B, dtype=np.int64) * n_out)[:, None] if B > 1 else idx
        return (np.take(np.ascontiguousarray(g).reshape(-1), gidx.reshape(in_shape)),)
    return (g.reshape(B, n_out).gather(1, make(idx, False, None)).view(in_shape),)   # torch's graph: Gather, View


_UNPOOL_NODES = {nd: node_class(f"MaxUnpool{nd}DBackward0", _unpool_bw) for nd in (2, 3)}


def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    in_size = input.size()
    n = len(kernel_size)
    default = [(in_size[-n + i] - 1) * stride[i] + kernel_size[i] - 2 * padding[i] for i in range(n)]
    if output_size is None:
        return default
    if len(output_size) == n + 2:
        output_size = output_size[2:]
    if len(output_size) != n:
        raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} elements, but it has a length of "
                         f"'{len(output_size)}'")
    for i in range(n):
        lo, hi = default[i] - stride[i], default[i] + stride[i]
        if not lo < output_size[i] < hi:
            raise ValueError(f'invalid output_size "{output_size}" (dim {i} must be between {lo} and {hi})')
    return output_size


def _unpool(input, indices, output_size, nd: int, stride=None):
    fn = f"max_unpool{nd}d"
    need_tensor(input, fn)
    need_tensor(indices, fn, "indices", 2)
    osz = ints(list(output_size), fn, "output_size", 3)
    if indices._data.dtype != np.int64:
        raise RuntimeError("elements in indices should be type int64" +
                           (f" but got: {C.cname(indices._data.dtype)}" if nd == 2 else ""))
    shape = tuple(input._data.shape)
    if len(shape) not in (nd + 1, nd + 2):
        raise RuntimeError(f"Input to max_unpooling{nd}d should be a {nd + 1}d or {nd + 2}d Tensor, but got a tensor "
                           f"with {len(shape)} dimensions.")
    if tuple(indices._data.shape) != shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(shape)}) but got "
                           f"indices tensor with shape: {list(indices._data.shape)}")
    if len(osz) != nd:
        raise RuntimeError(f"There should be exactly {nd} elements in output_size, but got {len(osz)} elements.")
    if stride is not None and any(v <= 0 for v in stride):
        raise RuntimeError(f"strides should be greater than zero, but got stride: {list(stride)}")
    for i in range(1, len(shape)):
        if shape[i] == 0:
            raise RuntimeError(f"max_unpooling{nd}d_forward_out_cpu(): Expected input to have non-zero size for "
                               f"non-batch dimensions, but got {list(shape)} with dimension {i} being empty.")
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"max_unpool{nd}d\" not implemented for '{C.cname(x.dtype)}'")
    lead, B = _lead(shape, nd)
    n_out = prod(osz)
    idx = np.ascontiguousarray(indices._data).reshape(B, prod(shape[len(shape) - nd:]))
    bad = (idx < 0) | (idx >= n_out)
    if bad.any():
        v = idx.ravel()[np.flatnonzero(bad)[0]]
        raise RuntimeError(f"Found an invalid max index: {v} (output volumes are of size {'x'.join(map(str, osz))})")
    gidx = idx + (np.arange(B, dtype=np.int64) * n_out)[:, None] if B > 1 else idx
    r = np.zeros(B * n_out, x.dtype)
    r[gidx.ravel()] = x.reshape(-1)  # repeated indices: the last write wins, as in torch
    out = r.reshape(lead + tuple(osz))
    if GRAD[0] and input._rg:
        node = _UNPOOL_NODES[nd]((edge(input),), (idx, shape, B, n_out))
        node._saved = ((indices, indices._data, indices._vc, indices._vc[0]),)
        return make(out, True, node)
    return make(out, False, None)


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size: IntOrTuple, stride: Optional[IntOrTuple] = None,
                 padding: IntOrTuple = 0, output_size: Optional[List[int]] = None) -> Tensor:
    """F.max_unpool1d: the partial inverse of max_pool1d (zeros except at ``indices``); runs the
    2-d op on ``input.unsqueeze(-1)``, as torch does."""
    kernel_size = _single(kernel_size)
    stride = _single(stride) if stride is not None else kernel_size
    padding = _single(padding)
    osz = list(_unpool_output_size(input, kernel_size, stride, padding, output_size)) + [1]
    return _unpool(input.unsqueeze(-1), indices.unsqueeze(-1), osz, 2).squeeze(-1)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: IntOrTuple, stride: Optional[IntOrTuple] = None,
                 padding: IntOrTuple = 0, output_size: Optional[List[int]] = None) -> Tensor:
    """F.max_unpool2d: scatter ``input`` to the flat per-plane ``indices`` of a zero output."""
    kernel_size = _pair(kernel_size)
    stride = _pair(stride) if stride is not None else kernel_size
    padding = _pair(padding)
    return _unpool(input, indices, _unpool_output_size(input, kernel_size, stride, padding, output_size), 2)


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size: IntOrTuple, stride: Optional[IntOrTuple] = None,
                 padding: IntOrTuple = 0, output_size: Optional[List[int]] = None) -> Tensor:
    """F.max_unpool3d: scatter ``input`` to the flat per-volume ``indices`` of a zero output."""
    kernel_size = _triple(kernel_size)
    stride = _triple(stride) if stride is not None else kernel_size
    padding = _triple(padding)
    return _unpool(input, indices, _unpool_output_size(input, kernel_size, stride, padding, output_size), 3, stride)
