"""Loss functions of ``torch.nn.functional``.

The losses used in training loops (``cross_entropy``, ``nll_loss``, ``mse_loss``, ``l1_loss``,
``smooth_l1_loss``, ``huber_loss``, ``binary_cross_entropy[_with_logits]``,
``soft_margin_loss``) are fused: one NumPy forward and one graph node whose backward formula
works on arrays.  ``cross_entropy`` with class indices computes ``log_softmax`` and the NLL in
a few passes over the logits and its backward is ``(softmax - onehot) * scale``.  Under
``create_graph=True`` a fused node's backward re-derives its gradient from the same loss
written with differentiable numtorch ops, so higher-order gradients stay exact.

Layout: this module holds the pointwise losses and re-exports the rest -- ``_nll.py``
(``nll_loss``, ``cross_entropy``, ``linear_cross_entropy``), ``_margin.py`` (the losses written
as compositions of numtorch ops: KL, Poisson/Gaussian NLL, margin, embedding, multi-label and
triplet losses), ``ctc.py`` (``ctc_loss``); ``_loss_utils.py`` has the shared helpers.

Legacy ``size_average``/``reduce`` arguments map to ``reduction`` with torch's warning.
"""
from __future__ import annotations

import numpy as np

import numtorch as _T

from ... import _dtype as D
from ...autograd.grad_mode import GRAD
from ...autograd.graph import edge, node_class
from ..._ops import _par as P
from ..._ops._helpers import broadcast_error, make, unbroadcast
from ._loss_utils import (_apply_reduction, _check_tensor, _ndarray, _no_grad_arg, _rcode, _rec, _reduce_arr, _reduction,
                          _regrad, _size, _size_warning, _tname)
from ._margin import *  # noqa: F401,F403
from ._margin import __all__ as _margin_all
from ._nll import cross_entropy, linear_cross_entropy, nll_loss  # noqa: F401
from .ctc import ctc_loss  # noqa: F401

__all__ = [
    "l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "soft_margin_loss", "nll_loss", "cross_entropy", "linear_cross_entropy",
    "ctc_loss",
] + _margin_all


# ------------------------------------------------------------------ fused pointwise losses
# Each spec: fwd(a, b, p) -> unreduced loss array; grad(a, b, p, gL, na, nb) -> (ga, gb) arrays of
# the loss's shape (or None); comp(at, bt, p) -> the unreduced loss as numtorch ops.

def _pw_bw(ctx, saved, g):
    spec, p, red, n, sa, sb, na, nb, da, db = ctx
    a, b = saved
    if type(g) is _ndarray:
        if red == 1 and n:
            g = g * (1.0 / n)
        ga, gb = spec[1](a, b, p, g, na, nb)
        if na:
            ga = unbroadcast(ga, sa)
            if ga.dtype != da:
                ga = ga.astype(da)
        if nb:
            gb = unbroadcast(gb, sb)
            if gb.dtype != db:
                gb = gb.astype(db)
        return ga, gb
    return _regrad(lambda x, y: _apply_reduction(spec[2](x, y, p), red), (a, b), (na, nb), g)


_PW_NODES = {}


def _pointwise(spec, input, target, p, red, a, b, out_dtype=None):
    """Run a fused pointwise loss on promoted arrays ``a``/``b`` of ``input``/``target``."""
    try:
        with np.errstate(all="ignore"):
            L = spec[0](a, b, p)
    except ValueError:
        raise broadcast_error(a.shape, b.shape) from None
    if type(L) is not _ndarray:
        L = np.asarray(L)
    if out_dtype is not None and L.dtype != out_dtype:
        L = L.astype(out_dtype)
    r = _reduce_arr(L, red)
    na = GRAD[0] and input._rg
    nb = GRAD[0] and target._rg and spec[3]
    if not (na or nb):
        return make(r, False, None)
    cls = _PW_NODES.get(spec[4])
    if cls is None:
        cls = _PW_NODES[spec[4]] = node_class(spec[4], _pw_bw)
    ls = L.shape
    ctx = (spec, p, red, L.size, a.shape if a.shape != ls else None, b.shape if b.shape != ls else None,
           na, nb, input._data.dtype, target._data.dtype)
    node = cls((edge(input), edge(target)), ctx, (_rec(input, a), _rec(target, b)))
    return make(r, True, node)


