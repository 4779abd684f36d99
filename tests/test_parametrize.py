"""nn.utils.parametrize and nn.utils.parametrizations (weight_norm, spectral_norm) against
torch: class swap, registries and state_dict keys, forward values and gradients of the input
and of the originals, right_inverse on assignment, chaining, buffers, removal, cached(),
loading torch state_dicts, optimizer steps and torch's error texts."""
import copy
import pickle
import types
from collections import OrderedDict

import numpy as np
import pytest

import numtorch as nt
from helpers import assert_close, both_raise, pair, torch
from _module_common import arr, check_fwd_bwd, norm, sd_to_nt, sync

RTOL, ATOL = 1e-5, 1e-5


# --------------------------------------------------------------------------- helpers
def lib(L):
    """Utilities and small test modules written against library ``L``."""
    nn = L.nn
    P = nn.utils.parametrize

    class Sym(nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

    class SymRI(Sym):
        def right_inverse(self, X):
            return X.triu()

    class Dbl(nn.Module):
        def forward(self, X):
            return 2 * X

        def right_inverse(self, X):
            return X / 2

    class Split(nn.Module):
        """Parametrized by two tensors: weight = a + b * b."""

        def forward(self, a, b):
            return a + b * b

        def right_inverse(self, X):
            return X - 1, L.ones_like(X)

    class Id(nn.Module):
        def forward(self, X):
            return X

    class IdRI(Id):
        def right_inverse(self, X):
            return X

    class Tanh(nn.Module):
        def forward(self, X):
            return X.tanh()

    class W3(nn.Module):
        """A 3-D weight used through matmul, to exercise ``dim`` handling without convs."""

        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(L.tensor(arr((2, 3, 4), 1)))
            self.bias = nn.Parameter(L.tensor(arr((3, 1), 2)))

        def forward(self, x):  # x: (2, 4, 5)
            return L.matmul(self.weight, x) + self.bias

    class WithBuf(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 3)
            self.register_buffer("scale", L.tensor(arr((3, 3), 3)))

        def forward(self, x):
            return self.lin(x) * self.scale

    return types.SimpleNamespace(L=L, nn=nn, P=P, PP=nn.utils.parametrizations, Sym=Sym, SymRI=SymRI, Dbl=Dbl,
                                 Split=Split, Id=Id, IdRI=IdRI, Tanh=Tanh, W3=W3, WithBuf=WithBuf)


NT, TO = lib(nt), lib(torch)


def build(factory):
    """The same module in both libraries: torch's weights copied into numtorch."""
    torch.manual_seed(0)
    mt = factory(TO)
    mn = factory(NT)
    mn.load_state_dict(sd_to_nt(mt.state_dict()))
    return mn, mt


def sd_shapes(m):
    return [(k, tuple(v.shape)) for k, v in m.state_dict().items()]


def conv_or_skip(name):
    if not hasattr(nt.nn, name):
        pytest.skip(f"numtorch.nn.{name} is not available yet")


# --------------------------------------------------------------------------- parametrize
def test_register_class_swap_and_registries():
    res = []
    for ns in (NT, TO):
        m = ns.nn.Linear(3, 3)
        w = m.weight
        v = w._version
        r = ns.P.register_parametrization(m, "weight", ns.Sym())
        res.append(dict(
            ret=r is m, cls=type(m).__name__, base=ns.P.type_before_parametrizations(m).__name__,
            mro=[c.__name__ for c in type(m).__mro__], bases=type(m).__bases__[0] is ns.nn.Linear,
            orig_is_w=m.parametrizations.weight.original is w, version=w._version - v,
            keys=list(m.state_dict()), params=[k for k, _ in m.named_parameters()], own=list(m._parameters),
            repr=repr(m), plist=type(m.parametrizations.weight).__name__, flags=(
                m.parametrizations.weight.unsafe, m.parametrizations.weight.is_tensor,
                m.parametrizations.weight.ntensors),
            is_p=(ns.P.is_parametrized(m), ns.P.is_parametrized(m, "weight"), ns.P.is_parametrized(m, "bias"),
                  ns.P.is_parametrized(ns.nn.Linear(2, 2))),
            plain=ns.P.type_before_parametrizations(ns.nn.Linear(2, 2)).__name__,
            other_unchanged=type(ns.nn.Linear(2, 2)).__name__, weight_type=type(m.weight).__name__,
            recomputed=m.weight is not m.weight, cls_attrs=sorted(k for k in vars(type(m)) if not k.startswith("__"))))
    assert norm(res[0]) == norm(res[1])


def test_forward_backward_linear_and_chain():
    mn, mt = build(lambda ns: ns.nn.Linear(4, 4))
    for ns, m in ((NT, mn), (TO, mt)):
        ns.P.register_parametrization(m, "weight", ns.Sym())
    check_fwd_bwd(mn, mt, (5, 4))
    assert_close(mn.weight, mt.weight)
    for ns, m in ((NT, mn), (TO, mt)):
        ns.P.register_parametrization(m, "weight", ns.Dbl())
        ns.P.register_parametrization(m, "bias", ns.Dbl())
        m.zero_grad()
    assert list(mn.state_dict()) == list(mt.state_dict()) == ["parametrizations.weight.original",
                                                              "parametrizations.bias.original"]
    assert norm(repr(mn)) == norm(repr(mt))
    check_fwd_bwd(mn, mt, (5, 4), seed=1)


def test_matmul_module_3d_weight():
    mn, mt = build(lambda ns: ns.W3())
    for ns, m in ((NT, mn), (TO, mt)):
        ns.P.register_parametrization(m, "weight", ns.Tanh())
        ns.P.register_parametrization(m, "weight", ns.Dbl())
    check_fwd_bwd(mn, mt, (2, 4, 5))


def test_right_inverse_on_assignment():
    res = []
    for ns in (NT, TO):
        L = ns.L
        m = ns.nn.Linear(3, 3)
        with L.no_grad():
            m.weight.copy_(L.tensor(arr((3, 3), 4)))
        ns.P.register_parametrization(m, "weight", ns.SymRI())
        o = m.parametrizations.weight.original
        v = o._version
        X = L.tensor(arr((3, 3), 5))
        m.weight = X
        row = [o is m.parametrizations.weight.original, o._version - v, o.detach().clone(), m.weight]
        # an identity right_inverse makes `original` share the assigned tensor's memory
        m2 = ns.nn.Linear(3, 3)
        ns.P.register_parametrization(m2, "weight", ns.Dbl())
        ns.P.register_parametrization(m2, "weight", ns.Dbl())
        m2.weight = X
        row += [m2.parametrizations.weight.original, m2.weight]
        m3 = ns.nn.Linear(3, 3)
        ns.P.register_parametrization(m3, "weight", ns.IdRI())
        o3 = m3.parametrizations.weight.original
        m3.weight = L.zeros(2, 5)  # shape may change on assignment
        row += [tuple(o3.shape), o3 is m3.parametrizations.weight.original]
        res.append(row)
    assert norm(res[0]) == norm(res[1])


def test_sequence_right_inverse_originals():
    res = []
    for ns in (NT, TO):
        m = ns.nn.Linear(3, 2)
        with ns.L.no_grad():
            m.weight.copy_(ns.L.tensor(arr((2, 3), 6)))
        ns.P.register_parametrization(m, "weight", ns.Split())
        pl = m.parametrizations.weight
        res.append([sd_shapes(m), pl.is_tensor, pl.ntensors, pl.original0, pl.original1, m.weight,
                    type(pl.original0).__name__, hasattr(pl, "original")])
        m.weight = ns.L.full((2, 3), 3.0)
        res[-1] += [pl.original0, pl.original1, m.weight]
    assert norm(res[0]) == norm(res[1])
    mn, mt = build(lambda ns: ns.nn.Linear(3, 2))
    for ns, m in ((NT, mn), (TO, mt)):
        ns.P.register_parametrization(m, "weight", ns.Split())
    check_fwd_bwd(mn, mt, (4, 3))


def test_parametrized_buffer():
    res = []
    for ns in (NT, TO):
        m = ns.WithBuf()
        with ns.L.no_grad():
            m.lin.weight.copy_(ns.L.tensor(arr((3, 3), 7)))
            m.lin.bias.zero_()
        b = m.scale
        ns.P.register_parametrization(m, "scale", ns.Sym())
        row = [list(m.state_dict()), [k for k, _ in m.named_buffers()], m.parametrizations.scale.original is b,
               type(m.parametrizations.scale.original).__name__, m(ns.L.ones(3, 3))]
        ns.P.register_parametrization(m, "scale", ns.Dbl(), unsafe=True)
        row += [list(m.state_dict()), m.scale]
        ns.P.remove_parametrizations(m, "scale")
        row += [list(m.state_dict()), "scale" in m._buffers, m.scale, type(m).__name__]
        res.append(row)
    assert norm(res[0]) == norm(res[1])


def test_remove_parametrizations():
    res = []
    for ns in (NT, TO):
        L = ns.L
        row = []
        for leave in (True, False):
            m = ns.nn.Linear(3, 3)
            with L.no_grad():
                m.weight.copy_(L.tensor(arr((3, 3), 8)))
            w = m.weight
            ns.P.register_parametrization(m, "weight", ns.Sym())
            v = w._version
            r = ns.P.remove_parametrizations(m, "weight", leave_parametrized=leave)
            row += [r is m, type(m).__name__, m.weight is w, w._version - v, m.weight, type(m.weight).__name__,
                    list(m.state_dict()), hasattr(m, "parametrizations"), "parametrizations" in m._modules]
        # two tensors: the class stays parametrized until the last one goes
        m = ns.nn.Linear(3, 3)
        ns.P.register_parametrization(m, "weight", ns.Dbl())
        ns.P.register_parametrization(m, "bias", ns.Dbl())
        ns.P.remove_parametrizations(m, "weight")
        row += [type(m).__name__, list(m.state_dict()), hasattr(type(m), "weight"), hasattr(type(m), "bias")]
        ns.P.remove_parametrizations(m, "bias", leave_parametrized=False)
        row += [type(m).__name__, list(m.state_dict())]
        # several originals: a new Parameter (grad mode on) or a buffer (under no_grad)
        for grad in (True, False):
            m = ns.nn.Linear(3, 2)
            ns.P.register_parametrization(m, "weight", ns.Split())
            val = m.weight.detach().clone()
            with L.set_grad_enabled(grad):
                ns.P.remove_parametrizations(m, "weight")
            row += [type(m.weight).__name__, m.weight.requires_grad, list(m._parameters), list(m._buffers),
                    bool((m.weight == val).all())]
        res.append(row)
    assert norm(res[0]) == norm(res[1])


def test_errors():
    def pair_call(f):
        return (lambda: f(NT)), (lambda: f(TO))

    def mk(ns, ri, fw=None):
        class C(ns.nn.Module):
            def forward(self, *X):
                return X[0] if fw is None else fw(*X)

            def right_inverse(self, X):
                return ri(X)
        return C()

    def chain(ns, p, unsafe=False):
        m = ns.nn.Linear(3, 3)
        ns.P.register_parametrization(m, "weight", ns.Id())
        return ns.P.register_parametrization(m, "weight", p, unsafe=unsafe)

    def fw_p(fw):
        def make(ns):
            class C(ns.nn.Module):
                def forward(self, X):
                    return fw(X)
            return C()
        return make

    cases = [
        lambda ns: ns.P.register_parametrization(ns.nn.Linear(3, 3), "foo", ns.Sym()),
        lambda ns: ns.P.remove_parametrizations(ns.nn.Linear(3, 3), "weight"),
        lambda ns: ns.P.ParametrizationList([], ns.L.zeros(2)),
        lambda ns: ns.P.register_parametrization(ns.nn.Linear(3, 3), "weight", fw_p(lambda X: X.double())(ns)),
        lambda ns: ns.P.register_parametrization(ns.nn.Linear(3, 3), "weight", fw_p(lambda X: X[0])(ns)),
        lambda ns: ns.P.register_parametrization(ns.nn.Linear(3, 3), "weight", fw_p(lambda X: 3)(ns)),
        lambda ns: chain(ns, fw_p(lambda X: X.double())(ns)),
        lambda ns: chain(ns, fw_p(lambda X: X[0])(ns)),
        lambda ns: chain(ns, fw_p(lambda X: 3)(ns)),
        lambda ns: chain(ns, mk(ns, lambda X: 3)),
        lambda ns: chain(ns, mk(ns, lambda X: X.double())),
        lambda ns: chain(ns, mk(ns, lambda X: X[0])),
        lambda ns: ns.P.register_parametrization(ns.nn.Linear(3, 3), "weight", mk(ns, lambda X: 3)),
        lambda ns: ns.P.register_parametrization(ns.nn.Linear(3, 3), "weight",
                                                 mk(ns, lambda X: [X, 3], lambda a, b: a)),
        lambda ns: ns.P.register_parametrization(ns.nn.Linear(3, 3), "weight", mk(ns, lambda X: X.double())),
        lambda ns: ns.P.register_parametrization(ns.nn.Linear(3, 3), "weight",
                                                 mk(ns, lambda X: (X, X), lambda a, b: (a + b)[0])),
        lambda ns: ns.P.remove_parametrizations(ns.P.register_parametrization(ns.nn.Linear(3, 3), "weight",
                                                                             ns.Split()), "weight", False),
    ]

    def assign(make_p, value):
        def f(ns):
            m = ns.nn.Linear(3, 3)
            ns.P.register_parametrization(m, "weight", make_p(ns))
            m.weight = value(ns)
        return f

    split_dt = (lambda ns: mk(ns, lambda X: (X, X) if X.dtype == ns.L.float32 else (X.float(), X),
                              lambda a, b: a + b))
    cases += [
        assign(lambda ns: ns.Sym(), lambda ns: ns.L.zeros(3, 3)),
        assign(lambda ns: ns.Id(), lambda ns: ns.nn.Parameter(ns.L.zeros(3, 3))),
        assign(lambda ns: ns.Dbl(), lambda ns: 3),
        assign(lambda ns: ns.Dbl(), lambda ns: ns.L.zeros(3, 3, dtype=ns.L.float64)),
        assign(lambda ns: mk(ns, lambda X: X if X.dtype == ns.L.float32 else 5), lambda ns: ns.L.zeros(3, 3).double()),
        assign(lambda ns: mk(ns, lambda X: (X, X), lambda a, b: a + b), lambda ns: 3),
        assign(lambda ns: mk(ns, lambda X: (X, X) if X.dtype == ns.L.float32 else X, lambda a, b: a + b),
               lambda ns: ns.L.zeros(3, 3).double()),
        assign(lambda ns: mk(ns, lambda X: (X, X) if X.dtype == ns.L.float32 else (X, X, X), lambda a, b: a + b),
               lambda ns: ns.L.zeros(3, 3).double()),
        assign(split_dt, lambda ns: ns.L.zeros(3, 3).double()),
    ]
    for case in cases:
        fn_nt, fn_t = pair_call(case)
        both_raise(fn_nt, fn_t)
    # a failed first registration leaves the module untouched
    for ns in (NT, TO):
        m = ns.nn.Linear(3, 3)
        with pytest.raises(ValueError):
            ns.P.register_parametrization(m, "weight", fw_p(lambda X: X[0])(ns))
        assert type(m).__name__ == "Linear" and "weight" in m._parameters
    # unsafe=True allows the change
    res = []
    for ns in (NT, TO):
        m = ns.nn.Linear(3, 3)
        ns.P.register_parametrization(m, "weight", fw_p(lambda X: X[0])(ns), unsafe=True)
        m2 = chain(ns, fw_p(lambda X: X.double())(ns), unsafe=True)
        res.append([tuple(m.weight.shape), m.parametrizations.weight.unsafe, m2.weight.dtype,
                    m2.parametrizations.weight.unsafe])
    assert norm(res[0]) == norm(res[1])


def test_not_implemented_right_inverse_is_skipped():
    res = []
    for ns in (NT, TO):
        class NI(ns.nn.Module):
            def forward(self, X):
                return X * 2

            def right_inverse(self, X):
                raise NotImplementedError("nope")
        m = ns.nn.Linear(3, 3)
        w = m.weight.detach().clone()
        ns.P.register_parametrization(m, "weight", NI())
        row = [bool((m.parametrizations.weight.original == w).all())]
        m2 = ns.nn.Linear(3, 3)
        ns.P.register_parametrization(m2, "weight", ns.Id())
        ns.P.register_parametrization(m2, "weight", NI())
        row.append(len(m2.parametrizations.weight))
        try:
            m.weight = ns.L.zeros(3, 3)
        except NotImplementedError as e:
            row.append(str(e))
        res.append(row)
    assert res[0] == res[1]


def test_cached():
    res = []
    for ns in (NT, TO):
        calls = []

        class Count(ns.nn.Module):
            def forward(self, X):
                calls.append(1)
                return X * 3
        m = ns.nn.Linear(3, 3)
        ns.P.register_parametrization(m, "weight", Count())
        calls.clear()
        with ns.P.cached():
            a = m.weight
            with ns.P.cached():
                b = m.weight
            c = m.weight
            y = m(ns.L.ones(2, 3)).sum() + m(ns.L.ones(2, 3)).sum()
        n_in = len(calls)
        d = m.weight
        y.backward()
        res.append([a is b, a is c, a is d, n_in, len(calls), m.parametrizations.weight.original.grad])
    assert norm(res[0]) == norm(res[1])
    assert res[0][3] == 1 and nt.nn.utils.parametrize._cache == {}


def test_train_mode_deepcopy_pickle_transfer():
    res = []
    for ns in (NT, TO):
        p = ns.Dbl().eval()
        m = ns.nn.Linear(3, 3)
        ns.P.register_parametrization(m, "weight", p)
        row = [p.training]
        m.eval()
        row.append(p.training)
        m2 = copy.deepcopy(m)
        row += [type(m2) is type(m), list(m2.state_dict()), m2.parametrizations.weight.original is not
                m.parametrizations.weight.original, bool((m2.weight == m.weight).all())]
        try:
            pickle.dumps(m)
        except RuntimeError as e:
            row.append(str(e))
        # transfer: same parametrization modules and originals on another module
        to = ns.nn.Linear(3, 3)
        r = ns.P.transfer_parametrizations_and_params(m, to)
        row += [r is to, type(to).__name__, list(to.state_dict()),
                to.parametrizations.weight.original is m.parametrizations.weight.original,
                to.parametrizations.weight[0] is p]
        src = ns.P.register_parametrization(ns.nn.Linear(3, 2), "weight", ns.Split())
        to2 = ns.P.transfer_parametrizations_and_params(src, ns.nn.Linear(3, 2), "weight")
        row += [list(to2.state_dict()), to2.parametrizations.weight.original1 is src.parametrizations.weight.original1]
        res.append(row)
    assert norm(res[0]) == norm(res[1])


def test_optimizer_steps_on_parametrized_module():
    mn, mt = build(lambda ns: ns.nn.Linear(4, 3))
    for ns, m in ((NT, mn), (TO, mt)):
        ns.P.register_parametrization(m, "weight", ns.Dbl())
        ns.PP.weight_norm(m, "bias", dim=None)
    sync(mn, mt)
    on = nt.optim.SGD(mn.parameters(), lr=0.1, momentum=0.9)
    ot = torch.optim.SGD(mt.parameters(), lr=0.1, momentum=0.9)
    for i in range(3):
        xn, xt = pair(arr((6, 4), 30 + i))
        for o, m, x in ((on, mn, xn), (ot, mt, xt)):
            o.zero_grad()
            (m(x) ** 2).mean().backward()
            o.step()
    for (kn, vn), (kt, vt) in zip(mn.state_dict().items(), mt.state_dict().items()):
        assert kn == kt
        assert_close(vn, vt, 1e-5, 1e-6)


# --------------------------------------------------------------------------- weight_norm
@pytest.mark.parametrize("dim", [0, 1, None, -1, -2])
def test_weight_norm_linear(dim):
    mn, mt = build(lambda ns: ns.nn.Linear(3, 4))
    for ns, m in ((NT, mn), (TO, mt)):
        r = ns.PP.weight_norm(m, dim=dim)
        assert r is m
    assert sd_shapes(mn) == sd_shapes(mt)
    assert mn.parametrizations.weight[0].dim == mt.parametrizations.weight[0].dim
    assert_close(mn.parametrizations.weight.original0, mt.parametrizations.weight.original0)
    assert_close(mn.weight, mt.weight)
    check_fwd_bwd(mn, mt, (5, 3))


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2, None])
def test_weight_norm_3d_matmul(dim):
    mn, mt = build(lambda ns: ns.W3())
    for ns, m in ((NT, mn), (TO, mt)):
        ns.PP.weight_norm(m, dim=dim)
    assert sd_shapes(mn) == sd_shapes(mt)
    check_fwd_bwd(mn, mt, (2, 4, 5))


