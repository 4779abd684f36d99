"""Differential tests for nn.functional normalisation functions and nn normalisation modules."""
import numpy as np
import pytest

import numtorch as nt
import numtorch.nn.functional as Fn
from helpers import assert_close, both_raise, check_op, gradcheck64, pair, torch

Ft = torch.nn.functional
rng = np.random.default_rng(0)


def R(*s, dt=np.float32):
    return rng.standard_normal(s).astype(dt)


# ------------------------------------------------------------------ layer_norm
@pytest.mark.parametrize("xs,ns", [((2, 3, 4), (4,)), ((5, 6), (6,)), ((4,), (4,)), ((2, 3, 4, 5), (4, 5)),
                                   ((3, 2, 4), (3, 2, 4))])
@pytest.mark.parametrize("affine", ["none", "w", "wb", "b"])
def test_layer_norm(xs, ns, affine):
    arrs = [R(*xs)]
    if "w" in affine:
        arrs.append(R(*ns))
    if "b" in affine:
        arrs.append(R(*ns))

    def f(F):
        def g(x, *p):
            w = p[0] if "w" in affine else None
            b = p[-1] if "b" in affine else None
            return F.layer_norm(x, list(ns), w, b, eps=1e-5)
        return g
    out, _ = check_op(f(Fn), f(Ft), *arrs, rtol=1e-4, atol=1e-5)
    assert out.grad_fn.name() == "NativeLayerNormBackward0"


def test_layer_norm_float64_and_int_shape():
    check_op(lambda x, w, b: Fn.layer_norm(x, 4, w, b, 1e-3), lambda x, w, b: Ft.layer_norm(x, (4,), w, b, 1e-3),
             R(3, 4, dt=np.float64), R(4, dt=np.float64), R(4, dt=np.float64), rtol=1e-10, atol=1e-12)


def test_layer_norm_errors():
    x, y = pair(R(2, 3, 4))
    both_raise(lambda: Fn.layer_norm(x, (5,)), lambda: Ft.layer_norm(y, (5,)))
    both_raise(lambda: Fn.layer_norm(x, ()), lambda: Ft.layer_norm(y, ()))
    both_raise(lambda: Fn.layer_norm(x, (4,), nt.ones(5)), lambda: Ft.layer_norm(y, (4,), torch.ones(5)))
    both_raise(lambda: Fn.layer_norm(x, (4,), None, nt.ones(5)), lambda: Ft.layer_norm(y, (4,), None, torch.ones(5)))


def test_layer_norm_gradcheck():
    gradcheck64(lambda x, w, b: Fn.layer_norm(x, (3, 4), w, b), R(2, 3, 4), R(3, 4), R(3, 4))


# ------------------------------------------------------------------ group_norm
@pytest.mark.parametrize("xs,G", [((2, 6, 5), 3), ((2, 4), 2), ((3, 4, 2, 3), 1), ((1, 6, 2, 2, 2), 6), ((2, 4, 3), 4)])
@pytest.mark.parametrize("affine", [False, True])
def test_group_norm(xs, G, affine):
    C = xs[1]
    arrs = [R(*xs)] + ([R(C), R(C)] if affine else [])
    out, _ = check_op(lambda x, *p: Fn.group_norm(x, G, *p, eps=1e-5), lambda x, *p: Ft.group_norm(x, G, *p, eps=1e-5),
                      *arrs, rtol=1e-4, atol=1e-5)
    assert out.grad_fn.name() == "NativeGroupNormBackward0"


def test_group_norm_weight_only():
    check_op(lambda x, w: Fn.group_norm(x, 2, w), lambda x, w: Ft.group_norm(x, 2, w), R(2, 4, 3), R(4),
             rtol=1e-4, atol=1e-5)


def test_group_norm_errors():
    x, y = pair(R(2, 3, 4))
    both_raise(lambda: Fn.group_norm(x, 2), lambda: Ft.group_norm(y, 2))
    both_raise(lambda: Fn.group_norm(nt.ones(3), 1), lambda: Ft.group_norm(torch.ones(3), 1))
    both_raise(lambda: Fn.group_norm(x, 3, nt.ones(4)), lambda: Ft.group_norm(y, 3, torch.ones(4)))
    both_raise(lambda: nt.nn.GroupNorm(2, 3), lambda: torch.nn.GroupNorm(2, 3))


