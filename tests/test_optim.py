"""numtorch.optim optimizers against torch 2.13: trajectories, state dicts, errors, hooks."""
import copy
import os
import warnings

import numpy as np
import pytest
from helpers import both_raise, torch

import numtorch as nt

rng = np.random.default_rng(0)
W0 = rng.standard_normal((5, 4)).astype(np.float32)
B0 = rng.standard_normal(5).astype(np.float32)
X = rng.standard_normal((8, 4)).astype(np.float32)
Y = rng.standard_normal((8, 5)).astype(np.float32)
U0 = rng.standard_normal(3).astype(np.float32)   # a parameter that never gets a gradient

NAMES = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]

CASES = [
    ("SGD", dict(lr=0.01)),
    ("SGD", dict(lr=0.01, momentum=0.9)),
    ("SGD", dict(lr=0.01, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.01, momentum=0.9, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.01, weight_decay=0.1)),
    ("SGD", dict(lr=0.01, momentum=0.5, nesterov=True, weight_decay=0.05, maximize=True)),
    ("SGD", dict(lr=0.01, maximize=True)),
    ("SGD", dict(lr=0.01, momentum=0.9, foreach=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, betas=(0.3, 0.9), eps=1e-3, maximize=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.3, amsgrad=True)),
    ("AdamW", dict(lr=0.05, betas=(0.5, 0.99), maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, alpha=0.3, eps=1e-4, maximize=True)),
    ("RMSprop", dict(lr=0.01, alpha=0.6, centered=True, maximize=True, weight_decay=0.2)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, maximize=True, eps=1e-3)),
]


class Setup:
    """The same model (w, b, an unused u) and loss built with either library."""

    def __init__(self, lib, cls_name, kwargs, groups=False, dtype=np.float32):
        self.lib = lib
        P = lib.nn.Parameter
        self.w = P(lib.tensor(W0.astype(dtype)))
        self.b = P(lib.tensor(B0.astype(dtype)))
        self.u = P(lib.tensor(U0.astype(dtype)))
        self.x = lib.tensor(X.astype(dtype))
        self.y = lib.tensor(Y.astype(dtype))
        cls = getattr(lib.optim, cls_name)
        if groups:
            params = [{"params": [self.w, self.u]}, {"params": [self.b], "lr": kwargs.get("lr", 0.01) * 3}]
        else:
            params = [self.w, self.b, self.u]
        self.opt = cls(params, **kwargs)

    def loss(self):
        return ((self.x @ self.w.T + self.b - self.y) ** 2).sum() / 8

    def closure(self):
        self.opt.zero_grad()
        loss = self.loss()
        loss.backward()
        return loss

    def run(self, steps):
        out = []
        for _ in range(steps):
            self.opt.step(self.closure)
            out.append((self.w.detach().numpy().copy(), self.b.detach().numpy().copy()))
        return out

    def params(self):
        return [self.w, self.b, self.u]


def t2n(v):
    return v.detach().numpy() if isinstance(v, (torch.Tensor, nt.Tensor)) else v


def assert_traj(a, b, rtol=2e-5, atol=2e-6):
    for (wa, ba), (wb, bb) in zip(a, b):
        np.testing.assert_allclose(wa, wb, rtol=rtol, atol=atol)
        np.testing.assert_allclose(ba, bb, rtol=rtol, atol=atol)


def assert_state_dict(sn, st):
    """numtorch's state_dict equals torch's: same keys, group entries, tensor dtypes and values."""
    assert list(sn.keys()) == list(st.keys())
    assert list(sn["state"].keys()) == list(st["state"].keys())
    for k in st["state"]:
        a, b = sn["state"][k], st["state"][k]
        assert list(a.keys()) == list(b.keys())
        for kk in b:
            if isinstance(b[kk], torch.Tensor):
                assert isinstance(a[kk], nt.Tensor)
                assert str(a[kk].dtype) == str(b[kk].dtype) and tuple(a[kk].shape) == tuple(b[kk].shape)
                np.testing.assert_allclose(t2n(a[kk]), t2n(b[kk]), rtol=1e-4, atol=1e-6)
            else:
                assert a[kk] == b[kk]
    assert sn["param_groups"] == st["param_groups"]


@pytest.mark.parametrize("name,kw", CASES)
def test_trajectory_matches_torch(name, kw):
    a, b = Setup(nt, name, kw), Setup(torch, name, kw)
    assert_traj(a.run(20), b.run(20))
    assert_state_dict(a.opt.state_dict(), b.opt.state_dict())
    assert repr(a.opt) == repr(b.opt)


