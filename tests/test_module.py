"""nn.Module against torch.nn.Module: registries, attribute protocol, iteration, hooks
(forward, full backward, global), state_dict / load_state_dict, conversions, repr, copying.

Every test builds the same small custom modules (weights from NumPy) with numtorch and with
torch, runs the same code on both and compares the results, normalised to plain Python
values by ``norm`` (tensors become (class, dtype, shape, requires_grad, values); exceptions
become (type, message))."""
import copy
import io
import pickle
import sys
import types
import warnings
from collections import OrderedDict, namedtuple

import numpy as np
import pytest

import numtorch as nt
from helpers import torch

LIBS = pytest.mark.parametrize("L", [nt, torch], ids=["numtorch", "torch"])


# --------------------------------------------------------------------------- helpers
def norm(x):
    """A plain, comparable form of ``x`` (library names unified)."""
    if isinstance(x, (nt.Tensor, torch.Tensor)):
        a = x.detach().numpy()
        vals = np.round(a.astype(np.float64), 4).tolist() if a.dtype.kind in "fc" else a.tolist()
        return (type(x).__name__, str(x.dtype), tuple(x.shape), bool(x.requires_grad), vals)
    if isinstance(x, BaseException):
        return (type(x).__name__, norm(str(x)))
    if isinstance(x, (nt.nn.Module, torch.nn.Module)):
        return ("Module", type(x).__name__)
    if isinstance(x, dict):
        return (type(x).__name__, [(norm(k), norm(v)) for k, v in x.items()])
    if isinstance(x, (set, frozenset)):
        return ("set", sorted(norm(v) for v in x))
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, tuple(norm(v) for v in x))
    if isinstance(x, (list, tuple, types.GeneratorType)):
        return (type(x).__name__, [norm(v) for v in x])
    if isinstance(x, str):
        return x.replace("numtorch", "torch")
    if isinstance(x, (nt.dtype, torch.dtype)):
        return str(x)
    if isinstance(x, (np.floating, float)):
        return round(float(x), 4)
    return x


def same(fn):
    """Run ``fn(L)`` for numtorch and torch; the normalised results must be equal."""
    a, b = norm(fn(nt)), norm(fn(torch))
    assert a == b, f"\nnumtorch: {a}\ntorch:    {b}"
    return a


def err(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return (type(e).__name__, str(e).replace("numtorch", "torch"))
    return None


_MODS = {}


def M(L):
    """The custom test modules, written against library ``L`` (cached per library)."""
    if L in _MODS:
        return _MODS[L]
    nn = L.nn

    def w(shape, seed):
        return L.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))

    class Lin(nn.Module):
        def __init__(self, i=3, o=2, bias=True, seed=0):
            super().__init__()
            self.in_features, self.out_features = i, o
            self.weight = nn.Parameter(w((o, i), seed))
            if bias:
                self.bias = nn.Parameter(w((o,), seed + 100))
            else:
                self.register_parameter("bias", None)

        def forward(self, x):
            y = x @ self.weight.t()
            return y + self.bias if self.bias is not None else y

        def extra_repr(self):
            return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"

    class Act(nn.Module):
        def forward(self, x):
            return x.tanh()

    class Norm(nn.Module):
        def __init__(self, n=4):
            super().__init__()
            self.weight = nn.Parameter(L.ones(n))
            self.register_buffer("running_mean", L.zeros(n))
            self.register_buffer("num_batches", L.tensor(0))
            self.register_buffer("scratch", L.ones(n), persistent=False)

        def forward(self, x):
            if self.training:
                with L.no_grad():
                    self.running_mean.mul_(0.9).add_(0.1 * x.mean(0))
                    self.num_batches += 1
            return (x - self.running_mean) * self.weight

        def extra_repr(self):
            return "multi\nline"

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = Lin(3, 4, seed=1)
            self.act = Act()
            self.norm = Norm(4)
            self.fc2 = Lin(4, 2, seed=2)

        def forward(self, x):
            return self.fc2(self.norm(self.act(self.fc1(x))))

    class Seq(nn.Module):
        def __init__(self, *mods):
            super().__init__()
            for i, m in enumerate(mods):
                self._modules[str(i)] = m

        def forward(self, x):
            for m in self._modules.values():
                x = m(x)
            return x

    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = Lin(3, 3, seed=3)
            self.b = self.a
            self.c = Act()

        def forward(self, x):
            return self.c(self.b(self.a(x)))

    class Two(nn.Module):
        """Two inputs, a tuple of two outputs, a parameter."""

        def __init__(self):
            super().__init__()
            self.s = nn.Parameter(w((3,), 7))

        def forward(self, x, y):
            return x * self.s, x * y

    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.s = nn.Parameter(w((3,), 8))

        def forward(self, x, k=1.0):
            return x * self.s * k

    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    class Empty(nn.Module):
        pass

    ns = types.SimpleNamespace(**{k: v for k, v in locals().items() if isinstance(v, type)})
    _MODS[L] = ns
    return ns


NTS = {L: namedtuple("NT", "a b") for L in (nt, torch)}


def x_of(L, shape=(2, 3), seed=5, rg=False):
    return L.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32), requires_grad=rg)


# --------------------------------------------------------------------------- registries
def test_dict_keys_and_registry_types():
    def f(L):
        m = M(L).Net()
        d = m.__dict__
        return (sorted(d.keys()), {k: type(v).__name__ for k, v in d.items() if k.startswith("_")},
                m.training, m._is_full_backward_hook)
    same(f)


def test_registries_contents():
    def f(L):
        m = M(L).Net()
        return (list(m._parameters), list(m._buffers), list(m._modules), list(m.fc1._parameters),
                list(m.norm._buffers), m.norm._non_persistent_buffers_set, m.norm.__dict__.get("weight"),
                "fc1" in m.__dict__, m.fc1.in_features)
    same(f)


def test_empty_module_and_plain_attrs():
    def f(L):
        m = M(L).Empty()
        m.x = 3
        m.t = L.zeros(2)  # a plain tensor attribute is not a buffer
        return (sorted(m.__dict__), list(m._buffers), m.x, m.t, err(m), err(lambda: m.missing))
    same(f)


@LIBS
def test_getattr_prefers_registries(L):
    m = M(L).Lin()
    assert m.weight is m._parameters["weight"]
    assert "weight" not in m.__dict__


# --------------------------------------------------------------------------- attribute assignment
def test_reassign_parameter_module_buffer():
    def f(L):
        nn = L.nn
        m = M(L).Net()
        out = []
        p = nn.Parameter(L.zeros(2))
        m.extra = p
        out.append(m._parameters["extra"] is p)
        m.extra = None  # None into an existing parameter slot
        out.append(("extra" in m._parameters, m._parameters["extra"]))
        m.extra = nn.Parameter(L.ones(1))
        out.append(m.extra)
        m.fc1 = M(L).Act()  # module replaced by a module
        out.append(type(m.fc1).__name__)
        m.fc1 = None
        out.append(("fc1" in m._modules, m._modules["fc1"]))
        m.norm.running_mean = L.full((4,), 2.0)  # a buffer re-assigned with a tensor stays a buffer
        out.append(m.norm._buffers["running_mean"])
        m.norm.running_mean = None
        out.append(("running_mean" in m.norm._buffers, m.norm.running_mean))
        m.norm.scratch = L.zeros(1)  # non-persistent stays non-persistent
        out.append(sorted(m.norm._non_persistent_buffers_set))
        out.append(list(m.state_dict().keys()))
        return out
    same(f)


def test_type_changing_assignment():
    def f(L):
        nn = L.nn
        out = []
        m = M(L).Net()
        m.plain = 5
        m.plain = nn.Parameter(L.ones(1))  # plain attribute -> parameter: removed from __dict__
        out.append(("plain" in m.__dict__, list(m._parameters)))
        m.norm.running_mean = nn.Parameter(L.ones(4))  # buffer -> parameter
        out.append((list(m.norm._buffers), list(m.norm._parameters)))
        m.norm.scratch = nn.Parameter(L.ones(4))  # non-persistent buffer -> parameter
        out.append((list(m.norm._buffers), sorted(m.norm._non_persistent_buffers_set)))
        m.act2 = M(L).Act()
        m.act2 = nn.Parameter(L.ones(1))  # module -> parameter
        out.append(("act2" in m._modules, "act2" in m._parameters))
        m.fc2.weight = None
        out.append(err(setattr, m.fc2, "weight", M(L).Act()))  # a None parameter slot stays a parameter
        del m.fc2.weight
        m.fc2.weight = M(L).Act()
        out.append(("weight" in m.fc2._parameters, "weight" in m.fc2._modules))
        m.norm.num_batches = M(L).Act()  # buffer -> module
        out.append(("num_batches" in m.norm._buffers, "num_batches" in m.norm._modules))
        return out
    same(f)


