"""Composite losses of ``torch.nn.functional`` (written with differentiable numtorch ops):
kl_div, poisson/gaussian NLL, margin, embedding, multi-label and triplet losses."""
from __future__ import annotations

import math
import warnings

import numpy as np

import numtorch as _T

from ..._tensor import Tensor
from ..._ops._helpers import broadcast_error, make
from ._loss_utils import (_RED, _apply_reduction, _arange, _legacy_reduction, _no_grad_arg, _rcode, _reduction,
                          _size, _tname)

__all__ = [
    "kl_div", "poisson_nll_loss", "gaussian_nll_loss", "margin_ranking_loss", "hinge_embedding_loss",
    "cosine_embedding_loss", "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss",
    "triplet_margin_loss", "triplet_margin_with_distance_loss",
]


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """``target * (log(target) - input)`` (``exp(target) * (target - input)`` with ``log_target``);
    ``'batchmean'`` divides the sum by the batch size; ``'mean'`` warns as torch does."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if reduction == "batchmean":
        red = 3
    else:
        red = _rcode(reduction)
    if not (input.is_floating_point() and target.is_floating_point()):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        L = target.exp() * (target - input)
    else:
        L = _T.xlogy(target, target) - target * input
    if red == 3:
        s = L.sum()
        return s / input.shape[0] if input.ndim != 0 else s
    return _apply_reduction(L, red)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """Poisson NLL: ``exp(input) - target * input`` (``log_input``) or
    ``input - target * log(input + eps)``; ``full`` adds the Stirling term where target > 1."""
    red = _reduction(size_average, reduce, reduction)
    if log_input:
        L = input.exp() - target * input
    else:
        L = input - target * (input + eps).log()
    if full:
        tf = target if target.is_floating_point() else target.to(L.dtype)
        st = tf * tf.log() - tf + 0.5 * (2 * math.pi * tf).log()
        L = L + st.masked_fill(tf <= 1, 0)
    return _apply_reduction(L, red)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """``0.5 * (log(max(var, eps)) + (input - target)**2 / max(var, eps))`` (+ ``0.5*log(2*pi)``
    with ``full``); ``var`` of the input's shape, one fewer dimension, or a last dimension of 1
    (homoscedastic), or a float."""
    if not isinstance(var, Tensor):
        v = float(var)
        if v < 0:
            raise ValueError("var has negative entry/entries")
        var = _T.full_like(input, v)
    elif var.shape != input.shape:
        ishape, vshape = tuple(input.shape), tuple(var.shape)
        diff = [i for i, (a, b) in enumerate(zip(ishape, vshape)) if a != b] if len(ishape) == len(vshape) else None
        if ishape[:-1] == vshape:                        # one variance per sample: broadcast over the last dim
            var = var.unsqueeze(-1)
        elif not (diff is not None and len(diff) == 1 and vshape[diff[0]] == 1):  # homoscedastic along one dim
            raise ValueError("var is of incorrect size")
    if reduction not in _RED:
        raise ValueError(f"{reduction} is not valid")
    if var.numel() and bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    var = var.clone()
    with _T.no_grad():
        var.clamp_(min=eps)
    L = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        L = L + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(L, _RED[reduction])


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """``max(0, -target * (input1 - input2) + margin)``."""
    red = _reduction(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {_size(input1.shape)}, input2: {_size(input2.shape)}, "
                           f"target: {_size(target.shape)} ")
    L = (-target * (input1 - input2) + margin).clamp_min(0)
    return _apply_reduction(L, red)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """``input`` where target is 1, ``max(0, margin - input)`` where it is -1."""
    red = _reduction(size_average, reduce, reduction)
    try:
        np.broadcast_shapes(tuple(target.shape), tuple(input.shape))
    except ValueError:
        raise broadcast_error(tuple(target.shape), tuple(input.shape)) from None
    zeros = _T.zeros_like(input)
    margin_clamp = (margin - input).clamp_min(0)
    out_margin = _T.where(target != 1, margin_clamp, zeros)
    out_self = _T.where(target != -1, input, zeros)
    return _apply_reduction(out_margin + out_self, red)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    """``1 - cos(x1, x2)`` where target is 1, ``max(0, cos(x1, x2) - margin)`` where it is -1."""
    red = _reduction(size_average, reduce, reduction)
    td = target.ndim
    if td > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if td == 1:
        if input1.ndim != 2 or input2.ndim != 2:
            raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes "
                               f"{list(input1.shape)} and {list(input2.shape)}.")
    elif input1.ndim != 1 or input2.ndim != 1:
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    eps = 1e-12
    prod = (input1 * input2).sum(-1)
    m1 = (input1 * input1).sum(-1) + eps
    m2 = (input2 * input2).sum(-1) + eps
    cos = prod / (m1 * m2).sqrt()
    try:
        np.broadcast_shapes(tuple(target.shape), tuple(cos.shape))
    except ValueError:
        raise broadcast_error(tuple(target.shape), tuple(cos.shape)) from None
    zeros = _T.zeros_like(cos)
    pos = 1 - cos
    neg = (cos - margin).clamp_min(0)
    L = _T.where(target == 1, pos, zeros) + _T.where(target == -1, neg, zeros)
    return _apply_reduction(L, red)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """``sum_{i != y} w_y * max(0, margin - x_y + x_i)**p / C`` per sample (p is 1 or 2)."""
    red = _reduction(size_average, reduce, reduction)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    x = input
    nd = x.ndim
    if nd > 2 or (nd == 2 and x.shape[1] == 0) or (nd == 1 and x.shape[0] == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(x.shape)}")
    x2 = x.reshape(1, -1) if nd <= 1 else x
    N, C = x2.shape
    td = target._data
    if td.ndim > 1 or td.size != N:
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{N}], but got {list(td.shape)}. "
                           f"Input has shape {list(x.shape)}.")
    if weight is not None:
        if weight.numel() != C:
            raise RuntimeError(f"inconsistent weight size, expected {C} but got {list(weight.shape)}")
        if weight.dtype != x.dtype:
            raise RuntimeError(f"expected scalar type {_tname(x._data.dtype)} but found {_tname(weight._data.dtype)}")
    if td.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {_tname(td.dtype)}")
    _no_grad_arg(weight, "multi_margin_loss", "weight")
    td = td.reshape(-1)
    if td.size and (td.min() < 0 or td.max() >= C):
        raise RuntimeError("target out of range")
    ti = make(td, False, None)
    xy = x2.gather(1, ti.reshape(N, 1))
    z = (margin - xy + x2).clamp_min(0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[ti].reshape(N, 1)
    mask = np.ones((N, C), dtype=x._data.dtype)
    mask[_arange(N), td] = 0
    L = ((z * make(mask, False, None)).sum(1) / C).reshape(target.shape)
    return _apply_reduction(L, red)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``sum_{j in y} sum_{i not in y} max(0, 1 - (x_{y_j} - x_i)) / C``; ``target`` lists class
    indices padded with -1 (the first -1 ends the list)."""
    red = _reduction(size_average, reduce, reduction)
    x = input
    nd = x.ndim
    if nd > 2 or (nd == 2 and x.shape[1] == 0) or (nd == 1 and x.shape[0] == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(x.shape)}")
    if target.shape != x.shape:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {list(x.shape)}")
    if target._data.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {_tname(target._data.dtype)}")
    x2 = x.reshape(1, -1) if nd <= 1 else x
    N, C = x2.shape
    td = target._data.reshape(N, C)
    valid = np.cumsum(td == -1, axis=1) == 0
    if ((td < -1) | (td >= C))[valid].any():
        raise RuntimeError("argument #2 'target' is out of range")
    ts = np.where(valid, td, 0)
    is_t = np.zeros((N, C), dtype=bool)
    rows = np.broadcast_to(_arange(N)[:, None], (N, C))
    is_t[rows[valid], ts[valid]] = True
    xy = x2.gather(1, make(ts, False, None))                       # (N, C): x at target j
    z = (1 - xy.unsqueeze(2) + x2.unsqueeze(1)).clamp_min(0)      # (N, j, i)
    m = (valid[:, :, None] & ~is_t[:, None, :]).astype(x._data.dtype)
    L = (z * make(m, False, None)).sum((1, 2)) / C
    if nd <= 1:
        L = L.reshape(())
    return _apply_reduction(L, red)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``-mean_c (t * logsigmoid(x) + (1 - t) * logsigmoid(-x))`` (optionally weighted) per sample."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"log_sigmoid_cpu\" not implemented for '{_tname(input._data.dtype)}'")
    if input.ndim == 0:
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    sp_neg = _T.logaddexp(_T.zeros_like(input), -input)     # -logsigmoid(x)
    sp_pos = _T.logaddexp(_T.zeros_like(input), input)      # -logsigmoid(-x)
    L = target * sp_neg + (1 - target) * sp_pos
    if weight is not None:
        L = L * weight
    L = L.sum(dim=input.ndim - 1) / input.shape[-1]
    if reduction == "none":
        return L
    if reduction == "mean":
        return L.mean()
    if reduction == "sum":
        return L.sum()
    raise ValueError(f"{reduction} is not valid")


