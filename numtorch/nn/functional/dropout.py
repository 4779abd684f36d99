"""torch.nn.functional dropout family: dropout, alpha_dropout, feature_alpha_dropout and the
channel-wise dropout1d / dropout2d / dropout3d.

Masks come from numtorch's global generator (``numtorch.manual_seed`` makes them
reproducible; the stream is NumPy's, not torch's).  As in torch: training multiplies by a mask
of 0 and ``1 / (1 - p)`` (one ``MulBackward0`` node, gradient ``g * mask``); ``training=False``,
``p == 0`` or an empty input return the input itself; ``p == 1`` gives ``input * 0``; alpha
dropout keeps SELU's mean and variance (node ``AddBackward0``).  Channel-wise forms draw one
mask value per (sample, channel), batchless inputs are handled as torch does (dropout1d on
2-D and dropout3d on 4-D inputs; dropout2d's and dropout3d's deprecated ranks warn with
torch's messages), and ``inplace=True`` writes into the input with torch's in-place checks.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..._ops import _par as P
from ..._ops._helpers import make
from ..._ops.factories import _rng
from ..._ops.inplace import apply_inplace, check_inplace
from ..._tensor import Tensor
from ...autograd.grad_mode import GRAD
from ...autograd.graph import NO_EDGE, _LEGACY, edge, node_class

__all__ = ["dropout", "alpha_dropout", "feature_alpha_dropout", "dropout1d", "dropout2d", "dropout3d"]

_ALPHA = 1.7580993408473766  # -SELU's negative saturation value: scale * alpha


def _mask_bw(ctx, saved, g):
    mask = ctx
    if type(g) is np.ndarray:
        return (np.asarray(P.mul(g, mask.astype(g.dtype, copy=False))), None)
    return (g * make(mask, False, None).to(g.dtype), None)


MulBackward0 = node_class("MulBackward0", _mask_bw)
AddBackward0 = node_class("AddBackward0", _mask_bw)


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(shape, p, dt):
    """Bernoulli(1 - p) keep-mask as an array of dtype ``dt`` holding 0 or 1.

    Each element compares 16 raw random bits with ``round(p * 2**16)``: four elements per 64-bit
    draw, several times faster than drawing floats (the keep probability is then exact to
    2**-16; p = 0 keeps everything and p = 1 drops everything, as in torch)."""
    n = math.prod(shape)
    bits = _rng(None).bit_generator.random_raw((n + 3) // 4).view(np.uint16)[:n]
    keep = np.greater_equal(bits, round(p * 65536)).reshape(shape)
    return keep.astype(dt)


def _noise_shape(shape, feature):
    return shape[:2] + (1,) * (len(shape) - 2) if feature else shape


def _record(input, mask, shift, ip):
    """``input * mask (+ shift)`` as one node whose backward is ``g * mask``."""
    d = input._data
    r = np.asarray(P.mul(d, mask))          # threaded when large (channel masks broadcast)
    if shift is not None:
        r += shift
    if GRAD[0] and input._rg:
        node = (MulBackward0 if shift is None else AddBackward0)((edge(input), NO_EDGE), mask)
        return make(r, True, node)
    return make(r, False, None)


def _apply(input, mask, shift, inplace):
    if not inplace:
        return _record(input, mask, shift, False)
    if GRAD[0] and input._rg:
        return apply_inplace(input, _record, mask, shift, True)
    check_inplace(input)
    d = input._data
    P.mul(d, mask, d)
    if shift is not None:
        d += shift
    input._vc[0] += 1
    return input


def _float_check(d):
    if d.dtype.kind != "f":
        from ... import _dtype as D
        dn = D.get_default_dtype().np
        raise RuntimeError(f"result type {_LEGACY.get(dn.name)} can't be cast to the desired output type "
                           f"{_LEGACY.get(d.dtype.name, d.dtype.name)}")


def _dropout_impl(input, p, training, inplace, feature, alpha):
    if not isinstance(input, Tensor):
        raise TypeError(f"dropout(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    d = input._data
    if feature and d.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if p == 0 or not training or d.size == 0:
        return input
    if p == 1:
        return _apply(input, np.zeros((), d.dtype), None, inplace)
    _float_check(d)
    dt = d.dtype
    keep = _keep_mask(_noise_shape(d.shape, feature), p, dt)
    if not alpha:
        scale = dt.type(1) / dt.type(1 - p)
        keep *= scale
        return _apply(input, keep, None, inplace)
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    shift = np.asarray((keep - 1) * (_ALPHA * a))
    shift += _ALPHA * a * p
    keep *= a
    return _apply(input, keep, shift.astype(dt, copy=False), inplace)


def dropout(input, p=0.5, training=True, inplace=False):
    """F.dropout: zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``
    (identity when not training)."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, False, False)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """F.alpha_dropout: dropped elements take SELU's saturation value, then an affine map keeps
    zero mean and unit variance (identity when not training; note the default training=False)."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, False, True)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """F.feature_alpha_dropout: alpha dropout with one mask value per (sample, channel)."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, True, True)


def _batchless(input, p, training, inplace):
    """Feature dropout of an input without batch dimension: as torch, the input is treated as
    one sample (the mask has one value per channel, dim 0)."""
    if not isinstance(input, Tensor):
        return _dropout_impl(input, p, training, inplace, True, False)
    d = input._data
    if not training or p == 0 or d.size == 0:
        return input
    if p == 1:
        return _apply(input, np.zeros((), d.dtype), None, inplace)
    _float_check(d)
    keep = _keep_mask(d.shape[:1] + (1,) * (d.ndim - 1), p, d.dtype)
    keep *= d.dtype.type(1) / d.dtype.type(1 - p)
    return _apply(input, keep, None, inplace)


_DEPRECATED = ("{n}: Received a {k}-D input to {n}, which is deprecated and will result in an error in a future "
               "release. To retain the behavior and silence this warning, please use dropout instead. Note that {n} "
               "exists to provide channel-wise dropout on inputs with {s} spatial dimensions, a channel dimension, "
               "and an optional batch dimension (i.e. {a}D or {b}D inputs).")


def dropout1d(input, p=0.5, training=True, inplace=False):
    """F.dropout1d: channel-wise dropout of (N, C, L) or batchless (C, L) inputs."""
    _check_p(p)
    nd = input.dim()
    if nd not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. Note that dropout1d "
                           "exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel "
                           "dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    if nd == 2:
        return _batchless(input, p, training, inplace)
    return _dropout_impl(input, p, training, inplace, True, False)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """F.dropout2d: channel-wise dropout of (N, C, H, W) inputs; a 3-D input is taken as
    (N, C, L) with torch's warning, other ranks warn as deprecated and are treated as (N, C, *)."""
    _check_p(p)
    nd = input.dim()
    if nd not in (3, 4):
        warnings.warn(_DEPRECATED.format(n="dropout2d", k=nd, s=2, a=3, b=4), stacklevel=2)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a "
                      "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", stacklevel=2)
    return _dropout_impl(input, p, training, inplace, True, False)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """F.dropout3d: channel-wise dropout of (N, C, D, H, W) or batchless (C, D, H, W) inputs;
    other ranks warn as deprecated and are treated as batchless, as torch does."""
    _check_p(p)
    nd = input.dim()
    if nd not in (4, 5):
        warnings.warn(_DEPRECATED.format(n="dropout3d", k=nd, s=3, a=4, b=5), stacklevel=2)
    if nd != 5:
        if nd == 0:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        return _batchless(input, p, training, inplace)
    return _dropout_impl(input, p, training, inplace, True, False)