def test_assignment_errors():
    def f(L):
        nn = L.nn
        m = M(L).Net()
        return [
            err(setattr, m.fc1, "weight", L.zeros(4, 3)),           # plain tensor -> parameter name
            err(setattr, m.fc1, "weight", L.zeros(4, 3, dtype=L.float64)),
            err(setattr, m.fc1, "weight", 3),
            err(setattr, m.fc1, "weight", L.zeros(2, dtype=L.int64)),
            err(setattr, m, "fc1", L.zeros(2)),                     # tensor -> module name
            err(setattr, m, "fc1", "text"),
            err(setattr, m.norm, "running_mean", 3.0),              # non-tensor -> buffer name
            err(setattr, m.norm, "running_mean", nn.Module),
            err(setattr, m.fc1, "weight", nn.Parameter(L.ones(2)) * 2),  # non-leaf, not a Parameter
        ]
    same(f)


def test_assignment_before_init():
    def f(L):
        nn = L.nn
        out = []

        class P(nn.Module):
            def __init__(self):
                self.w = nn.Parameter(L.ones(1))

        class Mo(nn.Module):
            def __init__(self):
                self.c = nn.Module()

        class B(nn.Module):
            def __init__(self):
                self.register_buffer("b", L.ones(1))

        class RP(nn.Module):
            def __init__(self):
                self.register_parameter("p", None)

        class Plain(nn.Module):
            def __init__(self):
                self.x = 1
                super().__init__()

        for cls in (P, Mo, B, RP):
            out.append(err(cls))
        out.append(Plain().x)
        out.append(err(lambda: P.__new__(P).anything))
        return out
    same(f)


def test_delattr():
    def f(L):
        m = M(L).Net()
        m.x = 1
        del m.fc1.bias
        del m.norm.scratch
        del m.act
        del m.x
        return (list(m.fc1._parameters), list(m.norm._buffers), sorted(m.norm._non_persistent_buffers_set),
                list(m._modules), "x" in m.__dict__, err(delattr, m, "nothing"), err(delattr, m, "act"))
    same(f)


def test_direct_modules_write():
    def f(L):
        ns = M(L)
        s = ns.Seq(ns.Lin(3, 4, seed=1), ns.Act(), ns.Lin(4, 2, seed=2))
        s._modules["3"] = ns.Act()
        x = x_of(L)
        return (list(s._modules), [n for n, _ in s.named_parameters()], s(x), getattr(s, "0").out_features,
                list(s.state_dict()), repr(s))
    same(f)


def test_module_call_setattr_in_forward_and_call_super_init():
    def f(L):
        nn = L.nn

        class K(nn.Module):
            call_super_init = True

            def __init__(self):
                super().__init__()

        class Bad(nn.Module):
            def __init__(self):
                super().__init__(3)

        class BadKw(nn.Module):
            def __init__(self):
                super().__init__(foo=3)

        return (K().training, err(Bad), err(BadKw), err(nn.Module().forward, 1), err(nn.Module(), 1))
    same(f)


# --------------------------------------------------------------------------- registration APIs
def test_register_errors():
    def f(L):
        nn = L.nn
        m = M(L).Net()
        p = nn.Parameter(L.ones(1))
        return [
            err(m.register_parameter, "a.b", p),
            err(m.register_parameter, "", p),
            err(m.register_parameter, 3, p),
            err(m.register_parameter, "fc1", p),         # attribute already exists (a module)
            err(m.register_parameter, "training", p),
            err(m.register_parameter, "x", L.ones(1)),
            err(m.register_parameter, "x", 3),
            err(m.register_parameter, "x", nn.Parameter(L.ones(1)) + 1),
            err(m.register_buffer, "a.b", L.ones(1)),
            err(m.register_buffer, "", L.ones(1)),
            err(m.register_buffer, 3, L.ones(1)),
            err(m.register_buffer, "fc1", L.ones(1)),
            err(m.register_buffer, "x", 3),
            err(m.register_buffer, "x", [1.0]),
            err(m.add_module, "a.b", nn.Module()),
            err(m.add_module, "", nn.Module()),
            err(m.add_module, 3, nn.Module()),
            err(m.add_module, "x", 3),
            err(m.add_module, "x", L.ones(1)),
            err(m.add_module, "training", nn.Module()),
            err(m.register_module, "a.b", nn.Module()),
            err(m.register_module, "x", "no"),
        ]
    same(f)


def test_register_ok_paths():
    def f(L):
        nn = L.nn
        m = M(L).Net()
        m.register_parameter("fc1_p", None)
        m.register_parameter("q", nn.Parameter(L.ones(2)))
        m.register_parameter("q", nn.Parameter(L.zeros(2)))  # re-register the same name
        m.register_buffer("b0", None)
        m.register_buffer("b1", L.ones(2), persistent=False)
        m.register_buffer("b1", L.ones(3))  # persistent again
        m.register_buffer("b2", nn.Parameter(L.ones(1)))  # a Parameter as a buffer
        m.add_module("extra", None)
        m.register_module("extra2", M(L).Act())
        m.add_module("extra2", M(L).Lin())
        return (list(m._parameters.items()), list(m._buffers), sorted(m._non_persistent_buffers_set),
                list(m._modules), list(m.state_dict()), [n for n, _ in m.named_buffers()],
                [n for n, _ in m.named_modules()])
    same(f)


def test_registration_hooks_global():
    def f(L):
        mm = L.nn.modules.module
        log = []
        hs = [mm.register_module_parameter_registration_hook(lambda m, n, p: log.append(("p", n))),
              mm.register_module_buffer_registration_hook(lambda m, n, b: log.append(("b", n))),
              mm.register_module_module_registration_hook(lambda m, n, c: log.append(("m", n)))]
        try:
            m = M(L).Net()
            m.norm.running_mean = L.zeros(4)
            m.fc1.bias = None
            m.extra = None
            m.add_module("c", None)
            m.register_buffer("nb", None)
        finally:
            for h in hs:
                h.remove()
        M(L).Lin()
        return log
    same(f)


def test_registration_hooks_replace_value():
    def f(L):
        mm = L.nn.modules.module
        nn = L.nn
        hs = [mm.register_module_parameter_registration_hook(lambda m, n, p: nn.Parameter(p.detach() * 2)),
              mm.register_module_buffer_registration_hook(lambda m, n, b: None if b is None else b + 1),
              mm.register_module_module_registration_hook(lambda m, n, c: M(L).Act() if n == "x" else None)]
        try:
            m = M(L).Norm(2)
            m.x = M(L).Lin()
            m.add_module("y", M(L).Lin())
        finally:
            for h in hs:
                h.remove()
        return (m.weight, m.running_mean, type(m.x).__name__, type(m.y).__name__, m.y.weight)
    same(f)


def test_get_submodule_parameter_buffer():
    def f(L):
        ns = M(L)
        m = ns.Net()
        s = ns.Seq(m, ns.Act())
        out = [type(s.get_submodule("")).__name__, type(s.get_submodule("0.fc1")).__name__,
               s.get_parameter("0.fc1.weight"), s.get_buffer("0.norm.running_mean"),
               s.get_parameter("0.norm.weight")]
        for fn, arg in [(s.get_submodule, "0.nope"), (s.get_submodule, "0.fc1.weight"),
                        (s.get_submodule, "5"), (s.get_submodule, "0.fc1.in_features"),
                        (s.get_parameter, "0.fc1.nope"), (s.get_parameter, "0.norm.running_mean"),
                        (s.get_parameter, "0.fc1.in_features"), (s.get_parameter, "0.act"),
                        (s.get_parameter, "x.weight"), (s.get_buffer, "0.norm.nope"),
                        (s.get_buffer, "0.norm.weight"), (s.get_buffer, "0.fc1.in_features"),
                        (s.get_buffer, "0.zz.b"), (s.get_parameter, ""), (s.get_buffer, "")]:
            out.append(err(fn, arg))
        return out
    same(f)