@pytest.mark.parametrize("name,kw", CASES[1::3])
def test_param_groups_trajectory(name, kw):
    a, b = Setup(nt, name, kw, groups=True), Setup(torch, name, kw, groups=True)
    assert_traj(a.run(20), b.run(20))
    assert_state_dict(a.opt.state_dict(), b.opt.state_dict())
    assert repr(a.opt) == repr(b.opt)


@pytest.mark.parametrize("name", NAMES)
def test_float64_params(name):
    a = Setup(nt, name, dict(lr=0.01), dtype=np.float64)
    b = Setup(torch, name, dict(lr=0.01), dtype=np.float64)
    assert_traj(a.run(10), b.run(10), rtol=1e-10, atol=1e-12)
    assert_state_dict(a.opt.state_dict(), b.opt.state_dict())


def to_nt_state_dict(sd):
    """A torch optimizer state dict with its tensors turned into numtorch tensors."""
    state = {k: {kk: (nt.tensor(vv.numpy().copy()) if isinstance(vv, torch.Tensor) else vv)
                 for kk, vv in v.items()} for k, v in sd["state"].items()}
    return {"state": state, "param_groups": copy.deepcopy(sd["param_groups"])}


@pytest.mark.parametrize("name,kw", CASES[1::2])
def test_load_state_dict_from_torch_continues_trajectory(name, kw):
    b = Setup(torch, name, kw)
    b.run(7)
    a = Setup(nt, name, kw)
    with nt.no_grad():
        a.w.copy_(nt.tensor(b.w.detach().numpy().copy()))
        a.b.copy_(nt.tensor(b.b.detach().numpy().copy()))
    a.opt.load_state_dict(to_nt_state_dict(b.opt.state_dict()))
    assert_traj(a.run(10), b.run(10))
    assert_state_dict(a.opt.state_dict(), b.opt.state_dict())


@pytest.mark.parametrize("name", NAMES)
def test_load_raw_torch_tensors_and_round_trip(name):
    b = Setup(torch, name, dict(lr=0.02))
    b.run(3)
    a = Setup(nt, name, dict(lr=0.5))
    with nt.no_grad():
        a.w.copy_(nt.tensor(b.w.detach().numpy().copy()))
        a.b.copy_(nt.tensor(b.b.detach().numpy().copy()))
    a.opt.load_state_dict(b.opt.state_dict())     # torch tensors are converted
    assert a.opt.param_groups[0]["lr"] == 0.02
    # numtorch -> numtorch round trip
    c = Setup(nt, name, dict(lr=0.5))
    with nt.no_grad():
        c.w.copy_(a.w)
        c.b.copy_(a.b)
    c.opt.load_state_dict(copy.deepcopy(a.opt.state_dict()))   # state tensors are shared otherwise
    tb = b.run(5)
    assert_traj(a.run(5), tb)
    assert_traj(c.run(5), tb)


def test_load_state_dict_casts_to_param_dtype_and_keeps_step():
    w = nt.nn.Parameter(nt.randn(3, dtype=nt.float64))
    o = nt.optim.Adam([w])
    sd = {"state": {0: {"step": nt.tensor(4.0), "exp_avg": nt.ones(3), "exp_avg_sq": nt.ones(3)}},
          "param_groups": [{"params": [0]}]}
    o.load_state_dict(sd)
    st = o.state[w]
    assert st["exp_avg"].dtype == nt.float64 and st["step"].dtype == nt.float32
    assert set(o.param_groups[0]) == {"params", "amsgrad", "maximize", "foreach", "capturable", "differentiable",
                                      "decoupled_weight_decay", "fused"}
    o = nt.optim.Adam([w])
    o.load_state_dict({"state": {0: {"step": 3, "exp_avg": nt.ones(3), "exp_avg_sq": nt.ones(3)}},
                       "param_groups": [{"params": [0], "lr": 0.1}]})
    assert isinstance(o.state[w]["step"], nt.Tensor) and float(o.state[w]["step"]) == 3.0
    tw = torch.nn.Parameter(torch.randn(3))
    for name in NAMES:
        to = getattr(torch.optim, name)([tw])
        to.load_state_dict({"state": {}, "param_groups": [{"params": [0]}]})
        no = getattr(nt.optim, name)([w])
        no.load_state_dict({"state": {}, "param_groups": [{"params": [0]}]})
        assert no.param_groups[0].keys() == to.param_groups[0].keys()
        assert {k: v for k, v in no.param_groups[0].items() if k != "params"} == \
               {k: v for k, v in to.param_groups[0].items() if k != "params"}


