"""Reductions and scans against torch: values, dtypes, shapes, input gradients, float64
gradcheck, double backward, named-tuple results, and torch's error messages."""
import math
import warnings

import numpy as np
import pytest

import numtorch as nt
from helpers import assert_close, check_op, gradcheck64, pair, torch

rng = np.random.default_rng(0)
NAN, INF = float("nan"), float("inf")


def rand(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def distinct(*shape):
    """Well-separated distinct values: selections are stable under finite differences."""
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) * 0.37 + 0.1 * rng.random(shape)).astype(np.float64)


A = rand(2, 3, 4)
Z = A.copy()
Z[0, 1, 2] = 0          # a slice with one zero
Z[1, 0, :2] = 0         # a slice with two zeros
T = np.array([[1., 3., 3.], [2., 2., 0.]], np.float32)     # ties
N = np.array([[1., NAN, 3., NAN], [2., 0., 5., -1.]], np.float32)   # NaNs
DTYPES = [np.float32, np.float64, np.int32, np.int64, np.uint8, np.bool_]


def cast(a, dt):
    return (a > 0) if dt is np.bool_ else (np.abs(a) * 3).astype(dt) if np.dtype(dt).kind in "iu" else a.astype(dt)


def both(fn, *arrays, **kw):
    """check_op with the same ``fn(module, *tensors)`` run on numtorch and on torch."""
    return check_op(lambda *xs: fn(nt, *xs), lambda *xs: fn(torch, *xs), *arrays, **kw)


def same_error(fn, *arrays):
    """numtorch raises the exception type and message torch raises."""
    with pytest.raises(Exception) as et:
        fn(torch, *[torch.tensor(a) for a in arrays])
    with pytest.raises(type(et.value)) as en:
        fn(nt, *[nt.tensor(a) for a in arrays])
    assert str(en.value) == str(et.value)


# ------------------------------------------------------------------ sum / mean / prod families
DIMS = [None, 0, -1, (0, 2), [1], (-1, 0, 1), ()]


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_dims_dtypes(dt, dim, keepdim):
    both(lambda m, x: m.sum(x, dim, keepdim), cast(A, dt))
    both(lambda m, x: x.nansum(dim, keepdim), cast(A, dt))


@pytest.mark.parametrize("dt", DTYPES)
def test_sum_nodim_and_dtype_arg(dt):
    a = cast(A, dt)
    both(lambda m, x: x.sum(), a)
    both(lambda m, x: m.sum(x), a)
    both(lambda m, x: x.sum(dtype=m.float64), a)
    both(lambda m, x: x.sum(1, dtype=m.float32), a)
    both(lambda m, x: x.sum((0, 1), True, dtype=m.int64), a, grad=False)
    both(lambda m, x: x.sum(dtype=m.int8), np.array([100, 100], np.int8), grad=False)   # wraps as torch
    both(lambda m, x: x.cumsum(0, dtype=m.int32), cast(A, dt), grad=False)


def test_sum_grad_fn_names_and_lean_path():
    x, y = pair(A, True)
    assert type(x.sum().grad_fn).__name__ == type(y.sum().grad_fn).__name__ == "SumBackward0"
    assert type(x.sum(dim=None).grad_fn).__name__ == type(y.sum(dim=None).grad_fn).__name__ == "SumBackward1"
    assert type(x.mean().grad_fn).__name__ == "MeanBackward0" and type(x.mean(0).grad_fn).__name__ == "MeanBackward1"
    with nt.no_grad():
        assert x.sum().grad_fn is None and not x.sum().requires_grad
    both(lambda m, x: m.sum(x, dim=None, keepdim=True), A)
    both(lambda m, x: (x * 2).sum(), A)
    both(lambda m, x: x.sum(), rand(3, dtype=np.float16), rtol=1e-3, atol=1e-3)
    both(lambda m, x: x.sum(), np.zeros((0, 3), np.float32))


