"""``nll_loss``, ``cross_entropy`` and ``linear_cross_entropy``.

``cross_entropy`` with class indices is one fused node.  The forward works on a private copy
of the logits laid out class-major ``(C, M)`` when there are few classes (NumPy reduces a short
contiguous last axis slowly, but reduces across rows fast) and row-major ``(M, C)`` otherwise:
max, subtract, pick the target logits, exp in place, row sums (a BLAS matrix-vector product),
log.  The exponentials stay for the backward, which is ``exp(z) * (scale / rowsum) - onehot *
scale`` (plus the label-smoothing terms) in two passes.
"""
from __future__ import annotations

import numpy as np

import numtorch as _T

from ..._tensor import Tensor
from ...autograd.grad_mode import GRAD
from ...autograd.graph import CONST_VC, edge, node_class
from ..._ops._helpers import make
from ._loss_utils import _arange, _cfmt, _check_tensor, _f16, _ndarray, _no_grad_arg, _reduction, _regrad, _tname

__all__ = ["nll_loss", "cross_entropy", "linear_cross_entropy"]

_SMALL_C = 64          # class-major layout up to this many classes
_I64 = np.dtype(np.int64)
_U64 = np.dtype(np.uint64)
_ONES = {}


def _ones(n, dt):
    k = (n, dt)
    r = _ONES.get(k)
    if r is None:
        r = np.ones(n, dt)
        if len(_ONES) < 32:
            r.flags.writeable = False
            _ONES[k] = r
    return r


def _nll_checks(x, td, weight, kernel_name):
    """torch's shape/dtype checks of nll_loss(_nd); returns (C, weight array or None)."""
    nd = x.ndim
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    tn = td.shape[0] if td.ndim else 0
    if nd != 1 and x.shape[0] != tn:
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size ({tn}).")
    if nd == 1 and td.ndim == 1 and td.shape[0] != 1:
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {td.shape[0]}")
    tk = td.dtype
    if nd <= 2:
        if td.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if tk != np.int64 and tk != np.uint8:
            raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_tname(tk)}")
    else:
        if nd == 4:
            if td.ndim != 3:
                raise RuntimeError("only batches of spatial targets supported (3D tensors) but got targets of "
                                   f"dimension: {td.ndim}")
            if td.shape != (x.shape[0],) + x.shape[2:]:
                raise RuntimeError(f"size mismatch (got input: {list(x.shape)} , target: {list(td.shape)}")
        elif td.shape != (x.shape[0],) + x.shape[2:]:
            raise RuntimeError(f"Expected target size {list((x.shape[0],) + x.shape[2:])}, got {list(td.shape)}")
        if tk != np.int64:
            if tk == np.uint8:
                raise RuntimeError("expected scalar type Long but found Byte")
            raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_tname(tk)}")
    C = x.shape[1] if nd >= 2 else x.shape[0]
    w = None
    if weight is not None:
        w = weight._data
        if w.ndim != 1 or w.shape[0] != C:
            raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no classes but got "
                               f"weight tensor of shape: {list(w.shape)}")
        if w.dtype != x.dtype:
            raise RuntimeError(f"expected scalar type {_tname(x.dtype)} but found {_tname(w.dtype)}")
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel_name}\" not implemented for '{_tname(x.dtype)}'")
    return C, w


def _targets(t1, C, ignore_index):
    """(safe flat indices, valid mask or None), raising torch's out-of-bounds error."""
    if t1.dtype is not _I64:
        t1 = t1.astype(np.int64)
    if not t1.size:
        return t1, None
    tu = t1.view(_U64)  # negatives are huge as unsigned: the largest checks both bounds (argmax is fast)
    if tu[tu.argmax()] < C:
        if 0 <= ignore_index < C:
            valid = t1 != ignore_index
            if valid.all():
                return t1, None
            return np.where(valid, t1, 0), valid
        return t1, None
    valid = t1 != ignore_index
    bad = valid & ((t1 < 0) | (t1 >= C))
    if bad.any():
        raise IndexError(f"Target {int(t1[bad.argmax()])} is out of bounds.")
    return np.where(valid, t1, 0), valid


def _row_weights(w, ts, valid, dt):
    """Per-row weight (class weight of the target, 0 where ignored) or None."""
    if w is not None:
        wr = w[ts].astype(dt, copy=False)
        return wr * valid if valid is not None else wr
    if valid is not None:
        return valid.astype(dt)
    return None


def _finish(rows, wr, red, tshape, dt):
    """(result array, mean denominator)."""
    if red == 0:
        return rows.reshape(tshape), None
    acc = np.float32 if dt == _f16 else None
    if red == 2:
        return np.asarray(rows.sum(dtype=acc), dtype=dt), None
    denom = rows.shape[0] if wr is None else wr.sum(dtype=acc)
    if denom:
        return np.asarray(rows.sum(dtype=acc) / denom, dtype=dt), denom
    return np.asarray(np.nan, dtype=dt), denom  # nothing counted: 0 / 0


