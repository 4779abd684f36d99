"""torch.nn.functional normalisation functions: layer_norm, group_norm, rms_norm and
local_response_norm.

``layer_norm``, ``group_norm`` and ``rms_norm`` are each one node with a hand-written,
vectorised backward (gradients for input, weight and bias).  Statistics are computed in the
input's dtype over the normalised dimensions; the backward uses the usual closed form
``gx = rstd * (gxh - mean(gxh) - xh * mean(gxh * xh))`` (without the ``mean(gxh)`` term for
RMS).  Under ``create_graph=True`` the backward differentiates a composite re-computation from
tensor ops instead, so double backward is exact.  ``local_response_norm`` is
composed from differentiable tensor ops, as torch composes it.
"""
from __future__ import annotations

import numpy as np

from ..._ops._helpers import affine_grads, edges, make, ones_vec
from ..._tensor import Tensor
from ...autograd.grad_mode import GRAD
from ...autograd.graph import _LEGACY, node_class

__all__ = ["layer_norm", "group_norm", "rms_norm", "local_response_norm"]


def _need(x, fn, arg, pos):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}")


def _shape_list(normalized_shape):
    if isinstance(normalized_shape, (int, np.integer)):
        return [int(normalized_shape)]
    return [int(s) for s in normalized_shape]


def _check_dtypes(kernel, d, params):
    """torch's dtype errors: non-float inputs are not implemented, and float32 / float64 inputs
    and parameters may not be mixed (layer_norm / group_norm)."""
    if d.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_LEGACY.get(d.dtype.name, d.dtype.name)}\'')
    if kernel == "rms_norm":
        return
    for p in params:
        if p is not None and p._data.dtype != d.dtype:
            if d.dtype == np.float32:
                raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def _norm_bw(ctx, saved, g):
    """Backward of a normalisation over the last axis of a (M, K) view.
    ctx: (xh, rstd, w_b, center, xshape, view, wshape, need_x, need_w, need_b, has_w, has_b, red_w)."""
    xh, rstd, wb, center, xshape, view, wshape, need_x, need_w, need_b, has_w, has_b, red_w, recompute = ctx
    if type(g) is not np.ndarray:   # create_graph: differentiate a composite re-computation
        return recompute(g)
    if red_w[2] == 1 and g.dtype.kind == "f" and g.dtype.itemsize >= 4 and (wb is None or wb.shape == wshape):
        return _rows_bw(ctx, g)
    gw = gb = gx = None
    if need_w:
        gw = np.ascontiguousarray((g * xh.reshape(g.shape)).reshape(red_w).sum(axis=(0, 2))).reshape(wshape)
    if need_b:
        gb = np.ascontiguousarray(g.reshape(red_w).sum(axis=(0, 2))).reshape(wshape)
    if need_x:
        gh = g if wb is None else g * wb
        gh = gh.reshape(view)
        m2 = (gh * xh).mean(axis=-1, keepdims=True)
        if center:
            gx = rstd * (gh - gh.mean(axis=-1, keepdims=True) - xh * m2)
        else:
            gx = rstd * (gh - xh * m2)
        gx = gx.reshape(xshape)
    return affine_grads(gx, gw, gb, has_w, has_b)


def _row_mean(a):
    """Mean over the last axis of a (M, K) float32/64 array as a BLAS matrix-vector product,
    several times faster than ``a.mean(-1)`` for the short rows of layer norms."""
    K = a.shape[1]
    r = np.matmul(a, ones_vec(K, a.dtype))
    r *= 1.0 / K if K else 0.0
    return r.reshape(-1, 1)


def _rows_bw(ctx, g):
    """Backward of layer_norm / rms_norm (weight over the normalised dims) with BLAS row
    reductions and in-place updates: a few passes over (M, K) buffers."""
    xh, rstd, wb, center, xshape, view, wshape, need_x, need_w, need_b, has_w, has_b = ctx[:12]
    g2 = g.reshape(view)
    M = view[0]
    tmp = gw = gb = gx = None
    if need_w:
        tmp = np.multiply(g2, xh)
        gw = np.matmul(ones_vec(M, g.dtype), tmp).reshape(wshape)
    if need_b:
        gb = np.matmul(ones_vec(M, g.dtype), g2).reshape(wshape)
    if need_x:
        gh = np.multiply(g2, wb.reshape(-1)) if wb is not None else g2
        tmp = np.multiply(gh, xh, out=tmp)
        m2 = _row_mean(tmp)
        gx = np.subtract(gh, _row_mean(gh), out=gh if wb is not None else None) if center else \
            (gh if wb is not None else gh.copy())
        gx -= np.multiply(xh, m2, out=tmp)
        gx *= rstd
        gx = gx.reshape(xshape)
    return affine_grads(gx, gw, gb, has_w, has_b)


