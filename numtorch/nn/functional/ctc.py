"""``ctc_loss``: Connectionist Temporal Classification loss.

The forward alpha recursion runs in log space over the extended label sequence (blanks
interleaved with the targets), vectorised over the batch and the label positions: the time
loop is the only Python loop.  The backward runs the beta recursion the same way and gives
torch's gradient with respect to ``log_probs``: ``exp(log_probs) - exp(log(sum_{s: l'_s = c}
alpha_t(s) beta_t(s)) + nll - log_probs)`` (the form that assumes ``log_probs`` came from a
``log_softmax``, as torch's kernel does), zero past each sequence's input length.
"""
from __future__ import annotations

import numpy as np

from ..._tensor import Tensor
from ...autograd.grad_mode import GRAD
from ...autograd.graph import edge, node_class
from ..._ops._helpers import make
from ._loss_utils import _rcode

__all__ = ["ctc_loss"]

_NEG = -np.inf
_CHK = " (while checking arguments for ctc_loss_allocate_outputs)"


def _lengths(x, name):
    if isinstance(x, Tensor):
        d = x._data
        if d.dtype.kind not in "iu":
            raise RuntimeError(f"{name} must be integral")
        return d.reshape(-1).astype(np.int64)
    if isinstance(x, (int, np.integer)):
        return np.asarray([int(x)], dtype=np.int64)
    return np.asarray([int(v) for v in x], dtype=np.int64).reshape(-1)


def _lse3(a, b, c):
    return np.logaddexp(np.logaddexp(a, b), c)


def _alpha(lp_ext, skip):
    T, N, L = lp_ext.shape
    alpha = np.full((T, N, L), _NEG)
    if T == 0:
        return alpha
    alpha[0, :, :2] = lp_ext[0, :, :2]
    a2 = np.full((N, L), _NEG)
    a3 = np.full((N, L), _NEG)
    sk = skip[:, 2:]
    for t in range(1, T):
        prev = alpha[t - 1]
        a2[:, 1:] = prev[:, :-1]
        np.copyto(a3[:, 2:], np.where(sk, prev[:, :-2], _NEG))
        np.add(_lse3(prev, a2, a3), lp_ext[t], out=alpha[t])
    return alpha


def _beta(lp_ext, skip, Tn, end_mask):
    T, N, L = lp_ext.shape
    beta = np.full((T, N, L), _NEG)
    b2 = np.full((N, L), _NEG)
    b3 = np.full((N, L), _NEG)
    nxt = np.full((N, L), _NEG)
    sk = skip[:, 2:]
    last = (Tn - 1)[:, None]
    for t in range(T - 1, -1, -1):
        b2[:, :-1] = nxt[:, 1:]
        np.copyto(b3[:, :-2], np.where(sk, nxt[:, 2:], _NEG))
        new = _lse3(nxt, b2, b3) + lp_ext[t]
        init = np.where(end_mask, lp_ext[t], _NEG)
        cur = np.where(t == last, init, np.where(t < last, new, _NEG))
        beta[t] = cur
        nxt = cur
    return beta


def _ctc_grad(ctx):
    """Per-sample-unscaled gradient (T, N, C) of each nll with respect to log_probs."""
    lp, lp_ext, lab, skip, Tn, end_mask, nll, alpha = ctx[:8]
    T, N, C = lp.shape
    L = lab.shape[1]
    beta = _beta(lp_ext, skip, Tn, end_mask)
    ab = alpha + beta
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        mx = ab.max(axis=2, keepdims=True) if L else np.zeros((T, N, 1))
        mxs = np.where(np.isfinite(mx), mx, 0.0)
        e = np.exp(ab - mxs)
        idx = (np.arange(T)[:, None, None] * N + np.arange(N)[None, :, None]) * C + lab[None]
        acc = np.bincount(idx.ravel(), weights=e.ravel(), minlength=T * N * C).reshape(T, N, C)
        lcab = np.log(acc) + mxs
        grad = np.exp(lp) - np.exp(lcab + nll[None, :, None] - lp)
    grad[np.arange(T)[:, None] >= Tn[None, :]] = 0
    return grad


def _ctc_bw(ctx, saved, g):
    red, tl, zi, dtype, unbatched = ctx[8:]
    grad = _ctc_grad(ctx)
    nll = ctx[6]
    N = grad.shape[1]
    if zi:
        grad[:, np.isinf(nll)] = 0
    if type(g) is np.ndarray:
        gd = g.astype(np.float64)
        if red == 0:
            sc = gd.reshape(N)
        elif red == 1:
            sc = gd / (N * np.maximum(tl, 1))
        else:
            sc = np.broadcast_to(gd, (N,))
        out = (grad * sc[None, :, None]).astype(dtype)
        return (out[:, 0] if unbatched else out,)
    # create_graph: torch has no double backward for ctc_loss; the result is linear in g only
    G = make(grad.astype(dtype), False, None)
    if red == 0:
        sc = g.reshape(1, N, 1)
    elif red == 1:
        sc = g * make((1.0 / (N * np.maximum(tl, 1))).astype(dtype).reshape(1, N, 1), False, None)
    else:
        sc = g
    out = G * sc
    return (out[:, 0] if unbatched else out,)