def test_set_submodule():
    def f(L):
        ns = M(L)
        m = ns.Net()
        s = ns.Seq(m)
        out = []
        s.set_submodule("0.act", ns.Lin(4, 4, seed=9))
        out.append(type(m.act).__name__)
        s.set_submodule("0.newmod", ns.Act())  # non-strict: creates
        out.append(list(m._modules))
        out.append(err(s.set_submodule, "0.other", ns.Act(), strict=True))
        out.append(err(s.set_submodule, "", ns.Act()))
        out.append(err(s.set_submodule, "0.fc1.weight", ns.Act(), strict=True))
        out.append(err(s.set_submodule, "0.fc1.in_features", ns.Act(), strict=True))
        out.append(err(s.set_submodule, "0.zz.a", ns.Act()))
        out.append(err(s.set_submodule, "0.fc1.weight.x", ns.Act()))
        out.append(err(s.set_submodule, "0.act", 3))
        s.set_submodule("0.fc1", ns.Act(), strict=True)
        out.append(type(m.fc1).__name__)
        return out
    same(f)


# --------------------------------------------------------------------------- iteration
def test_named_members_listing():
    def f(L):
        ns = M(L)
        m = ns.Net()
        m.fc2.register_parameter("bias", None)
        m.norm.register_buffer("empty", None)
        return [
            [n for n, _ in m.named_parameters()],
            [n for n, _ in m.named_parameters(prefix="root")],
            [n for n, _ in m.named_parameters(recurse=False)],
            [n for n, _ in m.fc1.named_parameters(prefix="p", recurse=False)],
            [n for n, _ in m.named_buffers()],
            [n for n, _ in m.named_buffers(prefix="z")],
            [n for n, _ in m.norm.named_buffers(recurse=False)],
            [n for n, _ in m.named_children()],
            [n for n, _ in m.named_modules()],
            [n for n, _ in m.named_modules(prefix="top")],
            [tuple(p.shape) for p in m.parameters()],
            [tuple(p.shape) for p in m.parameters(recurse=False)],
            [tuple(b.shape) for b in m.buffers()],
            [type(c).__name__ for c in m.children()],
            [type(c).__name__ for c in m.modules()],
            type(m.parameters()).__name__, type(m.named_modules()).__name__,
        ]
    same(f)


def test_duplicates():
    def f(L):
        ns = M(L)
        s = ns.Shared()
        s.p1 = L.nn.Parameter(L.ones(1))
        s.p2 = s.p1
        s.register_buffer("b1", L.zeros(1))
        s.register_buffer("b2", s.b1)
        return [
            [n for n, _ in s.named_parameters()],
            [n for n, _ in s.named_parameters(remove_duplicate=False)],
            [n for n, _ in s.named_buffers()],
            [n for n, _ in s.named_buffers(remove_duplicate=False)],
            [n for n, _ in s.named_children()],
            [n for n, _ in s.named_modules()],
            [n for n, _ in s.named_modules(remove_duplicate=False)],
            [n for n, _ in s.named_modules(memo=set(), prefix="q")],
            len(list(s.parameters())), len(list(s.modules())),
            list(s.state_dict()),
        ]
    same(f)


def test_shared_module_gradient():
    def f(L):
        s = M(L).Shared()
        x = x_of(L, rg=True)
        y = s(x)
        y.sum().backward()
        return (y, s.a.weight.grad, s.a.bias.grad, x.grad, s.b.weight.grad is s.a.weight.grad)
    same(f)


def test_modules_cycle_and_memo():
    def f(L):
        ns = M(L)
        a = ns.Empty()
        b = ns.Empty()
        a.b = b
        b.a = a  # a cycle; named_modules must terminate thanks to the memo
        memo = set()
        first = [n for n, _ in a.named_modules(memo=memo)]
        again = [n for n, _ in a.named_modules(memo=memo)]
        return first, again, len(memo)
    same(f)


# --------------------------------------------------------------------------- forward hooks
def test_forward_pre_hooks_and_hooks_order_and_replacement():
    def f(L):
        ns = M(L)
        m = ns.Scale()
        log = []
        x = x_of(L)

        def pre1(mod, args):
            log.append(("pre1", len(args)))
            return args[0] * 2  # a single value is wrapped into a tuple

        def pre2(mod, args):
            log.append(("pre2", type(args).__name__))
            return (args[0] + 1,)

        def pre_kw(mod, args, kwargs):
            log.append(("pre_kw", sorted(kwargs)))
            return args, {"k": 3.0}

        def hook1(mod, args, out):
            log.append(("hook1", norm(args)))
            return out + 100

        def hook_kw(mod, args, kwargs, out):
            log.append(("hook_kw", sorted(kwargs.items())))
            return None

        def hook_first(mod, args, out):
            log.append("first")

        h1 = m.register_forward_pre_hook(pre1)
        h2 = m.register_forward_pre_hook(pre2)
        h3 = m.register_forward_pre_hook(pre_kw, with_kwargs=True)
        h4 = m.register_forward_hook(hook1)
        h5 = m.register_forward_hook(hook_kw, with_kwargs=True)
        h6 = m.register_forward_hook(hook_first, prepend=True)
        h7 = m.register_forward_pre_hook(lambda mod, a: log.append("pre0"), prepend=True)
        out1 = m(x, k=2.0)
        h1.remove()
        h6.remove()
        h1.remove()  # removing twice is harmless
        out2 = m(x)
        dicts = (list(m._forward_pre_hooks_with_kwargs.values()), list(m._forward_hooks_with_kwargs.values()))
        for h in (h2, h3, h4, h5, h7):
            h.remove()
        out3 = m(x)
        return (log, out1, out2, out3, dicts, len(m._forward_pre_hooks), len(m._forward_hooks),
                len(m._forward_pre_hooks_with_kwargs), len(m._forward_hooks_with_kwargs))
    same(f)


def test_forward_pre_hook_with_kwargs_bad_return():
    def f(L):
        m = M(L).Scale()
        m.register_forward_pre_hook(lambda mod, a, k: 5, with_kwargs=True)
        return err(m, x_of(L))
    same(f)


def test_forward_hook_returning_non_tensor_and_tuple_args():
    def f(L):
        m = M(L).Two()
        m.register_forward_pre_hook(lambda mod, args: (args[1], args[0]))
        m.register_forward_hook(lambda mod, args, out: {"a": out[0], "n": len(args)})
        return m(x_of(L, seed=1), x_of(L, seed=2))
    same(f)


def test_handle_context_manager_and_ids():
    def f(L):
        m = M(L).Act()
        log = []
        with m.register_forward_hook(lambda *a: log.append(1)) as h:
            m(x_of(L))
            inside = len(m._forward_hooks)
        m(x_of(L))
        return log, inside, len(m._forward_hooks), type(h).__name__, hasattr(h, "id")
    same(f)


def test_always_call_hooks_when_forward_raises():
    def f(L):
        m = M(L).Boom()
        log = []
        m.register_forward_hook(lambda mod, a, o: log.append(("plain", o)))
        h = m.register_forward_hook(lambda mod, a, o: log.append(("always", o)), always_call=True)
        m.register_forward_hook(lambda mod, a, k, o: log.append(("always_kw", o)), always_call=True,
                                with_kwargs=True)
        e = err(m, x_of(L))
        flags = list(m._forward_hooks_always_called.values())
        h.remove()
        e2 = err(m, x_of(L))
        return e, e2, log, flags, len(m._forward_hooks_always_called)
    same(f)


def test_always_call_hook_raising_too():
    def f(L):
        m = M(L).Boom()

        def bad(mod, a, o):
            raise KeyError("hook failed")

        m.register_forward_hook(bad, always_call=True)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            e = err(m, x_of(L))
        return e, [str(x.message) for x in w]
    same(f)