def _promote(input, target):
    a, b = input._data, target._data
    if a.dtype != b.dtype:
        dt = D.result_type(input, target).np
        a, b = a.astype(dt, copy=False), b.astype(dt, copy=False)
    if a.dtype.kind != "f":
        dt = D.get_default_dtype().np
        a, b = a.astype(dt), b.astype(dt)
    return a, b


# mse
def _mse_f(a, b, p):
    d = P.sub(a, b)
    return P.mul(d, d, d) if d.shape else d * d


def _mse_g(a, b, p, g, na, nb):
    d = P.sub(a, b)
    d = d * (2 * g) if not d.shape or g.shape else P.mul(d, 2 * g.item(), d)
    return d, (-d if nb else None)


_MSE = (_mse_f, _mse_g, lambda x, y, p: (x - y) ** 2, True, "MseLossBackward0")


# l1
def _l1_f(a, b, p):
    d = P.sub(a, b)
    return np.abs(d, out=d) if d.shape else np.abs(d)


def _l1_g(a, b, p, g, na, nb):
    s = np.sign(a - b)
    s *= g
    return s, (-s if nb else None)


_L1 = (_l1_f, _l1_g, lambda x, y, p: (x - y).abs(), True, "L1LossBackward0")


# smooth L1 (p = beta) and huber (p = delta)
def _sl1_f(a, b, beta):
    d = np.abs(a - b)
    if beta == 0:
        return d
    return np.where(d < beta, (0.5 / beta) * d * d, d - 0.5 * beta).astype(d.dtype, copy=False)


def _sl1_g(a, b, beta, g, na, nb):
    d = a - b
    if beta == 0:
        s = np.sign(d)
    else:
        s = np.where(np.abs(d) < beta, d * (1.0 / beta), np.sign(d)).astype(d.dtype, copy=False)
    s *= g
    return s, (-s if nb else None)


def _sl1_c(x, y, beta):
    d = x - y
    ad = d.abs()
    if beta == 0:
        return ad
    return _T.where(ad < beta, d * d * (0.5 / beta), ad - 0.5 * beta)


def _hub_f(a, b, delta):
    d = np.abs(a - b)
    return np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)).astype(d.dtype, copy=False)


def _hub_g(a, b, delta, g, na, nb):
    d = a - b
    s = np.clip(d, -delta, delta).astype(d.dtype, copy=False)
    s *= g
    return s, (-s if nb else None)


def _hub_c(x, y, delta):
    d = x - y
    ad = d.abs()
    return _T.where(ad < delta, d * d * 0.5, (ad - 0.5 * delta) * delta)


_SL1 = (_sl1_f, _sl1_g, _sl1_c, True, "SmoothL1LossBackward0")
_HUBER = (_hub_f, _hub_g, _hub_c, True, "HuberLossBackward0")


