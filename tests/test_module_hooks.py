"""nn.Module hooks against torch: forward (pre-)hooks, always_call, global hooks, full and
legacy backward hooks."""
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
