"""Adaptive and fractional pooling, pooling error messages and the pooling modules,
differentially vs torch (see test_pooling.py for max / avg / lp / unpool)."""
import numpy as np
import pytest

import numtorch as nt
import numtorch.nn as nnn
import numtorch.nn.functional as NF

from helpers import assert_close, both_raise, check_op, gradcheck64, pair

torch = pytest.importorskip("torch")
TF = torch.nn.functional

rng = np.random.default_rng(1)


def rand(*s, dtype=np.float32):
    return rng.standard_normal(s).astype(dtype)


def compare_idx(out_n, out_t, x, y):
    assert_close(out_n[0], out_t[0])
    assert np.array_equal(out_n[1].numpy(), out_t[1].numpy()), f"\n{out_n[1].numpy()}\n{out_t[1].numpy()}"
    if y.requires_grad:
        g = rand(*out_t[0].shape)
        out_n[0].backward(nt.tensor(g))
        out_t[0].backward(torch.tensor(g))
        assert_close(x.grad, y.grad)
        assert out_n[0].grad_fn.name() == out_t[0].grad_fn.name()


# ------------------------------------------------------------------ adaptive
ADAPT = [  # (nd, input shape, output_size)
    (1, (2, 3, 9), 3), (1, (2, 3, 10), 4), (1, (3, 5), 7), (1, (2, 3, 8), 1), (1, (2, 3, 6), (6,)),
    (2, (2, 3, 8, 8), 4), (2, (2, 3, 7, 9), (3, 4)), (2, (3, 5, 6), (7, 2)), (2, (2, 3, 8, 8), 1),
    (2, (2, 3, 6, 9), (None, 4)), (2, (2, 3, 6, 9), (2, 1)), (2, (0, 3, 6, 6), 3),
    (3, (1, 2, 4, 6, 5), 2), (3, (2, 4, 6, 5), (3, None, 2)), (3, (1, 2, 4, 4, 4), 1), (3, (1, 2, 3, 5, 4), (4, 2, 3)),
]


@pytest.mark.parametrize("nd,shape,osz", ADAPT)
def test_adaptive_avg(nd, shape, osz):
    check_op(lambda x: getattr(NF, f"adaptive_avg_pool{nd}d")(x, osz),
             lambda x: getattr(TF, f"adaptive_avg_pool{nd}d")(x, osz), rand(*shape))
    x, y = pair(rand(*shape), True)
    assert (getattr(NF, f"adaptive_avg_pool{nd}d")(x, osz).grad_fn.name() ==
            getattr(TF, f"adaptive_avg_pool{nd}d")(y, osz).grad_fn.name())


@pytest.mark.parametrize("nd,shape,osz", ADAPT)
def test_adaptive_max(nd, shape, osz):
    a = rand(*shape)
    x, y = pair(a, True)
    compare_idx(getattr(NF, f"adaptive_max_pool{nd}d")(x, osz, True),
                getattr(TF, f"adaptive_max_pool{nd}d")(y, osz, True), x, y)
    check_op(lambda x: getattr(NF, f"adaptive_max_pool{nd}d")(x, osz),
             lambda x: getattr(TF, f"adaptive_max_pool{nd}d")(x, osz), a)
    x, y = pair(a)
    assert_close(getattr(NF, f"adaptive_max_pool{nd}d_with_indices")(x, osz),
                 getattr(TF, f"adaptive_max_pool{nd}d_with_indices")(y, osz))


def test_adaptive_empty_output():
    # torch's backward rejects an empty grad_output; forward only
    for nd, shape in ((1, (2, 3, 5)), (2, (2, 3, 5, 5)), (3, (1, 2, 3, 4, 5))):
        x, y = pair(rand(*shape))
        assert_close(getattr(NF, f"adaptive_avg_pool{nd}d")(x, 0), getattr(TF, f"adaptive_avg_pool{nd}d")(y, 0))
        assert_close(getattr(NF, f"adaptive_max_pool{nd}d")(x, 0, True), getattr(TF, f"adaptive_max_pool{nd}d")(y, 0, True))


