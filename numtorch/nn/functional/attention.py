"""torch.nn.functional attention: ``scaled_dot_product_attention`` and
``multi_head_attention_forward`` (plus torch's private mask helpers ``_canonical_mask``,
``_none_or_dtype``, ``_mha_shape_check``, ``_check_key_padding_mask``, ``_in_projection_packed``
and ``_in_projection``, which torch code sometimes calls).

``scaled_dot_product_attention`` is one node whatever the rank: ``softmax(q k^T * scale + mask)
@ v`` with batched matmuls over every head at once, the softmax computed in place, and a
hand-written backward (``dv = P^T g``, ``dP = g v^T``, ``dS = P (dP - rowsum(dP P))``,
``dq = dS k * scale``, ``dk = dS^T q * scale``).  As torch (2.13), rows whose keys are all masked
give zero probabilities (not NaN), ``is_causal`` is a top-left aligned lower triangle when
``L != S``, a boolean mask means "may attend", and ``enable_gqa`` repeats key/value heads.  Under
``create_graph=True`` the backward differentiates a re-computation from numtorch ops, so
double backward is exact.

``multi_head_attention_forward`` follows torch's recipe and error texts.  When no attention
weights are requested (what ``nn.TransformerEncoderLayer`` / ``DecoderLayer`` ask for) and no
bias_k / zero-attention / static keys are involved, the heads are not materialised: one node
reads q, k and v as strided views of the input projections and writes its output and its
gradients straight into the packed (seq, batch, embed) or (batch, seq, embed) layouts.
"""
from __future__ import annotations

import math
import warnings
from typing import Optional, Tuple

import numpy as np

from ... import _dtype as D
from ..._ops._helpers import broadcast_error, make, unbroadcast
from ..._ops.activation import _rowsum
from ..._tensor import Size, Tensor
from ...autograd.grad_mode import GRAD
from ...autograd.graph import _LEGACY, CONST_VC, NO_EDGE, edge, node_class, save
from .dropout import _keep_mask
from .linear import _C, linear

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward", "_canonical_mask", "_none_or_dtype",
           "_mha_shape_check", "_check_key_padding_mask", "_in_projection_packed", "_in_projection"]


def _nt():
    import numtorch
    return numtorch


def _const(a):
    return (None, a, CONST_VC, 0)


# ------------------------------------------------------------------ array kernels
_CAUSAL: dict = {}


def _causal_add(L: int, S: int, dt) -> np.ndarray:
    """Additive (L, S) mask: -inf above the diagonal (key j > query i), cached per shape."""
    key = (L, S, np.dtype(dt))
    m = _CAUSAL.get(key)
    if m is None:
        m = np.zeros((L, S), dt)
        m[np.triu_indices(L, 1, S)] = -np.inf
        if len(_CAUSAL) > 32:
            _CAUSAL.clear()
        _CAUSAL[key] = m
    return m


_RANGE = 50.0   # see _softmax_global


def _softmax_global(s: np.ndarray) -> bool:
    """Softmax over the last axis in place, shifting by the max of the whole array (one fast
    reduction) instead of each row's max (a slow reduction over short rows).  Mathematically the
    same; it is taken only when every row's max lies within ``_RANGE`` of the global one, so no
    term that matters at float precision underflows.  Returns False, leaving ``s`` overwritten,
    when that check fails (then the caller recomputes with row maxima)."""
    if s.dtype.itemsize < 4 or s.size == 0:
        return False
    M = s.max()
    if not np.isfinite(M):
        return False
    np.subtract(s, M, out=s)
    np.exp(s, out=s)
    ssum = _rowsum(s, s.ndim - 1)
    # ssum <= S * exp(rowmax - M): a large enough sum bounds every row's max from below
    if not ssum.min() >= s.shape[-1] * math.exp(-_RANGE):
        return False
    s /= ssum
    return True


def _softmax_rows(s: np.ndarray) -> None:
    """Softmax over the last axis in place with row maxima; rows that are entirely -inf (every
    key masked) give zeros, as torch's attention does."""
    m = s.max(axis=-1, keepdims=True)
    dead = np.isneginf(m)
    if dead.any():
        m[dead] = 0
    else:
        dead = None
    with np.errstate(invalid="ignore"):
        np.subtract(s, m, out=s)
    np.exp(s, out=s)
    ssum = _rowsum(s, s.ndim - 1)
    if dead is not None:
        ssum[dead] = 1
    s /= ssum


