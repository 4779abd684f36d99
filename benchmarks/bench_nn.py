"""Training-step benchmarks for nn models, numtorch vs torch in one process (2 threads each).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_nn.py [--quick]

Cases (targets from the project's issues):
  mlp_784_256_256_10: MLP 784-256-256-10, batch 128, SGD(momentum=0.9) + CrossEntropyLoss (<= 1.2x)
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")

import argparse  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numtorch  # noqa: E402

try:
    import torch  # noqa: E402
    torch.set_num_threads(2)
except ImportError:  # numtorch alone still runs
    torch = None
numtorch.set_num_threads(2)


def mlp_step(lib, seed=0):
    nn = lib.nn
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    # identical weights in both libraries
    for p in model.parameters():
        with lib.no_grad():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.05))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x = lib.tensor(rng.standard_normal((128, 784)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, 128))

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


CASES = [("mlp_784_256_256_10", "MLP 784-256-256-10, batch 128, SGD momentum, CE", mlp_step, 1.2)]


def timeit(step, repeat, number):
    for _ in range(3):
        step()
    times = []
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            step()
        times.append((time.perf_counter() - t0) / number)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / (repeat * number)
    return statistics.median(times), faults


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    repeat, number = (3, 10) if args.quick else (7, 20)
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if k in os.environ:
            print(f"warning: {k} is set; NumPy's BLAS may run slower kernels (unset it for this command)")
    print(f"{'case':24s} {'numtorch':>10s} {'torch':>10s} {'ratio':>7s} target   nt faults/it")
    for name, _, build, target in CASES:
        tn, fn = timeit(build(numtorch), repeat, number)
        if torch is not None:
            tt, _ = timeit(build(torch), repeat, number)
            ratio = tn / tt
            ok = "ok" if ratio <= target else "MISS"
            print(f"{name:24s} {tn * 1e3:8.2f}ms {tt * 1e3:8.2f}ms {ratio:6.2f}x <={target}x {ok:4s} {fn:8.1f}")
        else:
            print(f"{name:24s} {tn * 1e3:8.2f}ms {'-':>10s}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