def test_adaptive_max_ties_nan():
    a = rng.integers(0, 3, (2, 2, 7, 9)).astype(np.float32)
    b = rand(2, 2, 7, 9)
    b[rng.random(b.shape) < 0.2] = np.nan
    b[rng.random(b.shape) < 0.2] = -np.inf
    for arr in (a, b):
        for osz in [(3, 4), (7, 9), (10, 3), 2]:
            x, y = pair(arr)
            compare_idx(NF.adaptive_max_pool2d(x, osz, True), TF.adaptive_max_pool2d(y, osz, True), x, y)
        x, y = pair(arr[0])
        compare_idx(NF.adaptive_max_pool1d(x, 4, True), TF.adaptive_max_pool1d(y, 4, True), x, y)
        x, y = pair(arr[None])
        compare_idx(NF.adaptive_max_pool3d(x, (2, 3, 4), True), TF.adaptive_max_pool3d(y, (2, 3, 4), True), x, y)


def test_adaptive_double_backward_and_gradcheck():
    for shape, fn in [((1, 2, 7, 8), lambda F, x: F.adaptive_avg_pool2d(x, (3, 4))),
                      ((1, 2, 7, 8), lambda F, x: F.adaptive_avg_pool2d(x, 2)),
                      ((1, 2, 7, 8), lambda F, x: F.adaptive_max_pool2d(x, (3, 4))),
                      ((1, 2, 3, 7, 8), lambda F, x: F.adaptive_max_pool3d(x, 2)),
                      ((2, 3, 7, 8), lambda F, x: F.adaptive_avg_pool3d(x, (2, 3, 3)))]:
        outs = []
        a = rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0
        for lib, F in ((nt, NF), (torch, TF)):
            x = lib.tensor(a, requires_grad=True)
            y = fn(F, x)
            v = lib.tensor(np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)), requires_grad=True)
            (g,) = lib.autograd.grad(y, x, v, create_graph=True)
            (g * lib.tensor(np.cos(np.arange(g.numel())).reshape(tuple(g.shape)))).sum().backward()
            outs.append((g.grad_fn.name(), v.grad))
        assert outs[0][0] == outs[1][0]
        assert_close(outs[0][1], outs[1][1])
    a = rng.permutation(2 * 2 * 7 * 6).reshape(2, 2, 7, 6) / 10.0
    gradcheck64(lambda x: NF.adaptive_avg_pool2d(x, (3, 4)), a)
    gradcheck64(lambda x: NF.adaptive_avg_pool1d(x[0], 4), a)
    gradcheck64(lambda x: NF.adaptive_max_pool2d(x, (3, 4)), a)
    gradcheck64(lambda x: NF.adaptive_max_pool3d(x[None], (2, 3, 3)), a)


# ------------------------------------------------------------------ fractional
FRAC = [  # (nd, shape, kernel, output_size, output_ratio)
    (2, (2, 3, 9, 8), 2, 4, None), (2, (2, 3, 9, 8), (3, 2), (5, 6), None), (2, (3, 7, 7), 2, None, (0.5, 0.7)),
    (2, (2, 2, 10, 12), 3, (8, 1), None), (3, (1, 2, 6, 7, 8), 2, 3, None), (3, (2, 6, 7, 8), (2, 3, 1), (3, 4, 5), None),
    (3, (1, 2, 6, 7, 8), 2, None, 0.5),
]


