"""Tensor attributes, repr, conversions, dtypes and factories against torch."""
import copy
import pickle

import numpy as np
import pytest

import numtorch as nt
from helpers import assert_close, pair, torch

REPR_CASES = [
    lambda L: L.tensor([1, 2]),
    lambda L: L.tensor([1.0, 2.5], dtype=L.float64),
    lambda L: L.tensor(3.0),
    lambda L: L.tensor(2, dtype=L.int32),
    lambda L: L.zeros(2, dtype=L.float16),
    lambda L: L.tensor([True, False]),
    lambda L: L.tensor([1e-5, 1e5]),
    lambda L: L.tensor([123456789.0, 1.0]),
    lambda L: L.tensor([0.1, 0.25]),
    lambda L: L.tensor([1, 2], dtype=L.uint8),
    lambda L: L.empty(0),
    lambda L: L.empty(2, 0),
    lambda L: L.tensor([1.0, float("nan"), float("inf"), -float("inf")]),
    lambda L: L.tensor([[1.5, 2.0], [3.0, 4.0]], dtype=L.float64, requires_grad=True),
    lambda L: L.arange(1000.0),
    lambda L: L.arange(2000).reshape(2, 1000),
    lambda L: L.arange(24.0).reshape(2, 3, 4),
    lambda L: L.arange(4000.0).reshape(2, 2, 1000) / 7,
    lambda L: L.tensor([[0.0, 0.0]]),
    lambda L: L.tensor([[-1.0, 0.5], [100.25, 3.0]]),
    lambda L: L.tensor([-0.0, 2.0]),
    lambda L: L.ones(3, requires_grad=True) * 2,
]


@pytest.mark.parametrize("case", range(len(REPR_CASES)))
def test_repr_matches_torch(case):
    f = REPR_CASES[case]
    assert repr(f(nt)) == repr(f(torch))


def test_attributes():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    x, y = pair(a)
    assert x.shape == y.shape and repr(x.shape) == repr(y.shape) == "torch.Size([2, 3])"
    assert x.size() == y.size() and x.size(1) == 3 and x.size(-1) == 3
    assert x.dim() == x.ndim == 2 and x.numel() == 6 and x.nelement() == 6
    assert str(x.dtype) == "torch.float32" and x.device == nt.device("cpu") and str(x.device) == "cpu"
    assert x.stride() == y.stride() and x.element_size() == 4
    assert x.is_contiguous() and x.is_floating_point() and not x.is_complex()
    assert x.tolist() == y.tolist() and x.type() == y.type() == "torch.FloatTensor"
    assert nt.tensor([1]).type() == "torch.LongTensor"
    assert len(x) == 2 and x.is_leaf and x.grad is None and x.grad_fn is None
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.size(2)
    assert repr(nt.device("cpu")) == repr(torch.device("cpu"))


def test_item_and_numpy():
    x = nt.tensor([[2.5]])
    assert x.item() == 2.5 and isinstance(x.item(), float)
    assert nt.tensor([3]).item() == 3 and isinstance(nt.tensor([3]).item(), int)
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        nt.ones(2).item()
    r = nt.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        r.numpy()
    assert isinstance(r.detach().numpy(), np.ndarray)


def test_from_numpy_shares_memory_tensor_copies():
    a = np.zeros(3, dtype=np.float64)
    t = nt.from_numpy(a)
    a[0] = 5
    assert t[0].item() == 5 if hasattr(nt.Tensor, "__getitem__") else t.tolist()[0] == 5
    assert t.dtype is nt.float64
    c = nt.tensor(a)
    a[1] = 7
    assert c.tolist()[1] == 0
    s = nt.as_tensor(a)
    a[2] = 9
    assert s.tolist()[2] == 9


@pytest.mark.parametrize("data", [[1, 2], [1.0, 2], [True, False], [[1, 2], [3, 4]], 3, 2.5, True,
                                  np.array([1, 2], dtype=np.int32), np.array([1.0], dtype=np.float64)])
