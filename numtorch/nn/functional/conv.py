"""F.conv1d/2d/3d and F.conv_transpose1d/2d/3d.

Every convolution is one ``ConvolutionBackward0`` node (edges: input, weight, bias) around the
array kernels of ``numtorch._ops.conv``.  Two Tensor-level ops carry all the work:

- ``conv_t``: the convolution with per-side padding ``lo``/``hi`` (so ``padding='same'`` with an
  even kernel needs no extra pad node);
- ``conv_transpose_t``: its adjoint for a given output size (the transposed convolution).

The backward of each is written with the other: for ``y = conv(x, w)``, ``gx`` is the
transposed convolution of ``g`` and ``gw`` the weight-gradient kernel; for the transposed
convolution, ``gx`` is the convolution of ``g`` and ``gw`` the weight-gradient kernel with
input and gradient exchanged.  Under ``create_graph`` the same formulas call ``conv_t`` /
``conv_transpose_t`` on Tensors and build ``gw`` from ``im2col_t`` and a matmul, so double
backward is exact.  Unbatched inputs go through ``unsqueeze(0)``/``squeeze(0)`` as in torch.
Argument checks run in torch's order with torch's messages.
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ..._ops import _par as P
from ..._ops import conv as K
from ..._ops._helpers import make
from ..._tensor import Tensor
from ...autograd.grad_mode import GRAD
from ...autograd.graph import _LEGACY, NO_EDGE, NONE_REC, const, edge, node_class
from .fold import im2col_t

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]

# C++ type names torch uses in some dtype messages
_CNAME = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
          "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _rec(t: Tensor) -> tuple:
    return (t, t._data, t._vc, t._vc[0])


def _legacy(dt) -> str:
    return "torch." + _LEGACY.get(dt.name, dt.name) + "Tensor"


# ------------------------------------------------------------------ the node
def _conv_bw(ctx, saved, g):
    transposed, stride, lo, hi, dil, groups, x_sp, w_shape, nx, nw, nb = ctx
    x, w, cols = saved
    gx = gw = gb = None
    if type(g) is np.ndarray:
        if transposed:
            cols = None
            if nx:   # the columns of g serve the weight gradient too
                gx, cols = K.conv(g, w, stride, lo, hi, dil, groups, keep_cols=nw)
            if nw:   # the roles of input and gradient exchange
                gw = K.conv_weight_grad(x, g, cols, w_shape, stride, lo, hi, dil, groups)
        else:
            gx, gw = K.conv_backward(g, x, w, cols, x_sp, w_shape, stride, lo, hi, dil, groups, nx, nw)
        if nb:
            gb = K.bias_grad(g)
        return gx, gw, gb
    if transposed:
        if nx:
            gx = conv_t(g, w, None, stride, lo, hi, dil, groups)
        if nw:
            gw = _weight_grad_t(x, g, w_shape, stride, lo, hi, dil, groups)
    else:
        if nx:
            gx = conv_transpose_t(g, w, None, stride, lo, hi, dil, groups, x_sp)
        if nw:
            gw = _weight_grad_t(g, x, w_shape, stride, lo, hi, dil, groups)
    if nb:
        gb = g.sum(dim=[0] + list(range(2, g.dim())))
    return gx, gw, gb


ConvolutionBackward0 = node_class("ConvolutionBackward0", _conv_bw)


def _weight_grad_t(g: Tensor, x: Tensor, w_shape, stride, lo, hi, dil, groups) -> Tensor:
    """Weight gradient on Tensors: ``g @ im2col(x)^T`` summed over the batch."""
    n, o = g.shape[:2]
    L = math.prod(g.shape[2:])
    cols = im2col_t(x, w_shape[2:], stride, lo, hi, dil)
    cols = cols.reshape(n, groups, cols.shape[1] // groups, L)
    r = g.reshape(n, groups, o // groups, L) @ cols.transpose(-1, -2)
    return r.sum(0).reshape(w_shape)


def _add_bias(out: np.ndarray, b: np.ndarray) -> None:
    bb = b.reshape((-1,) + (1,) * (out.ndim - 2))
    if out.dtype.kind == "f" and out.size >= P.PAR_MIN:
        P.add(out, bb, out)
    else:
        np.add(out, bb, out=out, casting="unsafe")


def _finish(out: np.ndarray, cols, x: Tensor, w: Tensor, b, transposed: bool, stride, lo, hi, dil, groups,
            x_sp) -> Tensor:
    nx, nw = x._rg, w._rg
    nb = b is not None and b._rg
    if GRAD[0] and (nx or nw or nb):
        node = ConvolutionBackward0((edge(x), edge(w), edge(b) if b is not None else NO_EDGE),
                                    (transposed, stride, lo, hi, dil, groups, x_sp, w._data.shape, nx, nw, nb))
        node._saved = (_rec(x) if nw else NONE_REC, _rec(w) if nx else NONE_REC,
                       const(cols) if cols is not None else NONE_REC)
        return make(out, True, node)
    return make(out, False, None)


def conv_t(x: Tensor, w: Tensor, b, stride, lo, hi, dil, groups: int) -> Tensor:
    """Convolution of a batched ``x`` with per-side padding ``lo``/``hi`` (no argument checks)."""
    keep = GRAD[0] and w._rg
    out, cols = K.conv(x._data, w._data, stride, lo, hi, dil, groups, keep_cols=keep,
                       bias=None if b is None else b._data)
    return _finish(out, cols, x, w, b, False, stride, lo, hi, dil, groups, x._data.shape[2:])


def conv_transpose_t(x: Tensor, w: Tensor, b, stride, lo, hi, dil, groups: int, out_sp) -> Tensor:
    """The adjoint of ``conv_t(., w)`` on inputs of spatial size ``out_sp``, applied to ``x``."""
    # the tightest right padding whose convolution of an ``out_sp`` input has exactly x's size
    # (output_padding may exceed the stride when dilated): the backward needs no cropping
    hi = tuple((n - 1) * s + d * (kk - 1) + 1 - o - a
               for n, s, d, kk, o, a in zip(x._data.shape[2:], stride, dil, w._data.shape[2:], out_sp, lo))
    out = K.conv_input_grad(x._data, w._data, tuple(out_sp), stride, lo, hi, dil, groups)
    if b is not None:
        _add_bias(out, b._data)
    return _finish(out, None, x, w, b, True, stride, lo, hi, dil, groups, x._data.shape[2:])


# ------------------------------------------------------------------ argument handling
def _need(t, fn: str, arg: str, pos: int) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not {type(t).__name__}")


def _is_int(v) -> bool:
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool)


_POS = {"stride": 4, "padding": 5, "dilation": 6, "output_padding": 6}


def _int_list(v, nd: int, fn: str, name: str) -> list:
    """torch's binding of ``tuple of ints`` arguments: an int repeats ``nd`` times."""
    if _is_int(v):
        return [int(v)] * nd
    if isinstance(v, (list, tuple)):
        for i, a in enumerate(v):
            if not _is_int(a):
                pos = 8 if name == "dilation" and "transpose" in fn else _POS[name]
                raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be tuple of ints, but found element "
                                f"of type {type(a).__name__} at pos {i}")
        return [int(a) for a in v]
    raise TypeError(f"{fn}(): argument '{name}' must be tuple of ints, not {type(v).__name__}")


