"""numtorch.optim.lr_scheduler against torch 2.13: lr sequences, state dicts, warnings, errors."""
import math
import warnings

import numpy as np
import pytest
from helpers import both_raise, torch

import numtorch as nt


def make_opt(lib, name="SGD", groups=2, **kw):
    ps = [lib.nn.Parameter(lib.ones(2)) for _ in range(groups)]
    for p in ps:
        p.grad = lib.ones(2)
    if name == "SGD":
        kw.setdefault("momentum", 0.9)
    pg = [{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(ps)]
    return getattr(lib.optim, name)(pg, **kw)


def S(lib):
    return lib.optim.lr_scheduler


class Scale:
    """A picklable-state callable lr_lambda (its __dict__ goes into the state dict)."""

    def __init__(self, f):
        self.f = f

    def __call__(self, e):
        return self.f ** e


SCHEDULERS = {
    "StepLR": lambda L, o: L.StepLR(o, 3, gamma=0.5),
    "MultiStepLR": lambda L, o: L.MultiStepLR(o, [2, 5, 5, 9], gamma=0.3),
    "ConstantLR": lambda L, o: L.ConstantLR(o, factor=0.25, total_iters=4),
    "LinearLR": lambda L, o: L.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=7),
    "LinearLR-down": lambda L, o: L.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=10),
    "ExponentialLR": lambda L, o: L.ExponentialLR(o, 0.9),
    "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, 7, eta_min=0.001),
    "CosineAnnealingLR-0": lambda L, o: L.CosineAnnealingLR(o, 10),
    "LambdaLR": lambda L, o: L.LambdaLR(o, lambda e: 1.0 / (e + 1)),
    "LambdaLR-list": lambda L, o: L.LambdaLR(o, [lambda e: 0.9 ** e, Scale(0.8)]),
    "MultiplicativeLR": lambda L, o: L.MultiplicativeLR(o, lambda e: 0.95),
    "PolynomialLR": lambda L, o: L.PolynomialLR(o, total_iters=12, power=2.0),
    "CosineAnnealingWarmRestarts": lambda L, o: L.CosineAnnealingWarmRestarts(o, 4, T_mult=2, eta_min=0.01),
    "CosineAnnealingWarmRestarts-1": lambda L, o: L.CosineAnnealingWarmRestarts(o, 5),
    "OneCycleLR": lambda L, o: L.OneCycleLR(o, 1.0, total_steps=40),
    "OneCycleLR-linear": lambda L, o: L.OneCycleLR(o, [1.0, 2.0], epochs=4, steps_per_epoch=10,
                                                   anneal_strategy="linear", pct_start=0.25),
    "OneCycleLR-3phase": lambda L, o: L.OneCycleLR(o, 0.5, total_steps=40, three_phase=True, div_factor=10.0,
                                                   final_div_factor=100.0, base_momentum=0.8, max_momentum=0.9),
    "OneCycleLR-nomom": lambda L, o: L.OneCycleLR(o, 0.5, total_steps=40, cycle_momentum=False),
    "CyclicLR": lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=4),
    "CyclicLR-tri2": lambda L, o: L.CyclicLR(o, [0.01, 0.02], 0.1, step_size_up=3, step_size_down=5,
                                             mode="triangular2"),
    "CyclicLR-exp": lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.9),
    "SequentialLR": lambda L, o: L.SequentialLR(o, [L.ConstantLR(o, factor=0.5, total_iters=3),
                                                    L.ExponentialLR(o, 0.9)], milestones=[5]),
    "SequentialLR-3": lambda L, o: L.SequentialLR(o, [L.LinearLR(o, 0.1, total_iters=4),
                                                      L.CosineAnnealingLR(o, 8),
                                                      L.StepLR(o, 2)], milestones=[4, 12]),
    "ChainedScheduler": lambda L, o: L.ChainedScheduler([L.ConstantLR(o, factor=0.5, total_iters=4),
                                                         L.ExponentialLR(o, 0.9)]),
}