def _scale(g, red, denom, dt):
    """The upstream gradient per row (reduction 'none') or as one number."""
    if red == 0:
        return g.reshape(-1).astype(dt, copy=False)
    if red == 1:
        if not denom:
            return np.zeros((), dt)  # all rows ignored: zero gradient
        r = g * (1.0 / denom)
        return r if r.dtype == dt else r.astype(dt)
    return g if g.dtype == dt else g.astype(dt)


# ------------------------------------------------------------------ nll_loss
def _nll_bw(ctx, saved, g):
    red, denom, ts, wr, shape, tshape, dt = ctx
    if type(g) is _ndarray:
        sc = _scale(g, red, denom, dt)
        a = sc if wr is None else sc * wr
        grad = np.zeros(shape, dt)
        if len(shape) == 1:
            grad[ts[0]] = -a.reshape(-1)[0] if a.ndim else -a
        else:
            ti = ts.reshape((shape[0], 1) + shape[2:])
            np.put_along_axis(grad, ti, -(a.reshape(ti.shape) if a.ndim else a), axis=1)
        return (grad,)
    x = saved[0]
    K = np.zeros(shape, np.float64)
    a = np.ones(ts.shape) if wr is None else wr.astype(np.float64)
    if len(shape) == 1:
        K[ts[0]] = a[0]
    else:
        ti = ts.reshape((shape[0], 1) + shape[2:])
        np.put_along_axis(K, ti, a.reshape(ti.shape), axis=1)
    Kt = make(K.astype(dt), False, None)
    cdim = 1 if len(shape) >= 2 else 0

    def comp(x):
        rows = -(x * Kt).sum(cdim)
        if red == 0:
            return rows.reshape(tshape)
        s = rows.sum()
        return s / denom if red == 1 else s
    return _regrad(comp, (x,), (True,), g)


