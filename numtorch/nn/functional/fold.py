"""F.unfold / F.fold (torch's im2col / col2im) and the N-d Tensor ops behind them.

``im2col_t`` turns ``(N, C, *S)`` into the sliding-window columns ``(N, C * prod(K), L)``;
``col2im_t`` sums such columns back into ``(N, C, *S)``.  Each is one node
(``Im2ColBackward0`` / ``Col2ImBackward0``) whose backward is the other op, so derivatives of
any order are exact.  Both accept per-side (and negative) padding: the convolution's double
backward builds its weight gradient from them.  The public functions handle torch's 4-D
(3-D unbatched) inputs with torch's argument checks and messages.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ..._ops import conv as K
from ..._ops._helpers import make
from ..._tensor import Tensor
from ...autograd.grad_mode import GRAD
from ...autograd.graph import edge, node_class

__all__ = ["unfold", "fold"]


# ------------------------------------------------------------------ Tensor ops
def _im2col_bw(ctx, saved, g):
    in_sp, k, stride, lo, hi, dil, unbatched = ctx
    if type(g) is np.ndarray:
        return (_col2im_array(g[None] if unbatched else g, in_sp, k, stride, lo, hi, dil)[0 if unbatched else ...],)
    r = col2im_t(g.unsqueeze(0) if unbatched else g, in_sp, k, stride, lo, hi, dil)
    return (r.squeeze(0) if unbatched else r,)


def _col2im_bw(ctx, saved, g):
    in_sp, k, stride, lo, hi, dil, unbatched = ctx
    if type(g) is np.ndarray:
        return (_im2col_array(g[None] if unbatched else g, k, stride, lo, hi, dil)[0 if unbatched else ...],)
    r = im2col_t(g.unsqueeze(0) if unbatched else g, k, stride, lo, hi, dil)
    return (r.squeeze(0) if unbatched else r,)


Im2ColBackward0 = node_class("Im2ColBackward0", _im2col_bw)
Col2ImBackward0 = node_class("Col2ImBackward0", _col2im_bw)


def _im2col_array(x: np.ndarray, k, stride, lo, hi, dil) -> np.ndarray:
    out_sp = K.out_sizes(x.shape[2:], k, stride, lo, hi, dil)
    cols = K.im2col(K.pad(x, lo, hi), k, stride, dil, out_sp)
    n, c = x.shape[:2]
    return cols.reshape(n, c * math.prod(k), math.prod(out_sp))


def _col2im_array(a: np.ndarray, in_sp, k, stride, lo, hi, dil) -> np.ndarray:
    n, ck, _ = a.shape
    kk = math.prod(k)
    out_sp = K.out_sizes(in_sp, k, stride, lo, hi, dil)
    padded = tuple(s + p + q for s, p, q in zip(in_sp, lo, hi))
    r = K.col2im(a.reshape((n, ck // kk) + tuple(k) + out_sp), padded, k, stride, dil)
    return K.window(r, lo, in_sp)


def im2col_t(x: Tensor, k, stride, lo, hi, dil, unbatched: bool = False) -> Tensor:
    """Sliding-window columns ``(N, C * prod(K), L)`` of ``x: (N, C, *S)`` padded by
    ``lo``/``hi`` (``unbatched``: ``x`` is ``(C, *S)`` and the result ``(C * prod(K), L)``)."""
    a = x._data
    r = _im2col_array(a[None] if unbatched else a, k, stride, lo, hi, dil)
    if unbatched:
        r = r[0]
    if GRAD[0] and x._rg:
        in_sp = a.shape[1 if unbatched else 2:]
        return make(r, True, Im2ColBackward0((edge(x),), (in_sp, tuple(k), stride, lo, hi, dil, unbatched)))
    return make(r, False, None)


def col2im_t(cols: Tensor, in_sp, k, stride, lo, hi, dil, unbatched: bool = False) -> Tensor:
    """Adjoint of ``im2col_t``: columns ``(N, C * prod(K), L)`` summed into ``(N, C, *in_sp)``."""
    a = cols._data
    r = _col2im_array(a[None] if unbatched else a, in_sp, k, stride, lo, hi, dil)
    if unbatched:
        r = r[0]
    if GRAD[0] and cols._rg:
        return make(r, True, Col2ImBackward0((edge(cols),), (tuple(in_sp), tuple(k), stride, lo, hi, dil,
                                                             unbatched)))
    return make(r, False, None)


# ------------------------------------------------------------------ argument checks
def _pair_arg(v, name: str) -> tuple:
    """An int becomes a pair; a sequence must have exactly two entries (torch's message)."""
    if isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool):
        return (int(v), int(v))
    v = tuple(int(a) for a in v)
    if len(v) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(v)}")
    return v


