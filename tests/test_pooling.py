"""Pooling functions (max / avg / lp / unpool), differentially vs torch: values, indices, input
gradients, node names, ties, NaN / -inf, integer dtypes, double backward and gradcheck.
Adaptive and fractional pooling, errors and modules are in test_pooling_more.py."""
import numpy as np
import pytest

import numtorch as nt
import numtorch.nn.functional as NF

from helpers import assert_close, check_op, gradcheck64, pair

torch = pytest.importorskip("torch")
TF = torch.nn.functional

rng = np.random.default_rng(0)


def rand(*s, dtype=np.float32):
    return rng.standard_normal(s).astype(dtype)


def both(fn_name, a, *args, rg=True, **kw):
    """Call NF.<fn> and TF.<fn> on the same array; return ((nt_out, nt_in), (torch_out, torch_in))."""
    x, y = pair(a, rg)
    return (getattr(NF, fn_name)(x, *args, **kw), x), (getattr(TF, fn_name)(y, *args, **kw), y)


def check_idx(fn_name, a, *args, grad=True, **kw):
    """Values, indices and the input gradient through the values, vs torch."""
    (on, x), (ot, y) = both(fn_name, a, *args, rg=grad, return_indices=True, **kw)
    assert_close(on[0], ot[0])
    assert np.array_equal(on[1].numpy(), ot[1].numpy()), f"indices differ\n{on[1].numpy()}\n{ot[1].numpy()}"
    assert on[1].dtype == nt.int64 and not on[1].requires_grad
    if grad:
        g = rand(*ot[0].shape)
        on[0].backward(nt.tensor(g))
        ot[0].backward(torch.tensor(g))
        assert_close(x.grad, y.grad)
        assert on[0].grad_fn.name() == ot[0].grad_fn.name()


# (shape, kernel, stride, padding, dilation, ceil_mode)
MAX2 = [
    ((2, 3, 8, 8), 2, None, 0, 1, False), ((2, 3, 9, 7), 3, 2, 1, 1, False), ((2, 3, 9, 7), 3, 2, 1, 1, True),
    ((1, 2, 7, 9), (2, 3), (1, 2), (1, 1), (2, 1), True), ((3, 10, 11), (3, 2), (2, 3), (1, 0), 1, True),
    ((2, 2, 5, 5), 3, 1, 1, 1, False), ((2, 2, 6, 6), 2, 3, 0, 1, True), ((1, 1, 6, 7), 3, 2, 1, 2, True),
    ((2, 2, 4, 5), 1, 2, 0, 1, False), ((2, 1, 5, 6), (4, 1), (3, 1), (2, 0), 1, True),
    ((0, 2, 6, 6), 2, None, 0, 1, False),
]


@pytest.mark.parametrize("shape,k,s,p,d,ceil", MAX2)
def test_max_pool2d(shape, k, s, p, d, ceil):
    check_idx("max_pool2d", rand(*shape), k, s, p, d, ceil)
    check_op(lambda x: NF.max_pool2d(x, k, s, p, d, ceil), lambda x: TF.max_pool2d(x, k, s, p, d, ceil),
             rand(*shape))


MAX1 = [((2, 3, 9), 2, None, 0, 1, False), ((2, 3, 9), 3, 2, 1, 1, True), ((3, 10), 3, 1, 1, 2, False),
        ((2, 2, 8), 4, 3, 2, 1, True), ((2, 2, 7), 1, 1, 0, 1, False)]


@pytest.mark.parametrize("shape,k,s,p,d,ceil", MAX1)
def test_max_pool1d(shape, k, s, p, d, ceil):
    check_idx("max_pool1d", rand(*shape), k, s, p, d, ceil)
    check_op(lambda x: NF.max_pool1d(x, k, s, p, d, ceil), lambda x: TF.max_pool1d(x, k, s, p, d, ceil),
             rand(*shape))
    # without grad: the direct 1-d path
    x, y = pair(rand(*shape))
    assert_close(NF.max_pool1d(x, k, s, p, d, ceil), TF.max_pool1d(y, k, s, p, d, ceil))


MAX3 = [((1, 2, 4, 5, 6), 2, None, 0, 1, False), ((1, 2, 5, 5, 6), 3, 2, 1, 1, True),
        ((2, 4, 5, 6), (1, 2, 3), (1, 2, 1), (0, 1, 1), (1, 1, 2), True), ((1, 1, 6, 5, 7), (3, 2, 2), 2, 1, 2, False)]