@pytest.mark.parametrize("nd,shape,k,osz,ratio", FRAC)
def test_fractional(nd, shape, k, osz, ratio):
    a = rand(*shape)
    n = 1 if len(shape) == nd + 1 else shape[0]
    u = rng.random((n, shape[-nd - 1], nd)).astype(np.float32)
    x, y = pair(a, True)
    fn_n, fn_t = getattr(NF, f"fractional_max_pool{nd}d"), getattr(TF, f"fractional_max_pool{nd}d")
    compare_idx(fn_n(x, k, osz, ratio, True, nt.tensor(u)), fn_t(y, k, osz, ratio, True, torch.tensor(u)), x, y)
    x, y = pair(a)
    assert_close(getattr(NF, f"fractional_max_pool{nd}d_with_indices")(x, k, osz, ratio, _random_samples=nt.tensor(u)),
                 getattr(TF, f"fractional_max_pool{nd}d_with_indices")(y, k, osz, ratio,
                                                                       _random_samples=torch.tensor(u)))
    # numtorch's own samples: same shapes, and the gradient lands on the returned indices
    x = nt.tensor(a, requires_grad=True)
    o, i = fn_n(x, k, osz, ratio, True)
    assert tuple(o.shape) == tuple(fn_t(y, k, osz, ratio).shape)
    o.sum().backward()
    flat = x.grad.numpy().reshape(-1, int(np.prod(shape[-nd:])))
    assert flat.sum() == o.numel()
    assert np.all(np.take_along_axis(flat, i.numpy().reshape(flat.shape[0], -1), 1) >= 1)


def test_fractional_ties_nan_double_gradcheck():
    a = rng.integers(0, 3, (2, 3, 9, 9)).astype(np.float64)
    a[0, 0, 2, :] = np.nan
    u = rng.random((2, 3, 2))
    x, y = pair(a)
    compare_idx(NF.fractional_max_pool2d(x, 3, 5, return_indices=True, _random_samples=nt.tensor(u)),
                TF.fractional_max_pool2d(y, 3, 5, return_indices=True, _random_samples=torch.tensor(u)), x, y)
    outs = []
    for lib, F in ((nt, NF), (torch, TF)):
        x = lib.tensor(rand(2, 3, 9, 9, dtype=np.float64), requires_grad=True)
        x.data.copy_(lib.tensor(np.arange(2 * 3 * 81).reshape(2, 3, 9, 9) % 17 / 3.0))
        y = F.fractional_max_pool2d(x, 2, (4, 5), _random_samples=lib.tensor(u))
        v = lib.tensor(np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)), requires_grad=True)
        (g,) = lib.autograd.grad(y, x, v, create_graph=True)
        g.pow(2).sum().backward()
        outs.append((g.grad_fn.name(), v.grad))
    assert outs[0][0] == outs[1][0]
    assert_close(outs[0][1], outs[1][1])
    b = rng.permutation(2 * 3 * 81).reshape(2, 3, 9, 9) / 10.0
    gradcheck64(lambda t: NF.fractional_max_pool2d(t, 2, 4, _random_samples=nt.tensor(u)), b)
    u3 = nt.tensor(rng.random((1, 2, 3)))
    gradcheck64(lambda t: NF.fractional_max_pool3d(t[None], 2, (1, 3, 3), _random_samples=u3), b)