def test_always_call_when_hook_raises():
    def f(L):
        m = M(L).Act()
        log = []

        def bad(mod, a, o):
            log.append("bad")
            raise RuntimeError("in hook")

        m.register_forward_hook(bad)
        m.register_forward_hook(lambda mod, a, o: log.append("always"), always_call=True)
        e = err(m, x_of(L))
        m2 = M(L).Act()
        m2.register_forward_hook(lambda mod, a, o: log.append("always2"), always_call=True)
        m2.register_forward_pre_hook(lambda mod, a: 1 / 0)
        e2 = err(m2, x_of(L))
        return e, e2, log
    same(f)


def test_global_forward_hooks_order():
    def f(L):
        mm = L.nn.modules.module
        ns = M(L)
        m = ns.Seq(ns.Act(), ns.Scale())
        log = []
        hs = [mm.register_module_forward_pre_hook(lambda mod, a: log.append(("gpre", type(mod).__name__))),
              mm.register_module_forward_hook(lambda mod, a, o: log.append(("ghook", type(mod).__name__))),
              mm.register_module_forward_hook(lambda mod, a, k, o: log.append(("ghook_kw", sorted(k))),
                                              with_kwargs=True)]
        try:
            m.register_forward_pre_hook(lambda mod, a: log.append("lpre"))
            m.register_forward_hook(lambda mod, a, o: log.append("lhook"))
            m.register_forward_pre_hook(lambda mod, a: log.append("lpre_first"), prepend=True)
            getattr(m, "1").register_forward_hook(lambda mod, a, o: log.append("inner"), prepend=True)
            y = m(x_of(L))
        finally:
            for h in hs:
                h.remove()
        m(x_of(L))
        return log, y
    same(f)


def test_global_forward_hook_replaces_output_and_always_call():
    def f(L):
        mm = L.nn.modules.module
        log = []
        h1 = mm.register_module_forward_pre_hook(lambda mod, a: (a[0] * 0,))
        h2 = mm.register_module_forward_hook(lambda mod, a, o: o + 1)
        try:
            y = M(L).Act()(x_of(L))
        finally:
            h1.remove()
            h2.remove()
        h3 = mm.register_module_forward_hook(lambda mod, a, o: log.append("g_always"), always_call=True)
        try:
            e = err(M(L).Boom(), x_of(L))
        finally:
            h3.remove()
        return y, e, log
    same(f)


# --------------------------------------------------------------------------- full backward hooks
def _bw_log(L, log, tag):
    def pre(mod, gout):
        log.append((tag + "pre", type(mod).__name__, norm(gout)))

    def hook(mod, gin, gout):
        log.append((tag + "hook", type(mod).__name__, norm(gin), norm(gout)))
    return pre, hook


def test_full_backward_hooks_values():
    def f(L):
        ns = M(L)
        m = ns.Net()
        log = []
        for name in ("fc1", "act", "norm", "fc2"):
            pre, hook = _bw_log(L, log, name)
            getattr(m, name).register_full_backward_pre_hook(pre)
            getattr(m, name).register_full_backward_hook(hook)
        pre, hook = _bw_log(L, log, "net")
        m.register_full_backward_pre_hook(pre)
        m.register_full_backward_hook(hook)
        x = x_of(L, rg=True)
        y = m(x)
        y.backward(L.ones_like(y))
        return log, x.grad, m.fc1.weight.grad, m._is_full_backward_hook, y.grad_fn.name()
    same(f)


def test_full_backward_hook_input_without_grad():
    def f(L):
        m = M(L).Lin()
        log = []
        pre, hook = _bw_log(L, log, "")
        m.register_full_backward_pre_hook(pre)
        m.register_full_backward_hook(hook)
        y = m(x_of(L))  # the input does not require grad; the parameters do
        w = warns(lambda: y.sum().backward())[1]
        return log, m.weight.grad, w
    same(f)


def test_full_backward_hook_replace_grad_input_and_output():
    def f(L):
        m = M(L).Scale()
        log = []
        m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 10,))
        m.register_full_backward_hook(lambda mod, gi, go: log.append(norm(go)))
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0] + 1,))
        m.register_full_backward_hook(lambda mod, gi, go: log.append(norm(gi)))
        x = x_of(L, rg=True)
        m(x).sum().backward()
        return log, x.grad, m.s.grad
    same(f)


def test_full_backward_hooks_multiple_inputs_outputs():
    def f(L):
        m = M(L).Two()
        log = []
        pre, hook = _bw_log(L, log, "")
        m.register_full_backward_pre_hook(pre)
        m.register_full_backward_hook(hook)
        x, y = x_of(L, seed=1, rg=True), x_of(L, seed=2)
        a, b = m(x, y)
        (a.sum() * 2 + b.sum()).backward()
        x2, y2 = x_of(L, seed=1, rg=True), x_of(L, seed=2, rg=True)
        a, b = m(x2, y2)
        a.sum().backward()  # second output unused: its grad_output is None
        return log, x.grad, x2.grad, y2.grad, m.s.grad
    same(f)


def test_full_backward_hook_kwargs_and_non_tensor_args():
    def f(L):
        m = M(L).Scale()
        log = []
        pre, hook = _bw_log(L, log, "")
        m.register_full_backward_hook(hook)
        x = x_of(L, rg=True)
        m(x, k=3.0).sum().backward()
        return log, x.grad
    same(f)


def test_full_backward_hook_wrong_count_and_prepend():
    def f(L):
        m = M(L).Scale()
        log = []
        m.register_full_backward_hook(lambda mod, gi, go: log.append("second"))
        m.register_full_backward_hook(lambda mod, gi, go: log.append("first"), prepend=True)
        m.register_full_backward_pre_hook(lambda mod, go: log.append("pre2"))
        m.register_full_backward_pre_hook(lambda mod, go: log.append("pre1"), prepend=True)
        x = x_of(L, rg=True)
        m(x).sum().backward()
        bad = M(L).Scale()
        bad.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
        e = err(lambda: bad(x_of(L, rg=True)).sum().backward())
        return log, e
    same(f)


def test_full_backward_hooks_global_order():
    def f(L):
        mm = L.nn.modules.module
        m = M(L).Scale()
        log = []
        m.register_full_backward_pre_hook(lambda mod, go: log.append("lpre"))
        m.register_full_backward_hook(lambda mod, gi, go: log.append("lhook"))
        hs = [mm.register_module_full_backward_pre_hook(lambda mod, go: log.append("gpre")),
              mm.register_module_full_backward_hook(lambda mod, gi, go: log.append("ghook"))]
        try:
            x = x_of(L, rg=True)
            m(x).sum().backward()
            m2 = M(L).Act()  # no local hooks: only the global ones
            m2(x_of(L, rg=True)).sum().backward()
        finally:
            for h in hs:
                h.remove()
        return log
    same(f)


def test_full_backward_hook_no_grad_forward_and_removal():
    def f(L):
        m = M(L).Scale()
        log = []
        h = m.register_full_backward_hook(lambda mod, gi, go: log.append("h"))
        with L.no_grad():
            y = m(x_of(L, rg=True))
        out = [y.requires_grad]
        h.remove()
        m(x_of(L, rg=True)).sum().backward()
        return out, log, m._is_full_backward_hook
    same(f)


def test_backward_hook_mixing_error():
    def f(L):
        m = M(L).Act()
        m._is_full_backward_hook = False
        return err(m.register_full_backward_hook, lambda *a: None)
    same(f)


# --------------------------------------------------------------------------- state dict
def test_state_dict_basic():
    def f(L):
        ns = M(L)
        m = ns.Net()
        sd = m.state_dict()
        sd2 = m.state_dict(prefix="p.")
        sd3 = m.state_dict(keep_vars=True)
        return (type(sd).__name__, list(sd.items()), list(sd._metadata.items()), list(sd2), list(sd2._metadata),
                [v.requires_grad for v in sd.values()], [v.requires_grad for v in sd3.values()],
                sd3["fc1.weight"] is m.fc1.weight, sd["fc1.weight"] is m.fc1.weight,
                type(sd3["fc1.weight"]).__name__, type(sd["fc1.weight"]).__name__)
    same(f)


