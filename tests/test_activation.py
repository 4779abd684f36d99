"""softmax / log_softmax / softmin / one_hot against torch."""
import warnings

import numpy as np
import pytest
from helpers import both_raise, assert_close, check_op, gradcheck64, pair, torch

import numtorch as nt
from numtorch._ops.activation import one_hot, softmin

F = torch.nn.functional
rng = np.random.default_rng(0)


def rand(*shape, dtype=np.float32, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(dtype)




@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", [((2, 5), 1), ((2, 5), 0), ((3, 4, 5), -1), ((3, 4, 5), 1), ((7,), 0),
                                       ((), 0), ((), -1), ((0, 3), 1), ((3, 0), 1)])
def test_softmax_matches_torch(name, shape, dim):
    out_n, out_t = check_op(lambda x: getattr(nt, name)(x, dim), lambda x: getattr(torch, name)(x, dim),
                            rand(*shape), rtol=1e-5, atol=1e-6)
    if out_t.grad_fn is not None:
        assert out_n.grad_fn.name() == out_t.grad_fn.name()
    check_op(lambda x: getattr(x, name)(dim=dim), lambda x: getattr(x, name)(dim=dim), rand(*shape), rtol=1e-5,
             atol=1e-6)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_large_logits_and_inf(name):
    big = rand(4, 6, scale=1000.0)
    check_op(lambda x: getattr(nt, name)(x, 1), lambda x: getattr(torch, name)(x, 1), big, rtol=1e-5, atol=1e-5)
    special = np.array([[np.inf, 1.0], [-np.inf, -np.inf], [-np.inf, 0.0], [1000.0, 0.0]], np.float32)
    check_op(lambda x: getattr(nt, name)(x, 1), lambda x: getattr(torch, name)(x, 1), special, grad=False)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_dtype_argument(name):
    a = rand(3, 4)
    out_n, out_t = check_op(lambda x: getattr(nt, name)(x, 1, dtype=nt.float64),
                            lambda x: getattr(torch, name)(x, 1, dtype=torch.float64), a)
    assert out_n.grad_fn.next_functions[0][0].name() == out_t.grad_fn.next_functions[0][0].name()
    check_op(lambda x: getattr(x, name)(0, nt.float64), lambda x: getattr(x, name)(0, torch.float64), a)
    (i, ti) = pair(np.array([[1, 2, 3]]))
    assert_close(getattr(nt, name)(i, 1, dtype=nt.float32), getattr(torch, name)(ti, 1, dtype=torch.float32))
    check_op(lambda x: getattr(nt, name)(x, 1), lambda x: getattr(torch, name)(x, 1), rand(2, 3, dtype=np.float16),
             rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_errors(name):
    (x, t) = pair(rand(2, 3))
    (i, ti) = pair(np.ones((2, 3), np.int64))
    both_raise(lambda: getattr(nt, name)(x), lambda: getattr(torch, name)(t), TypeError)
    both_raise(lambda: x.softmax(), lambda: t.softmax(), TypeError)
    both_raise(lambda: getattr(nt, name)(x, 2), lambda: getattr(torch, name)(t, 2))
    both_raise(lambda: getattr(nt, name)(x, None), lambda: getattr(torch, name)(t, None), TypeError)
    both_raise(lambda: getattr(x, name)(None), lambda: getattr(t, name)(None), TypeError)
    for dim in (0, 1):
        both_raise(lambda: getattr(nt, name)(i, dim), lambda: getattr(torch, name)(ti, dim))
        both_raise(lambda: getattr(nt, name)(i.bool(), dim), lambda: getattr(torch, name)(ti.bool(), dim))
    both_raise(lambda: getattr(nt, name)(x, 1, dtype=nt.int32), lambda: getattr(torch, name)(t, 1, dtype=torch.int32))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_gradcheck_and_double_backward(name):
    f = lambda x: getattr(nt, name)(x, 1)
    gradcheck64(f, rand(3, 4, dtype=np.float64))
    x = nt.tensor(rand(2, 3, dtype=np.float64), requires_grad=True)
    assert nt.autograd.gradgradcheck(f, (x,))
    a = rand(2, 3, dtype=np.float64)
    res = []
    for lib in (nt, torch):
        p = lib.tensor(a.copy(), requires_grad=True)
        w = lib.tensor(np.arange(6.0).reshape(2, 3))
        (g,) = lib.autograd.grad((getattr(lib, name)(p, 1) * w).sum(), p, create_graph=True)
        (g * g).sum().backward()
        res.append(p.grad)
    assert_close(res[0], res[1], rtol=1e-7, atol=1e-9)


def test_softmax_gradient_with_broadcast_upstream():
    # d(sum)/dx flows in as a broadcast (read-only) array
    for name in ("softmax", "log_softmax"):
        (x, t) = pair(rand(3, 4), True)
        (getattr(nt, name)(x, 1) * nt.tensor(rand(1, 4))).sum().backward()
        assert x.grad.shape == (3, 4)


def test_softmin():
    a = rand(3, 4)
    check_op(lambda x: softmin(x, 1), lambda x: F.softmin(x, 1), a)
    check_op(lambda x: softmin(x, 0, dtype=nt.float64), lambda x: F.softmin(x, 0, dtype=torch.float64), a)
    for shape in ((5,), (2, 3), (2, 3, 4), (2, 3, 4, 5)):
        b = rand(*shape)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            check_op(softmin, F.softmin, b)
        assert any("Implicit dimension choice for softmin" in str(m.message) for m in w)
    assert not hasattr(nt, "softmin") and not hasattr(nt, "one_hot")
    gradcheck64(lambda x: softmin(x, 1), rand(2, 3, dtype=np.float64))


@pytest.mark.parametrize("a,n", [(np.array([0, 2, 1]), -1), (np.array([0, 2, 1]), 5), (np.array([[0], [2]]), 3),
                                 (np.array(1), 3), (np.zeros(0, np.int64), 4)])
def test_one_hot(a, n):
    (x, t) = pair(a)
    assert_close(one_hot(x, n), F.one_hot(t, n))


def test_one_hot_errors():
    for a, n in ((np.array([0, -1]), 3), (np.array([0, 3]), 3), (np.array([0.0, 1.0]), 3),
                 (np.array([0, 1], np.int32), 3), (np.zeros(0, np.int64), -1), (np.array([0]), 0),
                 (np.array([0]), -2), (np.array([True]), 3)):
        (x, t) = pair(a)
        both_raise(lambda: one_hot(x, n), lambda: F.one_hot(t, n))