# ------------------------------------------------------------------ errors
def _errs():
    x1, x2, x3 = rand(2, 3, 8), rand(2, 3, 8, 9), rand(1, 2, 5, 6, 7)
    i2 = np.zeros((2, 3, 4, 4), np.int64)
    return [
        # max_pool2d / 3d
        ("max_pool2d", x2, (3,), dict(padding=2)), ("max_pool2d", x2, (3,), dict(padding=2, dilation=2)),
        ("max_pool2d", x2, (3,), dict(padding=3, dilation=2)), ("max_pool2d", x2, (0,), dict(stride=1)),
        ("max_pool2d", x2, ((2, 0),), dict(stride=1)), ("max_pool2d", x2, (2,), dict(stride=(1, 0))),
        ("max_pool2d", x2, (2,), dict(stride=-1)), ("max_pool2d", x2, (2,), dict(dilation=(1, 0))),
        ("max_pool2d", x2, (3,), dict(padding=(0, -1))), ("max_pool2d", x2, ((9, 2),), {}),
        ("max_pool2d", x2[0], ((2, 10),), {}), ("max_pool2d", x2[0, 0], (2,), {}), ("max_pool2d", x2[None], (2,), {}),
        ("max_pool2d", x2[:, :0], (2,), {}), ("max_pool2d", x2[0, :0], (2,), {}), ("max_pool2d", x2, ((2, 2, 2),), {}),
        ("max_pool2d", x2, (2,), dict(stride=(1, 1, 1))), ("max_pool2d", x2, (2,), dict(padding=(1, 1, 1))),
        ("max_pool2d", x2, (2,), dict(dilation=(1, 1, 1))), ("max_pool2d", x2.astype(bool), (2,), {}),
        ("max_pool2d", x2, (2.0,), {}), ("max_pool2d", x2, ((2, 2.0),), {}), ("max_pool2d", x2, (True,), {}),
        ("max_pool2d", x2, (3,), dict(padding=(1, 3), dilation=(1, 3))),
        ("max_pool2d", x2, (3,), dict(padding=2, return_indices=True)),
        ("max_pool3d", x3, (3,), dict(padding=(0, 0, 2))), ("max_pool3d", x3, (0,), dict(stride=1)),
        ("max_pool3d", x3, (2,), dict(stride=-1)), ("max_pool3d", x3, (2,), dict(dilation=(1, 0, 1))),
        ("max_pool3d", x3, ((2, 2, 8),), {}), ("max_pool3d", x3[0, 0], (2,), {}), ("max_pool3d", x3[:, :0], (2,), {}),
        ("max_pool3d", x3[0, :, :, :, :0], (2,), {}), ("max_pool3d", x3, ((2, 2),), {}),
        ("max_pool3d", x3, (3,), dict(padding=(1, 1, 2), dilation=(1, 1, 3))), ("max_pool3d", x3, (3,), dict(dilation=4)),
        ("max_pool3d", x3.astype(bool), (2,), {}),
        # max_pool1d, both paths
        ("max_pool1d", x1, (3,), dict(padding=2)), ("max_pool1d", x1, (0,), {}), ("max_pool1d", x1, (2,), dict(stride=0)),
        ("max_pool1d", x1, (2,), dict(dilation=0)), ("max_pool1d", x1, (2,), dict(padding=-1)),
        ("max_pool1d", x1, ((2, 2),), {}), ("max_pool1d", x1, (2,), dict(stride=(1, 1))), ("max_pool1d", x1, (10,), {}),
        ("max_pool1d", x1, (2,), dict(padding=(1, 1))), ("max_pool1d", x1, (2,), dict(dilation=(1, 1))),
        ("max_pool1d", x1[0, 0], (2,), {}), ("max_pool1d", x1[:, :0], (2,), {}), ("max_pool1d", x1[..., :0], (2,), {}),
        ("max_pool1d", x1.astype(np.int64), (2,), {}), ("max_pool1d", x1, (2.0,), {}),
        ("max_pool1d", x1, (3,), dict(padding=2, return_indices=True)),
        ("max_pool1d", x1, ((2, 2),), dict(return_indices=True)),
        ("max_pool1d", x1, (2,), dict(stride=(1, 1), return_indices=True)),
        ("max_pool1d", x1[0, 0], (2,), dict(return_indices=True)), ("max_pool1d", x1[None], (2,), dict(return_indices=True)),
        ("max_pool1d", x1, (2,), dict(dilation=0, return_indices=True)),
        ("max_pool1d", x1[:, :0], (2,), dict(return_indices=True)), ("max_pool1d", x1, (10,), dict(return_indices=True)),
        # avg_pool
        ("avg_pool2d", x2, (3,), dict(padding=2)), ("avg_pool2d", x2, (0,), {}), ("avg_pool2d", x2, (2,), dict(stride=0)),
        ("avg_pool2d", x2, ((2, 10),), {}), ("avg_pool2d", x2, (2,), dict(divisor_override=0)),
        ("avg_pool2d", x2, (2,), dict(divisor_override=1.5)), ("avg_pool2d", x2[0, 0], (2,), {}),
        ("avg_pool2d", x2[0, 0], (2,), dict(divisor_override=0)), ("avg_pool2d", x2[None], (2,), {}),
        ("avg_pool2d", x2[:, :0], (2,), {}), ("avg_pool2d", x2[:, :, :0], (2,), {}),
        ("avg_pool2d", x2.astype(np.int32), (2,), {}), ("avg_pool2d", x2.astype(np.uint8), (2,), {}),
        ("avg_pool2d", x2, ((2, 2, 2),), {}), ("avg_pool2d", x2, (2,), dict(stride=(1, 1, 1))),
        ("avg_pool2d", x2, (2,), dict(padding=-1)), ("avg_pool2d", x2, (3,), dict(stride=-1)),
        ("avg_pool3d", x3, (3,), dict(padding=2)), ("avg_pool3d", x3, ((6, 2, 2),), {}),
        ("avg_pool3d", x3, ((2, 2, 8),), dict(padding=1)), ("avg_pool3d", x3, (2,), dict(divisor_override=0)),
        ("avg_pool3d", x3[0, 0], (2,), dict(divisor_override=0)), ("avg_pool3d", x3[:, :0], (2,), {}),
        ("avg_pool3d", x3.astype(np.float16), (2,), {}), ("avg_pool3d", x3, ((2, 2),), {}),
        ("avg_pool3d", x3, (2,), dict(stride=(1, 1))), ("avg_pool3d", x3, (2,), dict(padding=(1, 1))),
        ("avg_pool3d", x3, (0,), dict(stride=1)),
        ("avg_pool1d", x1, (3,), dict(padding=2)), ("avg_pool1d", x1, (10,), {}), ("avg_pool1d", x1[0, 0], (2,), {}),
        ("avg_pool1d", x1, ((2, 2),), {}), ("avg_pool1d", x1, (2,), dict(stride=(1, 1))),
        ("avg_pool1d", x1, (2,), dict(padding=(1, 1))), ("avg_pool1d", x1.astype(np.int8), (2,), {}),
        # lp_pool
        ("lp_pool2d", x2, (0, 2), {}), ("lp_pool2d", x2, (2, (2, 2, 2)), {}), ("lp_pool1d", x1, (2, (2, 2)), {}),
        ("lp_pool3d", x3, (2, (2, 2)), {}),
        # adaptive
        ("adaptive_avg_pool1d", x1, (-1,), {}), ("adaptive_avg_pool1d", x1, (None,), {}),
        ("adaptive_avg_pool1d", x1, ((2, 2),), {}), ("adaptive_avg_pool1d", x1, ((None,),), {}),
        ("adaptive_avg_pool1d", x1[0, 0], (2,), {}), ("adaptive_avg_pool1d", x1[..., :0], (2,), {}),
        ("adaptive_avg_pool1d", x1.astype(np.int64), (2,), {}), ("adaptive_avg_pool1d", x1, (2.0,), {}),
        ("adaptive_max_pool1d", x1, (-1,), {}), ("adaptive_max_pool1d", x1, ((2, 2),), {}),
        ("adaptive_max_pool1d", x1[0, 0], (2,), {}), ("adaptive_max_pool1d", x1[:, :0], (2,), {}),
        ("adaptive_max_pool1d", x1.astype(np.int64), (2,), {}),
        ("adaptive_avg_pool2d", x2, (-1,), {}), ("adaptive_avg_pool2d", x2, (None,), {}),
        ("adaptive_avg_pool2d", x2, ((2, 2, 2),), {}), ("adaptive_avg_pool2d", x2[0, 0], (2,), {}),
        ("adaptive_avg_pool2d", x2[..., :0], (2,), {}), ("adaptive_avg_pool2d", x2[0, ..., :0], (2,), {}),
        ("adaptive_avg_pool2d", x2.astype(np.int64), (2,), {}), ("adaptive_avg_pool2d", x2, (2.0,), {}),
        ("adaptive_avg_pool2d", x2, ((2.0, 2),), {}), ("adaptive_avg_pool2d", x2[0, 0, 0], ((2, 2),), {}),
        ("adaptive_avg_pool2d", x2[None, None], ((-1, 2),), {}), ("adaptive_avg_pool2d", x2.astype(np.int64), ((-1, 2),), {}),
        ("adaptive_max_pool2d", x2, (-1,), {}), ("adaptive_max_pool2d", x2, ((2, 2, 2),), {}),
        ("adaptive_max_pool2d", x2[0, 0], (2,), {}), ("adaptive_max_pool2d", x2[:, :0], (2,), {}),
        ("adaptive_max_pool2d", x2.astype(np.int64), (2,), {}), ("adaptive_max_pool2d", x2[0, 0], ((1, 2, 3),), {}),
        ("adaptive_avg_pool3d", x3, (-1,), {}), ("adaptive_avg_pool3d", x3, ((2, 2),), {}),
        ("adaptive_avg_pool3d", x3[0, 0], (2,), {}), ("adaptive_avg_pool3d", x3[:, :0], (2,), {}),
        ("adaptive_avg_pool3d", x3.astype(np.int64), (2,), {}),
        ("adaptive_max_pool3d", x3, (-1,), {}), ("adaptive_max_pool3d", x3, ((2, 2),), {}),
        ("adaptive_max_pool3d", x3[0, 0], (2,), {}), ("adaptive_max_pool3d", x3[:, :0], (2,), {}),
        # fractional
        ("fractional_max_pool2d", x2, (2,), {}), ("fractional_max_pool2d", x2, (2,), dict(output_ratio=0.5)),
        ("fractional_max_pool2d", x2, (2,), dict(output_size=8)),
        ("fractional_max_pool2d", x2, (2,), dict(output_size=(7, 9))),
        ("fractional_max_pool2d", x2, (9,), dict(output_size=3)), ("fractional_max_pool2d", x2[0, 0], (2,), dict(output_size=3)),
        ("fractional_max_pool2d", x2.astype(np.int64), (2,), dict(output_size=3)),
        ("fractional_max_pool2d", x2[:, :0], (2,), dict(output_size=3)),
        ("fractional_max_pool2d", x2, ((2, 2, 2),), dict(output_size=3)),
        ("fractional_max_pool2d", x2, (2,), dict(output_size=(2, 2, 2))), ("fractional_max_pool2d", x2, (2.0,), dict(output_size=2)),
        ("fractional_max_pool3d", x3, (2,), {}), ("fractional_max_pool3d", x3, (2,), dict(output_size=5)),
        ("fractional_max_pool3d", x3, (6,), dict(output_size=3)), ("fractional_max_pool3d", x3[0, 0], (2,), dict(output_size=3)),
        ("fractional_max_pool3d", x3, (2,), dict(output_ratio=1.0)), ("fractional_max_pool3d", x3[:, :0], (2,), dict(output_size=3)),
        # unpool
        ("max_unpool2d", rand(2, 3, 4, 4), (i2.astype(np.int32), 2), {}), ("max_unpool2d", rand(2, 3, 4, 4), (i2[:1], 2), {}),
        ("max_unpool2d", rand(4, 4), (i2[0, 0], 2), {}), ("max_unpool2d", rand(2, 3, 4, 4), (i2 + 64, 2), {}),
        ("max_unpool2d", rand(2, 3, 4, 4), (i2 - 1, 2), {}), ("max_unpool2d", rand(2, 0, 4, 4), (i2[:, :0], 2), {}),
        ("max_unpool2d", rand(2, 3, 4, 4), (i2, 2), dict(output_size=[11, 12])),
        ("max_unpool2d", rand(2, 3, 4, 4), (i2, 2), dict(output_size=(5, 6, 7))),
        ("max_unpool2d", rand(2, 3, 4, 4), (i2, 2), dict(output_size=(7, 5))),
        ("max_unpool2d", rand(2, 3, 4, 4), (i2, 2.0), {}), ("max_unpool2d", rand(2, 3, 4, 4), (i2, (2, 2, 2)), {}),
        ("max_unpool1d", rand(2, 3, 4), (i2[..., 0] + 5, 2, 1), {}), ("max_unpool1d", rand(2, 3, 4), (i2[..., 0], 2), dict(output_size=[5, 5, 5, 5])),
        ("max_unpool3d", rand(1, 2, 2, 2, 2), (i2[:1, :2, :2, :2, None].repeat(2, -1).astype(np.int32), 2), {}),
        ("max_unpool3d", rand(1, 2, 2, 2, 2), (np.zeros((1, 1, 2, 2, 2), np.int64), 2), {}),
        ("max_unpool3d", rand(1, 2, 2, 2, 2), (np.zeros((1, 2, 2, 2, 2), np.int64), 2, 0), {}),
        ("max_unpool3d", rand(2, 2, 2), (np.zeros((2, 2, 2), np.int64), 2), {}),
        ("max_unpool3d", rand(1, 2, 2, 2, 2), (np.full((1, 2, 2, 2, 2), 70), 2), {}),
    ]