@LIBS
def test_state_dict_shares_memory(L):
    m = M(L).Lin()
    sd = m.state_dict()
    with L.no_grad():
        m.weight.add_(1)
    assert (sd["weight"] == m.weight).all()


def test_state_dict_versions_and_destination():
    def f(L):
        ns = M(L)

        class V(ns.Lin):
            _version = 3

        s = ns.Seq(V(), ns.Act())
        dest = OrderedDict()
        r, w = warns(s.state_dict, dest, "pre.")  # positional (deprecated) form
        return (r is dest, list(dest), getattr(dest, "_metadata", None), list(s.state_dict()._metadata.items()), w)
    same(f)


def test_state_dict_hooks():
    def f(L):
        ns = M(L)
        m = ns.Net()
        log = []

        def pre(mod, prefix, keep_vars):
            log.append(("pre", type(mod).__name__, prefix, keep_vars))

        def post(mod, sd, prefix, meta):
            log.append(("post", type(mod).__name__, prefix, dict(meta), list(sd)))
            sd[prefix + "added"] = L.ones(1)

        m.register_state_dict_pre_hook(pre)
        m.fc2.register_state_dict_pre_hook(pre)
        m.register_state_dict_post_hook(post)
        h = m.fc1.register_state_dict_post_hook(post)
        sd = m.state_dict(prefix="r.", keep_vars=True)
        h.remove()
        sd2 = m.state_dict()
        return log, list(sd), list(sd2)
    same(f)


def test_state_dict_post_hook_return_value():
    def f(L):
        m = M(L).Lin()
        m.register_state_dict_post_hook(lambda mod, sd, p, meta: {"x": 1})
        return err(m.state_dict)
    same(f)


def test_state_dict_legacy_hook_returning_new_dict():
    def f(L):
        m = M(L).Lin()
        m._register_state_dict_hook(lambda mod, sd, p, meta: OrderedDict(z=L.zeros(1)))
        sd = m.state_dict()
        return list(sd)
    same(f)


def test_extra_state():
    def f(L):
        nn = L.nn

        class E(nn.Module):
            def __init__(self):
                super().__init__()
                self.w = nn.Parameter(L.ones(1))
                self.val = 5

            def get_extra_state(self):
                return {"val": self.val}

            def set_extra_state(self, state):
                self.val = state["val"]

        class Outer(nn.Module):
            def __init__(self):
                super().__init__()
                self.e = E()

        a = Outer()
        a.e.val = 9
        sd = a.state_dict()
        b = Outer()
        r = b.load_state_dict(sd)
        del sd["e._extra_state"]
        e = err(b.load_state_dict, sd)
        r2 = b.load_state_dict(sd, strict=False)
        return list(sd), b.e.val, repr(r), e, repr(r2), err(Outer().load_state_dict, dict(a.state_dict(), **{"e.x": 1}))
    same(f)


def test_load_state_dict_roundtrip():
    def f(L):
        ns = M(L)
        a, b = ns.Net(), ns.Net()
        with L.no_grad():
            for p in a.parameters():
                p.mul_(3)
            a.norm.running_mean.fill_(7)
            a.norm.scratch.fill_(-1)
        w = b.fc1.weight
        r = b.load_state_dict(a.state_dict())
        return (repr(r), str(r), r.missing_keys, r.unexpected_keys, list(b.state_dict().items()),
                b.fc1.weight is w, b.norm.scratch, b.fc1.weight.requires_grad, type(r).__name__,
                isinstance(r, tuple))
    same(f)


def test_load_state_dict_strict_errors():
    def f(L):
        ns = M(L)
        out = []
        m = ns.Net()
        sd = m.state_dict()
        bad = OrderedDict(sd)
        del bad["fc1.bias"]
        del bad["norm.num_batches"]
        bad["fc3.weight"] = L.zeros(1)
        bad["norm.extra"] = L.zeros(1)
        bad["fc2.weight"] = L.zeros(5, 5)
        bad["fc1.weight"] = L.zeros(3, 4)
        bad["top"] = L.zeros(1)
        out.append(err(m.load_state_dict, bad))
        out.append(err(m.load_state_dict, bad, strict=False))  # size mismatches raise even when not strict
        only_size = OrderedDict(sd)
        only_size["fc2.bias"] = L.zeros(3)
        out.append(err(m.load_state_dict, only_size))
        out.append(err(m.load_state_dict, only_size, strict=False))
        nonstrict = OrderedDict(sd)
        del nonstrict["fc1.bias"]
        nonstrict["zz"] = L.zeros(1)
        r = m.load_state_dict(nonstrict, strict=False)
        out.append((repr(r), r.missing_keys, r.unexpected_keys, r == (["fc1.bias"], ["zz"])))
        out.append(err(m.load_state_dict, [1, 2]))
        out.append(err(m.load_state_dict, {"fc1.weight": 3}))
        out.append(err(m.load_state_dict, {"fc1.weight": np.zeros((4, 3))}, strict=False))
        out.append(err(m.load_state_dict, {"fc1.weight": L.zeros(4, 3, dtype=L.float64)}, strict=False))
        out.append(err(m.load_state_dict, {"fc1.weight": L.zeros(2, 4, 3)}, strict=False))
        out.append(err(m.load_state_dict, {"fc1.weight": L.zeros(1, 3)}, strict=False))
        out.append(err(m.load_state_dict, {"norm.num_batches": L.tensor(3.7)}, strict=False))
        return out, m.fc1.weight, m.norm.num_batches
    same(f)


def test_load_state_dict_plain_dict_and_metadata_versions():
    def f(L):
        ns = M(L)
        log = []

        class V(ns.Lin):
            _version = 2

            def _load_from_state_dict(self, state_dict, prefix, local_metadata, *args):
                log.append((prefix, dict(local_metadata)))
                super()._load_from_state_dict(state_dict, prefix, local_metadata, *args)

        s = ns.Seq(V(), ns.Seq(V()))
        sd = s.state_dict()
        s.load_state_dict(sd)
        s.load_state_dict(dict(sd))  # no _metadata
        s.load_state_dict(sd, assign=True)
        return log
    same(f)


def test_load_state_dict_assign():
    def f(L):
        nn = L.nn
        ns = M(L)
        m = ns.Net()
        w_old = m.fc1.weight
        src = {k: v.clone() * 2 for k, v in ns.Net().state_dict().items()}
        src["fc1.weight"] = src["fc1.weight"].double()
        r = m.load_state_dict(src, assign=True)
        out = [repr(r), m.fc1.weight is w_old, type(m.fc1.weight).__name__, m.fc1.weight.requires_grad,
               m.fc1.weight, m.fc1.weight.is_leaf, m.norm.running_mean, m.norm.num_batches]
        out.append(m.norm.running_mean is src["norm.running_mean"])
        m2 = ns.Lin()
        m2.weight.requires_grad_(False)
        p = nn.Parameter(L.ones(2, 3))
        m2.load_state_dict({"weight": p, "bias": L.ones(2)}, assign=True)
        out += [m2.weight.requires_grad, m2.weight is p, m2.bias.requires_grad]
        m3 = ns.Lin()
        m3.load_state_dict({"weight": L.ones(2, 3, dtype=L.float64), "bias": L.ones(2)})
        out.append(m3.weight)  # copy_ keeps the model's dtype
        return out
    same(f)


def test_load_state_dict_hooks():
    def f(L):
        ns = M(L)
        m = ns.Net()
        log = []

        def pre(mod, sd, prefix, meta, strict, missing, unexpected, errors):
            log.append(("pre", type(mod).__name__, prefix, dict(meta), strict, sorted(sd)[:2]))
            if prefix + "fc1.bias" in sd:
                sd[prefix + "fc1.bias"] = sd[prefix + "fc1.bias"] * 0

        def post(mod, keys):
            log.append(("post", type(mod).__name__, list(keys.missing_keys), list(keys.unexpected_keys),
                        type(keys).__name__))
            if "junk" in keys.unexpected_keys:
                keys.unexpected_keys.remove("junk")

        m.register_load_state_dict_pre_hook(pre)
        m.fc2.register_load_state_dict_pre_hook(pre)
        m.register_load_state_dict_post_hook(post)
        m.fc1.register_load_state_dict_post_hook(post)
        sd = ns.Net().state_dict()
        sd["junk"] = L.zeros(1)
        r = m.load_state_dict(sd)
        return log, repr(r), m.fc1.bias
    same(f)