def test_group_norm_gradcheck():
    gradcheck64(lambda x, w, b: Fn.group_norm(x, 2, w, b), R(2, 4, 3), R(4), R(4))


# ------------------------------------------------------------------ rms_norm
@pytest.mark.parametrize("xs,ns", [((2, 3, 4), (4,)), ((5, 6), (6,)), ((4,), (4,)), ((2, 3, 4, 5), (4, 5))])
@pytest.mark.parametrize("weight", [False, True])
@pytest.mark.parametrize("eps", [None, 1e-3])
def test_rms_norm(xs, ns, weight, eps):
    arrs = [R(*xs)] + ([R(*ns)] if weight else [])
    check_op(lambda x, *w: Fn.rms_norm(x, list(ns), *w, eps=eps), lambda x, *w: Ft.rms_norm(x, list(ns), *w, eps=eps),
             *arrs, rtol=1e-4, atol=1e-5)


def test_rms_norm_errors():
    x, y = pair(R(2, 3, 4))
    both_raise(lambda: Fn.rms_norm(x, (5,)), lambda: Ft.rms_norm(y, (5,)))
    both_raise(lambda: Fn.rms_norm(x, (4,), nt.ones(5)), lambda: Ft.rms_norm(y, (4,), torch.ones(5)))


def test_rms_norm_gradcheck():
    gradcheck64(lambda x, w: Fn.rms_norm(x, (4,), w, 1e-6), R(3, 4), R(4))


# ------------------------------------------------------------------ local_response_norm
@pytest.mark.parametrize("xs", [(2, 5, 3), (1, 4, 3, 3), (2, 6, 2, 2, 2)])
@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_local_response_norm(xs, size):
    check_op(lambda x: Fn.local_response_norm(x, size, alpha=0.5, beta=0.75, k=1.5),
             lambda x: Ft.local_response_norm(x, size, alpha=0.5, beta=0.75, k=1.5), R(*xs), rtol=1e-4, atol=1e-5)


def test_local_response_norm_errors_and_gradcheck():
    both_raise(lambda: Fn.local_response_norm(nt.ones(2, 3), 2), lambda: Ft.local_response_norm(torch.ones(2, 3), 2))
    gradcheck64(lambda x: Fn.local_response_norm(x, 3, 0.3, 0.75, 1.0), R(2, 4, 3))


# ------------------------------------------------------------------ modules
MODULES = [
    ("LayerNorm", (4,), {}, (2, 3, 4)),
    ("LayerNorm", ([3, 4],), {"eps": 1e-3, "bias": False}, (2, 3, 4)),
    ("LayerNorm", (4,), {"elementwise_affine": False}, (4,)),
    ("GroupNorm", (2, 4), {}, (2, 4, 3)),
    ("GroupNorm", (2, 4), {"affine": False}, (2, 4, 3)),
    ("GroupNorm", (1, 4), {"eps": 1e-3, "bias": False}, (2, 4, 2, 2)),
    ("RMSNorm", (4,), {}, (2, 3, 4)),
    ("RMSNorm", ([3, 4],), {"eps": 1e-3}, (2, 3, 4)),
    ("RMSNorm", (4,), {"elementwise_affine": False}, (4,)),
    ("LocalResponseNorm", (3,), {}, (2, 4, 3)),
    ("LocalResponseNorm", (2,), {"alpha": 0.1, "beta": 0.5, "k": 2.0}, (2, 4, 3, 3)),
]