def _pairwise_distance(x1, x2, p=2.0, eps=1e-6):
    return _T.norm(x1 - x2 + eps, p, dim=-1)


def _check_triplet_dims(a, p, n):
    if not (a.ndim == p.ndim == n.ndim):
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a.ndim}D, positive {p.ndim}D, and negative {n.ndim}D "
                           "inputs")


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """``max(0, margin + d(a, p) - d(a, n))`` with ``d`` the p-norm distance (``swap``: use
    ``min(d(a, n), d(p, n))``)."""
    red = _reduction(size_average, reduce, reduction)
    _check_triplet_dims(anchor, positive, negative)
    d_pos = _pairwise_distance(anchor, positive, p, eps)
    d_neg = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = _T.minimum(d_neg, _pairwise_distance(positive, negative, p, eps))
    L = (margin + d_pos - d_neg).clamp_min(0)
    return _apply_reduction(L, red)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """``max(0, margin + d(a, p) - d(a, n))`` with a custom ``distance_function``
    (default: pairwise Euclidean distance)."""
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if reduction not in _RED:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    _check_triplet_dims(anchor, positive, negative)
    dist = distance_function if distance_function is not None else _pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = _T.minimum(d_neg, dist(positive, negative))
    L = (margin + d_pos - d_neg).clamp_min(0)
    return _apply_reduction(L, _RED[reduction])
