"""nn.Module against torch.nn.Module: registries, attribute protocol, registration, iteration,
modes, casts, repr, copying and Parameter.  Every test runs the same code with numtorch and
torch on the same small modules (``_module_common``) and compares the normalised results."""
# ruff: noqa: F401
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
from _module_common import LIBS, M, NTS, _MODS, err, norm, same, warns, x_of


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