def test_weight_norm_registries_remove_and_errors():
    res = []
    for ns in (NT, TO):
        m = ns.nn.Linear(3, 4)
        with ns.L.no_grad():
            m.weight.copy_(ns.L.tensor(arr((4, 3), 9)))
        w = m.weight
        ns.PP.weight_norm(m)
        pl = m.parametrizations.weight
        row = [repr(m), pl.unsafe, pl.is_tensor, pl.ntensors, pl.original1.data_ptr() == w.data_ptr(),
               len(m._load_state_dict_pre_hooks), [k for k, _ in m.named_parameters()]]
        ns.P.remove_parametrizations(m, "weight")
        row += [type(m).__name__, type(m.weight).__name__, m.weight, list(m.state_dict()), m.weight is w]
        res.append(row)
    assert norm(res[0]) == norm(res[1])
    both_raise(lambda: nt.nn.utils.parametrizations.weight_norm(nt.nn.Linear(2, 3), name="foo"),
               lambda: torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(2, 3), name="foo"))
    both_raise(lambda: nt.nn.utils.parametrizations.weight_norm(NT.W3(), dim=3),
               lambda: torch.nn.utils.parametrizations.weight_norm(TO.W3(), dim=3))


def test_weight_norm_remove_values():
    for leave in (True, False):
        mn, mt = build(lambda ns: ns.W3())
        for ns, m in ((NT, mn), (TO, mt)):
            ns.PP.weight_norm(m, dim=1)
            with ns.L.no_grad():  # move g away from ||v|| so the two choices differ
                m.parametrizations.weight.original0.mul_(1.5)
        if leave:
            nt.nn.utils.parametrize.remove_parametrizations(mn, "weight", leave_parametrized=leave)
            torch.nn.utils.parametrize.remove_parametrizations(mt, "weight", leave_parametrized=leave)
            assert list(mn.state_dict()) == list(mt.state_dict()) == ["bias", "weight"]
            assert type(mn.weight).__name__ == type(mt.weight).__name__ == "Parameter"
            assert_close(mn.weight, mt.weight)
            check_fwd_bwd(mn, mt, (2, 4, 5))
        else:
            both_raise(lambda: nt.nn.utils.parametrize.remove_parametrizations(mn, "weight", False),
                       lambda: torch.nn.utils.parametrize.remove_parametrizations(mt, "weight", False))


