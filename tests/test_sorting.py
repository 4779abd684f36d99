"""Sorting and searching against torch: values, indices, dtypes, gradients, errors."""
import numpy as np
import pytest
from helpers import both_raise, assert_close, check_op, gradcheck64, pair, torch

import numtorch as nt

rng = np.random.default_rng(0)


def rand(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)




TIES = np.array([3.0, 1.0, np.nan, 2.0, 1.0, 3.0, -np.inf, 2.0], np.float32)


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("stable", [False, True])
def test_sort_ties_and_nan(descending, stable):
    check_op(lambda x: nt.sort(x, descending=descending, stable=stable),
             lambda x: torch.sort(x, descending=descending, stable=stable), TIES)
    (x, t) = pair(TIES)
    assert_close(nt.argsort(x, descending=descending), torch.argsort(t, descending=descending))
    assert_close(nt.argsort(x, stable=True, descending=descending), torch.argsort(t, stable=True, descending=descending))


@pytest.mark.parametrize("shape,dim", [((4, 5), 0), ((4, 5), 1), ((3, 4, 5), -2), ((), 0), ((0, 3), 0), ((6,), -1)])
def test_sort_dims(shape, dim):
    a = rng.integers(0, 4, shape).astype(np.float32)  # many ties
    check_op(lambda x: nt.sort(x, dim), lambda x: torch.sort(x, dim), a)
    check_op(lambda x: x.sort(dim=dim, descending=True), lambda x: x.sort(dim=dim, descending=True), a)
    check_op(lambda x: nt.argsort(x, dim), lambda x: torch.argsort(x, dim), a, grad=False)


@pytest.mark.parametrize("dt", [np.int64, np.int32, np.uint8, np.bool_, np.float64, np.float16])
def test_sort_dtypes(dt):
    a = rng.integers(0, 5, (3, 6)).astype(dt)
    check_op(lambda x: nt.sort(x, descending=True), lambda x: torch.sort(x, descending=True), a, grad=False)


def test_return_type_repr_and_fields():
    (x, t) = pair(np.array([2.0, 1.0], np.float32), True)
    r, rt = nt.sort(x), torch.sort(t)
    assert repr(r).replace("numtorch", "torch") == repr(rt)
    assert type(r).__name__ == "sort" and isinstance(r, tuple) and len(r) == 2
    v, i = r
    assert v is r.values and i is r.indices and r[0] is r.values
    assert repr(nt.topk(x.detach(), 1)) == repr(torch.topk(t.detach(), 1))
    assert type(nt.kthvalue(x, 1)).__name__ == "kthvalue"


def test_sort_gradcheck_and_double_backward():
    gradcheck64(lambda x: nt.sort(x, 1, descending=True).values, rand(3, 4, dtype=np.float64))
    gradcheck64(lambda x: nt.topk(x, 2, 0).values, rand(4, 3, dtype=np.float64))
    gradcheck64(lambda x: nt.kthvalue(x, 2, 1).values, rand(3, 4, dtype=np.float64))
    gradcheck64(nt.msort, rand(3, 2, dtype=np.float64))
    x = nt.tensor(rand(5, dtype=np.float64), requires_grad=True)
    assert nt.autograd.gradgradcheck(lambda v: nt.sort(v).values ** 2, (x,))
    assert nt.autograd.gradgradcheck(lambda v: nt.topk(v, 3).values ** 3, (x,))


def test_msort():
    check_op(nt.msort, torch.msort, rand(4, 3))
    out_n, out_t = check_op(lambda x: x.msort(), lambda x: x.msort(), rand(4, 3))
    assert out_n.grad_fn.name() == out_t.grad_fn.name()


DISTINCT = rng.permutation(40).reshape(5, 8).astype(np.float32)


@pytest.mark.parametrize("k,dim,largest", [(3, -1, True), (3, -1, False), (2, 0, True), (5, 0, False), (0, 1, True),
                                           (8, 1, True)])
