"""numtorch.nn.functional linear / bilinear / embedding / embedding_bag / distances / shuffles
against torch.nn.functional: values, dtypes, input and weight gradients, node names, errors,
float64 gradcheck."""
import numpy as np
import pytest
from helpers import assert_close, both_raise, check_op, gradcheck64, pair, torch

import numtorch as nt
import numtorch.nn.functional as NF

F = torch.nn.functional
rng = np.random.default_rng(0)


def rand(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


# ------------------------------------------------------------------ linear
@pytest.mark.parametrize("xshape", [(3, 4), (2, 3, 4), (4,), (2, 2, 3, 4), (0, 4), (3, 0)])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_matches_torch(xshape, bias, dtype):
    k = xshape[-1]
    arrays = [rand(*xshape, dtype=dtype), rand(5, k, dtype=dtype)] + ([rand(5, dtype=dtype)] if bias else [])
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    out_n, out_t = check_op(NF.linear, F.linear, *arrays, **tol)
    assert out_n.grad_fn.name() == out_t.grad_fn.name()
    if xshape == (3, 4):
        assert [type(f).__name__ for f, _ in out_n.grad_fn.next_functions] == \
            ["AccumulateGrad"] * (3 if bias else 2)


@pytest.mark.parametrize("bshape", [(1,), (3, 5), (1, 5), ()])
def test_linear_broadcast_bias(bshape):
    check_op(NF.linear, F.linear, rand(3, 4), rand(5, 4), rand(*bshape))
    if bshape != (1, 5):
        check_op(NF.linear, F.linear, rand(2, 3, 4), rand(5, 4), rand(*bshape))
    check_op(NF.linear, F.linear, rand(2, 3, 4), rand(5, 4), rand(2, 3, 5))


def test_linear_large_threaded_bias_and_blas_bias_grad():
    # output >= PAR_MIN elements: threaded bias add; >= 16 rows: bias gradient by a BLAS ones-product
    out_n, out_t = check_op(NF.linear, F.linear, rand(600, 300), rand(256, 300) * 0.1, rand(256), rtol=1e-4,
                            atol=1e-4)
    check_op(NF.linear, F.linear, rand(4, 8, 30), rand(20, 30), rand(20), rtol=1e-5, atol=1e-5)


def test_linear_noncontiguous_and_partial_grads():
    a = rand(4, 3, 6)
    for which in ((True, False, False), (False, True, True), (False, False, True)):
        outs = []
        for lib, mod in ((nt, NF), (torch, F)):
            x = lib.tensor(a, requires_grad=which[0]).transpose(0, 1)[:, :, ::2]
            w = lib.tensor(a[0, :, :3].copy(), requires_grad=which[1])
            b = lib.tensor(a[1, :, 0].copy(), requires_grad=which[2])
            y = mod.linear(x, w, b)
            y.backward(lib.ones(y.shape))
            outs.append((y, [t.grad for t in (x, w, b) if t.is_leaf and t.requires_grad]))
        assert_close(outs[0][0], outs[1][0])
        for gn, gt in zip(outs[0][1], outs[1][1]):
            assert_close(gn, gt)


def test_linear_vector_weight_integer_half_and_no_grad():
    check_op(NF.linear, F.linear, rand(3, 4), rand(4))
    check_op(NF.linear, F.linear, rand(2, 3, 4), rand(4), rand())
    check_op(NF.linear, F.linear, rand(4), rand(4), rand())
    (x, t), (w, tw), (b, tb) = pair(np.arange(12).reshape(3, 4)), pair(np.ones((5, 4), np.int64)), pair(np.arange(5))
    assert_close(NF.linear(x, w, b), F.linear(t, tw, tb))
    check_op(NF.linear, F.linear, rand(3, 4, dtype=np.float16), rand(5, 4, dtype=np.float16),
             rand(5, dtype=np.float16), grad=False, rtol=2e-3, atol=2e-3)
    with nt.no_grad():
        y = NF.linear(nt.randn(3, 4, requires_grad=True), nt.randn(5, 4, requires_grad=True))
    assert y.grad_fn is None and not y.requires_grad


def test_linear_errors():
    cases = [((3, 4), (5, 3), None), ((3, 4), (5, 4), (4,)), ((3, 4), (5, 4), (2, 3, 5)), ((3, 4), (4,), ()),
             ((3, 4), (4,), (3,)), ((), (5, 4), None), ((3, 4), (), None), ((3, 4), (2, 5, 4), None),
             ((2, 3, 4), (5, 3), None), ((3,), (5, 4), None), ((2, 3, 4), (5, 4), (4,)), ((4,), (5, 4), (4,))]
    for xs, ws, bs in cases:
        (x, t), (w, tw) = pair(rand(*xs)), pair(rand(*ws))
        b, tb = pair(rand(*bs)) if bs is not None else (None, None)
        both_raise(lambda: NF.linear(x, w, b), lambda: F.linear(t, tw, tb))
    (x, t), (w, tw) = pair(rand(3, 4)), pair(rand(5, 4))
    (w64, tw64), (b64, tb64) = pair(rand(5, 4, dtype=np.float64)), pair(rand(5, dtype=np.float64))
    both_raise(lambda: NF.linear(x, w64), lambda: F.linear(t, tw64))
    both_raise(lambda: NF.linear(x, w, b64), lambda: F.linear(t, tw, tb64))
    both_raise(lambda: NF.linear(x.reshape(1, 3, 4), w64), lambda: F.linear(t.reshape(1, 3, 4), tw64))
    (xb, tb_), (wb, twb) = pair(np.ones((3, 4), bool)), pair(np.ones((5, 4), bool))
    both_raise(lambda: NF.linear(xb, wb), lambda: F.linear(tb_, twb))
    both_raise(lambda: NF.linear(x, [[1.0]]), lambda: F.linear(t, [[1.0]]))
    both_raise(lambda: NF.linear([1.0], w), lambda: F.linear([1.0], tw))


def test_linear_gradcheck_and_double_backward():
    gradcheck64(NF.linear, rand(3, 4), rand(2, 4), rand(2))
    gradcheck64(NF.linear, rand(2, 3, 4), rand(2, 4), rand(2))
    gradcheck64(NF.linear, rand(4), rand(2, 4))
    gradcheck64(NF.linear, rand(3, 4), rand(2, 4), rand(3, 2))
    ts = tuple(nt.tensor(rand(*s, dtype=np.float64), requires_grad=True) for s in ((2, 3, 4), (2, 4), (2,)))
    assert nt.autograd.gradgradcheck(NF.linear, ts)


def test_linear_weight_modified_after_forward_raises():
    x = nt.randn(3, 4, requires_grad=True)
    w = nt.randn(5, 4, requires_grad=True)
    y = NF.linear(x, w)
    with nt.no_grad():
        w.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ------------------------------------------------------------------ bilinear
@pytest.mark.parametrize("s1,s2", [((3, 4), (3, 5)), ((2, 3, 4), (2, 3, 5)), ((4,), (5,))])
@pytest.mark.parametrize("bias", [False, True])
def test_bilinear(s1, s2, bias):
    arrays = [rand(*s1), rand(*s2), rand(6, 4, 5)] + ([rand(6)] if bias else [])
    out_n, out_t = check_op(NF.bilinear, F.bilinear, *arrays, rtol=1e-4, atol=1e-5)
    assert out_n.grad_fn.name() == out_t.grad_fn.name()
    gradcheck64(NF.bilinear, rand(*s1[:-1], 2), rand(*s2[:-1], 3), rand(2, 2, 3), *([rand(2)] if bias else []))


def test_bilinear_errors():
    for s1, s2, ws, bs, d2 in [((3, 4), (2, 3, 5), (6, 4, 5), None, np.float32),
                               ((3, 4), (2, 5), (6, 4, 5), None, np.float32),
                               ((3, 3), (3, 5), (6, 4, 5), None, np.float32),
                               ((3, 4), (3, 4), (6, 4, 5), None, np.float32),
                               ((3, 4), (3, 5), (6, 4, 5), (5,), np.float32),
                               ((3, 4), (3, 5), (6, 4, 5), (1, 6), np.float32),
                               ((3, 4), (3, 5), (6, 4), None, np.float32),
                               ((3, 4), (3, 5), (6, 4, 5), None, np.float64)]:
        (a, ta), (b, tb), (w, tw) = pair(rand(*s1)), pair(rand(*s2, dtype=d2)), pair(rand(*ws))
        c, tc = pair(rand(*bs)) if bs else (None, None)
        both_raise(lambda: NF.bilinear(a, b, w, c), lambda: F.bilinear(ta, tb, tw, tc))


# ------------------------------------------------------------------ embedding
@pytest.mark.parametrize("kw", [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                {"padding_idx": 0, "scale_grad_by_freq": True}])
@pytest.mark.parametrize("idx_dtype", [np.int64, np.int32])
def test_embedding(kw, idx_dtype):
    idx = np.array([[1, 2, 4, 2], [9, 0, 2, 1]], idx_dtype)
    out_n, out_t = check_op(lambda w: NF.embedding(nt.tensor(idx), w, **kw),
                            lambda w: F.embedding(torch.tensor(idx), w, **kw), rand(10, 3))
    assert out_n.grad_fn.name() == out_t.grad_fn.name()
    check_op(lambda w: NF.embedding(nt.tensor(idx[0, 1]), w, **kw),
             lambda w: F.embedding(torch.tensor(idx[0, 1]), w, **kw), rand(10, 3))
    if not kw:   # padding rows and frequency scaling are deliberately not the true derivative (torch)
        gradcheck64(lambda w: NF.embedding(nt.tensor(idx), w, **kw), rand(10, 3))
    if not kw.get("scale_grad_by_freq"):
        w = nt.tensor(rand(10, 3, dtype=np.float64), requires_grad=True)
        assert nt.autograd.gradgradcheck(lambda w: NF.embedding(nt.tensor(idx), w, **kw) ** 2, (w,))


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0])
def test_embedding_max_norm_renormalises_weight_in_place(norm_type):
    a = rand(10, 4) * 3
    idx = np.array([[1, 2, 1], [7, 0, 2]])
    (w, tw) = pair(a, True)
    yn = NF.embedding(nt.tensor(idx), w, max_norm=1.5, norm_type=norm_type)
    yt = F.embedding(torch.tensor(idx), tw, max_norm=1.5, norm_type=norm_type)
    assert_close(w, tw)                                   # only referenced rows above max_norm changed
    assert w._version == 1
    assert_close(yn, yt)
    g = rand(2, 3, 4)
    yn.backward(nt.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(w.grad, tw.grad)


def test_embedding_errors():
    (w, tw) = pair(rand(10, 3))
    for idx in ([1, 10], [1, -1], [1.0, 2.0]):
        (i, ti) = pair(np.array(idx))
        both_raise(lambda: NF.embedding(i, w), lambda: F.embedding(ti, tw))
    (i, ti) = pair(np.array([1, 2]))
    for pad in (10, -11):
        both_raise(lambda: NF.embedding(i, w, padding_idx=pad), lambda: F.embedding(ti, tw, padding_idx=pad))
    for ws in ((10,), (10, 2, 2)):
        (w2, tw2) = pair(rand(*ws))
        both_raise(lambda: NF.embedding(i, w2), lambda: F.embedding(ti, tw2))
    both_raise(lambda: NF.embedding([1, 2], w), lambda: F.embedding([1, 2], tw))
    with pytest.raises(NotImplementedError, match="sparse"):
        NF.embedding(i, w, sparse=True)
    (wi, twi) = pair(np.arange(30).reshape(10, 3))
    assert_close(NF.embedding(i, wi), F.embedding(ti, twi))


# ------------------------------------------------------------------ embedding_bag
EB_CASES = [
    ([1, 2, 4, 5, 4, 3, 2, 9], [0, 4], {}),
    ([1, 2, 4, 5, 4, 3, 2, 9], [0, 0, 4, 4, 8], {}),
    ([1, 2, 4, 5, 4, 3, 2, 9], [0, 4, 8], {"include_last_offset": True}),
    ([1, 2, 4, 5, 4, 3, 2, 9], [0, 3], {"padding_idx": 4}),
    ([4, 4, 1, 2], [0, 2], {"padding_idx": 4}),
    ([], [0, 0], {}),
    ([1, 2, 4, 5, 4, 3], None, {}),
]


@pytest.mark.parametrize("idx,off,kw", EB_CASES)
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag(idx, off, kw, mode):
    i = np.array(idx, np.int64)
    if off is None:
        i = i.reshape(2, 3)
    o = None if off is None else np.array(off, np.int64)

    def call(lib, mod, w):
        return mod.embedding_bag(lib.tensor(i), w, None if o is None else lib.tensor(o), mode=mode, **kw)
    a = rand(10, 3)
    a[4, 1] = a[5, 1] = 5.0                               # a tie for max
    out_n, out_t = check_op(lambda w: call(nt, NF, w), lambda w: call(torch, F, w), a)
    if out_t.grad_fn is not None:
        assert out_n.grad_fn.name() == out_t.grad_fn.name()
    if len(idx) and not kw.get("scale_grad_by_freq"):
        gradcheck64(lambda w: call(nt, NF, w), rand(10, 3))


@pytest.mark.parametrize("two_d", [False, True])
def test_embedding_bag_per_sample_weights(two_d):
    i = np.array([1, 2, 4, 5, 4, 3, 2, 9])
    o = np.array([0, 3, 5])
    if two_d:
        i, o = i.reshape(2, 4), None
    psw = rand(*i.shape)

    def f(lib, mod):
        return lambda w, p: mod.embedding_bag(lib.tensor(i), w, None if o is None else lib.tensor(o), mode="sum",
                                              per_sample_weights=p)
    check_op(f(nt, NF), f(torch, F), rand(10, 3), psw)
    gradcheck64(f(nt, NF), rand(10, 3), psw)


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_embedding_bag_scale_grad_by_freq(mode):
    # torch 2.13's CPU kernel does not divide by the index counts its documentation describes
    # (e.g. an index seen twice keeps its full gradient); numtorch divides each occurrence's
    # gradient by the count of its index in the mini-batch, as F.embedding does
    i, o = np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 4])
    (w, tw) = pair(rand(10, 3), True)
    yn = NF.embedding_bag(nt.tensor(i), w, nt.tensor(o), mode=mode, scale_grad_by_freq=True)
    assert_close(yn, F.embedding_bag(torch.tensor(i), tw, torch.tensor(o), mode=mode))
    g = rand(2, 3)
    yn.backward(nt.tensor(g))
    cnt = np.bincount(i, minlength=10)
    expect = np.zeros((10, 3), np.float32)
    for k, v in enumerate(i):           # reference, element by element
        expect[v] += g[k // 4] / cnt[v] / (4 if mode == "mean" else 1)
    np.testing.assert_allclose(w.grad.numpy(), expect, rtol=1e-6)


def test_embedding_bag_max_norm():
    a = rand(10, 4) * 3
    (w, tw) = pair(a, True)
    i, o = np.array([1, 2, 7, 2]), np.array([0, 2])
    yn = NF.embedding_bag(nt.tensor(i), w, nt.tensor(o), max_norm=1.0)
    yt = F.embedding_bag(torch.tensor(i), tw, torch.tensor(o), max_norm=1.0)
    assert_close(yn, yt)
    assert_close(w, tw)


def test_embedding_bag_errors():
    (w, tw) = pair(rand(10, 3))
    i1 = np.array([1, 2, 4, 5, 4, 3, 2, 9])
    cases = [
        (i1.reshape(2, 4), [0, 4], {}), (i1, None, {}), (i1.reshape(2, 2, 2), None, {}),
        (i1, [0, 4], {"mode": "foo"}), (i1, [0, 4], {"per_sample_weights": rand(8)}),
        (i1, [0, 4], {"mode": "sum", "per_sample_weights": rand(7)}),
        (i1, [0, 4], {"mode": "sum", "per_sample_weights": rand(8, dtype=np.float64)}),
        (i1, [0, 4], {"mode": "max", "sparse": True}), (i1, [1, 4], {}), (i1, [0, 9], {}),
        (i1.astype(np.float32), [0, 4], {}), (np.array([1, 10]), [0], {}), (i1, [0, 4], {"padding_idx": 10}),
    ]
    for idx, off, kw in cases:
        kwn = {k: (nt.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
        kwt = {k: (torch.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
        on = None if off is None else nt.tensor(np.array(off))
        ot = None if off is None else torch.tensor(np.array(off))
        both_raise(lambda: NF.embedding_bag(nt.tensor(idx), w, on, **kwn),
                   lambda: F.embedding_bag(torch.tensor(idx), tw, ot, **kwt))
    (w1, tw1) = pair(rand(10))
    both_raise(lambda: NF.embedding_bag(nt.tensor(i1), w1, nt.tensor([0])),
               lambda: F.embedding_bag(torch.tensor(i1), tw1, torch.tensor([0])))
    (wi, twi) = pair(np.ones((10, 3), np.int64))
    both_raise(lambda: NF.embedding_bag(nt.tensor(i1), wi, nt.tensor([0])),
               lambda: F.embedding_bag(torch.tensor(i1), twi, torch.tensor([0])))


def test_one_hot_reexport():
    from numtorch._ops.activation import one_hot
    assert NF.one_hot is one_hot
    assert_close(NF.one_hot(nt.tensor([0, 2]), 4), F.one_hot(torch.tensor([0, 2]), 4))


# ------------------------------------------------------------------ distances
@pytest.mark.parametrize("s1,s2,dim", [((3, 4), (3, 4), 1), ((3, 4), (1, 4), 0), ((2, 3, 4), (2, 3, 4), -1),
                                       ((4,), (4,), 0), ((3, 4), (3, 4), 0)])
def test_cosine_similarity(s1, s2, dim):
    out_n, out_t = check_op(lambda a, b: NF.cosine_similarity(a, b, dim), lambda a, b: F.cosine_similarity(a, b, dim),
                            rand(*s1), rand(*s2))
    gradcheck64(lambda a, b: NF.cosine_similarity(a, b, dim), rand(*s1), rand(*s2))


def test_cosine_similarity_edge_cases():
    z = np.zeros((2, 4), np.float32)
    z[1] = rand(4)
    check_op(NF.cosine_similarity, F.cosine_similarity, z, rand(2, 4))
    check_op(lambda a, b: NF.cosine_similarity(a, b, eps=0.5), lambda a, b: F.cosine_similarity(a, b, eps=0.5),
             rand(2, 4) * 0.1, rand(2, 4))
    check_op(NF.cosine_similarity, F.cosine_similarity, rand(3, 4), rand(3, 4, dtype=np.float64))
    for a, b, dim in ((rand(3, 4), rand(2, 4), 1), (np.ones((3, 4), np.int64), np.ones((3, 4), np.int64), 1),
                      (rand(3, 4), rand(3, 4), 2)):
        (x, t), (y, u) = pair(a), pair(b)
        both_raise(lambda: NF.cosine_similarity(x, y, dim), lambda: F.cosine_similarity(t, u, dim))


@pytest.mark.parametrize("s1,s2,kw", [((3, 4), (3, 4), {}), ((3, 4), (4,), {}), ((2, 3, 4), (2, 3, 4),
                                                                               {"p": 1.0, "keepdim": True}),
                                      ((3, 4), (3, 4), {"p": 3.0}), ((3, 4), (3, 4), {"p": float("inf")}),
                                      ((3, 4), (3, 4), {"p": 0.0}), ((4,), (4,), {}), ((), (), {})])
def test_pairwise_distance(s1, s2, kw):
    check_op(lambda a, b: NF.pairwise_distance(a, b, **kw), lambda a, b: F.pairwise_distance(a, b, **kw),
             rand(*s1), rand(*s2), rtol=1e-5, atol=1e-5)
    if kw.get("p") != 0.0:
        gradcheck64(lambda a, b: NF.pairwise_distance(a, b, **kw), rand(*s1), rand(*s2))
    (x, t) = pair(np.ones((3, 4), np.int64))
    assert_close(NF.pairwise_distance(x, x * 2), F.pairwise_distance(t, t * 2))


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf")])
def test_pdist(p):
    check_op(lambda a: NF.pdist(a, p), lambda a: F.pdist(a, p), rand(5, 3), rtol=1e-5, atol=1e-5)
    gradcheck64(lambda a: NF.pdist(a, p), rand(4, 3))
    assert NF.pdist(nt.randn(1, 3)).shape == (0,)
    for a, pp in ((rand(2, 4, 3), 2.0), (rand(4, 3), -1.0), (np.ones((3, 4), np.int64), 2.0)):
        (x, t) = pair(a)
        both_raise(lambda: NF.pdist(x, pp), lambda: F.pdist(t, pp))


# ------------------------------------------------------------------ shuffles
@pytest.mark.parametrize("name,shape,arg", [("channel_shuffle", (2, 6, 3), 3), ("channel_shuffle", (2, 6, 2, 2), 2),
                                            ("pixel_shuffle", (2, 8, 3, 3), 2), ("pixel_shuffle", (2, 2, 9, 2, 2), 3),
                                            ("pixel_shuffle", (4, 2, 3), 2), ("pixel_unshuffle", (2, 2, 6, 6), 2),
                                            ("pixel_unshuffle", (3, 2, 6, 4, 6), 2)])
def test_shuffles(name, shape, arg):
    out_n, out_t = check_op(lambda x: getattr(NF, name)(x, arg), lambda x: getattr(F, name)(x, arg), rand(*shape))
    assert out_n.grad_fn.name() == out_t.grad_fn.name()
    gradcheck64(lambda x: getattr(NF, name)(x, arg), rand(*shape))
    (i, ti) = pair(np.arange(int(np.prod(shape))).reshape(shape))
    assert_close(getattr(NF, name)(i, arg), getattr(F, name)(ti, arg))


def test_shuffle_errors():
    for name, shape, arg in [("channel_shuffle", (2, 5, 3), 2), ("channel_shuffle", (2, 6, 3), 0),
                             ("channel_shuffle", (2, 6), 2), ("pixel_shuffle", (2, 7, 3, 3), 2),
                             ("pixel_shuffle", (8, 3), 2), ("pixel_shuffle", (2, 8, 3, 3), 0),
                             ("pixel_unshuffle", (2, 2, 5, 6), 2), ("pixel_unshuffle", (2, 2, 6, 5), 2),
                             ("pixel_unshuffle", (6, 6), 2), ("pixel_unshuffle", (2, 2, 6, 6), 0)]:
        (x, t) = pair(rand(*shape))
        both_raise(lambda: getattr(NF, name)(x, arg), lambda: getattr(F, name)(t, arg))