CtcLossBackward0 = node_class("CtcLossBackward0", _ctc_bw)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """CTC loss of ``log_probs`` (T, N, C) or (T, C) against ``targets`` padded (N, S) or
    concatenated (sum(target_lengths),); ``'mean'`` divides each loss by its target length
    before averaging over the batch; ``zero_infinity`` zeroes infinite losses and their gradients."""
    red = _rcode(reduction)
    if not isinstance(log_probs, Tensor):
        raise TypeError(f"ctc_loss(): argument 'log_probs' (position 1) must be Tensor, not "
                        f"{type(log_probs).__name__}")
    x = log_probs._data
    if x.dtype != np.float32 and x.dtype != np.float64:
        leg = {"float16": "Half", "int64": "Long", "int32": "Int"}.get(x.dtype.name, x.dtype.name)
        raise NotImplementedError(f"\"ctc_loss_cpu\" not implemented for '{leg}'")
    unbatched = x.ndim == 2
    td = targets._data if isinstance(targets, Tensor) else np.asarray(targets)
    if unbatched:  # the targets keep their layout: 1-D ones are read as concatenated
        x = x[:, None]
    if x.ndim != 3:
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {x.ndim + 1}-dimensional tensor for argument "
                           f"#1 'log_probs'" + _CHK)
    T, N, C = x.shape
    il = _lengths(input_lengths, "input_lengths")
    tl = _lengths(target_lengths, "target_lengths")
    if il.shape[0] != N:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tl.shape[0] != N:
        raise RuntimeError("target_lengths must be of size batch_size")
    if not 0 <= blank < C:
        raise RuntimeError("blank must be in label range")
    if N:
        if tl.min() < 0:
            raise RuntimeError(f"Expected target_lengths to have value at least 0, but got value {int(tl.min())}" + _CHK)
        if il.min() < 0:
            raise RuntimeError(f"Expected input_lengths to have value at least 0, but got value {int(il.min())}" + _CHK)
        if il.max() > T:
            bad = int(il[np.argmax(il > T)])
            raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value {bad}" + _CHK)
    td = td.astype(np.int64)
    Smax = int(tl.max()) if N else 0
    if td.ndim == 1:
        tot = int(tl.sum())
        if td.shape[0] != tot:
            raise RuntimeError(f"Expected tensor to have size {tot} at dimension 0, but got size {td.shape[0]} for "
                               "argument #2 'targets'" + _CHK)
        offs = np.concatenate(([0], np.cumsum(tl)[:-1])) if N else np.zeros(0, np.int64)
        pos = offs[:, None] + np.arange(Smax)[None, :]
        inside = np.arange(Smax)[None, :] < tl[:, None]
        tg = np.where(inside, td[np.where(inside, pos, 0)] if td.size else 0, blank)
    else:
        if td.shape[1] < Smax:
            raise RuntimeError(f"Expected tensor to have size at least {Smax} at dimension 1, but got size "
                               f"{td.shape[1]} for argument #2 'targets'" + _CHK)
        inside = np.arange(Smax)[None, :] < tl[:, None]
        tg = np.where(inside, td[:, :Smax], blank)
    tg = np.clip(tg, 0, C - 1)
    L = 2 * Smax + 1
    lab = np.full((N, L), blank, dtype=np.int64)
    lab[:, 1::2] = tg
    lp = x.astype(np.float64)
    ar = np.arange(N)
    lp_ext = lp[:, ar[:, None], lab]                    # (T, N, L)
    s_idx = np.arange(L)[None, :]
    lp_ext[:, s_idx >= (2 * tl + 1)[:, None]] = _NEG
    skip = np.zeros((N, L), dtype=bool)
    if L > 2:
        skip[:, 2:] = lab[:, 2:] != lab[:, :-2]  # as torch: blank positions never skip (both blank)
    alpha = _alpha(lp_ext, skip)
    last_t = np.maximum(il - 1, 0)
    end = 2 * tl
    a_end = alpha[last_t, ar, end] if N else np.zeros(0)
    a_prev = np.where(tl > 0, alpha[last_t, ar, np.maximum(end - 1, 0)], _NEG) if N else np.zeros(0)
    ll = np.logaddexp(a_end, a_prev)
    ll = np.where(il == 0, np.where(tl == 0, 0.0, _NEG), ll)
    nll = -ll
    losses = np.where(np.isinf(nll), 0.0, nll) if zero_infinity else nll
    if red == 0:
        r = losses[0] if unbatched else losses
    elif red == 2:
        r = losses.sum()
    else:
        r = (losses / np.maximum(tl, 1)).mean() if N else np.float64(np.nan)
    r = np.asarray(r, dtype=x.dtype)
    if not (GRAD[0] and log_probs._rg):
        return make(r, False, None)
    end_mask = (s_idx == end[:, None]) | ((s_idx == (end - 1)[:, None]) & (tl > 0)[:, None])
    ctx = (lp, lp_ext, lab, skip, il, end_mask, nll, alpha, red, tl, bool(zero_infinity), x.dtype, unbatched)
    return make(r, True, CtcLossBackward0((edge(log_probs),), ctx))