def _attn_fwd(q, k, v, add, scale, p_drop, out=None):
    """Arrays q (..., L, E), k (..., S, E), v (..., S, Ev); ``add`` an additive mask broadcastable
    to the scores.  Returns (out, probabilities, scaled keep-mask or None, q * scale)."""
    dt = q.dtype
    qs = np.multiply(q, dt.type(scale))
    s = np.matmul(qs, np.swapaxes(k, -1, -2))
    if s.shape[-1] == 0:   # no keys: zero output, as torch
        o = np.zeros(s.shape[:-1] + (v.shape[-1],), dt) if out is None else out
        if out is not None:
            out[...] = 0
        return o, s, None, qs
    if add is not None:
        s += add
    if not _softmax_global(s):   # the scores were overwritten: recompute them
        s = np.matmul(qs, np.swapaxes(k, -1, -2))
        if add is not None:
            s += add
        _softmax_rows(s)
    keep = None
    pd = s
    if p_drop > 0:
        if p_drop >= 1:
            keep = np.zeros(s.shape, dt)
        else:
            keep = _keep_mask(s.shape, p_drop, dt)
            keep *= dt.type(1) / dt.type(1 - p_drop)
        pd = s * keep
    return np.matmul(pd, v, out=out), s, keep, qs


def _attn_bwd(g, qs, k, v, p, keep, scale, need_q, need_k, need_v, need_s, outs=(None, None, None)):
    """Gradients (dq, dk, dv, dscores) of :func:`_attn_fwd`; ``outs`` are optional destinations."""
    pd = p if keep is None else p * keep
    dv = np.matmul(np.swapaxes(pd, -1, -2), g, out=outs[2]) if need_v else None
    dq = dk = ds = None
    if need_q or need_k or need_s:
        ds = np.matmul(g, np.swapaxes(v, -1, -2))
        if keep is not None:
            ds *= keep
        t = np.multiply(ds, p)
        np.subtract(ds, _rowsum(t, t.ndim - 1), out=ds)
        ds *= p
        if need_k:   # qs already carries the scale
            dk = np.matmul(np.swapaxes(ds, -1, -2), qs, out=outs[1])
        if need_q:
            dq = np.matmul(ds, k, out=outs[0])
            np.multiply(dq, dq.dtype.type(scale), out=dq)
    return dq, dk, dv, ds


def _composite(q, k, v, add, scale, keep, alive):
    """The forward recomputed from numtorch ops (for create_graph); ``add`` a Tensor or None,
    ``alive`` a (..., L, 1) array of rows that may attend to something (or None)."""
    s = (q * scale) @ k.transpose(-2, -1)
    if add is not None:
        s = s + add
    if alive is not None:
        dead = make(~alive, False, None)
        s = s.masked_fill(dead, 0.0)
    p = s.softmax(-1)
    if alive is not None:
        p = p * make(alive.astype(p._data.dtype), False, None)
    if keep is not None:
        p = p * make(keep, False, None)
    return p @ v


def _grads_of(out, inputs, g):
    from ... import autograd
    want = [t for t in inputs if t is not None and t._rg]
    res = iter(autograd.grad(out, want, g, create_graph=True, allow_unused=True)) if want else iter(())
    return tuple(next(res) if (t is not None and t._rg) else None for t in inputs)


def _alive(p):
    """Rows of a probability array that attend to something (all-zero rows were fully masked)."""
    a = p.any(axis=-1, keepdims=True)
    return None if a.all() else a


# ------------------------------------------------------------------ scaled_dot_product_attention
def _sdpa_bw(ctx, saved, g):
    scale, kshape, vshape, reps, mshape, need_q, need_k, need_v, need_m, causal = ctx
    if type(g) is not np.ndarray:
        return _sdpa_bw_graph(ctx, saved, g)
    qs, k, v, p, keep = saved[3:8]
    dq, dk, dv, ds = _attn_bwd(g, qs, k, v, p, keep, scale, need_q, need_k, need_v, need_m)
    if dq is not None:
        dq = unbroadcast(dq, saved[0].shape)
    if dk is not None:
        dk = unbroadcast(_fold_heads(dk, reps[0]), kshape)
    if dv is not None:
        dv = unbroadcast(_fold_heads(dv, reps[1]), vshape)
    if mshape is None:
        return dq, dk, dv
    return dq, dk, dv, unbroadcast(ds, mshape) if need_m else None