_NODES = {n: node_class(n, _norm_bw) for n in ("NativeLayerNormBackward0", "NativeGroupNormBackward0",
                                                 "MulBackward0")}


def _run(input, weight, bias, d, view, wb, bb, eps, center, red_w, wshape, name):
    x = d.reshape(view)
    if red_w[2] == 1 and d.dtype.kind == "f" and d.dtype.itemsize >= 4 and (wb is None or wb.shape == wshape):
        return _run_rows(input, weight, bias, d, x, wb, bb, eps, center, red_w, wshape, name)
    if center:
        mu = x.mean(axis=-1, keepdims=True)
        xc = x - mu
        var = (xc * xc).mean(axis=-1, keepdims=True)
    else:
        xc = x
        var = (x * x).mean(axis=-1, keepdims=True)
    rstd = (1.0 / np.sqrt(var + eps)).astype(d.dtype, copy=False)
    xh = xc * rstd
    y = xh.reshape(d.shape)
    if wb is not None:
        y = y * wb
    if bb is not None:
        y = y + bb
    y = y.astype(d.dtype, copy=False)
    ts = (input, weight, bias)
    if GRAD[0] and any(t is not None and t._rg for t in ts):
        ctx = (xh, rstd, wb, center, d.shape, view, wshape, input._rg, weight is not None and weight._rg,
               bias is not None and bias._rg, weight is not None, bias is not None, red_w,
               _recompute(input, weight, bias, view, eps, center, wb is not None and wb.shape != weight._data.shape))
        es = edges(input, *(t for t in (weight, bias) if t is not None))
        return make(y, True, _NODES[name](es, ctx))
    return make(y, False, None)


def _run_rows(input, weight, bias, d, x, wb, bb, eps, center, red_w, wshape, name):
    """``_run`` for layer_norm / rms_norm in float32/64: BLAS row means and in-place updates."""
    if center:
        xh = np.subtract(x, _row_mean(x))
        tmp = np.multiply(xh, xh)
    else:
        xh = x.copy()
        tmp = np.multiply(x, x)
    var = _row_mean(tmp)
    var += eps
    rstd = np.sqrt(var, out=var)
    np.divide(1.0, rstd, out=rstd)
    xh *= rstd
    if wb is not None:
        y = np.multiply(xh, wb.reshape(-1), out=tmp)
        if bb is not None:
            y += bb.reshape(-1)
    elif bb is not None:
        y = np.add(xh, bb.reshape(-1), out=tmp)
    else:   # xh is saved for backward: the output must not alias it
        np.copyto(tmp, xh)
        y = tmp
    y = y.reshape(d.shape)
    ts = (input, weight, bias)
    if GRAD[0] and any(t is not None and t._rg for t in ts):
        ctx = (xh, rstd, wb, center, d.shape, x.shape, wshape, input._rg, weight is not None and weight._rg,
               bias is not None and bias._rg, weight is not None, bias is not None, red_w,
               _recompute(input, weight, bias, x.shape, eps, center, False))
        es = edges(input, *(t for t in (weight, bias) if t is not None))
        return make(y, True, _NODES[name](es, ctx))
    return make(y, False, None)


