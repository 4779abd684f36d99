"""Kernels and autograd nodes shared by the pooling functions.

Inputs arrive as ``(B, *S)`` arrays (``B`` = batch x channels) and outputs leave as
``(B, *O)``.  Three window families:

* **regular windows** (max/avg pooling, divisible adaptive pooling): the input, padded only
  when padding or the ceil-mode overhang needs it (``-inf`` / the integer minimum for max, 0
  for avg), is treated as one flat vector and reduced one pooled dim at a time, innermost
  first: ``v[j] = reduce_t v[j + t*offset]`` is a few contiguous (or, for the innermost
  strided dim, 1-D strided) ufunc calls, which avoids NumPy's per-row overhead on small images;
  the windows are then read off at their flat start positions.  A max keeps, per dim, the
  winning tap as a small integer code updated arithmetically (``code = max(code, (v > m)*t)``,
  i.e. the first maximum, torch's rule); chaining the codes from the outermost dim inwards
  gives the flat index;
* **index-table windows** (uneven adaptive pooling, fractional pooling): per dimension, a table
  of candidate positions for each output position; max runs one dimension at a time
  (separable, first maximum in row-major order), averages apply a banded matrix per dimension;
* the gradient of every max-type op is a scatter of the upstream gradient to the argmax
  positions (plain assignment when windows cannot overlap, ``np.add.at`` otherwise).

NaN follows torch: a window containing NaN gives NaN and the index of its *last* NaN.  Under
``create_graph`` the backward of each op is itself a node (``...BackwardBackward0``) whose
backward is the forward op again, so gradients of any order are exact.
"""
from __future__ import annotations

from functools import lru_cache
from math import prod
from typing import Optional

import numpy as np

from ..._ops._helpers import make
from ...autograd.grad_mode import GRAD
from ...autograd.graph import _LEGACY, edge, node_class

_WORDS = {1: "one", 2: "two", 3: "three"}


def cname(dt) -> str:
    """torch's scalar-type name of a NumPy dtype ('Float', 'Long', ...), as in its dispatch errors."""
    return _LEGACY.get(np.dtype(dt).name, np.dtype(dt).name)


def pool_out(size: int, k: int, p: int, s: int, d: int, ceil: bool) -> int:
    """Output length of one pooled dimension, with torch's checks in torch's order; in ceil mode
    the last window must start inside the input or its left padding."""
    if s == 0:
        raise RuntimeError("stride should not be zero")
    if p < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
    eff = (k - 1) * d + 1
    if p > int(eff / 2):  # C++ division truncates toward zero
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k} "
                           f"and dilation={d}")
    o = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    if ceil and (o - 1) * s >= size + p:
        o -= 1
    return o


def _code_dtype(n: int):
    return np.uint8 if n <= 256 else (np.uint16 if n <= 65536 else np.int64)


def _strides(S) -> list:
    out, acc = [], 1
    for n in reversed(S):
        out.append(acc)
        acc *= n
    return out[::-1]