@pytest.mark.parametrize("name,args,kw,xs", MODULES)
def test_module(name, args, kw, xs):
    mn = getattr(nt.nn, name)(*args, **kw)
    mt = getattr(torch.nn, name)(*args, **kw)
    assert repr(mn) == repr(mt)
    sn, st = mn.state_dict(), mt.state_dict()
    assert list(sn.keys()) == list(st.keys())
    for k in st:
        assert_close(sn[k], st[k])
    with torch.no_grad():   # random affine parameters so their gradients are non-trivial
        for (kn, pn), (kt, pt) in zip(mn.named_parameters(), mt.named_parameters()):
            a = R(*pt.shape)
            pt.copy_(torch.tensor(a))
            pn._data[...] = a
    x, y = pair(R(*xs), True)
    on, ot = mn(x), mt(y)
    assert_close(on, ot, 1e-4, 1e-5)
    g = R(*xs)
    on.backward(nt.tensor(g))
    ot.backward(torch.tensor(g))
    assert_close(x.grad, y.grad, 1e-4, 1e-4)
    for (kn, pn), (kt, pt) in zip(mn.named_parameters(), mt.named_parameters()):
        assert kn == kt
        assert_close(pn.grad, pt.grad, 1e-4, 1e-4)


def test_module_float64_dtype():
    m = nt.nn.LayerNorm(3, dtype=nt.float64)
    assert m.weight.dtype == nt.float64
    assert m(nt.ones(2, 3, dtype=nt.float64)).dtype == nt.float64


def test_dtype_errors():
    for fn, args in (("layer_norm", ((4,),)), ("group_norm", (2,)), ("rms_norm", ((4,),))):
        both_raise(lambda: getattr(Fn, fn)(nt.ones(2, 4, dtype=nt.int64), *args),
                   lambda: getattr(Ft, fn)(torch.ones(2, 4, dtype=torch.int64), *args))
    for fn, args in (("layer_norm", ((4,),)), ("group_norm", (2,))):
        for a, b in ((nt.float32, torch.float32), (nt.float64, torch.float64)):
            other_n = nt.float64 if a == nt.float32 else nt.float32
            other_t = torch.float64 if b == torch.float32 else torch.float32
            both_raise(lambda: getattr(Fn, fn)(nt.ones(2, 4, dtype=a), *args, nt.ones(4, dtype=other_n)),
                       lambda: getattr(Ft, fn)(torch.ones(2, 4, dtype=b), *args, torch.ones(4, dtype=other_t)))


def test_empty_batch():
    x, y = pair(np.zeros((0, 4, 3), np.float32), True)
    assert_close(Fn.layer_norm(x, (3,)), Ft.layer_norm(y, (3,)))
    assert_close(Fn.group_norm(x, 2), Ft.group_norm(y, 2))
    assert_close(Fn.rms_norm(x, (3,)), Ft.rms_norm(y, (3,)))
    Fn.layer_norm(x, (3,)).sum().backward()
    assert tuple(x.grad.shape) == (0, 4, 3)


def _fns(F, lib):
    return [lambda x, w, b: F.layer_norm(x, (3,), w, b),
            lambda x, w, b: F.group_norm(x, 2, lib.cat([w, w[:1]]), lib.cat([b, b[:1]])),
            lambda x, w, b: F.rms_norm(x, (3,), w, 1e-6) + b]


@pytest.mark.parametrize("k", [0, 1, 2])
def test_double_backward_matches_torch(k):
    a, w, b = R(2, 4, 3, dt=np.float64), R(3, dt=np.float64), R(3, dt=np.float64)
    outs = []
    for lib, F in ((nt, Fn), (torch, Ft)):
        f = _fns(F, lib)[k]
        x, W, B = (lib.tensor(v.copy(), requires_grad=True) for v in (a, w, b))
        gx, gw = lib.autograd.grad((f(x * 1, W, B) ** 3).sum(), [x, W], create_graph=True)
        outs.append([t.detach().numpy() for t in lib.autograd.grad(gx.sin().sum() + gw.sum(), [x, W, B])])
    for p, q in zip(*outs):
        np.testing.assert_allclose(p, q, rtol=1e-8, atol=1e-10)
    ts = tuple(nt.tensor(v, requires_grad=True) for v in (a, w, b))
    assert nt.autograd.gradgradcheck(_fns(Fn, nt)[k], ts)
