"""nn containers (Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict) against torch:
the same scenario runs on both libraries, step by step, and every step's result (repr, child
names, state_dict keys, return values) or error (type and message) must agree."""
from collections import OrderedDict

import numpy as np
import pytest
from helpers import torch

import numtorch as nt


def _norm(r):
    """A library-neutral picture of a result: reprs for modules, arrays for tensors."""
    if isinstance(r, (nt.nn.Module, torch.nn.Module)):
        return ("module", type(r).__name__, repr(r).replace("numtorch", "torch"))
    if isinstance(r, (nt.Tensor, torch.Tensor)):
        return ("tensor", type(r).__name__, str(r.dtype), tuple(r.shape), r.detach().numpy().tolist(),
                bool(r.requires_grad))
    if isinstance(r, (nt.dtype, torch.dtype)):
        return str(r)
    if isinstance(r, str):
        return r.replace("numtorch", "torch")
    if isinstance(r, (list, tuple)):
        return type(r).__name__, [_norm(x) for x in r]
    if isinstance(r, dict):
        return "dict", [(k, _norm(v)) for k, v in r.items()]
    return r


def _run(steps, T):
    out = []
    for step in steps:
        try:
            out.append(("ok", _norm(step(T))))
        except Exception as e:  # noqa: BLE001 - compared with torch's
            out.append(("raise", type(e).__name__, str(e).replace("numtorch", "torch")))
    return out


def check(make_steps):
    """``make_steps()`` returns a list of callables ``step(T)`` sharing state through a closure."""
    got = _run(make_steps(), nt)
    want = _run(make_steps(), torch)
    assert got == want


def keys(m):
    return list(m._modules.keys())


def items(m):
    return list(m._modules.items())


# --------------------------------------------------------------------------- Sequential
def seq_basic():
    st = {}

    def build(T):
        st["s"] = T.nn.Sequential(T.nn.Linear(2, 3), T.nn.ReLU(), T.nn.Linear(3, 1))
        return st["s"]
    s = lambda: st["s"]  # noqa: E731
    return [build, lambda T: s()[-1], lambda T: s()[1:], lambda T: keys(s()[1:]), lambda T: keys(s()[::2]),
            lambda T: s()[5], lambda T: s()[-4], lambda T: s()["0"], lambda T: s()[1.0], lambda T: len(s()),
            lambda T: keys(s() + s()), lambda T: s() + 1, lambda T: keys(s() * 2), lambda T: keys(2 * s()),
            lambda T: s() * 0, lambda T: s() * -1, lambda T: s() * 1.5, lambda T: 1.5 * s(),
            lambda T: (lambda c: c[0] is c[3])(s() * 2), lambda T: [type(m).__name__ for m in s()],
            lambda T: list(reversed(s())), lambda T: [d for d in dir(s()) if d[0].isdigit()],
            lambda T: list(s().state_dict()), lambda T: s()(T.ones(1, 2), x=1)]


def seq_mutation():
    st = {}

    def build(T):
        st["s"] = T.nn.Sequential(T.nn.ReLU(), T.nn.Tanh(), T.nn.Sigmoid(), T.nn.GELU())
        return st["s"]
    s = lambda: st["s"]  # noqa: E731
    return [build, lambda T: s().__delitem__(1), lambda T: items(s()), lambda T: s().__delitem__(slice(0, 2)),
            lambda T: items(s()), build, lambda T: s().pop(1), lambda T: items(s()), lambda T: s().pop(-1),
            lambda T: s().pop(slice(0, 1)), lambda T: items(s()),
            lambda T: s().insert(1, T.nn.ELU()), lambda T: s().insert(-1, T.nn.SELU()),
            lambda T: s().insert(10, T.nn.GELU()), lambda T: s().insert(-10, T.nn.GELU()),
            lambda T: s().insert(0, 3), lambda T: s().append(T.nn.CELU()), lambda T: s().append(3),
            lambda T: s().extend([T.nn.Mish(), T.nn.SiLU()]), lambda T: s().extend([3]),
            lambda T: s().__setitem__(0, T.nn.Softsign()), lambda T: s().__setitem__(-1, T.nn.Softsign()),
            lambda T: s().__setitem__(0, 3), lambda T: s().__setitem__(20, T.nn.ReLU()), lambda T: items(s())]