def test_load_state_dict_post_hook_return_error():
    def f(L):
        m = M(L).Lin()
        m.register_load_state_dict_post_hook(lambda mod, keys: 1)
        return err(m.load_state_dict, m.state_dict())
    same(f)


def test_load_state_dict_legacy_pre_hook_without_module():
    def f(L):
        m = M(L).Lin()
        log = []
        m._register_load_state_dict_pre_hook(lambda sd, prefix, *a: log.append(("nomod", prefix, len(a))))
        m._register_load_state_dict_pre_hook(lambda mod, sd, prefix, *a: log.append(("mod", type(mod).__name__)),
                                             with_module=True)
        m.load_state_dict(m.state_dict())
        return log
    same(f)


def test_load_state_dict_non_persistent_and_none():
    def f(L):
        ns = M(L)
        m = ns.Norm(2)
        m.register_buffer("nb", None)
        m.register_parameter("np", None)
        sd = m.state_dict()
        out = [list(sd)]
        out.append(err(m.load_state_dict, dict(sd, scratch=L.zeros(2))))
        out.append(err(m.load_state_dict, dict(sd, nb=L.zeros(2), np=L.zeros(2))))
        return out
    same(f)


# --------------------------------------------------------------------------- modes and conversions
def test_train_eval_requires_grad_():
    def f(L):
        ns = M(L)
        m = ns.Seq(ns.Net(), ns.Act())
        out = []
        r = m.eval()
        out.append((r is m, [mm.training for mm in m.modules()]))
        getattr(m, "0").train()
        out.append([mm.training for mm in m.modules()])
        out.append(err(m.train, "yes"))
        out.append(err(m.train, 1))
        r = m.requires_grad_(False)
        out.append((r is m, [p.requires_grad for p in m.parameters()]))
        getattr(m, "0").fc1.requires_grad_()
        out.append([p.requires_grad for p in m.parameters()])
        return out
    same(f)


def test_eval_changes_forward_behaviour():
    def f(L):
        m = M(L).Norm(3)
        x = x_of(L)
        m(x)
        m.eval()
        y = m(x)
        return m.running_mean, m.num_batches, y
    same(f)


def test_zero_grad():
    def f(L):
        m = M(L).Net()
        x = x_of(L)
        m(x).sum().backward()
        g = m.fc1.weight.grad
        m.zero_grad(set_to_none=False)
        out = [m.fc1.weight.grad is g, m.fc1.weight.grad, m.fc2.bias.grad]
        m(x).sum().backward()
        m.zero_grad()
        out.append([p.grad for p in m.parameters()])
        return out
    same(f)


def test_zero_grad_graph_grad():
    def f(L):
        m = M(L).Lin()
        x = x_of(L)
        warns(lambda: m(x).sum().backward(create_graph=True))
        out = [m.weight.grad.requires_grad, m.weight.grad.grad_fn is not None]
        m.zero_grad(set_to_none=False)
        out += [m.weight.grad.requires_grad, m.weight.grad.grad_fn is None, m.weight.grad]
        return out
    same(f)


def test_apply_order_and_return():
    def f(L):
        ns = M(L)
        m = ns.Seq(ns.Net(), ns.Shared())
        names = []
        r = m.apply(lambda mod: names.append(type(mod).__name__))
        return names, r is m
    same(f)


def test_to_dtype_and_casts():
    def f(L):
        ns = M(L)
        m = ns.Net()
        x = x_of(L)
        m(x).sum().backward()
        w = m.fc1.weight
        g = m.fc1.weight.grad
        b = m.norm.running_mean
        out = []
        r = m.to(L.float64)
        out.append((r is m, m.fc1.weight is w, w.dtype, w.grad.dtype, w.grad is g, m.norm.running_mean.dtype,
                    m.norm.running_mean is b, m.norm.num_batches.dtype, m.norm.scratch.dtype, type(w).__name__,
                    w.requires_grad, w.is_leaf))
        m.float()
        out.append([p.dtype for p in m.parameters()] + [b.dtype for b in m.buffers()])
        m.half()
        out.append([p.dtype for p in m.parameters()] + [b.dtype for b in m.buffers()])
        m.double()
        out.append([p.dtype for p in m.parameters()] + [b.dtype for b in m.buffers()] + [m.fc1.weight.grad.dtype])
        m.to(dtype=L.float32)
        out.append(m.fc2.weight)
        m.to(L.zeros(1, dtype=L.float64))
        out.append(m.fc2.weight.dtype)
        m.to("cpu", L.float32)
        out.append(m.fc2.weight.dtype)
        m.to("cpu")
        m.to(device="cpu", dtype=L.float64)
        out.append(m.fc2.weight.dtype)
        out.append(err(m.to, L.int64))
        out.append(err(m.to, L.zeros(1, dtype=L.int32)))
        out.append(m.cpu() is m)
        out.append(m.type(L.float32) is m)
        out.append(m.fc1.weight.dtype)
        return out
    same(f)


def test_to_keeps_version_and_data_identity():
    def f(L):
        m = M(L).Lin()
        v0 = m.weight._version
        m.float()  # no-op cast
        v1 = m.weight._version
        m.double()
        return v1 - v0, m.weight._version > v1, m.weight
    same(f)


def test_to_graph_after_cast():
    def f(L):
        m = M(L).Net().double()
        x = x_of(L).double()
        y = m(x)
        y.sum().backward()
        return y, m.fc1.weight.grad
    same(f)


# --------------------------------------------------------------------------- repr
def test_repr_nested():
    def f(L):
        ns = M(L)
        s = ns.Seq(ns.Net(), ns.Shared(), ns.Empty(), ns.Seq())
        s.add_module("none", None)
        return repr(s), str(ns.Lin()), repr(ns.Act()), repr(ns.Norm()), ns.Lin()._get_name(), s.extra_repr()
    same(f)


def test_repr_custom_get_name():
    def f(L):
        ns = M(L)

        class Named(ns.Lin):
            def _get_name(self):
                return "Custom"

        class ExtraWithChild(ns.Lin):
            def __init__(self):
                super().__init__()
                self.child = ns.Lin(seed=3)

        return repr(Named()), repr(ExtraWithChild())
    same(f)


# --------------------------------------------------------------------------- dir, copying, pickling
def test_dir():
    def f(L):
        ns = M(L)
        m = ns.Net()
        m._modules["0"] = ns.Act()
        m.plain = 1
        cls_attrs = set(dir(type(m)))
        inst = [a for a in dir(m) if a not in cls_attrs]
        return sorted(inst), dir(m) == sorted(dir(m)), "0" in dir(m)
    same(f)


def test_public_api_names():
    missing = sorted(a for a in dir(torch.nn.Module) if not a.startswith("_") and not hasattr(nt.nn.Module, a))
    assert missing == [] or set(missing) <= {"compile", "ipu", "mtia", "xpu"}, missing


def test_deepcopy():
    def f(L):
        ns = M(L)
        m = ns.Shared()
        log = []
        m.register_forward_hook(lambda mod, a, o: log.append("h"))
        x = x_of(L)
        m(x).sum().backward()
        c = copy.deepcopy(m)
        out = [c.a is c.b, c.a is not m.a, c.a.weight is not m.a.weight, type(c.a.weight).__name__,
               c.a.weight.requires_grad, c.a.weight.grad, c.a.weight.is_leaf, len(c._forward_hooks)]
        with L.no_grad():
            c.a.weight.add_(1)
        out.append(m.a.weight)
        c(x)
        out.append(log)
        out.append(list(c.state_dict().items()))
        out.append(repr(c))
        return out
    same(f)


def _picklable(L):
    """Make the test classes of ``L`` findable by pickle: a fake module per library holds them
    under their own names (``_mods_numtorch.Lin``; ``norm`` unifies the library name)."""
    name = f"_mods_{L.__name__}"
    mod = sys.modules.setdefault(name, types.ModuleType(name))
    for cname, cls in vars(M(L)).items():
        cls.__module__ = name
        cls.__qualname__ = cname
        setattr(mod, cname, cls)