def test_weight_norm_load_torch_state_dict_and_old_keys():
    torch.manual_seed(1)
    mt = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 4))
    with torch.no_grad():
        mt.parametrizations.weight.original0.mul_(2)
    mn = nt.nn.utils.parametrizations.weight_norm(nt.nn.Linear(3, 4))
    r = mn.load_state_dict(sd_to_nt(mt.state_dict()))
    assert str(r) == "<All keys matched successfully>"
    for (kn, vn), (kt, vt) in zip(mn.state_dict().items(), mt.state_dict().items()):
        assert kn == kt
        assert_close(vn, vt, 0, 0)
    assert_close(mn.weight, mt.weight)
    # checkpoints of the hook-based form (weight_g / weight_v) are renamed on load
    old = OrderedDict([("bias", torch.randn(4)), ("weight_g", torch.rand(4, 1) + 1), ("weight_v", torch.randn(4, 3))])
    rt = mt.load_state_dict(old)
    rn = mn.load_state_dict(sd_to_nt(old))
    assert str(rn) == str(rt)
    assert_close(mn.weight, mt.weight)
    assert_close(mn.parametrizations.weight.original1, mt.parametrizations.weight.original1, 0, 0)
    # and mismatches are reported in torch's words
    bad = OrderedDict(list(old.items())[:2])
    both_raise(lambda: mn.load_state_dict(sd_to_nt(bad)), lambda: mt.load_state_dict(bad))


