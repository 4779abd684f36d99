"""nn.init against torch: gains, fans, errors and warnings exactly; distributions statistically
(exact bounds, standard deviations and quantiles compared with torch's own samples)."""
import math
import warnings

import numpy as np
import pytest
from helpers import torch

import numtorch as nt
import numtorch.nn.init as NI

TI = torch.nn.init


@pytest.fixture(autouse=True)
def _seed():
    nt.manual_seed(0)
    torch.manual_seed(0)


def outcome(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            r = fn()
            res = ("ok", r if isinstance(r, (int, float, tuple)) else None)
        except Exception as e:  # noqa: BLE001 - compared with torch's
            res = ("raise", type(e).__name__, str(e))
    return res, [(x.category.__name__, str(x.message)) for x in w]


def same_outcome(fn_nt, fn_t):
    got, want = outcome(fn_nt), outcome(fn_t)
    assert got == want


# --------------------------------------------------------------------------- gains and fans
GAIN_CASES = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None), ("conv_transpose1d", None),
              ("conv_transpose2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None),
              ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 1), ("leaky_relu", 0),
              ("leaky_relu", True), ("leaky_relu", "x"), ("leaky_relu", np.float32(0.1)), ("selu", None),
              ("tanh", 3), ("relu", "abc"), ("foo", None), ("Leaky_relu", None), ("softmax", None)]


@pytest.mark.parametrize("nl,param", GAIN_CASES)
def test_calculate_gain_matches_torch(nl, param):
    same_outcome(lambda: NI.calculate_gain(nl, param), lambda: TI.calculate_gain(nl, param))
    if param is None:
        same_outcome(lambda: NI.calculate_gain(nl), lambda: TI.calculate_gain(nl))
    got = outcome(lambda: NI.calculate_gain(nl, param))[0]
    if got[0] == "ok":
        assert type(got[1]) is type(TI.calculate_gain(nl, param))


@pytest.mark.parametrize("shape", [(3,), (), (3, 4), (0, 4), (5, 0), (4, 3, 2), (6, 5, 3, 2), (2, 3, 4, 5, 6)])
def test_fan_in_and_fan_out_matches_torch(shape):
    same_outcome(lambda: NI._calculate_fan_in_and_fan_out(nt.empty(shape)),
                 lambda: TI._calculate_fan_in_and_fan_out(torch.empty(shape)))
    for mode in ["fan_in", "fan_out", "FAN_OUT", "foo"]:
        same_outcome(lambda: NI._calculate_correct_fan(nt.empty(shape), mode),
                     lambda: TI._calculate_correct_fan(torch.empty(shape), mode))


# --------------------------------------------------------------------------- errors, warnings, versions
ERROR_CASES = [
    ("xavier_uniform_", (3,), {}), ("xavier_normal_", (3,), {}), ("kaiming_uniform_", (3,), {}),
    ("kaiming_normal_", (3,), {}), ("kaiming_uniform_", (0, 3), {}), ("kaiming_normal_", (0,), {}),
    ("kaiming_uniform_", (0, 2), {"mode": "foo"}), ("kaiming_uniform_", (3,), {"mode": "foo"}),
    ("kaiming_uniform_", (3, 3), {"mode": "foo", "nonlinearity": "bar"}),
    ("kaiming_uniform_", (3, 3), {"nonlinearity": "bar"}), ("kaiming_normal_", (3, 3), {"mode": "FAN_OUT"}),
    ("kaiming_uniform_", (3, 3), {"a": 0.2, "nonlinearity": "relu"}), ("xavier_uniform_", (0, 0), {}),
    ("xavier_normal_", (0, 3), {}), ("eye_", (3,), {}), ("eye_", (2, 3, 4), {}), ("eye_", (2, 3), {}),
    ("dirac_", (3, 3), {}), ("dirac_", (2, 3, 4, 5, 6, 7), {}), ("dirac_", (5, 2, 3), {"groups": 2}),
    ("dirac_", (4, 2, 3), {"groups": 2}), ("orthogonal_", (3,), {}), ("orthogonal_", (0,), {}),
    ("orthogonal_", (0, 3), {}), ("sparse_", (3,), {"sparsity": 0.1}), ("sparse_", (3, 4, 5), {"sparsity": 0.1}),
    ("trunc_normal_", (3,), {"a": 5.0, "b": 6.0}), ("trunc_normal_", (3,), {"mean": 5.0}),
    ("uniform_", (3,), {"a": 2, "b": 1}), ("uniform_", (3,), {"a": 2.5, "b": 1}),
    ("normal_", (3,), {"std": -1}), ("normal_", (3,), {"std": -0.5}), ("uniform", (3,), {}), ("normal", (3,), {}),
    ("constant", (3,), {"val": 1.0}), ("xavier_uniform", (3, 3), {}), ("kaiming_normal", (3, 3), {}),
    ("orthogonal", (3, 3), {}), ("sparse", (3, 3), {"sparsity": 0.5}), ("eye", (3, 3), {}), ("dirac", (3, 3, 3), {}),
]


