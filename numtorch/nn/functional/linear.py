"""torch.nn.functional linear-type functions: linear, bilinear, embedding, embedding_bag,
one_hot, cosine_similarity, pairwise_distance, pdist, channel_shuffle, pixel_shuffle and
pixel_unshuffle.

``linear`` is one node and one GEMM whatever the input rank: leading dimensions are folded
into one ``(N, in) @ W.T`` (BLAS reads ``W`` transposed in place), the bias is added in place,
and backward is ``gx = g @ W``, ``gW = g.T @ x``, ``gb = g.sum(0)``.  Nodes take torch's
outermost name (``AddmmBackward0`` / ``MmBackward0`` for 2-D inputs, ``ViewBackward0`` /
``UnsafeViewBackward0`` / ``SqueezeBackward4`` otherwise) and error messages are torch's.
``embedding`` / ``embedding_bag`` gather rows with ``np.take`` and scatter gradients with
``np.add.at``; ``max_norm`` renormalises the referenced weight rows in place (no grad) as
torch does.  Sparse gradients (``sparse=True``) are not supported.
"""
from __future__ import annotations

import numpy as np

from ..._ops import _par as P
from ..._ops._helpers import make, normalize_dim, unbroadcast
from ..._ops.activation import one_hot
from ..._ops.linalg import _mm_check
from ..._tensor import Tensor
from ...autograd.grad_mode import GRAD, no_grad
from ...autograd.graph import _LEGACY, NO_EDGE, NONE_REC, edge, node_class

__all__ = ["linear", "bilinear", "embedding", "embedding_bag", "one_hot", "cosine_similarity", "pairwise_distance",
           "pdist", "channel_shuffle", "native_channel_shuffle", "pixel_shuffle", "pixel_unshuffle"]

_C = {"float16": "c10::Half", "float32": "float", "float64": "double", "int64": "long int", "int32": "int",
      "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _nt():
    import numtorch
    return numtorch


def _legacy(dt) -> str:
    return _LEGACY.get(np.dtype(dt).name, np.dtype(dt).name)


_TORCH_TENSOR = "<class 'torch.Tensor'>"  # how torch prints type(tensor) in its messages


def _need(x, fn, arg, pos):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}")


def _rec(t):
    return (t, t._data, t._vc, t._vc[0])


# ------------------------------------------------------------------ linear
def _linear_bw(ctx, saved, g):
    xshape, bshape, target, need_x, need_w, need_b = ctx
    x, w = saved
    out = g.shape[-1] if g.ndim else 1
    if type(g) is np.ndarray:
        g2 = g if g.ndim == 2 else g.reshape(-1, out)
        gx = np.matmul(g2, w).reshape(xshape) if need_x else None
        gw = np.matmul(g2.T, x if x.ndim == 2 else x.reshape(-1, xshape[-1])) if need_w else None
    else:
        g2 = g if g.ndim == 2 else g.reshape(-1, out)
        gx = (g2 @ w).reshape(xshape) if need_x else None
        gw = g2.t() @ (x if x.ndim == 2 else x.reshape(-1, xshape[-1])) if need_w else None
    if bshape is None:
        return gx, gw
    gb = None
    if need_b:
        if target is None:   # a BLAS ones-vector product sums the rows faster than NumPy's reduction
            gb = np.matmul(np.ones(g2.shape[0], g2.dtype), g2) if type(g2) is np.ndarray and \
                g2.dtype.kind == "f" and g2.dtype.itemsize >= 4 and g2.shape[0] >= 16 else g2.sum(0)
        else:
            gb = unbroadcast(g.reshape(target), bshape)
    return gb, gx, gw


_LINEAR_NODES = {name: node_class(name, _linear_bw) for name in
                 ("AddmmBackward0", "MmBackward0", "ViewBackward0", "UnsafeViewBackward0", "SqueezeBackward4")}


def _expand_error(bias, target):
    """torch's error for a bias that does not expand to ``target`` (raised by numtorch's expand)."""
    bias.expand(*target)
    raise RuntimeError(f"bias of shape {list(bias.shape)} cannot be expanded to {list(target)}")