def test_weight_norm_grads_float64_gradcheck():
    m = nt.nn.utils.parametrizations.weight_norm(NT.W3().double(), dim=1)
    pl = m.parametrizations.weight
    x = nt.tensor(arr((2, 4, 5), 3, np.float64))

    def f(g, v):
        return nt.matmul(nt._weight_norm(v, g, 1), x)
    assert nt.autograd.gradcheck(f, (pl.original0.detach().clone().requires_grad_(),
                                     pl.original1.detach().clone().requires_grad_()))

    def f2(g, v):
        with torch_free_parametrize(m, g, v):
            return m(x)
    assert nt.autograd.gradcheck(f2, (nt.tensor(arr((1, 3, 1), 4, np.float64)).abs().requires_grad_(),
                                      nt.tensor(arr((2, 3, 4), 5, np.float64), requires_grad=True)))


class torch_free_parametrize:
    """Temporarily make a weight-normed module compute from the given (g, v)."""

    def __init__(self, m, g, v):
        self.pl, self.g, self.v = m.parametrizations.weight, g, v

    def __enter__(self):
        self.saved = (self.pl._parameters["original0"], self.pl._parameters["original1"])
        self.pl._parameters["original0"], self.pl._parameters["original1"] = self.g, self.v

    def __exit__(self, *exc):
        self.pl._parameters["original0"], self.pl._parameters["original1"] = self.saved


