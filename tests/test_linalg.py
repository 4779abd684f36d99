"""Matrix products against torch: values, dtypes, gradients, broadcasting, errors, gradcheck."""
import numpy as np
import pytest
from helpers import both_raise, assert_close, check_op, gradcheck64, pair, torch
from hypothesis import given, settings
from hypothesis import strategies as st

import numtorch as nt

rng = np.random.default_rng(0)


def rand(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)




MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
                 ((5, 2, 3), (3,)), ((3,), (5, 3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)),
                 ((2, 1, 2, 3), (4, 3, 5)), ((1, 2, 3), (5, 1, 3, 4)), ((0, 3), (3, 4)), ((2, 0), (0, 4))]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul_matches_torch(sa, sb):
    out_n, out_t = check_op(lambda a, b: a @ b, lambda a, b: a @ b, rand(*sa), rand(*sb), rtol=1e-4, atol=1e-5)
    assert out_n.grad_fn.name() == out_t.grad_fn.name()
    check_op(nt.matmul, torch.matmul, rand(*sa), rand(*sb), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("sa,sb", [((2, 3), (3,)), ((4, 2, 3), (3, 2)), ((3,), (2, 3, 2)), ((2, 2, 3), (1, 3, 2))])
def test_matmul_gradcheck(sa, sb):
    gradcheck64(nt.matmul, rand(*sa, dtype=np.float64), rand(*sb, dtype=np.float64))


def test_matmul_double_backward():
    a, b = rand(3, 4, dtype=np.float64), rand(4, 2, dtype=np.float64)
    x, X = pair(a, True)
    w, W = pair(b, True)
    outs = []
    for lib, p, q in ((nt, x, w), (torch, X, W)):
        y = (lib.tanh(p @ q) ** 2).sum()
        (gx,) = lib.autograd.grad(y, p, create_graph=True)
        (gx * gx).sum().backward()
        outs.append((p.grad, q.grad))
    assert_close(outs[0][0], outs[1][0])
    assert_close(outs[0][1], outs[1][1])
    assert nt.autograd.gradgradcheck(nt.matmul, (nt.tensor(rand(2, 3, dtype=np.float64), requires_grad=True),
                                                 nt.tensor(rand(4, 3, 2, dtype=np.float64), requires_grad=True)))


@pytest.mark.parametrize("dt", [np.int64, np.int32, np.uint8, np.float64, np.float16])
def test_matmul_dtypes(dt):
    a = (rng.integers(0, 4, (2, 3))).astype(dt)
    b = (rng.integers(0, 4, (3, 4))).astype(dt)
    x, y = pair(a), pair(b)
    assert_close(nt.matmul(x[0], y[0]), torch.matmul(x[1], y[1]), rtol=1e-3)
    assert_close(nt.mm(x[0], y[0]), torch.mm(x[1], y[1]), rtol=1e-3)


ERR_CASES = [
    ((2, 3), (4, 5)), ((3,), (4,)), ((2, 3), (4,)), ((3,), (4, 5)), ((2, 2, 3), (4, 5)), ((2, 2, 3), (2, 4, 5)),
    ((2, 2, 3), (3, 3, 5)), ((2, 2, 3), (4,)), ((3,), (2, 4, 5)), ((2, 3), (4, 4, 5)), ((1, 2, 3), (2, 4, 5)),
    ((2, 2, 3), (1, 4, 5)), ((3, 2, 2, 3), (1, 4, 5)), ((2, 2, 2, 3), (4, 5)), ((3, 2, 2, 3), (3, 4, 5)),
    ((), (3,)), ((3,), ()),
]


@pytest.mark.parametrize("sa,sb", ERR_CASES)
@pytest.mark.parametrize("ga,gb", [(False, False), (True, False), (False, True), (True, True)])
def test_matmul_errors(sa, sb, ga, gb):
    a, b = rand(*sa), rand(*sb)
    xa, ta = pair(a, ga)
    xb, tb = pair(b, gb)
    both_raise(lambda: nt.matmul(xa, xb), lambda: torch.matmul(ta, tb))


@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 4)), ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)),
                                   ((2, 2, 3), (2, 3, 4)), ((2, 2, 3), (3, 4)), ((2, 2, 3), (3,)),
                                   ((2, 3), (4, 3, 5)), ((3,), (4, 3, 5))])
