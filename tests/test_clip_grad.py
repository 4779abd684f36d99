"""nn.utils gradient clipping and parameter/vector conversion against torch 2.13."""
import warnings

import numpy as np
import pytest
from helpers import assert_close, both_raise, torch

import numtorch as nt

NU, TU = nt.nn.utils, torch.nn.utils
rng = np.random.default_rng(0)
G = [rng.standard_normal(s).astype(np.float32) * 3 for s in [(4, 3), (5,), (2, 2, 2)]]


def params(lib, grads=G, dtypes=None, none_at=()):
    ps = []
    for i, g in enumerate(grads):
        dt = dtypes[i] if dtypes else g.dtype
        p = lib.nn.Parameter(lib.zeros(*g.shape, dtype=getattr(lib, np.dtype(dt).name)))
        if i not in none_at:
            p.grad = lib.tensor(g.astype(dt))
        ps.append(p)
    return ps


def grads_close(pn, pt, rtol=1e-6, atol=1e-7):
    for a, b in zip(pn, pt):
        if b.grad is None:
            assert a.grad is None
        else:
            assert_close(a.grad, b.grad, rtol, atol)


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, 0.5, "inf", float("inf"), -float("inf"), 0])
@pytest.mark.parametrize("max_norm", [1.0, 1e6, -1.0, 0.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    pn, pt = params(nt, none_at=(1,)), params(torch, none_at=(1,))
    tn = NU.clip_grad_norm_(pn, max_norm, norm_type=norm_type)
    tt = TU.clip_grad_norm_(pt, max_norm, norm_type=norm_type)
    assert_close(tn, tt, rtol=1e-5, atol=1e-6)
    grads_close(pn, pt, rtol=1e-5, atol=1e-6)


def test_single_tensor_generator_and_empty():
    pn, pt = params(nt), params(torch)
    assert_close(NU.clip_grad_norm_(pn[0], 0.5), TU.clip_grad_norm_(pt[0], 0.5))
    assert_close(NU.clip_grad_norm_(iter(pn), 0.5, foreach=True), TU.clip_grad_norm_(iter(pt), 0.5, foreach=True))
    grads_close(pn, pt)
    assert_close(NU.clip_grad_norm_([], 1.0), TU.clip_grad_norm_([], 1.0))
    pn, pt = params(nt, none_at=(0, 1, 2)), params(torch, none_at=(0, 1, 2))
    assert_close(NU.clip_grad_norm_(pn, 1.0), TU.clip_grad_norm_(pt, 1.0))


def test_mixed_dtypes_and_half():
    dts = [np.float32, np.float64, np.float32]
    pn, pt = params(nt, dtypes=dts), params(torch, dtypes=dts)
    assert_close(NU.clip_grad_norm_(pn, 1.0), TU.clip_grad_norm_(pt, 1.0))
    grads_close(pn, pt)
    big = [np.full(3, 100.0, np.float32)]
    pn, pt = params(nt, big, [np.float16]), params(torch, big, [np.float16])
    assert_close(NU.clip_grad_norm_(pn, 1.0), TU.clip_grad_norm_(pt, 1.0), rtol=1e-3)
    grads_close(pn, pt, rtol=1e-3)


def test_nonfinite():
    for bad in (np.nan, np.inf):
        g = [np.array([1.0, bad, 3.0], np.float32)]
        pn, pt = params(nt, g), params(torch, g)
        assert_close(NU.clip_grad_norm_(pn, 1.0), TU.clip_grad_norm_(pt, 1.0))
        grads_close(pn, pt)
        for nt_ in (2.0, 1, "inf"):
            pn, pt = params(nt, g), params(torch, g)
            both_raise(lambda: NU.clip_grad_norm_(pn, 1.0, nt_, error_if_nonfinite=True),
                       lambda: TU.clip_grad_norm_(pt, 1.0, nt_, error_if_nonfinite=True))


def test_get_total_norm_and_clip_grads_with_norm():
    gn = [nt.tensor(g) for g in G]
    gt = [torch.tensor(g) for g in G]
    for p in (2.0, 1.0, "inf"):
        assert_close(NU.get_total_norm(gn, p), TU.get_total_norm(gt, p), rtol=1e-5)
    assert_close(NU.get_total_norm(gn[0]), TU.get_total_norm(gt[0]))
    assert_close(NU.get_total_norm([]), TU.get_total_norm([]))
    pn, pt = params(nt), params(torch)
    NU.clip_grads_with_norm_(pn, 1.0, nt.tensor(10.0))
    TU.clip_grads_with_norm_(pt, 1.0, torch.tensor(10.0))
    grads_close(pn, pt)
    both_raise(lambda: NU.clip_grads_with_norm_(pn, 1.0, 10.0), lambda: TU.clip_grads_with_norm_(pt, 1.0, 10.0))


def test_clip_grad_norm_deprecated_alias():
    pn, pt = params(nt), params(torch)
    with warnings.catch_warnings(record=True) as rn:
        warnings.simplefilter("always")
        a = NU.clip_grad_norm(pn, 1.0)
    with warnings.catch_warnings(record=True) as rt:
        warnings.simplefilter("always")
        b = TU.clip_grad_norm(pt, 1.0)
    assert_close(a, b)
    assert [(w.category, str(w.message)) for w in rn] == [(w.category, str(w.message)) for w in rt]


@pytest.mark.parametrize("clip", [2.5, 0.1, -2.5, 0])
def test_clip_grad_value(clip):
    g = G + [np.array([np.nan, 1.0], np.float32)]
    pn, pt = params(nt, g, none_at=(1,)), params(torch, g, none_at=(1,))
    assert NU.clip_grad_value_(pn, clip) is None
    TU.clip_grad_value_(pt, clip)
    grads_close(pn, pt)
    v = pn[0].grad._version
    NU.clip_grad_value_(pn[0], clip, foreach=False)
    assert pn[0].grad._version > v


def test_clipping_is_in_place_and_not_recorded():
    pn = params(nt)
    g = pn[0].grad
    v = g._version
    with nt.enable_grad():
        total = NU.clip_grad_norm_(pn, 0.1)
    assert pn[0].grad is g and g._version > v
    assert not total.requires_grad and total.grad_fn is None


def test_parameters_to_vector_and_back():
    vals = [rng.standard_normal(s).astype(np.float32) for s in [(3,), (2, 2)]]
    pn = [nt.nn.Parameter(nt.tensor(v)) for v in vals]
    pt = [torch.nn.Parameter(torch.tensor(v)) for v in vals]
    vn, vt = NU.parameters_to_vector(pn), TU.parameters_to_vector(pt)
    assert_close(vn, vt)
    assert vn.grad_fn is not None and vn.grad_fn.name() == vt.grad_fn.name()
    vn.sum().backward()
    vt.sum().backward()
    for a, b in zip(pn, pt):
        assert_close(a.grad, b.grad)
    NU.vector_to_parameters(nt.arange(7.0), pn)
    TU.vector_to_parameters(torch.arange(7.0), pt)
    for a, b in zip(pn, pt):
        assert_close(a.detach(), b.detach())
        assert a.requires_grad
    src = nt.arange(9.0)
    NU.vector_to_parameters(src, pn)            # extra elements are ignored; data shares memory
    src[0] = 42.0
    assert float(pn[0][0]) == 42.0
    both_raise(lambda: NU.vector_to_parameters([1, 2], pn), lambda: TU.vector_to_parameters([1, 2], pt))
    both_raise(lambda: NU.vector_to_parameters(nt.arange(3.0), pn),
               lambda: TU.vector_to_parameters(torch.arange(3.0), pt))
    both_raise(lambda: NU.parameters_to_vector([]), lambda: TU.parameters_to_vector([]))


def test_all_exported():
    for name in ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_",
                 "parameters_to_vector", "vector_to_parameters"]:
        assert callable(getattr(NU, name))