def linear(input, weight, bias=None):
    """F.linear: ``input @ weight.T + bias`` as one GEMM and one node (see the module docstring)."""
    _need(input, "linear", "input", 1)
    _need(weight, "linear", "weight", 2)
    if bias is not None:
        _need(bias, "linear", "bias", 3)
    x, w = input._data, weight._data
    xn, wn = x.ndim, w.ndim
    if xn == 0 or wn == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {xn}D and {wn}D")
    if wn != 2:
        return _linear_vec(input, weight, bias)
    n_in, n_out = w.shape[1], w.shape[0]
    x2 = x if xn == 2 else x.reshape(-1, x.shape[-1]) if xn > 1 else x.reshape(1, -1)
    if bias is not None and x.shape[-1] == n_in and (x.dtype != w.dtype or bias._data.dtype != w.dtype):
        # torch's addmm messages: the bias is checked against the weight first, then the input
        bd = bias._data.dtype
        if bd != w.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got {_legacy(bd)} and "
                               f"{_legacy(w.dtype)}")
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_legacy(x.dtype)} and "
                           f"{_legacy(w.dtype)}")
    if x.shape[-1] != n_in or x.dtype != w.dtype or x.dtype.kind == "b":
        _mm_check(x2.shape, (n_in, n_out), x.dtype, w.dtype)
    r = np.matmul(x2, w.T)
    bshape = target = None
    if bias is not None:
        b = bias._data
        bshape = b.shape
        if b.dtype != x.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got {_legacy(b.dtype)} and "
                               f"{_legacy(x.dtype)}")
        if b.ndim == 1 and bshape[0] == n_out:
            if r.size >= P.PAR_MIN:
                P.add(r, b, r)
            else:
                np.add(r, b, out=r)
        else:
            target = r.shape if xn == 2 or b.ndim <= 1 else x.shape[:-1] + (n_out,)
            try:
                if np.broadcast_shapes(bshape, target) != target:
                    raise ValueError
            except ValueError:
                _expand_error(bias, target)
            if target != r.shape:
                r = r.reshape(target)
            r += b
    if xn != 2:
        r = r.reshape(x.shape[:-1] + (n_out,))
    need_x, need_w = input._rg, weight._rg
    need_b = bias is not None and bias._rg
    if GRAD[0] and (need_x or need_w or need_b):
        if xn == 2:
            name = "AddmmBackward0" if bias is not None else "MmBackward0"
        else:
            name = "ViewBackward0" if bias is not None else "UnsafeViewBackward0" if xn > 1 else "SqueezeBackward4"
        es = (edge(input), edge(weight))
        node = _LINEAR_NODES[name]((edge(bias),) + es if bias is not None else es,
                                   (x.shape, bshape, target, need_x, need_w, need_b))
        node._saved = (_rec(input) if need_w else NONE_REC, _rec(weight) if need_x else NONE_REC)
        return make(r, True, node)
    return make(r, False, None)


def _linear_vec(input, weight, bias):
    """linear with a 1-D weight: ``input @ weight`` (+ bias), torch's matmul semantics."""
    wn = weight.ndim
    if wn > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {wn}D")
    if bias is not None and input.ndim == 2:
        raise RuntimeError("mat2 must be a matrix, got 1-D tensor")
    nt = _nt()
    r = nt.matmul(input, weight)
    return r if bias is None else r + bias


# ------------------------------------------------------------------ bilinear
def _bilinear_bw(ctx, saved, g):
    s1, s2, has_b, n1, n2, nw, nb = ctx
    x1, x2, w = saved
    es = np.einsum if type(g) is np.ndarray else _nt().einsum
    o = w.shape[0]
    g2 = g.reshape(-1, o)
    a = x1.reshape(-1, s1[-1])
    b = x2.reshape(-1, s2[-1])
    kw = {"optimize": True} if type(g) is np.ndarray else {}
    g1 = es("no,oij,nj->ni", g2, w, b, **kw).reshape(s1) if n1 else None
    gg2 = es("no,oij,ni->nj", g2, w, a, **kw).reshape(s2) if n2 else None
    gw = es("no,ni,nj->oij", g2, a, b, **kw) if nw else None
    res = (g1, gg2, gw)
    return res + ((g2.sum(0) if nb else None),) if has_b else res


_BilinearBackward = {True: node_class("AddBackward0", _bilinear_bw), False: node_class("ViewBackward0",
                                                                                      _bilinear_bw)}