_picklable(nt)
_picklable(torch)


def test_pickle_roundtrip():
    def f(L):
        ns = M(L)
        m = ns.Net()
        m.eval()
        buf = pickle.dumps(m)
        c = pickle.loads(buf)
        return (type(c).__name__, c.training, c.fc1.training, list(c.state_dict().items()),
                sorted(c.__dict__), type(c.fc1.weight).__name__, c.fc1.weight.requires_grad,
                sorted(c.norm._non_persistent_buffers_set), c(x_of(L)))
    same(f)


@LIBS
def test_pickle_setstate_fills_missing_registries(L):
    m = M(L).Lin()
    state = m.__getstate__()
    for k in ("_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_state_dict_pre_hooks",
              "_load_state_dict_post_hooks", "_non_persistent_buffers_set", "_backward_pre_hooks"):
        state.pop(k, None)
    n = M(L).Lin.__new__(M(L).Lin)
    n.__setstate__(state)
    for k in ("_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_state_dict_pre_hooks",
              "_load_state_dict_post_hooks", "_non_persistent_buffers_set", "_backward_pre_hooks"):
        assert k in n.__dict__, k
    n(x_of(L))
    n.state_dict()


# --------------------------------------------------------------------------- parameter
def test_parameter_basics():
    def f(L):
        nn = L.nn
        t = L.tensor([1.0, 2.0])
        p = nn.Parameter(t)
        q = nn.Parameter(t, requires_grad=False)
        e = nn.Parameter()
        out = [p.requires_grad, q.requires_grad, p.is_leaf, repr(p), repr(q), type(p * 2).__name__,
               (p * 2).requires_grad, e, isinstance(p, L.Tensor), p.grad_fn]
        p2 = nn.Parameter(L.tensor([1, 2]), requires_grad=False)
        out.append(p2)
        out.append(err(nn.Parameter, L.tensor([1, 2])))
        with L.no_grad():
            p.add_(1)
        out.append(t)  # shares memory
        out.append(copy.deepcopy(p))
        out.append(type(copy.deepcopy(p)).__name__)
        out.append(type(p.detach()).__name__)
        out.append(type(p.data).__name__)
        out.append(type(p.clone()).__name__)
        return out
    same(f)


def test_parameter_pickle_and_deepcopy_grad():
    def f(L):
        p = L.nn.Parameter(L.tensor([1.0, 2.0]))
        (p * p).sum().backward()
        c = copy.deepcopy(p)
        b = io.BytesIO()
        pickle.dump(p, b)
        r = pickle.loads(b.getvalue())
        return c.grad, type(r).__name__, r, r.requires_grad, r.grad
    same(f)