def test_tensor_dtype_inference(data):
    assert str(nt.tensor(data).dtype) == str(torch.tensor(data).dtype)
    assert nt.tensor(data).tolist() == torch.tensor(data).tolist()


def test_default_dtype():
    assert nt.get_default_dtype() is nt.float32
    nt.set_default_dtype(nt.float64)
    try:
        assert nt.tensor([1.0]).dtype is nt.float64
        assert nt.zeros(2).dtype is nt.float64
        assert (nt.tensor([1, 2]) / 2).dtype is nt.float64
    finally:
        nt.set_default_dtype(nt.float32)
    with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
        nt.set_default_dtype(nt.int64)


def test_dtype_objects():
    assert nt.float is nt.float32 and nt.double is nt.float64 and nt.long is nt.int64 and nt.half is nt.float16
    assert nt.float32.is_floating_point and not nt.int64.is_floating_point
    assert nt.promote_types(nt.int32, nt.float16) is nt.float16
    assert nt.promote_types(nt.uint8, nt.int8) is nt.int16
    assert nt.finfo(nt.float32).eps == torch.finfo(torch.float32).eps
    assert nt.iinfo(nt.int8).max == 127
    assert nt.can_cast(nt.int64, nt.float32) == torch.can_cast(torch.int64, torch.float32)
    assert nt.can_cast(nt.float32, nt.int32) == torch.can_cast(torch.float32, torch.int32)


@pytest.mark.parametrize("method", ["float", "double", "half", "long", "int", "bool", "short", "byte", "char"])
def test_cast_methods(method):
    x, y = pair(np.array([1.5, -2.0, 0.0], dtype=np.float32))
    assert_close(getattr(x, method)(), getattr(y, method)())


def test_to_and_type_as_and_grad_through_cast():
    x, y = pair(np.array([1.5, -2.0], dtype=np.float32), requires_grad=True)
    for t, L in ((x, nt), (y, torch)):
        d = t.to(L.float64)
        assert d.dtype == L.float64
        (d * d).backward(L.ones(2, dtype=L.float64))
    assert_close(x.grad, y.grad)
    assert x.to("cpu") is x and x.to(nt.float32) is x
    assert nt.ones(2).type_as(nt.tensor([1])).dtype is nt.int64
    assert x.double().grad_fn.name() == "ToCopyBackward0"
    with pytest.raises((AssertionError, RuntimeError)):
        x.to("cuda")