# --------------------------------------------------------------------------- spectral_norm
def test_spectral_norm_registries_and_errors():
    res = []
    for ns in (NT, TO):
        m = ns.PP.spectral_norm(ns.nn.Linear(3, 4))
        sn = m.parametrizations.weight[0]
        res.append([repr(m), sd_shapes(m), sn.dim, sn.eps, sn.n_power_iterations,
                    [k for k, _ in m.named_buffers()], dict(m.state_dict()._metadata)])
        m1 = ns.PP.spectral_norm(ns.W3(), dim=-1)
        res[-1] += [m1.parametrizations.weight[0].dim, sd_shapes(m1)]
    assert norm(res[0]) == norm(res[1])
    for kw in (dict(n_power_iterations=0), dict(dim=3), dict(dim=-3), dict(name="foo")):
        both_raise(lambda: nt.nn.utils.parametrizations.spectral_norm(nt.nn.Linear(3, 4), **kw),
                   lambda: torch.nn.utils.parametrizations.spectral_norm(torch.nn.Linear(3, 4), **kw))
    with pytest.raises(NotImplementedError, match="orthogonal"):
        nt.nn.utils.parametrizations.orthogonal(nt.nn.Linear(3, 3))


@pytest.mark.parametrize("factory,dim,xshape", [
    (lambda ns: ns.nn.Linear(3, 5), None, (4, 3)),
    (lambda ns: ns.nn.Linear(5, 3), 1, (4, 5)),
    (lambda ns: ns.W3(), 0, (2, 4, 5)),
    (lambda ns: ns.W3(), 2, (2, 4, 5)),
])
@pytest.mark.parametrize("n_iter", [1, 3])
def test_spectral_norm_train_eval(factory, dim, xshape, n_iter):
    mn, mt = build(factory)
    for ns, m in ((NT, mn), (TO, mt)):
        ns.PP.spectral_norm(m, n_power_iterations=n_iter, dim=dim)
    sync(mn, mt)  # torch's random _u / _v
    sn_n, sn_t = mn.parametrizations.weight[0], mt.parametrizations.weight[0]
    u_obj = sn_n._u
    for step in range(3):
        for m in (mn, mt):
            m.zero_grad()
        check_fwd_bwd(mn, mt, xshape, seed=step)
        assert_close(sn_n._u, sn_t._u)
        assert_close(sn_n._v, sn_t._v)
    assert sn_n._u is u_obj  # updated in place
    assert sn_n._u.requires_grad is False
    # eval: the stored vectors are used and left alone
    mn.eval()
    mt.eval()
    u0 = sn_n._u.clone()
    for m in (mn, mt):
        m.zero_grad()
    check_fwd_bwd(mn, mt, xshape, seed=7)
    assert_close(sn_n._u, sn_t._u)
    assert bool((sn_n._u == u0).all())
    assert_close(mn.weight, mt.weight)