def seq_inplace_ops():
    st = {}

    def build(T):
        st["s"] = T.nn.Sequential(T.nn.ReLU(), T.nn.Tanh())
        return st["s"]
    s = lambda: st["s"]  # noqa: E731

    def iadd(T):
        st["s"] += T.nn.Sequential(T.nn.Sigmoid())
        return keys(st["s"])

    def imul(T):
        st["s"] *= 2
        return keys(st["s"])
    return [build, iadd, lambda T: s().__iadd__([T.nn.ReLU()]), imul, lambda T: s()[0] is s()[3],
            lambda T: s().__imul__(0), lambda T: s().__imul__(1.0), lambda T: s()]


def seq_ordereddict():
    st = {}

    def build(T):
        st["s"] = T.nn.Sequential(OrderedDict([("a", T.nn.ReLU()), ("b", T.nn.Tanh())]))
        return st["s"]
    s = lambda: st["s"]  # noqa: E731
    return [build, lambda T: keys(s()[1:]), lambda T: keys(s() + T.nn.Sequential(T.nn.ReLU())),
            lambda T: keys(s() * 2), lambda T: s().insert(0, T.nn.ELU()), lambda T: s().__imul__(2),
            lambda T: s().__delitem__(0), lambda T: keys(s()), lambda T: s().append(T.nn.ReLU()),
            lambda T: keys(s()), build, lambda T: s().pop(0), lambda T: keys(s()),
            lambda T: T.nn.Sequential({"a": T.nn.ReLU()}), lambda T: T.nn.Sequential(3),
            lambda T: T.nn.Sequential(None), lambda T: T.nn.Sequential(), lambda T: T.nn.Sequential()(T.ones(2)),
            lambda T: T.nn.Sequential(OrderedDict([("a.b", T.nn.ReLU())])),
            lambda T: T.nn.Sequential(T.nn.ReLU(), T.nn.ReLU(), T.nn.Tanh())]


def seq_subclass():
    st = {}

    def build(T):
        class S(T.nn.Sequential):
            pass
        st["s"] = S(T.nn.ReLU(), T.nn.Tanh())
        return st["s"]
    s = lambda: st["s"]  # noqa: E731
    return [build, lambda T: s()[0:1], lambda T: s() + s(), lambda T: s() * 2]


# --------------------------------------------------------------------------- ModuleList
def ml_repr():
    return [lambda T: T.nn.ModuleList([T.nn.ReLU(), T.nn.ReLU(), T.nn.Tanh(), T.nn.Linear(2, 2), T.nn.Linear(2, 2),
                                       T.nn.Linear(2, 3), T.nn.ReLU()]),
            lambda T: T.nn.ModuleList([T.nn.ReLU(), T.nn.Tanh(), T.nn.ReLU(), T.nn.ReLU()]),
            lambda T: T.nn.ModuleList([T.nn.Sequential(T.nn.ReLU()), T.nn.Sequential(T.nn.ReLU())]),
            lambda T: T.nn.ModuleList([T.nn.ReLU()]), lambda T: T.nn.ModuleList(),
            lambda T: T.nn.ModuleList([None, None]),
            lambda T: T.nn.Sequential(T.nn.ModuleList([T.nn.ReLU(), T.nn.ReLU()]), T.nn.ReLU()),
            lambda T: T.nn.ModuleList([T.nn.Sequential(T.nn.Linear(1, 1), T.nn.ReLU()),
                                       T.nn.Sequential(T.nn.Linear(1, 1), T.nn.ReLU())]),
            lambda T: T.nn.ModuleList([T.nn.Linear(2, 2), T.nn.Linear(2, 2), T.nn.Linear(2, 3), T.nn.Linear(2, 3)])]