@pytest.mark.parametrize("case", range(len(_errs())))
def test_errors(case):
    fn, a, args, kw = _errs()[case]

    def call(lib, F):
        conv = [lib.tensor(v) if isinstance(v, np.ndarray) else v for v in args]
        return getattr(F, fn)(lib.tensor(a), *conv, **kw)
    both_raise(lambda: call(nt, NF), lambda: call(torch, TF))


def test_errors_requires_grad_and_types():
    a = rand(2, 3, 8)
    both_raise(lambda: NF.max_pool1d(nt.tensor(a, requires_grad=True), 3, padding=2),
               lambda: TF.max_pool1d(torch.tensor(a, requires_grad=True), 3, padding=2))
    both_raise(lambda: NF.max_pool2d([1], 2), lambda: TF.max_pool2d([1], 2))
    for fn in ("avg_pool2d", "max_pool3d", "adaptive_max_pool2d", "fractional_max_pool2d"):
        both_raise(lambda: getattr(NF, fn)(nt.tensor(a[None]), 2.0), lambda: getattr(TF, fn)(torch.tensor(a[None]), 2.0))


# ------------------------------------------------------------------ modules
MODULES = [
    ("MaxPool1d", (2,), {}), ("MaxPool1d", (3, 2, 1, 2, True, True), {}),
    ("MaxPool2d", ((2, 3),), dict(stride=1, padding=1, dilation=2, ceil_mode=True, return_indices=True)),
    ("MaxPool2d", ([2, 3], [1, 2]), {}), ("MaxPool3d", (2,), {}), ("MaxPool3d", (3, 2, 1), dict(ceil_mode=True)),
    ("AvgPool1d", (2,), {}), ("AvgPool1d", ((3,), 2, 1, True, False), {}), ("AvgPool2d", ((2, 3), 1, 1, True, False, 3), {}),
    ("AvgPool2d", (2,), dict(divisor_override=2)), ("AvgPool2d", ([2, 3],), {}), ("AvgPool3d", (2,), {}),
    ("AvgPool3d", (3, 2, 1, True, False, 5), {}), ("LPPool1d", (2, 3), {}), ("LPPool2d", (1.5, (2, 3), 1, True), {}),
    ("LPPool2d", (2, [2, 3]), {}), ("LPPool3d", (2, 2), {}), ("LPPool3d", (float("inf"), 2, 1), {}),
    ("AdaptiveAvgPool1d", (3,), {}), ("AdaptiveAvgPool2d", ((3, None),), {}), ("AdaptiveAvgPool2d", ([2, 3],), {}),
    ("AdaptiveAvgPool3d", (3,), {}), ("AdaptiveMaxPool1d", (3,), {}), ("AdaptiveMaxPool2d", ((3, 4), True), {}),
    ("AdaptiveMaxPool3d", (3,), dict(return_indices=True)), ("MaxUnpool1d", (2,), {}), ("MaxUnpool2d", ((2, 3), 1, 1), {}),
    ("MaxUnpool2d", ([2, 3],), {}), ("MaxUnpool3d", (2,), {}), ("FractionalMaxPool2d", (2,), dict(output_size=3)),
    ("FractionalMaxPool2d", (2,), dict(output_ratio=0.5)), ("FractionalMaxPool3d", (2,), dict(output_size=3, return_indices=True)),
]