# ------------------------------------------------------------------ regular windows
class Win:
    """Geometry of regular windows over the trailing ``len(S)`` axes of a ``(B, *S)`` array.

    The input is laid out (padded only when needed) as ``P`` of shape ``(B, *T)`` and handled as
    one flat vector: along each pooled dim, innermost first, ``v[j] = reduce_t v[j + t*off]``
    is a handful of contiguous 1-D ufunc calls (NumPy's per-row overhead on small images
    would otherwise dominate), and the windows are read off at their flat start positions."""

    __slots__ = ("S", "O", "k", "s", "p", "d", "T", "pad", "overlap", "key")

    def __init__(self, S, O, k, s, p, d) -> None:
        self.S, self.O, self.k, self.s, self.p, self.d = tuple(S), tuple(O), tuple(k), tuple(s), tuple(p), tuple(d)
        ext = [(ki - 1) * di + (oi - 1) * si + 1 for ki, di, oi, si in zip(k, d, O, s)]
        self.T = tuple(max(pi + n, e) for pi, n, e in zip(p, S, ext))
        self.pad = any(pi > 0 or t > n for pi, t, n in zip(p, self.T, S))
        self.overlap = any(si < (ki - 1) * di + 1 for si, ki, di in zip(s, k, d))
        self.key = (self.S, self.O, self.k, self.s, self.p, self.d)

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other) -> bool:
        return isinstance(other, Win) and other.key == self.key

    def source(self, x: np.ndarray, fill) -> np.ndarray:
        """The flat padded input ``P`` (length ``B * prod(T)``)."""
        if not self.pad:
            return np.ascontiguousarray(x).reshape(-1)
        P = np.full((x.shape[0],) + self.T, fill, x.dtype)
        P[(slice(None),) + tuple(slice(pi, pi + n) for pi, n in zip(self.p, self.S))] = x
        return P.reshape(-1)

    def crop(self, R: np.ndarray, B: int) -> np.ndarray:
        """The input region ``(B, *S)`` of a flat ``(B, *T)`` buffer."""
        R = R.reshape((B,) + self.T)
        if not self.pad:
            return R
        return np.ascontiguousarray(R[(slice(None),) + tuple(slice(pi, pi + n) for pi, n in zip(self.p, self.S))])

    def plan(self, B: int):
        """``(steps, starts)``: the reducing steps, innermost dim first, each
        ``(dim, kernel, tap offset, output stride, output length)`` (step ``j`` of an output
        reads ``v[j*stride + t*offset]``), and the start of every window in the last step's
        output, shape ``(B, *O)``.  When the innermost stride divides the row length, the first
        step keeps only the window-start columns (1-D strided reads, ``s`` times less work)."""
        return _plan(self.key, self.T, B)


@lru_cache(maxsize=128)
def win(S: tuple, O: tuple, k: tuple, s: tuple, p: tuple, d: tuple) -> Win:
    """The (cached) ``Win`` of a geometry; arguments are tuples."""
    return Win(S, O, k, s, p, d)