@pytest.mark.parametrize("name,shape,kw", ERROR_CASES)
def test_errors_and_warnings_match_torch(name, shape, kw):
    same_outcome(lambda: (getattr(NI, name)(nt.empty(shape), **kw), None)[1],
                 lambda: (getattr(TI, name)(torch.empty(shape), **kw), None)[1])


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("name,kw", [("uniform_", {}), ("normal_", {}), ("trunc_normal_", {}),
                                     ("xavier_uniform_", {}), ("xavier_normal_", {}), ("kaiming_uniform_", {}),
                                     ("kaiming_normal_", {}), ("orthogonal_", {}), ("sparse_", {"sparsity": 0.1}),
                                     ("constant_", {"val": 2.7}), ("ones_", {}), ("zeros_", {}), ("eye_", {})])
def test_integer_tensors_match_torch(dtype, name, kw):
    if name == "trunc_normal_":
        for extra in [{"a": 0.0, "b": 2.0}, {"a": -200.0}, {"b": 300.0}, {"mean": -5.0, "a": 0.0, "b": 3.0}]:
            same_outcome(lambda: NI.trunc_normal_(nt.ones(3, dtype=getattr(nt, dtype)), **extra).sum(),
                         lambda: TI.trunc_normal_(torch.ones(3, dtype=getattr(torch, dtype)), **extra).sum())
    a, b = nt.ones(3, 4, dtype=getattr(nt, dtype)), torch.ones(3, 4, dtype=getattr(torch, dtype))
    same_outcome(lambda: (getattr(NI, name)(a, **kw), None)[1], lambda: (getattr(TI, name)(b, **kw), None)[1])
    assert a.tolist() == b.tolist()


@pytest.mark.parametrize("name,shape,kw", [
    ("uniform_", (3, 4), {}), ("normal_", (3, 4), {}), ("trunc_normal_", (3, 4), {"a": -50.0, "b": 50.0}),
    ("constant_", (3, 4), {"val": 2}),
    ("ones_", (3, 4), {}), ("zeros_", (3, 4), {}), ("eye_", (3, 4), {}), ("xavier_uniform_", (3, 4), {}),
    ("xavier_normal_", (3, 4), {}), ("kaiming_uniform_", (3, 4), {}), ("kaiming_normal_", (3, 4), {}),
    ("orthogonal_", (3, 4), {}), ("sparse_", (3, 4), {"sparsity": 0.5}), ("dirac_", (4, 4, 3), {}),
    ("dirac_", (4, 2, 3, 3), {"groups": 2})])
def test_in_place_version_and_identity_match_torch(name, shape, kw):
    a, b = nt.ones(shape), torch.ones(shape)
    ra, rb = getattr(NI, name)(a, **kw), getattr(TI, name)(b, **kw)
    assert ra is a and rb is b
    assert a._version == b._version
    assert a.dtype == nt.float32 and tuple(a.shape) == shape


@pytest.mark.parametrize("name,kw", [("uniform_", {}), ("normal_", {}), ("xavier_uniform_", {}),
                                     ("kaiming_normal_", {}), ("orthogonal_", {}), ("constant_", {"val": 3.0}),
                                     ("trunc_normal_", {})])
def test_runs_under_no_grad_on_parameters_and_non_leaves(name, kw):
    p = nt.nn.Parameter(nt.ones(4, 5))
    getattr(NI, name)(p, **kw)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    x = nt.ones(4, 5, requires_grad=True)
    y = x * 2
    getattr(NI, name)(y, **kw)
    assert y.grad_fn is not None and type(y.grad_fn).__name__ == "MulBackward0"