def _regression(name, spec, input, target, red, p, weight, weighted_mean, same_dtype=False):
    """Shared driver of l1/mse/smooth_l1/huber: torch's size warning, promotion, weights."""
    _check_tensor(input, name, "input", 1)
    _check_tensor(target, name, "target", 2)
    if target.shape != input.shape:
        _size_warning(input, target, 4)
        try:
            np.broadcast_shapes(input._data.shape, target._data.shape)
        except ValueError:
            raise broadcast_error(input._data.shape, target._data.shape) from None
    if weight is not None:
        if weight.shape != input.shape:
            raise ValueError("Weights and input must have the same size.")
        x, y = input, target
        if same_dtype and target.dtype != input.dtype:
            y = target.to(input.dtype)
        L = spec[2](x, y, p) * weight
        if red == 0:
            return L
        if red == 2:
            return L.sum()
        return L.sum() / weight.sum() if weighted_mean else L.mean()
    if same_dtype:  # huber computes in the input's dtype
        a, b = input._data, target._data
        if a.dtype.kind != "f" and b.dtype.kind == "f":
            raise RuntimeError(f"result type {_tname(b.dtype)} can't be cast to the desired output type "
                               f"{_tname(a.dtype)}")
        if b.dtype != a.dtype:
            b = b.astype(a.dtype)
        if a.dtype.kind != "f":
            raise NotImplementedError(f"\"huber_cpu\" not implemented for '{_tname(a.dtype)}'")
    else:
        a, b = input._data, target._data
        if a.dtype.kind != "f" and b.dtype.kind != "f":
            if spec is _L1:
                if red == 0:
                    return make(np.abs(a - b), False, None)
                if red == 2:
                    return make(np.asarray(np.abs(a - b).sum()), False, None)
                raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating "
                                   f"point or complex dtype. Got: {_tname(np.result_type(a, b))}")
            kn = {"MseLossBackward0": "mse_cpu", "SmoothL1LossBackward0": "smooth_l1_cpu"}[spec[4]]
            raise NotImplementedError(f"\"{kn}\" not implemented for '{_tname(np.result_type(a, b))}'")
        a, b = _promote(input, target)
    return _pointwise(spec, input, target, p, red, a, b)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error ``|input - target|`` (optionally weighted: the mean divides by the
    sum of the weights); differentiable in input, target and weight."""
    red = _reduction(size_average, reduce, reduction)
    return _regression("l1_loss", _L1, input, target, red, None, weight, True)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error ``(input - target)**2`` (optionally weighted as ``l1_loss``)."""
    red = _reduction(size_average, reduce, reduction)
    return _regression("mse_loss", _MSE, input, target, red, None, weight, True)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """``0.5 * d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 * beta`` (``beta=0``: L1)."""
    red = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _regression("smooth_l1_loss", _SL1, input, target, red, float(beta), None, False)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """``0.5 * d**2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 * delta)``; computed in the
    input's dtype (weighted mean: mean of the weighted losses)."""
    red = _rcode(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return _regression("huber_loss", _HUBER, input, target, red, float(delta), weight, False, True)


# binary cross entropy (p = weight array or None)
def _bce_f(x, t, w):
    with np.errstate(divide="ignore"):
        lx = np.maximum(np.log(x), -100)
        l1x = np.maximum(np.log1p(-x), -100)
    r = (t - 1) * l1x - t * lx
    if w is not None:
        r *= w
    return r


def _bce_g(x, t, w, g, na, nb):
    ga = gb = None
    if na:
        ga = (x - t) / np.maximum((1 - x) * x, 1e-12)
        ga *= g
        if w is not None:
            ga *= w
    if nb:
        with np.errstate(divide="ignore"):
            gb = np.maximum(np.log1p(-x), -100) - np.maximum(np.log(x), -100)
        gb *= g
        if w is not None:
            gb *= w
    return ga, gb


def _bce_c(x, t, w):
    r = (t - 1) * (1 - x).log().clamp_min(-100) - t * x.log().clamp_min(-100)
    return r if w is None else r * make(w, False, None)


_BCE = (_bce_f, _bce_g, _bce_c, True, "BinaryCrossEntropyBackward0")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """``-w * (t * log(x) + (1 - t) * log(1 - x))`` with each log clamped to >= -100 as in torch."""
    red = _reduction(size_average, reduce, reduction)
    _check_tensor(input, "binary_cross_entropy", "input", 1)
    _check_tensor(target, "binary_cross_entropy", "target", 2)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({_size(target.shape)}) that is different to the input size "
                         f"({_size(input.shape)}) is deprecated. Please ensure they have the same size.")
    a, b = input._data, target._data
    if b.dtype != a.dtype:
        raise RuntimeError(f"Found dtype {_tname(b.dtype)} but expected {_tname(a.dtype)}")
    if a.dtype.kind != "f":
        raise NotImplementedError(f"\"binary_cross_entropy\" not implemented for '{_tname(a.dtype)}'")
    w = None
    if weight is not None:
        _no_grad_arg(weight, "binary_cross_entropy", "weight")
        w = weight._data
        try:
            w = np.broadcast_to(w, a.shape)
        except ValueError:
            raise RuntimeError(f"The size of tensor a ({w.shape[-1] if w.ndim else 1}) must match the size of "
                               f"tensor b ({a.shape[-1] if a.ndim else 1}) at non-singleton dimension "
                               f"{max(a.ndim - 1, 0)}") from None
        w = w.astype(a.dtype, copy=False)
    if a.size:
        if not ((a >= 0) & (a <= 1)).all():
            raise RuntimeError("all elements of input should be between 0 and 1")
        if not ((b >= 0) & (b <= 1)).all():
            raise RuntimeError("all elements of target should be between 0 and 1")
    return _pointwise(_BCE, input, target, w, red, a, b)


