"""The ``numtorch demo`` job: train a small classifier with numtorch tensors and autograd.

Everything here is written against the PyTorch API (``import numtorch as torch``), so the
same code would run unchanged with real torch.  There is no ``nn`` module yet, so the model
is spelled out by hand:

* data:   a 2-D spiral with ``classes`` arms, generated deterministically from ``seed``;
* model:  a 2-layer MLP, ``relu(x @ W1 + b1) @ W2 + b2``, parameters are plain tensors
          with ``requires_grad=True``;
* loss:   ``log_softmax`` + negative log-likelihood, picking each row's target log-probability
          by advanced indexing;
* update: plain mini-batch SGD under ``torch.no_grad()``, clearing ``.grad`` between steps.

The pieces are small functions so that later demos (a CNN, an ``nn.Module`` version) can
reuse or replace them one at a time.
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np

import numtorch as torch

__all__ = [
    "DemoConfig",
    "DemoResult",
    "accuracy",
    "init_mlp",
    "make_spiral",
    "mlp_forward",
    "nll_loss",
    "run",
    "save",
    "sgd_step",
    "train",
]


@dataclass
class DemoConfig:
    epochs: int = 30
    seed: int = 0
    out: str | None = None
    points_per_class: int = 200
    classes: int = 3
    hidden: int = 64
    batch_size: int = 32
    lr: float = 0.2


@dataclass
class DemoResult:
    losses: list[float] = field(default_factory=list)      # mean training loss of each epoch
    accuracies: list[float] = field(default_factory=list)  # training-set accuracy after each epoch
    final_accuracy: float = 0.0
    seconds: float = 0.0


# ----------------------------------------------------------------------------- data
def make_spiral(points_per_class: int, classes: int, seed: int):
    """``classes`` interleaved spiral arms in the plane (the classic CS231n toy set).

    Returns ``(X, y)``: a float32 tensor of shape (N, 2) and an int64 tensor of shape (N,),
    with N = points_per_class * classes.  The same seed always gives the same data.
    """
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in range(classes):
        r = np.linspace(0.05, 1.0, points_per_class)
        theta = np.linspace(c * 2 * math.pi / classes, c * 2 * math.pi / classes + 1.5 * math.pi, points_per_class)
        theta = theta + rng.normal(0.0, 0.2, points_per_class)
        xs.append(np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1))
        ys.append(np.full(points_per_class, c))
    X = torch.tensor(np.concatenate(xs), dtype=torch.float32)
    y = torch.tensor(np.concatenate(ys), dtype=torch.int64)
    return X, y


# ----------------------------------------------------------------------------- model
def init_mlp(n_in: int, n_hidden: int, n_out: int) -> dict[str, torch.Tensor]:
    """He-initialised weights, zero biases; every parameter is a leaf with requires_grad."""
    params = {
        "W1": torch.randn(n_in, n_hidden) * math.sqrt(2.0 / n_in),
        "b1": torch.zeros(n_hidden),
        "W2": torch.randn(n_hidden, n_out) * math.sqrt(2.0 / n_hidden),
        "b2": torch.zeros(n_out),
    }
    for p in params.values():
        p.requires_grad_(True)
    return params


def mlp_forward(params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Logits of shape (batch, classes)."""
    h = torch.relu(x @ params["W1"] + params["b1"])
    return h @ params["W2"] + params["b2"]


def nll_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy: ``-log_softmax(logits)[i, target[i]]`` averaged over the batch."""
    logp = torch.log_softmax(logits, dim=1)
    picked = logp[torch.arange(target.shape[0]), target]
    return -picked.mean()


def accuracy(logits: torch.Tensor, target: torch.Tensor) -> float:
    return (logits.argmax(dim=1) == target).float().mean().item()


def sgd_step(params: dict[str, torch.Tensor], lr: float) -> None:
    """``p -= lr * p.grad`` for every parameter, outside the graph, then clear the grads."""
    with torch.no_grad():
        for p in params.values():
            p -= lr * p.grad
            p.grad = None


# ----------------------------------------------------------------------------- training
def train(cfg: DemoConfig, log: Callable[[str], None] = print) -> DemoResult:
    torch.manual_seed(cfg.seed)
    X, y = make_spiral(cfg.points_per_class, cfg.classes, cfg.seed)
    n = X.shape[0]
    params = init_mlp(2, cfg.hidden, cfg.classes)
    n_params = sum(p.numel() for p in params.values())
    log(f"numtorch demo: 2-layer MLP (2 -> {cfg.hidden} -> {cfg.classes}, {n_params} parameters) "
        f"on a {cfg.classes}-arm spiral, {n} points, seed {cfg.seed}")

    result = DemoResult()
    start = time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        order = torch.randperm(n)
        total, batches = 0.0, 0
        for i in range(0, n, cfg.batch_size):
            idx = order[i:i + cfg.batch_size]
            loss = nll_loss(mlp_forward(params, X[idx]), y[idx])
            loss.backward()
            sgd_step(params, cfg.lr)
            total += loss.item()
            batches += 1
        with torch.no_grad():
            acc = accuracy(mlp_forward(params, X), y)
        result.losses.append(total / batches)
        result.accuracies.append(acc)
        log(f"epoch {epoch:3d}/{cfg.epochs}  loss {result.losses[-1]:.4f}  accuracy {acc:.3f}")
    result.seconds = time.perf_counter() - start
    result.final_accuracy = result.accuracies[-1] if result.accuracies else 0.0
    log(f"final accuracy: {result.final_accuracy:.3f}  ({result.seconds:.2f} s)")

    if cfg.out:
        save(cfg, result, params, log)
    return result


def save(cfg: DemoConfig, result: DemoResult, params: dict[str, torch.Tensor],
         log: Callable[[str], None] = print) -> None:
    """Write ``metrics.json`` (config and per-epoch numbers) and ``params.npz`` to ``cfg.out``."""
    os.makedirs(cfg.out, exist_ok=True)
    with open(os.path.join(cfg.out, "metrics.json"), "w") as f:
        json.dump({"config": asdict(cfg), "result": asdict(result)}, f, indent=2)
    np.savez(os.path.join(cfg.out, "params.npz"), **{k: p.detach().numpy() for k, p in params.items()})
    log(f"wrote {os.path.join(cfg.out, 'metrics.json')} and {os.path.join(cfg.out, 'params.npz')}")


def run(epochs: int = 30, seed: int = 0, out: str | None = None) -> DemoResult:
    return train(DemoConfig(epochs=epochs, seed=seed, out=out))