@pytest.mark.parametrize("da,db", [(np.float32, np.float64), (np.int64, np.float32), (np.float64, np.float16),
                                   (np.int32, np.int64), (np.bool_, np.bool_)])
def test_matmul_dtype_errors(sa, sb, da, db):
    xa, ta = pair(np.ones(sa, dtype=da), da == np.float32)
    xb, tb = pair(np.ones(sb, dtype=db))
    both_raise(lambda: nt.matmul(xa, xb), lambda: torch.matmul(ta, tb))


def test_matmul_operator_types():
    x, t = pair(rand(2, 3))
    for other in (2, [1.0, 2.0, 3.0]):
        both_raise(lambda: x @ other, lambda: t @ other, TypeError)
        both_raise(lambda: other @ x, lambda: other @ t, TypeError)
    both_raise(lambda: nt.matmul(x, 2), lambda: torch.matmul(t, 2), TypeError)
    both_raise(lambda: nt.mm(x, 2), lambda: torch.mm(t, 2), TypeError)


def _two(sa, sb, dt=np.float32):
    return rand(*sa, dtype=dt), rand(*sb, dtype=dt)


@pytest.mark.parametrize("name,sa,sb", [("mm", (2, 3), (3, 4)), ("bmm", (5, 2, 3), (5, 3, 4)), ("mv", (2, 3), (3,)),
                                         ("dot", (3,), (3,)), ("vdot", (4,), (4,)), ("inner", (2, 3), (4, 3)),
                                         ("inner", (3,), (3,)), ("inner", (), (2, 3)), ("inner", (2, 5, 3), (4, 3)),
                                         ("outer", (2,), (3,)), ("ger", (2,), (3,)), ("kron", (2, 3), (4, 5)),
                                         ("kron", (2,), (3, 2)), ("kron", (2, 3, 2), (4, 1))])
def test_products_match_torch(name, sa, sb):
    out_n, out_t = check_op(getattr(nt, name), getattr(torch, name), *_two(sa, sb), rtol=1e-4, atol=1e-5)
    if name in ("mm", "bmm", "mv", "dot", "vdot"):
        assert out_n.grad_fn.name() == out_t.grad_fn.name()
        check_op(lambda a, b: getattr(a, name)(b), lambda a, b: getattr(a, name)(b), *_two(sa, sb), rtol=1e-4)


@pytest.mark.parametrize("name,sa,sb", [("bmm", (2, 2, 3), (2, 3, 2)), ("mv", (2, 3), (3,)), ("dot", (3,), (3,)),
                                         ("inner", (2, 3), (2, 3)), ("outer", (2,), (3,)), ("kron", (2, 2), (2, 1))])
def test_products_gradcheck(name, sa, sb):
    gradcheck64(getattr(nt, name), *_two(sa, sb, np.float64))


def test_outer_and_kron_promote():
    a, b = rand(3), np.arange(4)
    check_op(nt.outer, torch.outer, a, b)
    check_op(nt.kron, torch.kron, a, b)
    check_op(nt.outer, torch.outer, a, b.astype(np.float64))


PRODUCT_ERRORS = [
    ("mm", (2, 2, 3), (3, 4)), ("mm", (2, 3), (3,)), ("mm", (2, 3), (4, 5)), ("bmm", (2, 3), (3, 4)),
    ("bmm", (2, 2, 3), (3, 4)), ("bmm", (2, 2, 3), (3, 3, 4)), ("bmm", (2, 2, 3), (2, 4, 4)),
    ("bmm", (1, 2, 3), (2, 3, 4)), ("mv", (2, 3), (4,)), ("mv", (3,), (3,)), ("mv", (2, 3), (3, 1)),
    ("dot", (3,), (4,)), ("dot", (3, 1), (3,)), ("dot", (3,), (3, 1)), ("vdot", (3,), (4,)),
    ("inner", (2, 3), (4, 2)), ("outer", (2, 2), (3,)), ("outer", (2,), (3, 1)),
]