def _sdpa_bw_graph(ctx, saved, g):
    scale, kshape, vshape, reps, mshape, need_q, need_k, need_v, need_m, causal = ctx
    q, k, v, _, _, _, p, keep, mask = saved
    alive = _alive(p._data)
    kk = k.repeat_interleave(reps[0], dim=-3) if reps[0] > 1 else k
    vv = v.repeat_interleave(reps[1], dim=-3) if reps[1] > 1 else v
    add = None
    if mask is not None:
        add = mask if mask.dtype.is_floating_point else make(_bool_add(mask._data, q._data.dtype), False, None)
    elif causal:
        add = make(_causal_add(p.shape[-2], p.shape[-1], q._data.dtype), False, None)
    out = _composite(q, kk, vv, add, scale, None if keep is None else keep._data, alive)
    return _grads_of(out, (q, k, v) + ((mask,) if mshape is not None else ()), g)


def _fold_heads(d, rep):
    """Sum the gradient of GQA-repeated heads back onto the shared key/value head."""
    if rep == 1:
        return d
    s = d.shape
    return d.reshape(s[:-3] + (s[-3] // rep, rep) + s[-2:]).sum(axis=-3)


_SDPA_NODES = {n: node_class(n, _sdpa_bw) for n in
               ("MmBackward0", "UnsafeViewBackward0", "ScaledDotProductFlashAttentionForCpuBackward0")}


def _bool_add(m: np.ndarray, dt) -> np.ndarray:
    """SDPA's boolean mask (True = may attend) as an additive float mask."""
    a = np.zeros(m.shape, dt)
    a[~m] = -np.inf
    return a


def _check_sdpa(q, k, v, attn_mask, is_causal):
    """torch's checks, in torch's order; returns the broadcast batch shape."""
    if not (q.dtype == k.dtype == v.dtype):
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_C.get(q.dtype.name)} key.dtype: {_C.get(k.dtype.name)} and value.dtype: "
                           f"{_C.get(v.dtype.name)} instead.")
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise RuntimeError(f"Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{q.ndim} key.dim: {k.ndim} and value.dim: {v.ndim} instead.")
    if q.dtype.kind != "f":
        raise RuntimeError(f"expected scalar type Float but found {_LEGACY.get(q.dtype.name, q.dtype.name)}")
    if attn_mask is not None:
        md = attn_mask._data
        if md.dtype != np.bool_ and md.dtype != q.dtype:
            raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                               f"attn_mask.dtype: {_C.get(md.dtype.name, md.dtype.name)} and  query.dtype: "
                               f"{_C.get(q.dtype.name)} instead.")
        if is_causal:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                               "is_causal=True")


def _mm_error(a, b):
    return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a[0]}x{a[1]} and {b[0]}x{b[1]})")