def test_topk(k, dim, largest):
    out_n, out_t = check_op(lambda x: nt.topk(x, k, dim, largest), lambda x: torch.topk(x, k, dim, largest), DISTINCT)
    if k:
        assert out_n.values.grad_fn.name() == out_t.values.grad_fn.name()
    check_op(lambda x: x.topk(k, dim=dim, largest=largest, sorted=True),
             lambda x: x.topk(k, dim=dim, largest=largest, sorted=True), DISTINCT)


def test_topk_nan_and_edge_cases():
    a = np.array([1.0, np.nan, 0.0, 5.0], np.float32)
    check_op(lambda x: nt.topk(x, 2), lambda x: torch.topk(x, 2), a)
    check_op(lambda x: nt.topk(x, 2, largest=False), lambda x: torch.topk(x, 2, largest=False), a)
    check_op(lambda x: nt.topk(x, 1), lambda x: torch.topk(x, 1), np.array(2.0, np.float32))
    check_op(lambda x: nt.topk(x, 0, 0), lambda x: torch.topk(x, 0, 0), np.zeros((0, 2), np.float32))
    for arr_, k in ((a, 5), (a, -1), (np.array(2.0, np.float32), 2)):
        (x, t) = pair(arr_)
        both_raise(lambda: nt.topk(x, k), lambda: torch.topk(t, k))
    (b, tb) = pair(np.array([True, False]))
    both_raise(lambda: nt.topk(b, 1), lambda: torch.topk(tb, 1))


@pytest.mark.parametrize("k,dim,keepdim", [(1, -1, False), (3, -1, True), (5, 0, False), (2, 0, True)])
def test_kthvalue(k, dim, keepdim):
    out_n, out_t = check_op(lambda x: nt.kthvalue(x, k, dim, keepdim), lambda x: torch.kthvalue(x, k, dim, keepdim),
                            DISTINCT)
    assert out_n.values.grad_fn.name() == out_t.values.grad_fn.name()
    check_op(lambda x: x.kthvalue(k, dim=dim, keepdim=keepdim), lambda x: x.kthvalue(k, dim=dim, keepdim=keepdim),
             DISTINCT)


def test_kthvalue_edge_cases():
    check_op(lambda x: nt.kthvalue(x, 3), lambda x: torch.kthvalue(x, 3), np.array([1.0, np.nan, 0.0], np.float32))
    check_op(lambda x: nt.kthvalue(x, 1), lambda x: torch.kthvalue(x, 1), np.array(2.0, np.float32))
    for arr_, k, dim in ((DISTINCT, 9, 1), (DISTINCT, 0, -1), (np.zeros((2, 0), np.float32), 1, -1)):
        (x, t) = pair(arr_)
        both_raise(lambda: nt.kthvalue(x, k, dim), lambda: torch.kthvalue(t, k, dim))
    (b, tb) = pair(np.array([True, False]))
    both_raise(lambda: nt.kthvalue(b, 1), lambda: torch.kthvalue(tb, 1))


def test_sort_errors():
    (x, t) = pair(rand(4))
    both_raise(lambda: nt.sort(x, 1), lambda: torch.sort(t, 1))
    both_raise(lambda: nt.argsort(x, 2), lambda: torch.argsort(t, 2))


def test_out_variants():
    (x, t) = pair(rand(5))
    outs_n = (nt.empty(5), nt.empty(5, dtype=nt.int64))
    outs_t = (torch.empty(5), torch.empty(5, dtype=torch.int64))
    r, rt = nt.sort(x, out=outs_n), torch.sort(t, out=outs_t)
    assert r.values is outs_n[0] and type(r).__name__ == type(rt).__name__
    assert_close(outs_n[0], outs_t[0])
    assert_close(outs_n[1], outs_t[1])