@pytest.mark.parametrize("name,sa,sb", PRODUCT_ERRORS)
def test_product_errors(name, sa, sb):
    xa, ta = pair(rand(*sa))
    xb, tb = pair(rand(*sb))
    both_raise(lambda: getattr(nt, name)(xa, xb), lambda: getattr(torch, name)(ta, tb))


@pytest.mark.parametrize("name", ["mm", "bmm", "mv", "dot", "inner"])
def test_product_dtype_errors(name):
    sa, sb = {"mm": ((2, 3), (3, 4)), "bmm": ((2, 2, 3), (2, 3, 4)), "mv": ((2, 3), (3,)), "dot": ((3,), (3,)),
              "inner": ((2, 3), (4, 3))}[name]
    for da, db in ((np.float32, np.float64), (np.int64, np.float32), (np.bool_, np.bool_)):
        xa, ta = pair(np.ones(sa, dtype=da))
        xb, tb = pair(np.ones(sb, dtype=db))
        both_raise(lambda: getattr(nt, name)(xa, xb), lambda: getattr(torch, name)(ta, tb))


ADD_CASES = [("addmm", (2, 4), (2, 3), (3, 4)), ("addmm", (4,), (2, 3), (3, 4)), ("addmm", (1, 1), (2, 3), (3, 4)),
             ("addmv", (2,), (2, 3), (3,)), ("addmv", (1,), (2, 3), (3,)),
             ("addbmm", (2, 4), (5, 2, 3), (5, 3, 4)), ("addbmm", (4,), (5, 2, 3), (5, 3, 4)),
             ("baddbmm", (5, 2, 4), (5, 2, 3), (5, 3, 4)), ("baddbmm", (2, 1), (5, 2, 3), (5, 3, 4)),
             ("addr", (2, 3), (2,), (3,)), ("addr", (3,), (2,), (3,))]


