#!/usr/bin/env python
"""Time numtorch against torch on the project's core performance cases, in one process.

Run from the repository root (see benchmarks/README.md):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_core.py [--quick]

Both libraries are limited to 2 threads: torch through ``torch.set_num_threads(2)``, NumPy's
BLAS through OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, which must be set before NumPy loads,
hence at the very top of this file.  Each case is written once against the torch API and run
with ``lib`` bound to numtorch and to torch, on the same input data.

For every case and library: a warm-up, then ``repeat`` timed runs of ``number`` iterations
each (``number`` calibrated like ``timeit.Timer.autorange``); the reported time is the median
per-iteration time, and the repeats of the two libraries are interleaved so that drift in the
machine's speed hits both alike.  Gradients accumulate into ``.grad`` across iterations, as
with repeated ``backward`` calls; the garbage collector stays on (it is part of the real cost).
``faults/it`` is the process's minor page faults per iteration (``getrusage`` delta), a proxy
for fresh memory being mapped by each iteration.
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "2"

import argparse
import resource
import statistics
import sys
import time
from typing import Callable

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout
import numtorch

try:
    import torch
    torch.set_num_threads(2)
except ImportError:  # numtorch-only run
    torch = None

# numtorch not having an op yet (no method, or no operator: ``unsupported operand type``) is
# reported as a skipped case, not a crash
MISSING_OP_ERRORS = (AttributeError, NotImplementedError, TypeError)


class MissingOp(Exception):
    pass


# --------------------------------------------------------------------------- cases
# A case maps (lib, rng) to a zero-argument step function; ``lib`` is numtorch or torch.
def _leaf(lib, a: np.ndarray):
    return lib.tensor(a.copy()).requires_grad_(True)


def case_add_overhead(lib, rng):
    """c = a + b on 10 float32 elements, then c.backward(g): per-op fixed cost."""
    a = _leaf(lib, rng.standard_normal(10, dtype=np.float32))
    b = _leaf(lib, rng.standard_normal(10, dtype=np.float32))
    g = lib.tensor(np.ones(10, dtype=np.float32))

    def step():
        c = a + b
        c.backward(g)
    return step


def case_matmul(lib, rng):
    """(a @ b).backward(g) with 512x512 float32 matrices: BLAS-bound."""
    a = _leaf(lib, rng.standard_normal((512, 512), dtype=np.float32))
    b = _leaf(lib, rng.standard_normal((512, 512), dtype=np.float32))
    g = lib.tensor(rng.standard_normal((512, 512), dtype=np.float32))

    def step():
        (a @ b).backward(g)
    return step


def case_elementwise_chain(lib, rng):
    """y = ((x * 2 + 1).tanh() * x).exp() on 1e6 float32 elements, then y.backward(g): memory-bound."""
    x = _leaf(lib, rng.standard_normal(1_000_000, dtype=np.float32))
    g = lib.tensor(rng.standard_normal(1_000_000, dtype=np.float32))

    def step():
        y = ((x * 2 + 1).tanh() * x).exp()
        y.backward(g)
    return step


CASES = [
    # name, description, builder, target for numtorch/torch
    ("add_10_fwd_bwd", "a + b, 10 float32, fwd+bwd", case_add_overhead, 1.5),
    ("matmul_512_fwd_bwd", "512x512 float32 a @ b, fwd+bwd", case_matmul, 1.2),
    ("chain_1e6_fwd_bwd", "((x*2+1).tanh()*x).exp(), 1e6 float32, fwd+bwd", case_elementwise_chain, 1.5),
]


# --------------------------------------------------------------------------- timing
class Timing:
    def __init__(self) -> None:
        self.per_iter: list[float] = []   # seconds per iteration, one entry per repeat
        self.faults = 0
        self.iterations = 0

    @property
    def median(self) -> float:
        return statistics.median(self.per_iter)

    @property
    def faults_per_iter(self) -> float:
        return self.faults / max(self.iterations, 1)


def calibrate(step: Callable[[], None], min_time: float) -> int:
    """Smallest number in 1, 2, 5, 10, 20, 50, ... whose loop takes at least ``min_time``."""
    number = 1
    while True:
        for mult in (1, 2, 5):
            n = number * mult
            t0 = time.perf_counter()
            for _ in range(n):
                step()
            if time.perf_counter() - t0 >= min_time:
                return n
        number *= 10


def timed_run(step: Callable[[], None], number: int, timing: Timing) -> None:
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    t0 = time.perf_counter()
    for _ in range(number):
        step()
    elapsed = time.perf_counter() - t0
    timing.faults += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
    timing.iterations += number
    timing.per_iter.append(elapsed / number)


def bench_case(builder, libs: dict[str, object], repeat: int, min_time: float, warmup: int) -> dict[str, Timing]:
    steps, numbers = {}, {}
    for name, lib in libs.items():
        try:
            steps[name] = builder(lib, np.random.default_rng(0))
            steps[name]()
        except MISSING_OP_ERRORS as e:
            if lib is not numtorch:
                raise
            raise MissingOp(f"{type(e).__name__}: {e}") from e
        for _ in range(warmup):
            steps[name]()
        numbers[name] = calibrate(steps[name], min_time)  # also warms up further
    timings = {name: Timing() for name in libs}
    for _ in range(repeat):
        for name in libs:  # interleave the libraries' repeats
            timed_run(steps[name], numbers[name], timings[name])
    return timings


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


# --------------------------------------------------------------------------- main
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer and shorter repeats (a rough number fast)")
    parser.add_argument("--repeat", type=int, default=None, help="timed repeats per library (default 7, quick 3)")
    parser.add_argument("--case", action="append", default=None, metavar="NAME",
                        help="run only this case (may be given more than once): "
                             + ", ".join(c[0] for c in CASES))
    args = parser.parse_args(argv)
    repeat = args.repeat or (3 if args.quick else 7)
    min_time = 0.05 if args.quick else 0.2
    warmup = 2 if args.quick else 5

    print(f"numtorch {numtorch.__version__} (numpy {np.__version__}) vs "
          + (f"torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else "torch: not installed"))
    print(f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']} OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}; "
          f"repeat={repeat}, >= {min_time:g} s per repeat, median per iteration")
    stray = [v for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if v in os.environ]
    if stray:
        print(f"warning: {', '.join(stray)} set; NumPy's BLAS may be slowed. Run with "
              f"`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_core.py`")
    print(flush=True)

    selected = [c for c in CASES if args.case is None or c[0] in args.case]
    unknown = set(args.case or ()) - {c[0] for c in CASES}
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")

    header = f"{'case':<20} {'numtorch':>10} {'torch':>10} {'ratio':>7} {'target':>7} {'':>4} " \
             f"{'nt faults/it':>12} {'torch faults/it':>15}"
    rows, skipped = [], []
    for name, desc, builder, target in selected:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        libs = {"numtorch": numtorch}
        if torch is not None:
            libs["torch"] = torch
        try:
            timings = bench_case(builder, libs, repeat, min_time, warmup)
        except MissingOp as e:
            skipped.append(f"{name}: skipped, numtorch lacks something it needs ({e})")
            continue
        nt_t = timings["numtorch"]
        th_t = timings.get("torch")
        ratio = nt_t.median / th_t.median if th_t else None
        verdict = "" if ratio is None else ("ok" if ratio <= target else "MISS")
        rows.append(f"{name:<20} {fmt_time(nt_t.median):>10} {fmt_time(th_t.median if th_t else None):>10} "
                    f"{(f'{ratio:.2f}x' if ratio is not None else '-'):>7} {f'<={target:g}x':>7} {verdict:>4} "
                    f"{nt_t.faults_per_iter:>12.1f} {(f'{th_t.faults_per_iter:.1f}' if th_t else '-'):>15}")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(r)
    for s in skipped:
        print(s)
    print()
    for name, desc, _, _ in selected:
        print(f"  {name:<20} {desc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
