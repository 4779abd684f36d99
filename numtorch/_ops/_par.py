"""Large elementwise ufuncs on several threads.

NumPy runs a ufunc on one core, while torch splits big elementwise kernels across its
intra-op threads.  NumPy releases the GIL inside ufunc loops, so numtorch can do the same:
for float arrays of at least ``PAR_MIN`` elements, the output is cut into contiguous chunks
along its first axis, helper threads compute all chunks but the first, and the calling
thread computes the first.  Smaller arrays, non-float dtypes and shapes that don't split
cleanly take the plain single-call path, so results are identical either way.

Thread count follows ``numtorch.set_num_threads`` (default: the machine's cores, at most 8).
Helper threads are recreated lazily after ``fork`` (DataLoader workers).
"""
from __future__ import annotations

import os
import threading

import numpy as np

PAR_MIN = 1 << 17
_ndarray = np.ndarray
_state = {"n": max(1, min(os.cpu_count() or 1, 8)), "workers": []}


def set_threads(n: int) -> None:
    if n < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    _state["n"] = int(n)


def get_threads() -> int:
    return _state["n"]


class _Worker:
    """A daemon thread that runs one task at a time, handed over with two locks."""

    def __init__(self) -> None:
        self.task = None
        self.error = None
        self.go = threading.Lock()
        self.go.acquire()
        self.done = threading.Lock()
        self.done.acquire()
        threading.Thread(target=self._loop, daemon=True, name="numtorch-ufunc").start()

    def _loop(self) -> None:
        while True:
            self.go.acquire()
            f, args, out, err = self.task
            try:
                with np.errstate(**err):  # NumPy's error settings are per thread: use the caller's
                    f(*args, out=out)
            except BaseException as e:  # re-raised in the calling thread
                self.error = e
            self.task = None
            self.done.release()

    def submit(self, f, args, out) -> None:
        self.task = (f, args, out, np.geterr())
        self.go.release()

    def wait(self) -> None:
        self.done.acquire()
        if self.error is not None:
            e, self.error = self.error, None
            raise e


def _workers(k: int) -> list:
    ws = _state["workers"]
    while len(ws) < k:
        ws.append(_Worker())
    return ws


def _after_fork() -> None:
    _state["workers"] = []


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def _run(f, args: tuple, out: np.ndarray, n0: int) -> np.ndarray:
    nt = _state["n"]
    k = min(nt, max(1, out.size // PAR_MIN))
    if k < 2 or n0 < k:
        f(*args, out=out)
        return out
    bounds = [n0 * i // k for i in range(k + 1)]
    ws = _workers(k - 1)
    for w, (lo, hi) in zip(ws, zip(bounds[1:-1], bounds[2:])):
        w.submit(f, tuple(a[lo:hi] if type(a) is _ndarray and a.ndim == out.ndim and a.shape[0] == n0 else a
                          for a in args), out[lo:hi])
    try:
        hi = bounds[1]
        f(*(a[:hi] if type(a) is _ndarray and a.ndim == out.ndim and a.shape[0] == n0 else a for a in args),
          out=out[:hi])
    finally:
        for w in ws[:k - 1]:
            w.wait()
    return out


def binary(f, a, b, out=None):
    """``f(a, b)`` for a float ufunc; threaded when the (same-dtype float) output is large."""
    ta, tb = type(a) is _ndarray, type(b) is _ndarray
    big = (ta and a.size >= PAR_MIN) or (tb and b.size >= PAR_MIN)
    if not big or _state["n"] < 2:
        if out is None:
            r = f(a, b)
            return r if type(r) is _ndarray else np.asarray(r)  # 0-d inputs give NumPy scalars
        return f(a, b, out=out)
    if ta and tb:
        if a.dtype != b.dtype or a.dtype.kind != "f":
            return f(a, b) if out is None else f(a, b, out=out)
        shape = a.shape if a.shape == b.shape else np.broadcast_shapes(a.shape, b.shape)
        dt = a.dtype
    else:
        arr = a if ta else b
        s = b if ta else a
        if arr.dtype.kind != "f" or type(s) not in (float, int, bool):
            return f(a, b) if out is None else f(a, b, out=out)
        shape, dt = arr.shape, arr.dtype
    if out is None:
        out = np.empty(shape, dtype=dt)
    elif out.shape != shape or out.dtype != dt:
        return f(a, b, out=out)
    if not shape:
        return f(a, b, out=out)
    return _run(f, (a, b), out, shape[0])


def unary(f, a, out=None):
    """``f(a)`` for a float ufunc; threaded when ``a`` is large."""
    if type(a) is not _ndarray or a.size < PAR_MIN or _state["n"] < 2 or a.dtype.kind != "f" or not a.ndim:
        if out is None:
            r = f(a)
            return r if type(r) is _ndarray else np.asarray(r)  # 0-d inputs give NumPy scalars
        return f(a, out=out)
    if out is None:
        out = np.empty(a.shape, dtype=a.dtype)
    elif out.shape != a.shape or out.dtype != a.dtype:
        return f(a, out=out)
    return _run(f, (a,), out, a.shape[0])


def mul(a, b, out=None):
    return binary(np.multiply, a, b, out)


def add(a, b, out=None):
    return binary(np.add, a, b, out)


def sub(a, b, out=None):
    return binary(np.subtract, a, b, out)


def div(a, b, out=None):
    return binary(np.true_divide, a, b, out)