def test_deterministic_fills_match_torch():
    for shape, g in [((4, 4, 3), 1), ((4, 2, 3, 3), 2), ((6, 3, 2, 3, 3), 3), ((2, 5, 3), 1), ((6, 2, 3), 3)]:
        a, b = nt.full(shape, 5.0), torch.full(shape, 5.0)
        NI.dirac_(a, g)
        TI.dirac_(b, g)
        assert a.tolist() == b.tolist()
    for shape in [(3, 5), (5, 3), (4, 4)]:
        a, b = nt.full(shape, 5.0), torch.full(shape, 5.0)
        assert NI.eye_(a).tolist() == TI.eye_(b).tolist()
    for fn, args in [(NI.constant_, (-2.7,)), (NI.ones_, ()), (NI.zeros_, ())]:
        for dt in ["float32", "float64", "float16", "int32", "bool"]:
            a, b = nt.full((2, 3), 5, dtype=getattr(nt, dt)), torch.full((2, 3), 5, dtype=getattr(torch, dt))
            fn(a, *args)
            getattr(TI, fn.__name__)(b, *args)
            assert a.tolist() == b.tolist() and str(a.dtype) == str(b.dtype)


# --------------------------------------------------------------------------- distributions
N = (400, 500)  # 200k samples, fan_in 500, fan_out 400


def samples(name, shape, kw, dtype="float32"):
    a = nt.empty(shape, dtype=getattr(nt, dtype))
    getattr(NI, name)(a, **kw)
    b = torch.empty(shape, dtype=getattr(torch, dtype))
    getattr(TI, name)(b, **kw)
    return a.numpy().astype(np.float64).ravel(), b.numpy().astype(np.float64).ravel()


def compare_quantiles(x, y, scale, tol=0.02):
    qs = np.linspace(0.02, 0.98, 49)
    np.testing.assert_allclose(np.quantile(x, qs), np.quantile(y, qs), atol=tol * scale, rtol=0)


UNIFORM_CASES = [
    ("uniform_", {"a": -0.3, "b": 0.7}, -0.3, 0.7),
    ("xavier_uniform_", {}, -math.sqrt(6 / 900), math.sqrt(6 / 900)),
    ("xavier_uniform_", {"gain": 2.5}, -2.5 * math.sqrt(6 / 900), 2.5 * math.sqrt(6 / 900)),
    ("kaiming_uniform_", {}, -math.sqrt(6 / 500), math.sqrt(6 / 500)),
    ("kaiming_uniform_", {"a": math.sqrt(5)}, -1 / math.sqrt(500), 1 / math.sqrt(500)),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}, -math.sqrt(6 / 400), math.sqrt(6 / 400)),
    ("kaiming_uniform_", {"nonlinearity": "tanh"}, -5 / 3 * math.sqrt(3 / 500), 5 / 3 * math.sqrt(3 / 500)),
]


@pytest.mark.parametrize("name,kw,lo,hi", UNIFORM_CASES)
def test_uniform_distributions_match_torch(name, kw, lo, hi):
    x, y = samples(name, N, kw)
    for s in (x, y):
        assert s.min() >= lo and s.max() <= hi
        assert s.min() < lo + 1e-3 * (hi - lo) and s.max() > hi - 1e-3 * (hi - lo)
    np.testing.assert_allclose(x.std(), (hi - lo) / math.sqrt(12), rtol=0.01)
    compare_quantiles(x, y, hi - lo)


NORMAL_CASES = [
    ("normal_", {"mean": 0.5, "std": 2.0}, 0.5, 2.0),
    ("xavier_normal_", {}, 0.0, math.sqrt(2 / 900)),
    ("xavier_normal_", {"gain": 0.5}, 0.0, 0.5 * math.sqrt(2 / 900)),
    ("kaiming_normal_", {}, 0.0, math.sqrt(2 / 500)),
    ("kaiming_normal_", {"a": 0.3, "mode": "fan_out"}, 0.0, math.sqrt(2 / 1.09) / math.sqrt(400)),
    ("kaiming_normal_", {"nonlinearity": "selu"}, 0.0, 0.75 / math.sqrt(500)),
]


@pytest.mark.parametrize("name,kw,mean,std", NORMAL_CASES)
def test_normal_distributions_match_torch(name, kw, mean, std):
    x, y = samples(name, N, kw)
    for s in (x, y):
        np.testing.assert_allclose(s.mean(), mean, atol=0.02 * std)
        np.testing.assert_allclose(s.std(), std, rtol=0.01)
    compare_quantiles(x, y, std, tol=0.04)