def _recompute(input, weight, bias, view, eps, center, channel):
    """A closure giving the gradients from composite tensor ops (used under create_graph, so that
    double backward is exact)."""
    def run(g):
        from ... import autograd
        x = input.reshape(view)
        xc = x - x.mean(-1, keepdim=True) if center else x
        y = (xc * ((xc * xc if center else x * x).mean(-1, keepdim=True) + eps).rsqrt()).reshape(input.shape)
        bshape = (1, -1) + (1,) * (input.dim() - 2)
        if weight is not None:
            y = y * (weight.reshape(bshape) if channel else weight)
        if bias is not None:
            y = y + (bias.reshape(bshape) if channel else bias)
        ts = [t for t in (input, weight, bias) if t is not None]
        want = [t for t in ts if t._rg]
        gs = iter(autograd.grad(y, want, g, create_graph=True, allow_unused=True))
        return tuple(next(gs) if t._rg else None for t in ts)
    return run


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """F.layer_norm: normalise over the trailing ``normalized_shape`` dims, then ``* weight + bias``."""
    _need(input, "layer_norm", "input", 1)
    ns = _shape_list(normalized_shape)
    if not ns:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           f"element, but got normalized_shape = {ns}")
    if weight is not None and list(weight.shape) != ns:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight.shape)} and normalized_shape = {ns}")
    if bias is not None and list(bias.shape) != ns:
        raise RuntimeError(f"Expected bias to be of same shape as normalized_shape, but got bias of shape "
                           f"{list(bias.shape)} and normalized_shape = {ns}")
    d = input._data
    k = len(ns)
    if d.ndim < k or list(d.shape[d.ndim - k:]) != ns:
        raise RuntimeError(f"Given normalized_shape={ns}, expected input with shape [*, {', '.join(map(str, ns))}], "
                           f"but got input of size{list(d.shape)}")
    _check_dtypes("LayerNormKernelImpl", d, (weight, bias))
    K = int(np.prod(ns))
    M = d.size // K if K else 0
    wb = weight._data if weight is not None else None
    bb = bias._data if bias is not None else None
    return _run(input, weight, bias, d, (M, K), wb, bb, eps, True, (M, K, 1), tuple(ns), "NativeLayerNormBackward0")


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """F.group_norm: input (N, C, *) normalised over each group of C // num_groups channels."""
    _need(input, "group_norm", "input", 1)
    d = input._data
    if d.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {d.ndim}")
    N, C = d.shape[0], d.shape[1]
    if num_groups <= 0 or C % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(d.shape)} and num_groups={num_groups}")
    for t, nm in ((weight, "weight"), (bias, "bias")):
        if t is not None and (t.ndim != 1 or t.shape[0] != C):
            raise RuntimeError(f"Expected {nm} to be a vector of size equal to the number of channels in input, but "
                               f"got {nm} of shape {list(t.shape)} and input of shape {list(d.shape)}")
    _check_dtypes("GroupNormKernelImpl", d, (weight, bias))
    S = int(np.prod(d.shape[2:]))
    bshape = (1, C) + (1,) * (d.ndim - 2)
    wb = weight._data.reshape(bshape) if weight is not None else None
    bb = bias._data.reshape(bshape) if bias is not None else None
    return _run(input, weight, bias, d, (N * num_groups, (C // num_groups) * S), wb, bb, eps, True, (N, C, S), (C,),
                "NativeGroupNormBackward0")


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """F.rms_norm: ``x / sqrt(mean(x**2) + eps) * weight`` over the trailing dims
    (``eps=None`` means ``finfo(input.dtype).eps``)."""
    _need(input, "rms_norm", "input", 1)
    ns = _shape_list(normalized_shape)
    d = input._data
    k = len(ns)
    if d.ndim < k or list(d.shape[d.ndim - k:]) != ns:
        raise RuntimeError(f"Given normalized_shape={ns}, expected input with shape [*{', '.join(map(str, ns))}], "
                           f"but got input of size{list(d.shape)}")
    if weight is not None and list(weight.shape) != ns:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got weight of shape "
                           f"{list(weight.shape)} and normalized_shape = {ns}")
    _check_dtypes("rms_norm", d, (weight,))
    if eps is None:
        eps = float(np.finfo(d.dtype).eps)
    K = int(np.prod(ns)) if ns else 1
    M = d.size // K if K else 0
    wb = weight._data if weight is not None else None
    return _run(input, weight, None, d, (M, K), wb, None, eps, False, (M, K, 1), tuple(ns), "MulBackward0")


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """F.local_response_norm: ``x / (k + alpha * mean_window(x**2))**beta`` across channels
    (window ``[c - size//2, c + (size-1)//2]``, zero padded), composed from tensor ops."""
    _need(input, "local_response_norm", "input", 1)
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {dim} "
                         "dimensions)")
    if input.numel() == 0:
        return input
    from .padding import pad
    sq = input * input
    C = input.shape[1]
    # pad the channel dim (dim 1): F.pad pads from the last dim backwards
    padspec = [0, 0] * (dim - 2) + [size // 2, (size - 1) // 2]
    p = pad(sq, padspec)
    acc = p.narrow(1, 0, C)
    for i in range(1, size):   # loop over the (small) window, not over elements
        acc = acc + p.narrow(1, i, C)
    div = (acc * (alpha / size) + k) ** beta
    return input / div
