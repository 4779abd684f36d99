"""Training-step benchmarks for nn models, numtorch vs torch in one process (2 threads each).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_nn.py [--quick]

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_nn.py --case lenet5

Cases (targets from the project's issues):
  mlp_784_256_256_10: MLP 784-256-256-10, batch 128, SGD(momentum=0.9) + CrossEntropyLoss (<= 1.2x)
  lenet5:             LeNet-5 on 3x32x32, batch 64, SGD + CrossEntropyLoss (<= 1.5x)
  resnet_small:       4 BasicBlocks (conv3x3 + BatchNorm2d + ReLU, widths 16/32), 3x32x32, batch 32,
                      AdamW + CrossEntropyLoss (<= 1.5x)
  tcn:                4 residual blocks of two causal dilated Conv1d (k=3, dilations 1/2/4/8),
                      64 channels, seq 256, batch 16, Adam + CrossEntropyLoss (<= 1.5x)
  conv2d_64_fwd_bwd:  Conv2d 64->64 3x3 pad 1 on 32x32, batch 32, forward and backward (<= 1.5x)
  lstm_lm:            2-layer LSTM language model (vocab 1000, emb 128, hidden 256, seq 35, batch 20),
                      SGD + clip_grad_norm_ + CrossEntropyLoss (<= 1.5x)
  transformer_cls:    Transformer encoder classifier (d_model 128, 4 heads, FF 512, 2 layers, seq 64,
                      batch 16), Adam + CrossEntropyLoss (<= 1.2x)
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


def _init_like(lib, model, rng):
    """Identical weights in both libraries: parameters in registration order from one NumPy draw,
    scaled like torch's default init (uniform +-1/sqrt(fan_in))."""
    with lib.no_grad():
        for p in model.parameters():
            shape = tuple(p.shape)
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
            bound = 1.0 / np.sqrt(max(fan_in, 1))
            p.copy_(lib.tensor(rng.uniform(-bound, bound, shape).astype(np.float32)))


def _train_step(lib, model, opt, x, y):
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def lenet5_step(lib, seed=0):
    nn = lib.nn
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Conv2d(3, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84),
                          nn.ReLU(), nn.Linear(84, 10))
    _init_like(lib, model, rng)
    x = lib.tensor(rng.standard_normal((64, 3, 32, 32)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, 64))
    return _train_step(lib, model, lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9), x, y)


def resnet_small_step(lib, seed=0):
    nn = lib.nn

    class BasicBlock(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.shortcut = nn.Sequential()
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + self.shortcut(x))

    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
                          BasicBlock(16, 16, 1), BasicBlock(16, 16, 1), BasicBlock(16, 32, 2), BasicBlock(32, 32, 1),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
    _init_like(lib, model, rng)
    x = lib.tensor(rng.standard_normal((32, 3, 32, 32)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, 32))
    return _train_step(lib, model, lib.optim.AdamW(model.parameters(), lr=1e-3), x, y)


