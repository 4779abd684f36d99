"""numtorch.nn.functional dropout family: statistics (kept mean, dropped fraction ~ p), masks
constant over spatial dims, train/eval switch, reproducibility, gradients, in-place
behaviour, and torch's errors and warnings."""
import warnings

import numpy as np
import pytest
from helpers import assert_close, both_raise, gradcheck64, pair, torch

import numtorch as nt
import numtorch.nn.functional as NF

F = torch.nn.functional


def ones(*shape, dtype=nt.float32):
    return nt.ones(*shape, dtype=dtype)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [nt.float32, nt.float64])
def test_dropout_statistics(p, dtype):
    nt.manual_seed(0)
    x = ones(400, 500, dtype=dtype)
    y = NF.dropout(x, p)
    v = y.numpy()
    assert y.dtype == dtype and y.shape == x.shape
    frac = (v == 0).mean()
    assert abs(frac - p) < 0.01
    kept = v[v != 0]
    np.testing.assert_allclose(kept, 1.0 / (1.0 - p), rtol=1e-6)
    assert abs(v.mean() - 1.0) < 0.03                         # the mean is preserved


def test_dropout_matches_torch_scaling_and_grad():
    nt.manual_seed(1)
    a = np.random.default_rng(0).standard_normal((50, 40)).astype(np.float32)
    x = nt.tensor(a, requires_grad=True)
    y = NF.dropout(x, 0.3)
    assert y.grad_fn.name() == "MulBackward0"
    mask = (y.detach().numpy() != 0)
    np.testing.assert_allclose(y.detach().numpy()[mask], a[mask] * np.float32(1 / 0.7), rtol=1e-6)
    g = np.random.default_rng(1).standard_normal((50, 40)).astype(np.float32)
    y.backward(nt.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), np.where(mask, g / np.float32(0.7), 0), rtol=1e-6)