def _bmm_error(nb, want, got):
    return RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{nb}, {want}] but got: "
                        f"[{nb}, {got}].")


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Optional[Tensor] = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: Optional[float] = None,
                                 enable_gqa: bool = False) -> Tensor:
    """F.scaled_dot_product_attention: ``softmax(q @ k^T * scale + mask) @ v`` over any leading
    batch dims (one node; see the module docstring for torch's mask semantics that are matched)."""
    for t, nm, pos in ((query, "query", 1), (key, "key", 2), (value, "value", 3)):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): argument '{nm}' (position {pos}) must be Tensor, not "
                            f"{type(t).__name__}")
    q, k, v = query._data, key._data, value._data
    _check_sdpa(q, k, v, attn_mask, is_causal)
    reps = [1, 1]
    kk, vv = k, v
    if enable_gqa and q.ndim >= 3 and k.ndim >= 3 and v.ndim >= 3:
        hq = q.shape[-3]
        if hq % k.shape[-3] or hq % v.shape[-3]:
            raise RuntimeError("Number of heads in key and value must divide the number of heads in ")
        reps = [hq // k.shape[-3], hq // v.shape[-3]]
        if reps[0] > 1:
            kk = np.repeat(k, reps[0], axis=-3)
        if reps[1] > 1:
            vv = np.repeat(v, reps[1], axis=-3)
    two_d = q.ndim == 2 and k.ndim == 2
    try:
        batch = np.broadcast_shapes(q.shape[:-2], kk.shape[:-2])
    except ValueError:
        raise broadcast_error(q.shape[:-2], kk.shape[:-2]) from None
    nb = int(np.prod(batch))
    L, E, S = q.shape[-2], q.shape[-1], kk.shape[-2]
    if kk.shape[-1] != E:
        raise _mm_error((L, E), (kk.shape[-1], S)) if two_d else _bmm_error(nb, E, kk.shape[-1])
    add = None
    mshape = None
    if attn_mask is not None:
        md = attn_mask._data
        sshape = batch + (L, S)
        try:
            full = np.broadcast_shapes(sshape, md.shape)
        except ValueError:
            raise broadcast_error(sshape, md.shape) from None
        if full != sshape:
            raise RuntimeError(f"output with shape {list(sshape)} doesn't match the broadcast shape {list(full)}")
        add = _bool_add(md, q.dtype) if md.dtype == np.bool_ else md
        mshape = md.shape
    elif is_causal:
        add = _causal_add(L, S, q.dtype)
    if vv.shape[-2] != S:
        if two_d and v.ndim == 2:
            raise _mm_error((L, S), v.shape)
        raise _bmm_error(nb, S, vv.shape[-2])
    sc = 1.0 / math.sqrt(E) if scale is None else float(scale)
    mask_t = attn_mask
    need_m = mask_t is not None and mask_t._rg and md.dtype != np.bool_
    need = (query._rg, key._rg, value._rg)
    if GRAD[0] and (need[0] or need[1] or need[2] or need_m):
        out, p, keep, qs = _attn_fwd(q, kk, vv, add, sc, dropout_p)
        if q.ndim == 2 and out.ndim == 2:
            name = "MmBackward0"
        elif (q.ndim == 4 and k.ndim == 4 and v.ndim == 4 and dropout_p == 0 and not need_m and v.shape[-1] == E
              and q.shape[0] == k.shape[0] == v.shape[0] and q.shape[1] == kk.shape[1] == vv.shape[1]):
            name = "ScaledDotProductFlashAttentionForCpuBackward0"
        else:
            name = "UnsafeViewBackward0"
        es = (edge(query), edge(key), edge(value))
        if mshape is not None:
            es += (edge(mask_t) if need_m else NO_EDGE,)
        node = _SDPA_NODES[name](es, (sc, k.shape, v.shape, tuple(reps), mshape, need[0], need[1], need[2], need_m,
                                      is_causal and attn_mask is None))
        node._saved = (save(query), save(key), save(value), _const(qs), _const(kk), _const(vv), _const(p),
                       _const(keep), save(mask_t) if mask_t is not None else _const(None))
        return make(out, True, node)
    out = _attn_fwd(q, kk, vv, add, sc, dropout_p)[0]
    return make(out, False, None)


# ------------------------------------------------------------------ fused multi-head core
def _heads(a: np.ndarray, off: int, E: int, H: int, bf: bool) -> np.ndarray:
    """(B, H, T, E // H) view of channels ``off:off+E`` of an array laid out (T, B, C) or, with
    ``bf``, (B, T, C)."""
    x = a[..., off:off + E]
    if bf:
        return x.reshape(a.shape[0], a.shape[1], H, E // H).transpose(0, 2, 1, 3)
    return x.reshape(a.shape[0], a.shape[1], H, E // H).transpose(1, 2, 0, 3)


def _heads_t(t: Tensor, off: int, E: int, H: int, bf: bool) -> Tensor:
    """:func:`_heads` with numtorch ops (differentiable)."""
    x = t[..., off:off + E]
    x = x.reshape(t.shape[0], t.shape[1], H, E // H)
    return x.permute(0, 2, 1, 3) if bf else x.permute(1, 2, 0, 3)


def _fused_bw(ctx, saved, g):
    roles, E, H, bf, scale, shapes, needs, causal = ctx
    if type(g) is not np.ndarray:
        return _fused_bw_graph(ctx, saved, g)
    nsrc = len(shapes)
    qs, k, v, p, keep, add = saved[nsrc:]
    dt = g.dtype
    bufs = [np.empty(s, dt) if n else None for s, n in zip(shapes, needs)]
    outs = [None, None, None]
    nq, nk, nv = (needs[roles[i][0]] for i in range(3))
    for i in range(3):
        b = bufs[roles[i][0]]
        if b is not None:
            outs[i] = _heads(b, roles[i][1], E, H, bf)
    _attn_bwd(_heads(g, 0, E, H, bf), qs, k, v, p, keep, scale, nq, nk, nv, False, outs)
    return tuple(bufs)


def _fused_bw_graph(ctx, saved, g):
    roles, E, H, bf, scale, shapes, needs, causal = ctx
    nsrc = len(shapes)
    srcs = saved[:nsrc]
    p, keep, add = saved[nsrc + 3:]
    q, k, v = (_heads_t(srcs[roles[i][0]], roles[i][1], E, H, bf) for i in range(3))
    addt = None
    if add is not None:
        addt = add
    elif causal:
        addt = make(_causal_add(p.shape[-2], p.shape[-1], p._data.dtype), False, None)
    o = _composite(q, k, v, addt, scale, None if keep is None else keep._data, _alive(p._data))
    o = o.permute(0, 2, 1, 3) if bf else o.permute(2, 0, 1, 3)
    o = o.reshape(o.shape[0], o.shape[1], E)
    return _grads_of(o, srcs, g)


_FusedBackward = node_class("ScaledDotProductFlashAttentionForCpuBackward0", _fused_bw)


def _fused_attention(srcs, roles, E, H, bf, add, causal, dropout_p):
    """Attention over heads read from projection tensors ``srcs`` (q, k, v = ``roles[i]`` =
    (source index, channel offset)); the output comes back merged, in the sources' layout."""
    arrs = [s._data for s in srcs]
    qh, kh, vh = (_heads(arrs[r[0]], r[1], E, H, bf) for r in roles)
    a0 = arrs[roles[0][0]]
    out = np.empty(a0.shape[:2] + (E,), a0.dtype)
    if causal:
        add = _causal_add(qh.shape[2], kh.shape[2], a0.dtype)
    sc = 1.0 / math.sqrt(E // H)
    needs = tuple(s._rg for s in srcs)
    record = GRAD[0] and any(needs)
    _, p, keep, qs = _attn_fwd(qh, kh, vh, add, sc, dropout_p, out=_heads(out, 0, E, H, bf))
    if not record:
        return make(out, False, None)
    node = _FusedBackward(tuple(edge(s) for s in srcs),
                          (roles, E, H, bf, sc, tuple(a.shape for a in arrs), needs, causal))
    node._saved = tuple(save(s) for s in srcs) + (_const(qs), _const(kh), _const(vh), _const(p), _const(keep),
                                                   _const(None if causal else add))
    return make(out, True, node)


# ------------------------------------------------------------------ mask helpers (torch's private API)
def _none_or_dtype(input: Optional[Tensor]):
    """torch's F._none_or_dtype: None, or the tensor's dtype."""
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _canonical_mask(mask: Optional[Tensor], mask_name: str, other_type, other_name: str, target_type,
                    check_other: bool = True) -> Optional[Tensor]:
    """torch's F._canonical_mask: a boolean mask (True = masked out) becomes an additive float
    mask of ``target_type`` (0 / -inf); other dtypes are rejected, and a mask whose dtype differs
    from ``other_type`` warns as deprecated."""
    if mask is None:
        return None
    dt = mask.dtype
    is_float = dt.is_floating_point
    if dt is not D.bool and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and dt != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both "
                      "instead.", stacklevel=3)
    if not is_float:
        m = mask._data
        a = np.zeros(m.shape, D.to_dtype(target_type).np)
        a[m] = -np.inf
        return make(a, False, None)
    return mask


def _mha_shape_check(query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Optional[Tensor],
                     attn_mask: Optional[Tensor], num_heads: int) -> bool:
    """torch's F._mha_shape_check: True for batched (3-D) inputs, False for unbatched (2-D)."""
    qd = query.dim()
    if qd == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError(f"For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError(f"For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                                 f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                                 f"found {attn_mask.dim()}-D tensor instead")
        return True
    if qd == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError(f"For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError(f"For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D but "
                                 f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError(f"For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                                     f"but found {attn_mask.dim()}-D tensor instead")
            if attn_mask.dim() == 3:
                expected = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected:
                    raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {qd}-D query tensor")


def _check_key_padding_mask(key_padding_mask: Tensor, src_len: int, bsz: int) -> None:
    """torch's F._check_key_padding_mask: shape (bsz, src_len)."""
    s = key_padding_mask.shape
    if s[0] != bsz:
        raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got {s[0]}")
    if len(s) < 2:
        raise IndexError("tuple index out of range")
    if s[1] != src_len:
        raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got {s[1]}")


# ------------------------------------------------------------------ input projections
def _packed_sources(q, k, v, w, b, E):
    """Projections of the packed ``in_proj_weight``: (sources, roles) with roles[i] =
    (source index, channel offset) of q, k and v.  Self-attention is one GEMM (as torch)."""
    if k is v:
        if q is k:
            return [linear(q, w, b)], ((0, 0), (0, E), (0, 2 * E))
        wq, wkv = w.split([E, 2 * E])
        bq, bkv = (None, None) if b is None else b.split([E, 2 * E])
        return [linear(q, wq, bq), linear(k, wkv, bkv)], ((0, 0), (1, 0), (1, E))
    wq, wk, wv = w.chunk(3)
    bq, bk, bv = (None, None, None) if b is None else b.chunk(3)
    return [linear(q, wq, bq), linear(k, wk, bk), linear(v, wv, bv)], ((0, 0), (1, 0), (2, 0))


def _separate_sources(q, k, v, wq, wk, wv, b):
    eq, ek, ev = q.shape[-1], k.shape[-1], v.shape[-1]
    bq = bk = bv = None
    if b is not None:
        bq, bk, bv = b.chunk(3)
    for w, nm, want in ((wq, "query", (eq, eq)), (wk, "key", (eq, ek)), (wv, "value", (eq, ev))):
        if tuple(w.shape) != want:
            raise AssertionError(f"expecting {nm} weights shape of {want}, but got {w.shape}")
    for bb, nm in ((bq, "query"), (bk, "key"), (bv, "value")):
        if bb is not None and tuple(bb.shape) != (eq,):
            raise AssertionError(f"expecting {nm} bias shape of {(eq,)}, but got {bb.shape}")
    return [linear(q, wq, bq), linear(k, wk, bk), linear(v, wv, bv)], ((0, 0), (1, 0), (2, 0))


def _in_projection_packed(q: Tensor, k: Tensor, v: Tensor, w: Tensor, b: Optional[Tensor] = None) -> list:
    """torch's F._in_projection_packed: [q_proj, k_proj, v_proj] from the packed weight."""
    E = q.size(-1)
    srcs, roles = _packed_sources(q, k, v, w, b, E)
    return [srcs[i][..., o:o + E] for i, o in roles]


def _in_projection(q, k, v, w_q, w_k, w_v, b_q=None, b_k=None, b_v=None) -> tuple:
    """torch's F._in_projection: separate q / k / v projections, with torch's shape asserts."""
    eq, ek, ev = q.size(-1), k.size(-1), v.size(-1)
    for w, nm, want in ((w_q, "query", (eq, eq)), (w_k, "key", (eq, ek)), (w_v, "value", (eq, ev))):
        if tuple(w.shape) != want:
            raise AssertionError(f"expecting {nm} weights shape of {want}, but got {w.shape}")
    for bb, nm in ((b_q, "query"), (b_k, "key"), (b_v, "value")):
        if bb is not None and tuple(bb.shape) != (eq,):
            raise AssertionError(f"expecting {nm} bias shape of {(eq,)}, but got {bb.shape}")
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


# ------------------------------------------------------------------ multi_head_attention_forward
def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
                                 in_proj_weight: Optional[Tensor], in_proj_bias: Optional[Tensor],
                                 bias_k: Optional[Tensor], bias_v: Optional[Tensor], add_zero_attn: bool,
                                 dropout_p: float, out_proj_weight: Tensor, out_proj_bias: Optional[Tensor],
                                 training: bool = True, key_padding_mask: Optional[Tensor] = None,
                                 need_weights: bool = True, attn_mask: Optional[Tensor] = None,
                                 use_separate_proj_weight: bool = False, q_proj_weight: Optional[Tensor] = None,
                                 k_proj_weight: Optional[Tensor] = None, v_proj_weight: Optional[Tensor] = None,
                                 static_k: Optional[Tensor] = None, static_v: Optional[Tensor] = None,
                                 average_attn_weights: bool = True,
                                 is_causal: bool = False) -> Tuple[Tensor, Optional[Tensor]]:
    """F.multi_head_attention_forward: inputs (L, N, E) / (S, N, E) or unbatched (L, E); returns
    (output (L, N, E), weights (N, L, S) averaged over heads, (N, H, L, S), or None), with torch's
    mask handling (bool True = masked out, float masks added), warnings and errors."""
    return _mha(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v,
                add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training, key_padding_mask, need_weights,
                attn_mask, use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight, static_k, static_v,
                average_attn_weights, is_causal, False)


def _sf(t: Tensor, bf: bool) -> Size:
    """The shape torch reports (sequence-first layout)."""
    s = tuple(t.shape)
    return Size((s[1], s[0]) + s[2:]) if bf else Size(s)


def _mha(query, key, value, E_check, H, in_w, in_b, bias_k, bias_v, add_zero_attn, dropout_p, out_w, out_b,
         training, kpm, need_weights, attn_mask, use_sep, qw, kw, vw, static_k, static_v, average, is_causal, bf):
    """multi_head_attention_forward; ``bf``: batched inputs laid out (N, L, E) (the module's
    batch_first), in which case the output keeps that layout."""
    is_batched = _mha_shape_check(query, key, value, kpm, attn_mask, H)
    if not is_batched:
        bf = False
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if kpm is not None:
            kpm = kpm.unsqueeze(0)
    tgt_len, bsz, E = _sf(query, bf)
    src_len = _sf(key, bf)[0]
    kpm = _canonical_mask(kpm, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and kpm is None and not need_weights:
        attn_mask = None   # the SDPA causal kernel replaces the mask (torch does the same)
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if kpm is not None:
            is_causal = False
    if E != E_check:
        raise AssertionError(f"was expecting embedding dimension of {E_check}, but got {E}")
    head_dim = E // H
    if head_dim * H != E:
        raise AssertionError(f"embed_dim {E} not divisible by num_heads {H}")
    if use_sep:
        if _sf(key, bf)[:2] != _sf(value, bf)[:2]:
            raise AssertionError(f"key's sequence and batch dims {_sf(key, bf)[:2]} do not match value's "
                                 f"{_sf(value, bf)[:2]}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {_sf(key, bf)} does not match value shape {_sf(value, bf)}")
    fused = (not need_weights and bias_k is None and bias_v is None and not add_zero_attn and static_k is None
             and static_v is None and not (attn_mask is not None and attn_mask._rg)
             and not (kpm is not None and kpm._rg) and tgt_len > 0 and src_len > 0 and bsz > 0)
    if bf and not fused:   # the general recipe runs sequence-first (views)
        if key is value:
            if query is key:
                query = key = value = query.transpose(1, 0)
            else:
                query = query.transpose(1, 0)
                key = value = key.transpose(1, 0)
        else:
            query, key, value = query.transpose(1, 0), key.transpose(1, 0), value.transpose(1, 0)
    # ---- in-projection
    if not use_sep:
        if in_w is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        srcs, roles = _packed_sources(query, key, value, in_w, in_b, E)
    else:
        for w, nm in ((qw, "q_proj_weight"), (kw, "k_proj_weight"), (vw, "v_proj_weight")):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {nm} is None")
        srcs, roles = _separate_sources(query, key, value, qw, kw, vw, in_b)
    # ---- attn_mask shape
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(tgt_len, src_len)}.")
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * H, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(bsz * H, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")
    if fused:
        return _mha_fused(srcs, roles, E, H, bf, kpm, attn_mask, is_causal, dropout_p if training else 0.0,
                          out_w, out_b, tgt_len, src_len, bsz, is_batched)
    return _mha_general(srcs, roles, E, H, bias_k, bias_v, add_zero_attn, dropout_p, out_w, out_b, training, kpm,
                        need_weights, attn_mask, static_k, static_v, average, is_causal, tgt_len, bsz, is_batched,
                        bf)


def _mha_fused(srcs, roles, E, H, bf, kpm, attn_mask, is_causal, dropout_p, out_w, out_b, L, S, B, batched):
    add = None
    if attn_mask is not None:
        add = attn_mask._data
        if add.ndim == 3:
            add = add.reshape(B, H, L, S)
    if kpm is not None:
        _check_key_padding_mask(kpm, S, B)
        km = kpm._data.reshape(B, 1, 1, S)
        add = km if add is None else add + km
    if add is not None and add.dtype != srcs[0]._data.dtype:
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                           f"attn_mask.dtype: {_C.get(add.dtype.name)} and  query.dtype: "
                           f"{_C.get(srcs[0]._data.dtype.name)} instead.")
    o = _fused_attention(srcs, roles, E, H, bf, add, is_causal, dropout_p)
    o = linear(o, out_w, out_b)
    if not batched:
        o = o.squeeze(1)
    return o, None


def _mha_general(srcs, roles, E, H, bias_k, bias_v, add_zero_attn, dropout_p, out_w, out_b, training, kpm,
                 need_weights, attn_mask, static_k, static_v, average, is_causal, L, B, batched, bf):
    nt = _nt()
    from .dropout import dropout
    from .padding import pad
    q, k, v = (srcs[i] if (o == 0 and srcs[i].shape[-1] == E) else srcs[i][..., o:o + E] for i, o in roles)
    hd = E // H
    if attn_mask is not None and attn_mask.dim() == 2:
        attn_mask = attn_mask.unsqueeze(0)
    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = nt.cat([k, bias_k.repeat(1, B, 1)])
        v = nt.cat([v, bias_v.repeat(1, B, 1)])
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if kpm is not None:
            kpm = pad(kpm, (0, 1))
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")
    q = q.reshape(L, B * H, hd).transpose(0, 1)
    if static_k is None:
        k = k.reshape(k.shape[0], B * H, hd).transpose(0, 1)
    else:
        if static_k.size(0) != B * H:
            raise AssertionError(f"expecting static_k.size(0) of {B * H}, but got {static_k.size(0)}")
        if static_k.size(2) != hd:
            raise AssertionError(f"expecting static_k.size(2) of {hd}, but got {static_k.size(2)}")
        k = static_k
    if static_v is None:
        v = v.reshape(v.shape[0], B * H, hd).transpose(0, 1)
    else:
        if static_v.size(0) != B * H:
            raise AssertionError(f"expecting static_v.size(0) of {B * H}, but got {static_v.size(0)}")
        if static_v.size(2) != hd:
            raise AssertionError(f"expecting static_v.size(2) of {hd}, but got {static_v.size(2)}")
        v = static_v
    if add_zero_attn:
        k = nt.cat([k, nt.zeros((B * H, 1, hd), dtype=k.dtype)], dim=1)
        v = nt.cat([v, nt.zeros((B * H, 1, hd), dtype=v.dtype)], dim=1)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if kpm is not None:
            kpm = pad(kpm, (0, 1))
    S = k.size(1)
    if kpm is not None:
        _check_key_padding_mask(kpm, S, B)
        kpm = kpm.reshape(B, 1, 1, S).expand(-1, H, -1, -1).reshape(B * H, 1, S)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        qs = q * math.sqrt(1.0 / float(hd))
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        kt = k.transpose(-2, -1)
        w = nt.baddbmm(attn_mask, qs, kt) if attn_mask is not None else nt.bmm(qs, kt)
        w = w.softmax(dim=-1)
        if dropout_p > 0.0:
            w = dropout(w, p=dropout_p)
        o = nt.bmm(w, v)
        o = o.transpose(0, 1).reshape(L * B, E)
        o = linear(o, out_w, out_b).reshape(L, B, -1)
        w = w.reshape(B, H, L, S)
        if average:
            w = w.mean(dim=1)
        if not batched:
            o = o.squeeze(1)
            w = w.squeeze(0)
        elif bf:
            o = o.transpose(1, 0)
        return o, w
    if attn_mask is not None:
        if attn_mask.size(0) == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(B, H, -1, S)
    q = q.reshape(B, H, L, hd)
    k = k.reshape(B, H, S, hd)
    v = v.reshape(B, H, S, hd)
    o = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    o = o.permute(2, 0, 1, 3).reshape(B * L, E)
    o = linear(o, out_w, out_b).reshape(L, B, -1)
    if not batched:
        o = o.squeeze(1)
    elif bf:
        o = o.transpose(1, 0)
    return o, None