def group_values(opt):
    out = []
    for g in opt.param_groups:
        out.append(g["lr"])
        if "momentum" in g:
            out.append(g["momentum"])
        if "betas" in g:
            out.extend(g["betas"])
    return out


def run(lib, key, steps=36, opt_name="SGD"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        o = make_opt(lib, opt_name)
        s = SCHEDULERS[key](S(lib), o)
        seq = [group_values(o) + list(s.get_last_lr())]
        for _ in range(steps):
            o.step()
            s.step()
            seq.append(group_values(o) + list(s.get_last_lr()))
    return seq, s, o


def comparable(sd):
    """A scheduler state dict without entries that hold functions."""
    out = {}
    for k, v in sd.items():
        if k == "_schedulers":
            out[k] = [comparable(x) for x in v]
        elif callable(v) and not isinstance(v, type):
            continue
        else:
            out[k] = v
    return out


@pytest.mark.parametrize("key", list(SCHEDULERS))
def test_lr_sequence_matches_torch(key):
    steps = 39 if key.startswith("OneCycle") else 36
    a, sa, _ = run(nt, key, steps)
    b, sb, _ = run(torch, key, steps)
    np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-12, atol=1e-15)
    assert comparable(sa.state_dict()) == comparable(sb.state_dict())


@pytest.mark.parametrize("key", ["OneCycleLR", "OneCycleLR-3phase", "CyclicLR"])
def test_beta1_cycling_with_adam(key):
    a, _, oa = run(nt, key, 30, "Adam")
    b, _, ob = run(torch, key, 30, "Adam")
    np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-12, atol=1e-15)
    assert {k: v for k, v in oa.param_groups[0].items() if k != "params"} == \
           {k: v for k, v in ob.param_groups[0].items() if k != "params"}


def test_onecycle_past_total_steps_raises():
    def go(lib):
        o = make_opt(lib)
        s = S(lib).OneCycleLR(o, 1.0, total_steps=3)
        for _ in range(4):
            o.step()
            s.step()

    both_raise(lambda: go(nt), lambda: go(torch), ValueError)


RESUMABLE = ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "CosineAnnealingLR",
             "LambdaLR", "MultiplicativeLR", "PolynomialLR", "CosineAnnealingWarmRestarts"]


@pytest.mark.parametrize("key", RESUMABLE)
@pytest.mark.parametrize("last_epoch", [0, 1, 2, 3, 4, 5, 9])
def test_resume_with_last_epoch(key, last_epoch):
    def go(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            o = make_opt(lib)
            for g in o.param_groups:
                g["initial_lr"] = g["lr"] * 2
            factory = SCHEDULERS[key]
            L = S(lib)

            class Resumed:
                def __getattr__(self, name):
                    cls = getattr(L, name)
                    return lambda *a, **k: cls(*a, last_epoch=last_epoch, **k)
            s = factory(Resumed(), o)
            seq = [group_values(o)]
            for _ in range(12):
                o.step()
                s.step()
                seq.append(group_values(o))
        return seq

    np.testing.assert_allclose(np.array(go(nt)), np.array(go(torch)), rtol=1e-12)


@pytest.mark.parametrize("key", ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR",
                                 "CosineAnnealingLR", "PolynomialLR", "LambdaLR", "MultiplicativeLR",
                                 "CosineAnnealingWarmRestarts"])
def test_step_with_epoch_uses_closed_form_and_warns(key):
    def go(lib):
        o = make_opt(lib)
        s = SCHEDULERS[key](S(lib), o)
        seq = []
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            for e in [3, 1, 7, 8, 2, 15]:
                o.step()
                s.step(e)
                seq.append(group_values(o))
                o.step()
                s.step()
                seq.append(group_values(o))
        return seq, sorted({str(r.message) for r in rec})

    (a, wa), (b, wb) = go(nt), go(torch)
    np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-12)
    assert wa == wb