def _positive(v, what: str, a: str, b: str, strict: bool = True) -> None:
    if any(x <= 0 for x in v) if strict else any(x < 0 for x in v):
        cond = "greater than zero" if strict else "non-negative"
        raise RuntimeError(f"{what} should be {cond}, but got {a}: {v[0]} {b}: {v[1]}")


def _kernel(v):
    _positive(v, "kernel size", "kernel_height", "kernel_width")


def _stride(v):
    _positive(v, "stride", "stride_height", "stride_width")


def _dilation(v):
    _positive(v, "dilation", "dilation_height", "dilation_width")


def _padding(v):
    _positive(v, "padding", "pad_height", "pad_width", strict=False)


def _dtype_check(a: np.ndarray, kernel: str) -> None:
    if a.dtype.kind in "iu":
        from ...autograd.graph import _LEGACY
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_LEGACY.get(a.dtype.name, a.dtype.name)}\'')


def _tup(v) -> str:
    return "(" + ", ".join(str(a) for a in v) + ")"


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """F.unfold: sliding local blocks of a 4-D ``(N, C, H, W)`` (or 3-D unbatched) input as
    ``(N, C * kH * kW, L)``; one ``Im2ColBackward0`` node, torch's checks and messages."""
    if not isinstance(input, Tensor):
        raise TypeError(f"im2col(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    shape = tuple(input.shape)
    nd = len(shape)
    if nd < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(nd, 1)}, {max(nd, 1) - 1}], "
                         f"but got {nd})")
    k = _pair_arg(kernel_size, "kernel_size")
    d = _pair_arg(dilation, "dilation")
    p = _pair_arg(padding, "padding")
    s = _pair_arg(stride, "stride")
    _kernel(k)
    _dilation(d)
    _padding(p)
    _stride(s)
    if nd not in (3, 4) or any(x == 0 for x in shape[nd - 3:]):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(shape)}")
    blocks = K.out_sizes(shape[-2:], k, s, p, p, d)
    if any(b < 1 for b in blocks):
        raise RuntimeError(f"Given input with spatial size {_tup(shape[-2:])}, kernel_size={_tup(k)}, "
                           f"dilation={_tup(d)}, padding={_tup(p)}, calculated shape of the array of sliding blocks "
                           f"as {_tup(blocks)}, but its components must be at least one.")
    _dtype_check(input._data, "im2col_out_cpu")
    return im2col_t(input, k, s, p, p, d, unbatched=nd == 3)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """F.fold: sums sliding-block columns ``(N, C * kH * kW, L)`` (or 2-D unbatched) into
    ``(N, C, *output_size)``; one ``Col2ImBackward0`` node, torch's checks and messages."""
    if not isinstance(input, Tensor):
        raise TypeError(f"col2im(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    shape = tuple(input.shape)
    nd = len(shape)
    o = _pair_arg(output_size, "output_size")
    k = _pair_arg(kernel_size, "kernel_size")
    d = _pair_arg(dilation, "dilation")
    p = _pair_arg(padding, "padding")
    s = _pair_arg(stride, "stride")
    _kernel(k)
    _stride(s)
    _dilation(d)
    _padding(p)
    if nd not in (2, 3) or any(x == 0 for x in shape[nd - 2:]):
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {list(shape)}")
    ck, L = shape[-2:]
    kk = k[0] * k[1]
    if ck % kk:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={ck} and kernel_size={_tup(k)}.")
    blocks = K.out_sizes(o, k, s, p, p, d)
    if blocks[0] * blocks[1] != L or any(b < 1 for b in blocks):
        raise RuntimeError(f"Given output_size={_tup(o)}, kernel_size={_tup(k)}, dilation={_tup(d)}, "
                           f"padding={_tup(p)}, stride={_tup(s)}, expected size of input's dimension 2 to match the "
                           f"calculated number of sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, "
                           f"but got input.size(2)={L}.")
    _dtype_check(input._data, "col2im_out_cpu")
    return col2im_t(input, o, k, s, p, p, d, unbatched=nd == 2)