# ------------------------------------------------------------------ unique
UNIQ_INPUTS = [np.array([3, 1, 2, 1, 3]), np.array([[3, 1], [2, 1]]), np.array(3),
               np.array([1.0, np.nan, np.nan, 0.0, 1.0], np.float32), np.array([True, False, True]),
               np.zeros(0, np.int64)]


@pytest.mark.parametrize("a", UNIQ_INPUTS)
@pytest.mark.parametrize("inv,cnt", [(False, False), (True, False), (False, True), (True, True)])
def test_unique(a, inv, cnt):
    (x, t) = pair(a)
    assert_close(nt.unique(x, return_inverse=inv, return_counts=cnt),
                 torch.unique(t, return_inverse=inv, return_counts=cnt))
    assert_close(x.unique(sorted=True, return_inverse=inv, return_counts=cnt),
                 t.unique(sorted=True, return_inverse=inv, return_counts=cnt))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unique_dim(dim):
    a = np.array([[1, 2, 1], [0, 1, 0], [1, 2, 1]])
    (x, t) = pair(a)
    assert_close(nt.unique(x, dim=dim, return_inverse=True, return_counts=True),
                 torch.unique(t, dim=dim, return_inverse=True, return_counts=True))
    (z, tz) = pair(np.zeros((2, 0)))
    both_raise(lambda: nt.unique(z, dim=0), lambda: torch.unique(tz, dim=0))
    (v, tv) = pair(np.array([1, 2]))
    both_raise(lambda: nt.unique(v, dim=1), lambda: torch.unique(tv, dim=1))


def test_unique_not_differentiable():
    for fn_name, kw in (("unique", {}), ("unique", {"dim": 0}), ("unique_consecutive", {})):
        (x, t) = pair(rand(4), True)
        yn, yt = getattr(nt, fn_name)(x, **kw), getattr(torch, fn_name)(t, **kw)
        assert yn.grad_fn.name() == yt.grad_fn.name()
        both_raise(lambda: yn.sum().backward(), lambda: yt.sum().backward())


@pytest.mark.parametrize("a,dim", [(np.array([1, 1, 2, 2, 3, 1, 1]), None), (np.array([[1, 2], [1, 2], [0, 1]]), 0),
                                   (np.array([[1, 1, 2], [1, 1, 3]]), 1), (np.array([[1, 1], [1, 1]]), None),
                                   (np.array(1), None), (np.array([1.0, np.nan, np.nan], np.float32), None)])
def test_unique_consecutive(a, dim):
    (x, t) = pair(a)
    for inv, cnt in ((False, False), (True, True), (False, True)):
        assert_close(nt.unique_consecutive(x, return_inverse=inv, return_counts=cnt, dim=dim),
                     torch.unique_consecutive(t, return_inverse=inv, return_counts=cnt, dim=dim))
    assert_close(x.unique_consecutive(dim=dim), t.unique_consecutive(dim=dim))


# ------------------------------------------------------------------ searching
SEQ = np.array([1.0, 2.0, 2.0, 3.0, 5.0], np.float32)


@pytest.mark.parametrize("kw", [{}, {"right": True}, {"side": "right"}, {"side": "left"}, {"out_int32": True}])
def test_searchsorted_1d(kw):
    vals = np.array([[2.0, 0.5], [5.0, 6.0], [3.0, 2.5]], np.float32)
    (s, ts), (v, tv) = pair(SEQ), pair(vals)
    assert_close(nt.searchsorted(s, v, **kw), torch.searchsorted(ts, tv, **kw))
    assert_close(nt.searchsorted(s, 2.0, **kw), torch.searchsorted(ts, 2.0, **kw))
    (iv, tiv) = pair(np.array([2, 4]))
    assert_close(nt.searchsorted(s, iv, **kw), torch.searchsorted(ts, tiv, **kw))