def test_spectral_norm_vector_weight_and_remove():
    res = []
    for ns in (NT, TO):
        class B(ns.nn.Module):
            def __init__(self):
                super().__init__()
                self.weight = ns.nn.Parameter(ns.L.tensor(arr((5,), 11)))
        m = ns.PP.spectral_norm(B())
        res.append([list(m.state_dict()), hasattr(m.parametrizations.weight[0], "n_power_iterations"), m.weight])
    assert norm(res[0]) == norm(res[1])
    mn, mt = build(lambda ns: ns.nn.Linear(3, 4))
    for ns, m in ((NT, mn), (TO, mt)):
        ns.PP.spectral_norm(m, n_power_iterations=2)
    sync(mn, mt)
    for leave in (True,):
        nt.nn.utils.parametrize.remove_parametrizations(mn, "weight", leave_parametrized=leave)
        torch.nn.utils.parametrize.remove_parametrizations(mt, "weight", leave_parametrized=leave)
    assert list(mn.state_dict()) == list(mt.state_dict())
    assert_close(mn.weight, mt.weight)
    check_fwd_bwd(mn, mt, (2, 3))


def test_spectral_norm_sgd_steps():
    mn, mt = build(lambda ns: ns.nn.Linear(4, 3))
    for ns, m in ((NT, mn), (TO, mt)):
        ns.PP.spectral_norm(m, n_power_iterations=2)
    sync(mn, mt)
    on = nt.optim.SGD(mn.parameters(), lr=0.5)
    ot = torch.optim.SGD(mt.parameters(), lr=0.5)
    for i in range(4):
        xn, xt = pair(arr((6, 4), 40 + i))
        for o, m, x in ((on, mn, xn), (ot, mt, xt)):
            o.zero_grad()
            m(x).pow(2).mean().backward()
            o.step()
    for (kn, vn), (kt, vt) in zip(mn.state_dict().items(), mt.state_dict().items()):
        assert kn == kt
        assert_close(vn, vt, 1e-5, 1e-6)