def ml_api():
    st = {}

    def build(T):
        st["l"] = T.nn.ModuleList([T.nn.ReLU(), T.nn.Tanh(), T.nn.Sigmoid()])
        return st["l"]
    L = lambda: st["l"]  # noqa: E731
    return [build, lambda T: L()[1:3], lambda T: keys(L()[1:3]), lambda T: L()[-1], lambda T: L()[10],
            lambda T: L()[-10], lambda T: L()["1"], lambda T: len(L()), lambda T: keys(L() + L()),
            lambda T: L() + [T.nn.ReLU()], lambda T: (L() + L())[0] is L()[0],
            lambda T: keys(L().__iadd__([T.nn.ReLU()])), lambda T: keys(L().__iadd__(m for m in [T.nn.GELU()])),
            lambda T: L() * 2, lambda T: L().insert(1, T.nn.ELU()), lambda T: items(L()),
            lambda T: L().insert(-1, T.nn.SELU()), lambda T: items(L()), lambda T: L().insert(100, T.nn.CELU()),
            lambda T: items(L()), lambda T: L(), lambda T: L().insert(-100, T.nn.Mish()), lambda T: L().insert(0, 3),
            lambda T: L().pop(1), lambda T: items(L()), lambda T: L().pop(slice(0, 2)), lambda T: items(L()),
            lambda T: L().__delitem__(-1), lambda T: items(L()), lambda T: L().__delitem__(slice(0, 2)),
            lambda T: L().__setitem__(0, T.nn.Hardtanh()), lambda T: L().__setitem__(-1, T.nn.Hardtanh()),
            lambda T: L().__setitem__(50, T.nn.ReLU()), lambda T: L().__setitem__(0, 5),
            lambda T: L().__setitem__(slice(0, 1), [T.nn.ReLU()]), lambda T: L().append(5),
            lambda T: L().extend(5), lambda T: L().extend([5]), lambda T: items(L()),
            lambda T: T.nn.ModuleList(5), lambda T: T.nn.ModuleList([5]), lambda T: T.nn.ModuleList({"a": 1}),
            lambda T: L()(T.ones(1)), lambda T: L()[0] in L(), lambda T: [d for d in dir(L()) if d[0].isdigit()]]


def ml_renumber():
    st = {}

    def build(T):
        st["l"] = T.nn.ModuleList([T.nn.Linear(1, 1), T.nn.ReLU(), T.nn.Linear(1, 1), T.nn.Tanh()])
        return st["l"]
    L = lambda: st["l"]  # noqa: E731

    def sub(T):
        class ML(T.nn.ModuleList):
            pass
        m = ML([T.nn.ReLU(), T.nn.Tanh()])
        return [m[0:1], m + m]
    return [build, lambda T: list(L().state_dict()), lambda T: L().__delitem__(0), lambda T: list(L().state_dict()),
            build, lambda T: L().__delitem__(slice(None, None, 2)), lambda T: items(L()), sub]


# --------------------------------------------------------------------------- ModuleDict
def md_api():
    st = {}

    def build(T):
        st["d"] = T.nn.ModuleDict({"b": T.nn.ReLU(), "a": T.nn.Tanh()})
        return st["d"]
    D = lambda: st["d"]  # noqa: E731
    return [build, lambda T: list(D().keys()), lambda T: list(D().items()), lambda T: list(D().values()),
            lambda T: D()["a"], lambda T: D()["z"], lambda T: D()[0], lambda T: D().__setitem__("c", T.nn.ELU()),
            lambda T: D().__setitem__("d", 3), lambda T: D().__setitem__(1, T.nn.ELU()),
            lambda T: D().__setitem__("x.y", T.nn.ELU()), lambda T: D().__delitem__("b"),
            lambda T: D().__delitem__("zz"), lambda T: len(D()), lambda T: list(iter(D())), lambda T: "a" in D(),
            lambda T: D().pop("a"), lambda T: D().pop("zz"),
            lambda T: D().update([("q", T.nn.ReLU()), ("r", T.nn.Tanh())]),
            lambda T: D().update({"z": T.nn.ReLU(), "m": T.nn.Tanh()}),
            lambda T: D().update(T.nn.ModuleDict({"k": T.nn.ReLU()})), lambda T: list(D().keys()),
            lambda T: D().update(5), lambda T: D().update([5]), lambda T: D().update([(1, 2, 3)]),
            lambda T: D().update([("a",)]), lambda T: D(), lambda T: D().clear(), lambda T: list(D().keys()),
            lambda T: T.nn.ModuleDict(5), lambda T: list(T.nn.ModuleDict({"x": T.nn.Linear(1, 1)}).state_dict()),
            lambda T: T.nn.ModuleDict()(1), lambda T: T.nn.ModuleDict(),
            lambda T: T.nn.ModuleDict({"a": T.nn.ReLU(), "b": T.nn.ReLU()}),
            lambda T: T.nn.ModuleDict({"a": T.nn.ReLU()}).get("a")]


