"""Loss modules against torch: reprs, attributes, weight buffers in state_dict, the legacy
size_average/reduce arguments, forward values and input gradients for every reduction, dtypes."""
import warnings

import numpy as np
import pytest
from helpers import torch

import numtorch as nt

rng = np.random.default_rng(0)


def randn(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def rand(*shape):
    return rng.uniform(0.05, 0.95, size=shape).astype(np.float32)


def ints(high, *shape):
    return rng.integers(0, high, size=shape).astype(np.int64)


def signs(*shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0).astype(np.float32)


def build(ctor):
    out = []
    for lib in (nt, torch):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m = ctor(lib)
        out.append((m, [(x.category.__name__, str(x.message)) for x in w]))
    (nm, wn), (tm, wt) = out
    assert wn == wt
    return nm, tm


def check_structure(nm, tm):
    assert repr(nm) == repr(tm)
    sn, st = nm.state_dict(), tm.state_dict()
    assert list(sn) == list(st)
    assert [tuple(v.shape) for v in sn.values()] == [tuple(v.shape) for v in st.values()]
    assert [str(v.dtype) for v in sn.values()] == [str(v.dtype) for v in st.values()]
    assert list(nm._buffers) == list(tm._buffers)
    assert list(nm._parameters) == list(tm._parameters)
    pub = lambda m: {k: v for k, v in vars(m).items() if not k.startswith("_")}  # noqa: E731
    assert pub(nm).keys() == pub(tm).keys()
    for k, v in pub(tm).items():
        if isinstance(v, (int, float, str, bool, tuple, type(None))):
            assert pub(nm)[k] == v and type(pub(nm)[k]) is type(v), k


def compare(nm, tm, arrays, grad_idx, rtol=1e-5, atol=1e-6, double=False):
    xs_n, xs_t = [], []
    for i, a in enumerate(arrays):
        if not isinstance(a, np.ndarray):
            xs_n.append(a)
            xs_t.append(a)
            continue
        if double and a.dtype == np.float32:
            a = a.astype(np.float64)
        rg = i in grad_idx
        xs_n.append(nt.tensor(a.copy(), requires_grad=rg))
        xs_t.append(torch.tensor(a.copy(), requires_grad=rg))
    on, ot = nm(*xs_n), tm(*xs_t)
    assert tuple(on.shape) == tuple(ot.shape)
    assert str(on.dtype) == str(ot.dtype)
    np.testing.assert_allclose(on.detach().numpy(), ot.detach().numpy(), rtol=rtol, atol=atol)
    if not ot.requires_grad:
        return
    g = rng.standard_normal(tuple(ot.shape)).astype(ot.detach().numpy().dtype)
    on.backward(nt.tensor(g))
    ot.backward(torch.tensor(g))
    for i in grad_idx:
        assert xs_n[i].grad is not None, f"no gradient for input {i}"
        np.testing.assert_allclose(xs_n[i].grad.numpy(), xs_t[i].grad.numpy(), rtol=rtol, atol=atol)
    for (kn, pn), (kt, pt) in zip(nm.named_parameters(), tm.named_parameters()):
        assert kn == kt
        np.testing.assert_allclose(pn.grad.numpy(), pt.grad.numpy(), rtol=rtol, atol=atol)


W3 = rand(3) + 0.5
W5 = rand(5) + 0.5


def _log_probs(t, n, c):
    x = rng.standard_normal((t, n, c))
    return (x - np.log(np.exp(x).sum(-1, keepdims=True))).astype(np.float32)


# name, constructor(lib, **kw), input arrays, indices of inputs that need gradients
CASES = [
    ("L1Loss", lambda T, **k: T.nn.L1Loss(**k), lambda: [randn(4, 5), randn(4, 5)], (0, 1)),
    ("MSELoss", lambda T, **k: T.nn.MSELoss(**k), lambda: [randn(4, 5), randn(4, 5)], (0, 1)),
    ("CrossEntropyLoss", lambda T, **k: T.nn.CrossEntropyLoss(**k), lambda: [randn(6, 3), ints(3, 6)], (0,)),
    ("CrossEntropyLoss-w", lambda T, **k: T.nn.CrossEntropyLoss(T.tensor(W3), ignore_index=1, label_smoothing=0.1,
                                                                 **k), lambda: [randn(6, 3, 2), ints(3, 6, 2)], (0,)),
    ("CrossEntropyLoss-probs", lambda T, **k: T.nn.CrossEntropyLoss(T.tensor(W3), label_smoothing=0.2, **k),
     lambda: [randn(6, 3), rand(6, 3)], (0, 1)),
    ("NLLLoss", lambda T, **k: T.nn.NLLLoss(**k), lambda: [randn(6, 3), ints(3, 6)], (0,)),
    ("NLLLoss-w", lambda T, **k: T.nn.NLLLoss(T.tensor(W3), ignore_index=0, **k), lambda: [randn(6, 3, 2, 2),
                                                                                        ints(3, 6, 2, 2)], (0,)),
    ("BCELoss", lambda T, **k: T.nn.BCELoss(**k), lambda: [rand(4, 3), rand(4, 3)], (0,)),
    ("BCELoss-w", lambda T, **k: T.nn.BCELoss(T.tensor(W3), **k), lambda: [rand(4, 3), rand(4, 3)], (0,)),
    ("BCEWithLogitsLoss", lambda T, **k: T.nn.BCEWithLogitsLoss(**k), lambda: [randn(4, 3), rand(4, 3)], (0, 1)),
    ("BCEWithLogitsLoss-w", lambda T, **k: T.nn.BCEWithLogitsLoss(T.tensor(W3), pos_weight=T.tensor(W3 * 2), **k),
     lambda: [randn(4, 3), rand(4, 3)], (0, 1)),
    ("HuberLoss", lambda T, **k: T.nn.HuberLoss(delta=0.5, **k), lambda: [randn(4, 5), randn(4, 5)], (0, 1)),
    ("SmoothL1Loss", lambda T, **k: T.nn.SmoothL1Loss(beta=0.5, **k), lambda: [randn(4, 5), randn(4, 5)], (0, 1)),
    ("KLDivLoss", lambda T, **k: T.nn.KLDivLoss(**k), lambda: [np.log(rand(4, 5)), rand(4, 5)], (0, 1)),
    ("KLDivLoss-batchmean", lambda T, **k: T.nn.KLDivLoss(reduction="batchmean"),
     lambda: [np.log(rand(4, 5)), rand(4, 5)], (0, 1)),
    ("KLDivLoss-log", lambda T, **k: T.nn.KLDivLoss(log_target=True, **k),
     lambda: [np.log(rand(4, 5)), np.log(rand(4, 5))], (0, 1)),
    ("PoissonNLLLoss", lambda T, **k: T.nn.PoissonNLLLoss(**k), lambda: [randn(4, 5), rand(4, 5) * 3], (0,)),
    ("PoissonNLLLoss-full", lambda T, **k: T.nn.PoissonNLLLoss(log_input=False, full=True, eps=1e-4, **k),
     lambda: [rand(4, 5), rand(4, 5) * 3], (0,)),
    ("GaussianNLLLoss", lambda T, **k: T.nn.GaussianNLLLoss(**k), lambda: [randn(4, 5), randn(4, 5), rand(4, 5)],
     (0, 1, 2)),
    ("GaussianNLLLoss-full", lambda T, **k: T.nn.GaussianNLLLoss(full=True, eps=1e-3, **k),
     lambda: [randn(4, 5), randn(4, 5), rand(4, 1)], (0, 2)),
    ("MarginRankingLoss", lambda T, **k: T.nn.MarginRankingLoss(0.3, **k), lambda: [randn(6), randn(6), signs(6)],
     (0, 1)),
    ("HingeEmbeddingLoss", lambda T, **k: T.nn.HingeEmbeddingLoss(0.8, **k), lambda: [randn(4, 5), signs(4, 5)], (0,)),
    ("CosineEmbeddingLoss", lambda T, **k: T.nn.CosineEmbeddingLoss(0.2, **k),
     lambda: [randn(5, 4), randn(5, 4), signs(5)], (0, 1)),
    ("MultiMarginLoss", lambda T, **k: T.nn.MultiMarginLoss(**k), lambda: [randn(6, 3), ints(3, 6)], (0,)),
    ("MultiMarginLoss-w", lambda T, **k: T.nn.MultiMarginLoss(2, 0.5, T.tensor(W3), **k),
     lambda: [randn(6, 3), ints(3, 6)], (0,)),
    ("MultiLabelMarginLoss", lambda T, **k: T.nn.MultiLabelMarginLoss(**k),
     lambda: [randn(3, 4), np.array([[3, 0, -1, 1], [0, 1, 2, 3], [1, -1, 0, 0]])], (0,)),
    ("MultiLabelSoftMarginLoss", lambda T, **k: T.nn.MultiLabelSoftMarginLoss(T.tensor(W3), **k),
     lambda: [randn(4, 3), (rand(4, 3) > 0.5).astype(np.float32)], (0,)),
    ("SoftMarginLoss", lambda T, **k: T.nn.SoftMarginLoss(**k), lambda: [randn(4, 5), signs(4, 5)], (0,)),
    ("TripletMarginLoss", lambda T, **k: T.nn.TripletMarginLoss(**k),
     lambda: [randn(5, 4), randn(5, 4), randn(5, 4)], (0, 1, 2)),
    ("TripletMarginLoss-swap", lambda T, **k: T.nn.TripletMarginLoss(0.5, 1.0, 1e-3, True, **k),
     lambda: [randn(5, 4), randn(5, 4), randn(5, 4)], (0, 1, 2)),
    ("TripletMarginWithDistanceLoss", lambda T, **k: T.nn.TripletMarginWithDistanceLoss(**k),
     lambda: [randn(5, 4), randn(5, 4), randn(5, 4)], (0, 1, 2)),
    ("TripletMarginWithDistanceLoss-cos", lambda T, **k: T.nn.TripletMarginWithDistanceLoss(
        distance_function=lambda a, b: 1.0 - T.nn.functional.cosine_similarity(a, b), margin=0.5, swap=True, **k),
     lambda: [randn(5, 4), randn(5, 4), randn(5, 4)], (0, 1, 2)),
    ("CTCLoss", lambda T, **k: T.nn.CTCLoss(**k),
     lambda: [_log_probs(12, 2, 5), np.array([[1, 2, 2, 3], [4, 1, 0, 0]]), np.array([12, 10]), np.array([4, 2])],
     (0,)),
    ("CTCLoss-blank", lambda T, **k: T.nn.CTCLoss(blank=4, zero_infinity=True, **k),
     lambda: [_log_probs(6, 2, 5), np.array([[1, 2, 2, 3], [0, 1, 0, 0]]), np.array([6, 3]), np.array([4, 3])],
     (0,)),
    ("LinearCrossEntropyLoss", lambda T, **k: T.nn.LinearCrossEntropyLoss(4, 5, **k),
     lambda: [randn(6, 4), ints(5, 6)], (0,)),
    ("LinearCrossEntropyLoss-full", lambda T, **k: T.nn.LinearCrossEntropyLoss(
        4, 5, out_features=(2, 3), bias=True, weight=T.tensor(W5), ignore_index=1, label_smoothing=0.1, **k),
     lambda: [randn(6, 4), ints(5, 6, 2, 3)], (0,)),
    ("LinearCrossEntropyLoss-probs", lambda T, **k: T.nn.LinearCrossEntropyLoss(4, 5, bias=True, **k),
     lambda: [randn(6, 4), rand(6, 5)], (0,)),
]


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,ctor,inputs,gidx", CASES, ids=[c[0] for c in CASES])
def test_loss_module_matches_torch(name, ctor, inputs, gidx, reduction):
    nm, tm = build(lambda T: ctor(T, reduction=reduction))
    check_structure(nm, tm)
    if nm.state_dict():
        nm.load_state_dict({k: nt.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    arrays = inputs()
    compare(nm, tm, arrays, gidx, rtol=1e-4, atol=1e-5)
    if name.startswith("CTC"):
        return
    nm.double().zero_grad()
    tm.double().zero_grad()
    check_structure(nm, tm)
    compare(nm, tm, arrays, gidx, double=True, rtol=1e-9, atol=1e-10)


REPRS = [lambda T: T.nn.L1Loss(reduction="sum"), lambda T: T.nn.CrossEntropyLoss(),
         lambda T: T.nn.NLLLoss2d(), lambda T: T.nn.NLLLoss2d(T.ones(3), ignore_index=1),
         lambda T: T.nn.GaussianNLLLoss(full=True, eps=1e-3, reduction="sum"),
         lambda T: T.nn.TripletMarginWithDistanceLoss(distance_function=T.nn.Linear(1, 1)),
         lambda T: T.nn.TripletMarginWithDistanceLoss(distance_function=T.nn.PairwiseDistance(p=1.0)),
         lambda T: T.nn.CTCLoss(blank=2, zero_infinity=True), lambda T: T.nn.MSELoss(reduction="foo"),
         lambda T: T.nn.CrossEntropyLoss(T.nn.Parameter(T.ones(2))), lambda T: T.nn.BCEWithLogitsLoss(T.ones(3)),
         lambda T: T.nn.BCEWithLogitsLoss(pos_weight=T.ones(3)), lambda T: T.nn.BCEWithLogitsLoss(T.ones(3), pos_weight=T.ones(3)),
         lambda T: T.nn.LinearCrossEntropyLoss(4, 5, reduction="foo"),
         lambda T: T.nn.LinearCrossEntropyLoss(4, 5, out_features=[2], dtype=T.float64),
         lambda T: T.nn.LinearCrossEntropyLoss(4, 5, ignore_index=-1),
         lambda T: T.nn.LinearCrossEntropyLoss(4, 5, options=T.nn.LinearCrossEntropyOptions()),
         lambda T: T.nn.LinearCrossEntropyLoss(4, 5, options=T.nn.LinearCrossEntropyOptions(
             batch_chunk_size=2, acc_dtype=T.float64, acc_policy="compact", chunking_method=None)),
         lambda T: T.nn.PoissonNLLLoss(False, True, None, 1e-4), lambda T: T.nn.KLDivLoss(log_target=True)]
LEGACY = [dict(size_average=False), dict(reduce=False), dict(size_average=True, reduce=True),
          dict(size_average=False, reduce=True), dict(size_average=True, reduce=False),
          dict(size_average=None, reduce=False, reduction="sum"), dict(size_average=None, reduce=None)]
LEGACY_CLASSES = ["L1Loss", "MSELoss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "SmoothL1Loss",
                  "KLDivLoss", "PoissonNLLLoss", "MarginRankingLoss", "HingeEmbeddingLoss", "CosineEmbeddingLoss",
                  "MultiMarginLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss", "SoftMarginLoss",
                  "TripletMarginLoss"]


@pytest.mark.parametrize("ctor", REPRS)
def test_loss_constructor_variants_match_torch(ctor):
    nm, tm = build(ctor)
    check_structure(nm, tm)


@pytest.mark.parametrize("cls", LEGACY_CLASSES)
def test_legacy_size_average_and_reduce(cls):
    for kw in LEGACY:
        nm, tm = build(lambda T: getattr(T.nn, cls)(**kw))
        assert nm.reduction == tm.reduction
        check_structure(nm, tm)


def _outcome(fn, lib):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = fn(lib)
            return ("ok", repr(r).replace("numtorch", "torch"))
        except Exception as e:  # noqa: BLE001 - compared with torch's
            return ("raise", type(e).__name__, str(e))


ERRORS = [lambda T: T.nn.MultiMarginLoss(p=3), lambda T: T.nn.MultiMarginLoss(weight=T.ones(2, 2)),
          lambda T: T.nn.MultiMarginLoss(p=3, weight=T.ones(2, 2)), lambda T: T.nn.TripletMarginLoss(margin=0),
          lambda T: T.nn.TripletMarginLoss(margin=-1), lambda T: T.nn.TripletMarginWithDistanceLoss(margin=-1),
          lambda T: T.nn.CrossEntropyLoss(weight=[1.0, 2.0]), lambda T: T.nn.HuberLoss(size_average=True),
          lambda T: T.nn.GaussianNLLLoss(True), lambda T: T.nn.MSELoss(reduction="foo")(T.ones(2), T.ones(2)),
          lambda T: T.nn.L1Loss()(T.ones(2), T.ones(3)), lambda T: T.nn.CrossEntropyLoss()(T.ones(2, 3), T.tensor([0, 3])),
          lambda T: T.nn.LinearCrossEntropyLoss(4, 5, weight=T.ones(3)),
          lambda T: T.nn.LinearCrossEntropyLoss(4, 5, weight=T.ones(5, 1)),
          lambda T: T.nn.LinearCrossEntropyLoss(4, 5, label_smoothing=2.0),
          lambda T: T.nn.LinearCrossEntropyLoss(4, 5, (2,)),
          lambda T: T.nn.LinearCrossEntropyLoss(4, 5)(T.ones(3, 3), T.tensor([0, 1, 2])),
          lambda T: T.nn.LinearCrossEntropyLoss(4, 5)(T.ones(2, 3, 4), T.ones(2, 3).long()),
          lambda T: T.nn.LinearCrossEntropyLoss(4, 5)(T.ones(3, 4), T.tensor([0, 1])),
          lambda T: T.nn.LinearCrossEntropyOptions(chunking_method="foo"),
          lambda T: T.nn.LinearCrossEntropyOptions(acc_policy="foo"),
          lambda T: T.nn.LinearCrossEntropyOptions(batch_chunk_size=0),
          lambda T: T.nn.LinearCrossEntropyOptions(batch_chunk_size=2.0),
          lambda T: T.nn.LinearCrossEntropyOptions(acc_dtype=T.int64),
          lambda T: T.nn.LinearCrossEntropyOptions(acc_dtype="x"), lambda T: T.nn.LinearCrossEntropyOptions(),
          lambda T: T.nn.LinearCrossEntropyOptions() == T.nn.LinearCrossEntropyOptions()]


@pytest.mark.parametrize("fn", ERRORS)
def test_loss_errors_match_torch(fn):
    assert _outcome(fn, nt) == _outcome(fn, torch)


def test_weight_buffer_follows_module_and_state_dict():
    w = nt.tensor(W3)
    m = nt.nn.CrossEntropyLoss(w)
    assert m.weight is w and "weight" in m.state_dict()
    m.double()
    assert m.weight.dtype == nt.float64
    m2 = nt.nn.CrossEntropyLoss(nt.ones(3))
    m2.load_state_dict(m.state_dict())
    np.testing.assert_allclose(m2.weight.numpy(), W3, rtol=1e-6)
    assert not nt.nn.NLLLoss().state_dict() and list(nt.nn.NLLLoss()._buffers) == ["weight"]
    t = nt.nn.TripletMarginWithDistanceLoss()
    assert isinstance(t.distance_function, nt.nn.PairwiseDistance) and "distance_function" in t._modules
    f = lambda a, b: (a - b).abs().sum(-1)  # noqa: E731
    assert nt.nn.TripletMarginWithDistanceLoss(distance_function=f).distance_function is f


def test_loss_in_a_training_step_matches_torch():
    x, y = randn(8, 5), ints(3, 8)
    tm = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 3))
    nm = nt.nn.Sequential(nt.nn.Linear(5, 7), nt.nn.ReLU(), nt.nn.Linear(7, 3))
    nm.load_state_dict({k: nt.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    ln = nt.nn.CrossEntropyLoss(label_smoothing=0.05)(nm(nt.tensor(x)), nt.tensor(y))
    lt = torch.nn.CrossEntropyLoss(label_smoothing=0.05)(tm(torch.tensor(x)), torch.tensor(y))
    np.testing.assert_allclose(ln.item(), lt.item(), rtol=1e-5)
    ln.backward()
    lt.backward()
    for pn, pt in zip(nm.parameters(), tm.parameters()):
        np.testing.assert_allclose(pn.grad.numpy(), pt.grad.numpy(), rtol=1e-4, atol=1e-6)