def bilinear(input1, input2, weight, bias=None):
    """F.bilinear: ``y[..., o] = x1 @ W[o] @ x2 + b[o]`` (one node; torch's shape/dtype errors)."""
    for t, nm, pos in ((input1, "input1", 1), (input2, "input2", 2), (weight, "weight", 3)):
        _need(t, "bilinear", nm, pos)
    a, b, w = input1._data, input2._data, weight._data
    if a.ndim != b.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {a.ndim} and {b.ndim}")
    for i in range(a.ndim - 1):
        if a.shape[i] != b.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: got {a.shape[i]} "
                               f"and {b.shape[i]}")
    if w.ndim < 3:
        normalize_dim(2, w.ndim)
    if a.shape[-1] != w.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {a.shape[-1]} but expected "
                           f"{w.shape[1]}")
    if b.shape[-1] != w.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {b.shape[-1]} but expected "
                           f"{w.shape[2]}")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != w.shape[0]):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.shape[0]} but expected "
                           f"{w.shape[0]}")
    if not (a.dtype == b.dtype == w.dtype):
        raise RuntimeError(f"All tensors must have the same dtype, got input1: {_C[a.dtype.name]}, input2: "
                           f"{_C[b.dtype.name]}, weight: {_C[w.dtype.name]}")
    o = w.shape[0]
    a2, b2 = a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])
    r = np.einsum("ni,oij,nj->no", a2, w, b2, optimize=True)
    if bias is not None:
        r += bias._data
    r = r.reshape(a.shape[:-1] + (o,))
    ts = (input1, input2, weight) + ((bias,) if bias is not None else ())
    if GRAD[0] and any(t._rg for t in ts):
        cls = _BilinearBackward[bias is not None]
        node = cls(tuple(edge(t) for t in ts),
                   (a.shape, b.shape, bias is not None, input1._rg, input2._rg, weight._rg,
                    bias is not None and bias._rg))
        node._saved = (_rec(input1), _rec(input2), _rec(weight))
        return make(r, True, node)
    return make(r, False, None)


# ------------------------------------------------------------------ embedding
def _index_check(idx, fn):
    if not isinstance(idx, Tensor):
        raise TypeError(f"{fn}(): argument 'indices' (position 2) must be Tensor, not {type(idx).__name__}")
    d = idx._data
    if d.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {'torch.' + _legacy(d.dtype) + 'Tensor'} instead (while checking "
                           f"arguments for {fn})")
    return d


