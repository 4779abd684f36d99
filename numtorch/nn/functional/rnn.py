"""Array kernels of the recurrent layers (nn.RNN / nn.LSTM / nn.GRU); torch exposes no
functional form of them, so nothing here is public.

One layer, both directions, is one autograd node (``_rnn_layer``).  The forward

* projects the input of every time step and both directions with one (batched) GEMM,
  ``x(T*B, in) @ W_ih.T`` with the directions' weights stacked, biases added once;
* runs the one time loop: per step one product ``h @ W_hh.T`` (a batched matmul over the two
  directions when the sequence is not packed; see ``_StepMM`` for why it is cut into column
  blocks), then the gate nonlinearities vectorised over all gates of the step.
  ``sigmoid(z) = 0.5 * tanh(z / 2) + 0.5``: the sigmoid gates' rows are pre-scaled by 1/2 in
  the weight copies made for the loop (exact in binary floating point), so one ``tanh`` over
  the step's gates plus one multiply-add with per-gate constants gives all LSTM gates;
* writes activations, cell and hidden states into preallocated buffers in *step order* (the
  reverse direction's step ``s`` is time ``T - 1 - s``), which the backward reuses.  The LSTM
  keeps its gates gate-major, (D, 4, T, B, H), so every gate of a step is a contiguous block.

The backward runs one loop over steps writing the pre-activation gate gradients into a
preallocated (D, T, B, G*H) buffer (the LSTM forms the products of saved activations it needs
inside the step, on data in cache; GRU and RNN precompute theirs for all steps at once); after
the loop each weight gradient is one GEMM (``dgates(T*B, G*H).T @ x``,
``dgates.T @ h_prev``) and the input gradient one GEMM.

With one direction and enough work, the big GEMMs leave the critical path: the projection of
later time chunks and the weight / input gradients of finished chunks run on numtorch's helper
thread (BLAS single-threaded there) while the time loop runs on the calling thread
(``_Background``).

Packed sequences run over the padded layout: ``batch_sizes`` decreases, so at each step the
active rows of a direction are a prefix ``[:n]`` and the loop slices instead of masking;
finished (forward) or not yet started (reverse) rows carry their state unchanged, so the last
state buffer holds every sequence's final state.

Gate orders are torch's: LSTM (i, f, g, o), GRU (r, z, n).  Double backward is not supported
(``NotImplementedError``); the cell modules are built from differentiable ops instead.
"""
from __future__ import annotations

import threading

import numpy as np

from ..._ops import _par as P
from ..._ops._helpers import make
from ...autograd.grad_mode import GRAD
from ...autograd.graph import NO_EDGE, NONE_REC, edge, node_class

__all__: list = []

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class _Seq:
    """Time/batch layout shared by all layers of one forward: ``T`` steps of ``B`` rows; for a
    packed input ``bs`` (batch size per time step) and, per direction, the flat index
    ``step * B + row`` (step order) of every packed row."""

    __slots__ = ("T", "B", "bs", "idx", "N")

    def __init__(self, T: int, B: int, batch_sizes=None) -> None:
        self.T, self.B = T, B
        self.bs = self.idx = None
        self.N = T * B
        if batch_sizes is not None:
            bs = np.asarray(batch_sizes, dtype=np.int64)
            self.bs = bs.tolist()
            self.N = int(bs.sum())
            t = np.repeat(np.arange(T), bs)
            b = np.arange(self.N) - np.repeat(np.cumsum(bs) - bs, bs)
            self.idx = (t * B + b, (T - 1 - t) * B + b)


def _rec(t):
    return (t, t._data, t._vc, t._vc[0]) if t is not None else NONE_REC


def _gate_consts(mode, H, dt):
    """Per-gate scale applied to the pre-activations (1/2 on sigmoid gates) and the LSTM
    shift that turns ``tanh`` of the halved value back into the sigmoid."""
    if mode == "LSTM":
        sc = np.full(4 * H, 0.5, dt)
        sc[2 * H:3 * H] = 1
        sh = sc.copy()
        sh[2 * H:3 * H] = 0
        return sc, sh
    if mode == "GRU":
        sc = np.full(3 * H, 0.5, dt)
        sc[2 * H:] = 1
        return sc, None
    return None, None


_SMALL_MNK = 1_000_000