def test_state_dict_layout_sgd_and_adagrad_initial_state():
    a, b = Setup(nt, "Adagrad", dict(initial_accumulator_value=0.25)), \
        Setup(torch, "Adagrad", dict(initial_accumulator_value=0.25))
    assert_state_dict(a.opt.state_dict(), b.opt.state_dict())
    a, b = Setup(nt, "SGD", dict(momentum=0.0)), Setup(torch, "SGD", dict(momentum=0.0))
    a.run(2)
    b.run(2)
    assert a.opt.state_dict()["state"] == {} == b.opt.state_dict()["state"]
    # state tensors are shared, groups copied
    a = Setup(nt, "Adam", {})
    a.run(1)
    sd = a.opt.state_dict()
    assert sd["state"][0]["exp_avg"] is a.opt.state[a.w]["exp_avg"]
    sd["param_groups"][0]["lr"] = 5.0
    assert a.opt.param_groups[0]["lr"] == 0.001


def test_param_names_and_group_order():
    for lib in (nt, torch):
        w = lib.nn.Parameter(lib.ones(2))
        b = lib.nn.Parameter(lib.ones(2))
        o = lib.optim.SGD([("w", w), ("b", b)], lr=0.1)
        assert list(o.param_groups[0].keys())[:2] == ["params", "param_names"]
        assert o.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]
        o = lib.optim.SGD([{"params": [w], "foo": 3}], lr=0.1)
        assert list(o.param_groups[0].keys())[:3] == ["params", "foo", "lr"]


def test_errors_match_torch():
    def mk(lib):
        return lib.nn.Parameter(lib.ones(3)), lib.nn.Parameter(lib.ones(2))

    (nw, nb), (tw, tb) = mk(nt), mk(torch)
    cases = [
        lambda L, w, b: L.optim.SGD([], lr=0.1),
        lambda L, w, b: L.optim.SGD(w, lr=0.1),
        lambda L, w, b: L.optim.SGD({"params": [w]}, lr=0.1),
        lambda L, w, b: L.optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1),
        lambda L, w, b: L.optim.SGD([w * 2], lr=0.1),
        lambda L, w, b: L.optim.SGD([1.0], lr=0.1),
        lambda L, w, b: L.optim.SGD([{"params": {w}}], lr=0.1),
        lambda L, w, b: L.optim.SGD([{"lr": 1}], lr=0.1),
        lambda L, w, b: L.optim.SGD([w], lr=-0.1),
        lambda L, w, b: L.optim.SGD([w], momentum=-1),
        lambda L, w, b: L.optim.SGD([w], weight_decay=-1),
        lambda L, w, b: L.optim.SGD([w], nesterov=True),
        lambda L, w, b: L.optim.SGD([w], nesterov=True, momentum=0.9, dampening=0.1),
        lambda L, w, b: L.optim.SGD([("w", w), b]),
        lambda L, w, b: L.optim.SGD([{"params": [("w", w)]}, {"params": [b]}]),
        lambda L, w, b: L.optim.Adam([w], lr=-1),
        lambda L, w, b: L.optim.Adam([w], eps=-1),
        lambda L, w, b: L.optim.Adam([w], betas=(1.0, 0.9)),
        lambda L, w, b: L.optim.Adam([w], betas=(0.9, -0.1)),
        lambda L, w, b: L.optim.Adam([w], weight_decay=-0.1),
        lambda L, w, b: L.optim.AdamW([w], weight_decay=-0.1),
        lambda L, w, b: L.optim.RMSprop([w], lr=-1),
        lambda L, w, b: L.optim.RMSprop([w], eps=-1),
        lambda L, w, b: L.optim.RMSprop([w], momentum=-1),
        lambda L, w, b: L.optim.RMSprop([w], weight_decay=-1),
        lambda L, w, b: L.optim.RMSprop([w], alpha=-1),
        lambda L, w, b: L.optim.Adagrad([w], lr=-1),
        lambda L, w, b: L.optim.Adagrad([w], lr_decay=-1),
        lambda L, w, b: L.optim.Adagrad([w], weight_decay=-1),
        lambda L, w, b: L.optim.Adagrad([w], initial_accumulator_value=-1),
        lambda L, w, b: L.optim.Adagrad([w], eps=-1),
        lambda L, w, b: L.optim.SGD([w]).add_param_group({"params": [w]}),
        lambda L, w, b: L.optim.SGD([w]).add_param_group([b]),
        lambda L, w, b: L.optim.Adam([w]).load_state_dict(L.optim.Adam([w, b]).state_dict()),
        lambda L, w, b: L.optim.Adam([w, b]).load_state_dict(L.optim.Adam([{"params": [w]}, {"params": [b]}])
                                                             .state_dict()),
        lambda L, w, b: L.optim.Adam([w]).load_state_dict({"state": {}}),
    ]
    for c in cases:
        both_raise(lambda: c(nt, nw, nb), lambda: c(torch, tw, tb))
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        nt.optim.SGD([nw, nw], lr=0.1)
    assert any("duplicate parameters" in str(r.message) for r in rec)