NllLossBackward0 = node_class("NllLossBackward0", _nll_bw)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` (N, C, d1, ...) at class indices
    ``target`` (N, d1, ...); ``weight`` per class, ``ignore_index`` entries count for nothing
    ('mean' divides by the summed weights of the counted entries)."""
    red = _reduction(size_average, reduce, reduction)
    _check_tensor(input, "nll_loss_nd", "input", 1)
    _check_tensor(target, "nll_loss_nd", "target", 2)
    _no_grad_arg(weight, "nll_loss_forward", "weight")
    x, td = input._data, target._data
    C, w = _nll_checks(x, td, weight, "nll_loss_out_frame" if x.ndim <= 2 else "nll_loss2d_out_frame")
    ts, valid = _targets(td.reshape(-1), C, int(ignore_index))
    dt = x.dtype
    if x.ndim == 1:
        picked = x[ts] if ts.size else np.zeros(0, dt)
    elif ts.size:
        picked = np.take_along_axis(x, ts.reshape((x.shape[0], 1) + x.shape[2:]), axis=1).reshape(-1)
    else:
        picked = np.zeros(0, dt)
    rows = -picked
    wr = _row_weights(w, ts, valid, dt)
    if wr is not None:
        rows = rows * wr
        if valid is not None:
            rows[~valid] = 0
    tshape = () if x.ndim == 1 else td.shape
    r, denom = _finish(rows, wr, red, tshape, dt)
    if not (GRAD[0] and input._rg):
        return make(r, False, None)
    node = NllLossBackward0((edge(input),), (red, denom, ts, wr, x.shape, tshape, dt), ((input, x, CONST_VC, 0),))
    return make(r, True, node)


# ------------------------------------------------------------------ cross_entropy (class indices)
# Working layouts of the logits (mode): 0 class-major (C, M) copy, for 1-D/2-D inputs with few
# classes; 1 row-major (M, C), for 1-D/2-D inputs with many; 2 (N, C, S) -- the input itself
# seen with its spatial dimensions flattened, for N-D inputs.  Modes 0 and 2 reduce over
# classes across contiguous rows, which NumPy does fast.

def _ce_bw(ctx, saved, g):
    red, denom, ts, wr, valid, ls, C, w, shape, tshape, mode, odt = ctx
    if type(g) is _ndarray:
        e, s = saved[0], saved[1]
        dt = e.dtype
        sc = _scale(g, red, denom, dt)
        a = sc if wr is None else sc * wr
        if ls:
            a = a * (1.0 - ls)
            b = sc * ls
            if valid is not None:
                b = b * valid
            c = (a + b) / s if w is None else (a + b * (w.sum(dtype=dt) / C)) / s
            wc = None if w is None else w.astype(dt) * (1.0 / C)
        else:
            c = a / s
        M = ts.shape[0]
        if mode == 2:
            N = shape[0]
            S = M // N if N else int(np.prod(shape[2:]))
            grad = e * c.reshape(N, 1, S)
            if ls:
                bb = b.reshape(N, 1, S) if b.ndim else b
                grad -= bb * (1.0 / C) if wc is None else bb * wc[:, None]
            grad[np.arange(N)[:, None], ts.reshape(N, S), np.arange(S)] -= a.reshape(N, S) if a.ndim else a
            out = grad.reshape(shape)
        else:
            ar = np.arange(M) if M > 65536 else _arange(M)
            if mode == 0:  # transpose back while scaling: one pass, row-major result
                grad = np.empty((M, C), dt)
                np.multiply(e.T, c[:, None], out=grad)
            else:
                grad = e * c[:, None]
            if ls:
                bb = b[:, None] if b.ndim else b
                grad -= bb * (1.0 / C) if wc is None else bb * wc
            grad[ar, ts] -= a
            out = grad.reshape(shape)
        return (out.astype(odt) if out.dtype != odt else out,)
    # create_graph: the same loss written with differentiable ops of the saved input
    x = saved[2]
    M = ts.shape[0]
    K = np.zeros((M, C), np.float64)
    K[np.arange(M), ts] = (1.0 - ls) * (np.ones(M) if wr is None else wr.astype(np.float64))
    if ls:
        sm = np.full((M, 1), ls / C) * (1.0 if valid is None else valid[:, None])
        K += sm * (np.ones(C) if w is None else w.astype(np.float64))
    if len(shape) >= 3:
        K = np.moveaxis(K.reshape((shape[0],) + shape[2:] + (C,)), -1, 1)
    Kt = make(np.ascontiguousarray(K.reshape(shape), dtype=odt), False, None)
    cdim = 1 if len(shape) >= 2 else 0

    def comp(x):
        rows = -(_T.log_softmax(x, cdim) * Kt).sum(cdim)
        if red == 0:
            return rows.reshape(tshape)
        t = rows.sum()
        return t / denom if red == 1 else t
    return _regrad(comp, (x,), (True,), g)


CrossEntropyBackward = node_class("NllLossBackward0", _ce_bw)


def _ce_indices(input, target, weight, ignore_index, red, ls):
    x, td = input._data, target._data
    if x.dtype.kind != "f":
        last = "lastdim_" if x.ndim <= 2 else ""
        raise NotImplementedError(f"\"log_softmax_{last}kernel_impl\" not implemented for '{_tname(x.dtype)}'")
    C, w = _nll_checks(x, td, weight, "nll_loss_out_frame" if x.ndim <= 2 else "nll_loss2d_out_frame")
    ts, valid = _targets(td.reshape(-1), C, ignore_index)
    M = ts.shape[0]
    odt = x.dtype
    dt = np.dtype(np.float32) if odt == _f16 else odt
    nd = x.ndim
    mode = 2 if nd >= 3 else (0 if C <= _SMALL_C else 1)
    zsum = None
    with np.errstate(invalid="ignore", divide="ignore"):   # inf logits: NaN, as torch (silently)
        if not C:  # no classes: only reachable when every target is ignored
            z = np.zeros((M, 0), dt)
            s = np.ones(M, dt)
            lse = zt = zsum = rows = np.zeros(M, dt)
        else:
            if mode == 0:
                z = np.array(x.T, dtype=dt, order="C") if nd == 2 else np.array(x, dtype=dt).reshape(C, 1)
                np.subtract(z, np.maximum.reduce(z, axis=0), out=z)
                zt = z[ts, _arange(M)]
                cax = 0
            elif mode == 1:
                x2 = x if nd == 2 else x.reshape(1, C)
                z = np.subtract(x2, np.maximum.reduce(x2, axis=1)[:, None], dtype=dt)
                zt = z[_arange(M), ts]
                cax = 1
            else:
                N, S = x.shape[0], M // x.shape[0] if x.shape[0] else int(np.prod(x.shape[2:]))
                x3 = x.reshape(N, C, S)
                z = np.subtract(x3, np.maximum.reduce(x3, axis=1)[:, None], dtype=dt)
                zt = np.take_along_axis(z, ts.reshape(N, 1, S), axis=1).reshape(-1)
                cax = 1
            if ls:
                if w is None:
                    zsum = z.sum(axis=cax).reshape(-1)
                else:
                    wd = w.astype(dt, copy=False)
                    zsum = (wd @ z if mode == 0 else z @ wd if mode == 1 else np.tensordot(z, wd, (1, 0))).reshape(-1)
            np.exp(z, out=z)
            if mode == 0:
                s = _ones(C, dt) @ z
            elif mode == 1:
                s = z @ _ones(C, dt)
            else:
                s = z.sum(axis=1).reshape(-1)
            lse = np.log(s)
            rows = lse - zt
    wr = _row_weights(w, ts, valid, dt)
    if wr is not None:
        rows = rows * wr
        if valid is not None:
            rows[~valid] = 0
    if ls:
        if w is None:
            sm = lse - zsum * (1.0 / C)
        else:
            sm = (lse * w.sum(dtype=dt) - zsum) * (1.0 / C)
        if valid is not None:
            sm[~valid] = 0
        rows = (1.0 - ls) * rows + ls * sm
    tshape = () if nd == 1 else td.shape
    r, denom = _finish(rows, wr, red, tshape, dt)
    if odt != dt:
        r = r.astype(odt)
    if not (GRAD[0] and input._rg):
        return make(r, False, None)
    if not C:
        mode = 1
    ctx = (red, denom, ts, wr, valid, ls, C, w, x.shape, tshape, mode, odt)
    node = CrossEntropyBackward((edge(input),), ctx, ((None, z, CONST_VC, 0), (None, s, CONST_VC, 0),
                                                     (input, x, CONST_VC, 0)))
    return make(r, True, node)


def _ce_probs(input, target, weight, red, ls):
    x, td = input._data, target._data
    if td.dtype.kind != "f":
        raise RuntimeError(f"Expected floating point type for target with class probabilities, got {_tname(td.dtype)}")
    if x.dtype.kind != "f":
        last = "lastdim_" if x.ndim <= 2 else ""
        raise NotImplementedError(f"\"log_softmax_{last}kernel_impl\" not implemented for '{_tname(x.dtype)}'")
    cdim = 1 if x.ndim >= 2 else 0
    C = x.shape[cdim]
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != C):
        raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no classes but got "
                           f"weight tensor of shape: {list(weight.shape)}")
    lp = _T.log_softmax(input, cdim)
    t = target
    if ls:
        t = t * (1 - ls) + ls / C
    prod = lp * t
    if weight is not None:
        prod = prod * weight.reshape((C,) + (1,) * (x.ndim - cdim - 1))
    rows = -prod.sum(cdim)
    if red == 0:
        return rows
    if red == 2:
        return rows.sum()
    return rows.sum() / (x.size // C if C else 0)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """``nll_loss(log_softmax(input, 1), target)`` fused into one node, or the cross entropy
    against class probabilities when ``target`` has the input's shape; ``label_smoothing``
    mixes the target with the uniform distribution."""
    red = _reduction(size_average, reduce, reduction)
    if not isinstance(input, Tensor):
        _check_tensor(input, "cross_entropy_loss", "input", 1)
    if not isinstance(target, Tensor):
        _check_tensor(target, "cross_entropy_loss", "target", 2)
    ls = label_smoothing
    if ls != 0.0:
        if not 0.0 <= ls <= 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {_cfmt(ls)}")
        ls = float(ls)
    if input._data.shape == target._data.shape:
        return _ce_probs(input, target, weight, red, ls)
    if weight is not None:
        _no_grad_arg(weight, "nll_loss_forward", "weight")
    return _ce_indices(input, target, weight, int(ignore_index), red, ls)


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, reduction="mean",
                         ignore_index=None, label_smoothing=0.0, options=None):
    """``cross_entropy(input @ linear_weight.T + linear_bias, target, ...)``; ``linear_weight`` may
    be (C, in_features) or (C, d1, ..., dK, in_features) for a K-dimensional loss.  ``options``
    (torch's chunking strategy) gives the same values; numtorch always takes the reference path."""
    _check_tensor(input, "linear_cross_entropy", "input", 1)
    _check_tensor(linear_weight, "linear_cross_entropy", "linear_weight", 2)
    if input.ndim not in (1, 2):
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.ndim}")
    if input.shape[-1] != linear_weight.shape[-1]:
        raise RuntimeError("expected equal input and linear_weight last dimensions (in_features), got "
                           f"{input.shape[-1]} and {linear_weight.shape[-1]}, respectively")
    if linear_weight.ndim == 2:
        logits = input @ linear_weight.t()
    else:
        W = linear_weight.reshape(-1, linear_weight.shape[-1])
        logits = (input @ W.t()).reshape(tuple(input.shape[:-1]) + tuple(linear_weight.shape[:-1]))
    if linear_bias is not None:
        logits = logits + linear_bias
    return cross_entropy(logits, target, weight=weight, ignore_index=-100 if ignore_index is None else ignore_index,
                         reduction=reduction, label_smoothing=label_smoothing)