@pytest.mark.parametrize("name,args,kw", MODULES)
def test_module_repr_and_attributes(name, args, kw):
    mn, mt = getattr(nnn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(mn) == repr(mt)
    assert mn.extra_repr() == mt.extra_repr()
    for k in getattr(type(mt), "__constants__", []):
        assert getattr(mn, k) == getattr(mt, k), k
    assert getattr(type(mn), "__constants__", None) == getattr(type(mt), "__constants__", None)
    assert [c.__name__ for c in type(mn).__mro__[:-1]] == [c.__name__ for c in type(mt).__mro__[:-1]] or \
        "Fractional" in name


INPUTS = {"1d": (2, 3, 9), "2d": (2, 3, 9, 8), "3d": (1, 2, 7, 6, 8)}


@pytest.mark.parametrize("name,args,kw", [m for m in MODULES if "Unpool" not in m[0] and "Fractional" not in m[0]])
def test_module_forward(name, args, kw):
    shape = INPUTS[name[-2:]]
    a = np.abs(rand(*shape)) + 0.1 if name.startswith("LP") else rand(*shape)
    mn, mt = getattr(nnn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    check_op(mn, mt, a, rtol=1e-4, atol=1e-5)
    x, y = pair(a[0])  # batchless
    assert_close(mn(x), mt(y), rtol=1e-4, atol=1e-5)


def test_unpool_and_fractional_modules():
    for nd, shape in ((1, (2, 3, 8)), (2, (2, 3, 8, 8)), (3, (1, 2, 4, 6, 4))):
        pn, pt = getattr(nnn, f"MaxPool{nd}d")(2, return_indices=True), getattr(torch.nn, f"MaxPool{nd}d")(2, return_indices=True)
        un, ut = getattr(nnn, f"MaxUnpool{nd}d")(2), getattr(torch.nn, f"MaxUnpool{nd}d")(2)
        x, y = pair(rand(*shape), True)
        rn, rt = un(*pn(x)), ut(*pt(y))
        assert_close(rn, rt)
        osz = list(shape[-nd:])
        assert_close(un(*pn(x), output_size=osz), ut(*pt(y), output_size=osz))
    u = rng.random((2, 3, 2)).astype(np.float32)
    mn = nnn.FractionalMaxPool2d(2, output_size=(4, 3), return_indices=True, _random_samples=nt.tensor(u))
    mt = torch.nn.FractionalMaxPool2d(2, output_size=(4, 3), return_indices=True, _random_samples=torch.tensor(u))
    x, y = pair(rand(2, 3, 9, 8), True)
    compare_idx(mn(x), mt(y), x, y)
    assert list(mn._buffers) == list(mt._buffers) == ["_random_samples"]
    x, y = pair(rand(1, 2, 6, 7, 8))
    assert tuple(nnn.FractionalMaxPool3d(2, output_ratio=0.5)(x).shape) == \
        tuple(torch.nn.FractionalMaxPool3d(2, output_ratio=0.5)(y).shape)


@pytest.mark.parametrize("args,kw", [((2,), {}), ((2, 3, 0.5), {}), ((2,), dict(output_ratio=1.5)),
                                     ((2,), dict(output_ratio=(0.5, 1.0))), ((2,), dict(output_ratio=(0.5, 0)))])
def test_fractional_module_errors(args, kw):
    both_raise(lambda: nnn.FractionalMaxPool2d(*args, **kw), lambda: torch.nn.FractionalMaxPool2d(*args, **kw))
    kw3 = {k: (v + (v[-1],) if isinstance(v, tuple) else v) for k, v in kw.items()}
    both_raise(lambda: nnn.FractionalMaxPool3d(*args, **kw3), lambda: torch.nn.FractionalMaxPool3d(*args, **kw3))


def test_lenet_like_sequential():
    a = rand(4, 3, 16, 16)
    mods = []
    for lib in (nt, torch):
        nn = lib.nn
        m = nn.Sequential(nn.MaxPool2d(2), nn.AvgPool2d(2, ceil_mode=True), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        mods.append(m)
    check_op(mods[0], mods[1], a)