@pytest.mark.parametrize("dt", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_mean(dt, dim, keepdim):
    tol = dict(rtol=1e-2, atol=1e-2) if dt is np.float16 else {}
    both(lambda m, x: x.mean(dim, keepdim), A.astype(dt), **tol)
    both(lambda m, x: m.nanmean(x, dim, keepdim), N.astype(dt) if dim is None or dim == () else A.astype(dt), **tol)


def test_mean_variants():
    both(lambda m, x: x.mean(), A)
    both(lambda m, x: x.mean(dtype=m.float64), A)
    both(lambda m, x: x.mean(dtype=m.float32), cast(A, np.int64))
    both(lambda m, x: x.mean(0), np.zeros((0, 3), np.float32))
    both(lambda m, x: x.mean(), np.zeros(0, np.float32), grad=False)
    both(lambda m, x: x.nanmean(1), N)
    both(lambda m, x: x.nansum(), N)
    both(lambda m, x: x.nanmean(dtype=m.float64), N)


@pytest.mark.parametrize("a", [A, Z, np.zeros((2, 3), np.float32), np.float32(2.5)],
                         ids=["plain", "zeros", "all0", "0d"])
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_prod(a, dim, keepdim):
    a = np.asarray(a)
    if dim is not None and a.ndim <= _abs(dim) - (dim < 0):
        return
    if dim is None:
        both(lambda m, x: x.prod(), a)
    else:
        both(lambda m, x: m.prod(x, dim, keepdim), a)


def _abs(d):
    return d if d >= 0 else -d


@pytest.mark.parametrize("dt", DTYPES)
def test_prod_dtypes(dt):
    both(lambda m, x: x.prod(), cast(A[0, :2], dt))
    both(lambda m, x: x.prod(1, dtype=m.float64), cast(A, dt))
    both(lambda m, x: x.prod(), rand(4, dtype=np.float16), rtol=1e-2, atol=1e-2)


# ------------------------------------------------------------------ max / min / amax / argmax / aminmax
@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("fn", ["max", "min"])
def test_max_min(dt, fn):
    a = cast(A, dt)
    both(lambda m, x: getattr(x, fn)(), a)
    for dim in (0, 1, -1):
        for keepdim in (False, True):
            both(lambda m, x, dim=dim, keepdim=keepdim: getattr(m, fn)(x, dim, keepdim), a)
    both(lambda m, x: getattr(x, fn)(dim=2, keepdim=True), a)


def test_max_min_ties_nan_and_named_tuple():
    both(lambda m, x: x.max(), T)             # ties: gradient shared evenly
    both(lambda m, x: x.min(), T)
    both(lambda m, x: x.max(1), T)            # ties: first index, gradient to it
    both(lambda m, x: x.min(0, True), T)
    both(lambda m, x: x.max(), N)
    both(lambda m, x: x.max(1), N)
    both(lambda m, x: x.min(1), N)
    both(lambda m, x: x.max(0), np.float32(3.0))
    r, t = nt.tensor(T).max(1), torch.tensor(T).max(1)
    values, indices = r
    assert r.values is values and r.indices is indices and r[0] is values and len(r) == 2
    assert isinstance(r, tuple) and type(r).__name__ == "max"
    assert repr(r).startswith("torch.return_types.max(\nvalues=tensor(")
    assert repr(r).replace("numtorch", "torch") == repr(t)
    assert repr(nt.aminmax(nt.tensor(T))) == repr(torch.aminmax(torch.tensor(T)))


def test_max_binary_forms():
    b = rand(4)
    both(lambda m, x, y: m.max(x, y), A, b)
    both(lambda m, x, y: m.min(x, y), A, b)
    both(lambda m, x, y: x.max(y), A, b)
    both(lambda m, x, y: m.max(x, other=y), A, b)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("dim", [None, 0, -1, (0, 2), ()])
@pytest.mark.parametrize("keepdim", [False, True])
def test_amax_amin(dt, dim, keepdim):
    a = cast(A, dt)
    kw = {} if dim is None else {"dim": dim}
    both(lambda m, x: x.amax(keepdim=keepdim, **kw), a)
    both(lambda m, x: m.amin(x, keepdim=keepdim, **kw), a)


def test_amax_ties_and_nan():
    both(lambda m, x: x.amax(1), T)
    both(lambda m, x: x.amin(), T)
    both(lambda m, x: x.amax(1), N)
    both(lambda m, x: x.amax(1), np.zeros((0, 3), np.float32))


@pytest.mark.parametrize("dt", [d for d in DTYPES if d is not np.bool_])
@pytest.mark.parametrize("fn", ["argmax", "argmin"])
def test_argmax_argmin(dt, fn):
    a = cast(A, dt)
    both(lambda m, x: getattr(x, fn)(), a)
    both(lambda m, x: getattr(m, fn)(x, keepdim=True), a)
    for dim in (0, -1):
        for keepdim in (False, True):
            both(lambda m, x, dim=dim, keepdim=keepdim: getattr(x, fn)(dim, keepdim), a)
    both(lambda m, x: getattr(x, fn)(1), T)
    both(lambda m, x: getattr(x, fn)(1), N)
    both(lambda m, x: getattr(x, fn)(0), np.float32(1.0))


@pytest.mark.parametrize("dt", [np.float32, np.int64, np.bool_])
def test_aminmax(dt):
    a = cast(A, dt)
    both(lambda m, x: m.aminmax(x), a)
    both(lambda m, x: m.aminmax(x, dim=1), a)
    both(lambda m, x: x.aminmax(dim=-1, keepdim=True), a)
    both(lambda m, x: x.aminmax(dim=None, keepdim=True), a)
    both(lambda m, x: m.aminmax(x), T)
    r = nt.aminmax(nt.tensor(T), dim=0)
    assert r.min is r[0] and r.max is r[1]


# ------------------------------------------------------------------ std / var
@pytest.mark.parametrize("fn", ["std", "var"])
@pytest.mark.parametrize("dim", [None, 0, -1, (0, 2), ()])
@pytest.mark.parametrize("correction", [None, 0, 1, 2.5])
@pytest.mark.parametrize("keepdim", [False, True])
def test_std_var(fn, dim, correction, keepdim):
    kw = {} if correction is None else {"correction": correction}
    grad = dim != ()    # torch's backward of dim=() divides by (1 - correction): a torch quirk not copied
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # correction 2.5 over 2 elements: dof <= 0 (checked below)
        both(lambda m, x: getattr(m, fn)(x, dim, keepdim=keepdim, **kw), A, rtol=1e-4, atol=1e-5, grad=grad)
        both(lambda m, x: getattr(m, fn + "_mean")(x, dim, keepdim=keepdim, **kw), A, rtol=1e-4, atol=1e-5,
             grad=grad)


def test_std_var_signatures():
    for f in (lambda m, x: x.std(), lambda m, x: x.std(1, False), lambda m, x: m.std(x, False),
              lambda m, x: m.std(x, 1, True, True), lambda m, x: x.var(dim=1, unbiased=False),
              lambda m, x: m.var_mean(x, 0, False), lambda m, x: m.std_mean(x, False),
              lambda m, x: x.var(), lambda m, x: x.std(keepdim=True)):
        both(f, A, rtol=1e-4, atol=1e-5)
    both(lambda m, x: x.std(), np.ones(3, np.float32))          # std 0: gradient 0
    both(lambda m, x: x.std(), rand(5, dtype=np.float16), rtol=1e-2, atol=1e-2)
    x, _ = pair(A, True)
    s, mu = nt.std_mean(x, 1)
    assert type(s.grad_fn).__name__ == "StdMeanBackward0" and s.grad_fn is mu.grad_fn
    s.sum().backward()                              # one output used: the other's gradient is None
    assert x.grad is not None


def test_std_var_dof_warning():
    for fn in ("std", "var"):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = getattr(nt.tensor([1.0]), fn)()
        assert math.isnan(r.item())
        assert any(f"{fn}(): degrees of freedom is <= 0" in str(x.message) for x in w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        both(lambda m, x: x.var(correction=3), np.array([1., 2.], np.float32))
        both(lambda m, x: x.std(), np.array([1.], np.float32))


# ------------------------------------------------------------------ norm
@pytest.mark.parametrize("p", [2, 1, INF, -INF, 0, 3, 0.5, -1, "fro", None])
@pytest.mark.parametrize("dim", [None, 1, (0, 2)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_norm(p, dim, keepdim):
    a = Z.copy()
    if p in (0.5, -1):
        a = np.where(a == 0, 0.5, a).astype(np.float32)   # torch's p<1 gradient at 0 differs only by nan handling
    both(lambda m, x: m.norm(x, p, dim, keepdim), a, rtol=1e-4, atol=1e-5)
    both(lambda m, x: x.norm(p=p, dim=dim, keepdim=keepdim), a, rtol=1e-4, atol=1e-5)


def test_norm_special():
    both(lambda m, x: x.norm(), np.zeros(3, np.float32))                 # gradient 0 at the origin
    both(lambda m, x: x.norm(p=3), np.zeros(3, np.float32))
    both(lambda m, x: x.norm(p=INF), np.array([3., -3., 1.], np.float32))    # ties share
    both(lambda m, x: x.norm(p=-INF), np.array([0.5, -0.5, -2.], np.float32))
    both(lambda m, x: x.norm(p=0.5), np.array([0.5, 0., -2.], np.float32))
    both(lambda m, x: x.norm(dtype=m.float64), A)
    both(lambda m, x: x.norm(), np.zeros(0, np.float32))
    both(lambda m, x: x.norm(p="nuc"), rand(3, 4), rtol=1e-4, atol=1e-5)
    both(lambda m, x: x.norm(p="nuc", dim=(0, 2), keepdim=True), A, rtol=1e-4, atol=1e-5)
    both(lambda m, x: x.norm(p="fro", dim=(0, 2)), A)
    both(lambda m, x: m.norm(x, 2, 1), A)


# ------------------------------------------------------------------ logsumexp
@pytest.mark.parametrize("dim", [0, -1, (0, 2), [1]])
@pytest.mark.parametrize("keepdim", [False, True])
def test_logsumexp(dim, keepdim):
    both(lambda m, x: m.logsumexp(x, dim, keepdim), A)
    both(lambda m, x: x.logsumexp(dim, keepdim), A.astype(np.float64) * 300)   # no overflow


def test_logsumexp_special():
    both(lambda m, x: x.logsumexp(0), np.array([-INF, -INF], np.float32))
    both(lambda m, x: x.logsumexp(0), np.array([INF, 1.], np.float32), grad=False)
    both(lambda m, x: x.logsumexp(1), N)
    both(lambda m, x: x.logsumexp(0), np.zeros(0, np.float32))
    both(lambda m, x: x.logsumexp(0), np.float32(2.0))
    both(lambda m, x: x.logsumexp(1), cast(A, np.int64))
    both(lambda m, x: x.logsumexp(0), np.array([1., 2.], np.float16), rtol=1e-3, atol=1e-3)


# ------------------------------------------------------------------ scans
@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("fn", ["cumsum", "cumprod"])
def test_cumsum_cumprod(dt, fn):
    a = cast(A, dt)
    for dim in (0, 1, -1):
        both(lambda m, x, dim=dim: getattr(x, fn)(dim), a)
    both(lambda m, x: getattr(m, fn)(x, 1, dtype=m.float64), a)
    both(lambda m, x: getattr(x, fn)(0), np.asarray(cast(np.float32(1.5), dt)))


def test_cumprod_zeros_and_inplace():
    for a in (Z, np.array([[0., 2., 0.], [1., 0., 3.]], np.float32), np.array([2., 0., 3., 0., 4.], np.float32),
              np.zeros((2, 3), np.float32)):
        both(lambda m, x: x.cumprod(-1), a)
        both(lambda m, x: x.cumprod(0), a)
    both(lambda m, x: (x * 1).cumsum_(1), A)
    both(lambda m, x: (x * 1).cumprod_(0), A)
    both(lambda m, x: x.cumsum(0), np.array([1., 2.], np.float16), rtol=1e-3)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("fn", ["cummax", "cummin"])
def test_cummax_cummin(dt, fn):
    a = cast(A, dt)
    for dim in (0, 1, -1):
        both(lambda m, x, dim=dim: getattr(x, fn)(dim), a)
    both(lambda m, x: getattr(m, fn)(x, 1), T)       # ties move to the later index
    both(lambda m, x: getattr(x, fn)(1), N)
    both(lambda m, x: getattr(x, fn)(0), np.array([1., NAN, 2., NAN, 3.], np.float32))
    both(lambda m, x: getattr(x, fn)(0), np.float32(2.0))
    both(lambda m, x: getattr(x, fn)(0), np.zeros(0, np.float32))
    assert type(getattr(nt.tensor(T), fn)(0)).__name__ == fn


# ------------------------------------------------------------------ all / any / count_nonzero
@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("dim", [None, 0, -1, (0, 2), ()])
@pytest.mark.parametrize("keepdim", [False, True])
def test_all_any(dt, dim, keepdim):
    a = cast(Z, dt)
    both(lambda m, x: m.all(x, dim, keepdim), a, grad=False)
    both(lambda m, x: x.any(dim, keepdim), a, grad=False)


@pytest.mark.parametrize("dt", DTYPES)
def test_all_any_nodim_count_nonzero(dt):
    a = cast(Z, dt)
    both(lambda m, x: x.all(), a, grad=False)
    both(lambda m, x: m.any(x), a, grad=False)
    for dim in (None, 1, (0, -1), ()):
        both(lambda m, x, dim=dim: x.count_nonzero(dim), a, grad=False)
    both(lambda m, x: m.count_nonzero(x), a, grad=False)
    both(lambda m, x: x.all(), np.zeros(0, dt), grad=False)
    both(lambda m, x: x.any(), np.zeros(0, dt), grad=False)


# ------------------------------------------------------------------ median / nanmedian / mode
@pytest.mark.parametrize("fn", ["median", "nanmedian"])
@pytest.mark.parametrize("dt", [np.float32, np.float64, np.int64, np.int32])
def test_median(fn, dt):
    a = cast(A, dt)
    both(lambda m, x: getattr(x, fn)(), a)
    for dim in (0, 1, -1):
        for keepdim in (False, True):
            both(lambda m, x, dim=dim, keepdim=keepdim: getattr(m, fn)(x, dim, keepdim), a)


def test_median_ties_nan_even():
    both(lambda m, x: x.median(), np.array([2., 1., 2., 2.], np.float32))   # ties share the gradient
    both(lambda m, x: x.median(), np.array([1., 2., 3., 4.], np.float32))   # lower median
    r = rng.integers(0, 3, size=(6, 7)).astype(np.float32)
    both(lambda m, x: x.median(1), r)           # index among ties as torch
    both(lambda m, x: x.median(0), r)
    both(lambda m, x: x.median(), N)
    both(lambda m, x: x.median(1), np.array([[2., NAN, 1., NAN]], np.float32))
    both(lambda m, x: x.nanmedian(), np.array([2., NAN, 2., 1.], np.float32))
    both(lambda m, x: x.nanmedian(1), np.array([[NAN, NAN], [1., NAN], [3., 2.]], np.float32))
    both(lambda m, x: x.nanmedian(1), np.array([[3., NAN, 1., 2.]], np.float32))
    both(lambda m, x: x.median(0), np.float32(2.0))
    both(lambda m, x: x.median(), np.zeros(0, np.float32), grad=False)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_mode(dim, keepdim):
    a = rng.integers(0, 4, size=(5, 9)).astype(np.float32)
    both(lambda m, x: m.mode(x, dim, keepdim), a)
    both(lambda m, x: x.mode(dim, keepdim), a.astype(np.int64))
    both(lambda m, x: x.mode(), np.array([3., 1., 1., 3., 2.], np.float32))


# ------------------------------------------------------------------ 0-dim inputs
@pytest.mark.parametrize("f", [
    lambda m, x: x.sum(), lambda m, x: x.sum(0), lambda m, x: x.mean(-1), lambda m, x: x.prod(0),
    lambda m, x: x.amax(0), lambda m, x: x.max(), lambda m, x: x.min(0, True), lambda m, x: x.argmax(0),
    lambda m, x: x.norm(dim=0), lambda m, x: x.logsumexp(0), lambda m, x: x.cumsum(0),
    lambda m, x: x.cummin(0), lambda m, x: x.all(0), lambda m, x: x.median(), lambda m, x: x.mode(0),
    lambda m, x: x.count_nonzero(0), lambda m, x: m.aminmax(x, dim=0), lambda m, x: x.std(0, correction=0),
])
def test_zero_dim(f):
    both(f, np.float32(1.5))


# ------------------------------------------------------------------ errors (torch's types and messages)
@pytest.mark.parametrize("f", [
    lambda m, x: x.sum(3), lambda m, x: x.sum((0, -4)), lambda m, x: x.mean(-4), lambda m, x: x.prod(3),
    lambda m, x: x.max(3), lambda m, x: x.argmax(5), lambda m, x: x.amax((1, 3)), lambda m, x: x.std(3),
    lambda m, x: x.norm(dim=3), lambda m, x: x.logsumexp(3), lambda m, x: x.cumsum(3),
    lambda m, x: x.cummax(-4), lambda m, x: x.all(3), lambda m, x: x.any((0, 5)), lambda m, x: x.median(3),
    lambda m, x: x.count_nonzero(3), lambda m, x: x.mode(3), lambda m, x: x.var((0, 3)),
    lambda m, x: x.sum((0, 0)), lambda m, x: x.amax((1, -2)), lambda m, x: x.count_nonzero((2, 2)),
    lambda m, x: x.norm(p="abc"), lambda m, x: x.norm(p="fro", dim=(0, 1, 2)),
    lambda m, x: x.norm(p="nuc"),
])
def test_errors_dims(f):
    same_error(f, A)


@pytest.mark.parametrize("f", [
    lambda m, x: x.mean(), lambda m, x: x.mean(0), lambda m, x: x.mean(dtype=m.int64),
    lambda m, x: x.nanmean(), lambda m, x: x.std(), lambda m, x: x.var(0), lambda m, x: m.std_mean(x),
    lambda m, x: m.var_mean(x), lambda m, x: x.norm(),
])
@pytest.mark.parametrize("dt", [np.int64, np.int32, np.bool_])
def test_errors_integer_inputs(f, dt):
    same_error(f, cast(A, dt))


@pytest.mark.parametrize("f, a", [
    (lambda m, x: x.max(), np.zeros(0, np.float32)),
    (lambda m, x: x.min(0), np.zeros((0, 3), np.float32)),
    (lambda m, x: x.argmax(), np.zeros(0, np.float32)),
    (lambda m, x: x.argmin(0), np.zeros((0, 3), np.float32)),
    (lambda m, x: x.amax(), np.zeros(0, np.float32)),
    (lambda m, x: x.amax(0), np.zeros((0, 3), np.float32)),
    (lambda m, x: x.amin(-2), np.zeros((0, 3), np.float32)),
    (lambda m, x: m.aminmax(x), np.zeros(0, np.float32)),
    (lambda m, x: x.median(0), np.zeros((0, 3), np.float32)),
    (lambda m, x: x.mode(), np.zeros(0, np.float32)),
    (lambda m, x: x.norm(p=INF), np.zeros(0, np.float32)),
    (lambda m, x: x.norm(p=-INF), np.zeros(0, np.float32)),
    (lambda m, x: x.argmax(), np.array([True, False])),
    (lambda m, x: x.argmin(), np.array([True, False])),
    (lambda m, x: x.median(), np.array([True, False])),
    (lambda m, x: m.sum([1, 2]), None),
])
def test_errors_special(f, a):
    if a is None:
        with pytest.raises(TypeError, match="must be Tensor, not list"):
            f(nt, None)
        return
    same_error(f, a)


@pytest.mark.parametrize("f", [
    lambda m, x: x.sum(axis=1), lambda m, x: m.sum(x, axis=(0, 2), keepdims=True), lambda m, x: x.mean(axis=0),
    lambda m, x: x.nansum(axis=1), lambda m, x: x.prod(axis=1), lambda m, x: x.max(axis=1),
    lambda m, x: m.min(x, axis=0, keepdims=True), lambda m, x: x.amax(axis=1), lambda m, x: x.argmax(axis=1),
    lambda m, x: x.std(axis=1), lambda m, x: m.var_mean(x, axis=1), lambda m, x: x.logsumexp(axis=1),
    lambda m, x: x.cumsum(axis=1), lambda m, x: x.cummax(axis=1), lambda m, x: x.all(axis=1),
    lambda m, x: x.median(axis=1), lambda m, x: x.count_nonzero(axis=1), lambda m, x: x.mode(axis=0),
])
def test_numpy_aliases(f):
    """torch accepts NumPy's ``axis=``/``keepdims=`` spellings."""
    both(f, A)


def test_signatures_and_methods():
    import inspect
    assert list(inspect.signature(nt.max).parameters) == ["input", "dim", "keepdim", "out", "other"]
    assert list(inspect.signature(nt.sum).parameters)[:3] == ["input", "dim", "keepdim"]
    assert nt.max.__name__ == "max" and nt.std.__doc__.startswith("torch.std")
    for name in ("sum", "nansum", "mean", "nanmean", "prod", "max", "min", "amax", "amin", "argmax", "argmin",
                 "aminmax", "std", "var", "norm", "logsumexp", "cumsum", "cumprod", "cummax", "cummin", "all",
                 "any", "count_nonzero", "median", "nanmedian", "mode", "cumsum_", "cumprod_"):
        assert callable(getattr(nt.Tensor, name)), name


@pytest.mark.parametrize("f", [
    lambda m, x: x.sum(dtype=m.int32), lambda m, x: x.sum(1, dtype=m.int64), lambda m, x: x.prod(dtype=m.int32),
    lambda m, x: x.cumsum(1, dtype=m.int32), lambda m, x: x.nansum(dtype=m.bool),
    lambda m, x: x.cumprod(0, dtype=m.int64),
])
def test_integer_dtype_of_grad_tensor(f):
    with pytest.raises(RuntimeError) as et:
        f(torch, torch.tensor(A, requires_grad=True))
    with pytest.raises(RuntimeError) as en:
        f(nt, nt.tensor(A, requires_grad=True))
    assert str(en.value) == str(et.value)
    with nt.no_grad():
        both(f, A, grad=False)


def test_out_argument():
    o = nt.empty(4)
    r = nt.sum(nt.tensor(A), (0, 1), out=o)
    assert r is o
    assert_close(o, torch.tensor(A).sum((0, 1)))
    v, i = nt.empty(0), nt.empty(0, dtype=nt.int64)
    r = nt.max(nt.tensor(A), 1, out=(v, i))
    assert r.values is v and r.indices is i
    assert_close(v, torch.tensor(A).max(1).values)


# ------------------------------------------------------------------ float64 gradcheck
GRADCHECK = [
    ("sum", lambda x: x.sum(), distinct(2, 3)),
    ("sum_dim", lambda x: x.sum((0, 2), keepdim=True), distinct(2, 3, 2)),
    ("nansum", lambda x: x.nansum(1), distinct(2, 3)),
    ("mean", lambda x: x.mean(1), distinct(2, 3)),
    ("nanmean", lambda x: x.nanmean(0), distinct(2, 3)),
    ("prod", lambda x: x.prod(), distinct(2, 3) + 0.5),
    ("prod_dim", lambda x: x.prod(1, keepdim=True), distinct(2, 3) + 0.5),
    ("prod_zero", lambda x: x.prod(1), np.array([[0., 2., 3.], [1., 0., 0.]])),
    ("max", lambda x: x.max(), distinct(2, 3)),
    ("min_dim", lambda x: x.min(1)[0], distinct(2, 3)),
    ("max_dim", lambda x: x.max(0, True).values, distinct(2, 3)),
    ("amax", lambda x: x.amax((0, 1)), distinct(2, 3, 2)),
    ("amin", lambda x: x.amin(-1), distinct(2, 3)),
    ("aminmax", lambda x: tuple(nt.aminmax(x, dim=1)), distinct(2, 3)),
    ("std", lambda x: x.std(1), distinct(2, 3)),
    ("var", lambda x: x.var((0, 1), correction=0), distinct(2, 3)),
    ("std_mean", lambda x: nt.std_mean(x, 0), distinct(3, 2)),
    ("var_mean", lambda x: nt.var_mean(x), distinct(3, 2)),
    ("norm2", lambda x: x.norm(), distinct(2, 3)),
    ("norm1", lambda x: x.norm(p=1, dim=1), distinct(2, 3)),
    ("norm3", lambda x: x.norm(p=3, dim=0), distinct(2, 3)),
    ("norm_inf", lambda x: x.norm(p=INF, dim=1), distinct(2, 3)),
    ("norm_-1", lambda x: x.norm(p=-1), distinct(2, 3) + 0.5),
    ("norm_nuc", lambda x: x.norm(p="nuc"), distinct(3, 2)),
    ("logsumexp", lambda x: x.logsumexp((0, 1)), distinct(2, 3)),
    ("cumsum", lambda x: x.cumsum(1), distinct(2, 3)),
    ("cumprod", lambda x: x.cumprod(1), distinct(2, 3) + 0.5),
    ("cumprod_zero", lambda x: x.cumprod(1), np.array([[0., 2., 0., 3.], [1., 0., 3., 2.]])),
    ("cummax", lambda x: x.cummax(1)[0], distinct(2, 4)),
    ("cummin", lambda x: x.cummin(0)[0], distinct(4, 2)),
    ("median", lambda x: x.median(), distinct(2, 3)),
    ("median_dim", lambda x: x.median(1)[0], distinct(2, 3)),
    ("nanmedian", lambda x: x.nanmedian(0)[0], distinct(3, 2)),
    ("mode", lambda x: x.mode(1)[0], distinct(2, 3)),
]


@pytest.mark.parametrize("name, f, a", GRADCHECK, ids=[c[0] for c in GRADCHECK])
def test_gradcheck(name, f, a):
    gradcheck64(f, a)


# ------------------------------------------------------------------ double backward (create_graph=True)
GRADGRAD = [
    ("sum", lambda x: x.sum((0,)) ** 2, distinct(2, 3)),
    ("mean", lambda x: x.mean() ** 2, distinct(2, 3)),
    ("prod", lambda x: x.prod(1), distinct(2, 3) * 0.2 + 0.5),
    ("prod_zero", lambda x: x.prod(1), np.array([[0., 2., 3.], [1., 4., 2.]])),
    ("prod_zeros", lambda x: x.prod(), np.array([[0., 2., 3.], [1., 0., 2.]])),
    ("prod_3zeros", lambda x: x.prod(0), np.array([[0., 2.], [0., 0.], [0., 3.]])),
    ("cumprod_zero", lambda x: x.cumprod(1), np.array([[0., 2., 3.], [1., 0., 2.]])),
    ("max_dim", lambda x: x.max(1).values ** 2, distinct(2, 3)),
    ("amax", lambda x: x.amax(1) ** 2, distinct(2, 3)),
    ("std", lambda x: x.std(1), distinct(2, 3)),
    ("var_mean", lambda x: nt.var_mean(x, 0), distinct(3, 2)),
    ("norm2", lambda x: x.norm(dim=1), distinct(2, 3)),
    ("norm3", lambda x: x.norm(p=3), distinct(2, 3)),
    ("logsumexp", lambda x: x.logsumexp(1), distinct(2, 3) * 0.1),
    ("cumsum", lambda x: x.cumsum(1) ** 2, distinct(2, 3)),
    ("cumprod", lambda x: x.cumprod(1), distinct(2, 3) * 0.2 + 0.5),
    ("cummax", lambda x: x.cummax(1).values ** 2, distinct(2, 3)),
]


@pytest.mark.parametrize("name, f, a", GRADGRAD, ids=[c[0] for c in GRADGRAD])
def test_gradgradcheck(name, f, a):
    x = nt.tensor(a, requires_grad=True)
    assert nt.autograd.gradgradcheck(f, (x,))


def test_double_backward_matches_torch():
    for f in (lambda m, x: (x.sum(1) ** 2).sum(), lambda m, x: x.std(), lambda m, x: x.logsumexp(0).sum(),
              lambda m, x: x.cumprod(1).sum(), lambda m, x: x.norm(), lambda m, x: x.prod()):
        x, y = pair(distinct(2, 3) * 0.3, True)
        gx, = nt.autograd.grad(f(nt, x), x, create_graph=True)
        gy, = torch.autograd.grad(f(torch, y), y, create_graph=True)
        assert_close(gx, gy, rtol=1e-6)
        assert_close(nt.autograd.grad(gx.sum(), x)[0], torch.autograd.grad(gy.sum(), y)[0], rtol=1e-6)