@pytest.mark.parametrize("kw", [dict(fused=True), dict(capturable=True), dict(differentiable=True)])
def test_unsupported_flags(kw):
    w = nt.nn.Parameter(nt.ones(3))
    for name in NAMES:
        try:
            getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(3))], **kw)
        except TypeError:
            continue   # torch has no such argument for this optimizer
        with pytest.raises(NotImplementedError, match=list(kw)[0]):
            getattr(nt.optim, name)([w], **kw)


def test_zero_grad_and_step_without_grads():
    a = Setup(nt, "SGD", dict(lr=0.1, momentum=0.9))
    a.loss().backward()
    g = a.w.grad
    a.opt.zero_grad(set_to_none=False)
    assert a.w.grad is g and float(g.abs().sum()) == 0.0 and not g.requires_grad
    a.opt.zero_grad()
    assert a.w.grad is None and a.b.grad is None
    before = a.w.detach().numpy().copy()
    a.opt.step()
    np.testing.assert_array_equal(before, a.w.detach().numpy())
    assert len(a.opt.state) == 0
    # the update is an in-place op: the version counter moves
    a.loss().backward()
    v = a.w._version
    a.opt.step()
    assert a.w._version > v


def test_closure_runs_with_grad_and_returns_loss():
    a = Setup(nt, "Adam", {})
    seen = []

    def closure():
        seen.append(nt.is_grad_enabled())
        return a.closure()

    with nt.no_grad():
        loss = a.opt.step(closure)
    assert seen == [True] and isinstance(loss, nt.Tensor) and loss.requires_grad
    assert a.opt.step() is None


def test_step_hooks():
    for lib in (nt, torch):
        a = Setup(lib, "SGD", dict(lr=0.1))
        calls = []
        h1 = a.opt.register_step_pre_hook(lambda o, args, kw: calls.append(("pre", len(args), dict(kw))))
        h2 = a.opt.register_step_post_hook(lambda o, args, kw: calls.append(("post", len(args), dict(kw))))
        a.opt.step(closure=a.closure)
        a.opt.step(a.closure)
        assert calls == [("pre", 1, {"closure": a.closure}), ("post", 1, {"closure": a.closure}),
                         ("pre", 2, {}), ("post", 2, {})]
        h1.remove()
        h2.remove()
        a.opt.step()
        assert len(calls) == 4
        a.opt.register_step_pre_hook(lambda o, args, kw: 5)
        with pytest.raises(RuntimeError, match="must return None or a tuple of"):
            a.opt.step()
    from numtorch.optim.optimizer import register_optimizer_step_post_hook
    a = Setup(nt, "SGD", dict(lr=0.1))
    seen = []
    h = register_optimizer_step_post_hook(lambda o, args, kw: seen.append(o))
    a.opt.step()
    h.remove()
    a.opt.step()
    assert seen == [a.opt]


def test_state_dict_hooks():
    a = Setup(nt, "SGD", dict(lr=0.1))
    log = []
    a.opt.register_state_dict_pre_hook(lambda o: log.append("pre"))

    def post(o, sd):
        log.append("post")
        sd["extra"] = 1
        return sd

    a.opt.register_state_dict_post_hook(post)
    a.opt.register_load_state_dict_pre_hook(lambda o, sd: log.append(("lpre", sorted(sd))))
    a.opt.register_load_state_dict_post_hook(lambda o: log.append("lpost"))
    sd = a.opt.state_dict()
    assert sd["extra"] == 1
    a.opt.load_state_dict(sd)
    assert log == ["pre", "post", ("lpre", ["extra", "param_groups", "state"]), "lpost"]


def test_deepcopy_and_add_param_group():
    a = Setup(nt, "Adam", {})
    a.run(2)
    o2 = copy.deepcopy(a.opt)
    assert o2.param_groups[0]["params"][0] is not a.w
    assert float(o2.state[o2.param_groups[0]["params"][0]]["step"]) == 2.0
    b = Setup(torch, "Adagrad", dict(lr=0.1))
    a = Setup(nt, "Adagrad", dict(lr=0.1))
    for s, lib in ((a, nt), (b, torch)):
        s.extra = lib.nn.Parameter(lib.ones(2))
        s.opt.add_param_group({"params": [s.extra], "lr": 0.5})
        s.extra.grad = lib.ones(2)
        s.opt.step()
    assert_state_dict(a.opt.state_dict(), b.opt.state_dict())
    assert repr(a.opt) == repr(b.opt)