def test_train_eval_switch_and_identity_cases():
    for f in (NF.dropout, NF.alpha_dropout, NF.feature_alpha_dropout, NF.dropout1d, NF.dropout2d, NF.dropout3d):
        x = nt.randn(2, 3, 4, 5, requires_grad=True) if f is not NF.dropout1d else nt.randn(2, 3, 4,
                                                                                          requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert f(x, 0.5, training=False) is x
            assert f(x, 0.0, training=True) is x
            assert f(x, 0.5, training=False, inplace=True) is x     # no in-place check when nothing happens
    e = nt.randn(0, 3)
    assert NF.dropout(e, 0.5) is e
    assert NF.alpha_dropout(nt.randn(3, 4), 0.5) is not None      # default training=False: identity


def test_reproducible_with_manual_seed():
    x = nt.randn(30, 40)
    outs = []
    for _ in range(2):
        nt.manual_seed(123)
        outs.append(NF.dropout(x, 0.4).numpy())
        outs.append(NF.dropout2d(x.reshape(3, 10, 4, 10), 0.4).numpy())
    np.testing.assert_array_equal(outs[0], outs[2])
    np.testing.assert_array_equal(outs[1], outs[3])
    assert not np.array_equal(NF.dropout(x, 0.4).numpy(), outs[0])


def test_zero_dim_inputs():
    for f in (lambda x: NF.dropout(x, 0.5), lambda x: NF.alpha_dropout(x, 0.5, True)):
        vals = set()
        for _ in range(40):
            x = nt.tensor(3.0, requires_grad=True)
            y = f(x * 1)
            assert y.shape == ()
            y.backward()
            vals.add(round(y.item(), 4))
        assert len(vals) == 2                                   # kept or dropped


def test_p_one_and_integer_inputs():
    x = nt.randn(3, 4, requires_grad=True)
    for f in (NF.dropout, NF.alpha_dropout):
        y = f(x, 1.0, True)
        assert np.all(y.detach().numpy() == 0) and y.grad_fn.name() == "MulBackward0"
        y.sum().backward()
        assert np.all(x.grad.numpy() == 0)
    (i, ti) = pair(np.array([1, 2, 3]))
    assert_close(NF.dropout(i, 1.0), F.dropout(ti, 1.0))
    assert NF.dropout(i, 0.5, training=False) is i
    for f, g in ((NF.dropout, F.dropout), (NF.alpha_dropout, F.alpha_dropout)):
        both_raise(lambda: f(i, 0.5, True), lambda: g(ti, 0.5, True))


@pytest.mark.parametrize("name,shape,const_dims", [
    ("dropout1d", (8, 16, 30), (2,)), ("dropout1d", (16, 30), (1,)),
    ("dropout2d", (8, 16, 5, 6), (2, 3)), ("dropout2d", (8, 16, 30), (2,)),
    ("dropout3d", (4, 16, 3, 4, 5), (2, 3, 4)), ("dropout3d", (16, 3, 4, 5), (1, 2, 3)),
    ("feature_alpha_dropout", (8, 16, 5, 6), (2, 3)),
])
def test_channel_masks_constant_over_spatial_dims(name, shape, const_dims):
    nt.manual_seed(0)
    kw = {"training": True} if name == "feature_alpha_dropout" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = getattr(NF, name)(nt.ones(*shape), 0.5, **kw).numpy()
        t = getattr(F, name)(torch.ones(*shape), 0.5, **kw)
    assert y.shape == tuple(t.shape)
    for d in const_dims:
        assert np.all(y == np.take(y, [0], axis=d)), f"mask varies along dim {d}"
    ch = y.reshape(y.shape[:len(shape) - len(const_dims)] + (-1,))[..., 0]
    assert 0.3 < np.mean(ch == ch.max()) < 0.7                  # about half the channels kept
    assert set(np.unique(np.round(y, 5))) == set(np.unique(np.round(t.numpy(), 5)))


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_alpha_dropout_statistics_and_values(p):
    nt.manual_seed(0)
    a = np.random.default_rng(0).standard_normal((500, 400)).astype(np.float32)
    x = nt.tensor(a, requires_grad=True)
    y = NF.alpha_dropout(x, p, training=True)
    assert y.grad_fn.name() == "AddBackward0"
    v = y.detach().numpy()
    assert abs(v.mean()) < 0.02 and abs(v.std() - 1.0) < 0.02     # SELU's self-normalisation
    # values: the same two constants torch gives for an all-ones / all-zeros input
    for fill in (0.0, 1.0):
        yn = NF.alpha_dropout(nt.full((1000,), fill), p, training=True).numpy()
        yt = F.alpha_dropout(torch.full((1000,), fill), p, training=True).numpy()
        np.testing.assert_allclose(np.unique(yn), np.unique(yt), rtol=1e-6)
    y.sum().backward()
    a_coef = 1.0 / np.sqrt((1.7580993408473766 ** 2 * p + 1) * (1 - p))
    kept = x.grad.numpy() != 0
    assert abs(kept.mean() - (1 - p)) < 0.01
    np.testing.assert_allclose(x.grad.numpy()[kept], a_coef, rtol=1e-6)


@pytest.mark.parametrize("name", ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
                                  "feature_alpha_dropout"])
def test_gradcheck_with_fixed_mask(name):
    shape = {"dropout1d": (2, 3, 4), "dropout3d": (2, 3, 2, 2, 2)}.get(name, (2, 3, 4, 2))
    a = np.random.default_rng(0).standard_normal(shape)

    def f(x):
        nt.manual_seed(7)                                      # the same mask on every evaluation
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return getattr(NF, name)(x, 0.4, training=True)
    gradcheck64(f, a)