# binary cross entropy with logits (p = (weight, pos_weight) arrays or None)
def _bcel_f(x, t, p):
    w, pw = p
    sp = np.logaddexp(0, -x)          # softplus(-x) = log1p(exp(-|x|)) + max(-x, 0)
    if pw is None:
        r = (1 - t) * x + sp
    else:
        r = (1 - t) * x + ((pw - 1) * t + 1) * sp
    if w is not None:
        r = r * w
    return r


def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1)


def _bcel_g(x, t, p, g, na, nb):
    w, pw = p
    ga = gb = None
    if na:
        if pw is None:
            ga = _sigmoid(x) - t
        else:
            ga = (1 - t) - ((pw - 1) * t + 1) * _sigmoid(-x)
        ga = ga * g
        if w is not None:
            ga = ga * w
    if nb:
        gb = -x if pw is None else (pw - 1) * np.logaddexp(0, -x) - x
        gb = gb * g
        if w is not None:
            gb = gb * w
    return ga, gb


def _bcel_c(x, t, p):
    w, pw = p
    sp = _T.logaddexp(_T.zeros_like(x), -x)
    if pw is None:
        r = (1 - t) * x + sp
    else:
        r = (1 - t) * x + (make(pw, False, None) - 1) * t * sp + sp
    return r if w is None else r * make(w, False, None)


_BCEL = (_bcel_f, _bcel_g, _bcel_c, True, "BinaryCrossEntropyWithLogitsBackward0")


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """``BCE(sigmoid(input), target)`` in the stable form ``(1 - t) * x + lw * softplus(-x)``
    with ``lw = 1 + (pos_weight - 1) * t``; the result has the target's dtype, as in torch."""
    red = _reduction(size_average, reduce, reduction)
    _check_tensor(input, "binary_cross_entropy_with_logits", "input", 1)
    _check_tensor(target, "binary_cross_entropy_with_logits", "target", 2)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({_size(target.shape)}) must be the same as input size ({_size(input.shape)})")
    _no_grad_arg(weight, "binary_cross_entropy_with_logits", "weight")
    _no_grad_arg(pos_weight, "binary_cross_entropy_with_logits", "pos_weight")
    a, b = input._data, target._data
    if a.dtype.kind != "f":
        raise NotImplementedError(f"\"log_sigmoid_cpu\" not implemented for '{_tname(a.dtype)}'")
    if b.dtype.kind != "f":
        raise RuntimeError(f"result type Float can't be cast to the desired output type {_tname(b.dtype)}")
    dt = np.result_type(a, b)
    ws = []
    for t in (weight, pos_weight):
        if t is None:
            ws.append(None)
            continue
        w = t._data
        try:
            np.broadcast_shapes(w.shape, a.shape)
        except ValueError:
            raise broadcast_error(a.shape, w.shape) if t is weight else broadcast_error(w.shape, a.shape) from None
        ws.append(w.astype(dt, copy=False))
    if a.dtype != dt:
        a = a.astype(dt)
    if b.dtype != dt:
        b = b.astype(dt)
    return _pointwise(_BCEL, input, target, tuple(ws), red, a, b, target._data.dtype)


def _sm_f(x, y, p):
    return np.logaddexp(0, -y * x)


def _sm_g(x, y, p, g, na, nb):
    return -y * _sigmoid(-y * x) * g, None


def _sm_c(x, y, p):
    return _T.logaddexp(_T.zeros_like(x), -y * x)


_SOFT_MARGIN = (_sm_f, _sm_g, _sm_c, False, "SoftMarginLossBackward0")


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """``log(1 + exp(-target * input))`` (stable); not differentiable in the target, as in torch."""
    red = _reduction(size_average, reduce, reduction)
    _check_tensor(input, "soft_margin_loss", "input", 1)
    _check_tensor(target, "soft_margin_loss", "target", 2)
    _no_grad_arg(target, "soft_margin_loss", "target")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"result type Float can't be cast to the desired output type {_tname(input._data.dtype)}")
    try:
        bs = np.broadcast_shapes(input._data.shape, target._data.shape)
    except ValueError:
        raise broadcast_error(input._data.shape, target._data.shape) from None
    if bs != input._data.shape:
        raise RuntimeError(f"output with shape {list(input.shape)} doesn't match the broadcast shape {list(bs)}")
    a, b = _promote(input, target)
    return _pointwise(_SOFT_MARGIN, input, target, None, red, a, b)


