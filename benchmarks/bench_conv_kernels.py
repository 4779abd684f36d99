"""Convolution kernels, numtorch vs torch in one process (2 threads each): forward + backward.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_conv_kernels.py [--repeat 9]

Cases:
  conv2d_64:     Conv2d 64->64 3x3 pad 1 on 32x32, batch 32 (input, weight and bias gradients)
  conv1d_causal: Conv1d 64->64 k3 dilation 4, padding 8 then the right 8 sliced off, seq 256, batch 16
  depthwise:     Conv2d 64->64 3x3 groups=64 pad 1 on 32x32, batch 32
  convT2d:       ConvTranspose2d 64->32 4x4 stride 2 pad 1 on 16x16, batch 32
The libraries' repeats are interleaved; the table shows the best time per iteration.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numtorch  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(2)
numtorch.set_num_threads(2)


def _build(lib, layer, x_shape, slice_right=0, seed=0):
    rng = np.random.default_rng(seed)
    with lib.no_grad():
        for p in layer.parameters():
            p.copy_(lib.tensor(rng.uniform(-0.1, 0.1, tuple(p.shape)).astype(np.float32)))
    x = lib.tensor(rng.standard_normal(x_shape).astype(np.float32), requires_grad=True)
    with lib.no_grad():
        y = layer(x)
        if slice_right:
            y = y[..., :-slice_right]
    g = lib.tensor(rng.standard_normal(tuple(y.shape)).astype(np.float32))

    def step():
        x.grad = None
        layer.zero_grad()
        out = layer(x)
        if slice_right:
            out = out[..., :-slice_right]
        out.backward(g)
    return step


CASES = {
    "conv2d_64": lambda L: _build(L, L.nn.Conv2d(64, 64, 3, padding=1), (32, 64, 32, 32)),
    "conv1d_causal": lambda L: _build(L, L.nn.Conv1d(64, 64, 3, padding=8, dilation=4), (16, 64, 256), 8),
    "depthwise": lambda L: _build(L, L.nn.Conv2d(64, 64, 3, padding=1, groups=64), (32, 64, 32, 32)),
    "convT2d": lambda L: _build(L, L.nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1), (32, 64, 16, 16)),
}


def _time(step, number):
    t0 = time.perf_counter()
    for _ in range(number):
        step()
    return (time.perf_counter() - t0) / number


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--case", action="append")
    args = ap.parse_args(argv)
    print(f"{'case':16s} {'numtorch':>10s} {'torch':>10s} {'ratio':>7s}")
    for name, build in CASES.items():
        if args.case and name not in args.case:
            continue
        sn, st = build(numtorch), build(torch)
        for s in (sn, st):
            s()
            s()
        number = max(1, int(0.2 / max(_time(st, 1), 1e-4)))
        tn, tt = [], []
        for _ in range(args.repeat):
            tn.append(_time(sn, number))
            tt.append(_time(st, number))
        a, b = min(tn), min(tt)
        print(f"{name:16s} {a * 1e3:8.2f}ms {b * 1e3:8.2f}ms {a / b:6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