@pytest.mark.parametrize("name,si,sa,sb", ADD_CASES)
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1)])
def test_add_products(name, si, sa, sb, beta, alpha):
    kw = dict(beta=beta, alpha=alpha)
    out_n, out_t = check_op(lambda i, a, b: getattr(nt, name)(i, a, b, **kw),
                            lambda i, a, b: getattr(torch, name)(i, a, b, **kw), rand(*si), rand(*sa), rand(*sb),
                            rtol=1e-4, atol=1e-5)
    assert out_n.grad_fn.name() == out_t.grad_fn.name()
    check_op(lambda i, a, b: getattr(i, name)(a, b, **kw), lambda i, a, b: getattr(i, name)(a, b, **kw),
             rand(*si), rand(*sa), rand(*sb), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name,si,sa,sb", ADD_CASES[::2])
def test_add_products_gradcheck(name, si, sa, sb):
    gradcheck64(lambda i, a, b: getattr(nt, name)(i, a, b, beta=0.7, alpha=1.3),
                rand(*si, dtype=np.float64), rand(*sa, dtype=np.float64), rand(*sb, dtype=np.float64))


def test_add_products_nan_input_ignored_with_beta_zero_and_inplace():
    i = np.full((2, 4), np.nan, np.float32)
    check_op(lambda i, a, b: nt.addmm(i, a, b, beta=0), lambda i, a, b: torch.addmm(i, a, b, beta=0),
             i, rand(2, 3), rand(3, 4), grad=False)
    (x, t), (a, ta), (b, tb) = pair(rand(2, 4)), pair(rand(2, 3)), pair(rand(3, 4))
    assert_close(x.addmm_(a, b, alpha=2), t.addmm_(ta, tb, alpha=2), rtol=1e-5)
    ints = [pair(rng.integers(0, 5, s)) for s in ((2, 4), (2, 3), (3, 4))]
    assert_close(nt.addmm(*[p[0] for p in ints], beta=0.5, alpha=2), torch.addmm(*[p[1] for p in ints], beta=0.5, alpha=2))


ADD_ERRORS = [("addmm", (3, 4), (2, 3), (3, 4)), ("addmm", (2, 4), (3,), (3, 4)), ("addmm", (2, 4), (2, 3), (2, 4)),
              ("addmm", (1, 2, 4), (2, 3), (3, 4)), ("addmm", (3,), (2, 3), (3, 4)), ("addmv", (3,), (2, 3), (3,)),
              ("addmv", (2,), (2, 3), (3, 1)), ("addbmm", (2, 4), (5, 2, 3), (4, 3, 4)),
              ("addbmm", (2, 4), (5, 2, 3), (5, 2, 4)), ("addbmm", (3, 4), (5, 2, 3), (5, 3, 4)),
              ("baddbmm", (3, 2, 4), (5, 2, 3), (5, 3, 4)), ("baddbmm", (5, 2, 4), (5, 2, 3), (5, 2, 4)),
              ("baddbmm", (5, 2, 4), (5, 2, 3), (4, 3, 4)), ("addr", (2, 3), (2, 2), (3,)),
              ("addr", (3, 3), (2,), (3,))]


@pytest.mark.parametrize("name,si,sa,sb", ADD_ERRORS)
def test_add_product_errors(name, si, sa, sb):
    ps = [pair(rand(*s)) for s in (si, sa, sb)]
    both_raise(lambda: getattr(nt, name)(*[p[0] for p in ps]), lambda: getattr(torch, name)(*[p[1] for p in ps]))


@pytest.mark.parametrize("name,si,sa,sb", [c for c in ADD_CASES if c[0] != "addr" and len(c[1]) > 1])
def test_add_product_dtype_errors(name, si, sa, sb):
    for k in range(3):
        ps = [pair(np.ones(s, dtype=np.float64 if j == k else np.float32)) for j, s in enumerate((si, sa, sb))]
        both_raise(lambda: getattr(nt, name)(*[p[0] for p in ps]), lambda: getattr(torch, name)(*[p[1] for p in ps]))


# ------------------------------------------------------------------ einsum / tensordot
EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(5, 2, 3), (5, 3, 4)]),
    ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ij->", [(2, 3)]), ("ij->ji", [(2, 3)]), ("i,j->ij", [(2,), (3,)]),
    ("...ij,...jk", [(5, 2, 3), (3, 4)]), ("...ij,...jk->...ik", [(5, 1, 2, 3), (4, 3, 4)]),
    ("i...->...", [(2, 3, 4)]), ("ii...->i...", [(3, 3, 4)]), ("ij,ij->ij", [(2, 1), (2, 4)]),
    ("ij,jk->ik", [(2, 1), (3, 4)]), ("Ba", [(3, 2)]), ("i j , j k -> i k", [(2, 3), (3, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]), ("iij,jk->ik", [(3, 3, 2), (2, 4)]), ("i,->i", [(3,), ()]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]), ("iii->", [(2, 2, 2)]), ("ij,j->ij", [(2, 3), (1,)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM_CASES)
def test_einsum_matches_torch(eq, shapes):
    arrays = [rand(*s) for s in shapes]
    check_op(lambda *xs: nt.einsum(eq, *xs), lambda *xs: torch.einsum(eq, *xs), *arrays, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("eq,shapes", [c for c in EINSUM_CASES if c[0] in
                                       ("ii->i", "iij,jk->ik", "...ij,...jk->...ik", "bn,anm,bm->ba", "ij,ij->ij")])
def test_einsum_gradcheck_and_double_backward(eq, shapes):
    arrays = [rand(*s, dtype=np.float64) for s in shapes]
    gradcheck64(lambda *xs: nt.einsum(eq, *xs), *arrays)
    ts = tuple(nt.tensor(a, requires_grad=True) for a in arrays)
    assert nt.autograd.gradgradcheck(lambda *xs: nt.einsum(eq, *xs), ts)


def test_einsum_forms_and_dtypes():
    a, b = rand(2, 3), rand(3, 4)
    (x, t), (y, u) = pair(a), pair(b)
    assert_close(nt.einsum("ij,jk", [x, y]), torch.einsum("ij,jk", [t, u]), rtol=1e-5)
    assert_close(nt.einsum(x, [0, 1], y, [1, 2], [0, 2]), torch.einsum(t, [0, 1], u, [1, 2], [0, 2]), rtol=1e-5)
    assert_close(nt.einsum(x, [0, 1], y, [1, 2]), torch.einsum(t, [0, 1], u, [1, 2]), rtol=1e-5)
    assert_close(nt.einsum(x, [Ellipsis, 1], [Ellipsis]), torch.einsum(t, [Ellipsis, 1], [Ellipsis]), rtol=1e-5)
    for dt in (np.int64, np.int32, np.bool_):
        (p, q) = pair(rng.integers(0, 3, (2, 3)).astype(dt))
        assert_close(nt.einsum("ij->j", p), torch.einsum("ij->j", q))
        assert_close(nt.einsum("ij,ij->ij", p, p), torch.einsum("ij,ij->ij", q, q))
    (z, w) = pair(rand(3, dtype=np.float64))
    assert_close(nt.einsum("i,j->ij", x[0], z), torch.einsum("i,j->ij", t[0], w), rtol=1e-5)


EINSUM_ERRORS = [
    ("ij,jk->ik", [(2, 2), (3, 4)]), ("ij,jk", [(2, 3)]), ("ij", [(2, 3), (3, 4)]), ("ijk,jk", [(2, 3), (3, 4)]),
    ("ij,jk->iz", [(2, 3), (3, 4)]), ("ij,jk->ii", [(2, 3), (3, 4)]), ("i1,1k->ik", [(2, 3), (3, 4)]),
    ("ii->i", [(3, 1)]), ("ii->i", [(3, 2)]), ("ijk...->i", [(2, 3)]), ("...i,...i->...", [(2, 3), (4, 3)]),
    ("...i...->i", [(2, 3)]), ("i.j", [(2, 3)]), ("ij-jk", [(2, 3)]), ("ij->j->i", [(2, 3)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM_ERRORS)
def test_einsum_errors(eq, shapes):
    ps = [pair(rand(*s)) for s in shapes]
    both_raise(lambda: nt.einsum(eq, *[p[0] for p in ps]), lambda: torch.einsum(eq, *[p[1] for p in ps]))


def test_einsum_type_errors():
    (x, t), (y, u) = pair(rand(2, 3)), pair(rand(3, 4, dtype=np.float64))
    both_raise(lambda: nt.einsum("ij,jk", x, y), lambda: torch.einsum("ij,jk", t, u))
    both_raise(lambda: nt.einsum("ij"), lambda: torch.einsum("ij"))
    both_raise(lambda: nt.einsum("i", 3), lambda: torch.einsum("i", 3))
    both_raise(lambda: nt.einsum(x, [0, 52]), lambda: torch.einsum(t, [0, 52]))
    (b, c) = pair(np.ones((2, 3), bool))
    both_raise(lambda: nt.einsum("ij,jk", b, b.T), lambda: torch.einsum("ij,jk", c, c.T))


TD_CASES = [((2, 3, 4), (3, 4, 5), 2), ((2, 3, 4), (4, 3, 5), ([1, 2], [1, 0])), ((2, 3), (3, 4), 0),
            ((2, 3), (3, 4), 1), ((2, 3), (3, 4), [[1], [0]]), ((2, 3), (2, 3), 2)]


@pytest.mark.parametrize("sa,sb,dims", TD_CASES)
def test_tensordot(sa, sb, dims):
    check_op(lambda a, b: nt.tensordot(a, b, dims=dims), lambda a, b: torch.tensordot(a, b, dims=dims),
             rand(*sa), rand(*sb), rtol=1e-4, atol=1e-5)


def test_tensordot_gradcheck_and_errors():
    gradcheck64(lambda a, b: nt.tensordot(a, b, dims=([0, 2], [1, 0])), rand(2, 3, 4, dtype=np.float64),
                rand(4, 2, 2, dtype=np.float64))
    for sa, sb, dims in [((2, 3, 4), (3, 5, 5), 2), ((2, 3, 4), (4, 3, 5), ([1, 2], [0, 1])), ((2, 3), (3, 4), -1),
                         ((2, 3), (3, 4), 3), ((2, 3), (3, 4), ([1, 0], [0])), ((2, 3), (3, 4), (1, 0)),
                         ((2, 3), (3, 4), ([1], [5])), ((2, 3), (3, 4), ([1, 1], [0, 0]))]:
        (x, t), (y, u) = pair(rand(*sa)), pair(rand(*sb))
        both_raise(lambda: nt.tensordot(x, y, dims=dims), lambda: torch.tensordot(t, u, dims=dims))
    (x, t), (y, u) = pair(rand(2, 3)), pair(rand(3, 4, dtype=np.float64))
    both_raise(lambda: nt.tensordot(x, y, 1), lambda: torch.tensordot(t, u, 1))
    both_raise(lambda: nt.inner(x, nt.ones(4, 3, dtype=nt.float64)),
               lambda: torch.inner(t, torch.ones(4, 3, dtype=torch.float64)))


# ------------------------------------------------------------------ cross
@pytest.mark.parametrize("sa,sb,dim", [((4, 3), (4, 3), 1), ((3, 4), (3, 4), 0), ((1, 3), (5, 3), -1), ((2, 3, 3), (2, 3, 3), 1)])
def test_cross(sa, sb, dim):
    out_n, out_t = check_op(lambda a, b: nt.cross(a, b, dim=dim), lambda a, b: torch.cross(a, b, dim=dim),
                            rand(*sa), rand(*sb), rtol=1e-4, atol=1e-5)
    assert out_n.grad_fn.name() == out_t.grad_fn.name()


def test_cross_default_dim_gradcheck_and_errors():
    with pytest.warns(UserWarning, match="without specifying the dim"):
        check_op(nt.cross, torch.cross, rand(3, 4), rand(3, 4))
    gradcheck64(lambda a, b: nt.cross(a, b, dim=1), rand(2, 3, dtype=np.float64), rand(1, 3, dtype=np.float64))
    for sa, sb, dim in [((4, 2), (4, 2), 1), ((4, 3), (5, 3), 1), ((4, 3), (3,), 1), ((4, 3), (4, 3), 0),
                        ((2, 3), (2, 3), 2)]:
        (x, t), (y, u) = pair(rand(*sa)), pair(rand(*sb))
        both_raise(lambda: nt.cross(x, y, dim=dim), lambda: torch.cross(t, u, dim=dim))


# ------------------------------------------------------------------ broadcasting property test
dim_st = st.integers(1, 3)


@st.composite
def matmul_shapes(draw):
    n, m, p = draw(dim_st), draw(dim_st), draw(dim_st)
    batch = draw(st.lists(st.integers(1, 3), max_size=2))
    ba = [b if draw(st.booleans()) else 1 for b in batch][draw(st.integers(0, len(batch))):]
    bb = [b if draw(st.booleans()) else 1 for b in batch][draw(st.integers(0, len(batch))):]
    sa = tuple(ba) + (n, m) if draw(st.booleans()) else (m,)
    sb = tuple(bb) + (m, p) if draw(st.booleans()) else (m,)
    return sa, sb


@settings(max_examples=40, deadline=None)
@given(matmul_shapes())
def test_matmul_broadcasting_property(shapes):
    sa, sb = shapes
    check_op(nt.matmul, torch.matmul, rand(*sa, dtype=np.float64), rand(*sb, dtype=np.float64), rtol=1e-7, atol=1e-9)
