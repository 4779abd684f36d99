"""nn.Module state_dict / load_state_dict against torch: keys, metadata, hooks, strict
errors, assign, extra state."""
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


def test_extra_state_defaults():
    def f(L):
        m = M(L).Lin()
        return err(m.get_extra_state), err(m.set_extra_state, 1)
    same(f)
