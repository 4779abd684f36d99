"""torch.nn.functional batch_norm and instance_norm.

``batch_norm`` is one node (``NativeBatchNormBackward0``) vectorised per channel over the
(N, *spatial) axes, with a hand-written backward for input, weight and bias.  In training
mode the batch statistics normalise the input and the running statistics (when given) are
updated in place: ``running = (1 - momentum) * running + momentum * stat`` with the unbiased
variance for ``running_var``.  In eval mode the running statistics normalise the input.
Under ``create_graph`` the backward is recomputed from the saved input and weight with numtorch
ops, so double backward (gradient penalties, gradgradcheck) records a graph.  ``instance_norm`` reshapes the input to
``(1, N*C, *spatial)`` and reuses ``batch_norm``, as torch does.
"""
from __future__ import annotations

import numpy as np

from ..._ops._helpers import affine_grads, edges, make, ones_vec
from ..._tensor import Tensor
from ...autograd.grad_mode import GRAD, no_grad
from ...autograd.graph import NONE_REC, node_class, save

__all__ = ["batch_norm", "instance_norm"]


def _bn_bw_tensors(ctx, saved, g):
    """The backward formula on Tensors (create_graph): differentiable in the input, weight and g."""
    xh, rstd, wb, axes, bshape, training, need_x, need_w, need_b, has_w, has_b, rm, eps = ctx
    x, w = saved
    if training:
        mean = x.mean(dim=axes, keepdim=True)
        xc = x - mean
        r = ((xc * xc).mean(dim=axes, keepdim=True) + eps).rsqrt()
    else:
        xc = x - Tensor._make(rm.reshape(bshape), False, None)
        r = Tensor._make(rstd.reshape(bshape), False, None)
    xhat = xc * r
    gx = gw = gb = None
    if need_w:
        gw = (g * xhat).sum(dim=axes)
    if need_b:
        gb = g.sum(dim=axes)
    if need_x:
        scale = r if w is None else r * w.reshape(bshape)
        if training:
            gx = scale * (g - g.mean(dim=axes, keepdim=True) - xhat * (g * xhat).mean(dim=axes, keepdim=True))
        else:
            gx = g * scale
    return affine_grads(gx, gw, gb, has_w, has_b)


def _csum(a, axes):
    """Per-channel sum over ``axes`` (all but dim 1).  For contiguous float32/64 arrays it is a
    BLAS matrix-vector product over the spatial run of each (sample, channel) plus a small sum
    over the batch, several times faster than NumPy's strided reduction."""
    if a.dtype.itemsize < 4 or a.dtype.kind != "f" or not a.flags.c_contiguous or a.ndim < 2:
        return a.sum(axis=axes)
    N, C = a.shape[0], a.shape[1]
    S = a.size // (N * C) if N * C else 0
    return np.matmul(a.reshape(N, C, S), ones_vec(S, a.dtype)).sum(axis=0)


def _bn_bw(ctx, saved, g):
    if type(g) is not np.ndarray:
        return _bn_bw_tensors(ctx, saved, g)
    xh, rstd, wb, axes, bshape, training, need_x, need_w, need_b, has_w, has_b = ctx[:11]
    gx = gw = gb = sgx = None
    g = np.ascontiguousarray(g)
    if need_w or (need_x and training):
        tmp = np.multiply(g, xh)
        sgx = _csum(tmp, axes)
        if need_w:
            gw = sgx.astype(g.dtype, copy=False)
    if need_b or (need_x and training):
        sg = _csum(g, axes)
        if need_b:
            gb = sg.astype(g.dtype, copy=False)
    if need_x:
        scale = rstd if wb is None else rstd * wb
        scale = scale.reshape(bshape).astype(g.dtype, copy=False)
        if training:
            n = g.size // g.shape[1] if g.shape[1] else 1
            mg = (sg / n).reshape(bshape).astype(g.dtype, copy=False)
            mgx = (sgx / n).reshape(bshape).astype(g.dtype, copy=False)
            gx = np.multiply(xh, mgx, out=tmp)        # gx = scale * (g - mean(g) - xh * mean(g * xh))
            np.subtract(g, gx, out=gx)
            gx -= mg
            gx *= scale
        else:
            gx = g * scale
        gx = gx.astype(g.dtype, copy=False)
    return affine_grads(gx, gw, gb, has_w, has_b)


_BNNode = node_class("NativeBatchNormBackward0", _bn_bw)