@pytest.mark.parametrize("shape,k,s,p,d,ceil", MAX3)
def test_max_pool3d(shape, k, s, p, d, ceil):
    check_idx("max_pool3d", rand(*shape), k, s, p, d, ceil)


def test_max_pool_ties_nan_inf():
    # ties: torch reports the first maximum in window scan order; NaN: the last NaN of the window
    for a in [rng.integers(0, 3, (2, 3, 7, 8)).astype(np.float32), np.zeros((1, 2, 5, 5), np.float32)]:
        for k, s, p, d, ceil in [(2, 2, 0, 1, False), (3, 1, 1, 1, False), (3, 2, 1, 2, True), ((2, 3), 1, 1, 1, True)]:
            check_idx("max_pool2d", a, k, s, p, d, ceil)
    a = rng.integers(0, 3, (2, 2, 4, 5, 5)).astype(np.float64)
    check_idx("max_pool3d", a, 3, 2, 1, 1, True)
    check_idx("max_pool1d", a[0, 0], 3, 1, 1, 1, False)
    b = rand(2, 2, 9, 9)
    b[rng.random(b.shape) < 0.15] = np.nan
    b[rng.random(b.shape) < 0.15] = -np.inf
    b[0, 0, :4, :4] = -np.inf   # whole windows of -inf next to the padding
    for k, s, p, d, ceil in [(2, 2, 0, 1, False), (3, 1, 1, 1, False), (3, 2, 1, 1, True), (3, 2, 1, 2, True)]:
        check_idx("max_pool2d", b, k, s, p, d, ceil, grad=False)
    check_idx("max_pool1d", b[0, :, 0], 3, 2, 1, 1, True, grad=False)
    check_idx("max_pool3d", b[None, 0], 3, 1, 1, 1, False, grad=False)


@pytest.mark.parametrize("dt", [np.int64, np.int32, np.int16, np.int8, np.uint8, np.float64, np.float16])
def test_max_pool_dtypes(dt):
    lo = -100 if dt != np.uint8 else 0
    a = rng.integers(lo, 100, (2, 2, 7, 7)).astype(dt)
    a3 = rng.integers(lo, 100, (1, 2, 5, 6, 6)).astype(dt)
    if dt == np.int8:
        a[0, 0, :3, :3] = np.iinfo(np.int8).min  # windows of the minimum next to the padding
    for args in [(2,), (3, 2, 1), (3, 1, 1, 2, True)]:
        check_idx("max_pool2d", a, *args, grad=False)
        x, y = pair(a)
        assert_close(NF.max_pool2d(x, *args), TF.max_pool2d(y, *args))
        check_idx("max_pool3d", a3, *args, grad=False)
    x, y = pair(a[0])
    assert_close(NF.max_pool1d(x, 2, return_indices=True), TF.max_pool1d(y, 2, return_indices=True))


def test_non_contiguous_and_channels_last_inputs():
    a = rand(2, 7, 9, 3).transpose(0, 3, 1, 2)   # a channels-last layout
    for fn in [lambda F, x: F.max_pool2d(x, 3, 2, 1), lambda F, x: F.avg_pool2d(x, 2, ceil_mode=True),
               lambda F, x: F.adaptive_avg_pool2d(x, (3, 4)), lambda F, x: F.adaptive_max_pool2d(x, 1)]:
        x = nt.tensor(np.ascontiguousarray(a.transpose(0, 2, 3, 1)), requires_grad=True)
        y = torch.tensor(np.ascontiguousarray(a.transpose(0, 2, 3, 1)), requires_grad=True)
        xn, yt = x.permute(0, 3, 1, 2), y.permute(0, 3, 1, 2)
        on, ot = fn(NF, xn), fn(TF, yt)
        assert_close(on, ot)
        g = rand(*ot.shape)
        on.backward(nt.tensor(g))
        ot.backward(torch.tensor(g))
        assert_close(x.grad, y.grad)


def test_max_pool_with_indices_forms():
    a = rand(2, 3, 8, 8)
    for nf, tf, arr in [("max_pool1d_with_indices", "max_pool1d_with_indices", a[0]),
                        ("max_pool2d_with_indices", "max_pool2d_with_indices", a),
                        ("max_pool3d_with_indices", "max_pool3d_with_indices", a[None])]:
        x, y = pair(arr)
        rn, rt = getattr(NF, nf)(x, 3, 2, 1), getattr(TF, tf)(y, 3, 2, 1)
        assert_close(rn, rt)
    x, y = pair(a, True)
    o = NF.max_pool2d(x, 2, 2, 0, 1, False, True)   # positional return_indices
    assert isinstance(o, tuple) and len(o) == 2


