"""The threaded path for large elementwise ufuncs gives exactly the single-threaded results."""
import numpy as np
import pytest

import numtorch as nt
from numtorch._ops import _par as P
from helpers import check_op

N = P.PAR_MIN * 2 + 7  # large enough to split, and not divisible evenly
rng = np.random.default_rng(0)


@pytest.fixture(params=[1, 2, 3])
def threads(request):
    old = nt.get_num_threads()
    nt.set_num_threads(request.param)
    yield request.param
    nt.set_num_threads(old)


@pytest.mark.parametrize("shape_a,shape_b", [((N,), (N,)), ((N,), ()), ((3, N // 3), (N // 3,)),
                                             ((N // 4, 4), (N // 4, 1)), ((1, N), (5, 1))])
def test_binary_matches_numpy(threads, shape_a, shape_b):
    a = rng.standard_normal(shape_a).astype(np.float32)
    b = rng.standard_normal(shape_b).astype(np.float32)
    for f in (np.add, np.subtract, np.multiply, np.true_divide, np.maximum):
        assert np.array_equal(P.binary(f, a, b), f(a, b))
        assert np.array_equal(P.binary(f, a, 1.5), f(a, 1.5))
        assert np.array_equal(P.binary(f, 2.0, a), f(2.0, a))


def test_unary_and_out(threads):
    a = rng.standard_normal(N).astype(np.float64)
    for f in (np.exp, np.tanh, np.negative, np.sqrt):
        with np.errstate(invalid="ignore"):
            np.testing.assert_array_equal(P.unary(f, a), f(a))
    out = np.empty_like(a)
    r = P.mul(a, a, out)
    assert r is out and np.array_equal(out, a * a)


def test_fallbacks_for_mixed_dtypes_and_errors():
    a = rng.standard_normal(N).astype(np.float32)
    b = rng.standard_normal(N).astype(np.float64)
    assert P.add(a, b).dtype == np.float64
    i = np.arange(N)
    assert np.array_equal(P.add(i, 1), i + 1)
    with pytest.raises(ValueError):
        P.add(a, np.ones(3, np.float32))
    with pytest.raises(RuntimeError, match="must match the size"):
        nt.tensor(a) + nt.ones(3)


def test_worker_errors_propagate():
    a = np.ones(N, np.float32)
    out = np.empty(N, np.int8)
    with pytest.raises(Exception):
        P.binary(np.add, a, a, out)  # cannot cast into int8: raised, not swallowed
    assert np.array_equal(P.add(a, a), a + a)  # workers still usable


def test_large_ops_match_torch_with_gradients(threads):
    a = rng.standard_normal(N).astype(np.float32)
    b = rng.standard_normal(N).astype(np.float32)
    check_op(lambda x, y: ((x * 2 + 1).tanh() * y).exp().sigmoid().relu() - x / (y * y + 1),
             lambda x, y: ((x * 2 + 1).tanh() * y).exp().sigmoid().relu() - x / (y * y + 1), a, b, rtol=1e-5, atol=1e-5)


def test_workers_follow_callers_error_settings(threads):
    import warnings
    a = np.zeros(N, np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(divide="ignore", invalid="ignore"):
            r = P.div(a, a)
    assert np.isnan(r).all()