def test_clone_contiguous_copy():
    x, y = pair(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    for t, L in ((x, nt), (y, torch)):
        c = t.clone()
        assert c.grad_fn is not None
        (c * 3).backward(L.ones(2))
    assert_close(x.grad, y.grad)
    z = nt.zeros(2)
    src = nt.tensor([1.0, 2.0], requires_grad=True)
    w = z * 1.0
    w.copy_(src)
    (w * 2).backward(nt.ones(2))
    assert src.grad.tolist() == [2.0, 2.0]


def test_factories_match_torch():
    for f in (lambda L: L.zeros(2, 3), lambda L: L.ones((2, 3)), lambda L: L.full((2,), 7),
              lambda L: L.full((2,), 7.0), lambda L: L.full((2,), True), lambda L: L.arange(5),
              lambda L: L.arange(1, 4, 0.5), lambda L: L.arange(0, 1, 0.1), lambda L: L.arange(5.0),
              lambda L: L.linspace(0, 1, 5), lambda L: L.logspace(0, 2, 3), lambda L: L.eye(3),
              lambda L: L.eye(2, 3, dtype=L.int64), lambda L: L.zeros_like(L.ones(2, dtype=L.int32)),
              lambda L: L.ones_like(L.ones(2)), lambda L: L.full_like(L.ones(2), 3.5),
              lambda L: L.ones(2).new_zeros(3), lambda L: L.ones(2, dtype=L.float64).new_ones((2, 2)),
              lambda L: L.tensor([1]).new_full((2,), 4), lambda L: L.ones(1).new_tensor([1, 2]),
              lambda L: L.empty(2, 3).shape, lambda L: L.tril_indices(3, 3), lambda L: L.triu_indices(3, 4, 1),
              lambda L: L.scalar_tensor(3)):
        r1, r2 = f(nt), f(torch)
        if isinstance(r2, torch.Tensor):
            assert_close(r1, r2)
        else:
            assert r1 == r2
    assert nt.zeros(2, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="Trying to create tensor with negative dimension"):
        nt.zeros(-1)


def test_random_reproducible_and_distributions():
    nt.manual_seed(0)
    a = nt.rand(1000)
    nt.manual_seed(0)
    b = nt.rand(1000)
    assert nt.equal(a, b) and a.dtype is nt.float32
    assert 0 <= a.numpy().min() and a.numpy().max() < 1
    n = nt.randn(20000).numpy()
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1) < 0.05
    g = nt.Generator().manual_seed(3)
    g2 = nt.Generator().manual_seed(3)
    assert nt.equal(nt.randn(5, generator=g), nt.randn(5, generator=g2))
    r = nt.randint(0, 5, (1000,))
    assert r.dtype is nt.int64 and r.numpy().min() >= 0 and r.numpy().max() <= 4
    assert nt.randint(3, (2, 2)).shape == (2, 2)
    p = nt.randperm(10)
    assert sorted(p.tolist()) == list(range(10))
    m = nt.normal(2.0, 3.0, size=(20000,)).numpy()
    assert abs(m.mean() - 2) < 0.1 and abs(m.std() - 3) < 0.1
    mt = nt.normal(nt.zeros(3), nt.ones(3))
    assert mt.shape == (3,)
    bern = nt.bernoulli(nt.full((20000,), 0.3)).numpy()
    assert abs(bern.mean() - 0.3) < 0.02
    w = nt.tensor([0.0, 1.0, 3.0])
    s = nt.multinomial(w, 4000, replacement=True).numpy()
    assert (s != 0).all() and abs((s == 2).mean() - 0.75) < 0.03
    s2 = nt.multinomial(w, 2)
    assert sorted(s2.tolist()) == [1, 2]
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size"):
        nt.multinomial(w, 4)
    st = nt.get_rng_state()
    x1 = nt.rand(3)
    nt.set_rng_state(st)
    assert nt.equal(nt.rand(3), x1)


def test_inplace_random_fills():
    x = nt.empty(10000)
    x.uniform_(-2, 3)
    assert x.numpy().min() >= -2 and x.numpy().max() < 3
    x.normal_(1.0, 0.5)
    assert abs(x.numpy().mean() - 1) < 0.05
    x.fill_(2.5)
    assert set(x.tolist()) == {2.5}
    x.zero_()
    assert x.numpy().sum() == 0 and x._version == 4
    y = nt.empty(1000, dtype=nt.int64).random_(0, 5)
    assert y.numpy().max() <= 4
    p = nt.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        p.fill_(1.0)


def test_legacy_constructors():
    assert nt.Tensor(2, 3).shape == (2, 3)
    assert nt.Tensor([1, 2]).dtype is nt.float32
    assert nt.FloatTensor([1, 2]).dtype is nt.float32
    assert nt.LongTensor([1, 2]).dtype is nt.int64


def test_pickle_and_deepcopy():
    x = nt.tensor([1.0, 2.0], requires_grad=True)
    y = pickle.loads(pickle.dumps(x))
    assert y.tolist() == [1.0, 2.0] and y.requires_grad
    z = copy.deepcopy(x)
    assert z.tolist() == x.tolist() and z is not x and z.requires_grad
    with pytest.raises(RuntimeError, match="Only Tensors created explicitly by the user"):
        copy.deepcopy(x * 2)


def test_grad_setter_validation():
    x = nt.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="assigned grad has data of a different size"):
        x.grad = nt.ones(3)
    x.grad = nt.ones(2)
    assert x.grad.tolist() == [1.0, 1.0]


def test_format_of_scalars():
    assert f"{nt.tensor(2.5):.2f}" == f"{torch.tensor(2.5):.2f}"