def _expand(v: list, name: str, k: int) -> tuple:
    """A one-element list broadcasts to the weight's spatial dims; other lengths must match."""
    if len(v) == 1:
        return tuple(v) * k
    if len(v) != k:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {k} values to match the "
                           f"convolution dimensions, but got {name}={v}")
    return tuple(v)


def _sizes(v) -> str:
    return "(" + " x ".join(str(a) for a in v) + ")"


def _same_padding(x: Tensor, w: Tensor, stride: list, dil: list):
    """padding='same': (lo, hi) per dim, the extra element of an odd total going right, as torch."""
    k = w.dim() - 2
    if x.dim() != w.dim():
        raise RuntimeError(f"Expected {w.dim()}-dimensional input for {w.dim()}-dimensional weight"
                           f"{list(w.shape)}, but got {x.dim()}-dimensional input of size {list(x.shape)} instead")
    for name, v in (("stride", stride), ("dilation", dil)):
        if len(v) not in (1, k):
            raise RuntimeError(f"{name} cannot broadcast to {k} dimensions")
    stride = tuple(stride) * k if len(stride) == 1 else tuple(stride)
    dil = tuple(dil) * k if len(dil) == 1 else tuple(dil)
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    totals = [d * (kk - 1) for d, kk in zip(dil, w.shape[2:])]
    lo = tuple(t // 2 for t in totals)
    hi = tuple(t - t // 2 for t in totals)
    if lo != hi and not _WARNED[0]:
        _WARNED[0] = True
        warnings.warn("Using padding='same' with even kernel lengths and odd dilation may require a zero-padded "
                      "copy of the input be created", UserWarning, stacklevel=4)
    return stride, lo, hi, dil


_WARNED = [False]  # torch warns once per process


def _bias_dtype_conv(x: np.ndarray, b) -> None:
    if b is not None and b._data.dtype != x.dtype:
        raise RuntimeError(f"Input type ({_CNAME.get(x.dtype.name, x.dtype.name)}) and bias type "
                           f"({_CNAME.get(b._data.dtype.name, b._data.dtype.name)}) should be the same")


def _check(x: Tensor, w: Tensor, b, stride, padding, dil, groups, transposed, out_pad=None):
    """torch's checks of a batched convolution after the parameters are expanded."""
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if out_pad is not None and any(p < 0 for p in out_pad):
        raise RuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    xs, ws = list(x.shape), list(w.shape)
    if len(xs) != len(ws):
        raise RuntimeError(f"Expected {len(ws)}-dimensional input for {len(ws)}-dimensional weight {ws}, but got "
                           f"{len(xs)}-dimensional input of size {xs} instead")
    if ws[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got "
                           f"weight of size {ws} instead")
    if ws[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{ws}] instead")
    if transposed:
        if xs[1] != ws[0]:
            raise RuntimeError(f"Given transposed=1, weight of size {ws}, expected input{xs} to have {ws[0]} "
                               f"channels, but got {xs[1]} channels instead")
        n_out = ws[1] * groups
        if b is not None and (b.dim() != 1 or b.shape[0] != n_out):
            raise RuntimeError(f"Given transposed=1, weight of size {ws}, expected bias to be 1-dimensional with "
                               f"{n_out} elements, but got bias of size {list(b.shape)} instead")
    else:
        if xs[1] != ws[1] * groups:
            raise RuntimeError(f"Given groups={groups}, weight of size {ws}, expected input{xs} to have "
                               f"{ws[1] * groups} channels, but got {xs[1]} channels instead")
        if b is not None and (b.dim() != 1 or b.shape[0] != ws[0]):
            raise RuntimeError(f"Given weight of size {ws}, expected bias to be 1-dimensional with {ws[0]} "
                               f"elements, but got bias of size {list(b.shape)} instead")
    if any(d <= 0 for d in dil):
        raise RuntimeError("non-positive dilation is not supported")


def _dtype_check(x: np.ndarray, w: np.ndarray, name: str, transposed: bool) -> None:
    if x.dtype != w.dtype:
        if x.dtype == np.float32:
            raise RuntimeError(f"Input type (torch.FloatTensor) and weight type ({_legacy(w.dtype)}) should be the "
                               f"same or input should be a MKLDNN tensor and weight is a dense tensor")
        raise RuntimeError(f"expected scalar type {_LEGACY.get(x.dtype.name, x.dtype.name)} but found "
                           f"{_LEGACY.get(w.dtype.name, w.dtype.name)}")
    if x.dtype.kind == "b":
        nd = x.ndim - 2
        kern = (f"slow_conv_transpose{3 if nd == 3 else 2}d_out_cpu" if transposed else
                "compute_columns3d" if nd == 3 else "slow_conv2d_cpu")
        raise NotImplementedError(f'"{kern}" not implemented for \'Bool\'')


def _batch(input: Tensor, nd: int, fn: str):
    d = input.dim()
    if d not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {fn}, but got input of "
                           f"size: {list(input.shape)}")
    return (input.unsqueeze(0), True) if d == nd + 1 else (input, False)


# ------------------------------------------------------------------ public functions
def _conv(input, weight, bias, stride, padding, dilation, groups, nd: int, fn: str) -> Tensor:
    _need(input, fn, "input", 1)
    _need(weight, fn, "weight", 2)
    if bias is not None:
        _need(bias, fn, "bias", 3)
    if not _is_int(groups):
        raise TypeError(f"{fn}(): argument 'groups' must be int, not {type(groups).__name__}")
    x, unbatched = _batch(input, nd, fn)
    stride_l = _int_list(stride, nd, fn, "stride")
    dil_l = _int_list(dilation, nd, fn, "dilation")
    if isinstance(padding, str):
        if padding == "same":
            stride_t, lo, hi, dil_t = _same_padding(x, weight, stride_l, dil_l)
            _bias_dtype_conv(x._data, bias)
            _check(x, weight, bias, stride_t, lo, dil_t, groups, False)
        elif padding == "valid":
            _bias_dtype_conv(x._data, bias)
            k = weight.dim() - 2
            stride_t, dil_t = _expand(stride_l, "stride", k), _expand(dil_l, "dilation", k)
            lo = hi = (0,) * k
            _check(x, weight, bias, stride_t, lo, dil_t, groups, False)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pad_l = _int_list(padding, nd, fn, "padding")
        _bias_dtype_conv(x._data, bias)
        k = weight.dim() - 2
        stride_t = _expand(stride_l, "stride", k)
        lo = hi = _expand(pad_l, "padding", k)
        dil_t = _expand(dil_l, "dilation", k)
        _check(x, weight, bias, stride_t, lo, dil_t, groups, False)
    xa, wa = x._data, weight._data
    sp = xa.shape[2:]
    padded = tuple(s + a + b for s, a, b in zip(sp, lo, hi))
    ext = tuple(d * (kk - 1) + 1 for d, kk in zip(dil_t, wa.shape[2:]))
    if any(p < e for p, e in zip(padded, ext)):
        raise RuntimeError(f"Calculated padded input size per channel: {_sizes(padded)}. Kernel size: {_sizes(ext)}. "
                           f"Kernel size can't be greater than actual input size")
    _dtype_check(xa, wa, fn, False)
    y = conv_t(x, weight, bias, stride_t, lo, hi, dil_t, groups)
    return y.squeeze(0) if unbatched else y


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, nd: int,
                    fn: str) -> Tensor:
    _need(input, fn, "input", 1)
    _need(weight, fn, "weight", 2)
    if bias is not None:
        _need(bias, fn, "bias", 3)
    if not _is_int(groups):
        raise TypeError(f"{fn}(): argument 'groups' must be int, not {type(groups).__name__}")
    x, unbatched = _batch(input, nd, fn)
    stride_l = _int_list(stride, nd, fn, "stride")
    pad_l = _int_list(padding, nd, fn, "padding")
    op_l = _int_list(output_padding, nd, fn, "output_padding")
    dil_l = _int_list(dilation, nd, fn, "dilation")
    k = weight.dim() - 2
    stride_t = _expand(stride_l, "stride", k)
    pad_t = _expand(pad_l, "padding", k)
    dil_t = _expand(dil_l, "dilation", k)
    op_t = _expand(op_l, "output_padding", k)
    _check(x, weight, bias, stride_t, pad_t, dil_t, groups, True, op_t)
    xa, wa = x._data, weight._data
    if any(not (o < s or o < d) for o, s, d in zip(op_t, stride_t, dil_t)):
        names = ("depth", "height", "width")[-max(k, 2):]
        pads = ((0,) + op_t) if k == 1 else op_t
        strides = ((1,) + stride_t) if k == 1 else stride_t
        dils = ((1,) + dil_t) if k == 1 else dil_t
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got " +
                           " ".join(f"output_padding_{n}: {v}" for n, v in zip(names, pads)) + " " +
                           " ".join(f"stride_{n}: {v}" for n, v in zip(names, strides)) + " " +
                           " ".join(f"dilation_{n}: {v}" for n, v in zip(names, dils)))
    sp = xa.shape[2:]
    out_sp = tuple((i - 1) * s - 2 * p + d * (kk - 1) + 1 + o
                   for i, s, p, d, kk, o in zip(sp, stride_t, pad_t, dil_t, wa.shape[2:], op_t))
    if any(o < 1 for o in out_sp):
        ins, outs = (sp, out_sp) if k > 1 else ((1,) + sp, (1,) + out_sp)
        raise RuntimeError(f"Given input size per channel: {_sizes(ins)}. Calculated output size per channel: "
                           f"{_sizes(outs)}. Output size is too small")
    _dtype_check(xa, wa, fn, True)
    if bias is not None and bias._data.dtype != xa.dtype:
        bd = bias._data.dtype
        if xa.dtype in (np.float32, np.float16):
            raise RuntimeError(f"Input type ({_legacy(xa.dtype)}) and bias type ({_legacy(bd)}) should be the same "
                               f"or input should be a MKLDNN tensor and bias is a dense tensor")
        if np.result_type(xa.dtype, bd) != xa.dtype:
            raise RuntimeError(f"result type {_LEGACY.get(bd.name, bd.name)} can't be cast to the desired output "
                               f"type {_LEGACY.get(xa.dtype.name, xa.dtype.name)}")
    y = conv_transpose_t(x, weight, bias, stride_t, pad_t, pad_t, dil_t, groups, out_sp)
    return y.squeeze(0) if unbatched else y