def test_cosine_follows_external_lr_changes():
    def go(lib):
        o = make_opt(lib)
        s = S(lib).CosineAnnealingLR(o, 6, eta_min=0.01)
        seq = []
        for i in range(25):
            o.step()
            s.step()
            if i == 4:
                o.param_groups[0]["lr"] *= 0.5
            seq.append(group_values(o))
        return seq

    np.testing.assert_allclose(np.array(go(nt)), np.array(go(torch)), rtol=1e-12)


@pytest.mark.parametrize("kw", [dict(), dict(mode="max", factor=0.5, patience=2, threshold=0.1),
                                dict(threshold_mode="abs", threshold=0.05, cooldown=2, patience=1,
                                     min_lr=[0.02, 0.05]),
                                dict(mode="max", threshold_mode="abs", patience=0, eps=0.05, min_lr=0.03)])
def test_reduce_lr_on_plateau(kw):
    metrics = [1.0, 0.9, 0.95, 0.91, 0.92, 0.93, 0.5, 0.6, 0.6, 0.6, 0.7, 0.4, 0.4, 0.4, 0.4] * 3

    def go(lib):
        o = make_opt(lib)
        s = S(lib).ReduceLROnPlateau(o, **kw)
        seq = []
        for m in metrics:
            o.step()
            s.step(lib.tensor(m) if len(seq) % 2 else m)
            seq.append(group_values(o) + s.get_last_lr())
        return seq, s

    (a, sa), (b, sb) = go(nt), go(torch)
    np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-12)
    assert sa.state_dict() == sb.state_dict()


@pytest.mark.parametrize("key", ["StepLR", "CosineAnnealingLR", "OneCycleLR", "LambdaLR-list", "SequentialLR",
                                 "ChainedScheduler", "CosineAnnealingWarmRestarts"])