@pytest.mark.parametrize("kw", [{}, {"std": 0.02}, {"mean": 1.0, "std": 2.0, "a": 0.0, "b": 1.5},
                                {"mean": 0.0, "std": 1.0, "a": -0.5, "b": 3.0}, {"std": 0.5, "a": -0.1, "b": 0.1}])
def test_trunc_normal_matches_torch(kw):
    x, y = samples("trunc_normal_", (200, 500), kw)
    a, b = kw.get("a", -2.0), kw.get("b", 2.0)
    for s in (x, y):
        assert s.min() >= a and s.max() <= b
    width = min(b - a, 6 * kw.get("std", 1.0))
    np.testing.assert_allclose(x.mean(), y.mean(), atol=0.01 * width)
    np.testing.assert_allclose(x.std(), y.std(), rtol=0.02)
    compare_quantiles(x, y, width, tol=0.01)


@pytest.mark.parametrize("shape", [(30, 50), (50, 30), (40, 40), (8, 3, 4, 5), (1, 20), (20, 1)])
@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_orthogonal_is_orthogonal(shape, gain):
    a = NI.orthogonal_(nt.empty(shape), gain=gain).numpy().reshape(shape[0], -1).astype(np.float64) / gain
    r, c = a.shape
    if r <= c:
        np.testing.assert_allclose(a @ a.T, np.eye(r), atol=1e-5)
    else:
        np.testing.assert_allclose(a.T @ a, np.eye(c), atol=1e-5)


def test_orthogonal_is_haar_distributed_like_torch():
    # the entries of a Haar-random orthogonal n x n matrix are ~ N(0, 1/n) for large n
    xs = np.concatenate([NI.orthogonal_(nt.empty(100, 100)).numpy().ravel() for _ in range(5)])
    ys = np.concatenate([TI.orthogonal_(torch.empty(100, 100)).numpy().ravel() for _ in range(5)])
    np.testing.assert_allclose(xs.std(), ys.std(), rtol=0.02)
    compare_quantiles(xs, ys, 0.1, tol=0.1)


@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.3, 0.5, 1.0])
def test_sparse_matches_torch(sparsity):
    x, y = samples("sparse_", (50, 400), {"sparsity": sparsity, "std": 0.5})
    xa = x.reshape(50, 400)
    ya = y.reshape(50, 400)
    assert ((xa == 0).sum(0) == (ya == 0).sum(0)).all()   # exactly ceil(sparsity * rows) zeros per column
    nz_x, nz_y = x[x != 0], y[y != 0]
    if nz_x.size:
        np.testing.assert_allclose(nz_x.std(), 0.5, rtol=0.02)
        np.testing.assert_allclose(nz_y.std(), 0.5, rtol=0.02)


@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_other_float_dtypes(dtype):
    x, y = samples("xavier_uniform_", (300, 300), {}, dtype)
    bound = math.sqrt(6 / 600)
    assert np.abs(x).max() <= bound * (1 + 1e-3)
    np.testing.assert_allclose(x.std(), y.std(), rtol=0.02)
    x, y = samples("normal_", (300, 300), {"std": 3.0}, dtype)
    np.testing.assert_allclose(x.std(), 3.0, rtol=0.02)


# --------------------------------------------------------------------------- generators
@pytest.mark.parametrize("name,kw", [("uniform_", {}), ("normal_", {}), ("trunc_normal_", {}),
                                     ("xavier_uniform_", {}), ("xavier_normal_", {}), ("kaiming_uniform_", {}),
                                     ("kaiming_normal_", {}), ("orthogonal_", {}), ("sparse_", {"sparsity": 0.5})])
def test_generator_makes_fills_reproducible(name, kw):
    g = nt.Generator().manual_seed(123)
    a = getattr(NI, name)(nt.empty(6, 7), generator=g, **kw).numpy().copy()
    g.manual_seed(123)
    b = getattr(NI, name)(nt.empty(6, 7), generator=g, **kw).numpy().copy()
    assert (a == b).all()
    c = getattr(NI, name)(nt.empty(6, 7), generator=g, **kw).numpy()
    assert not (a == c).all()
    nt.manual_seed(5)
    d = getattr(NI, name)(nt.empty(6, 7), **kw).numpy().copy()
    nt.manual_seed(5)
    e = getattr(NI, name)(nt.empty(6, 7), **kw).numpy().copy()
    assert (d == e).all()