def test_mlp_step_uses_no_big_temporaries():
    """SGD momentum on the 784-256-256-10 MLP: state buffers and scratch are reused."""
    shapes = [(256, 784), (256,), (256, 256), (256,), (10, 256), (10,)]
    ps = [nt.nn.Parameter(nt.randn(*s)) for s in shapes]
    for p in ps:
        p.grad = nt.randn(*p.shape)
    opt = nt.optim.SGD(ps, lr=0.01, momentum=0.9)
    opt.step()
    opt.step()
    bufs = [opt.state[p]["momentum_buffer"]._data for p in ps]
    datas = [p._data for p in ps]
    opt.step()
    assert all(b is opt.state[p]["momentum_buffer"]._data for b, p in zip(bufs, ps))
    assert all(d is p._data for d, p in zip(datas, ps))


BIG_CASES = [("SGD", dict(lr=0.01, momentum=0.9)), ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True,
                                                                 weight_decay=0.1)),
             ("SGD", dict(lr=0.01, maximize=True)), ("SGD", dict(lr=0.01, momentum=0.8, dampening=0.2,
                                                                  maximize=True)),
             ("Adam", dict(lr=0.01)), ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True)),
             ("AdamW", dict(lr=0.01, maximize=True)),
             ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True)), ("RMSprop", dict(lr=0.01, maximize=True)),
             ("Adagrad", dict(lr=0.05, weight_decay=0.1)), ("Adagrad", dict(lr=0.05, maximize=True))]


@pytest.mark.parametrize("blas", [True, False])
@pytest.mark.parametrize("name,kw", BIG_CASES)
def test_large_params_match_torch(name, kw, blas, monkeypatch):
    """Arrays above the one-pass (BLAS) threshold, with and without the BLAS path."""
    from numtorch.optim import optimizer as O
    if not blas:
        monkeypatch.setattr(O, "_BLAS", [{}])
    r = np.random.default_rng(1)
    p0 = r.standard_normal((300, 256)).astype(np.float32)
    gs = [r.standard_normal((300, 256)).astype(np.float32) for _ in range(3)]
    pn, pt = nt.nn.Parameter(nt.tensor(p0)), torch.nn.Parameter(torch.tensor(p0))
    on, ot = getattr(nt.optim, name)([pn], **kw), getattr(torch.optim, name)([pt], **kw)
    for i in range(9):
        pn.grad, pt.grad = nt.tensor(gs[i % 3]), torch.tensor(gs[i % 3])
        on.step()
        ot.step()
    np.testing.assert_allclose(pn.detach().numpy(), pt.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert_state_dict(on.state_dict(), ot.state_dict())


def test_blas_found_for_float32_and_float64():
    from numtorch.optim import optimizer as O
    if os.environ.get("NUMTORCH_OPTIM_BLAS", "1") == "0":
        pytest.skip("BLAS path disabled")
    a = np.zeros(1 << 16, np.float32)
    if O._blas(a, a) is None:
        pytest.skip("NumPy's bundled OpenBLAS was not found")
    assert O._blas(a.astype(np.float64), a.astype(np.float64)) is not None
    assert O._blas(a[::2], a[::2]) is None and O._blas(a[:10], a[:10]) is None


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.01, momentum=0.9, nesterov=True)), ("Adam", dict(lr=0.01))])
def test_threaded_split_of_large_params(name, kw):
    """Parameters big enough for numtorch's elementwise threads (split along the first axis)."""
    prev = nt.get_num_threads()
    nt.set_num_threads(4)
    try:
        r = np.random.default_rng(2)
        p0 = r.standard_normal((600, 512)).astype(np.float32)
        g0 = r.standard_normal((600, 512)).astype(np.float32)
        pn, pt = nt.nn.Parameter(nt.tensor(p0)), torch.nn.Parameter(torch.tensor(p0))
        on, ot = getattr(nt.optim, name)([pn], **kw), getattr(torch.optim, name)([pt], **kw)
        for i in range(4):
            pn.grad, pt.grad = nt.tensor(g0 * (i + 1)), torch.tensor(g0 * (i + 1))
            on.step()
            ot.step()
        np.testing.assert_allclose(pn.detach().numpy(), pt.detach().numpy(), rtol=1e-5, atol=1e-6)
    finally:
        nt.set_num_threads(prev)
