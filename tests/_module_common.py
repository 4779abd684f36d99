"""Shared helpers for the nn.Module differential tests (test_module*.py): the same small
custom modules built with numtorch and with torch, and ``norm`` to compare their results."""
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
from helpers import assert_close, pair, torch

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


def warns(fn, *args, **kwargs):
    """(result or error, [(category, message)]) of ``fn(*args)`` with every warning recorded."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            r = fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001
            r = e
    return r, [(x.category.__name__, str(x.message)) for x in w if "reference cycle" not in str(x.message)]


# ------------------------------------------------------------------ weight-norm tests (parametrize, weight_norm)
def sd_to_nt(sd):
    """A torch state_dict as numtorch tensors (metadata kept)."""
    out = OrderedDict((k, nt.tensor(v.detach().numpy().copy())) for k, v in sd.items())
    if hasattr(sd, "_metadata"):
        out._metadata = copy.deepcopy(sd._metadata)
    return out


def arr(shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def sync(mn, mt):
    """Copy torch's whole state (parametrization originals and buffers included) into numtorch."""
    sd = mt.state_dict()
    assert list(mn.state_dict()) == list(sd)
    mn.load_state_dict(sd_to_nt(sd))


def check_fwd_bwd(mn, mt, xshape, seed=0, rtol=1e-5, atol=1e-5):
    """Forward outputs, input gradients and every parameter's gradient equal torch's."""
    xn, xt = pair(arr(xshape, seed + 10), requires_grad=True)
    yn, yt = mn(xn), mt(xt)
    assert_close(yn, yt, rtol, atol)
    g = arr(tuple(yt.shape), seed + 20)
    yn.backward(nt.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(xn.grad, xt.grad, rtol, atol)
    pn, pt = dict(mn.named_parameters()), dict(mt.named_parameters())
    assert list(pn) == list(pt)
    for k in pt:
        assert (pn[k].grad is None) == (pt[k].grad is None), k
        if pt[k].grad is not None:
            assert_close(pn[k].grad, pt[k].grad, rtol, atol)
    return yn, yt