@pytest.mark.parametrize("name", ["dropout", "dropout1d", "dropout2d", "alpha_dropout"])
def test_inplace(name):
    shape = (4, 5, 6)
    kw = {"training": True}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = nt.ones(*shape)
        v = x._version
        assert getattr(NF, name)(x, 0.5, inplace=True, **kw) is x and x._version == v + 1
        vals = np.unique(x.numpy())
        assert len(vals) == 2
        (l, lt) = pair(np.ones(shape, np.float32), True)
        both_raise(lambda: getattr(NF, name)(l, 0.5, inplace=True, **kw),
                   lambda: getattr(F, name)(lt, 0.5, inplace=True, **kw))
        y = l * 2
        r = getattr(NF, name)(y, 0.5, inplace=True, **kw)
        assert r is y
        r.sum().backward()
        gv = l.grad.numpy()
        # the gradient is 2 * mask: zero exactly where the output is the dropped value
        out = r.detach().numpy()
        dropped = out == out.min()
        assert np.all(gv[dropped] == 0) and np.all(gv[~dropped] > 0)


def test_inplace_p_one_on_leaf_raises_as_torch():
    (l, lt) = pair(np.ones((3, 4), np.float32), True)
    both_raise(lambda: NF.dropout(l, 1.0, True, True), lambda: F.dropout(lt, 1.0, True, True))
    assert NF.dropout(l, 0.0, True, True) is l


def test_errors_and_warnings():
    (x, t) = pair(np.ones((2, 4), np.float32))
    for name in ("dropout", "alpha_dropout", "feature_alpha_dropout", "dropout1d", "dropout2d", "dropout3d"):
        for p in (1.5, -0.1):
            both_raise(lambda: getattr(NF, name)(x, p), lambda: getattr(F, name)(t, p))
    both_raise(lambda: NF.dropout(x, None), lambda: F.dropout(t, None))
    for shape in ((4,), (2, 3, 4, 5)):
        (a, ta) = pair(np.ones(shape, np.float32))
        both_raise(lambda: NF.dropout1d(a), lambda: F.dropout1d(ta))
    (a, ta) = pair(np.ones(3, np.float32))
    both_raise(lambda: NF.feature_alpha_dropout(a, training=True), lambda: F.feature_alpha_dropout(ta, training=True))
    for name, shape in (("dropout2d", (3,)), ("dropout2d", (3, 4)), ("dropout2d", (2, 3, 4)),
                        ("dropout2d", (2, 3, 4, 5, 6)), ("dropout3d", (3, 4)), ("dropout3d", (2, 3, 4)),
                        ("dropout3d", (2, 3, 4, 5, 6, 7)), ("dropout2d", ()), ("dropout3d", ())):
        (a, ta) = pair(np.ones(shape, np.float32))
        res = []
        for mod, arg in ((NF, a), (F, ta)):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                try:
                    r = getattr(mod, name)(arg, 0.5)
                    res.append(tuple(r.shape))
                except RuntimeError as e:
                    res.append(str(e))
            assert all(m.filename == __file__ for m in w)
            res.append([str(m.message) for m in w])
        assert res[:2] == res[2:], (name, shape)


def test_signatures_match_torch():
    import inspect
    import sys
    for name in sys.modules["numtorch.nn.functional.dropout"].__all__:
        sig_t, sig_n = inspect.signature(getattr(F, name)), inspect.signature(getattr(NF, name))
        assert [(k, p.default) for k, p in sig_n.parameters.items()] == \
            [(k, p.default) for k, p in sig_t.parameters.items()], name


def test_dropout_mask_resolution_is_2_to_minus_16():
    """Known difference: keep-masks compare 16 random bits per element with round(p * 2**16),
    so the drop probability is p rounded to a multiple of 2**-16 (torch draws floats).  p = 0 and
    p = 1 stay exact; a p below 2**-17 drops nothing."""
    x = nt.ones(1 << 20)
    nt.manual_seed(0)
    assert int((nt.nn.functional.dropout(x, 1e-6) == 0).sum()) == 0
    frac = float((nt.nn.functional.dropout(x, 0.25) == 0).float().mean())
    assert abs(frac - 0.25) < 3e-3
    assert int((nt.nn.functional.dropout(x, 1.0) == 0).sum()) == x.numel()
