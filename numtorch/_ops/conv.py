"""Convolution kernels on NumPy arrays: one code path for 1, 2 and 3 spatial dimensions.

Arrays are channels-first, ``x: (N, C, *S)`` and ``w: (O, C // groups, *K)``.  A convolution
is an im2col followed by a GEMM.  Two column layouts are used:

- **channels-last** (at least ``CL_MIN_CHANNELS`` input channels per group, the common case):
  the input is padded and transposed to ``(N, *S, C)`` in one copy, an ``as_strided`` window
  view ``(N, *Out, groups, *K, C/g)`` of it is copied into columns
  ``(N * L, groups * prod(K) * C/g)`` (contiguous runs of channels, each group's block
  contiguous), and the convolution is one ``columns @ W`` GEMM per group giving
  ``(N * L, O/g)``, transposed back with the bias added in the same pass.  OpenBLAS runs this
  tall-times-narrow GEMM clearly faster than per-image ``W @ cols`` products, and one big call
  degrades far less than many small ones when the other core is busy (each threaded BLAS
  call waits for its helper thread).
- **channels-first** (depthwise and few-channel convolutions, 1x1 kernels): columns
  ``(N, C, *K, *Out)`` reshape for free to ``(N, groups, C/g * prod(K), L)`` and one batched
  ``np.matmul`` with the weight as ``(groups, O/g, C/g * prod(K))`` runs the ``N * groups``
  products in C, so there is no Python loop over batch items or groups (a depthwise
  convolution is just ``groups == C``).  A 1x1 kernel with stride 1 and no padding needs no
  columns at all.

Backward: ``grad_weight`` is ``columns^T @ grad_out`` (summed over the batch), ``grad_bias`` a
sum.  ``grad_input`` with stride 1 is the convolution of the padded ``grad_out`` with the
flipped, transposed weight (so it reuses the fast forward and needs no scatter); otherwise it
is ``grad_out @ W^T`` in column space followed by ``col2im``, one in-place add per kernel
offset into a padded buffer (channels-last: into one buffer per stride phase, where every
offset is a plain shift with long contiguous runs).  The transposed convolution's forward is that
input-gradient kernel, and its backward is the forward convolution and the weight gradient
with input and gradient exchanged.  Copies stay on one thread: splitting them over numtorch's
ufunc threads was measured to gain nothing here.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__: list = []

# Above this size the forward does not keep its column buffer for the weight gradient (the
# backward rebuilds it from the saved input instead): bounded memory for big layers.
KEEP_COLS_MAX = 1 << 28


# ------------------------------------------------------------------ geometry and copies
def out_sizes(in_sp, k, stride, lo, hi, dil) -> tuple:
    """Output size per spatial dim of a convolution (torch's formula; may be < 1)."""
    return tuple((n + a + b - d * (kk - 1) - 1) // s + 1 for n, kk, s, a, b, d in zip(in_sp, k, stride, lo, hi, dil))


def _offsets(k):
    return itertools.product(*(range(kk) for kk in k))


def _offset_slices(idx, stride, dil, out_sp) -> tuple:
    """Where kernel offset ``idx`` reads in the padded input, per spatial dim."""
    return tuple(slice(i * d, i * d + (o - 1) * s + 1, s) for i, d, s, o in zip(idx, dil, stride, out_sp))


def _crop_negative(x: np.ndarray, lo, hi, first: int):
    """Apply negative paddings (crops) to the spatial dims starting at ``first``."""
    if min(lo) >= 0 and min(hi) >= 0:
        return x, lo, hi
    sp = x.shape[first:first + len(lo)]
    sl = tuple(slice(max(-a, 0), n - max(-b, 0)) for n, a, b in zip(sp, lo, hi))
    x = x[(slice(None),) * first + sl]
    return x, tuple(max(a, 0) for a in lo), tuple(max(b, 0) for b in hi)


def _zero_borders(r: np.ndarray, sp, lo, hi, first: int) -> None:
    full = slice(None)
    for i, (n, a, b) in enumerate(zip(sp, lo, hi)):
        pre = (full,) * (first + i)
        if a:
            r[pre + (slice(0, a),)] = 0
        if b:
            r[pre + (slice(a + n, None),)] = 0


def pad(x: np.ndarray, lo, hi) -> np.ndarray:
    """``(N, C, *S)`` zero-padded by ``lo``/``hi`` per spatial dim (negative values crop); ``x``
    itself if there is nothing to do.  One copy of the interior, only the borders are zeroed."""
    if not any(lo) and not any(hi):
        return x
    x, lo, hi = _crop_negative(x, lo, hi, 2)
    sp = x.shape[2:]
    r = np.empty(x.shape[:2] + tuple(n + a + b for n, a, b in zip(sp, lo, hi)), x.dtype)
    np.copyto(r[(slice(None),) * 2 + tuple(slice(a, a + n) for n, a in zip(sp, lo))], x)
    _zero_borders(r, sp, lo, hi, 2)
    return r


def window(x: np.ndarray, lo, sizes) -> np.ndarray:
    """``out[..., i] = x[..., lo + i]`` for ``i < size`` per spatial dim, zero where that falls
    outside ``x`` (the adjoint of ``pad``); ``x`` itself when it is the identity."""
    sizes = tuple(sizes)
    if not any(lo) and x.shape[2:] == sizes:
        return x
    return pad(x, tuple(-a for a in lo), tuple(a + s - n for a, s, n in zip(lo, sizes, x.shape[2:])))


def _to_cl(x: np.ndarray, lo=None, hi=None) -> np.ndarray:
    """``(N, C, *S)`` -> channels-last ``(N, *S', C)``, zero-padded by ``lo``/``hi`` (negative
    values crop), in one transposing copy."""
    nd = x.ndim - 2
    src = x.transpose((0,) + tuple(range(2, nd + 2)) + (1,))
    if lo is None or (not any(lo) and not any(hi)):
        return np.ascontiguousarray(src)
    src, lo, hi = _crop_negative(src, lo, hi, 1)
    sp = src.shape[1:-1]
    r = np.empty((src.shape[0],) + tuple(n + a + b for n, a, b in zip(sp, lo, hi)) + (src.shape[-1],), x.dtype)
    np.copyto(r[(slice(None),) + tuple(slice(a, a + n) for n, a in zip(sp, lo))], src)
    _zero_borders(r, sp, lo, hi, 1)
    return r


def _pad_cl(x: np.ndarray, lo, hi) -> np.ndarray:
    """Zero-pad a channels-last ``(N, *S, C)`` array (negative values crop)."""
    if not any(lo) and not any(hi):
        return x
    x, lo, hi = _crop_negative(x, lo, hi, 1)
    sp = x.shape[1:-1]
    r = np.empty((x.shape[0],) + tuple(n + a + b for n, a, b in zip(sp, lo, hi)) + (x.shape[-1],), x.dtype)
    np.copyto(r[(slice(None),) + tuple(slice(a, a + n) for n, a in zip(sp, lo))], x)
    _zero_borders(r, sp, lo, hi, 1)
    return r


def _window_cl(a: np.ndarray, lo, sizes, first: int) -> np.ndarray:
    """The window ``[lo, lo + size)`` of the spatial dims of a channels-last array starting at
    axis ``first`` (a view when it lies inside ``a``, else zero-extended)."""
    nd = len(sizes)
    sp = a.shape[first:first + nd]
    if not any(lo) and sp == tuple(sizes):
        return a
    if all(0 <= p and p + s <= n for p, s, n in zip(lo, sizes, sp)):
        return a[(slice(None),) * first + tuple(slice(p, p + s) for p, s in zip(lo, sizes))]
    lead = a.shape[:first]
    a = a.reshape((-1,) + a.shape[first:])   # the leading dims as one batch dim for _pad_cl
    a = _pad_cl(a, tuple(-p for p in lo), tuple(p + s - n for p, s, n in zip(lo, sizes, sp)))
    return a.reshape(lead + a.shape[1:])


def _from_gcl(r: np.ndarray, n: int, sp, lo=None, sizes=None, bias=None) -> np.ndarray:
    """GEMM output ``(groups, N * prod(sp), O/g)`` -> contiguous ``(N, O, *sizes)``, taking the
    spatial window that starts at ``lo`` (zero outside), plus ``bias``, in one pass."""
    g, _, og = r.shape
    nd = len(sp)
    v = r.reshape((g, n) + tuple(sp) + (og,))
    if lo is not None:
        v = _window_cl(v, lo, sizes, 2)
    src = v.transpose((1, 0, nd + 2) + tuple(range(2, nd + 2)))
    out = np.empty(src.shape, r.dtype)
    if bias is None:
        np.copyto(out, src)
    else:
        np.add(src, bias.reshape((g, og) + (1,) * nd), out=out, casting="unsafe")
    return out.reshape((n, g * og) + out.shape[3:])


def _window_view(xp: np.ndarray, k, stride, dil, out_sp) -> np.ndarray:
    """The read-only im2col view ``(N, C, *K, *Out)`` of a padded channels-first input."""
    st = xp.strides
    sp = st[2:]
    return as_strided(xp, xp.shape[:2] + tuple(k) + tuple(out_sp),
                      st[:2] + tuple(a * d for a, d in zip(sp, dil)) + tuple(a * s for a, s in zip(sp, stride)),
                      writeable=False)


def im2col(xp: np.ndarray, k, stride, dil, out_sp) -> np.ndarray:
    """Contiguous channels-first columns ``(N, C, *K, *Out)`` of a padded input."""
    v = _window_view(xp, k, stride, dil, out_sp)
    buf = np.empty(v.shape, xp.dtype)
    np.copyto(buf, v)
    return buf


def _cols_cl(xp: np.ndarray, k, stride, dil, out_sp, groups: int) -> np.ndarray:
    """Channels-last columns ``(N * L, groups * prod(K) * C/g)`` of a padded ``(N, *Sp, C)``
    input, columns ordered (group, kernel offset, channel): each group's block is contiguous."""
    st = xp.strides
    sp = st[1:-1]
    cg = xp.shape[-1] // groups
    v = as_strided(xp, (xp.shape[0],) + tuple(out_sp) + (groups,) + tuple(k) + (cg,),
                   (st[0],) + tuple(a * s for a, s in zip(sp, stride)) + (cg * st[-1],)
                   + tuple(a * d for a, d in zip(sp, dil)) + (st[-1],), writeable=False)
    buf = np.empty(v.shape, xp.dtype)
    np.copyto(buf, v)
    return buf.reshape(xp.shape[0] * math.prod(out_sp), -1)


def col2im(cols: np.ndarray, padded_sp, k, stride, dil) -> np.ndarray:
    """Adjoint of ``im2col``: ``(N, C, *K, *Out)`` summed into ``(N, C, *padded_sp)``, one
    strided in-place add per kernel offset."""
    out_sp = cols.shape[2 + len(k):]
    r = np.zeros(cols.shape[:2] + tuple(padded_sp), cols.dtype)
    full = (slice(None), slice(None))
    for idx in _offsets(k):
        tgt = r[full + _offset_slices(idx, stride, dil, out_sp)]
        np.add(tgt, cols[full + idx], out=tgt)
    return r


def _col2im_phases(g_cl: np.ndarray, w: np.ndarray, n: int, out_sp, in_sp, stride, lo, dil, groups: int,
                   dt) -> np.ndarray:
    """Input gradient of a strided convolution from channels-last ``g`` ``(N * L, O)``, as
    ``(N, C, *in_sp)``.

    A kernel offset ``i`` sends output ``y`` to padded position ``y * stride + i * dil``: its
    residue ``(i * dil) % stride`` picks one of ``prod(stride)`` disjoint phase grids, and inside
    that grid the offset is a plain shift.  So each offset's ``g @ W_i`` block is added into its
    phase buffer with long contiguous runs (a strided scatter would add runs of C/g values),
    and each phase is then copied once, transposed, into its strided positions of the output."""
    o = g_cl.shape[1]
    og = o // groups
    cg = w.shape[1]
    k = w.shape[2:]
    nd = len(k)
    wt = np.ascontiguousarray(w.reshape(groups, og, cg, -1).transpose(0, 3, 1, 2))   # (g, K, O/g, C/g)
    gk = np.matmul(g_cl.reshape(-1, groups, og).transpose(1, 0, 2)[:, None], wt)   # (g, K, N*L, C/g)
    out = np.zeros((n, groups * cg) + tuple(in_sp), dt)
    phases: dict = {}
    for ki, idx in enumerate(_offsets(k)):
        ph = tuple((i * d) % s for i, d, s in zip(idx, dil, stride))
        phases.setdefault(ph, []).append((ki, tuple((i * d) // s for i, d, s in zip(idx, dil, stride))))
    to_cl = (1,) + tuple(range(2, nd + 2)) + (0, nd + 2)
    for ph, taps in phases.items():
        ext = tuple(m + max(sh[j] for _, sh in taps) for j, m in enumerate(out_sp))
        buf = np.zeros((n,) + ext + (groups, cg), dt)
        for ki, sh in taps:
            tgt = buf[(slice(None),) + tuple(slice(a, a + m) for a, m in zip(sh, out_sp))]
            np.add(tgt, gk[:, ki].reshape((groups, n) + tuple(out_sp) + (cg,)).transpose(to_cl), out=tgt)
        # buffer index y sits at padded position y * s + ph, output position y * s + ph - lo
        src, dst = [], []
        for s_, p_, l_, e_, size in zip(stride, ph, lo, ext, in_sp):
            y0 = max(0, -((p_ - l_) // s_))
            y1 = min(e_, (size + l_ - p_ + s_ - 1) // s_)
            if y1 <= y0:
                break
            src.append(slice(y0, y1))
            u0 = y0 * s_ + p_ - l_
            dst.append(slice(u0, u0 + (y1 - y0 - 1) * s_ + 1, s_))
        else:
            v = buf[(slice(None),) + tuple(src)]
            v = v.reshape(v.shape[:-2] + (groups * cg,)).transpose((0, nd + 1) + tuple(range(1, nd + 1)))
            np.copyto(out[(slice(None), slice(None)) + tuple(dst)], v)
    return out


# ------------------------------------------------------------------ weights
def _wmat_cl(w: np.ndarray, groups: int) -> np.ndarray:
    """``(O, C/g, *K)`` -> ``(groups, prod(K) * C/g, O/g)``, rows in the channels-last order."""
    o, cg = w.shape[:2]
    k = w.shape[2:]
    nd = len(k)
    r = w.reshape((groups, o // groups, cg) + k).transpose((0,) + tuple(range(3, nd + 3)) + (2, 1))
    return np.ascontiguousarray(r).reshape(groups, -1, o // groups)


def _gemm_cl(cols: np.ndarray, wm: np.ndarray) -> np.ndarray:
    """``cols @ W`` per group: ``(groups, N * L, O/g)``; a single GEMM when ``groups == 1``."""
    g = wm.shape[0]
    if g == 1:
        return (cols @ wm[0])[None]
    return np.matmul(cols.reshape(cols.shape[0], g, -1).transpose(1, 0, 2), wm)


def _flip_t(w: np.ndarray, groups: int) -> np.ndarray:
    """The weight of the stride-1 convolution that computes the input gradient: per group,
    in and out channels swapped and every kernel dim reversed, ``(C, O / groups, *K)``."""
    o, cg = w.shape[:2]
    k = w.shape[2:]
    r = w.reshape((groups, o // groups, cg) + k).swapaxes(1, 2)[(Ellipsis,) + (slice(None, None, -1),) * len(k)]
    return np.ascontiguousarray(r).reshape((groups * cg, o // groups) + k)


def _wgrad_cl(cols: np.ndarray, g_cl: np.ndarray, w_shape, groups: int) -> np.ndarray:
    """``cols^T @ g`` per group, as a weight ``(O, C/g, *K)``."""
    o, cg = w_shape[:2]
    k = tuple(w_shape[2:])
    nd = len(k)
    og = o // groups
    if groups == 1:
        gm = (cols.T @ g_cl)[None]
    else:
        nl = cols.shape[0]
        gm = np.matmul(cols.reshape(nl, groups, -1).transpose(1, 2, 0), g_cl.reshape(nl, groups, og).transpose(1, 0, 2))
    gm = gm.reshape((groups,) + k + (cg, og)).transpose((0, nd + 2, nd + 1) + tuple(range(1, nd + 1)))
    return np.ascontiguousarray(gm).reshape(w_shape)


# ------------------------------------------------------------------ dispatch
def _is_pointwise(k, stride, lo, hi) -> bool:
    return all(kk == 1 for kk in k) and all(s == 1 for s in stride) and not any(lo) and not any(hi)


# Channels-last columns pay two transposing copies; with few channels per group their
# contiguous runs are short and the channels-first layout is faster.
CL_MIN_CHANNELS = 8
FORCE_LAYOUT = [None]  # benchmarking switch: "cl" / "cf" overrides the choice below


def _channels_last(k, stride, lo, hi, cg: int) -> bool:
    if FORCE_LAYOUT[0] is not None:
        return FORCE_LAYOUT[0] == "cl"
    return cg >= CL_MIN_CHANNELS and not _is_pointwise(k, stride, lo, hi)


# ------------------------------------------------------------------ forward
def conv(x: np.ndarray, w: np.ndarray, stride, lo, hi, dil, groups: int, keep_cols: bool = False, bias=None):
    """Convolution ``(N, C, *S) * (O, C/g, *K) (+ bias) -> (N, O, *Out)``.

    Returns ``(out, cols)``: ``cols`` is what the weight gradient needs (the column buffer,
    or the input of a 1x1 kernel) when ``keep_cols`` is set and it is small enough to keep,
    else None."""
    n, c = x.shape[:2]
    o, cg = w.shape[:2]
    k = w.shape[2:]
    out_sp = out_sizes(x.shape[2:], k, stride, lo, hi, dil)
    dt = np.result_type(x.dtype, w.dtype)
    L = math.prod(out_sp)
    if n * o * L == 0 or c == 0:
        out = np.zeros((n, o) + out_sp, dt)
        if bias is not None:
            out += bias.reshape((-1,) + (1,) * len(k))
        return out, None
    if _channels_last(k, stride, lo, hi, cg):
        cols = _cols_cl(_to_cl(x, lo, hi), k, stride, dil, out_sp, groups)
        out = _from_gcl(_gemm_cl(cols, _wmat_cl(w, groups)), n, out_sp, bias=bias)
        return out, (cols if keep_cols and cols.nbytes <= KEEP_COLS_MAX else None)
    og = o // groups
    out = np.empty((n, o) + out_sp, dt)
    if _is_pointwise(k, stride, lo, hi):
        np.matmul(w.reshape(groups, og, cg), x.reshape(n, groups, cg, L), out=out.reshape(n, groups, og, L))
        saved = x if keep_cols else None
    else:
        cols = im2col(pad(x, lo, hi), k, stride, dil, out_sp)
        kk = math.prod(k)
        np.matmul(w.reshape(groups, og, cg * kk), cols.reshape(n, groups, cg * kk, L),
                  out=out.reshape(n, groups, og, L))
        saved = cols if keep_cols and cols.nbytes <= KEEP_COLS_MAX else None
    if bias is not None:
        np.add(out, bias.reshape((-1,) + (1,) * len(k)), out=out, casting="unsafe")
    return out, saved


# ------------------------------------------------------------------ backward
def _flipped_pads(k, lo, hi, dil):
    return (tuple(d * (kk - 1) - a for kk, a, d in zip(k, lo, dil)),
            tuple(d * (kk - 1) - b for kk, b, d in zip(k, hi, dil)))


def conv_input_grad(g: np.ndarray, w: np.ndarray, in_sp, stride, lo, hi, dil, groups: int) -> np.ndarray:
    """Gradient of ``conv`` w.r.t. an input of spatial size ``in_sp`` (``lo``/``hi`` as in the
    forward; ``hi`` may be negative).  Also the forward of the transposed convolution."""
    return _input_grad(g, None, w, tuple(in_sp), stride, lo, hi, dil, groups)


def _input_grad(g, g_cl, w, in_sp, stride, lo, hi, dil, groups: int) -> np.ndarray:
    n, o = g.shape[:2]
    cg = w.shape[1]
    c = cg * groups
    og = o // groups
    k = w.shape[2:]
    out_sp = g.shape[2:]
    dt = np.result_type(g.dtype, w.dtype)
    if g.size == 0 or c == 0:
        return np.zeros((n, c) + in_sp, dt)
    if all(s == 1 for s in stride) and og <= 2 * cg:
        # the convolution of the padded gradient with the flipped, transposed weight: the fast
        # forward path (it reads prod(K) * O/g values per input element, so it is used unless
        # the gradient has many more channels than the input)
        flo, fhi = _flipped_pads(k, lo, hi, dil)
        wf = _flip_t(w, groups)
        if _channels_last(k, stride, flo, fhi, og):
            if g_cl is None:
                gp = _to_cl(g, flo, fhi)
            else:
                gp = _pad_cl(g_cl.reshape((n,) + out_sp + (o,)), flo, fhi)
            cols = _cols_cl(gp, k, stride, dil, in_sp, groups)
            return _from_gcl(_gemm_cl(cols, _wmat_cl(wf, groups)), n, in_sp)
        return conv(g, wf, stride, flo, fhi, dil, groups)[0]
    padded = tuple(a + b + s for a, b, s in zip(lo, hi, in_sp))
    L = math.prod(out_sp)
    if _channels_last(k, stride, lo, hi, cg):
        if g_cl is None:
            g_cl = _to_cl(g).reshape(-1, o)
        return _col2im_phases(g_cl, w, n, out_sp, in_sp, stride, lo, dil, groups, dt)
    kk = math.prod(k)
    cols = np.empty((n, c) + k + out_sp, dt)
    np.matmul(w.reshape(groups, og, cg * kk).transpose(0, 2, 1), g.reshape(n, groups, og, L),
              out=cols.reshape(n, groups, cg * kk, L))
    return window(col2im(cols, padded, k, stride, dil), lo, in_sp)


def conv_weight_grad(g: np.ndarray, x: np.ndarray, cols, w_shape, stride, lo, hi, dil, groups: int) -> np.ndarray:
    """Gradient of ``conv`` w.r.t. its weight: ``cols^T @ g`` summed over the batch (``cols``
    from the forward, or rebuilt from ``x`` when it was not kept)."""
    return _weight_grad(g, None, x, cols, tuple(w_shape), stride, lo, hi, dil, groups)


def _weight_grad(g, g_cl, x, cols, w_shape, stride, lo, hi, dil, groups: int) -> np.ndarray:
    n, o = g.shape[:2]
    cg = w_shape[1]
    k = w_shape[2:]
    out_sp = g.shape[2:]
    dt = np.result_type(g.dtype, x.dtype)
    if g.size == 0 or x.size == 0:
        return np.zeros(w_shape, dt)
    if _channels_last(k, stride, lo, hi, cg):
        if cols is None:
            cols = _cols_cl(_to_cl(x, lo, hi), k, stride, dil, out_sp, groups)
        if g_cl is None:
            g_cl = _to_cl(g).reshape(-1, o)
        return _wgrad_cl(cols, g_cl, w_shape, groups)
    L = math.prod(out_sp)
    og = o // groups
    if cols is None:
        cols = x if _is_pointwise(k, stride, lo, hi) else im2col(pad(x, lo, hi), k, stride, dil, out_sp)
    kk = math.prod(k)
    c4 = cols.reshape(n, groups, cg * kk, L)
    g4 = g.reshape(n, groups, og, L)
    if og * cg * kk <= 64:
        # depthwise-like: tiny per-group products; one einsum beats N * groups GEMM calls
        r = np.einsum("ngol,ngkl->gok", g4, c4)
    else:
        r = np.matmul(g4, c4.transpose(0, 1, 3, 2))
        r = r[0] if n == 1 else r.sum(0)
    return r.reshape(w_shape)


def conv_backward(g: np.ndarray, x, w, cols, x_sp, w_shape, stride, lo, hi, dil, groups: int, need_x: bool,
                  need_w: bool):
    """``(grad_input, grad_weight)`` of ``conv`` (None where not needed); the channels-last
    transpose of ``g`` is shared by both."""
    g_cl = None
    if need_w and g.size and _channels_last(tuple(w_shape[2:]), stride, lo, hi, w_shape[1]):
        g_cl = _to_cl(g).reshape(-1, g.shape[1])
    gx = _input_grad(g, g_cl, w, tuple(x_sp), stride, lo, hi, dil, groups) if need_x else None
    gw = _weight_grad(g, g_cl, x, cols, tuple(w_shape), stride, lo, hi, dil, groups) if need_w else None
    return gx, gw


def bias_grad(g: np.ndarray) -> np.ndarray:
    """Sum of ``g`` over the batch and spatial dims."""
    n, o = g.shape[:2]
    g3 = g.reshape(n, o, math.prod(g.shape[2:]))
    if g.dtype.kind == "f" and g.dtype.itemsize >= 4 and g3.shape[2] >= 16 and g.flags.c_contiguous:
        # BLAS ones-vector products sum faster than NumPy's strided reduction
        return np.matmul(g3, np.ones(g3.shape[2], g.dtype)).sum(0)
    return g3.sum((0, 2))
