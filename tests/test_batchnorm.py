"""batch_norm / instance_norm and the BatchNorm*/InstanceNorm* modules, differential vs torch."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import numtorch as nt
import numtorch.nn.functional as F
from tests.helpers import assert_close, torch

TF = torch.nn.functional


def _copy_params(m_nt, m_t):
    with torch.no_grad():
        for (k, v) in m_nt.state_dict().items():
            m_t.state_dict()[k].copy_(torch.tensor(v.numpy().copy()))


def _train_compare(cls_nt, cls_t, shape, steps=3, rtol=1e-4, atol=1e-5, **kw):
    m_nt = cls_nt(shape[1], **kw)
    m_t = cls_t(shape[1], **kw)
    rng = np.random.default_rng(0)
    if m_nt.weight is not None:
        w = rng.standard_normal(shape[1]).astype(np.float32)
        with nt.no_grad():
            m_nt.weight.copy_(nt.tensor(w))
        with torch.no_grad():
            m_t.weight.copy_(torch.tensor(w))
    if m_nt.bias is not None:
        b = rng.standard_normal(shape[1]).astype(np.float32)
        with nt.no_grad():
            m_nt.bias.copy_(nt.tensor(b))
        with torch.no_grad():
            m_t.bias.copy_(torch.tensor(b))
    for step in range(steps):
        a = (rng.standard_normal(shape) * 2 + 1).astype(np.float32)
        x_nt = nt.tensor(a, requires_grad=True)
        x_t = torch.tensor(a, requires_grad=True)
        y_nt, y_t = m_nt(x_nt), m_t(x_t)
        assert_close(y_nt, y_t, rtol, atol)
        g = rng.standard_normal(shape).astype(np.float32)
        y_nt.backward(nt.tensor(g))
        y_t.backward(torch.tensor(g))
        assert_close(x_nt.grad, x_t.grad, rtol, 1e-4)
        if m_t.weight is not None:
            assert_close(m_nt.weight.grad, m_t.weight.grad, rtol, 1e-4)
        if m_t.bias is not None:
            assert_close(m_nt.bias.grad, m_t.bias.grad, rtol, 1e-4)
        for k, v in m_t.state_dict().items():
            assert_close(m_nt.state_dict()[k], v, rtol, atol)
    m_nt.eval()
    m_t.eval()
    a = rng.standard_normal(shape).astype(np.float32)
    x_nt = nt.tensor(a, requires_grad=True)
    x_t = torch.tensor(a, requires_grad=True)
    y_nt, y_t = m_nt(x_nt), m_t(x_t)
    assert_close(y_nt, y_t, rtol, atol)
    g = rng.standard_normal(shape).astype(np.float32)
    y_nt.backward(nt.tensor(g))
    y_t.backward(torch.tensor(g))
    assert_close(x_nt.grad, x_t.grad, rtol, 1e-4)
    return m_nt, m_t


@pytest.mark.parametrize("name,shape", [("BatchNorm1d", (8, 3)), ("BatchNorm1d", (4, 3, 5)),
                                        ("BatchNorm2d", (4, 3, 5, 6)), ("BatchNorm3d", (2, 3, 3, 4, 2))])
def test_batchnorm_training_steps(name, shape):
    _train_compare(getattr(nt.nn, name), getattr(torch.nn, name), shape)


@pytest.mark.parametrize("kw", [dict(momentum=None), dict(affine=False), dict(track_running_stats=False),
                                dict(momentum=0.3, eps=1e-3), dict(bias=False)])
def test_batchnorm_options(kw):
    _train_compare(nt.nn.BatchNorm2d, torch.nn.BatchNorm2d, (4, 3, 4, 4), **kw)


@pytest.mark.parametrize("name,shape", [("InstanceNorm1d", (4, 3, 7)), ("InstanceNorm1d", (3, 7)),
                                        ("InstanceNorm2d", (2, 3, 4, 5)), ("InstanceNorm3d", (2, 3, 3, 2, 4))])
@pytest.mark.parametrize("kw", [{}, dict(affine=True), dict(track_running_stats=True, affine=True)])
def test_instancenorm(name, shape, kw):
    m_nt = getattr(nt.nn, name)(3, **kw)
    m_t = getattr(torch.nn, name)(3, **kw)
    rng = np.random.default_rng(1)
    for _ in range(2):
        a = (rng.standard_normal(shape) * 3 - 1).astype(np.float32)
        x_nt = nt.tensor(a, requires_grad=True)
        x_t = torch.tensor(a, requires_grad=True)
        y_nt, y_t = m_nt(x_nt), m_t(x_t)
        assert_close(y_nt, y_t, 1e-4, 1e-5)
        g = rng.standard_normal(shape).astype(np.float32)
        y_nt.backward(nt.tensor(g))
        y_t.backward(torch.tensor(g))
        assert_close(x_nt.grad, x_t.grad, 1e-4, 1e-4)
        if m_t.weight is not None:
            assert_close(m_nt.weight.grad, m_t.weight.grad, 1e-4, 1e-4)
            assert_close(m_nt.bias.grad, m_t.bias.grad, 1e-4, 1e-4)
        assert list(m_nt.state_dict()) == list(m_t.state_dict())
        for k, v in m_t.state_dict().items():
            assert_close(m_nt.state_dict()[k], v, 1e-4, 1e-5)
    m_nt.eval()
    m_t.eval()
    a = rng.standard_normal(shape).astype(np.float32)
    assert_close(m_nt(nt.tensor(a)), m_t(torch.tensor(a)), 1e-4, 1e-5)
    assert repr(m_nt) == repr(m_t)


def test_functional_batch_norm():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((5, 4, 3)).astype(np.float32)
    w, b = rng.standard_normal(4).astype(np.float32), rng.standard_normal(4).astype(np.float32)
    rm, rv = rng.standard_normal(4).astype(np.float32), rng.random(4).astype(np.float32) + 0.5
    for training in (True, False):
        rmn, rvn, rmt, rvt = nt.tensor(rm), nt.tensor(rv), torch.tensor(rm), torch.tensor(rv)
        yn = F.batch_norm(nt.tensor(a), rmn, rvn, nt.tensor(w), nt.tensor(b), training, 0.2, 1e-4)
        yt = TF.batch_norm(torch.tensor(a), rmt, rvt, torch.tensor(w), torch.tensor(b), training, 0.2, 1e-4)
        assert_close(yn, yt, 1e-4, 1e-5)
        assert_close(rmn, rmt)
        assert_close(rvn, rvt, 1e-5, 1e-6)
    x = nt.tensor(a, requires_grad=True)
    assert type(F.batch_norm(x, None, None, training=True).grad_fn).__name__ == "NativeBatchNormBackward0"
    assert_close(F.batch_norm(nt.tensor(a), None, None, training=True),
                 TF.batch_norm(torch.tensor(a), None, None, training=True), 1e-4, 1e-5)
    assert_close(F.instance_norm(nt.tensor(a)), TF.instance_norm(torch.tensor(a)), 1e-4, 1e-5)


def test_gradcheck_training_float64():
    rng = np.random.default_rng(3)
    x = nt.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    w = nt.tensor(rng.standard_normal(2), requires_grad=True)
    b = nt.tensor(rng.standard_normal(2), requires_grad=True)
    assert nt.autograd.gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, True), (x, w, b))
    rm, rv = nt.zeros(2, dtype=nt.float64), nt.ones(2, dtype=nt.float64) * 2
    assert nt.autograd.gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, False), (x, w, b))
    assert nt.autograd.gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), (x, w, b))


def test_state_dict_and_repr():
    for kw in ({}, dict(affine=False), dict(track_running_stats=False), dict(bias=False), dict(momentum=None)):
        m_nt, m_t = nt.nn.BatchNorm2d(16, **kw), torch.nn.BatchNorm2d(16, **kw)
        assert list(m_nt.state_dict()) == list(m_t.state_dict())
        assert repr(m_nt) == repr(m_t)
    m = nt.nn.BatchNorm2d(16)
    assert repr(m) == "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    assert m.num_batches_tracked.dtype == nt.int64 and m.num_batches_tracked.item() == 0
    assert m.running_mean.dtype == nt.float32
    m2 = nt.nn.BatchNorm2d(16)
    m(nt.randn(2, 16, 3, 3))
    m2.load_state_dict(m.state_dict())
    assert m2.num_batches_tracked.item() == 1
    assert_close(m2.running_var, torch.tensor(m.running_var.numpy()))
    assert repr(nt.nn.InstanceNorm2d(3, affine=True)) == repr(torch.nn.InstanceNorm2d(3, affine=True))


def test_lazy_batchnorm():
    m = nt.nn.LazyBatchNorm2d()
    assert repr(m) == repr(torch.nn.LazyBatchNorm2d())
    m(nt.randn(2, 5, 3, 3))
    assert type(m) is nt.nn.BatchNorm2d and m.num_features == 5
    assert list(m.state_dict()) == list(torch.nn.BatchNorm2d(5).state_dict())
    assert m.num_batches_tracked.item() == 1


def _errs(fn_nt, fn_t):
    with pytest.raises(Exception) as en:
        fn_nt()
    with pytest.raises(Exception) as et:
        fn_t()
    assert type(en.value) is type(et.value) and str(en.value) == str(et.value)


def test_errors():
    _errs(lambda: nt.nn.BatchNorm2d(3)(nt.randn(2, 3, 4)), lambda: torch.nn.BatchNorm2d(3)(torch.randn(2, 3, 4)))
    _errs(lambda: nt.nn.BatchNorm1d(3)(nt.randn(2, 3, 4, 5)),
          lambda: torch.nn.BatchNorm1d(3)(torch.randn(2, 3, 4, 5)))
    _errs(lambda: nt.nn.BatchNorm3d(3)(nt.randn(2, 3, 4, 5)),
          lambda: torch.nn.BatchNorm3d(3)(torch.randn(2, 3, 4, 5)))
    _errs(lambda: nt.nn.BatchNorm1d(3)(nt.randn(1, 3)), lambda: torch.nn.BatchNorm1d(3)(torch.randn(1, 3)))
    _errs(lambda: F.batch_norm(nt.randn(1, 3), nt.zeros(3), nt.ones(3), training=True),
          lambda: TF.batch_norm(torch.randn(1, 3), torch.zeros(3), torch.ones(3), training=True))
    _errs(lambda: F.instance_norm(nt.randn(2, 3, 1)), lambda: TF.instance_norm(torch.randn(2, 3, 1)))
    _errs(lambda: nt.nn.InstanceNorm2d(3)(nt.randn(2, 3)), lambda: torch.nn.InstanceNorm2d(3)(torch.randn(2, 3)))
    _errs(lambda: nt.nn.InstanceNorm1d(3, affine=True)(nt.randn(2, 4, 5)),
          lambda: torch.nn.InstanceNorm1d(3, affine=True)(torch.randn(2, 4, 5)))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        nt.nn.InstanceNorm1d(3)(nt.randn(2, 4, 5))
    assert any("does not match num_features" in str(x.message) for x in w)
    for rm, rv in ((True, False), (False, True), (False, False)):
        _errs(lambda: F.batch_norm(nt.randn(2, 3), nt.zeros(3) if rm else None, nt.ones(3) if rv else None),
              lambda: TF.batch_norm(torch.randn(2, 3), torch.zeros(3) if rm else None,
                                    torch.ones(3) if rv else None))
    for dt in ("int64", "int32"):
        _errs(lambda: F.batch_norm(nt.ones(2, 3, dtype=getattr(nt, dt)), None, None, training=True),
              lambda: TF.batch_norm(torch.ones(2, 3, dtype=getattr(torch, dt)), None, None, training=True))
    _errs(lambda: F.batch_norm(nt.randn(2, 3), nt.zeros(4), nt.ones(4)),
          lambda: TF.batch_norm(torch.randn(2, 3), torch.zeros(4), torch.ones(4)))
    # eval mode with batch size 1 is fine
    m = nt.nn.BatchNorm1d(3).eval()
    assert m(nt.randn(1, 3)).shape == (1, 3)


# ------------------------------------------------------------------ double backward
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_double_backward(training, affine):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 5))
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)

    def f(x, w, b):
        return nt.nn.functional.batch_norm(x, nt.tensor(rm), nt.tensor(rv), w if affine else None,
                                           b if affine else None, training)
    ts = tuple(nt.tensor(a, requires_grad=True) for a in (x, w, b))
    assert nt.autograd.gradgradcheck(f, ts)
    grads = []
    for lib in (nt, torch):   # a gradient penalty, as in WGAN-GP
        X, W, B = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
        y = lib.nn.functional.batch_norm(X, lib.tensor(rm), lib.tensor(rv), W if affine else None,
                                         B if affine else None, training)
        gx, = lib.autograd.grad((y ** 3).sum(), X, create_graph=True)
        (gx ** 2).sum().backward()
        grads.append((X.grad, W.grad))
    assert_close(grads[0][0], grads[1][0], rtol=1e-9, atol=1e-9)
    if affine:
        assert_close(grads[0][1], grads[1][1], rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------ checkpoints before version 2
@pytest.mark.parametrize("metadata", [None, {"version": 1}, {}])
def test_load_state_dict_without_num_batches_tracked(metadata):
    import collections
    out = []
    for lib in (nt, torch):
        m = lib.nn.Sequential(lib.nn.BatchNorm1d(2), lib.nn.BatchNorm2d(3))
        m[1].num_batches_tracked.fill_(5)
        sd = collections.OrderedDict((k, v) for k, v in m.state_dict().items() if "num_batches" not in k)
        if metadata is not None:
            sd._metadata = {"0": dict(metadata), "1": dict(metadata)}
        res = m.load_state_dict(sd)
        out.append((list(res.missing_keys), int(m[0].num_batches_tracked), int(m[1].num_batches_tracked),
                    sorted(sd)))
    assert out[0] == out[1]


def test_load_state_dict_version2_requires_num_batches_tracked():
    for lib in (nt, torch):
        bn = lib.nn.BatchNorm2d(3)
        sd = bn.state_dict()
        del sd["num_batches_tracked"]
        with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "num_batches_tracked"'):
            bn.load_state_dict(sd)