def test_grad_fn_names():
    a = rand(2, 3, 8, 8)
    cases = [
        lambda F, x: F.max_pool1d(x[0], 2), lambda F, x: F.max_pool1d(x[0], 2, return_indices=True)[0],
        lambda F, x: F.max_pool2d(x, 2), lambda F, x: F.max_pool2d(x[0], 2), lambda F, x: F.max_pool3d(x[None], 2),
        lambda F, x: F.avg_pool1d(x[0], 2), lambda F, x: F.avg_pool2d(x, 2), lambda F, x: F.avg_pool3d(x[None], 2),
        lambda F, x: F.lp_pool1d(x[0], 2, 2), lambda F, x: F.lp_pool2d(x, 2, 2), lambda F, x: F.lp_pool3d(x[None], 3, 2),
        lambda F, x: F.lp_pool2d(x, float("inf"), 2),
        lambda F, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2),
        lambda F, x: F.max_unpool1d(*F.max_pool1d(x[0], 2, return_indices=True), 2),
        lambda F, x: F.max_unpool3d(*F.max_pool3d(x[None], 2, return_indices=True), 2),
    ]
    x, y = pair(a, True)
    for c in cases:
        assert c(NF, x).grad_fn.name() == c(TF, y).grad_fn.name()
    assert NF.max_pool2d(x.detach(), 2).grad_fn is None
    with nt.no_grad():
        assert NF.avg_pool2d(x, 2).grad_fn is None


# (shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
AVG2 = [((2, 3, 8, 8), 2, None, 0, False, True, None), ((2, 3, 9, 7), 3, 2, 1, False, True, None),
        ((2, 3, 9, 7), 3, 2, 1, True, False, None), ((1, 2, 7, 9), (2, 3), (1, 2), (1, 1), True, True, None),
        ((3, 10, 11), (3, 2), (2, 3), (1, 0), True, False, 5), ((2, 2, 5, 5), 3, 1, 1, False, False, None),
        ((2, 2, 6, 6), 2, 3, 0, True, True, -3), ((2, 2, 5, 6), (4, 1), (3, 1), (2, 0), True, True, None)]


@pytest.mark.parametrize("shape,k,s,p,ceil,cip,div", AVG2)
def test_avg_pool2d(shape, k, s, p, ceil, cip, div):
    check_op(lambda x: NF.avg_pool2d(x, k, s, p, ceil, cip, div), lambda x: TF.avg_pool2d(x, k, s, p, ceil, cip, div),
             rand(*shape))
    ai = rng.integers(-50, 50, shape)  # int64: truncating division
    check_op(lambda x: NF.avg_pool2d(x, k, s, p, ceil, cip, div), lambda x: TF.avg_pool2d(x, k, s, p, ceil, cip, div),
             ai, grad=False)


@pytest.mark.parametrize("shape,k,s,p,ceil,cip", [((2, 3, 9), 3, 2, 1, True, False), ((3, 10), 2, None, 0, False, True),
                                                  ((2, 2, 8), 4, 3, 2, True, True), ((2, 2, 7), 1, 1, 0, False, True)])
def test_avg_pool1d(shape, k, s, p, ceil, cip):
    check_op(lambda x: NF.avg_pool1d(x, k, s, p, ceil, cip), lambda x: TF.avg_pool1d(x, k, s, p, ceil, cip),
             rand(*shape))


@pytest.mark.parametrize("shape,k,s,p,ceil,cip,div", [((1, 2, 4, 5, 6), 2, None, 0, False, True, None),
                                                      ((1, 2, 5, 5, 6), 3, 2, 1, True, False, None),
                                                      ((2, 4, 5, 6), (1, 2, 3), (1, 2, 1), (0, 1, 1), True, True, 4)])
def test_avg_pool3d(shape, k, s, p, ceil, cip, div):
    check_op(lambda x: NF.avg_pool3d(x, k, s, p, ceil, cip, div), lambda x: TF.avg_pool3d(x, k, s, p, ceil, cip, div),
             rand(*shape))
    check_op(lambda x: NF.avg_pool3d(x, k, s, p, ceil, cip, div), lambda x: TF.avg_pool3d(x, k, s, p, ceil, cip, div),
             rng.integers(-50, 50, shape), grad=False)