def test_state_dict_round_trip(key):
    seq, s, _ = run(nt, key, 10)
    sd = s.state_dict()
    full, _, _ = run(nt, key, 20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        o2 = make_opt(nt)
        s2 = SCHEDULERS[key](S(nt), o2)
        s2.load_state_dict(sd)
        for g, lr in zip(o2.param_groups, s.get_last_lr()):
            g["lr"] = lr
        for _ in range(10):
            o2.step()
            s2.step()
    np.testing.assert_allclose(s2.get_last_lr(), full[-1][-len(s2.get_last_lr()):], rtol=1e-12)


def test_warnings():
    for lib in (nt, torch):
        o = make_opt(lib)
        s = S(lib).StepLR(o, 3)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            s.step()
            s.get_lr()
        msgs = [str(r.message) for r in rec]
        assert msgs[0].startswith("Detected call of `lr_scheduler.step()` before `optimizer.step()`.")
        assert msgs[1] == "To get the last learning rate computed by the scheduler, please use `get_last_lr()`."
        o = make_opt(lib)
        s = S(lib).StepLR(o, 3)
        o.step()
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            s.step()
        assert not rec
        o = make_opt(lib)
        s = S(lib).StepLR(o, 3)
        o.step = lambda *a, **k: None
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            s.step()
        assert str(rec[0].message).startswith("Seems like `optimizer.step()` has been overridden")
        o = make_opt(lib)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            S(lib).SequentialLR(o, [S(lib).ConstantLR(o), S(lib).ExponentialLR(o, 0.9)], [3])
            for _ in range(5):
                o.step()
        assert not rec


def test_initial_lr_and_base_lrs():
    for lib in (nt, torch):
        o = make_opt(lib)
        s = S(lib).StepLR(o, 3)
        assert s.base_lrs == [0.1, 0.2] and o.param_groups[1]["initial_lr"] == 0.2
        assert s.last_epoch == 0 and s._step_count == 1
        assert list(s.state_dict()) == ["step_size", "gamma", "base_lrs", "last_epoch", "_step_count",
                                        "_is_initial", "_get_lr_called_within_step", "_last_lr"]


def test_errors_match_torch():
    def mk(lib):
        return make_opt(lib, groups=1), make_opt(lib, groups=1)

    na, ta = mk(nt), mk(torch)
    cases = [
        lambda L, o, o2: L.StepLR(5, 3),
        lambda L, o, o2: L.StepLR(o2, 3, last_epoch=5),
        lambda L, o, o2: L.SequentialLR(o, [], []),
        lambda L, o, o2: L.SequentialLR(o, [L.ConstantLR(o)], [3]),
        lambda L, o, o2: L.SequentialLR(o, [L.ConstantLR(o), 5], [3]),
        lambda L, o, o2: L.SequentialLR(o, [L.ConstantLR(o), L.ReduceLROnPlateau(o)], [3]),
        lambda L, o, o2: L.ChainedScheduler([]),
        lambda L, o, o2: L.ChainedScheduler([L.ConstantLR(o), L.ReduceLROnPlateau(o)]),
        lambda L, o, o2: L.ChainedScheduler([L.ConstantLR(o), 3]),
        lambda L, o, o2: L.ConstantLR(o, factor=1.5),
        lambda L, o, o2: L.LinearLR(o, start_factor=0),
        lambda L, o, o2: L.LinearLR(o, end_factor=2),
        lambda L, o, o2: L.LambdaLR(o, [lambda e: 1, lambda e: 2]),
        lambda L, o, o2: L.MultiplicativeLR(o, [lambda e: 1, lambda e: 2]),
        lambda L, o, o2: L.OneCycleLR(o, 1.0),
        lambda L, o, o2: L.OneCycleLR(o, 1.0, total_steps=0),
        lambda L, o, o2: L.OneCycleLR(o, 1.0, total_steps=2.5),
        lambda L, o, o2: L.OneCycleLR(o, 1.0, epochs=0, steps_per_epoch=3),
        lambda L, o, o2: L.OneCycleLR(o, 1.0, epochs=2),
        lambda L, o, o2: L.OneCycleLR(o, 1.0, epochs=2, steps_per_epoch=-1),
        lambda L, o, o2: L.OneCycleLR(o, 1.0, total_steps=10, pct_start=1.5),
        lambda L, o, o2: L.OneCycleLR(o, 1.0, total_steps=10, anneal_strategy="x"),
        lambda L, o, o2: L.OneCycleLR(o, [1.0, 2.0], total_steps=10),
        lambda L, o, o2: L.ReduceLROnPlateau(o, factor=1.0),
        lambda L, o, o2: L.ReduceLROnPlateau(o, mode="x"),
        lambda L, o, o2: L.ReduceLROnPlateau(o, threshold_mode="x"),
        lambda L, o, o2: L.ReduceLROnPlateau(o, min_lr=[0.1, 0.2]),
        lambda L, o, o2: L.CosineAnnealingWarmRestarts(o, 0),
        lambda L, o, o2: L.CosineAnnealingWarmRestarts(o, 2, T_mult=0),
        lambda L, o, o2: L.CosineAnnealingWarmRestarts(o, 2, eta_min="a"),
        lambda L, o, o2: L.CosineAnnealingWarmRestarts(o, 2).step(-1),
        lambda L, o, o2: L.LRScheduler(o).get_lr(),
    ]
    for c in cases:
        both_raise(lambda: c(S(nt), *na), lambda: c(S(torch), *ta))
    both_raise(lambda: S(nt).OneCycleLR(nt.optim.Adagrad([nt.nn.Parameter(nt.ones(1))]), 1.0, total_steps=10),
               lambda: S(torch).OneCycleLR(torch.optim.Adagrad([torch.nn.Parameter(torch.ones(1))]), 1.0,
                                           total_steps=10))
    # messages that embed the optimizer's repr
    both_raise(lambda: S(nt).SequentialLR(na[0], [S(nt).ConstantLR(na[0]), S(nt).ConstantLR(na[1])], [3]),
               lambda: S(torch).SequentialLR(ta[0], [S(torch).ConstantLR(ta[0]), S(torch).ConstantLR(ta[1])], [3]))


def test_closed_form_matches_math():
    o = make_opt(nt, groups=1)
    s = S(nt).CosineAnnealingLR(o, 10, eta_min=0.0)
    for _ in range(10):
        o.step()
        s.step()
    assert math.isclose(s.get_last_lr()[0], 0.0, abs_tol=1e-15)
