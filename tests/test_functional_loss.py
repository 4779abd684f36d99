"""Differential tests of numtorch.nn.functional's losses against torch.nn.functional."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import numtorch as nt
import numtorch.nn.functional as NF

from helpers import assert_close

torch = pytest.importorskip("torch")
TF = torch.nn.functional

REDS = ("none", "mean", "sum")
rng = np.random.default_rng(1234)


def R(*shape, dtype=np.float32, lo=None, hi=None):
    if lo is not None:
        return rng.uniform(lo, hi, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def I(hi, *shape, lo=0):  # noqa: E743
    return rng.integers(lo, hi, size=shape).astype(np.int64)


def S(*shape):
    """+-1 labels."""
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0).astype(np.float32)


def _conv(v, lib, rg):
    if isinstance(v, np.ndarray):
        t = (nt if lib == "nt" else torch).tensor(v.copy())
        if rg and v.dtype.kind == "f":
            t.requires_grad_(True)
        return t
    return v


def compare(fname, args, kwargs=None, grad=(0,), rtol=1e-5, atol=1e-6, fn_nt=None, fn_t=None):
    """Call ``fname`` in both libraries on the same data; compare the output (value, shape, dtype),
    then backpropagate one random upstream gradient and compare the gradients of the arguments
    listed in ``grad`` (positions or keyword names)."""
    kwargs = kwargs or {}
    a_n = [_conv(a, "nt", i in grad) for i, a in enumerate(args)]
    a_t = [_conv(a, "t", i in grad) for i, a in enumerate(args)]
    k_n = {k: _conv(v, "nt", k in grad) for k, v in kwargs.items()}
    k_t = {k: _conv(v, "t", k in grad) for k, v in kwargs.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out_n = (fn_nt or getattr(NF, fname))(*a_n, **k_n)
        out_t = (fn_t or getattr(TF, fname))(*a_t, **k_t)
    assert_close(out_n, out_t, rtol, atol)
    if not out_t.requires_grad:
        return out_n, out_t
    g = rng.standard_normal(tuple(out_t.shape)).astype(out_t.detach().numpy().dtype)
    out_n.backward(nt.tensor(g))
    out_t.backward(torch.tensor(g))
    pairs = [(a_n[i], a_t[i]) for i in grad if isinstance(i, int)] + \
            [(k_n[k], k_t[k]) for k in grad if isinstance(k, str)]
    for x, y in pairs:
        if y.grad is None:
            assert x.grad is None or np.all(x.grad.numpy() == 0)
        else:
            assert x.grad is not None, "no gradient where torch has one"
            assert_close(x.grad, y.grad, rtol * 10, atol * 10)
    return out_n, out_t


def same_error(fname, args, kwargs=None):
    """Both libraries raise the same exception type with the same message."""
    kwargs = kwargs or {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as et:
            getattr(TF, fname)(*[_conv(a, "t", False) for a in args],
                               **{k: _conv(v, "t", False) for k, v in kwargs.items()})
        with pytest.raises(type(et.value)) as en:
            getattr(NF, fname)(*[_conv(a, "nt", False) for a in args],
                               **{k: _conv(v, "nt", False) for k, v in kwargs.items()})
    assert str(en.value) == str(et.value)


def warn_messages(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fn()
    return [str(i.message) for i in w]


def gradcheck(fn, *arrays, grad=None, gradgrad=False):
    ts = [nt.tensor(np.asarray(a, dtype=np.float64) if np.asarray(a).dtype.kind == "f" else a,
                    requires_grad=(np.asarray(a).dtype.kind == "f" and (grad is None or i in grad)))
          for i, a in enumerate(arrays)]
    assert nt.autograd.gradcheck(fn, tuple(ts))
    if gradgrad:
        assert nt.autograd.gradgradcheck(fn, tuple(ts))


# ------------------------------------------------------------------ regression losses
@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("name,kw", [("l1_loss", {}), ("mse_loss", {}), ("smooth_l1_loss", {}),
                                     ("smooth_l1_loss", {"beta": 0.5}), ("smooth_l1_loss", {"beta": 0.0}),
                                     ("huber_loss", {}), ("huber_loss", {"delta": 0.7})])
def test_regression(name, kw, red):
    compare(name, (R(3, 4), R(3, 4)), dict(kw, reduction=red), grad=(0, 1))
    compare(name, (R(2, 3, dtype=np.float64), R(2, 3, dtype=np.float64)), dict(kw, reduction=red), grad=(0, 1))


@pytest.mark.parametrize("name", ["l1_loss", "mse_loss", "huber_loss"])
@pytest.mark.parametrize("red", REDS)
def test_regression_weight(name, red):
    compare(name, (R(3, 4), R(3, 4)), {"reduction": red, "weight": R(3, 4, lo=0.1, hi=1)},
            grad=(0, 1, "weight"))


@pytest.mark.parametrize("name", ["l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss"])
def test_regression_broadcast_dtypes(name):
    msgs = warn_messages(lambda: getattr(NF, name)(nt.randn(3, 1), nt.randn(3)))
    tmsgs = warn_messages(lambda: getattr(TF, name)(torch.randn(3, 1), torch.randn(3)))
    assert msgs == tmsgs and "Using a target size (torch.Size([3])) that is different" in msgs[0]
    compare(name, (R(3, 1), R(3)), {"reduction": "none"}, grad=(0, 1))
    compare(name, (R(3, 1), R(4)), {"reduction": "sum"}, grad=(0, 1))
    gr = () if name == "huber_loss" else (0, 1)  # torch's huber backward fails on mixed dtypes
    compare(name, (R(3, 2), R(3, 2, dtype=np.float64)), grad=gr)
    compare(name, (R(3, 2, dtype=np.float64), R(3, 2)), grad=gr)
    compare(name, (R(0), R(0)), {"reduction": "mean"})
    same_error(name, (R(3), R(4)))
    same_error(name, (R(3), R(3)), {"reduction": "foo"})
    if name != "huber_loss":
        compare(name, (I(5, 3), R(3)), grad=(1,))


def test_regression_errors():
    same_error("smooth_l1_loss", (R(3), R(3)), {"beta": -1.0})
    same_error("huber_loss", (R(3), R(3)), {"delta": 0.0})
    same_error("mse_loss", (R(3, 4), R(3, 4)), {"weight": R(4)})
    same_error("mse_loss", (I(3, 4), I(3, 4)))


def test_legacy_reduction_args():
    for sa, r in [(None, False), (True, None), (False, None), (False, True), (True, False)]:
        mt = warn_messages(lambda: TF.mse_loss(torch.ones(3), torch.zeros(3), size_average=sa, reduce=r))
        mn = warn_messages(lambda: NF.mse_loss(nt.ones(3), nt.zeros(3), size_average=sa, reduce=r))
        assert mt == mn
        compare("mse_loss", (R(3), R(3)), {"size_average": sa, "reduce": r})
        compare("cross_entropy", (R(3, 4), I(4, 3)), {"size_average": sa, "reduce": r})
        compare("binary_cross_entropy", (R(3, lo=0.1, hi=0.9), R(3, lo=0, hi=1)), {"size_average": sa, "reduce": r})


# ------------------------------------------------------------------ cross entropy / nll
@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("ls", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_indices(red, ls, weighted):
    kw = {"reduction": red, "label_smoothing": ls}
    if weighted:
        kw["weight"] = R(5, lo=0.2, hi=2)
    compare("cross_entropy", (R(6, 5), I(5, 6)), kw)
    t = I(5, 6)
    t[[1, 4]] = -100
    compare("cross_entropy", (R(6, 5), t), kw)                       # ignore_index=-100
    t = I(5, 6)
    compare("cross_entropy", (R(6, 5), t), dict(kw, ignore_index=int(t[0])))
    compare("cross_entropy", (R(2, 5, 3, 2), I(5, 2, 3, 2)), kw)      # (N, C, d1, d2)
    compare("cross_entropy", (R(2, 5, 3), I(5, 2, 3)), kw)
    compare("cross_entropy", (R(5), np.array(3)), kw)                 # unbatched
    compare("cross_entropy", (R(6, 20, dtype=np.float64), I(20, 6)), dict(kw, weight=None))


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("ls", [0.0, 0.3])
def test_cross_entropy_probs(red, ls):
    p = R(4, 5, lo=0, hi=1)
    p /= p.sum(1, keepdims=True)
    compare("cross_entropy", (R(4, 5), p), {"reduction": red, "label_smoothing": ls}, grad=(0, 1))
    compare("cross_entropy", (R(4, 5), p), {"reduction": red, "weight": R(5, lo=0.1, hi=1)},
            grad=(0, 1, "weight"))
    compare("cross_entropy", (R(2, 3, 4), R(2, 3, 4, lo=0, hi=1)), {"reduction": red}, grad=(0, 1))
    compare("cross_entropy", (R(3), R(3, lo=0, hi=1)), {"reduction": red}, grad=(0, 1))


def test_cross_entropy_large_logits_and_dtypes():
    x = R(8, 10) * 1e4
    x[0, 3] = 3e38
    x[1] = -3e38
    out_n, _ = compare("cross_entropy", (x, I(10, 8)), rtol=1e-4, atol=1e-3)
    assert np.isfinite(out_n.item())
    compare("cross_entropy", (R(8, 10) * 1e4, I(10, 8)), {"label_smoothing": 0.1}, rtol=1e-4, atol=1e-3)
    compare("nll_loss", (R(8, 10), I(10, 8).astype(np.uint8)))
    compare("cross_entropy", (R(4, 6).astype(np.float16), I(6, 4)), rtol=2e-3, atol=2e-3)
    # all targets ignored: mean is NaN, sum is 0
    compare("cross_entropy", (R(3, 4), np.full(3, -100)))
    compare("nll_loss", (R(3, 4), np.full(3, -100)), {"reduction": "sum"})
    compare("cross_entropy", (R(0, 4), np.zeros(0, np.int64)))


@pytest.mark.parametrize("red", REDS)
def test_nll_loss(red):
    compare("nll_loss", (R(6, 5), I(5, 6)), {"reduction": red})
    compare("nll_loss", (R(6, 5), I(5, 6)), {"reduction": red, "weight": R(5, lo=0.1, hi=1)})
    t = I(5, 2, 3, 2)
    t[0, 1, 1] = 7
    compare("nll_loss", (R(2, 5, 3, 2), t), {"reduction": red, "ignore_index": 7, "weight": R(5, lo=0.1, hi=1)})
    compare("nll_loss", (R(2, 5, 3, 2, 2), I(5, 2, 3, 2, 2)), {"reduction": red})
    compare("nll_loss", (R(5), np.array(3)), {"reduction": red})


def test_nll_cross_entropy_errors():
    for f in ("nll_loss", "cross_entropy"):
        same_error(f, (R(3, 4), np.array([1, 2, 4])))
        same_error(f, (R(3, 4), np.array([1, -1, 2])))
        same_error(f, (R(3, 4), np.array([1, 2])))
        same_error(f, (R(3, 4), np.array([1, 2, 3], dtype=np.int32)))
        same_error(f, (R(3, 4), I(3, 3, 2)))
        same_error(f, (R(3, 4), I(3, 3)), {"weight": R(3)})
        same_error(f, (R(3, 4), I(3, 3)), {"weight": R(4, dtype=np.float64)})
        same_error(f, (R(2, 4, 5), I(4, 2, 6)))
        same_error(f, (R(2, 4, 5, 6), I(4, 2, 5)))
        same_error(f, (R(2, 4, 5, 6), I(4, 2, 5, 7)))
        same_error(f, (R(2, 4, 5, 6), np.full((2, 5, 6), 9)))
        same_error(f, (R(4), np.array([1, 2])))
        same_error(f, (R(3, 4), I(3, 3)), {"reduction": "batchmean"})
        same_error(f, (I(3, 3, 4), I(3, 3)))
    same_error("cross_entropy", (R(3, 4), I(3, 3)), {"label_smoothing": 1.5})
    same_error("cross_entropy", (R(3, 4), I(3, 3, 4)))
    w = nt.ones(4, requires_grad=True)
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
        NF.cross_entropy(nt.randn(3, 4, requires_grad=True), nt.tensor([0, 1, 2]), weight=w)


@pytest.mark.parametrize("red", REDS)
def test_linear_cross_entropy(red):
    compare("linear_cross_entropy", (R(5, 3), R(4, 3), I(4, 5)), {"reduction": red}, grad=(0, 1))
    compare("linear_cross_entropy", (R(5, 3), R(4, 3), I(4, 5)),
            {"reduction": red, "linear_bias": R(4), "label_smoothing": 0.1, "weight": R(4, lo=0.1, hi=1)},
            grad=(0, 1, "linear_bias"))
    t = I(4, 5)
    t[2] = 1
    compare("linear_cross_entropy", (R(5, 3), R(4, 3), t), {"reduction": red, "ignore_index": 1}, grad=(0, 1))
    compare("linear_cross_entropy", (R(5, 3), R(4, 2, 3), I(4, 5, 2)), {"reduction": red,
                                                                        "linear_bias": R(4, 2)}, grad=(0, 1))
    compare("linear_cross_entropy", (R(3), R(4, 3), np.array(2)), {"reduction": red}, grad=(0, 1))
    compare("linear_cross_entropy", (R(5, 3), R(4, 3), R(5, 4, lo=0, hi=1)), {"reduction": red}, grad=(0, 1, 2))
    same_error("linear_cross_entropy", (R(5, 6, 3), R(4, 3), I(4, 5, 6)))
    same_error("linear_cross_entropy", (R(5, 3), R(4, 2), I(4, 5)))


# ------------------------------------------------------------------ binary cross entropy
@pytest.mark.parametrize("red", REDS)
def test_binary_cross_entropy(red):
    x = R(3, 4, lo=0.02, hi=0.98)
    compare("binary_cross_entropy", (x, R(3, 4, lo=0, hi=1)), {"reduction": red}, grad=(0, 1))
    compare("binary_cross_entropy", (x, R(3, 4, lo=0, hi=1)), {"reduction": red, "weight": R(4, lo=0, hi=1)},
            grad=(0, 1))
    x = np.array([0.0, 1.0, 0.5, 1e-30], dtype=np.float32)            # log clamped to -100
    compare("binary_cross_entropy", (x, np.array([1.0, 0.0, 0.5, 1.0], dtype=np.float32)), {"reduction": red})


@pytest.mark.parametrize("red", REDS)
def test_binary_cross_entropy_with_logits(red):
    compare("binary_cross_entropy_with_logits", (R(3, 4) * 5, R(3, 4, lo=0, hi=1)), {"reduction": red}, grad=(0, 1))
    compare("binary_cross_entropy_with_logits", (R(3, 4) * 5, R(3, 4, lo=0, hi=1)),
            {"reduction": red, "weight": R(4, lo=0, hi=1), "pos_weight": R(4, lo=0.5, hi=3)}, grad=(0, 1))
    big = np.array([[1e4, -1e4, 50.0, -50.0]], dtype=np.float32)
    compare("binary_cross_entropy_with_logits", (big, np.array([[0.0, 1.0, 0.3, 1.0]], np.float32)),
            {"reduction": red, "pos_weight": np.array([2.0], np.float32)}, grad=(0, 1), rtol=1e-4)
    compare("binary_cross_entropy_with_logits", (R(3, dtype=np.float64), R(3, lo=0, hi=1)), {"reduction": red},
            grad=(0, 1))


def test_bce_errors():
    same_error("binary_cross_entropy", (R(3, lo=0, hi=1), R(3, 1, lo=0, hi=1)))
    same_error("binary_cross_entropy", (R(3) + 2, R(3, lo=0, hi=1)))
    same_error("binary_cross_entropy", (R(3, lo=0, hi=1), R(3) + 2))
    same_error("binary_cross_entropy", (R(3, lo=0, hi=1), R(3, lo=0, hi=1, dtype=np.float64)))
    same_error("binary_cross_entropy_with_logits", (R(3), R(3, 1)))
    same_error("binary_cross_entropy_with_logits", (R(3, 4), R(3, 4)), {"pos_weight": R(5)})
    same_error("binary_cross_entropy_with_logits", (R(3), I(2, 3)))
    for f in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
        with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
            getattr(NF, f)(nt.rand(3), nt.rand(3), weight=nt.rand(3, requires_grad=True))


# ------------------------------------------------------------------ other losses
@pytest.mark.parametrize("red", REDS + ("batchmean",))
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(red, log_target):
    t = R(3, 4, lo=0, hi=1)
    if log_target:
        t = np.log(t + 0.1)
    compare("kl_div", (R(3, 4), t), {"reduction": red, "log_target": log_target}, grad=(0, 1))


def test_kl_div_zero_target():
    t = R(3, 4, lo=0, hi=1)
    t[0, :2] = 0                                    # 0 * log(0) counts as 0
    compare("kl_div", (R(3, 4), t), {"reduction": "sum"}, grad=(0,))


def test_kl_div_mean_warning():
    mn = warn_messages(lambda: NF.kl_div(nt.randn(2, 3), nt.rand(2, 3)))
    mt = warn_messages(lambda: TF.kl_div(torch.randn(2, 3), torch.rand(2, 3)))
    assert mn == mt and mn


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("log_input,full", [(True, False), (False, False), (True, True), (False, True)])
def test_poisson_nll_loss(red, log_input, full):
    x = R(3, 4) if log_input else R(3, 4, lo=0.1, hi=3)
    t = R(3, 4, lo=0, hi=4)
    compare("poisson_nll_loss", (x, t), {"reduction": red, "log_input": log_input, "full": full}, grad=(0, 1))


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("vshape", [(3, 4), (3,), (3, 1), (1, 4), "float"])
def test_gaussian_nll_loss(red, vshape):
    var = 0.7 if vshape == "float" else R(*vshape, lo=0.1, hi=2)
    compare("gaussian_nll_loss", (R(3, 4), R(3, 4), var), {"reduction": red, "full": vshape == (3,)},
            grad=(0, 1) if vshape == "float" else (0, 1, 2))


def test_gaussian_nll_loss_errors():
    for vs in [(4,), (1, 1), (4, 1), (2, 3, 4), ()]:
        same_error("gaussian_nll_loss", (R(3, 4), R(3, 4), R(*vs, lo=0.1, hi=1)))
    same_error("gaussian_nll_loss", (R(3, 4), R(3, 4), -R(3, 4, lo=0.1, hi=1)))
    same_error("gaussian_nll_loss", (R(3, 4), R(3, 4), R(3, 4, lo=0.1, hi=1)), {"reduction": "foo"})
    compare("gaussian_nll_loss", (R(3, 4), R(3, 4), np.full((3, 4), 1e-9, np.float32)), grad=(0, 1, 2))


@pytest.mark.parametrize("red", REDS)
def test_margin_and_embedding_losses(red):
    kw = {"reduction": red}
    compare("margin_ranking_loss", (R(5), R(5), S(5)), dict(kw, margin=0.3), grad=(0, 1, 2))
    compare("hinge_embedding_loss", (R(5, 2), S(5, 2)), dict(kw, margin=0.5), grad=(0, 1))
    compare("soft_margin_loss", (R(5, 2), S(5, 2)), kw)
    compare("cosine_embedding_loss", (R(4, 3), R(4, 3), S(4)), dict(kw, margin=0.2), grad=(0, 1))
    compare("cosine_embedding_loss", (R(3), R(3), np.array(-1.0, np.float32)), kw, grad=(0, 1))
    for p in (1, 2):
        compare("multi_margin_loss", (R(4, 5), I(5, 4)), dict(kw, p=p, margin=0.8))
        compare("multi_margin_loss", (R(4, 5), I(5, 4)), dict(kw, p=p, weight=R(5, lo=0.1, hi=1)))
    compare("multi_margin_loss", (R(5), np.array([2])), kw)
    compare("multi_margin_loss", (R(5), np.array(2)), kw)
    t = np.array([[3, 0, -1, 1, 2], [0, 1, 2, 3, 4], [-1, 1, 2, 0, 0], [4, 4, -1, 0, 0]])
    compare("multilabel_margin_loss", (R(4, 5), t), kw)
    compare("multilabel_margin_loss", (R(5), t[0]), kw)
    compare("multilabel_soft_margin_loss", (R(4, 5), (R(4, 5) > 0).astype(np.float32)), kw, grad=(0, 1))
    compare("multilabel_soft_margin_loss", (R(4, 5), R(4, 5, lo=0, hi=1)),
            dict(kw, weight=R(5, lo=0.1, hi=1)), grad=(0, 1, "weight"))


@pytest.mark.parametrize("red", REDS)
def test_triplet_losses(red):
    a, p, n = R(4, 3), R(4, 3), R(4, 3)
    compare("triplet_margin_loss", (a, p, n), {"reduction": red}, grad=(0, 1, 2))
    compare("triplet_margin_loss", (a, p, n), {"reduction": red, "p": 1, "swap": True, "margin": 2.0},
            grad=(0, 1, 2))
    compare("triplet_margin_loss", (R(3), R(3), R(3)), {"reduction": red, "p": 3}, grad=(0, 1, 2))
    compare("triplet_margin_with_distance_loss", (a, p, n), {"reduction": red, "swap": True}, grad=(0, 1, 2))
    dist = (lambda x, y: 1 - NF_cos(x, y)), (lambda x, y: 1 - TF.cosine_similarity(x, y))
    compare("triplet_margin_with_distance_loss", (a, p, n), {"reduction": red, "margin": 0.5}, grad=(0, 1, 2),
            fn_nt=lambda *x, **k: NF.triplet_margin_with_distance_loss(*x, distance_function=dist[0], **k),
            fn_t=lambda *x, **k: TF.triplet_margin_with_distance_loss(*x, distance_function=dist[1], **k))


def NF_cos(x, y):
    return (x * y).sum(-1) / (x.norm(dim=-1) * y.norm(dim=-1))


def test_misc_errors():
    same_error("margin_ranking_loss", (R(3), R(3), S(3, 1)))
    same_error("triplet_margin_loss", (R(3, 2), R(3, 2), R(2)))
    same_error("triplet_margin_with_distance_loss", (R(3, 2), R(3, 2), R(3, 2)), {"margin": 0.0})
    same_error("multi_margin_loss", (R(3, 4), I(4, 3)), {"p": 3})
    same_error("multi_margin_loss", (R(3, 4), I(4, 3)), {"weight": R(2, 2)})
    same_error("multilabel_soft_margin_loss", (R(3, 4), R(3, 4)), {"reduction": "foo"})
    same_error("multi_margin_loss", (R(2, 5), I(5, 2, 1)))
    same_error("multi_margin_loss", (R(2, 5), np.array([2, 5])))
    same_error("multi_margin_loss", (R(2, 5, 1), np.array([2, 1])))
    same_error("multi_margin_loss", (R(2, 5), np.array([2, 1], dtype=np.int32)))
    same_error("multi_margin_loss", (R(2, 5), np.array([2, 1])), {"weight": R(4)})
    same_error("multilabel_margin_loss", (R(2, 5), np.array([[2, 1, -1, 0, 0], [5, 0, 0, 0, 0]])))
    same_error("multilabel_margin_loss", (R(2, 5), np.array([2, 1, -1, 0, 0])))
    same_error("multilabel_margin_loss", (R(2, 5), I(5, 2, 5).astype(np.int32)))
    for shapes in [((3, 2), (3, 2), (3, 1)), ((3, 2), (3, 3), (3,)), ((3, 2), (3, 2), ()), ((2,), (2,), (3,)),
                   ((3, 2), (3, 2), (4,))]:
        same_error("cosine_embedding_loss", (R(*shapes[0]), R(*shapes[1]), S(*shapes[2])))
    for f, args in [("kl_div", (R(3), R(3))), ("poisson_nll_loss", (R(3), R(3))),
                    ("hinge_embedding_loss", (R(3), S(3))), ("soft_margin_loss", (R(3), S(3))),
                    ("margin_ranking_loss", (R(3), R(3), S(3))), ("triplet_margin_loss", (R(3), R(3), R(3))),
                    ("multilabel_margin_loss", (R(3), I(3, 3)))]:
        same_error(f, args, {"reduction": "foo"})
    same_error("kl_div", (R(3), I(3, 3)))
    same_error("kl_div", (I(3, 3), R(3)))
    same_error("binary_cross_entropy_with_logits", (I(3, 3), R(3)))
    same_error("binary_cross_entropy", (I(2, 3), I(2, 3)))
    same_error("soft_margin_loss", (R(2, 1), S(3)))
    same_error("soft_margin_loss", (I(3, 3), S(3)))
    same_error("multilabel_soft_margin_loss", (np.array(1.0, np.float32), np.array(1.0, np.float32)))
    same_error("multilabel_soft_margin_loss", (I(3, 2, 3), R(2, 3)))
    same_error("hinge_embedding_loss", (R(2, 3), S(2)))
    same_error("huber_loss", (I(3, 3), R(3)))
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'target'"):
        NF.soft_margin_loss(nt.randn(3, requires_grad=True), nt.randn(3, requires_grad=True))


# ------------------------------------------------------------------ ctc
def _ctc_case(padded=True, unbatched=False):
    T, N, C = 7, 3, 5
    lp = np.log(rng.dirichlet(np.ones(C), size=(T, N))).astype(np.float32)
    il = np.array([7, 5, 6])
    tl = np.array([3, 0, 2])
    tg = np.array([[1, 2, 2], [0, 0, 0], [4, 3, 0]])
    tg[2, 2] = 9  # padding is never read
    if unbatched:
        return lp[:, 0], tg[0], np.array(il[0]), np.array(tl[0])
    if not padded:
        tg = np.concatenate([tg[n, :tl[n]] for n in range(N)])
    return lp, tg, il, tl


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("layout", ["padded", "concat", "unbatched"])
def test_ctc_loss(red, layout):
    lp, tg, il, tl = _ctc_case(layout != "concat", layout == "unbatched")
    compare("ctc_loss", (lp, tg, il, tl), {"reduction": red}, rtol=1e-4, atol=1e-5)
    if layout == "padded":
        tg2 = np.where(tg == 2, 0, tg)  # blank 2 is no label
        compare("ctc_loss", (lp.astype(np.float64), tg2, tuple(il), tuple(tl)), {"reduction": red, "blank": 2})
        # infeasible alignment (target longer than input): inf, or 0 with zero_infinity
        tl2 = np.array([3, 0, 2])
        il2 = np.array([2, 5, 6])
        compare("ctc_loss", (lp, tg, il2, tl2), {"reduction": red, "zero_infinity": True}, rtol=1e-4, atol=1e-5)
        compare("ctc_loss", (lp, tg, il2, tl2), {"reduction": red}, rtol=1e-4, atol=1e-5)


def test_ctc_gradcheck_and_errors():
    lp, tg, il, tl = _ctc_case()
    x = rng.standard_normal(lp.shape)
    ti, il_t, tl_t = nt.tensor(tg), nt.tensor(il), nt.tensor(tl)
    gradcheck(lambda z: NF.ctc_loss(z.log_softmax(2), ti, il_t, tl_t), x)
    same_error("ctc_loss", (lp, tg, np.array([8, 5, 6]), tl))
    same_error("ctc_loss", (lp, tg, il, np.array([4, 0, 2])))
    same_error("ctc_loss", (lp, tg, il, np.array([-1, 0, 2])))
    same_error("ctc_loss", (lp, tg, il[:2], tl))
    same_error("ctc_loss", (lp, tg, il, tl), {"blank": 5})
    same_error("ctc_loss", (lp, tg.reshape(-1)[:4], il, tl))
    same_error("ctc_loss", (lp, tg, il, tl), {"reduction": "foo"})
    same_error("ctc_loss", (lp.astype(np.float16), tg, il, tl))
    same_error("ctc_loss", (lp[:, 0], tg[0], np.array(7), np.array(2)))  # unbatched targets are concatenated


# ------------------------------------------------------------------ float64 gradcheck of every loss
def _p(*s):
    a = rng.uniform(0.1, 0.9, size=s)
    return a


GRADCHECKS = [
    ("l1_loss", lambda x, y: NF.l1_loss(x, y), (R(3, 2), R(3, 2)), True),
    ("mse_loss", lambda x, y: NF.mse_loss(x, y, reduction="sum"), (R(3, 2), R(3, 2)), True),
    ("mse_loss_w", lambda x, y, w: NF.mse_loss(x, y, weight=w), (R(3, 2), R(3, 2), _p(3, 2)), False),
    ("smooth_l1", lambda x, y: NF.smooth_l1_loss(x, y, beta=0.5, reduction="none"), (R(3, 2), R(3, 2)), True),
    ("huber", lambda x, y: NF.huber_loss(x, y, delta=0.6), (R(3, 2), R(3, 2)), True),
    ("ce", lambda x: NF.cross_entropy(x, nt.tensor([0, 2, 1, -100]), weight=nt.tensor([1.0, 2, 0.5], dtype=nt.float64),
                                      label_smoothing=0.1), (R(4, 3),), True),
    ("ce_none", lambda x: NF.cross_entropy(x, nt.tensor([[0, 2], [1, 1]]), reduction="none"), (R(2, 3, 2),), True),
    ("ce_probs", lambda x, t: NF.cross_entropy(x, t, label_smoothing=0.2), (R(3, 4), _p(3, 4)), True),
    ("nll", lambda x: NF.nll_loss(x, nt.tensor([0, 2, 1]), reduction="sum"), (R(3, 3),), True),
    ("bce", lambda x, t: NF.binary_cross_entropy(x, t, weight=nt.tensor([1.0, 0.5], dtype=nt.float64)),
     (_p(3, 2), _p(3, 2)), True),
    ("bcel", lambda x, t: NF.binary_cross_entropy_with_logits(x, t, pos_weight=nt.tensor([2.0, 0.5], dtype=nt.float64)),
     (R(3, 2), _p(3, 2)), True),
    ("kl", lambda x, t: NF.kl_div(x, t, reduction="batchmean"), (R(3, 2), _p(3, 2)), True),
    ("poisson", lambda x, t: NF.poisson_nll_loss(x, t, full=True), (R(3, 2), _p(3, 2) * 4), True),
    ("gauss", lambda x, t, v: NF.gaussian_nll_loss(x, t, v, full=True), (R(3, 2), R(3, 2), _p(3, 1)), True),
    ("margin_ranking", lambda a, b: NF.margin_ranking_loss(a, b, nt.tensor([1.0, -1, 1], dtype=nt.float64), margin=0.1),
     (R(3), R(3)), True),
    ("hinge", lambda x: NF.hinge_embedding_loss(x, nt.tensor([1.0, -1, -1], dtype=nt.float64)), (R(3),), True),
    ("cosine", lambda a, b: NF.cosine_embedding_loss(a, b, nt.tensor([1.0, -1, -1])), (R(3, 2), R(3, 2)), True),
    ("multi_margin", lambda x: NF.multi_margin_loss(x, nt.tensor([0, 2, 1]), p=2), (R(3, 4),), True),
    ("multilabel_margin", lambda x: NF.multilabel_margin_loss(x, nt.tensor([[0, 2, -1, 0], [1, 3, 2, 0]])),
     (R(2, 4),), True),
    ("multilabel_soft", lambda x, t: NF.multilabel_soft_margin_loss(x, t), (R(3, 2), _p(3, 2)), True),
    ("soft_margin", lambda x: NF.soft_margin_loss(x, nt.tensor([1.0, -1, 1], dtype=nt.float64)), (R(3),), True),
    ("triplet", lambda a, p, n: NF.triplet_margin_loss(a, p, n, margin=3.0, swap=True), (R(3, 2), R(3, 2), R(3, 2)),
     False),
    ("triplet_dist", lambda a, p, n: NF.triplet_margin_with_distance_loss(a, p, n, margin=3.0),
     (R(3, 2), R(3, 2), R(3, 2)), False),
    ("linear_ce", lambda x, w, b: NF.linear_cross_entropy(x, w, nt.tensor([0, 2]), linear_bias=b),
     (R(2, 3), R(3, 3), R(3)), True),
]


@pytest.mark.parametrize("name,fn,arrays,gg", GRADCHECKS, ids=[g[0] for g in GRADCHECKS])
def test_gradcheck(name, fn, arrays, gg):
    gradcheck(fn, *arrays, gradgrad=gg)