# --------------------------------------------------------------------------- ParameterList / ParameterDict
def pl_api():
    st = {}

    def build(T):
        st["p"] = T.nn.ParameterList([T.nn.Parameter(T.ones(2, 3)), T.zeros(3), 5, "abc", T.nn.Linear(1, 1), None])
        return st["p"]
    P = lambda: st["p"]  # noqa: E731
    return [build, lambda T: [type(p).__name__ for p in P()], lambda T: [n for n, _ in P().named_parameters()],
            lambda T: list(P().state_dict()), lambda T: keys(P()), lambda T: P()._size, lambda T: P()[0],
            lambda T: P()[-1], lambda T: P()[1:3], lambda T: P()[10], lambda T: P().__setitem__(0, T.ones(1)),
            lambda T: type(P()[0]).__name__, lambda T: P().__setitem__(0, 7), lambda T: P().__setitem__(10, 7),
            lambda T: len(P().append(T.ones(2, dtype=T.float64))), lambda T: len(P().extend([T.ones(2)])),
            lambda T: P().extend(5), lambda T: len(P().__iadd__([T.ones(1)])),
            lambda T: [getattr(p, "requires_grad", None) for p in P()], lambda T: P(),
            lambda T: P().__delitem__(0), lambda T: P()(1), lambda T: [d for d in dir(P()) if d[0].isdigit()]]


def pl_reprs():
    return [lambda T: T.nn.ParameterList([T.nn.Parameter(T.ones(2, 3)),
                                          T.nn.Parameter(T.ones(2, dtype=T.float64), requires_grad=False)]),
            lambda T: T.nn.ParameterList([T.nn.Parameter(T.tensor(1.0))]),
            lambda T: T.nn.ParameterList([T.nn.Parameter(T.ones(5, 1, 2, dtype=T.float16))]),
            lambda T: T.nn.ParameterList(), lambda T: T.nn.ParameterList(5),
            lambda T: [p.dtype for p in T.nn.ParameterList([T.nn.Parameter(T.ones(2))]).double()],
            lambda T: T.nn.ParameterList([T.nn.Parameter(T.ones(1), requires_grad=False)])[0].requires_grad,
            lambda T: T.nn.ParameterList([T.ones(1)])[0].requires_grad,
            lambda T: T.nn.ParameterDict({"a": T.ones(1, dtype=T.float64), "h": T.ones(2, 2, dtype=T.float16)}),
            lambda T: T.nn.ParameterDict({"a": T.tensor(1.0)}), lambda T: T.nn.ParameterDict(),
            lambda T: T.nn.ParameterDict({"a.b": T.ones(1)})]


def pd_api():
    st = {}

    def build(T):
        st["d"] = T.nn.ParameterDict(OrderedDict([("b", T.nn.Parameter(T.ones(2))), ("a", T.zeros(3, 4)),
                                                  ("c", 5), ("d", T.nn.Linear(1, 1))]))
        return st["d"]
    D = lambda: st["d"]  # noqa: E731
    return [build, lambda T: list(D().keys()), lambda T: list(D().items()), lambda T: list(D().values()),
            lambda T: list(D().state_dict()), lambda T: [n for n, _ in D().named_parameters()], lambda T: D()._keys,
            lambda T: D().get("zz", 3), lambda T: D()["c"], lambda T: D()["zz"], lambda T: D()[0],
            lambda T: D().__delitem__("c"), lambda T: D().__delitem__("c"), lambda T: D().pop("b"),
            lambda T: "a" in D(), lambda T: len(D()), lambda T: D().setdefault("x", T.ones(1)),
            lambda T: D().setdefault("y"), lambda T: D(), lambda T: D().popitem(), lambda T: D().copy(),
            lambda T: D().copy()["a"] is D()["a"], lambda T: list((D() | T.nn.ParameterDict({"z": T.ones(1)})).keys()),
            lambda T: list((D() | {"z": T.ones(1), "e": T.ones(1)}).keys()), lambda T: {"z": T.ones(1)} | D(),
            lambda T: D().__ior__({"w": T.ones(1)}), lambda T: list(reversed(D())),
            lambda T: D().__setitem__("a", 3), lambda T: D().__setitem__("m", T.nn.ReLU()),
            lambda T: D().__setitem__("n", None), lambda T: D().__dict__.get("n", "absent"), lambda T: D(),
            lambda T: D().update(5), lambda T: D().update([5]), lambda T: D().update([(1, 2, 3)]),
            lambda T: D().clear(), lambda T: (list(D().keys()), D()._parameters),
            lambda T: D().__setitem__(1, T.ones(1)), lambda T: list(D().keys()), lambda T: D()(1)]