def conv1d(input: Tensor, weight: Tensor, bias=None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """F.conv1d: ``(N, C, L)`` or unbatched ``(C, L)``; padding int/tuple/'same'/'valid'."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Tensor, weight: Tensor, bias=None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """F.conv2d: ``(N, C, H, W)`` or unbatched ``(C, H, W)``; padding int/tuple/'same'/'valid'."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input: Tensor, weight: Tensor, bias=None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """F.conv3d: ``(N, C, D, H, W)`` or unbatched ``(C, D, H, W)``; padding int/tuple/'same'/'valid'."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def conv_transpose1d(input: Tensor, weight: Tensor, bias=None, stride=1, padding=0, output_padding=0,
                     groups: int = 1, dilation=1) -> Tensor:
    """F.conv_transpose1d: weight ``(C_in, C_out / groups, kL)``; the adjoint of conv1d."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                           "conv_transpose1d")


def conv_transpose2d(input: Tensor, weight: Tensor, bias=None, stride=1, padding=0, output_padding=0,
                     groups: int = 1, dilation=1) -> Tensor:
    """F.conv_transpose2d: weight ``(C_in, C_out / groups, kH, kW)``; the adjoint of conv2d."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                           "conv_transpose2d")


def conv_transpose3d(input: Tensor, weight: Tensor, bias=None, stride=1, padding=0, output_padding=0,
                     groups: int = 1, dilation=1) -> Tensor:
    """F.conv_transpose3d: weight ``(C_in, C_out / groups, kD, kH, kW)``; the adjoint of conv3d."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                           "conv_transpose3d")