def _check(t, name, pos):
    if t is not None and not isinstance(t, Tensor):
        raise TypeError(f"batch_norm(): argument '{name}' (position {pos}) must be Tensor, not {type(t).__name__}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """F.batch_norm: normalise each channel (dim 1) over the batch and spatial dims."""
    if not isinstance(input, Tensor):
        raise TypeError(f"batch_norm(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    for t, nm, p in ((running_mean, "running_mean", 2), (running_var, "running_var", 3), (weight, "weight", 4),
                     (bias, "bias", 5)):
        _check(t, nm, p)
    d = input._data
    shape = d.shape
    if training:
        size_prods = shape[0] if shape else 1
        for s in shape[2:]:
            size_prods *= s
        if size_prods == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"torch.Size([{', '.join(map(str, shape))}])")
    if d.ndim < 2:
        raise RuntimeError(f"running_mean should contain {shape[0] if shape else 1} elements not "
                           f"{running_mean.numel() if running_mean is not None else 0}")
    C = shape[1]
    for t, nm in ((running_mean, "running_mean"), (running_var, "running_var"), (weight, "weight"), (bias, "bias")):
        if t is not None and t.numel() != C:
            raise RuntimeError(f"{nm} should contain {C} elements not {t.numel()}")
    if d.dtype.kind != "f":
        leg = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
               "bool": "Bool"}.get(d.dtype.name, d.dtype.name)
        raise NotImplementedError(f'"batch_norm" not implemented for \'{leg}\'')
    axes = (0,) + tuple(range(2, d.ndim))
    bshape = (1, C) + (1,) * (d.ndim - 2)
    use_batch = training or running_mean is None or running_var is None
    if use_batch:
        if not training:
            raise RuntimeError(f"{'running_mean' if running_mean is None else 'running_var'} must be defined "
                               "in evaluation mode")
        n = d.size // C if C else 0
        d = np.ascontiguousarray(d)
        mean = _csum(d, axes).astype(np.float64) / max(n, 1)
        xh = d - mean.reshape(bshape).astype(d.dtype)
        var = _csum(np.multiply(xh, xh), axes).astype(np.float64) / max(n, 1)
        rstd = (1.0 / np.sqrt(var + eps)).astype(d.dtype)
        xh *= rstd.reshape(bshape)
        if running_mean is not None or running_var is not None:
            m = momentum
            with no_grad():
                if running_mean is not None:
                    rm = running_mean._data
                    rm[...] = ((1 - m) * rm + m * mean).astype(rm.dtype)
                    running_mean._vc[0] += 1
                if running_var is not None:
                    rv = running_var._data
                    unb = var * n / (n - 1) if n > 1 else var * np.inf
                    rv[...] = ((1 - m) * rv + m * unb).astype(rv.dtype)
                    running_var._vc[0] += 1
    else:
        rm = running_mean._data.astype(d.dtype, copy=False)
        rv = running_var._data.astype(d.dtype, copy=False)
        rstd = (1.0 / np.sqrt(rv + eps)).astype(d.dtype)
        xh = (d - rm.reshape(bshape)) * rstd.reshape(bshape)
        mean = rm
    wb = weight._data.reshape(bshape) if weight is not None else None
    y = xh.copy() if wb is None else xh * wb   # xh is saved: the output must not alias it
    if bias is not None:
        y += bias._data.reshape(bshape)
    y = np.ascontiguousarray(y.astype(d.dtype, copy=False))
    ts = (input, weight, bias)
    if GRAD[0] and any(t is not None and t._rg for t in ts):
        ctx = (xh, rstd, weight._data if weight is not None else None, axes, bshape, use_batch, input._rg,
               weight is not None and weight._rg, bias is not None and bias._rg, weight is not None,
               bias is not None, None if use_batch else mean, eps)
        es = edges(input, *(t for t in (weight, bias) if t is not None))
        node = _BNNode(es, ctx)
        # the input and weight are needed only by the create_graph formula
        node._saved = (save(input), save(weight) if weight is not None else NONE_REC)
        return make(y, True, node)
    return make(y, False, None)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """F.instance_norm: normalise each (sample, channel) over its spatial dims."""
    if not isinstance(input, Tensor):
        raise TypeError(f"instance_norm(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    shape = tuple(input.shape)
    if use_input_stats:
        sp = 1
        for s in shape[2:]:
            sp *= s
        if sp == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                             f"torch.Size([{', '.join(map(str, shape))}])")
    N, C = shape[0], shape[1]
    x = input.reshape(1, N * C, *shape[2:])
    w = weight.repeat(N) if weight is not None else None
    b = bias.repeat(N) if bias is not None else None
    if use_input_stats:
        out = batch_norm(x, None, None, w, b, True, momentum, eps)
        if running_mean is not None or running_var is not None:
            d = input._data
            axes = tuple(range(2, d.ndim))
            n = int(np.prod(shape[2:]))
            mean = d.mean(axis=axes, dtype=np.float64)
            var = d.var(axis=axes, dtype=np.float64) * n / (n - 1)
            with no_grad():
                if running_mean is not None:
                    rm = running_mean._data
                    rm[...] = ((1 - momentum) * rm + momentum * mean.mean(axis=0)).astype(rm.dtype)
                    running_mean._vc[0] += 1
                if running_var is not None:
                    rv = running_var._data
                    rv[...] = ((1 - momentum) * rv + momentum * var.mean(axis=0)).astype(rv.dtype)
                    running_var._vc[0] += 1
    else:
        rm = running_mean.repeat(N) if running_mean is not None else None
        rv = running_var.repeat(N) if running_var is not None else None
        out = batch_norm(x, rm, rv, w, b, False, momentum, eps)
    return out.reshape(shape)