def test_avg_pool_dtypes():
    a = rand(2, 3, 6, 6, dtype=np.float64)
    out = check_op(lambda x: NF.avg_pool2d(x, 2), lambda x: TF.avg_pool2d(x, 2), a)[0]
    assert out.dtype == nt.float64
    x, y = pair(rand(2, 3, 6, 6).astype(np.float16))
    assert_close(NF.avg_pool2d(x, 2), TF.avg_pool2d(y, 2), rtol=1e-3, atol=1e-3)
    x, y = pair(np.array([[[1.0, np.nan, 2.0, -np.inf, 3.0, np.inf]]], np.float32))
    assert_close(NF.avg_pool1d(x, 2), TF.avg_pool1d(y, 2))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN gradients of x**p for negative x, as in torch
@pytest.mark.parametrize("p", [1, 2, 3, 1.5, float("inf")])
def test_lp_pool(p):
    a = rand(2, 3, 7, 8)
    for fn, arr, args in [("lp_pool1d", a[0], (3,)), ("lp_pool1d", a[0], (2, 1, True)), ("lp_pool2d", a, (2,)),
                          ("lp_pool2d", a, ((2, 3), (1, 2), True)), ("lp_pool3d", a[None], (2,)),
                          ("lp_pool3d", a[None], ((1, 2, 3), 2, True))]:
        check_op(lambda x: getattr(NF, fn)(x, p, *args), lambda x: getattr(TF, fn)(x, p, *args), arr, rtol=1e-4,
                 atol=1e-5)


# ------------------------------------------------------------------ unpooling
@pytest.mark.parametrize("nd,shape,k,s,p,osz", [
    (1, (2, 3, 9), 2, None, 0, None), (1, (3, 10), 3, 2, 1, [10]), (2, (2, 3, 8, 9), 2, None, 0, [9, 9]),
    (2, (2, 3, 7, 7), 3, 2, 1, None), (2, (3, 6, 7), (2, 3), (2, 1), (1, 1), [2, 3, 6, 7]),
    (3, (1, 2, 4, 5, 6), 2, None, 0, [4, 5, 6]), (3, (2, 5, 5, 6), 3, 2, 1, [5, 5, 6])])
def test_max_unpool(nd, shape, k, s, p, osz):
    mp, up = getattr(NF, f"max_pool{nd}d"), getattr(NF, f"max_unpool{nd}d")
    tmp, tup = getattr(TF, f"max_pool{nd}d"), getattr(TF, f"max_unpool{nd}d")
    x, y = pair(rand(*shape))
    (on, inn), (ot, it) = mp(x, k, s, p, return_indices=True), tmp(y, k, s, p, return_indices=True)
    on.requires_grad_(True)
    ot.requires_grad_(True)
    rn, rt = up(on, inn, k, s, p, osz), tup(ot, it, k, s, p, osz)
    assert_close(rn, rt)
    assert rn.grad_fn.name() == rt.grad_fn.name()
    g = rand(*rt.shape)
    rn.backward(nt.tensor(g))
    rt.backward(torch.tensor(g))
    assert_close(on.grad, ot.grad)


def test_max_unpool_duplicates():
    # overlapping windows repeat an index: the last write wins, and every copy receives the gradient
    x, y = pair(np.array([[[1.0, 5.0, 2.0, 0.0, 3.0]]], np.float32))
    inn, it = NF.max_pool1d(x, 3, 1, return_indices=True)[1], TF.max_pool1d(y, 3, 1, return_indices=True)[1]
    vn, vt = pair(np.array([[[1.0, 2.0, 3.0]]], np.float32), True)
    rn, rt = NF.max_unpool1d(vn, inn, 3, 1), TF.max_unpool1d(vt, it, 3, 1)
    assert_close(rn, rt)
    rn.sum().backward()
    rt.sum().backward()
    assert_close(vn.grad, vt.grad)


# ------------------------------------------------------------------ autograd details
def _double(lib, F, fn, a):
    x = lib.tensor(a, requires_grad=True)
    y = fn(F, x)
    v = lib.tensor(np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)), requires_grad=True)
    (g,) = lib.autograd.grad(y, x, v, create_graph=True)
    name = g.grad_fn.name()
    w = lib.tensor(np.cos(np.arange(g.numel())).reshape(tuple(g.shape)))
    (g * w).sum().backward()
    return name, v.grad