def tcn_step(lib, seed=0):
    nn = lib.nn

    class TemporalBlock(nn.Module):
        """Two causal dilated convolutions (left padding by slicing off the right end) + residual."""

        def __init__(self, ch, dilation):
            super().__init__()
            self.pad = 2 * dilation
            self.conv1 = nn.Conv1d(ch, ch, 3, padding=self.pad, dilation=dilation)
            self.conv2 = nn.Conv1d(ch, ch, 3, padding=self.pad, dilation=dilation)
            self.relu = nn.ReLU()

        def forward(self, x):
            out = self.relu(self.conv1(x)[:, :, :-self.pad])
            out = self.relu(self.conv2(out)[:, :, :-self.pad])
            return self.relu(out + x)

    class TCN(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.Sequential(*[TemporalBlock(64, d) for d in (1, 2, 4, 8)])
            self.head = nn.Linear(64, 10)

        def forward(self, x):
            return self.head(self.blocks(x)[:, :, -1])

    rng = np.random.default_rng(seed)
    model = TCN()
    _init_like(lib, model, rng)
    x = lib.tensor(rng.standard_normal((16, 64, 256)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, 16))
    return _train_step(lib, model, lib.optim.Adam(model.parameters(), lr=1e-3), x, y)


def conv2d_64_step(lib, seed=0):
    rng = np.random.default_rng(seed)
    conv = lib.nn.Conv2d(64, 64, 3, padding=1)
    _init_like(lib, conv, rng)
    x = lib.tensor(rng.standard_normal((32, 64, 32, 32)).astype(np.float32), requires_grad=True)
    g = lib.tensor(rng.standard_normal((32, 64, 32, 32)).astype(np.float32))

    def step():
        x.grad = None
        conv.zero_grad()
        conv(x).backward(g)
    return step


def lstm_lm_step(lib, seed=0):
    nn = lib.nn

    class LSTMLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(1000, 128)
            self.rnn = nn.LSTM(128, 256, num_layers=2)
            self.out = nn.Linear(256, 1000)

        def forward(self, tokens):
            h, _ = self.rnn(self.emb(tokens))
            return self.out(h).reshape(-1, 1000)

    rng = np.random.default_rng(seed)
    model = LSTMLM()
    _init_like(lib, model, rng)
    x = lib.tensor(rng.integers(0, 1000, (35, 20)))
    y = lib.tensor(rng.integers(0, 1000, 35 * 20))
    opt = lib.optim.SGD(model.parameters(), lr=1.0)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        opt.step()
        return loss
    return step


def transformer_cls_step(lib, seed=0):
    nn = lib.nn

    class EncoderClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(1000, 128)
            layer = nn.TransformerEncoderLayer(128, 4, dim_feedforward=512, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.head = nn.Linear(128, 10)

        def forward(self, tokens):
            return self.head(self.encoder(self.emb(tokens)).mean(dim=1))

    rng = np.random.default_rng(seed)
    model = EncoderClassifier()
    _init_like(lib, model, rng)
    x = lib.tensor(rng.integers(0, 1000, (16, 64)))
    y = lib.tensor(rng.integers(0, 10, 16))
    return _train_step(lib, model, lib.optim.Adam(model.parameters(), lr=1e-3), x, y)


CASES = [("mlp_784_256_256_10", "MLP 784-256-256-10, batch 128, SGD momentum, CE", mlp_step, 1.2),
         ("lenet5", "LeNet-5, 3x32x32, batch 64, SGD", lenet5_step, 1.5),
         ("resnet_small", "4 BasicBlocks 16/32, 3x32x32, batch 32, AdamW", resnet_small_step, 1.5),
         ("tcn", "TCN 4 blocks, 64 ch, seq 256, batch 16, Adam", tcn_step, 1.5),
         ("conv2d_64_fwd_bwd", "Conv2d 64->64 3x3 on 32x32, batch 32, fwd+bwd", conv2d_64_step, 1.5),
         ("lstm_lm", "2-layer LSTM LM, vocab 1000, emb 128, hidden 256, seq 35, batch 20, SGD", lstm_lm_step, 1.5),
         ("transformer_cls", "Transformer encoder classifier d128 h4 ff512 x2, seq 64, batch 16, Adam",
          transformer_cls_step, 1.2)]


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
    ap.add_argument("--case", action="append", help="run only this case (repeatable)")
    args = ap.parse_args(argv)
    repeat, number = (3, 10) if args.quick else (7, 20)
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if k in os.environ:
            print(f"warning: {k} is set; NumPy's BLAS may run slower kernels (unset it for this command)")
    print(f"{'case':24s} {'numtorch':>10s} {'torch':>10s} {'ratio':>7s} target   nt faults/it")
    for name, _, build, target in CASES:
        if args.case and name not in args.case:
            continue
        try:
            tn, fn = timeit(build(numtorch), repeat, number)
        except (AttributeError, NotImplementedError) as e:  # a layer numtorch does not have yet
            print(f"{name:24s} skipped: {e}")
            continue
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