def _renorm(weight, idx, max_norm, norm_type):
    """torch.embedding_renorm_: rows referenced by ``idx`` with norm > max_norm are scaled to
    ``max_norm / (norm + 1e-7)`` in place, without recording a graph."""
    w = weight._data
    rows = np.unique(idx)
    sub = w[rows]
    if norm_type == float("inf"):
        norms = np.abs(sub).max(axis=1)
    else:
        norms = (np.abs(sub) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    big = norms > max_norm
    if np.any(big):
        scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
        with no_grad():
            w[rows[big]] = sub[big] * scale[:, None]
        weight._vc[0] += 1


def _embedding_bw(ctx, saved, g):
    idx, num, pad, freq = ctx
    flat = idx.reshape(-1)
    dim = g.shape[-1]
    if type(g) is np.ndarray:
        g2 = g.reshape(-1, dim)
        if freq:
            counts = np.bincount(flat, minlength=num)
            g2 = g2 / counts[flat][:, None].astype(g.dtype)
        gw = np.zeros((num, dim), g.dtype)
        np.add.at(gw, flat, g2)
        if pad >= 0:
            gw[pad] = 0
        return (gw,)
    nt = _nt()
    g2 = g.reshape(-1, dim)
    if freq:
        counts = np.bincount(flat, minlength=num)
        g2 = g2 / make(counts[flat][:, None].astype(g._data.dtype), False, None)
    gw = nt.zeros(num, dim, dtype=g.dtype).index_add(0, make(flat.astype(np.int64), False, None), g2)
    if pad >= 0:
        keep = np.ones((num, 1), g._data.dtype)
        keep[pad] = 0
        gw = gw * make(keep, False, None)
    return (gw,)


EmbeddingBackward0 = node_class("EmbeddingBackward0", _embedding_bw)


def _padding(padding_idx, num):
    if padding_idx is None:
        return -1
    if padding_idx > 0:
        assert padding_idx < num, "Padding_idx must be within num_embeddings"
    elif padding_idx < 0:
        assert padding_idx >= -num, "Padding_idx must be within num_embeddings"
        padding_idx = num + padding_idx
    return padding_idx


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """F.embedding: rows ``weight[input]``; ``padding_idx`` rows get no gradient,
    ``scale_grad_by_freq`` divides each row's gradient by its count in ``input``, ``max_norm``
    renormalises the referenced rows of ``weight`` in place first (as torch)."""
    _need(weight, "embedding", "weight", 1)
    w = weight._data
    if sparse:
        raise NotImplementedError("embedding(sparse=True): sparse gradients are not supported by numtorch")
    num = w.shape[0] if w.ndim else 0
    pad = _padding(padding_idx, num)
    idx = _index_check(input, "embedding")
    if w.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm(weight, idx, max_norm, norm_type)
        w = weight._data
    r = np.take(w, idx, axis=0)
    if GRAD[0] and weight._rg:
        node = EmbeddingBackward0((edge(weight),), (idx.copy(), num, pad, scale_grad_by_freq))
        return make(r, True, node)
    return make(r, False, None)


# ------------------------------------------------------------------ embedding_bag
def _bags(idx, off, n, include_last):
    """(bag id of each index position or -1, number of bags)."""
    nb = len(off) - 1 if include_last else len(off)
    ends = np.append(off[1:], n) if not include_last else off[1:]
    starts = off[:nb]
    ends = ends[:nb]
    bag_of = np.full(n, -1, np.int64)
    lengths = np.maximum(ends - starts, 0)
    pos = np.repeat(starts - np.cumsum(np.concatenate(([0], lengths[:-1]))), lengths) + np.arange(lengths.sum())
    bag_of[pos] = np.repeat(np.arange(nb), lengths)
    return bag_of, nb


def _embedding_bag_bw(ctx, saved, g):
    idx, bag_of, valid, scale, num, mode, argmax, need_w, need_psw, freq = ctx
    (w,) = saved
    gd = g._data if isinstance(g, Tensor) else g
    dim = gd.shape[1]
    gw = gp = None
    cnt = np.bincount(idx, minlength=num).astype(gd.dtype) if freq and idx.size else None
    if mode == "max":
        if need_w:
            gw = np.zeros((num, dim), gd.dtype)
            sel = argmax >= 0
            if idx.size:
                rows = np.where(sel, idx[np.maximum(argmax, 0)], 0)[sel]
                np.add.at(gw, (rows, np.nonzero(sel)[1]), gd[sel] if cnt is None else gd[sel] / cnt[rows])
    else:
        rows_g = gd[bag_of[valid]] * scale[valid][:, None]
        if need_w:
            if cnt is not None:
                rows_g = rows_g / cnt[idx[valid]][:, None]
            gw = np.zeros((num, dim), gd.dtype)
            np.add.at(gw, idx[valid], rows_g)
        if need_psw:
            gp = np.zeros(idx.shape, gd.dtype)
            gp[valid] = (gd[bag_of[valid]] * (w._data if isinstance(w, Tensor) else w)[idx[valid]]).sum(1)
    if isinstance(g, Tensor):  # double backward is not recorded through embedding_bag
        gw = None if gw is None else make(gw, False, None)
        gp = None if gp is None else make(gp, False, None)
    return gw, gp


EmbeddingBagBackward0 = node_class("EmbeddingBagBackward0", _embedding_bag_bw)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """F.embedding_bag: sums / means / maxima of ``weight`` rows over bags given by ``offsets``
    (1-D ``input``) or by the rows of a 2-D ``input``; empty bags give zeros, ``padding_idx``
    entries are skipped (and not counted in means), ``per_sample_weights`` scale rows in
    ``mode='sum'``.  Gradients flow to ``weight`` and ``per_sample_weights``."""
    _need(weight, "embedding_bag", "weight", 2)
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if per_sample_weights is not None and input.size() != per_sample_weights.size():
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it "
                         f"must have the same shape as the input ({input.shape})")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             "fixed length sequences. However, found offsets of type "
                             f"{_TORCH_TENSOR if isinstance(offsets, Tensor) else type(offsets)}")
        B, L = input.shape
        off = np.arange(0, B * L, L, dtype=np.int64)
        idx_t = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        idx_t = input
        off = None
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if max_norm is not None:
        _renorm(weight, _index_check(idx_t, "embedding_bag"), max_norm, norm_type)
    if sparse:
        if mode == "max":
            raise ValueError("max mode does not support sparse weights")
        raise NotImplementedError("embedding_bag(sparse=True): sparse gradients are not supported by numtorch")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    idx = _index_check(idx_t, "embedding_bag").astype(np.int64, copy=False)
    if off is None:
        off = _index_check(offsets, "embedding_bag").astype(np.int64)
    w = weight._data
    if w.dtype.kind != "f":
        raise RuntimeError("Expected tensor for argument #1 'weight' to have one of the following scalar types: "
                           f"Half, BFloat16, Float, Double; but got torch.{_legacy(w.dtype)}Tensor instead (while "
                           "checking arguments for embedding_bag)")
    num, dim, n = w.shape[0], w.shape[1], idx.shape[0]
    psw = None
    if per_sample_weights is not None:
        psw = per_sample_weights._data
        if psw.dtype != w.dtype:
            raise RuntimeError("Expected tensor for argument #1 'weight' to have the same type as tensor for argument "
                               f"#1 'per_sample_weights'; but type torch.{_legacy(w.dtype)}Tensor does not equal "
                               f"torch.{_legacy(psw.dtype)}Tensor (while checking arguments for embedding_bag)")
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, -{num} through {num - 1}, but "
                               f"got {padding_idx}")
        padding_idx = padding_idx % num
    if len(off) and off[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {off[0]}\n[ torch.LongTensor{{}} ]")
    if len(off) and off[-1] > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of {off[-1]}")
    bad = np.flatnonzero((idx < 0) | (idx >= num))
    if bad.size:
        raise RuntimeError(f"Index {bad[0]} of input takes value {idx[bad[0]]} which is not in the valid range "
                           f"[0, {num})")
    bag_of, nb = _bags(idx, off, n, include_last_offset)
    valid = bag_of >= 0
    if padding_idx is not None:
        valid &= idx != padding_idx
    vi, vb = idx[valid], bag_of[valid]
    out = np.zeros((nb, dim), w.dtype)
    argmax = None
    scale = np.ones(n, w.dtype) if psw is None else psw.copy()
    if mode == "max":
        argmax = np.full((nb, dim), -1, np.int64)
        if vi.size:
            rows = w[vi]
            mx = np.full((nb, dim), -np.inf, w.dtype)
            np.maximum.at(mx, vb, rows)
            pos = np.flatnonzero(valid)
            cand = np.where(rows == mx[vb], pos[:, None], n)
            first = np.full((nb, dim), n, np.int64)
            np.minimum.at(first, vb, cand)
            hit = first < n
            out[hit] = mx[hit]
            argmax[hit] = first[hit]
    else:
        if mode == "mean":
            counts = np.bincount(vb, minlength=nb).astype(w.dtype)
            scale = (1 / np.maximum(counts, 1))[np.maximum(bag_of, 0)].astype(w.dtype)
        if vi.size:
            np.add.at(out, vb, w[vi] * scale[valid][:, None])
    need_w = weight._rg
    need_psw = per_sample_weights is not None and per_sample_weights._rg
    if GRAD[0] and (need_w or need_psw):
        node = EmbeddingBagBackward0((edge(weight), edge(per_sample_weights) if psw is not None else NO_EDGE),
                                     (idx, bag_of, valid, scale, num, mode, argmax, need_w, need_psw,
                                      scale_grad_by_freq))
        node._saved = (_rec(weight),)
        return make(out, True, node)
    return make(out, False, None)


# ------------------------------------------------------------------ distances
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """F.cosine_similarity: ``sum(x1/max(|x1|, eps) * x2/max(|x2|, eps), dim)`` after
    broadcasting (torch's formulation: the eps clamp does not enter the gradient)."""
    nt = _nt()
    _need(x1, "cosine_similarity", "x1", 1)
    _need(x2, "cosine_similarity", "x2", 2)
    from ... import _dtype as D
    rt = D.result_type(x1, x2)
    if not rt.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is {_legacy(rt.np)}")
    a, b = nt.broadcast_tensors(x1.to(rt), x2.to(rt))
    na = a.norm(2, dim, keepdim=True)
    nb = b.norm(2, dim, keepdim=True)
    na = na + (na.detach().clamp_min(eps) - na.detach())
    nb = nb + (nb.detach().clamp_min(eps) - nb.detach())
    return ((a / na) * (b / nb)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """F.pairwise_distance: ``norm(x1 - x2 + eps, p, dim=-1, keepdim)`` (torch's formulation)."""
    _need(x1, "pairwise_distance", "x1", 1)
    _need(x2, "pairwise_distance", "x2", 2)
    d = x1 - x2 + eps
    if not d.dtype.is_floating_point:
        d = d.to(_nt().get_default_dtype())
    if d.ndim == 0:
        return d.abs() if p != 0 else (d != 0).to(d.dtype)
    return d.norm(p, -1, keepdim=keepdim)


def pdist(input, p=2):
    """F.pdist: p-norm distances between the rows of a 2-D input, for each pair i < j."""
    _need(input, "pdist", "input", 1)
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if not input.dtype.is_floating_point:
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    nt = _nt()
    diff = input.index_select(0, make(i.astype(np.int64), False, None)) - \
        input.index_select(0, make(j.astype(np.int64), False, None))
    return diff.norm(p, 1) if len(i) else nt.zeros(0, dtype=input.dtype)


# ------------------------------------------------------------------ shuffles (one node each)
def _perm_bw(ctx, saved, g):
    inv_shape, inv_perm, in_shape = ctx
    if type(g) is np.ndarray:
        return (np.ascontiguousarray(g.reshape(inv_shape).transpose(inv_perm)).reshape(in_shape),)
    return (g.reshape(inv_shape).permute(inv_perm).reshape(in_shape),)


_PERM_NODES = {n: node_class(n, _perm_bw) for n in
               ("ChannelShuffleBackward0", "PixelShuffleBackward0", "PixelUnshuffleBackward0")}


def _permute_op(input, shape, perm, out_shape, name):
    """``input.reshape(shape).permute(perm).reshape(out_shape)`` copied to a contiguous result,
    as one node whose backward applies the inverse permutation."""
    d = input._data
    v = d.reshape(shape).transpose(perm)
    r = np.ascontiguousarray(v).reshape(out_shape)
    if GRAD[0] and input._rg:
        inv = tuple(int(k) for k in np.argsort(perm))
        return make(r, True, _PERM_NODES[name]((edge(input),), (v.shape, inv, d.shape)))
    return make(r, False, None)


def channel_shuffle(input, groups):
    """F.channel_shuffle: (N, C, *) -> split C into ``groups`` and interleave them."""
    _need(input, "channel_shuffle", "input", 1)
    s = tuple(input.shape)
    if len(s) <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes {list(s)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    c = s[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    nd = len(s)
    return _permute_op(input, (s[0], groups, c // groups) + s[2:], (0, 2, 1) + tuple(range(3, nd + 1)), s,
                       "ChannelShuffleBackward0")


native_channel_shuffle = channel_shuffle


def pixel_shuffle(input, upscale_factor):
    """F.pixel_shuffle: (*, C*r*r, H, W) -> (*, C, H*r, W*r)."""
    _need(input, "pixel_shuffle", "input", 1)
    s = tuple(input.shape)
    r_ = upscale_factor
    if len(s) < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with {len(s)} "
                           "dimension(s)")
    if r_ <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r_}")
    c, h, w = s[-3:]
    if c % (r_ * r_):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r_ * r_}")
    b = s[:-3]
    k = len(b)
    shape = b + (c // (r_ * r_), r_, r_, h, w)
    perm = tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2)
    return _permute_op(input, shape, perm, b + (c // (r_ * r_), h * r_, w * r_), "PixelShuffleBackward0")


def pixel_unshuffle(input, downscale_factor):
    """F.pixel_unshuffle: (*, C, H*r, W*r) -> (*, C*r*r, H, W)."""
    _need(input, "pixel_unshuffle", "input", 1)
    s = tuple(input.shape)
    r_ = downscale_factor
    if len(s) < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{len(s)} dimension(s)")
    if r_ <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r_}")
    c, h, w = s[-3:]
    if h % r_:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but "
                           f"input.size(-2)={h} is not divisible by {r_}")
    if w % r_:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but "
                           f"input.size(-1)={w} is not divisible by {r_}")
    b = s[:-3]
    k = len(b)
    shape = b + (c, h // r_, r_, w // r_, r_)
    perm = tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3)
    return _permute_op(input, shape, perm, b + (c * r_ * r_, h // r_, w // r_), "PixelUnshuffleBackward0")