@pytest.mark.parametrize("shape,fn", [
    ((2, 3, 7, 7), lambda F, x: F.max_pool2d(x, 3, 2, 1)), ((2, 3, 7, 7), lambda F, x: F.max_pool2d(x, 2)),
    ((2, 3, 7, 7), lambda F, x: F.avg_pool2d(x, 3, 2, 1)),
    ((2, 3, 7, 7), lambda F, x: F.avg_pool2d(x, 2, ceil_mode=True, count_include_pad=False)),
    ((1, 2, 3, 7, 7), lambda F, x: F.max_pool3d(x, 2)), ((2, 3, 4, 7), lambda F, x: F.avg_pool3d(x, (1, 2, 2))),
    ((3, 7, 7), lambda F, x: F.max_pool1d(x, 2)), ((3, 7, 7), lambda F, x: F.avg_pool1d(x, 3, 2, 1)),
    ((2, 3, 8, 8), lambda F, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2)),
])
def test_double_backward(shape, fn):
    a = rand(*shape, dtype=np.float64)
    nn_, gn = _double(nt, NF, fn, a)
    tn, gt = _double(torch, TF, fn, a)
    if len(shape) != 3:  # the 1-d forms end in numtorch's unsqueeze backward, named differently
        assert nn_ == tn
    assert_close(gn, gt)


def test_third_order_avg_pool():
    x = nt.tensor(rand(1, 1, 4, 4, dtype=np.float64), requires_grad=True)
    y = NF.avg_pool2d(x, 2, 1) ** 3
    (g,) = nt.autograd.grad(y.sum(), x, create_graph=True)
    (h,) = nt.autograd.grad(g.sum(), x, create_graph=True)
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    yt = TF.avg_pool2d(xt, 2, 1) ** 3
    (gt,) = torch.autograd.grad(yt.sum(), xt, create_graph=True)
    (ht,) = torch.autograd.grad(gt.sum(), xt, create_graph=True)
    assert_close(h, ht)


def test_inplace_and_second_backward_errors():
    from helpers import both_raise
    for f in [lambda F, t: F.max_pool2d(t, 2), lambda F, t: F.avg_pool2d(t, 2), lambda F, t: F.max_pool3d(t[None], 2),
              lambda F, t: F.adaptive_avg_pool2d(t, 3), lambda F, t: F.adaptive_max_pool2d(t, 3)]:
        def run(lib, F, f=f):
            x = lib.ones(1, 1, 4, 4, requires_grad=True)
            a = x * 1
            y = f(F, a)
            a.add_(1)
            y.sum().backward()
        both_raise(lambda: run(nt, NF), lambda: run(torch, TF))

    def idx_mod(lib, F):
        x = lib.ones(1, 1, 4, 4, requires_grad=True)
        o, i = F.max_pool2d(x, 2, return_indices=True)
        i.zero_()
        o.sum().backward()
    both_raise(lambda: idx_mod(nt, NF), lambda: idx_mod(torch, TF))

    def twice(lib, F):
        x = lib.ones(1, 1, 4, 4, requires_grad=True)
        y = F.max_pool2d(x, 2).sum()
        y.backward()
        y.backward()
    both_raise(lambda: twice(nt, NF), lambda: twice(torch, TF))


GRADCHECK = [
    lambda x: NF.max_pool2d(x, 3, 2, 1, 1, True), lambda x: NF.max_pool2d(x, 2),
    lambda x: NF.max_pool1d(x[0], 3, 1, 1, 2), lambda x: NF.max_pool3d(x[None], 2, 1),
    lambda x: NF.avg_pool2d(x, 3, 2, 1, True, False), lambda x: NF.avg_pool1d(x[0], 2, 1, 1),
    lambda x: NF.avg_pool3d(x[None], 2, 1, 1, True, True, 3), lambda x: NF.lp_pool2d(x, 3, 2, 1),
    lambda x: NF.max_unpool2d(x[:, :, :3, :3], NF.max_pool2d(x.detach(), 2, return_indices=True)[1][:, :, :3, :3], 2),
    lambda x: NF.max_unpool1d(x[0, :, 0, :3], NF.max_pool1d(x.detach()[0, :, 0], 2, return_indices=True)[1], 2),
    lambda x: NF.max_unpool3d(x[None, :, :1, :2, :2], NF.max_pool3d(x.detach()[None, :, :2, :4, :4], 2,
                                                                    return_indices=True)[1], 2),
    lambda x: NF.lp_pool1d(x[0], 2, 3, 2), lambda x: NF.lp_pool3d(x[None], 1.5, 2, 1, True),
    lambda x: NF.adaptive_avg_pool3d(x[None], (2, 4, 3)), lambda x: NF.adaptive_max_pool1d(x[0], 4),
]


@pytest.mark.parametrize("fn", GRADCHECK)
def test_gradcheck(fn):
    a = rng.permutation(2 * 2 * 6 * 6).reshape(2, 2, 6, 6).astype(np.float64) / 10 + 0.5  # no ties
    gradcheck64(fn, a)