@lru_cache(maxsize=64)
def _plan(key, T, B):
    S, O, k, s, p, d = key
    n = len(S)
    st = _strides(T)
    L = B * prod(T)
    steps = []
    scale = 1
    for i in reversed(range(n)):
        if i == n - 1 and s[i] > 1 and T[i] % s[i] == 0:
            scale = s[i]
            L = (L - 1 - (k[i] - 1) * d[i]) // scale + 1
            steps.append((i, k[i], d[i], scale, L))
        elif k[i] > 1:
            off = d[i] * st[i] // scale
            L = L - (k[i] - 1) * off
            steps.append((i, k[i], off, 1, L))
    Tc = T[:-1] + (T[-1] // scale,)       # the layout of the last step's output
    stc = _strides(Tc)
    start = np.zeros(O, np.int64)
    for i in range(n):
        sh = [1] * n
        sh[i] = O[i]
        step = s[i] * stc[i] if i < n - 1 else s[i] // scale
        start = start + (np.arange(O[i], dtype=np.int64) * step).reshape(sh)
    g = (np.arange(B, dtype=np.int64) * prod(Tc)).reshape((B,) + (1,) * n) + start
    g.flags.writeable = False
    grid = None
    if s[-1] // scale == 1 or O[-1] == 1:
        # the window starts are runs of O[-1] consecutive elements on a strided grid: read them
        # as one NumPy "void" item per run (far cheaper than np.take)
        grid = ((B,) + O[:-1], (prod(Tc),) + tuple(s[i] * stc[i] for i in range(n - 1)), O[-1])
    return tuple(steps), g, grid


def _grid(v: np.ndarray, grid) -> np.ndarray:
    shape, est, run = grid
    isz = v.itemsize
    return np.ndarray(buffer=v, dtype=np.dtype((np.void, run * isz)), shape=shape,
                      strides=tuple(e * isz for e in est))


def _extract(v: np.ndarray, starts: np.ndarray, grid) -> np.ndarray:
    """``v`` at the window starts, shape ``starts.shape``."""
    if grid is None or starts.size < 4096:   # small: np.take beats building the strided view
        return np.take(v, starts)
    return _grid(v, grid).copy().view(v.dtype).reshape(starts.shape)


def _tap(v: np.ndarray, t: int, off: int, stride: int, L: int) -> np.ndarray:
    return v[t * off:t * off + (L - 1) * stride + 1:stride] if stride > 1 else v[t * off:t * off + L]


@lru_cache(maxsize=256)
def _index_tables(key):
    """(flat input index of each window's first tap, flat offset of each kernel code (row-major
    taps), index of each window's first tap inside the input, whether every window holds an
    input element, per-dim candidate tables for ``sep_max``) for regular windows."""
    S, O, k, s, p, d = key
    st = _strides(S)
    n = len(S)
    base = np.zeros(O, np.int64)
    first = np.zeros(O, np.int64)
    valid = True
    tables = []
    for i in range(n):
        sh = [1] * n
        sh[i] = O[i]
        start = np.arange(O[i], dtype=np.int64) * s[i] - p[i]
        base = base + (start * st[i]).reshape(sh)
        t = (np.maximum(-start, 0) + d[i] - 1) // d[i]     # first tap landing inside the input
        valid = valid and bool(np.all((t < k[i]) & (start + t * d[i] < S[i])))
        first = first + ((start + np.minimum(t, k[i] - 1) * d[i]) * st[i]).reshape(sh)
        # taps outside the input repeat the nearest tap inside: neither the maximum nor the
        # first-max / last-NaN element changes
        pos = start[:, None] + np.arange(k[i]) * d[i]
        lo = start + t * d[i]
        hi = start + ((S[i] - 1 - start) // d[i]) * d[i]
        tables.append(np.clip(np.clip(pos, lo[:, None], hi[:, None]), 0, S[i] - 1))
    offt = np.zeros(prod(k), np.int64)
    for j in range(n):
        sh = [1] * n
        sh[j] = k[j]
        offt = (offt.reshape(k) + (np.arange(k[j]) * d[j] * st[j]).reshape(sh)).reshape(-1)
    for a in (base, first, offt):
        a.flags.writeable = False
    return base, offt, first, valid, tables


@lru_cache(maxsize=64)
def _global_base(key, B):
    base = _index_tables(key)[0]
    S = key[0]
    g = (np.arange(B, dtype=np.int64) * prod(S)).reshape((B,) + (1,) * len(S)) + base
    g.flags.writeable = False
    return g


def windows_valid(w: "Win") -> bool:
    """False when some window (dilated, in padding) holds no input element: torch then reports
    ``-inf`` with an index outside the plane, whose gradient numtorch drops."""
    return _index_tables(w.key)[3]


def _last_nan(cand, n, m, a) -> None:
    """Point the code of every NaN window at its last NaN (torch's ``val > max || isnan(val)``)."""
    nanm = np.isnan(m)
    if nanm.any():
        for j in range(n):
            np.copyto(a, j, where=nanm & np.isnan(cand(j)), casting="unsafe")


def max_regular(x: np.ndarray, w: Win, need_idx: bool, plane_idx: bool = True):
    """Max over regular windows: ``(values (B, *O), flat input-plane indices, global flat input
    indices)``.  Indices are computed only with ``need_idx``; the global ones only without
    padding, the per-plane ones only with ``plane_idx`` or padding.

    The winning tap is kept as one row-major kernel code: the innermost step sets it with
    ``code = max(code, (v > m) * t)``, outer steps select the inner code of their winning tap
    with wrapping integer arithmetic (``c += gt * (x - c)``; ``np.where`` is far slower).  A
    window holding NaN is redone exactly by ``sep_max`` (torch reports its last NaN)."""
    B = x.shape[0]
    kind = x.dtype.kind
    if B == 0:
        e = np.zeros((0,) + w.O, np.int64) if need_idx else None
        return np.zeros((0,) + w.O, x.dtype), e, e
    fill = -np.inf if kind == "f" else np.iinfo(x.dtype).min
    v = w.source(x, fill)
    steps, starts, grid = w.plan(B)
    cd = _code_dtype(prod(w.k))
    c = None
    inner = 1
    for _, k, off, st, L in steps:
        taps = [_tap(v, t, off, st, L) for t in range(k)]
        ct = [_tap(c, t, off, st, L) for t in range(k)] if need_idx and c is not None else None
        if k == 1:   # compaction only
            m = taps[0].copy()
            if ct is not None:
                c = ct[0].copy()
        else:
            m = np.maximum(taps[0], taps[1])
            if need_idx:
                gt = np.greater(taps[1], taps[0])
                if ct is None:
                    c = gt.view(np.uint8) if cd is np.uint8 else gt.astype(cd)
                else:
                    c = ct[0].copy()
                    c += gt * (ct[1] + cd(inner) - c)
            for t in range(2, k):
                if need_idx:
                    gt = np.greater(taps[t], m)
                    if ct is None:
                        np.maximum(c, np.multiply(gt, t, dtype=cd), out=c)
                    else:
                        c += gt * (ct[t] + cd(t * inner) - c)
                np.maximum(m, taps[t], out=m)
            inner *= k
        v = m
    out = _extract(v, starts, grid)
    if kind == "f" and np.isnan(np.max(out)):   # max propagates NaN: one cheap reduction
        out, idx = sep_max(x, _index_tables(w.key)[4], need_idx)
        if not need_idx:
            return out, None, None
        return out, idx, (None if w.pad else idx + (_global_base(w.key, B) - _index_tables(w.key)[0]))
    if not need_idx:
        return out, None, None
    base, offt, first, _, _ = _index_tables(w.key)
    off = np.take(offt, _extract(c, starts, grid)) if c is not None else np.zeros(out.shape, np.int64)
    idx = off + base if plane_idx or w.pad else None
    if w.pad:
        # a window whose input elements all equal the fill value may have picked a padding cell:
        # torch reports its first element inside the input
        bad = out == fill
        if bad.any():
            idx = np.where(bad, first, idx)
        return out, idx, None
    return out, idx, off + _global_base(w.key, B)


def _divisor(w: Win, include_pad: bool, override):
    """The avg-pool divisor: an int, or an int64 array of shape ``O`` where it varies."""
    if override is not None:
        return int(override)
    return _divisor_table(w, include_pad)


@lru_cache(maxsize=64)
def _divisor_table(w: Win, include_pad: bool):
    div = np.ones((), np.int64)
    for i in range(len(w.S)):
        start = np.arange(w.O[i], dtype=np.int64) * w.s[i] - w.p[i]
        if include_pad:
            cnt = np.minimum(start + w.k[i], w.S[i] + w.p[i]) - start
        else:
            cnt = np.minimum(start + w.k[i], w.S[i]) - np.maximum(start, 0)
        sh = [1] * len(w.S)
        sh[i] = w.O[i]
        div = div * cnt.reshape(sh)
    if div.size and (div == div.flat[0]).all():
        return int(div.flat[0])
    div.flags.writeable = False
    return div


def _divide(acc: np.ndarray, div) -> np.ndarray:
    if acc.dtype.kind == "f":
        return np.divide(acc, np.asarray(div, acc.dtype), out=acc)
    return np.trunc(acc / div).astype(acc.dtype)   # torch's integer average truncates toward zero


class AvgReg:
    """An average over regular windows: ``fwd`` pools a ``(B, *S)`` array, ``bwd`` is its
    adjoint; both return a new array of the requested (caller's) shape."""

    __slots__ = ("w", "div", "name")

    def __init__(self, w: Win, include_pad: bool, override, name: str) -> None:
        self.w = w
        self.div = _divisor(w, include_pad, override)
        self.name = name

    def fwd(self, x: np.ndarray, shape: tuple) -> np.ndarray:
        w = self.w
        B = x.shape[0]
        acc_dt = x.dtype if x.dtype.kind == "f" else np.dtype(np.int64)
        if B == 0:
            return np.zeros(shape, acc_dt)
        v = w.source(x, 0)
        if v.dtype != acc_dt:
            v = v.astype(acc_dt)
        steps, starts, grid = w.plan(B)
        for _, k, off, st, L in steps:
            m = np.add(_tap(v, 0, off, st, L), _tap(v, 1, off, st, L)) if k > 1 else np.array(_tap(v, 0, off, st, L))
            for t in range(2, k):
                np.add(m, _tap(v, t, off, st, L), out=m)
            v = m
        return _divide(_extract(v, starts, grid), self.div).reshape(shape)

    def bwd(self, g: np.ndarray, shape: tuple) -> np.ndarray:
        w = self.w
        B = g.shape[0]
        res = np.zeros(shape, g.dtype)   # the engine adopts a fresh base array without copying it
        if B == 0:
            return res
        gd = g / np.asarray(self.div, g.dtype)
        steps, starts, grid = w.plan(B)
        lens = [B * prod(w.T)] + [L for *_, L in steps]
        R = np.zeros(lens[-1], g.dtype) if steps or w.pad else res.reshape(-1)
        if grid is None or starts.size < 4096:
            R[starts.ravel()] = gd.ravel()
        else:
            gv = _grid(R, grid)
            gv[...] = np.ascontiguousarray(gd).view(gv.dtype).reshape(gv.shape)
        for j, ((_, k, off, st, L), L_in) in enumerate(zip(reversed(steps), reversed(lens[:-1]))):
            Rin = res.reshape(-1) if j == len(steps) - 1 and not w.pad else np.zeros(L_in, g.dtype)
            for t in range(k):
                seg = _tap(Rin, t, off, st, L)
                np.add(seg, R, out=seg)
            R = Rin
        if w.pad:
            res.reshape((B,) + w.S)[...] = w.crop(R, B)
        return res


# ------------------------------------------------------------------ index-table windows
def adaptive_bounds(S: int, O: int):
    """torch's adaptive windows: ``[floor(o*S/O), ceil((o+1)*S/O))``."""
    o = np.arange(O, dtype=np.int64)
    return (o * S) // O, -((-(o + 1) * S) // O)


def adaptive_table(S: int, O: int) -> np.ndarray:
    """``(O, L)`` candidate positions of each adaptive window; short windows repeat their last
    element, which changes neither the maximum nor the first/last-NaN position."""
    start, end = adaptive_bounds(S, O)
    L = int((end - start).max()) if O else 1
    return np.minimum(start[:, None] + np.arange(L), end[:, None] - 1)


def sep_max(x: np.ndarray, tables: list, need_idx: bool):
    """Max over windows given per spatial dim by candidate-position tables, one dim at a time
    (last first): ``tables[i]`` is ``(O_i, L_i)`` (shared by all planes) or ``(B, O_i, L_i)``.
    Returns ``(values (B, *O), flat input-plane indices or None)``."""
    n = x.ndim - 1
    S = x.shape[1:]
    v = x
    chosen: dict = {}
    for ax in range(n, 0, -1):
        T = tables[ax - 1]
        O, L = T.shape[-2:]
        if T.ndim == 2:
            def cand(t, T=T, v=v, ax=ax):
                return np.take(v, T[:, t], axis=ax)
        else:
            sh = [T.shape[0]] + [1] * n
            sh[ax] = O

            def cand(t, T=T, v=v, ax=ax, sh=sh):
                return np.take_along_axis(v, T[:, :, t].reshape(sh), ax)
        m = cand(0)
        a = np.zeros(m.shape, _code_dtype(L)) if need_idx else None
        for t in range(1, L):
            c = cand(t)
            if need_idx:
                gt = np.greater(c, m)
                np.maximum(m, c, out=m)
                np.maximum(a, np.multiply(gt, t, dtype=a.dtype), out=a)
            else:
                np.maximum(m, c, out=m)
        if need_idx:
            if m.dtype.kind == "f":
                _last_nan(cand, L, m, a)
            sh = [1] * (n + 1)
            sh[ax] = O
            oc = np.arange(O, dtype=np.int64).reshape(sh)
            if T.ndim == 3:
                bsh = [1] * (n + 1)
                bsh[0] = T.shape[0]
                oc = oc + np.arange(T.shape[0], dtype=np.int64).reshape(bsh) * O
            pos = T.ravel()[oc * L + a]
            for k in chosen:
                chosen[k] = np.take_along_axis(chosen[k], pos, ax)
            chosen[ax] = pos
        v = m
    if not need_idx:
        return v, None
    st = _strides(S)
    idx = np.zeros(v.shape, np.int64)
    for ax, pos in chosen.items():
        idx += pos * st[ax - 1]
    return v, idx


def band(M: np.ndarray):
    """A dense ``(R, C)`` matrix as a band: ``(pos, wts)`` of shape ``(R, L)`` holding each row's
    non-zero columns, so ``y[r] = sum_t wts[r, t] * x[pos[r, t]]``; unused slots point at an
    extra zero element ``x[C]`` (so NaN / inf elsewhere never leak in through a 0 weight)."""
    R, C = M.shape
    nz = M != 0
    L = max(int(nz.sum(1).max()) if R and C else 0, 1)
    pos = np.argsort(~nz, axis=1, kind="stable")[:, :L] if C else np.zeros((R, L), np.int64)
    wts = np.take_along_axis(M, pos, 1) if C else np.zeros((R, L), M.dtype)
    return np.where(wts != 0, pos, C), wts


def band_apply(x: np.ndarray, bands: list) -> np.ndarray:
    """Apply one band per spatial dim of a ``(B, *S)`` array (last dim first)."""
    n = x.ndim - 1
    v = x
    for ax in range(n, 0, -1):
        pos, wts = bands[ax - 1]
        sh = [1] * (n + 1)
        sh[ax] = pos.shape[0]
        zshape = list(v.shape)
        zshape[ax] = 1
        ve = np.concatenate([v, np.zeros(zshape, v.dtype)], axis=ax)
        out = None
        for t in range(pos.shape[1]):
            c = np.take(ve, pos[:, t], axis=ax)
            c *= wts[:, t].astype(x.dtype).reshape(sh)
            if out is None:
                out = c
            else:
                out += c
        v = out
    return v


def _along(x: np.ndarray, M: np.ndarray, ax: int) -> np.ndarray:
    """``y[..., o, ...] = sum_s M[o, s] x[..., s, ...]`` along axis ``ax``, as one GEMM."""
    xm = np.moveaxis(x, ax, -1)
    y = np.ascontiguousarray(xm).reshape(-1, xm.shape[-1]) @ M.T
    return np.moveaxis(y.reshape(xm.shape[:-1] + (M.shape[0],)), -1, ax)


class AvgBand:
    """A separable average given by per-dim weight matrices (uneven adaptive average pooling):
    a dense GEMM per dim when the matrix is small, else a banded sum (``band_apply``)."""

    __slots__ = ("mats", "fwd_bands", "bwd_bands", "name")

    def __init__(self, mats: list, name: str) -> None:
        self.mats = mats
        dense = all(M.size <= 8192 for M in mats)
        self.fwd_bands = None if dense else [band(M) for M in mats]
        self.bwd_bands = None if dense else [band(M.T) for M in mats]
        self.name = name

    def _dense(self, x: np.ndarray, transpose: bool) -> np.ndarray:
        # 0 * inf and 0 * NaN are NaN: a dense product would leak them into other windows
        if x.dtype.itemsize < 4 or not x.size or not np.isfinite(np.add.reduce(x, axis=None)):
            bands = [band(M.T if transpose else M) for M in self.mats]
            return band_apply(x, bands)
        v = x
        for ax in range(x.ndim - 1, 0, -1):
            M = self.mats[ax - 1]
            v = _along(v, (M.T if transpose else M).astype(x.dtype), ax)
        return v

    def fwd(self, x: np.ndarray, shape: tuple) -> np.ndarray:
        r = self._dense(x, False) if self.fwd_bands is None else band_apply(x, self.fwd_bands)
        return _fresh(r, shape)

    def bwd(self, g: np.ndarray, shape: tuple) -> np.ndarray:
        r = self._dense(g, True) if self.bwd_bands is None else band_apply(g, self.bwd_bands)
        return _fresh(r, shape)


def _fresh(a: np.ndarray, shape: tuple) -> np.ndarray:
    """``a`` reshaped to ``shape`` as a C-contiguous array owning its memory (the engine adopts
    such gradient arrays as ``.grad`` without a copy)."""
    r = np.ascontiguousarray(a).reshape(shape)
    return r if r.base is None else r.copy()


def adaptive_matrix(S: int, O: int) -> np.ndarray:
    start, end = adaptive_bounds(S, O)
    j = np.arange(S)
    M = ((j >= start[:, None]) & (j < end[:, None])).astype(np.float64)
    return M / np.maximum(end - start, 1)[:, None]


class Gather:
    """A max-type op with fixed argmax positions: ``fwd`` gathers ``(B, *S) -> (B, *O)`` at the
    flat input-plane indices, ``bwd`` scatters back (summing where windows overlap).  With
    ``valid=False`` indices outside the plane (see ``windows_valid``) point at a scratch slot
    past each plane: they gather 0 and their gradient is dropped."""

    __slots__ = ("idx", "S", "overlap", "name", "extra", "gflat")

    def __init__(self, idx: Optional[np.ndarray], S: tuple, overlap: bool, name: str, valid: bool = True,
                 gflat: Optional[np.ndarray] = None) -> None:
        """``idx``: flat input-plane indices ``(B, *O)``; ``gflat``: the same as global flat
        indices into ``(B, *S)``, when the caller has them (either may be None)."""
        n = prod(S)
        self.extra = 0 if valid else 1
        if not valid:
            idx = np.where((idx >= 0) & (idx < n), idx, n)
            gflat = None
        self.idx, self.S, self.overlap, self.name, self.gflat = idx, tuple(S), overlap, name, gflat

    def fwd(self, x: np.ndarray, shape: tuple) -> np.ndarray:
        B = x.shape[0]
        n = prod(self.S)
        if self.idx is None:
            return np.take(x.reshape(-1), self.gflat.reshape(shape))
        src = x.reshape(B, n)
        if self.extra:
            src = np.concatenate([src, np.zeros((B, 1), x.dtype)], axis=1)
        idx = self.idx.reshape(B, prod(self.idx.shape[1:]))
        return _fresh(np.take_along_axis(src, idx, 1), shape)

    def bwd(self, g: np.ndarray, shape: tuple) -> np.ndarray:
        B = g.shape[0]
        n = prod(self.S) + self.extra
        if self.gflat is not None:
            gi = self.gflat
        else:
            gi = self.idx.reshape(B, prod(self.idx.shape[1:]))
            if B > 1:
                gi = gi + (np.arange(B, dtype=np.int64) * n)[:, None]
        res = np.zeros(shape, g.dtype)
        r = res.reshape(-1) if not self.extra else np.zeros(B * n, g.dtype)
        if self.overlap:
            np.add.at(r, gi.ravel(), g.ravel())
        else:
            r[gi.ravel()] = g.ravel()
        if self.extra:
            res.reshape(B, n - 1)[...] = r.reshape(B, n)[:, :n - 1]
        return res


# ------------------------------------------------------------------ nodes
# ctx of every pooling node: (op, user input shape, user output shape, number of pooled dims);
# op.fwd / op.bwd take (B, *spatial) arrays and return a new array of the requested shape
def _bw(ctx, saved, g):
    op, in_shape, out_shape, nsp = ctx
    if type(g) is np.ndarray:
        return (_call(op.bwd, g, out_shape, in_shape, nsp),)
    return (apply_t(g, ctx, True),)


def _bb(ctx, saved, gg):
    op, in_shape, out_shape, nsp = ctx
    if type(gg) is np.ndarray:
        return (_call(op.fwd, gg, in_shape, out_shape, nsp),)
    return (apply_t(gg, ctx, False),)


def _call(fn, arr, src_shape, dst_shape, nsp):
    lead = src_shape[:len(src_shape) - nsp]
    B = prod(lead)
    return fn(np.ascontiguousarray(arr).reshape((B,) + tuple(src_shape[len(src_shape) - nsp:])), dst_shape)


_FWD: dict = {}
_BB: dict = {}


def node_pair(name: str):
    """The node classes of an op (``name``) and of its backward (``...BackwardBackward0``)."""
    c = _FWD.get(name)
    if c is None:
        c = _FWD[name] = node_class(name, _bw)
        _BB[name] = node_class(name.replace("Backward0", "BackwardBackward0"), _bb)
    return c, _BB[name]


def apply_t(t, ctx, adjoint: bool):
    """``op.bwd`` (adjoint) or ``op.fwd`` on a Tensor, recording a node under grad mode."""
    op, in_shape, out_shape, nsp = ctx
    if adjoint:
        r = _call(op.bwd, t._data, out_shape, in_shape, nsp)
    else:
        r = _call(op.fwd, t._data, in_shape, out_shape, nsp)
    if GRAD[0] and t._rg:
        fwd_cls, bb_cls = node_pair(op.name)
        return make(r, True, (bb_cls if adjoint else fwd_cls)((edge(t),), ctx))
    return make(r, False, None)


def record(input, out: np.ndarray, op, nsp: int, extra_saved: tuple = ()):
    """The result tensor of a pooling op on ``input``, with its node when grad is needed; the
    node saves ``input`` (and ``extra_saved`` records) for torch's in-place checks."""
    if GRAD[0] and input._rg:
        fwd_cls, _ = node_pair(op.name)
        node = fwd_cls((edge(input),), (op, tuple(input._data.shape), tuple(out.shape), nsp))
        node._saved = ((input, input._data, input._vc, input._vc[0]),) + extra_saved
        return make(out, True, node)
    return make(out, False, None)