def pd_order():
    def upd(T, arg):
        p = T.nn.ParameterDict()
        p.update(arg)
        return list(p.keys())
    return [lambda T: upd(T, {"z": T.ones(1), "a": T.ones(1)}),
            lambda T: upd(T, OrderedDict([("z", T.ones(1)), ("a", T.ones(1))])),
            lambda T: upd(T, [("z", T.ones(1)), ("a", T.ones(1))]),
            lambda T: list(T.nn.ParameterDict({"z": T.ones(1), "a": T.ones(1)}).keys()),
            lambda T: T.nn.ParameterDict().fromkeys(["p", "q"]),
            lambda T: T.nn.ParameterDict().fromkeys(["p", "q"], T.ones(2)),
            lambda T: [v.dtype for v in T.nn.ParameterDict({"a": T.ones(1)}).double().values()],
            lambda T: T.nn.ParameterDict({"a": T.nn.Parameter(T.ones(1), requires_grad=False)})["a"].requires_grad,
            lambda T: T.nn.ParameterDict({"a": T.ones(1)}).a]


def nested():
    def build(T):
        m = T.nn.Module()
        m.pl = T.nn.ParameterList([T.ones(2)])
        m.pd = T.nn.ParameterDict({"w": T.ones(2)})
        m.layers = T.nn.ModuleList([T.nn.Linear(2, 2) for _ in range(3)])
        m.blocks = T.nn.ModuleDict({"enc": T.nn.Sequential(T.nn.Linear(2, 2), T.nn.ReLU())})
        return [m, list(m.state_dict()), [n for n, _ in m.named_modules()]]
    return [build]


def container():
    return [lambda T: T.nn.Container(a=T.nn.ReLU(), b=T.nn.Linear(1, 2)),
            lambda T: list(T.nn.Container(a=T.nn.ReLU(), b=T.nn.Linear(1, 2)).state_dict()),
            lambda T: T.nn.Container(a=3), lambda T: hasattr(T.nn, "LazyModuleMixin")]


SCENARIOS = [container, seq_basic, seq_mutation, seq_inplace_ops, seq_ordereddict, seq_subclass, ml_repr, ml_api,
             ml_renumber, md_api, pl_api, pl_reprs, pd_api, pd_order, nested]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
@pytest.mark.filterwarnings("ignore:`nn.Container` is deprecated")
def test_container_scenario_matches_torch(scenario):
    check(scenario)


def test_sequential_forward_and_grads_match_torch():
    tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    nm = nt.nn.Sequential(nt.nn.Linear(4, 8), nt.nn.Tanh(), nt.nn.Linear(8, 3))
    nm.load_state_dict({k: nt.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    xt, xn = torch.tensor(x, requires_grad=True), nt.tensor(x, requires_grad=True)
    ot, on = tm(xt), nm(xn)
    np.testing.assert_allclose(on.detach().numpy(), ot.detach().numpy(), rtol=1e-5, atol=1e-6)
    ot.sum().backward()
    on.sum().backward()
    np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    for (kn, pn), (kt, pt) in zip(nm.named_parameters(), tm.named_parameters()):
        assert kn == kt
        np.testing.assert_allclose(pn.grad.numpy(), pt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_slices_share_modules():
    s = nt.nn.Sequential(nt.nn.Linear(2, 2), nt.nn.ReLU())
    assert s[0:1][0] is s[0]
    L = nt.nn.ModuleList([nt.nn.Linear(2, 2)])
    assert L[:][0] is L[0]
    p = nt.nn.Parameter(nt.ones(2))
    P = nt.nn.ParameterList([p])
    assert P[0] is p and P[:][0] is p
    D = nt.nn.ParameterDict({"a": p})
    assert D["a"] is p and D.copy()["a"] is p


def test_parameter_containers_register_parameters_for_optimisers():
    P = nt.nn.ParameterList([nt.ones(2), nt.ones(3)])
    D = nt.nn.ParameterDict({"w": nt.ones(2)})
    assert [tuple(p.shape) for p in P.parameters()] == [(2,), (3,)]
    assert all(isinstance(p, nt.nn.Parameter) for p in list(P.parameters()) + list(D.parameters()))
    (P[0].sum() + D["w"].sum()).backward()
    assert P[0].grad.tolist() == [1.0, 1.0] and D["w"].grad.tolist() == [1.0, 1.0]