class _StepMM:
    """``out = a @ W`` for the per-step products of the time loop (``W`` fixed for the loop).

    NumPy's OpenBLAS multiplies products with ``M * K * N <= 1e6`` with its small-matrix
    kernel (no packing, one thread); above that every call packs all of ``W`` again, for a
    20-row step product more work than the product itself.  So a large ``W`` is laid out once
    as contiguous column blocks under that size (a (20, 256) @ (256, 1024) step runs ~25%
    faster and does not wait on BLAS thread hand-offs); small products stay one call.
    ``W`` may be any view (a transposed weight): it is copied once, times ``scale`` (per
    column) if given.  With ``gates`` the columns are that many gates and ``out`` is
    gate-major (..., gates, M, N // gates)."""

    __slots__ = ("W", "blocks", "gates")

    def __init__(self, W: np.ndarray, M: int, gates: int = 0, scale=None) -> None:
        K, N = W.shape[-2:]
        lead = W.shape[:-2]
        self.gates = gates
        width = N // gates if gates else N
        cw = width
        if M * K * width > _SMALL_MNK and M * K:
            cw = _SMALL_MNK // (M * K) // 16 * 16
            while cw >= 32 and width % cw:
                cw -= 16
            if cw < 32 or N // cw > 16:
                cw = width
        nb = N // cw
        if nb == 1 and not gates:
            self.W = np.multiply(W, scale) if scale is not None else np.ascontiguousarray(W)
            self.blocks = None
            return
        # (lead..., nb, K, cw): block j is columns [j cw, (j + 1) cw) of W, contiguous
        Wb = np.empty(lead + (nb, K, cw), W.dtype)
        src = W.reshape(lead + (K, nb, cw)).swapaxes(-3, -2)
        if scale is not None:
            np.multiply(src, scale.reshape(nb, 1, cw), out=Wb)
        else:
            np.copyto(Wb, src)
        self.W = Wb
        per = width // cw
        self.blocks = [((j // per, slice(j % per * cw, j % per * cw + cw)) if gates else slice(j * cw, j * cw + cw),
                        Wb[..., j, :, :]) for j in range(nb)]

    def __call__(self, a: np.ndarray, out: np.ndarray) -> None:
        if self.blocks is None:
            np.matmul(a, self.W, out=out)
        elif self.gates:
            for (k, sl), wb in self.blocks:
                np.matmul(a, wb, out=out[..., k, :, sl])
        else:
            for sl, wb in self.blocks:
                np.matmul(a, wb, out=out[..., sl])


_BLAS_LOCAL: list = []
_OVERLAP_MIN = 1 << 16   # steps * batch * gate width from which big GEMMs overlap the time loop


def _blas_one_thread() -> None:
    """Make this thread's BLAS calls single-threaded (OpenBLAS's per-thread setting, found in
    the library NumPy loaded); a no-op where the BLAS has no such setting."""
    if not _BLAS_LOCAL:
        fn = None
        try:
            import ctypes
            with open("/proc/self/maps") as f:
                paths = {ln.split()[-1] for ln in f if "openblas" in ln.lower() and ".so" in ln}
            for path in sorted(paths):
                lib = ctypes.CDLL(path)
                fn = getattr(lib, "openblas_set_num_threads_local", None)
                if fn is not None:
                    fn.argtypes, fn.restype = [ctypes.c_int], ctypes.c_int
                    break
        except (OSError, AttributeError, ValueError):
            fn = None
        _BLAS_LOCAL.append(fn)
    if _BLAS_LOCAL[0] is not None:
        _BLAS_LOCAL[0](1)


class _Background:
    """Work handed to numtorch's helper thread while the time loop runs on this one: the big
    GEMMs of finished time chunks (one task at a time, BLAS single-threaded there, so the loop
    keeps its core).  Without a second thread every task runs here, in order."""

    __slots__ = ("w", "busy")

    def __init__(self, use: bool) -> None:
        # the helper threads are numtorch's shared ones: only the main thread hands them work
        ok = use and P.get_threads() >= 2 and threading.current_thread() is threading.main_thread()
        self.w = P._workers(1)[0] if ok else None
        self.busy = False

    def run(self, fn) -> None:
        if self.w is None:
            fn()
            return
        if self.busy:
            self.w.wait()

        def task(out=None):
            _blas_one_thread()
            fn()
        self.busy = True
        self.w.submit(task, (), None)

    def finish(self) -> None:
        if self.busy:
            self.busy = False
            self.w.wait()


# ------------------------------------------------------------------ one time step, forward
def _lstm_step(a, hp, cp, hn, cn, tc, r, mm, whrT, tmp, tmpH, sc, sh):
    """``a`` (gate-major (..., 4, n, H)): the step's input projection, overwritten with its
    activations; ``tmp`` receives ``h_prev @ W_hh^T``, gate-major too."""
    mm(hp, tmp)
    np.add(a, tmp, out=a)
    np.tanh(a, out=a)
    np.multiply(a, sc, out=a)
    np.add(a, sh, out=a)                       # a = [i, f, tanh(g), o]
    np.multiply(a[..., 1, :, :], cp, out=cn)
    np.multiply(a[..., 0, :, :], a[..., 2, :, :], out=tmpH)
    np.add(cn, tmpH, out=cn)
    np.tanh(cn, out=tc)
    if whrT is None:
        np.multiply(a[..., 3, :, :], tc, out=hn)
    else:
        np.multiply(a[..., 3, :, :], tc, out=r)
        np.matmul(r, whrT, out=hn)


def _gru_step(g, hp, hn, hnb, mm, bhn, tmp, tmpH, H):
    mm(hp, tmp)
    rz = g[..., :2 * H]
    np.add(rz, tmp[..., :2 * H], out=rz)
    np.tanh(rz, out=rz)
    np.multiply(rz, 0.5, out=rz)
    np.add(rz, 0.5, out=rz)                    # r, z
    if bhn is None:
        np.copyto(hnb, tmp[..., 2 * H:])
    else:
        np.add(tmp[..., 2 * H:], bhn, out=hnb)  # W_hn h + b_hn, needed again by the backward
    n = g[..., 2 * H:]
    np.multiply(g[..., :H], hnb, out=tmpH)
    np.add(n, tmpH, out=n)
    np.tanh(n, out=n)
    np.subtract(hp, n, out=tmpH)
    np.multiply(g[..., H:2 * H], tmpH, out=tmpH)
    np.add(n, tmpH, out=hn)                    # h' = n + z * (h - n) = (1 - z) * n + z * h


def _rnn_step(g, hp, hn, mm, tmp, relu):
    mm(hp, tmp)
    np.add(g, tmp, out=tmp)
    if relu:
        np.maximum(tmp, 0, out=hn)
    else:
        np.tanh(tmp, out=hn)


# ------------------------------------------------------------------ layer forward
def _forward(mode, x, h0, c0, W, seq):
    """Forward of one layer on arrays.  ``x``: (T, B, in) or packed (N, in); ``h0``/``c0``:
    (D, B, .) or None; ``W``: per direction (w_ih, w_hh, b_ih, b_hh, w_hr) arrays or None.
    Returns (output, h_n, c_n, state for the backward)."""
    D = len(W)
    H = W[0][1].shape[0] // _GATES[mode]
    GH = W[0][1].shape[0]
    proj = W[0][4] is not None
    Hout = W[0][1].shape[1]
    dt = x.dtype
    T, B = seq.T, seq.B
    packed = seq.bs is not None
    lstm, gru = mode == "LSTM", mode == "GRU"
    alloc = np.zeros if packed else np.empty   # packed: rows never visited must stay finite
    sc, sh = _gate_consts(mode, H, dt)
    X2 = x.reshape(-1, x.shape[-1])
    # --- the input projection of every step and direction: one (batched) GEMM
    Wcat = W[0][0] if D == 1 else np.concatenate([w[0] for w in W])
    if sc is not None:
        Wcat = Wcat * (sc if D == 1 else np.tile(sc, D))[:, None]
    bcat = None
    if W[0][2] is not None:
        bv = []
        for w in W:
            b = w[2] + w[3] if not gru else w[2] + np.concatenate([w[3][:2 * H], np.zeros(H, dt)])
            bv.append(b * sc if sc is not None else b)
        bcat = bv[0] if D == 1 else np.concatenate(bv)
    # one direction, not packed: the projection of later time chunks is computed on the helper
    # thread while the loop runs over the first ones (``ready`` marks the chunks done)
    bg = _Background(D == 1 and not packed and T >= 4 and T * B * GH >= _OVERLAP_MIN)
    ready = None
    if not packed and D == 1:
        if lstm:   # gate-outermost (1, 4, T, B, H): the gates of a step are contiguous blocks
            G = np.empty((1, 4, T, B, H), dt)
            W4 = Wcat.reshape(4, H, -1).transpose(0, 2, 1)
            b4 = bcat.reshape(4, 1, 1, H) if bcat is not None else None

            def project(lo, hi, add=np.add):
                g = G[0, :, lo:hi]
                np.matmul(X2[lo * B:hi * B], W4, out=g.reshape(4, -1, H))
                if b4 is not None:
                    add(g, b4, g)
        else:
            G = np.empty((1, T, B, GH), dt)
            Gf = G.reshape(T * B, GH)

            def project(lo, hi, add=np.add):
                g = Gf[lo * B:hi * B]
                np.matmul(X2[lo * B:hi * B], Wcat.T, out=g)
                if bcat is not None:
                    add(g, bcat, g)
        if bg.w is None:
            project(0, T, P.add)    # (the helper thread never calls P.*: it is one of P's workers)
        else:
            step = -(-T // 6)
            starts = list(range(0, T, step))
            ready = {lo: threading.Event() for lo in starts[1:]}
            project(0, starts[1])

            def rest():
                for lo in starts[1:]:
                    project(lo, min(lo + step, T))
                    ready[lo].set()
            bg.run(rest)
    elif lstm and not packed:
        # gate-outermost (D, 4, T, B, H), so the four gates of a step are contiguous blocks: one
        # matmul over (direction, gate) writes them in place; the reverse direction reads x
        # backwards (step order)
        Xs = np.stack([X2, x[::-1].reshape(-1, x.shape[-1])])
        G = np.empty((D, 4, T, B, H), dt)
        np.matmul(Xs[:, None], Wcat.reshape(D, 4, H, -1).transpose(0, 1, 3, 2), out=G.reshape(D, 4, T * B, H))
        if bcat is not None:
            P.add(G, bcat.reshape(D, 4, 1, 1, H), G)
    else:
        Pm = np.matmul(X2, Wcat.T)
        if bcat is not None:
            P.add(Pm, bcat, Pm)
        if lstm:   # packed: scatter into the gate-outermost padded layout
            G = alloc((D, 4, T, B, H), dt)
            for d in range(D):
                for k in range(4):
                    G[d, k].reshape(T * B, H)[seq.idx[d]] = Pm[:, (4 * d + k) * H:(4 * d + k + 1) * H]
        elif packed:
            G = alloc((D, T, B, GH), dt)
            for d in range(D):
                G[d].reshape(T * B, GH)[seq.idx[d]] = Pm[:, d * GH:(d + 1) * GH]
        else:
            G = np.empty((2, T, B, GH), dt)
            P3 = Pm.reshape(T, B, 2 * GH)
            G[0] = P3[:, :, :GH]
            G[1] = P3[::-1, :, GH:]
    # --- recurrent weights, transposed once (and pre-scaled) for the per-step GEMMs
    WhhT = W[0][1].T[None] if D == 1 else np.stack([w[1] for w in W]).transpose(0, 2, 1)   # views
    WhrT = np.stack([w[4].T for w in W]) if proj else None
    bhn = np.stack([w[3][2 * H:] for w in W])[:, None, :] if gru and W[0][3] is not None else None
    # --- state buffers (step order)
    hs = alloc((D, T + 1, B, Hout), dt)
    hs[:, 0] = 0 if h0 is None else h0
    cs = TC = R = HN = A = None
    if lstm:
        A = G.transpose(0, 2, 1, 3, 4)         # (D, T, 4, B, H) view; becomes the activations
        sc4, sh4 = sc.reshape(4, H)[:, :1, None], sh.reshape(4, H)[:, :1, None]
        cs = alloc((D, T + 1, B, H), dt)
        cs[:, 0] = 0 if c0 is None else c0
        TC = alloc((D, T, B, H), dt)
        if proj:
            R = alloc((D, T, B, H), dt)
    if gru:
        HN = alloc((D, T, B, H), dt)
    tmp = np.empty((D, 4, B, H) if lstm else (D, B, GH), dt)
    tmpH = np.empty((D, B, H), dt)
    relu = mode == "RNN_RELU"
    # per-step products: both directions in one batched call (unpacked), else one per direction;
    # the LSTM's land gate-major in tmp (D, 4, B, H)
    ng = 4 if lstm else 0
    mm = {-1: _StepMM(WhhT, B, ng, sc)} if D == 2 and not packed else \
        {d: _StepMM(WhhT[d], B, ng, sc) for d in range(D)}

    def run(d, s, rows):
        """One step of direction(s) ``d`` (an index or ``slice(None)``) on rows ``rows``."""
        s1 = s + 1
        k = -1 if type(d) is slice else d
        if lstm:
            _lstm_step(A[d, s, :, rows], hs[d, s, rows], cs[d, s, rows], hs[d, s1, rows],
                       cs[d, s1, rows], TC[d, s, rows], R[d, s, rows] if proj else None, mm[k],
                       WhrT[d] if proj else None, tmp[d, :, rows], tmpH[d, rows], sc4, sh4)
        elif gru:
            _gru_step(G[d, s, rows], hs[d, s, rows], hs[d, s1, rows], HN[d, s, rows], mm[k],
                      bhn[d] if bhn is not None else None, tmp[d, rows], tmpH[d, rows], H)
        else:
            _rnn_step(G[d, s, rows], hs[d, s, rows], hs[d, s1, rows], mm[k], tmp[d, rows], relu)

    def loop(r0, r1):
        """The time loop for batch rows [r0, r1)."""
        if not packed:
            dsel = 0 if D == 1 else slice(None)
            rows = slice(r0, r1)
            if lstm:   # per-step views taken from lists (time leads)
                ax = (lambda a: a[0]) if D == 1 else (lambda a: a.swapaxes(0, 1))
                Al = list(ax(A)[..., rows, :])
                hl, cl, tl = list(ax(hs)[..., rows, :]), list(ax(cs)[..., rows, :]), list(ax(TC)[..., rows, :])
                Rl = list(ax(R)[..., rows, :]) if proj else [None] * T
                wh, wr = mm[0 if D == 1 else -1], (WhrT[dsel] if proj else None)
                tp, tH = tmp[dsel][..., rows, :], tmpH[dsel][..., rows, :]
                for s in range(T):
                    if ready is not None and s in ready:
                        ready[s].wait()
                    _lstm_step(Al[s], hl[s], cl[s], hl[s + 1], cl[s + 1], tl[s], Rl[s], wh, wr, tp, tH, sc4, sh4)
            else:
                for s in range(T):
                    if ready is not None and s in ready:
                        ready[s].wait()
                    run(dsel, s, rows)
            return
        bs = seq.bs
        for s in range(T):
            for d in range(D):
                n = min(max(bs[s] if d == 0 else bs[T - 1 - s], r0), r1)
                if n > r0:
                    run(d, s, slice(r0, n))
                if n < r1:   # rows outside the prefix keep their state
                    hs[d, s + 1, n:r1] = hs[d, s, n:r1]
                    if lstm:
                        cs[d, s + 1, n:r1] = cs[d, s, n:r1]

    with np.errstate(over="ignore", under="ignore"):
        try:
            loop(0, B)
        finally:
            bg.finish()
    # --- outputs in time order
    if packed:
        out = np.empty((seq.N, D * Hout), dt)
        for d in range(D):
            out[:, d * Hout:(d + 1) * Hout] = hs[d, 1:].reshape(T * B, Hout)[seq.idx[d]]
    elif D == 1:
        out = hs[0, 1:].copy()
    else:
        out = np.empty((T, B, 2 * Hout), dt)
        out[:, :, :Hout] = hs[0, 1:]
        out[:, :, Hout:] = hs[1, :0:-1]
    hn = hs[:, T].copy()
    cn = cs[:, T].copy() if lstm else None
    st = (X2, A if lstm else G, hs, cs, TC, R, HN)
    return out, hn, cn, st


# ------------------------------------------------------------------ one time step, backward
def _lstm_bstep(dhc, dHs, dc, dgv, a, tc, cp, r, dhs, whr, dr, tmpH, dA, t4, t4b, kv):
    """``dgv`` (gate-major view of the step's rows of dgates) <- pre-activation gate gradients
    of one step; ``dc`` <- the cell gradient passed to the previous step (the hidden one,
    ``dgates @ W_hh``, is the caller's).  The products of saved activations are formed here,
    on data the step has in cache, all on contiguous gate blocks."""
    if dHs is not None:
        np.add(dhc, dHs, out=dhc)
    if whr is not None:                        # h = W_hr r, r = o * tanh(c): go back through W_hr
        np.copyto(dhs, dhc)
        np.matmul(dhc, whr, out=dr)
        dhc = dr
    np.multiply(dhc, tc, out=dA[..., 3, :, :])  # o: dh * tanh(c)
    np.multiply(r, tc, out=tmpH)
    np.subtract(a[..., 3, :, :], tmpH, out=tmpH)  # o (1 - tanh(c)^2) = o - r * tanh(c)
    np.multiply(tmpH, dhc, out=tmpH)
    np.add(dc, tmpH, out=dc)
    np.multiply(dc, a[..., 2, :, :], out=dA[..., 0, :, :])   # i: dc * g
    np.multiply(dc, cp, out=dA[..., 1, :, :])               # f: dc * c_prev
    np.multiply(dc, a[..., 0, :, :], out=dA[..., 2, :, :])   # g: dc * i
    np.subtract(1, a, out=t4)
    np.add(a, kv, out=t4b)
    np.multiply(t4, t4b, out=t4)               # (1 - a)(a + k): s (1 - s) on sigmoid gates, 1 - g^2 on g
    np.multiply(dA, t4, out=dgv)
    np.multiply(dc, a[..., 1, :, :], out=dc)


def _gru_bstep(dhc, dHs, dgi_n, dgh, kn, kz, kr, r, z, mm, tmp, H):
    if dHs is not None:
        np.add(dhc, dHs, out=dhc)
    np.multiply(dhc, kn, out=dgi_n)
    np.multiply(dhc, kz, out=dgh[..., H:2 * H])
    np.multiply(dgi_n, kr, out=dgh[..., :H])
    np.multiply(dgi_n, r, out=dgh[..., 2 * H:])
    mm(dgh, tmp)
    np.multiply(dhc, z, out=dhc)
    np.add(dhc, tmp, out=dhc)


def _precompute(mode, st, H, dt):
    """Products of saved activations used by every backward step, for all steps at once."""
    X2, G, hs, cs, TC, R, HN = st
    T = G.shape[1]
    if mode == "GRU":
        r, z, n = G[..., :H], G[..., H:2 * H], G[..., 2 * H:]
        kn = np.multiply(n, n)
        np.subtract(1, kn, out=kn)
        kn *= np.subtract(1, z)                 # d n_pre = dh (1 - z)(1 - n^2)
        kz = np.subtract(hs[:, :T], n)
        kz *= z
        kz *= np.subtract(1, z)                 # d z_pre = dh (h - n) z (1 - z)
        kr = np.subtract(1, r)
        kr *= r
        kr *= HN                                # d r_pre = d n_pre (W_hn h + b_hn) r (1 - r)
        return kn, kz, kr, r, z
    h = hs[:, 1:]
    if mode == "RNN_RELU":
        return ((h > 0).astype(dt),)
    dv = np.multiply(h, h)
    np.subtract(1, dv, out=dv)
    return (dv,)


def _backward(mode, st, seq, W, grads, need):
    """Gradients of one layer: (x, h0, c0, then per direction w_ih, w_hh, b_ih, b_hh, w_hr)."""
    X2, G, hs, cs, TC, R, HN = st              # (G: the LSTM's gate-major activations)
    GH = W[0][1].shape[0]
    H = GH // _GATES[mode]
    D, Tp1, B, Hout = hs.shape
    T = Tp1 - 1
    dt = hs.dtype
    packed = seq.bs is not None
    lstm, gru = mode == "LSTM", mode == "GRU"
    proj = R is not None
    alloc = np.zeros if packed else np.empty
    gout, ghn = grads[0], grads[1]
    gcn = grads[2] if lstm else None
    # output gradient in step order (D, T, B, Hout)
    dH = None
    if gout is not None:
        if packed:
            dH = np.zeros((D, T, B, Hout), dt)
            for d in range(D):
                dH[d].reshape(T * B, Hout)[seq.idx[d]] = gout[:, d * Hout:(d + 1) * Hout]
        elif D == 1:
            dH = gout.reshape((1,) + gout.shape)
        else:
            dH = np.empty((2, T, B, Hout), dt)
            dH[0] = gout[:, :, :Hout]
            dH[1] = gout[::-1, :, Hout:]
    dhc = np.zeros((D, B, Hout), dt) if ghn is None else np.array(ghn, dt)
    dc = (np.zeros((D, B, H), dt) if gcn is None else np.array(gcn, dt)) if lstm else None
    Whh = W[0][1][None] if D == 1 else np.stack([w[1] for w in W])   # (D, GH, Hout), unscaled
    pre = _precompute(mode, st, H, dt) if not lstm else None
    dG = alloc((D, T, B, GH), dt)
    dGi = alloc((D, T, B, GH), dt) if gru else dG
    DHs = alloc((D, T, B, Hout), dt) if proj else None
    Whr = np.stack([w[4] for w in W]) if proj else None
    tmp = np.empty((D, B, Hout), dt)
    tmpH = np.empty((D, B, H), dt)
    dr = np.empty((D, B, H), dt) if proj else None
    if lstm:
        kv = np.zeros((4, 1, 1), dt)
        kv[2] = 1
        dA, t4, t4b = (np.empty((D, 4, B, H), dt) for _ in range(3))
        Rh = R if proj else hs[:, 1:]          # r = o * tanh(c) of each step (h itself without projection)
        dGv = dG.reshape(D, T, B, 4, H).transpose(0, 1, 3, 2, 4)

    mm = {-1: _StepMM(Whh, B)} if D == 2 and not packed else {d: _StepMM(Whh[d], B) for d in range(D)}

    def run(d, s, rows):
        dHs = dH[d, s, rows] if dH is not None else None
        k = -1 if type(d) is slice else d
        if lstm:
            _lstm_bstep(dhc[d, rows], dHs, dc[d, rows], dGv[d, s, :, rows], G[d, s, :, rows], TC[d, s, rows],
                        cs[d, s, rows], Rh[d, s, rows], DHs[d, s, rows] if proj else None, Whr[d] if proj else None,
                        dr[d, rows] if proj else None, tmpH[d, rows], dA[d, :, rows], t4[d, :, rows],
                        t4b[d, :, rows], kv)
            mm[k](dG[d, s, rows], dhc[d, rows])
        elif gru:
            kn, kz, kr, r, z = pre
            _gru_bstep(dhc[d, rows], dHs, dGi[d, s, rows, 2 * H:], dG[d, s, rows], kn[d, s, rows], kz[d, s, rows],
                       kr[d, s, rows], r[d, s, rows], z[d, s, rows], mm[k], tmp[d, rows], H)
        else:
            dh = dhc[d, rows]
            if dHs is not None:
                np.add(dh, dHs, out=dh)
            np.multiply(dh, pre[0][d, s, rows], out=dG[d, s, rows])
            mm[k](dG[d, s, rows], dh)

    n_x, n_h0, n_c0 = need[0], need[1], need[2]
    res = [None, dhc if n_h0 else None, dc if n_c0 else None]
    # one direction, not packed: the input and weight gradients of a finished chunk of steps
    # are computed on the helper thread while the loop goes on (the rows of the flat
    # (T*B, .) buffers of a chunk of steps are contiguous)
    chunked = D == 1 and not packed and T >= 4 and T * B * GH >= _OVERLAP_MIN
    bg = _Background(chunked)
    acc: dict = {}
    if chunked:
        nw = need[3:8]
        gx_f, gh_f = dGi[0].reshape(T * B, GH), dG[0].reshape(T * B, GH)
        hp_f = hs[0, :T].reshape(T * B, Hout)
        w_ih = W[0][0]
        dX = np.empty((T * B, X2.shape[1]), dt) if n_x else None
        ones = np.ones(T * B, dt)

        def add(key, v):
            a = acc.get(key)
            if a is None:
                acc[key] = v
            else:
                np.add(a, v, out=a)

        def chunk(lo, hi):
            r = slice(lo * B, hi * B)
            if gru:
                dGi[0, lo:hi, :, :2 * H] = dG[0, lo:hi, :, :2 * H]
            gx, gh = gx_f[r], gh_f[r]
            if n_x:
                np.matmul(gx, w_ih, out=dX[r])
            if nw[0]:
                add("wih", np.matmul(gx.T, X2[r]))
            if nw[1]:
                add("whh", np.matmul(gh.T, hp_f[r]))
            if nw[2] or nw[3]:
                add("bih", np.matmul(ones[:(hi - lo) * B], gx))
                if gru:
                    add("bhh", np.matmul(ones[:(hi - lo) * B], gh))
            if nw[4]:
                add("whr", np.matmul(DHs[0, lo:hi].reshape(-1, Hout).T, R[0, lo:hi].reshape(-1, H)))
        step = -(-T // 5)
        marks = {lo: hi for hi, lo in ((T - c * step, max(T - (c + 1) * step, 0)) for c in range(5)) if lo < hi}
        for s in range(T - 1, -1, -1):
            run(0, s, slice(None))
            if s in marks and s:
                bg.run(lambda lo=s, hi=marks[s]: chunk(lo, hi))
        bg.finish()
        chunk(0, marks[0])          # the last chunk here, with every BLAS thread
        res[0] = dX
        g_bih = acc.get("bih") if nw[2] else None
        g_bhh = (acc.get("bhh") if gru else acc.get("bih").copy()) if nw[3] else None
        res += [acc.get("wih"), acc.get("whh"), g_bih, g_bhh, acc.get("whr")]
        return tuple(res)

    def loop(r0, r1):
        """Backward through time for batch rows [r0, r1)."""
        if not packed:
            dsel = 0 if D == 1 else slice(None)
            rows = slice(r0, r1)
            for s in range(T - 1, -1, -1):
                run(dsel, s, rows)
            return
        bs = seq.bs
        for s in range(T - 1, -1, -1):
            for d in range(D):
                n = min(max(bs[s] if d == 0 else bs[T - 1 - s], r0), r1)
                if n > r0:
                    run(d, s, slice(r0, n))

    loop(0, B)
    if gru:   # the r and z gradients are the same on the input and the hidden side
        dGi[..., :2 * H] = dG[..., :2 * H]
    # --- weight and input gradients: one GEMM each
    rows_x = X2.shape[0]
    if packed:
        dGx = np.empty((seq.N, D * GH), dt)
        for d in range(D):
            dGx[:, d * GH:(d + 1) * GH] = dGi[d].reshape(T * B, GH)[seq.idx[d]]
    elif D == 1:
        dGx = dGi[0].reshape(T * B, GH)
    else:
        dGx = np.empty((T, B, 2 * GH), dt)
        dGx[:, :, :GH] = dGi[0]
        dGx[:, :, GH:] = dGi[1][::-1]
        dGx = dGx.reshape(T * B, 2 * GH)
    if n_x:
        Wcat = W[0][0] if D == 1 else np.concatenate([w[0] for w in W])
        res[0] = np.matmul(dGx, Wcat)
    ones_x = np.ones(rows_x, dt)
    ones_h = ones_x if rows_x == T * B else np.ones(T * B, dt)
    for d in range(D):
        nw = need[3 + 5 * d:8 + 5 * d]
        gx = dGx[:, d * GH:(d + 1) * GH]
        gh = dG[d].reshape(T * B, GH)
        g_wih = np.matmul(gx.T, X2) if nw[0] else None
        g_whh = np.matmul(gh.T, hs[d, :T].reshape(T * B, Hout)) if nw[1] else None
        g_bih = np.matmul(ones_x, gx) if nw[2] else None
        if nw[3]:
            g_bhh = np.matmul(ones_h, gh) if gru or g_bih is None else g_bih.copy()
        else:
            g_bhh = None
        g_whr = np.matmul(DHs[d].reshape(T * B, Hout).T, R[d].reshape(T * B, H)) if nw[4] else None
        res += [g_wih, g_whh, g_bih, g_bhh, g_whr]
    return tuple(res)


def _layer_bw(ctx, saved, grads):
    mode, st, seq, need, xshape = ctx
    g0 = next(g for g in grads if g is not None)
    if type(g0) is not np.ndarray:
        raise NotImplementedError("double backward through nn.RNN / nn.LSTM / nn.GRU layers is not supported by "
                                  "numtorch; use nn.RNNCell / nn.LSTMCell / nn.GRUCell in a loop for higher-order "
                                  "gradients")
    ws = saved[1:]                             # saved[0] is the input (X2 in the state is its 2-D form)
    D = len(ws) // 3
    W = [(ws[3 * d], ws[3 * d + 1], None, None, ws[3 * d + 2]) for d in range(D)]
    with np.errstate(over="ignore", under="ignore"):
        res = _backward(mode, st, seq, W, grads, need)
    if res[0] is not None:
        res = (res[0].reshape(xshape),) + res[1:]
    return res


_NODES: dict = {}


def _node_cls(name, n_out):
    k = (name, n_out)
    c = _NODES.get(k)
    if c is None:
        c = _NODES[k] = node_class(name, _layer_bw, n_out)
    return c


def _rnn_layer(mode: str, x, h0, c0, wts: list, seq: _Seq):
    """One recurrent layer (both directions) as one node: ``x`` (T, B, in) or packed (N, in),
    ``h0``/``c0`` (D, B, .) tensors or None, ``wts`` per direction (w_ih, w_hh, b_ih, b_hh, w_hr)
    tensors or None.  Returns (output, h_n, c_n or None) tensors."""
    W = [tuple(None if t is None else t._data for t in w) for w in wts]
    out, hn, cn, st = _forward(mode, x._data, None if h0 is None else h0._data,
                               None if c0 is None else c0._data, W, seq)
    ins = (x, h0, c0) + tuple(t for w in wts for t in w)
    lstm = mode == "LSTM"
    if GRAD[0] and any(t is not None and t._rg for t in ins):
        need = tuple(t is not None and t._rg for t in ins)
        edges = tuple(NO_EDGE if t is None else edge(t) for t in ins)
        D = len(wts)
        if D == 2:
            name = "CatBackward0"
        elif lstm and out.dtype == np.float32 and wts[0][4] is None:
            name = "MkldnnRnnLayerBackward0"
        else:
            name = "StackBackward0"
        node = _node_cls(name, 3 if lstm else 2)(edges, (mode, st, seq, need, x._data.shape))
        node._saved = (_rec(x),) + tuple(_rec(w[k]) for w in wts for k in (0, 1, 4))
        o = make(out, True, node)
        h = make(hn, True, node)
        h._output_nr = 1
        c = None
        if lstm:
            c = make(cn, True, node)
            c._output_nr = 2
        return o, h, c
    return make(out, False, None), make(hn, False, None), None if cn is None else make(cn, False, None)
