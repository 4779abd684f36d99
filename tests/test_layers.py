"""Layer modules (linear, flatten, sparse, dropout, activation, distance, channel shuffle, lazy)
against torch: state_dict keys and shapes, reprs, attributes, forward values and the gradients of
inputs and parameters after loading torch's weights, default initialisation, train/eval, dtypes."""
import math
import warnings

import numpy as np
import pytest
from helpers import torch

import numtorch as nt

rng = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _seed():
    nt.manual_seed(0)
    torch.manual_seed(0)


def randn(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def ints(high, *shape):
    return rng.integers(0, high, size=shape).astype(np.int64)


def load_torch_weights(nm, tm):
    res = nm.load_state_dict({k: nt.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    assert not res.missing_keys and not res.unexpected_keys


def compare(nm, tm, arrays, *, rtol=1e-5, atol=1e-6, grad=True, fwd_kwargs=None, double=False):
    """Forward both modules on the same inputs; backprop one random upstream gradient; compare
    outputs, input gradients and parameter gradients."""
    fwd_kwargs = fwd_kwargs or {}
    xs_n, xs_t = [], []
    for a in arrays:
        if double and a.dtype == np.float32:
            a = a.astype(np.float64)
        rg = grad and a.dtype.kind == "f"
        xs_n.append(nt.tensor(a.copy(), requires_grad=rg))
        xs_t.append(torch.tensor(a.copy(), requires_grad=rg))
    on, ot = nm(*xs_n, **fwd_kwargs), tm(*xs_t, **fwd_kwargs)
    assert tuple(on.shape) == tuple(ot.shape)
    assert str(on.dtype) == str(ot.dtype)
    np.testing.assert_allclose(on.detach().numpy(), ot.detach().numpy(), rtol=rtol, atol=atol)
    if not grad or not ot.requires_grad:
        return on, ot
    g = rng.standard_normal(tuple(ot.shape)).astype(ot.detach().numpy().dtype)
    on.backward(nt.tensor(g))
    ot.backward(torch.tensor(g))
    for xn, xt in zip(xs_n, xs_t):
        if xt.requires_grad:
            assert xn.grad is not None
            np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=atol)
    for (kn, pn), (kt, pt) in zip(nm.named_parameters(), tm.named_parameters()):
        assert kn == kt
        if pt.grad is None:
            assert pn.grad is None or not pn.grad.numpy().any()
        else:
            np.testing.assert_allclose(pn.grad.numpy(), pt.grad.numpy(), rtol=rtol, atol=atol)
    return on, ot


def build(ctor):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        nm = ctor(nt)
    wn = [(x.category.__name__, str(x.message)) for x in w]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        tm = ctor(torch)
    wt = [(x.category.__name__, str(x.message)) for x in w]
    assert wn == wt
    return nm, tm


def check_structure(nm, tm):
    assert repr(nm) == repr(tm)
    sn, st = nm.state_dict(), tm.state_dict()
    assert list(sn) == list(st)
    assert [tuple(v.shape) for v in sn.values()] == [tuple(v.shape) for v in st.values()]
    assert [str(v.dtype) for v in sn.values()] == [str(v.dtype) for v in st.values()]
    assert [n for n, _ in nm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [p.requires_grad for p in nm.parameters()] == [p.requires_grad for p in tm.parameters()]
    assert [n for n, _ in nm.named_buffers()] == [n for n, _ in tm.named_buffers()]
    public_n = {k: v for k, v in vars(nm).items() if not k.startswith("_")}
    public_t = {k: v for k, v in vars(tm).items() if not k.startswith("_")}
    assert public_n.keys() == public_t.keys()
    for k, v in public_t.items():
        if isinstance(v, (int, float, str, bool, tuple, list, type(None))):
            assert public_n[k] == v and type(public_n[k]).__name__ == type(v).__name__, k


# --------------------------------------------------------------------------- deterministic layers
X = randn(4, 6)
CASES = [
    ("Identity", lambda T: T.nn.Identity(), [X]),
    ("Identity-args", lambda T: T.nn.Identity(3, a=4), [X]),
    ("Linear", lambda T: T.nn.Linear(6, 5), [X]),
    ("Linear-nobias", lambda T: T.nn.Linear(6, 5, bias=False), [X]),
    ("Linear-1d", lambda T: T.nn.Linear(6, 5), [randn(6)]),
    ("Linear-3d", lambda T: T.nn.Linear(6, 5), [randn(2, 3, 6)]),
    ("Linear-0out", lambda T: T.nn.Linear(6, 0), [X]),
    ("Linear-0in", lambda T: T.nn.Linear(0, 3), [randn(4, 0)]),
    ("Bilinear", lambda T: T.nn.Bilinear(3, 4, 5), [randn(6, 3), randn(6, 4)]),
    ("Bilinear-nobias", lambda T: T.nn.Bilinear(3, 4, 5, bias=False), [randn(2, 6, 3), randn(2, 6, 4)]),
    ("Flatten", lambda T: T.nn.Flatten(), [randn(2, 3, 4, 5)]),
    ("Flatten-0-2", lambda T: T.nn.Flatten(0, 2), [randn(2, 3, 4, 5)]),
    ("Flatten-neg", lambda T: T.nn.Flatten(-3, -2), [randn(2, 3, 4, 5)]),
    ("Unflatten", lambda T: T.nn.Unflatten(1, (2, 3)), [X]),
    ("Unflatten-list", lambda T: T.nn.Unflatten(1, [3, -1]), [X]),
    ("Unflatten-size", lambda T: T.nn.Unflatten(-1, T.Size([2, 3])), [X]),
    ("Embedding", lambda T: T.nn.Embedding(10, 3), [ints(10, 4, 5)]),
    ("Embedding-pad", lambda T: T.nn.Embedding(10, 3, padding_idx=2), [np.array([[2, 1, 2], [0, 9, 2]])]),
    ("Embedding-negpad", lambda T: T.nn.Embedding(10, 3, padding_idx=-1), [np.array([9, 1, 9, 3])]),
    ("Embedding-flags", lambda T: T.nn.Embedding(10, 3, norm_type=3.0, scale_grad_by_freq=True),
     [np.array([1, 1, 2, 5, 1])]),
    ("EmbeddingBag", lambda T: T.nn.EmbeddingBag(10, 3), [np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 4])]),
    ("EmbeddingBag-sum", lambda T: T.nn.EmbeddingBag(10, 3, mode="sum"), [ints(10, 3, 4)]),
    ("EmbeddingBag-max", lambda T: T.nn.EmbeddingBag(10, 3, mode="max"), [ints(10, 3, 4)]),
    ("EmbeddingBag-pad", lambda T: T.nn.EmbeddingBag(10, 3, padding_idx=1, mode="sum"),
     [np.array([1, 2, 1, 5, 1, 3]), np.array([0, 2, 4])]),
    ("EmbeddingBag-last", lambda T: T.nn.EmbeddingBag(10, 3, include_last_offset=True),
     [np.array([1, 2, 4, 5, 4, 3]), np.array([0, 2, 6])]),
    ("ReLU", lambda T: T.nn.ReLU(), [X]),
    ("ReLU6", lambda T: T.nn.ReLU6(), [randn(4, 6, scale=5)]),
    ("LeakyReLU", lambda T: T.nn.LeakyReLU(0.2), [X]),
    ("PReLU", lambda T: T.nn.PReLU(), [randn(2, 3, 4)]),
    ("PReLU-3", lambda T: T.nn.PReLU(3, 0.1), [randn(2, 3, 4)]),
    ("ELU", lambda T: T.nn.ELU(0.5), [X]),
    ("CELU", lambda T: T.nn.CELU(2.0), [X]),
    ("SELU", lambda T: T.nn.SELU(), [X]),
    ("GELU", lambda T: T.nn.GELU(), [X]),
    ("GELU-tanh", lambda T: T.nn.GELU("tanh"), [X]),
    ("SiLU", lambda T: T.nn.SiLU(), [X]),
    ("Mish", lambda T: T.nn.Mish(), [X]),
    ("Sigmoid", lambda T: T.nn.Sigmoid(), [X]),
    ("Tanh", lambda T: T.nn.Tanh(), [X]),
    ("Softmax", lambda T: T.nn.Softmax(dim=1), [X]),
    ("Softmax-0", lambda T: T.nn.Softmax(0), [X]),
    ("LogSoftmax", lambda T: T.nn.LogSoftmax(1), [X]),
    ("Softmin", lambda T: T.nn.Softmin(-1), [X]),
    ("Softmax2d", lambda T: T.nn.Softmax2d(), [randn(2, 3, 4, 5)]),
    ("Softmax2d-3d", lambda T: T.nn.Softmax2d(), [randn(3, 4, 5)]),
    ("Softplus", lambda T: T.nn.Softplus(), [randn(4, 6, scale=10)]),
    ("Softplus-beta", lambda T: T.nn.Softplus(2, 10), [randn(4, 6, scale=10)]),
    ("Softsign", lambda T: T.nn.Softsign(), [X]),
    ("Softshrink", lambda T: T.nn.Softshrink(0.3), [X]),
    ("Hardshrink", lambda T: T.nn.Hardshrink(0.3), [X]),
    ("Hardtanh", lambda T: T.nn.Hardtanh(-0.5, 0.7), [X]),
    ("Hardsigmoid", lambda T: T.nn.Hardsigmoid(), [randn(4, 6, scale=4)]),
    ("Hardswish", lambda T: T.nn.Hardswish(), [randn(4, 6, scale=4)]),
    ("LogSigmoid", lambda T: T.nn.LogSigmoid(), [X]),
    ("Tanhshrink", lambda T: T.nn.Tanhshrink(), [X]),
    ("Threshold", lambda T: T.nn.Threshold(0.1, 20.0), [X]),
    ("GLU", lambda T: T.nn.GLU(), [X]),
    ("GLU-0", lambda T: T.nn.GLU(0), [X]),
    ("RReLU-eval", lambda T: T.nn.RReLU(0.1, 0.3).eval(), [X]),
    ("CosineSimilarity", lambda T: T.nn.CosineSimilarity(), [X, randn(4, 6)]),
    ("CosineSimilarity-0", lambda T: T.nn.CosineSimilarity(0, 1e-3), [X, randn(4, 6)]),
    ("PairwiseDistance", lambda T: T.nn.PairwiseDistance(), [X, randn(4, 6)]),
    ("PairwiseDistance-1", lambda T: T.nn.PairwiseDistance(1.0, 1e-3, True), [X, randn(4, 6)]),
    ("ChannelShuffle", lambda T: T.nn.ChannelShuffle(2), [randn(2, 4, 3, 3)]),
    ("ChannelShuffle-3", lambda T: T.nn.ChannelShuffle(3), [randn(1, 6, 5)]),
    ("Dropout-eval", lambda T: T.nn.Dropout(0.3).eval(), [X]),
    ("Dropout2d-eval", lambda T: T.nn.Dropout2d(0.3).eval(), [randn(2, 3, 4, 4)]),
    ("AlphaDropout-eval", lambda T: T.nn.AlphaDropout(0.3).eval(), [X]),
    ("Dropout-p0", lambda T: T.nn.Dropout(0.0), [X]),
    ("Sequential", lambda T: T.nn.Sequential(T.nn.Linear(6, 8), T.nn.GELU(), T.nn.Dropout(0.0), T.nn.Linear(8, 2),
                                             T.nn.LogSoftmax(-1)), [X]),
]


@pytest.mark.parametrize("name,ctor,arrays", CASES, ids=[c[0] for c in CASES])
def test_layer_matches_torch(name, ctor, arrays):
    nm, tm = build(ctor)
    check_structure(nm, tm)
    load_torch_weights(nm, tm)
    compare(nm, tm, arrays)
    # float64 copies of the same module behave the same
    nm.double().zero_grad()
    tm.double().zero_grad()
    check_structure(nm, tm)
    compare(nm, tm, arrays, double=True, rtol=1e-10, atol=1e-12)


INPLACE = [lambda T: T.nn.ReLU(True), lambda T: T.nn.ReLU6(True), lambda T: T.nn.LeakyReLU(0.2, True),
           lambda T: T.nn.ELU(0.5, True), lambda T: T.nn.CELU(2.0, True), lambda T: T.nn.SELU(True),
           lambda T: T.nn.SiLU(True), lambda T: T.nn.Mish(True), lambda T: T.nn.Hardtanh(-2, 3, True),
           lambda T: T.nn.Hardsigmoid(True), lambda T: T.nn.Hardswish(True), lambda T: T.nn.Threshold(0.1, 20, True),
           lambda T: T.nn.RReLU(0.1, 0.2, True).eval(), lambda T: T.nn.Dropout(0.2, True).eval()]


@pytest.mark.parametrize("ctor", INPLACE)
def test_inplace_activations_match_torch(ctor):
    nm, tm = build(ctor)
    check_structure(nm, tm)
    a = randn(3, 5, scale=4)
    xn, xt = nt.tensor(a), torch.tensor(a)
    yn, yt = nm(xn), tm(xt)
    np.testing.assert_allclose(xn.numpy(), xt.numpy(), rtol=1e-5, atol=1e-6)  # the input was overwritten alike
    assert (yn is xn) == (yt is xt)
    assert xn._version == xt._version
    # through a graph: a non-leaf input, gradients flow as torch's
    wn = nt.tensor(a, requires_grad=True)
    wt = torch.tensor(a, requires_grad=True)
    on, ot = nm(wn * 1.5), tm(wt * 1.5)
    on.sum().backward()
    ot.sum().backward()
    np.testing.assert_allclose(wn.grad.numpy(), wt.grad.numpy(), rtol=1e-5, atol=1e-6)


REPRS = [lambda T: T.nn.Embedding(5, 3, padding_idx=0, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True,
                                  sparse=True),
         lambda T: T.nn.Embedding(5, 3, norm_type=3), lambda T: T.nn.Embedding(5, 3, max_norm=2),
         lambda T: T.nn.EmbeddingBag(5, 3, max_norm=2, norm_type=3, scale_grad_by_freq=True, mode="sum", sparse=True,
                                     include_last_offset=True, padding_idx=1),
         lambda T: T.nn.Dropout(0.2, True), lambda T: T.nn.Dropout1d(), lambda T: T.nn.Dropout2d(0.1),
         lambda T: T.nn.Dropout3d(), lambda T: T.nn.AlphaDropout(0.3), lambda T: T.nn.FeatureAlphaDropout(0.2, True),
         lambda T: T.nn.Dropout(1), lambda T: T.nn.RReLU(), lambda T: T.nn.RReLU(0.1, 0.2, True),
         lambda T: T.nn.Softmax(), lambda T: T.nn.LogSoftmax(), lambda T: T.nn.Softmin(), lambda T: T.nn.Softshrink(1),
         lambda T: T.nn.Hardtanh(min_value=-3.0), lambda T: T.nn.Hardtanh(max_value=4),
         lambda T: T.nn.Hardtanh(min_val=-2.0, max_val=3.0, min_value=-1, max_value=4),
         lambda T: T.nn.PReLU(0), lambda T: T.nn.GELU("foo"), lambda T: T.nn.ChannelShuffle(0),
         lambda T: T.nn.PairwiseDistance(p=0), lambda T: T.nn.Unflatten(1, ()), lambda T: T.nn.Unflatten(None, (2,)),
         lambda T: T.nn.Unflatten(1, (True, 2)), lambda T: T.nn.Flatten(-3, 2), lambda T: T.nn.Bilinear(1, 0, 3),
         lambda T: T.nn.Bilinear(1, 2, 0), lambda T: T.nn.Linear(3, 4, dtype=T.float64),
         lambda T: T.nn.Bilinear(3, 4, 2, dtype=T.float64), lambda T: T.nn.Embedding(5, 3, dtype=T.float64),
         lambda T: T.nn.PReLU(2, dtype=T.float64), lambda T: T.nn.LazyLinear(5), lambda T: T.nn.LazyLinear(5, False)]


@pytest.mark.parametrize("ctor", REPRS)
def test_constructor_variants_match_torch(ctor):
    nm, tm = build(ctor)
    if "Lazy" in type(tm).__name__:
        assert repr(nm) == repr(tm)
        assert list(nm.state_dict()) == list(tm.state_dict())
        return
    check_structure(nm, tm)


def _outcome(fn, lib):
    try:
        r = fn(lib)
        return ("ok", repr(r).replace("numtorch", "torch") if not isinstance(r, (tuple, list)) else str(r))
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return ("raise", type(e).__name__, str(e))


ERRORS = [lambda T: T.nn.Embedding(5, 3, padding_idx=5), lambda T: T.nn.Embedding(5, 3, padding_idx=-6),
          lambda T: T.nn.Embedding(5, 3, _weight=T.ones(4, 3)), lambda T: T.nn.EmbeddingBag(5, 3, padding_idx=7),
          lambda T: T.nn.EmbeddingBag(5, 3, padding_idx=-6), lambda T: T.nn.EmbeddingBag(5, 3, _weight=T.ones(4, 3)),
          lambda T: T.nn.Embedding.from_pretrained(T.ones(4)), lambda T: T.nn.EmbeddingBag.from_pretrained(T.ones(4)),
          lambda T: T.nn.Bilinear(0, 0, 0), lambda T: T.nn.Dropout(1.5), lambda T: T.nn.Dropout(-0.1),
          lambda T: T.nn.Dropout("a"), lambda T: T.nn.AlphaDropout(2), lambda T: T.nn.Hardtanh(2, 1),
          lambda T: T.nn.Hardtanh(1, 1), lambda T: T.nn.Unflatten(1, 5), lambda T: T.nn.Unflatten(1, (2, "a")),
          lambda T: T.nn.Unflatten(1, {2: 3}), lambda T: T.nn.Unflatten(1, [2, (3,)]),
          lambda T: T.nn.Softmax2d()(T.ones(2, 3)), lambda T: T.nn.Softmax2d()(T.ones(3)),
          lambda T: T.nn.Identity()(T.ones(1), x=3), lambda T: T.nn.Identity()(1),
          lambda T: T.nn.Linear(2, 3)(T.ones(2, 4)), lambda T: T.nn.PReLU(3)(T.ones(2, 4)),
          lambda T: T.nn.ChannelShuffle(2)(T.ones(1, 3, 2)), lambda T: T.nn.CELU(0)(T.ones(1)),
          lambda T: T.nn.GELU("foo")(T.ones(1)), lambda T: T.nn.Embedding(5, 3)(T.tensor([5])),
          lambda T: T.nn.Embedding(5, 3)(T.ones(2))]


@pytest.mark.parametrize("fn", ERRORS)
def test_errors_match_torch(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _outcome(fn, nt) == _outcome(fn, torch)


def test_softmax_without_dim_warns_like_torch():
    a = randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        on = nt.nn.Softmax()(nt.tensor(a))
    with pytest.warns(UserWarning):
        ot = torch.nn.Softmax()(torch.tensor(a))
    np.testing.assert_allclose(on.numpy(), ot.numpy(), rtol=1e-6)


# --------------------------------------------------------------------------- default initialisation
def _init_stats(ctor, n=40):
    nt.manual_seed(0)
    torch.manual_seed(0)
    out = {}
    for lib in (nt, torch):
        vals = {}
        for _ in range(n):
            m = ctor(lib)
            for k, v in m.state_dict().items():
                vals.setdefault(k, []).append(v.numpy().astype(np.float64).ravel())
        out[lib.__name__] = {k: np.concatenate(v) for k, v in vals.items()}
    return out["numtorch"], out["torch"]


INITS = [
    (lambda T: T.nn.Linear(50, 30), {"weight": ("u", 1 / math.sqrt(50)), "bias": ("u", 1 / math.sqrt(50))}),
    (lambda T: T.nn.Linear(7, 200), {"weight": ("u", 1 / math.sqrt(7)), "bias": ("u", 1 / math.sqrt(7))}),
    (lambda T: T.nn.Bilinear(8, 5, 20), {"weight": ("u", 1 / math.sqrt(8)), "bias": ("u", 1 / math.sqrt(8))}),
    (lambda T: T.nn.Embedding(100, 20), {"weight": ("n", 1.0)}),
    (lambda T: T.nn.EmbeddingBag(100, 20), {"weight": ("n", 1.0)}),
    (lambda T: T.nn.LinearCrossEntropyLoss(16, 40, bias=True),
     {"linear.weight": ("u", 0.25), "linear.bias": ("u", 0.25)}),
]


@pytest.mark.parametrize("ctor,expect", INITS)
def test_default_initialisation_matches_torch(ctor, expect):
    xn, xt = _init_stats(ctor)
    assert xn.keys() == xt.keys() == expect.keys()
    for k, (kind, s) in expect.items():
        a, b = xn[k], xt[k]
        rel = 5 / math.sqrt(a.size)  # ~5 standard errors of a sample std / quantile (in units of s)
        if kind == "u":
            for v in (a, b):
                assert v.min() >= -s and v.max() <= s
                assert v.min() < -0.97 * s and v.max() > 0.97 * s
            np.testing.assert_allclose(a.std(), s / math.sqrt(3), rtol=rel)
        else:
            np.testing.assert_allclose(a.std(), s, rtol=rel)
            np.testing.assert_allclose(a.mean(), 0, atol=rel * s)
        np.testing.assert_allclose(a.std(), b.std(), rtol=1.5 * rel)
        qs = np.linspace(0.05, 0.95, 19)
        np.testing.assert_allclose(np.quantile(a, qs), np.quantile(b, qs), atol=3 * rel * s)


def test_padding_rows_and_prelu_constants():
    e = nt.nn.Embedding(6, 4, padding_idx=2)
    assert not e.weight[2].detach().numpy().any() and e.weight[1].detach().numpy().any()
    b = nt.nn.EmbeddingBag(6, 4, padding_idx=-1)
    assert b.padding_idx == 5 and not b.weight[5].detach().numpy().any()
    w = nt.ones(6, 4)
    assert nt.nn.Embedding(6, 4, padding_idx=2, _weight=w).weight[2].tolist() == [1.0] * 4
    assert nt.nn.PReLU(3, 0.1).weight.tolist() == pytest.approx([0.1] * 3)
    p = nt.nn.PReLU()
    with nt.no_grad():
        p.weight.fill_(3.0)
    p.reset_parameters()
    assert p.weight.tolist() == [0.25]
    lin = nt.nn.Linear(3, 2)
    v = lin.weight._version
    lin.reset_parameters()
    assert lin.weight._version > v and lin.weight.grad_fn is None and lin.weight.requires_grad


def test_embedding_from_pretrained_matches_torch():
    w = randn(5, 3)
    for kw in [{}, {"freeze": False}, {"padding_idx": 1, "max_norm": 2.0, "norm_type": 1.0,
                                        "scale_grad_by_freq": True, "sparse": True}]:
        en, et = nt.nn.Embedding.from_pretrained(nt.tensor(w), **kw), torch.nn.Embedding.from_pretrained(
            torch.tensor(w), **kw)
        check_structure(en, et)
        assert en.weight.tolist() == et.weight.tolist()
    for kw in [{}, {"freeze": False, "mode": "max"}, {"max_norm": 1.0, "norm_type": 3.0, "mode": "sum",
                                                      "include_last_offset": True, "padding_idx": 0}]:
        en, et = nt.nn.EmbeddingBag.from_pretrained(nt.tensor(w), **kw), torch.nn.EmbeddingBag.from_pretrained(
            torch.tensor(w), **kw)
        check_structure(en, et)
    e = nt.nn.Embedding(5, 3, _weight=nt.tensor(w), _freeze=True)
    assert not e.weight.requires_grad and isinstance(e.weight, nt.nn.Parameter)


def test_embedding_max_norm_renormalises_like_torch():
    w = randn(6, 3, scale=3.0)
    en, et = nt.nn.Embedding(6, 3, max_norm=1.0, _weight=nt.tensor(w)), torch.nn.Embedding(
        6, 3, max_norm=1.0, _weight=torch.tensor(w))
    idx = np.array([[0, 2], [2, 5]])
    on, ot = en(nt.tensor(idx)), et(torch.tensor(idx))
    np.testing.assert_allclose(on.detach().numpy(), ot.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(en.weight.detach().numpy(), et.weight.detach().numpy(), rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- random layers in training mode
def test_dropout_training_statistics():
    x = nt.ones(200, 500)
    for p in [0.2, 0.5, 0.8]:
        m = nt.nn.Dropout(p)
        y = m(x).numpy()
        kept = y != 0
        assert abs(kept.mean() - (1 - p)) < 0.01
        np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-6)
        m.eval()
        assert m(x) is x or (m(x).numpy() == 1).all()
    assert (nt.nn.Dropout(1.0)(x).numpy() == 0).all()
    assert (nt.nn.Dropout(0.0)(x).numpy() == 1).all()


@pytest.mark.parametrize("cls,shape,lead", [("Dropout1d", (50, 40, 7), 2), ("Dropout1d", (400, 7), 1),
                                            ("Dropout2d", (50, 40, 3, 3), 2), ("Dropout3d", (20, 40, 2, 2, 3), 2),
                                            ("Dropout3d", (400, 2, 2, 3), 1)])
def test_channel_dropout_statistics(cls, shape, lead):
    m = getattr(nt.nn, cls)(0.3)
    y = m(nt.ones(shape)).numpy()
    flat = y.reshape(shape[:lead] + (-1,))
    per_channel = flat[..., :1]
    assert (flat == per_channel).all()       # whole channels kept or dropped
    assert abs((per_channel != 0).mean() - 0.7) < 4 * np.sqrt(0.21 / per_channel.size)
    np.testing.assert_allclose(per_channel[per_channel != 0], 1 / 0.7, rtol=1e-6)
    m.eval()
    assert (m(nt.ones(shape)).numpy() == 1).all()


@pytest.mark.parametrize("cls", ["AlphaDropout", "FeatureAlphaDropout"])
def test_alpha_dropout_keeps_mean_and_variance(cls):
    x = nt.randn(100, 400, 4)
    yn = getattr(nt.nn, cls)(0.3)(x).numpy()
    yt = getattr(torch.nn, cls)(0.3)(torch.tensor(x.numpy())).numpy()
    for y in (yn, yt):
        assert abs(y.mean()) < 0.05 and abs(y.std() - 1) < 0.05
    modes = []
    for y in (yn, yt):  # the value dropped units take (the most frequent output) is the same
        vals, counts = np.unique(y, return_counts=True)
        modes.append(vals[counts.argmax()])
    np.testing.assert_allclose(modes[0], modes[1], rtol=1e-5)
    m = getattr(nt.nn, cls)(0.3).eval()
    assert (m(x).numpy() == x.numpy()).all()


def test_rrelu_training_slopes_in_range():
    m = nt.nn.RReLU(0.1, 0.3)
    x = -nt.ones(100, 100)
    y = m(x).numpy()
    assert (y <= -0.1 + 1e-6).all() and (y >= -0.3 - 1e-6).all() and y.std() > 0.03
    m.eval()
    np.testing.assert_allclose(m(x).numpy(), -0.2, rtol=1e-6)


def test_train_eval_flags_propagate():
    s = nt.nn.Sequential(nt.nn.Linear(3, 3), nt.nn.Dropout(0.5), nt.nn.Sequential(nt.nn.RReLU()))
    assert s.training and all(m.training for m in s.modules())
    s.eval()
    assert not any(m.training for m in s.modules())
    x = nt.randn(4, 3)
    assert (s(x).detach().numpy() == s(x).detach().numpy()).all()


# --------------------------------------------------------------------------- lazy modules
def test_lazy_linear_materialises_like_torch():
    nm, tm = build(lambda T: T.nn.LazyLinear(3))
    assert nm.has_uninitialized_params() and tm.has_uninitialized_params()
    assert type(nm.weight).__name__ == type(tm.weight).__name__ == "UninitializedParameter"
    assert [type(p).__name__ for p in nm.parameters()] == [type(p).__name__ for p in tm.parameters()]
    assert nm.cls_to_become is nt.nn.Linear
    x = randn(2, 4)
    nm(nt.tensor(x))
    tm(torch.tensor(x))
    assert type(nm) is nt.nn.Linear and type(tm) is torch.nn.Linear
    check_structure(nm, tm)
    assert not nm._forward_pre_hooks and not nm._load_state_dict_pre_hooks
    assert "_initialize_hook" not in vars(nm) and "_load_hook" not in vars(nm)
    assert np.abs(nm.weight.detach().numpy()).max() <= 0.5 and nm.weight.detach().numpy().std() > 0.05
    load_torch_weights(nm, tm)
    compare(nm, tm, [x])
    with pytest.raises(RuntimeError) as en:
        nm(nt.ones(2, 5))
    with pytest.raises(RuntimeError) as et:
        tm(torch.ones(2, 5))
    assert str(en.value) == str(et.value)


def test_lazy_linear_in_sequential_and_dtype():
    s = nt.nn.Sequential(nt.nn.LazyLinear(3), nt.nn.ReLU(), nt.nn.LazyLinear(2, bias=False))
    out = s(nt.randn(5, 7))
    assert tuple(out.shape) == (5, 2)
    assert repr(s) == repr(torch.nn.Sequential(torch.nn.Linear(7, 3), torch.nn.ReLU(),
                                               torch.nn.Linear(3, 2, bias=False)))
    m = nt.nn.LazyLinear(3, dtype=nt.float64)
    assert m.weight.dtype == nt.float64
    assert m(nt.ones(1, 2, dtype=nt.float64)).dtype == nt.float64 and m.bias.dtype == nt.float64
    m = nt.nn.LazyLinear(3).double()
    assert m(nt.ones(2, 2, dtype=nt.float64)).dtype == nt.float64
    m = nt.nn.LazyLinear(2)
    assert tuple(m(nt.ones(4)).shape) == (2,) and m.in_features == 4
    m = nt.nn.LazyLinear(2)
    m.initialize_parameters(nt.ones(2, 6))
    assert type(m).__name__ == "LazyLinear" and m.in_features == 6 and tuple(m.weight.shape) == (2, 6)
    with nt.no_grad():
        m = nt.nn.LazyLinear(2)
        m(nt.ones(1, 4))
    assert m.weight.requires_grad and m.weight.grad_fn is None


def test_lazy_linear_load_state_dict_like_torch():
    tm = torch.nn.Linear(4, 3)
    sd = {k: nt.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()}
    nm = nt.nn.LazyLinear(3)
    r = nm.load_state_dict(sd)
    tl = torch.nn.LazyLinear(3)
    rt = tl.load_state_dict(tm.state_dict())
    assert repr(r) == repr(rt)
    assert type(nm).__name__ == type(tl).__name__ == "LazyLinear" and nm.in_features == tl.in_features
    assert tuple(nm.weight.shape) == (3, 4) and not nm.has_uninitialized_params()
    out = nm(nt.ones(1, 4))
    assert type(nm) is nt.nn.Linear
    np.testing.assert_allclose(out.detach().numpy(), tm(torch.ones(1, 4)).detach().numpy(), rtol=1e-6)
    nm = nt.nn.LazyLinear(3)
    r = nm.load_state_dict({"weight": sd["weight"]}, strict=False)
    rt = torch.nn.LazyLinear(3).load_state_dict({"weight": tm.state_dict()["weight"]}, strict=False)
    assert repr(r) == repr(rt)
    assert type(nm.bias).__name__ == "UninitializedParameter"


def test_lazy_module_copy_and_errors():
    import copy
    m = nt.nn.LazyLinear(2)
    c = copy.deepcopy(m)
    assert repr(c) == repr(m) and c.has_uninitialized_params()
    c(nt.ones(1, 3))
    assert type(c) is nt.nn.Linear and m.has_uninitialized_params()
    m.reset_parameters()  # a no-op while uninitialised
    m.zero_grad()
    assert m.train() is m
