"""F.pad: constant (any rank, negative padding crops), reflect, replicate and circular padding.

Constant padding is one ``ConstantPadNdBackward0`` node whose backward slices the gradient
(under ``create_graph`` it is ``pad`` again with the negated padding).  The other modes build,
for each padded dimension, an index map ``out position -> input position``; the forward is a
chain of ``np.take`` and the backward a chain of ``np.add.at`` scatter-sums over the same maps,
in reverse.  Under ``create_graph`` the scatter is itself a node whose backward is the gather,
so double backward is exact.  Node names and error messages are torch's.
"""
from __future__ import annotations

import numbers

import numpy as np

from ..._ops._helpers import make
from ..._tensor import Tensor
from ...autograd.grad_mode import GRAD
from ...autograd.graph import edge, node_class

__all__ = ["pad"]

_C_NAMES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t"}

_SUPPORTED = ("Supported combinations for non-constant padding:\n"
              "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
              "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
              "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


# ------------------------------------------------------------------ constant
def _const_slices(shape, pad):
    """(src, dst): the slices of the input kept and where they land in the output."""
    nd = len(shape)
    src = [slice(None)] * nd
    dst = [slice(None)] * nd
    out = list(shape)
    for i in range(len(pad) // 2):
        d = nd - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        n = shape[d]
        o = n + lo + hi
        out[d] = o
        s0 = max(-lo, 0)
        s1 = n - max(-hi, 0)
        d0 = max(lo, 0)
        src[d] = slice(s0, max(s1, s0))
        dst[d] = slice(d0, d0 + max(s1 - s0, 0))
    return tuple(src), tuple(dst), tuple(out)


def _constant_bw(ctx, saved, g):
    in_shape, src, dst, pad = ctx
    if type(g) is np.ndarray:
        r = np.zeros(in_shape, dtype=g.dtype)
        r[src] = g[dst]
        return (r,)
    return (pad_constant(g, tuple(-p for p in pad), 0.0),)


_ConstantPadNd = node_class("ConstantPadNdBackward0", _constant_bw)


def _fill_value(value, dt):
    if dt.kind == "b":
        return bool(value)
    if dt.kind in "iu":
        v = int(value)
        info = np.iinfo(dt)
        if not info.min <= v <= info.max:
            raise RuntimeError(f"value cannot be converted to type {_C_NAMES.get(dt.name, dt.name)} without overflow")
        return v
    return value


def pad_constant(input, pad, value):
    d = input._data
    shape = d.shape
    for i in range(len(pad) // 2):
        dim = len(shape) - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        if lo < 0 and -lo > shape[dim] or shape[dim] + lo + hi < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
    src, dst, out_shape = _const_slices(shape, pad)
    r = np.full(out_shape, _fill_value(value, d.dtype), dtype=d.dtype)
    r[dst] = d[src]
    if GRAD[0] and input._rg:
        return make(r, True, _ConstantPadNd((edge(input),), (shape, src, dst, tuple(pad))))
    return make(r, False, None)


# ------------------------------------------------------------------ index-map modes
def _gather(d, maps, axes):
    for (idx, _, _, _, _), ax in zip(maps, axes):
        d = np.take(d, idx, axis=ax)
    return d


def _scatter(g, maps, axes, sizes):
    """Adjoint of ``_gather``: per dim, the identity core is one slice copy and only the border
    positions go through ``np.add.at``."""
    for (idx, a, b, s, rest), ax, n in zip(reversed(maps), reversed(axes), reversed(sizes)):
        gm = np.moveaxis(g, ax, 0)
        r = np.zeros((n,) + gm.shape[1:], dtype=g.dtype)
        if b > a:
            r[s:s + b - a] = gm[a:b]
        if rest.size:
            np.add.at(r, idx[rest], gm[rest])
        g = np.moveaxis(r, 0, ax)
    return np.ascontiguousarray(g)


def _map_entry(idx, lo, hi, n):
    """(index map, core output range [a, b) that maps to input [s, s + b - a), other positions)."""
    out = idx.size
    a = max(lo, 0)
    b = max(a, min(out - max(hi, 0), a + n))
    s = a - lo
    if b > a and not (0 <= s and s + b - a <= n and np.array_equal(idx[a:b], np.arange(s, s + b - a))):
        a = b = s = 0   # no identity core: scatter everything
    rest = np.concatenate([np.arange(0, a, dtype=np.intp), np.arange(b, out, dtype=np.intp)])
    return idx, a, b, s, rest


def _gather_bw(ctx, saved, g):
    maps, axes, sizes, bname = ctx
    if type(g) is np.ndarray:
        return (_scatter(g, maps, axes, sizes),)
    return (_scatter_t(g, maps, axes, sizes, bname),)


def _scatter_bw(ctx, saved, g):
    maps, axes, sizes, name = ctx
    if type(g) is np.ndarray:
        return (_gather(g, maps, axes),)
    return (_gather_t(g, maps, axes, sizes, name),)


_GATHER_NODES = {}
_SCATTER_NODES = {}
for _k in (1, 2, 3):
    for _m in ("ReflectionPad", "ReplicationPad"):
        _n = f"{_m}{_k}DBackward0"
        _GATHER_NODES[_n] = node_class(_n, _gather_bw)
        _SCATTER_NODES[_n] = node_class(f"{_m}{_k}DBackwardBackward0", _scatter_bw)
_GATHER_NODES["CopySlices"] = node_class("CopySlices", _gather_bw)
_SCATTER_NODES["CopySlices"] = node_class("CopySlicesBackward", _scatter_bw)


def _gather_t(t, maps, axes, sizes, name):
    r = np.ascontiguousarray(_gather(t._data, maps, axes))
    if GRAD[0] and t._rg:
        return make(r, True, _GATHER_NODES[name]((edge(t),), (maps, axes, sizes, name)))
    return make(r, False, None)


def _scatter_t(t, maps, axes, sizes, name):
    r = _scatter(t._data, maps, axes, sizes)
    if GRAD[0] and t._rg:
        return make(r, True, _SCATTER_NODES[name]((edge(t),), (maps, axes, sizes, name)))
    return make(r, False, None)


def _index_map(mode, n, lo, hi):
    j = np.arange(n + lo + hi, dtype=np.intp) - lo
    if mode == "reflect":
        j = np.abs(j)
        return (n - 1) - np.abs((n - 1) - j)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    # circular wraps around the cropped core x[s0:s0 + m], as torch does
    s0 = max(-lo, 0)
    m = n - s0 - max(-hi, 0)
    if n + lo + hi == 0:
        return j[:0]
    if lo > m or hi > m:
        raise RuntimeError("unsupported operation: some elements of the input tensor and the written-to tensor "
                           "refer to a single memory location. Please clone() the tensor before performing the "
                           "operation.")
    return s0 + np.mod(j + lo - max(lo, 0), m)


_LETTERS = ("W", "H", "D")


def _too_small(mode, shape, pad, k):
    """torch's check that not every padded output size is below 1."""
    ins = [shape[-1 - i] for i in range(k)]
    outs = [ins[i] + pad[2 * i] + pad[2 * i + 1] for i in range(k)]
    if all(o < 1 for o in outs):
        if k == 1:
            raise RuntimeError(f"input (W: {ins[0]}) is too small. Calculated output W: {outs[0]}")
        if k == 2:
            sp = " " if mode == "replicate" else ""
            raise RuntimeError(f"input (H: {ins[1]}, W: {ins[0]}{sp}) is too small. Calculated output H: {outs[1]} "
                               f"W: {outs[0]}")
        raise RuntimeError(f"input (D: {ins[2]} H: {ins[1]}, W: {ins[0]}) is too small. Calculated output D: "
                           f"{outs[2]} H: {outs[1]} W: {outs[0]}")
    for i in range(k - 1, -1, -1):
        if outs[i] < 0:
            bad = list(shape[:-k]) + [outs[j] for j in range(k - 1, -1, -1)]
            raise RuntimeError(f"Trying to create tensor with negative dimension {outs[i]}: {bad}")


def _pad_indexed(input, pad, mode):
    d = input._data
    shape = d.shape
    nd = d.ndim
    k = len(pad) // 2
    if mode in ("reflect", "replicate"):
        if any(s == 0 for s in shape[1 if nd == k + 2 else 0:]):
            raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and "
                               f"other non-zero dimensions for input, but got: {list(shape)}")
        if mode == "reflect":
            for i in range(k):
                lo, hi = pad[2 * i], pad[2 * i + 1]
                n = shape[nd - 1 - i]
                if not (lo < n and hi < n):
                    raise RuntimeError(f"Argument #{4 + 2 * i}: Padding size should be less than the corresponding "
                                       f"input dimension, but got: padding ({lo}, {hi}) at dimension {nd - 1 - i} "
                                       f"of input {list(shape)}")
        _too_small(mode, shape, pad, k)
        name = f"{'ReflectionPad' if mode == 'reflect' else 'ReplicationPad'}{k}DBackward0"
    else:
        for i in range(k):
            lo, hi = pad[2 * i], pad[2 * i + 1]
            n = shape[nd - 1 - i]
            if lo > n or hi > n:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if n + lo + hi < 0:
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
        name = "CopySlices"
    maps, axes, sizes = [], [], []
    for i in range(k - 1, -1, -1):   # outermost padded dim first
        ax = nd - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        maps.append(_map_entry(_index_map(mode, shape[ax], lo, hi), lo, hi, shape[ax]))
        axes.append(ax)
        sizes.append(shape[ax])
    return _gather_t(input, tuple(maps), tuple(axes), tuple(sizes), name)


# ------------------------------------------------------------------ entry point
def _check_pad_arg(pad):
    if isinstance(pad, Tensor) or not isinstance(pad, (tuple, list)):
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, not {type(pad).__name__}")
    out = []
    for i, p in enumerate(pad):
        if isinstance(p, bool) or not isinstance(p, (numbers.Integral, np.integer)):
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type "
                            f"{type(p).__name__} at pos {i}")
        out.append(int(p))
    return tuple(out)


def pad(input, pad, mode="constant", value=None):
    """F.pad: pad the last ``len(pad) // 2`` dimensions of ``input``; ``pad`` lists (left, right)
    pairs starting from the last dimension.  Modes: 'constant', 'reflect', 'replicate',
    'circular'."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pad(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    pad = _check_pad_arg(pad)
    if not isinstance(mode, str):
        raise TypeError(f"pad(): argument 'mode' (position 3) must be str, not {type(mode).__name__}")
    if value is not None and (isinstance(value, str) or not isinstance(value, (numbers.Number, np.generic))):
        raise TypeError(f"pad(): argument 'value' (position 4) must be float, not {type(value).__name__}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    nd = input.dim()
    if mode == "constant":
        if len(pad) > 2 * nd:
            raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but "
                               f"got padding length {len(pad)} and input of dimension {nd}")
        return pad_constant(input, pad, 0.0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pad) // 2
    if k not in (1, 2, 3) or nd not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {nd}D input tensor.\n{_SUPPORTED}")
    return _pad_indexed(input, pad, mode)