# --------------------------------------------------------------------------- convolutions
@pytest.mark.parametrize("name,xshape", [("Conv1d", (2, 3, 9)), ("Conv2d", (2, 3, 6, 5))])
@pytest.mark.parametrize("kind", ["weight_norm", "spectral_norm"])
def test_conv_parametrizations(name, xshape, kind):
    conv_or_skip(name)
    mn, mt = build(lambda ns: getattr(ns.nn, name)(3, 4, 3, padding=1))
    for ns, m in ((NT, mn), (TO, mt)):
        getattr(ns.PP, kind)(m)
    sync(mn, mt)
    assert sd_shapes(mn) == sd_shapes(mt)
    check_fwd_bwd(mn, mt, xshape, rtol=1e-4, atol=1e-5)
    for m in (mn, mt):  # eval mode: spectral_norm uses the stored vectors
        m.eval()
        m.zero_grad()
    check_fwd_bwd(mn, mt, xshape, seed=3, rtol=1e-4, atol=1e-5)


def test_conv_transpose_spectral_norm_default_dim():
    conv_or_skip("ConvTranspose1d")
    dims = [PP.spectral_norm(ns.nn.ConvTranspose1d(2, 3, 4)).parametrizations.weight[0].dim
            for ns, PP in ((NT, NT.PP), (TO, TO.PP))]
    assert dims[0] == dims[1] == 1