# --------------------------------------------------------------------------- more: Buffer, warnings, edge cases
def warns(fn, *args, **kwargs):
    """(result or error, [(category, message)]) of ``fn(*args)`` with every warning recorded."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            r = fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001
            r = e
    return r, [(x.category.__name__, str(x.message)) for x in w if "reference cycle" not in str(x.message)]


def test_buffer_class():
    def f(L):
        nn = L.nn
        B = L.nn.parameter.Buffer
        t = L.ones(2)
        b = B(t, persistent=False)
        out = [type(b).__name__, b is t, b.persistent, b._is_buffer, isinstance(b, B), isinstance(t, B),
               isinstance(b, L.Tensor), B(L.ones(2, requires_grad=True)).requires_grad, B(L.ones(2)).persistent,
               B()]
        m = M(L).Empty()
        m.x = b
        m.y = B(L.zeros(1))
        m.register_buffer("z", B(L.ones(1), persistent=False))  # register_buffer's own flag wins
        out += [list(m._buffers), sorted(m._non_persistent_buffers_set), list(m.state_dict())]
        m.y = B(L.zeros(1), persistent=False)
        m.x = L.zeros(3)  # a plain tensor keeps the buffer's persistence
        out.append(sorted(m._non_persistent_buffers_set))
        m.plain = 3
        out.append(err(setattr, m, "plain", B(L.ones(1))))
        m.c = M(L).Act()
        out.append(err(setattr, m, "c", B(L.ones(1))))
        m.p = nn.Parameter(L.ones(1))
        out.append(err(setattr, m, "p", B(L.ones(1))))

        class Early(nn.Module):
            def __init__(self):
                self.b = B(L.ones(1))

        out.append(err(Early))
        return out
    same(f)


def test_registration_hook_on_none_assignments():
    def f(L):
        mm = L.nn.modules.module
        log = []
        hs = [mm.register_module_module_registration_hook(lambda m, n, v: log.append(("m", n, v is None))),
              mm.register_module_buffer_registration_hook(lambda m, n, v: log.append(("b", n, v is None))),
              mm.register_module_parameter_registration_hook(lambda m, n, v: log.append(("p", n, v is None)))]
        try:
            m = M(L).Net()
            log.clear()
            m.act = None
            m.norm.running_mean = None
            m.fc1.bias = None
            m.register_parameter("q", None)
        finally:
            for h in hs:
                h.remove()
        return log
    same(f)


def test_non_full_backward_hook():
    def f(L):
        ns = M(L)
        log = []
        keep = []

        def run(mod, *args):
            keep.append(mod)
            mod.register_backward_hook(lambda m, gi, go: log.append((type(m).__name__, norm(gi), norm(go))))
            return warns(lambda: mod(*args))

        x = x_of(L, rg=True)
        out = []
        y, w = run(ns.Lin(), x)
        y.sum().backward()
        out.append(w)
        y, w = run(ns.Act(), x * 1)  # one node whose input is the module's input: no warning
        y.sum().backward()
        out.append(w)
        (a, b), w = run(ns.Two(), x, x_of(L, seed=2))
        a.sum().backward()
        out.append(w)
        out.append(run(ns.Scale(), x, 2.0)[1])
        out.append(run(ns.Act(), x)[1])
        m = ns.Act()
        m.register_backward_hook(lambda *a: None)
        out.append(err(m.register_full_backward_hook, lambda *a: None))
        out.append(m._is_full_backward_hook)
        m2 = ns.Act()
        m2.register_full_backward_hook(lambda *a: None)
        out.append(err(m2.register_backward_hook, lambda *a: None))
        m3 = ns.Act()
        m3.register_backward_hook(lambda *a: None)
        m3.register_full_backward_pre_hook(lambda *a: None)  # pre hooks mix with either kind
        return log, out, x.grad
    same(f)


def test_global_non_full_backward_hook_flag():
    def f(L):
        mm = L.nn.modules.module
        flag_owner = mm if L is torch else L.nn.modules._hooks
        log = []
        flag_owner._global_is_full_backward_hook = None  # earlier tests may have set it
        try:
            h = mm.register_module_backward_hook(lambda m, gi, go: log.append(type(m).__name__))
            e1 = err(mm.register_module_full_backward_hook, lambda *a: None)
            keep = M(L).Act()
            w = warns(lambda: keep(x_of(L, rg=True)).sum().backward())[1]
            h.remove()
            e2 = err(mm.register_module_full_backward_hook, lambda *a: None)  # the flag outlives the hook
            flag = flag_owner._global_is_full_backward_hook
        finally:
            flag_owner._global_is_full_backward_hook = None
        return log, e1, e2, flag, w
    same(f)


def test_full_backward_hook_warnings():
    def f(L):
        nn = L.nn

        class ListOut(nn.Module):
            def forward(self, x):
                return [x * 2]

        out = []
        m = ListOut()
        log = []
        m.register_full_backward_hook(lambda mod, gi, go: log.append("called"))
        with L.no_grad():
            out.append(warns(m, x_of(L, rg=True))[1])
        r, w = warns(m, x_of(L, rg=True))
        r[0].sum().backward()
        out.append(w)
        lin = M(L).Lin()
        lin.register_full_backward_hook(lambda mod, gi, go: log.append(norm(gi)))
        y = lin(x_of(L))
        out.append(warns(lambda: y.sum().backward())[1])
        pre_only = M(L).Lin()
        pre_only.register_full_backward_pre_hook(lambda mod, go: log.append("pre only"))
        y = pre_only(x_of(L))
        out.append(warns(lambda: y.sum().backward())[1])
        return out, log, pre_only._is_full_backward_hook
    same(f)


def test_full_backward_hook_return_validation():
    def f(L):
        ns = M(L)
        out = []
        cases = [
            ("pre", lambda mod, go: (go[0],) * 2),
            ("pre", lambda mod, go: go[0] * 10),  # a bare tensor: its length is checked
            ("pre", lambda mod, go: [go[0] * 10]),
            ("pre", lambda mod, go: (1,)),
            ("pre", lambda mod, go: (L.ones(5),)),
            ("pre", lambda mod, go: (go[0].double(),)),
            ("pre", lambda mod, go: (None,)),
            ("hook", lambda mod, gi, go: (gi[0], gi[0])),
            ("hook", lambda mod, gi, go: [gi[0] * 10]),
            ("hook", lambda mod, gi, go: (1,)),
            ("hook", lambda mod, gi, go: (L.ones(5),)),
            ("hook", lambda mod, gi, go: (gi[0].double(),)),
            ("hook", lambda mod, gi, go: (None,)),
        ]
        for kind, hook in cases:
            m = ns.Act()
            if kind == "pre":
                m.register_full_backward_pre_hook(hook)
            else:
                m.register_full_backward_hook(hook)
            x = x_of(L, shape=(3,), rg=True)
            out.append((err(lambda: m(x).sum().backward()), x.grad))
        return out
    same(f)


def test_full_backward_hooks_structures():
    def f(L):
        nn = L.nn
        NT = NTS[L]
        log = []

        class Tup(nn.Module):
            def forward(self, x, k, y):
                return x * y * k, 3, NT(x * 2, x * 3)

        class Same(nn.Module):
            def forward(self, x):
                y = x * 2
                return y, y

        class Ident(nn.Module):
            def forward(self, x):
                return x

        out = []
        for cls, args in ((Tup, lambda: (x_of(L, (2,), rg=True), 3.0, x_of(L, (2,), seed=1))),
                          (Same, lambda: (x_of(L, (2,), rg=True),)), (Ident, lambda: (x_of(L, (2,), rg=True),))):
            m = cls()
            pre, hook = _bw_log(L, log, cls.__name__)
            m.register_full_backward_pre_hook(pre)
            m.register_full_backward_hook(hook)
            a = args()
            o = m(*a)
            first = o[0] if isinstance(o, tuple) else o
            out.append((type(o).__name__, first.grad_fn.name(), first is a[0]))
            (first * 2).sum().backward()
            out.append(a[0].grad)
        return log, out
    same(f)


def test_full_backward_hooks_with_grad_and_create_graph():
    def f(L):
        nn = L.nn

        class Cube(nn.Module):
            def forward(self, x):
                return x ** 3

        log = []
        m = Cube()
        m.register_full_backward_hook(lambda mod, gi, go: log.append((norm(gi), norm(go))))
        x = L.tensor([2.0, -1.0], requires_grad=True)
        g, = L.autograd.grad(m(x).sum(), x, create_graph=True)
        g2, = L.autograd.grad(g.sum(), x)
        y = m(x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return log, g, g2, x.grad
    same(f)


def test_state_dict_hook_flags():
    def f(L):
        m = M(L).Lin()

        def post(mod, sd, prefix, meta):
            return None

        m.register_state_dict_post_hook(post)
        return (post.__dict__, err(m._register_state_dict_hook, post),
                err(m.register_state_dict_post_hook, m.forward))
    same(f)


@LIBS
def test_wrapped_load_hook_dead_module_and_deepcopy(L):
    m = M(L).Lin()
    seen = []
    m.register_load_state_dict_pre_hook(lambda mod, *a: seen.append(mod))
    c = copy.deepcopy(m)
    c.load_state_dict(c.state_dict())
    assert seen == [c]
    d = m._load_state_dict_pre_hooks
    assert type(next(iter(d.values()))).__name__ == "_WrappedHook"
    del m
    import gc
    gc.collect()
    with pytest.raises(RuntimeError, match="You are trying to call the hook of a dead Module!"):
        next(iter(d.values()))({}, "", {}, True, [], [], [])


def test_load_state_dict_more():
    def f(L):
        ns = M(L)
        out = []
        s = ns.Seq(ns.Lin(), None)
        sd = s.state_dict()
        out.append(repr(s.load_state_dict(dict(sd, **{"1.weight": L.zeros(1)}))))  # under a None child
        m = ns.Norm(2)
        sd = m.state_dict()
        sd["num_batches"] = L.tensor([5])  # 1-element 1-d into a 0-d buffer
        m.load_state_dict(sd)
        out.append(m.num_batches)
        sd = ns.Lin().state_dict()
        out.append(repr(ns.Lin().load_state_dict(types.MappingProxyType(dict(sd)))))
        sd = ns.Lin().state_dict()
        ns.Lin().load_state_dict(sd, assign=True)
        out.append(list(sd._metadata.items()))  # assign is recorded in the checkpoint's metadata
        return out
    same(f)


def test_to_parsing_and_devices():
    def f(L):
        ns = M(L)
        m = ns.Net()
        out = [err(m.to, foo=1), err(m.to, 1, 2, 3, 4, 5), err(m.cuda), err(m.to, "cuda"), err(m.xpu),
               err(m.ipu), ns.Empty().cuda() is not None, err(m.to, "cpu", L.int32)]
        m.to("cpu", non_blocking=True)
        m.to(L.float64, True)
        out.append([p.dtype for p in m.parameters()])
        e = m.to_empty(device="cpu")
        out.append((e is m, [(tuple(p.shape), p.dtype, type(p).__name__) for p in m.parameters()],
                    [(tuple(b.shape), b.dtype) for b in m.buffers()]))
        return out
    same(f)


def test_tied_weights():
    def f(L):
        ns = M(L)
        s = ns.Seq(ns.Lin(3, 3, seed=1), ns.Act(), ns.Lin(3, 3, seed=2))
        getattr(s, "2").weight = getattr(s, "0").weight
        x = x_of(L)
        s(x).sum().backward()
        return ([n for n, _ in s.named_parameters()], list(s.state_dict()), getattr(s, "0").weight.grad,
                len(list(s.parameters())))
    same(f)


def test_repr_multiline_extra_with_children():
    def f(L):
        ns = M(L)

        class Both(ns.Norm):
            def __init__(self):
                super().__init__()
                self.inner = ns.Seq(ns.Lin(), ns.Norm())

        return repr(Both())
    same(f)


def test_parameter_construction_details():
    def f(L):
        nn = L.nn
        p = nn.Parameter(L.ones(2))
        p.foo = 1
        x = L.ones(2, requires_grad=True)
        q = nn.Parameter(x * 2)
        t = L.ones(2)
        t.add_(1)
        out = [err(nn.Parameter, [1.0]), err(nn.Parameter, 3.0), copy.deepcopy(p).__dict__,
               pickle.loads(pickle.dumps(p)).__dict__, q.grad_fn, q.is_leaf, q.requires_grad,
               nn.Parameter(t)._version]
        q2 = nn.Parameter(p)
        q3 = nn.Parameter(p, requires_grad=False)
        out += [type(q2).__name__, q2 is p, q3.requires_grad, p.requires_grad, nn.Parameter(L.ones(2)).__dict__]
        with L.no_grad():
            q2.add_(1)
        out.append(p)
        return out
    same(f)


def test_parameter_subclass_and_uninitialized_copies():
    def f(L):
        P = L.nn.parameter

        class MyP(L.nn.Parameter):
            pass

        m = MyP(L.ones(1))
        u = P.UninitializedParameter(requires_grad=False)
        b = P.UninitializedBuffer()
        cu = copy.deepcopy(u)
        return (type(pickle.loads(pickle.dumps(m))).__name__, type(copy.deepcopy(m)).__name__,
                type(cu).__name__, cu.requires_grad, type(pickle.loads(pickle.dumps(u))).__name__,
                type(pickle.loads(pickle.dumps(b))).__name__, repr(u), err(copy.deepcopy, b)[0])
    same(f)


def test_extra_state_defaults():
    def f(L):
        m = M(L).Lin()
        return err(m.get_extra_state), err(m.set_extra_state, 1)
    same(f)
