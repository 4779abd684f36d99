"""A tutorial-style training loop written once against the torch API and run with both
libraries from the same weights: losses and final parameters must agree."""
import numpy as np

import numtorch
from helpers import torch


def _train(lib):
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(20, 8, padding_idx=0)
            self.body = nn.Sequential(nn.Linear(8 * 5, 32), nn.GELU(), nn.Dropout(0.0), nn.Linear(32, 16),
                                      nn.Identity(), nn.SiLU())
            self.head = nn.ModuleDict({"cls": nn.Linear(16, 4), "reg": nn.Linear(16, 1)})

        def forward(self, idx):
            h = self.body(self.emb(idx).flatten(1))
            return self.head["cls"](h), self.head["reg"](h).squeeze(-1)

    rng = np.random.default_rng(0)
    m = Net()
    m.load_state_dict({k: lib.tensor(rng.standard_normal(tuple(v.shape)).astype(np.float32) * 0.3)
                       for k, v in m.state_dict().items()})
    opt = lib.optim.AdamW(m.parameters(), lr=1e-2, weight_decay=0.05)
    sched = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=15)
    idx = lib.tensor(rng.integers(0, 20, (12, 5)))
    y = lib.tensor(rng.integers(0, 4, 12))
    r = lib.tensor(rng.standard_normal(12).astype(np.float32))
    losses = []
    for _ in range(15):
        opt.zero_grad()
        logits, reg = m(idx)
        loss = F.cross_entropy(logits, y, label_smoothing=0.1) + nn.SmoothL1Loss()(reg, r)
        loss.backward()
        lib.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
    return np.array(losses), m.state_dict()


def test_training_loop_matches_torch():
    ln, sn = _train(numtorch)
    lt, st = _train(torch)
    assert ln[-1] < ln[0] * 0.5
    np.testing.assert_allclose(ln, lt, rtol=1e-5, atol=1e-5)
    assert list(sn) == list(st)
    for k in st:
        np.testing.assert_allclose(sn[k].numpy(), st[k].numpy(), rtol=1e-4, atol=1e-5)
