"""Elementwise ops against torch: values, dtypes, broadcasting gradients, gradcheck."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numtorch as nt
from helpers import assert_close, check_op, gradcheck64, pair, torch

rng = np.random.default_rng(0)


def rand(*shape, dtype=np.float32, low=-2.0, high=2.0):
    return rng.uniform(low, high, shape).astype(dtype)


POS = dict(low=0.2, high=3.0)
UNIT = dict(low=-0.9, high=0.9)
UNARY = [
    ("exp", {}), ("exp2", {}), ("log", POS), ("log2", POS), ("log10", POS), ("log1p", POS),
    ("expm1", {}), ("sqrt", POS), ("rsqrt", POS), ("reciprocal", POS), ("sin", {}), ("cos", {}),
    ("tan", UNIT), ("asin", UNIT), ("acos", UNIT), ("atan", {}), ("sinh", {}), ("cosh", {}),
    ("tanh", {}), ("asinh", {}), ("acosh", dict(low=1.2, high=3.0)), ("atanh", UNIT), ("sigmoid", {}),
    ("relu", {}), ("square", {}), ("neg", {}), ("abs", {}), ("erf", {}), ("erfc", {}), ("erfinv", UNIT),
    ("frac", {}), ("deg2rad", {}), ("rad2deg", {}),
]


@pytest.mark.parametrize("name,rng_kw", UNARY)
def test_unary_matches_torch(name, rng_kw):
    a = rand(3, 4, **rng_kw)
    check_op(lambda x: getattr(nt, name)(x), lambda x: getattr(torch, name)(x), a, rtol=2e-5, atol=1e-5)
    # the method form too
    check_op(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), a, rtol=2e-5, atol=1e-5)


@pytest.mark.parametrize("name,rng_kw", [u for u in UNARY if u[0] not in ("relu", "abs", "frac")])
def test_unary_gradcheck(name, rng_kw):
    gradcheck64(getattr(nt, name), rand(2, 3, dtype=np.float64, **rng_kw))


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round", "sign"])
def test_rounding_zero_grad(name):
    a = rand(3, 4) * 5
    check_op(getattr(nt, name), getattr(torch, name), a)


@pytest.mark.parametrize("name", ["exp", "sqrt", "sin", "sigmoid", "tanh", "log"])
def test_unary_int_input_gives_default_float(name):
    a = np.array([1, 2, 3])
    x, y = pair(a)
    assert_close(getattr(nt, name)(x), getattr(torch, name)(y))


@pytest.mark.parametrize("name", ["abs", "neg", "square", "sign"])
def test_unary_int_keeps_int(name):
    x, y = pair(np.array([-2, 0, 3]))
    assert_close(getattr(nt, name)(x), getattr(torch, name)(y))


SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((1,), (2, 3)), ((), (2, 3))]
BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "atan2", "remainder", "fmod", "hypot",
          "logaddexp", "fmax", "fmin"]


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_binary_broadcast_grads(name, sa, sb):
    a = rand(*sa)
    b = rand(*sb)
    if name in ("pow",):
        a = np.abs(a) + 0.5
    if name in ("div", "remainder", "fmod"):
        b = np.where(np.abs(b) < 0.3, 0.7, b).astype(np.float32)
    check_op(getattr(nt, name), getattr(torch, name), a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow", "maximum", "atan2"])
def test_binary_gradcheck(name):
    a = rand(2, 3, dtype=np.float64, low=0.5, high=2.0)
    b = rand(3, dtype=np.float64, low=0.5, high=2.0)
    gradcheck64(getattr(nt, name), a, b)


@pytest.mark.parametrize("op", [
    lambda x: x + 2, lambda x: 2 + x, lambda x: x - 1.5, lambda x: 1.5 - x, lambda x: x * 3, lambda x: 3 * x,
    lambda x: x / 4, lambda x: 4 / x, lambda x: x ** 2, lambda x: x ** 3, lambda x: 2 ** x, lambda x: x ** 0.5,
    lambda x: -x, lambda x: x % 0.7, lambda x: x ** 0,
    lambda x: x.add(2, alpha=3), lambda x: x.sub(x, alpha=0.5), lambda x: x.pow(x),
])
def test_scalar_operators(op):
    a = rand(3, 4, low=0.3, high=2.0)
    check_op(op, op, a, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("a_dt,b_dt", [
    (np.int64, np.float32), (np.int32, np.int64), (np.uint8, np.int8), (np.float16, np.int64),
    (np.float32, np.float64), (np.bool_, np.int32), (np.bool_, np.float64), (np.int8, np.int16),
])
@pytest.mark.parametrize("op", ["add", "mul", "sub", "div", "maximum", "eq", "lt"])
def test_type_promotion_tensors(a_dt, b_dt, op):
    if op == "sub" and (a_dt == np.bool_ or b_dt == np.bool_):
        pytest.skip("bool subtraction raises in both")
    a = (rng.integers(0, 3, (2, 3))).astype(a_dt)
    b = (rng.integers(1, 3, (3,))).astype(b_dt)
    xa, ya = pair(a)
    xb, yb = pair(b)
    assert_close(getattr(nt, op)(xa, xb), getattr(torch, op)(ya, yb), rtol=1e-3)


@pytest.mark.parametrize("dt", [np.int64, np.int32, np.uint8, np.bool_, np.float16, np.float64, np.float32])
@pytest.mark.parametrize("scalar", [2, 2.5, True, -1])
def test_scalar_promotion(dt, scalar):
    a = rng.integers(0, 3, (4,)).astype(dt)
    x, y = pair(a)
    for f in (lambda t: t + scalar, lambda t: t * scalar, lambda t: scalar * t, lambda t: t / 2):
        if dt == np.uint8 and scalar == -1:
            continue
        assert_close(f(x), f(y), rtol=1e-3)


def test_zero_dim_promotion():
    cases = [(np.array([1, 2]), np.array(1.5, dtype=np.float64)),
             (np.array([1.0, 2.0], dtype=np.float32), np.array(1.5, dtype=np.float64)),
             (np.array([1, 2], dtype=np.int32), np.array(1, dtype=np.int64)),
             (np.array(1.5, dtype=np.float64), np.array(2.0, dtype=np.float32))]
    for a, b in cases:
        xa, ya = pair(a)
        xb, yb = pair(b)
        assert_close(xa + xb, ya + yb)
        assert nt.result_type(xa, xb) is getattr(nt, str(torch.result_type(ya, yb)).split(".")[1])


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons(name):
    a = rng.integers(0, 3, (3, 4)).astype(np.float32)
    b = rng.integers(0, 3, (4,)).astype(np.float32)
    xa, ya = pair(a)
    xb, yb = pair(b)
    assert_close(getattr(nt, name)(xa, xb), getattr(torch, name)(ya, yb))
    assert_close(getattr(nt, name)(xa, 1), getattr(torch, name)(ya, 1))
    op = {"eq": "__eq__", "ne": "__ne__", "lt": "__lt__", "le": "__le__", "gt": "__gt__", "ge": "__ge__"}[name]
    assert_close(getattr(xa, op)(xb), getattr(ya, op)(yb))


def test_logical_and_bitwise():
    a = rng.integers(0, 2, (5,)).astype(bool)
    b = rng.integers(0, 2, (5,)).astype(bool)
    xa, ya = pair(a)
    xb, yb = pair(b)
    for f in (lambda p, q: p & q, lambda p, q: p | q, lambda p, q: p ^ q, lambda p, q: ~p,
              lambda p, q: p.logical_and(q), lambda p, q: p.logical_or(q), lambda p, q: p.logical_xor(q),
              lambda p, q: p.logical_not()):
        assert_close(f(xa, xb), f(ya, yb))
    i, j = pair(np.array([3, 5, 12]))
    assert_close(i & 6, j & 6)
    assert_close(~i, ~j)


def test_clamp_variants():
    a = rand(3, 4)
    check_op(lambda x: x.clamp(-0.5, 0.5), lambda x: x.clamp(-0.5, 0.5), a)
    check_op(lambda x: x.clamp(min=0.1), lambda x: x.clamp(min=0.1), a)
    check_op(lambda x: x.clamp(max=0.1), lambda x: x.clamp(max=0.1), a)
    check_op(lambda x: nt.clip(x, -1, 1), lambda x: torch.clip(x, -1, 1), a)
    lo, hi = rand(4, low=-1, high=0), rand(4, low=0, high=1)
    check_op(lambda x, l, h: x.clamp(l, h), lambda x, l, h: x.clamp(l, h), a, lo, hi)
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max'"):
        nt.clamp(nt.tensor(a))
    x, y = pair(np.array([1, 5, 9]))
    assert_close(x.clamp(2, 6), y.clamp(2, 6))
    assert_close(x.clamp(2.5, 6), y.clamp(2.5, 6))


def test_where_and_lerp():
    a, b = rand(3, 4), rand(4)
    c = rand(3, 4) > 0
    cn, ct = nt.tensor(c), torch.tensor(c)
    check_op(lambda x, y: nt.where(cn, x, y), lambda x, y: torch.where(ct, x, y), a, b)
    check_op(lambda x: nt.where(cn, x, 0.0), lambda x: torch.where(ct, x, 0.0), a)
    w = rand(3, 4, low=0, high=1)
    check_op(nt.lerp, torch.lerp, a, b, w)
    check_op(lambda x, y: nt.lerp(x, y, 0.3), lambda x, y: torch.lerp(x, y, 0.3), a, b)
    with pytest.raises(RuntimeError, match="boolean"):
        nt.where(nt.tensor([1, 0]), nt.ones(2), nt.zeros(2))


def test_maximum_ties_split_gradient():
    a = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    b = np.array([1.0, 1.0, 4.0], dtype=np.float32)
    check_op(nt.maximum, torch.maximum, a, b)
    check_op(nt.minimum, torch.minimum, a, b)


def test_relu_grad_at_zero_and_clamp_boundaries():
    a = np.array([-1.0, 0.0, 2.0], dtype=np.float32)
    check_op(nt.relu, torch.relu, a)
    check_op(lambda x: x.clamp(0.0, 2.0), lambda x: x.clamp(0.0, 2.0), a)


def test_division_modes():
    a = np.array([-7, -3, 3, 7])
    b = np.array([2, 2, -2, 3])
    xa, ya = pair(a)
    xb, yb = pair(b)
    for mode in (None, "trunc", "floor"):
        assert_close(nt.div(xa, xb, rounding_mode=mode), torch.div(ya, yb, rounding_mode=mode))
    assert_close(xa // xb, ya // yb)
    assert_close(xa % xb, ya % yb)
    assert_close(nt.fmod(xa, xb), torch.fmod(ya, yb))
    fa = rand(5) * 4
    check_op(lambda x: nt.div(x, 0.7, rounding_mode="floor"), lambda x: torch.div(x, 0.7, rounding_mode="floor"), fa)
    with pytest.raises(RuntimeError, match="rounding_mode"):
        nt.div(xa, xb, rounding_mode="bad")


def test_pow_errors_and_special_cases():
    x, y = pair(np.array([1, 2, 3]))
    assert_close(x ** 2, y ** 2)
    assert_close(x ** 0.5, y ** 0.5)
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        x ** -1
    a = np.array([0.0, 1.0, 2.0], dtype=np.float32)
    check_op(lambda t: t ** 2, lambda t: t ** 2, a)
    check_op(lambda t, e: t ** e, lambda t, e: t ** e, a, np.array([2.0, 0.5, 3.0], dtype=np.float32))


def test_sub_bool_error():
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor is not supported"):
        nt.tensor([True]) - nt.tensor([False])


def test_broadcast_error_message():
    with pytest.raises(Exception) as e1:
        nt.ones(2, 3) + nt.ones(4)
    with pytest.raises(Exception) as e2:
        torch.ones(2, 3) + torch.ones(4)
    assert type(e1.value) is RuntimeError and type(e2.value) is RuntimeError
    assert str(e1.value) == str(e2.value)


def test_predicates_and_nan_to_num():
    a = np.array([1.0, np.nan, np.inf, -np.inf, -0.0], dtype=np.float32)
    x, y = pair(a)
    for name in ("isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit"):
        assert_close(getattr(nt, name)(x), getattr(torch, name)(y))
    assert_close(nt.nan_to_num(x), torch.nan_to_num(y))
    assert_close(nt.nan_to_num(x, nan=1.0, posinf=2.0, neginf=-3.0), torch.nan_to_num(y, nan=1.0, posinf=2.0, neginf=-3.0))
    assert nt.equal(x, x.clone()) is torch.equal(y, y.clone())
    assert nt.equal(nt.ones(2), nt.ones(2)) is True
    assert nt.allclose(nt.ones(3), nt.ones(3) + 1e-9)
    assert_close(nt.isclose(x, x, equal_nan=True), torch.isclose(y, y, equal_nan=True))


def test_xlogy_addcmul_addcdiv():
    a, b, c = rand(3, 4, low=0.1, high=2), rand(3, 4, low=0.1, high=2), rand(4, low=0.5, high=2)
    a[0, 0] = 0.0
    check_op(nt.xlogy, torch.xlogy, a, b, rtol=1e-4)
    check_op(lambda x, y, z: nt.addcmul(x, y, z, value=0.5), lambda x, y, z: torch.addcmul(x, y, z, value=0.5), a, b, c)
    check_op(lambda x, y, z: nt.addcdiv(x, y, z, value=2), lambda x, y, z: torch.addcdiv(x, y, z, value=2), a, b, c)


# ---------------------------------------------------------------- in-place forms
@pytest.mark.parametrize("op", [
    lambda t: t.add_(1.5), lambda t: t.sub_(0.5), lambda t: t.mul_(2), lambda t: t.div_(4),
    lambda t: t.clamp_(-0.5, 0.5), lambda t: t.exp_(), lambda t: t.pow_(2), lambda t: t.sigmoid_(),
    lambda t: t.tanh_(), lambda t: t.relu_(), lambda t: t.abs_(), lambda t: t.neg_(), lambda t: t.sqrt_(),
])
def test_inplace_no_grad_values(op):
    a = rand(3, 4, low=0.1, high=2)
    x, y = pair(a)
    rx, ry = op(x), op(y)
    assert rx is x and ry is y
    assert_close(x, y, rtol=1e-5)
    assert x._version == y._version == 1


@pytest.mark.parametrize("op", [
    lambda t, o: t.add_(o), lambda t, o: t.mul_(o), lambda t, o: t.sub_(o, alpha=2), lambda t, o: t.div_(o),
    lambda t, o: t.mul_(o).exp_(), lambda t, o: t.clamp_(0, 1).add_(o),
])
def test_inplace_on_nonleaf_with_grad(op):
    a, b = rand(3, 4, low=0.5, high=2), rand(4, low=0.5, high=2)

    def run(lib, x, o):
        y = x * 1.5
        op(y, o)
        return y
    check_op(lambda x, o: run(nt, x, o), lambda x, o: run(torch, x, o), a, b)


@pytest.mark.parametrize("op", [lambda t, o: t.exp_().mul_(o), lambda t, o: t.tanh_().add_(1), lambda t, o: t.sigmoid_().mul_(2)])
def test_inplace_after_saving_output_raises_like_torch(op):
    for lib in (nt, torch):
        x = lib.tensor(rand(3), requires_grad=True)
        o = lib.tensor(rand(3), requires_grad=True)
        y = x * 1.5
        op(y, o)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward(lib.ones(3))


@pytest.mark.parametrize("op,name", [(lambda x: x // 0.7, "floor_divide"), (lambda x: 1.5 % x, "remainder")])
def test_not_differentiable_like_torch(op, name):
    for lib in (nt, torch):
        x = lib.tensor([1.5, 2.5], requires_grad=True)
        y = op(x)
        assert_close(op(nt.tensor([1.5, 2.5])), op(torch.tensor([1.5, 2.5])))
        with pytest.raises(RuntimeError, match=f"derivative for aten::{name} is not implemented"):
            y.backward(lib.ones(2))


def test_augmented_assignment_ops():
    a = rand(3, low=0.5, high=2)
    x, y = pair(a)
    for f in (lambda t: t.__iadd__(1), lambda t: t.__isub__(1), lambda t: t.__imul__(3), lambda t: t.__itruediv__(2)):
        f(x)
        f(y)
    assert_close(x, y)
    i, j = pair(np.array([1, 2, 3]))
    i += 2
    j += 2
    assert_close(i, j)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i /= 2
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i.add_(1.5)


def test_inplace_shape_error():
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
        nt.ones(3).add_(nt.ones(2, 3))


def test_out_argument():
    out = nt.empty(3)
    r = nt.add(nt.ones(3), 2, out=out)
    assert r is out
    assert out.tolist() == [3.0, 3.0, 3.0]
    with pytest.raises(RuntimeError, match="out=... arguments don't support automatic differentiation"):
        nt.mul(nt.ones(3, requires_grad=True), 2, out=nt.empty(3))


def test_ndarray_operand_becomes_tensor():
    r = nt.ones(3) + np.ones(3)
    assert isinstance(r, nt.Tensor) and r.dtype is nt.float64
    assert_close(r, torch.ones(3) + np.ones(3))


def test_clamp_tensor_bounds_double_backward():
    x = nt.tensor([0.2, 0.5, 0.9], dtype=nt.float64, requires_grad=True)
    lo = nt.tensor([0.3, 0.1, 0.1], dtype=nt.float64, requires_grad=True)
    hi = nt.tensor([0.8, 0.8, 0.8], dtype=nt.float64, requires_grad=True)
    assert nt.autograd.gradgradcheck(lambda a, b, c: a.clamp(b, c) * a, (x, lo, hi))


@given(st.lists(st.integers(1, 4), min_size=0, max_size=3), st.lists(st.integers(1, 4), min_size=0, max_size=3),
       st.sampled_from(["add", "sub", "mul", "div", "maximum"]))
@settings(max_examples=40, deadline=None)
def test_broadcasting_hypothesis(sa, sb, name):
    """Random broadcastable shapes (1s injected): values and reduced gradients match torch."""
    sb = [1 if i % 2 else s for i, s in enumerate(sb)]
    sa_t, sb_t = tuple(sa), tuple(sb)
    try:
        np.broadcast_shapes(sa_t, sb_t)
    except ValueError:
        with pytest.raises(RuntimeError):
            getattr(nt, name)(nt.ones(*sa_t), nt.ones(*sb_t))
        return
    a = rand(*sa_t, low=0.5, high=2)
    b = rand(*sb_t, low=0.5, high=2)
    check_op(getattr(nt, name), getattr(torch, name), a, b, rtol=1e-4, atol=1e-5)


def test_xlogy_zero_cases_and_where_broadcast_error():
    check_op(nt.xlogy, torch.xlogy, np.array([0.0, 0.0, 1.0, 2.0], np.float32), np.array([0.0, 2.0, 0.5, 3.0], np.float32))
    for L in (nt, torch):
        with pytest.raises(RuntimeError, match="must match the size of tensor b"):
            L.where(L.ones(3) > 0, L.ones(2, 1), L.ones(4))


@pytest.mark.parametrize("name", ["erf", "erfc", "erfinv", "sigmoid", "tanh", "exp"])
def test_unary_zero_dim(name):
    check_op(getattr(nt, name), getattr(torch, name), np.array(0.3, np.float32))