@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_batched(right):
    seq = np.sort(rng.integers(0, 6, (2, 3, 7)), axis=-1).astype(np.float64)
    vals = rng.integers(-1, 8, (2, 3, 5)).astype(np.float64)
    (s, ts), (v, tv) = pair(seq), pair(vals)
    assert_close(nt.searchsorted(s, v, right=right), torch.searchsorted(ts, tv, right=right))
    (e, te), (z, tz) = pair(np.zeros((2, 0))), pair(np.zeros((2, 3)))
    assert_close(nt.searchsorted(e, z), torch.searchsorted(te, tz))


def test_searchsorted_sorter_and_errors():
    seq = np.array([3.0, 1.0, 2.0], np.float32)
    (s, ts), (v, tv) = pair(seq), pair(np.array([2.5, 1.0], np.float32))
    (o, to) = pair(np.array([1, 2, 0]))
    assert_close(nt.searchsorted(s, v, sorter=o), torch.searchsorted(ts, tv, sorter=to))
    (s2, ts2) = pair(np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]], np.float32))
    cases = [(s, v, dict(side="rght")), (s, v, dict(side="left", right=True)), (s2, pair(np.ones((1, 2)))[0], {}),
             (s2, pair(np.ones(2))[0], {}), (pair(np.array(1.0))[0], v, {}),
             (s, v, dict(sorter=pair(np.array([0, 5, 1]))[0])), (s, v, dict(sorter=pair(np.array([0]))[0])),
             (s, v, dict(sorter=pair(np.array([0.0, 1.0, 2.0]))[0])), (pair(np.array([False, True]))[0], pair(np.array([True]))[0], {})]
    for sn, vn, kw in cases:
        st = torch.tensor(sn.numpy())
        vt = torch.tensor(vn.numpy())
        kt = {k: (torch.tensor(w.numpy()) if isinstance(w, nt.Tensor) else w) for k, w in kw.items()}
        both_raise(lambda: nt.searchsorted(sn, vn, **kw), lambda: torch.searchsorted(st, vt, **kt))


@pytest.mark.parametrize("right", [False, True])
def test_bucketize(right):
    (x, t), (b, tb) = pair(np.array([[1, 5], [3, 9], [0, 10]])), pair(np.array([1, 3, 5, 7, 9]))
    assert_close(nt.bucketize(x, b, right=right), torch.bucketize(t, tb, right=right))
    assert_close(nt.bucketize(3, b, right=right, out_int32=True), torch.bucketize(3, tb, right=right, out_int32=True))
    (b2, tb2) = pair(np.array([[1, 3], [5, 7]]))
    both_raise(lambda: nt.bucketize(x, b2), lambda: torch.bucketize(t, tb2))


@pytest.mark.parametrize("a,kw", [(np.array([1.0, 2.0, 1.0], np.float32), dict(bins=4, min=0, max=3)),
                                  (np.array([1.0, 2.0, 1.0, 5.0], np.float32), dict(bins=4)),
                                  (np.array([[1.0, 2.0], [3.0, 2.0]]), dict(bins=3, min=1, max=3)),
                                  (np.array([1.0, 2.0, 7.0, -1.0], np.float32), dict(bins=3, min=1, max=3)),
                                  (np.array([1.0, 1.0], np.float32), dict(bins=4)),
                                  (rng.standard_normal(1000).astype(np.float32), {})])
def test_histc(a, kw):
    (x, t) = pair(a)
    assert_close(nt.histc(x, **kw), torch.histc(t, **kw))
    assert_close(x.histc(**kw), t.histc(**kw))


def test_histc_errors():
    (x, t) = pair(np.array([1.0, 2.0], np.float32))
    for kw in (dict(bins=-1), dict(bins=4, min=3, max=2)):
        both_raise(lambda: nt.histc(x, **kw), lambda: torch.histc(t, **kw))
    (i, ti) = pair(np.array([1, 2]))
    both_raise(lambda: nt.histc(i), lambda: torch.histc(ti))
