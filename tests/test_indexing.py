"""Indexing against torch: __getitem__ / __setitem__ (views, copies, gradients), in-place ops on
views (CopySlices), gather / scatter / index_* / masked_* / take / put / nonzero, errors."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import numtorch as nt
from helpers import assert_close, gradcheck64, torch

rng = np.random.default_rng(0)


def rand(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


X = rand(3, 4)
X3 = rand(2, 3, 4)
W4 = rand(4)


def L(m, v, dtype=None):
    """A tensor of module ``m`` (int64 by default for integer lists)."""
    return m.tensor(v) if dtype is None else m.tensor(v, dtype=getattr(m, dtype))


def same_error(f, *arrays):
    """``f(module, *tensors)`` raises the same exception type and message in numtorch and torch."""
    errs = []
    for m in (nt, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                f(m, *[m.tensor(a.copy()) for a in arrays])
            except Exception as e:  # noqa: BLE001
                errs.append(e)
            else:
                errs.append(None)
    en, et = errs
    assert et is not None, "torch did not raise"
    assert en is not None, f"numtorch did not raise; torch raised {et!r}"
    assert type(en) is type(et) and str(en) == str(et), f"\nnumtorch: {en!r}\ntorch:    {et!r}"


def run_both(f, *arrays, grad=True, names_too=True):
    """Run ``f(module, *tensors)`` in both libraries (float inputs require grad); compare the
    output, the grad_fn name, and the gradients of every input for one random upstream grad."""
    outs, grads, names = [], [], []
    for m in (nt, torch):
        ts = [m.tensor(a.copy(), requires_grad=grad and a.dtype.kind == "f") for a in arrays]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            o = f(m, *ts)
        outs.append(o)
        names.append(type(o.grad_fn).__name__ if o.grad_fn is not None else None)
        if grad and o.requires_grad:
            g = np.random.default_rng(1).standard_normal(tuple(o.shape)).astype(str(o.dtype).split(".")[-1])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                o.backward(m.tensor(g))
        grads.append([t.grad for t in ts])
    assert_close(outs[0], outs[1])
    assert names[0] == names[1] or not names_too, names
    for gn, gt in zip(*grads):
        if gt is None:
            assert gn is None or not np.any(gn.numpy())
        else:
            assert gn is not None
            assert_close(gn, gt)
    return outs


# ============================================================ __getitem__
GETITEM = [
    ("int", lambda m: 1), ("neg_int", lambda m: -1), ("slice", lambda m: slice(1, None)),
    ("full_slice", lambda m: slice(None)), ("step", lambda m: slice(None, None, 2)),
    ("col", lambda m: (slice(None), 1)), ("none", lambda m: None), ("ellipsis", lambda m: ...),
    ("alias", lambda m: (slice(None), slice(None))), ("int_none", lambda m: (1, None)),
    ("none_int", lambda m: (None, 0)), ("clamped", lambda m: slice(-10, 20)), ("empty", lambda m: slice(5, 9)),
    ("two_steps", lambda m: (slice(None, None, 2), slice(1, None, 2))), ("ell_none", lambda m: (..., None)),
    ("scalar_tensor", lambda m: L(m, 1)), ("np_int", lambda m: np.int64(2)),
    ("int_tensor", lambda m: L(m, [2, 0, 2])), ("int32_tensor", lambda m: L(m, [1, 2], "int32")),
    ("list", lambda m: [0, 2]), ("empty_list", lambda m: []), ("nested_list", lambda m: [[0, 1], [2, 3]]),
    ("2d_index", lambda m: L(m, [[0, 1], [1, 2]])), ("np_index", lambda m: np.array([1, 1])),
    ("true", lambda m: True), ("false", lambda m: False), ("bool_0d", lambda m: L(m, True)),
    ("mask", lambda m: L(m, [True, False, True])), ("mask_list", lambda m: [True, False, True]),
    ("np_mask", lambda m: np.array([False, True, True])),
    ("mask2d", lambda m: L(m, X > 0)), ("mask_col", lambda m: (slice(None), L(m, [True, False, True, True]))),
    ("adv_pair", lambda m: (L(m, [0, 2]), L(m, [1, 3]))), ("adv_slice", lambda m: (L(m, [0, 0]), slice(1, 3))),
    ("slice_adv", lambda m: (slice(1, None), L(m, [0, 0, 3]))), ("ell_adv", lambda m: (..., [0, 1])),
    ("adv_broadcast", lambda m: (L(m, [[0], [2]]), L(m, [1, 2, 3]))),
    ("mask_slice", lambda m: (L(m, [True, False, True]), slice(1, 3))),
    ("none_adv", lambda m: (None, 0, None, [1, 2])), ("seq_tuple", lambda m: [0, slice(None)]),
    ("int_adv", lambda m: (1, [0, 3])), ("neg_adv", lambda m: L(m, [-1, -3])),
    ("uint8_mask", lambda m: L(m, [1, 0, 1], "uint8")),
]


@pytest.mark.parametrize("name,idx", GETITEM, ids=[c[0] for c in GETITEM])
def test_getitem(name, idx):
    run_both(lambda m, x: (x * 1)[idx(m)], X)


GETITEM3 = [
    ("int_slice_adv", lambda m: (0, slice(None), [1, 2])),       # torch selects first: shape (3, 2)
    ("adv_slice_int", lambda m: ([0, 1], slice(None), 0)),
    ("adv_none_adv", lambda m: ([0, 1], None, [1, 2])), ("slice_adv_adv", lambda m: (slice(None), [0, 1], [1, 2])),
    ("adv_sep", lambda m: ([[0], [1]], slice(None), [[0, 1, 2]])),
    ("mask2d_slice", lambda m: (L(m, [[True, False, True], [False, True, True]]), slice(1, None))),
    ("int_ell_none", lambda m: (1, ..., None, slice(1, 3))), ("ell_int_ell", lambda m: (..., 1, ...)),
    ("int_int_int", lambda m: (1, 2, 3)), ("mask_last", lambda m: (..., L(m, [True, False, False, True]))),
]


@pytest.mark.parametrize("name,idx", GETITEM3, ids=[c[0] for c in GETITEM3])
def test_getitem_3d(name, idx):
    run_both(lambda m, x: (x * 1)[idx(m)], X3)


@pytest.mark.parametrize("idx", [lambda m: 0, lambda m: None, lambda m: ..., lambda m: True, lambda m: (None, None)])
def test_getitem_0d_input(idx):
    a = np.array(2.5, np.float32)
    if idx(nt) == 0:
        same_error(lambda m, x: x[0], a)
    else:
        run_both(lambda m, x: (x * 1)[idx(m)], a)


GETITEM_ERRORS = [
    ("neg_step", lambda m, x: x[::-1]), ("zero_step", lambda m, x: x[::0]), ("int_oob", lambda m, x: x[5]),
    ("neg_oob", lambda m, x: x[-4]), ("col_oob", lambda m, x: x[:, 5]), ("tensor_oob", lambda m, x: x[L(m, [5])]),
    ("tensor_neg_oob", lambda m, x: x[L(m, [-5])]), ("second_adv_oob", lambda m, x: x[[0, 1], [5, 1]]),
    ("col_adv_oob", lambda m, x: x[:, L(m, [5])]), ("float_idx_tensor", lambda m, x: x[L(m, [1.0])]),
    ("int16_idx", lambda m, x: x[L(m, [1], "int16")]), ("mask_shape", lambda m, x: x[L(m, [True, False])]),
    ("mask2_shape", lambda m, x: x[L(m, [[True, False, True, True]])]),
    ("mask_col_shape", lambda m, x: x[:, L(m, [True, False])]), ("too_many", lambda m, x: x[0, 1, 2]),
    ("float", lambda m, x: x[1.5]), ("0d_slice", lambda m, x: x[0][0][:]), ("0d_int", lambda m, x: x[0, 0][0]),
    ("0d_two", lambda m, x: x[0, 0][0, ...]),
]


@pytest.mark.parametrize("name,f", GETITEM_ERRORS, ids=[c[0] for c in GETITEM_ERRORS])
def test_getitem_errors(name, f):
    same_error(f, X)


@pytest.mark.parametrize("f", [lambda m, x: x[:, [0], [5]], lambda m, x: x[[0], :, [5]], lambda m, x: x[[0], 7],
                               lambda m, x: x[7, [0]], lambda m, x: x[None, 5], lambda m, x: x[0, [0], [5]]])
def test_getitem_errors_3d(f):
    same_error(f, X3)


def test_getitem_views_share_memory_and_version():
    x = nt.tensor(X.copy())
    for v in (x[1], x[1:], x[:, 2], x[None], x[...], x[1:][:, ::2]):
        assert v._base is x
        assert v._data.base is not None and np.shares_memory(v._data, x._data)
    v = x[1:][:, 1]
    v[0] = 100.0
    assert x[1, 1].item() == 100.0
    assert x._version == 1 and v._version == 1
    for c in (x[[0, 1]], x[x > 0], x[0, [1, 2]]):
        assert c._base is None and not np.shares_memory(c._data, x._data)


def test_getitem_warnings():
    x = nt.tensor(X.copy())
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        x[[0, slice(None)]]
    with pytest.warns(UserWarning, match="uint8 is now deprecated"):
        x[nt.tensor([1, 0, 1], dtype=nt.uint8)]


def test_getitem_int_dtypes():
    a = np.arange(12, dtype=np.int64).reshape(3, 4)
    for idx in (1, (slice(None), [0, 3]), a[:, 0] > 3):
        run_both(lambda m, x: x[idx], a, grad=False)


@st.composite
def basic_index(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    items, dim = [], 0
    ell = False
    while dim < len(shape) and draw(st.booleans()):
        kind = draw(st.sampled_from(["int", "slice", "none", "ell"] if not ell else ["int", "slice", "none"]))
        if kind == "int":
            items.append(draw(st.integers(-shape[dim], shape[dim] - 1)))
            dim += 1
        elif kind == "slice":
            a = draw(st.none() | st.integers(-6, 6))
            b = draw(st.none() | st.integers(-6, 6))
            s = draw(st.none() | st.integers(1, 3))
            items.append(slice(a, b, s))
            dim += 1
        elif kind == "none":
            items.append(None)
        else:
            items.append(Ellipsis)
            ell = True
            break
    return shape, tuple(items)


@settings(max_examples=60, deadline=None)
@given(basic_index())
def test_random_basic_slicing(case):
    shape, idx = case
    a = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    run_both(lambda m, x: (x * 1)[idx], a)
    x = nt.tensor(a.copy())
    v = x[idx]
    assert v._base is x and (v.numel() == 0 or np.shares_memory(v._data, x._data))


@settings(max_examples=40, deadline=None)
@given(basic_index(), st.booleans())
def test_random_basic_setitem(case, scalar):
    shape, idx = case
    a = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    vshape = a[idx].shape
    v = np.random.default_rng(len(shape)).standard_normal(vshape[1:] if vshape else ())

    def fn(m, x, w):
        y = x * 2
        y[idx] = 7.0 if scalar else w * 3
        return y
    run_both(fn, a, v)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3).flatmap(
    lambda s: st.tuples(st.just(tuple(s)), st.lists(st.integers(-s[0], s[0] - 1), min_size=0, max_size=5),
                        st.integers(0, len(s) - 1))))
def test_random_advanced_indexing(case):
    shape, ix, dim = case
    a = rng.standard_normal(shape)
    idx = (slice(None),) * dim + (np.array(ix, dtype=np.int64),) if dim < len(shape) else (np.array(ix),)
    if any(not -shape[dim] <= i < shape[dim] for i in ix):
        return
    run_both(lambda m, x: (x * 1)[tuple(m.tensor(i) if isinstance(i, np.ndarray) else i for i in idx)], a)


def test_getitem_gradcheck():
    gradcheck64(lambda x: x[1:, ::2] * 1, X)  # gradcheck reads outputs after restoring inputs: copy views
    gradcheck64(lambda x: x[[0, 0, 2], 1:], X)
    gradcheck64(lambda x: x[nt.tensor(X > 0)], X)


def test_getitem_double_backward():
    res = []
    for m in (nt, torch):
        x = m.tensor(X.astype(np.float64), requires_grad=True)
        y = (x[[0, 0, 2], 1:] ** 2 * x[0, 1:][None]).sum()
        (g,) = m.autograd.grad(y, x, create_graph=True)
        (gg,) = m.autograd.grad((g ** 2).sum(), x)
        res.append((g, gg))
    assert_close(res[0][0], res[1][0])
    assert_close(res[0][1], res[1][1])


# ============================================================ __setitem__
SETITEM = [
    ("row_tensor", lambda m, y, w: y.__setitem__(0, w)),
    ("row_scalar", lambda m, y, w: y.__setitem__(1, 5.0)),
    ("slice_broadcast", lambda m, y, w: y.__setitem__(slice(1, None), w)),
    ("col", lambda m, y, w: y.__setitem__((slice(None), 1), w[:3])),
    ("elem", lambda m, y, w: y.__setitem__((0, 0), w[1])),
    ("elem_chain", lambda m, y, w: y[0].__setitem__(1, w[1])),
    ("lead_ones", lambda m, y, w: y.__setitem__(0, w.reshape(1, 4))),
    ("full", lambda m, y, w: y.__setitem__(slice(None), w)),
    ("ellipsis_scalar", lambda m, y, w: y.__setitem__(..., 3.0)),
    ("none", lambda m, y, w: y.__setitem__(None, w)),
    ("adv_rows", lambda m, y, w: y.__setitem__([0, 2], w)),
    ("adv_slice", lambda m, y, w: y.__setitem__((slice(1, None), [0, 1]), w[:2])),
    ("adv_scalar", lambda m, y, w: y.__setitem__(L(m, [0, 2]), 3.0)),
    ("mask_scalar", lambda m, y, w: y.__setitem__(y > 0.5, 0.0)),
    ("mask_0d_tensor", lambda m, y, w: y.__setitem__(L(m, [True, False, True]), w[0])),
    ("mask_rows", lambda m, y, w: y.__setitem__(L(m, [True, False, True]), w)),
    ("adv_pairs", lambda m, y, w: y.__setitem__((L(m, [0, 1, 2]), L(m, [3, 2, 1])), w[:3])),
    ("0d_adv_value", lambda m, y, w: y.__setitem__([1], w[2])),
    ("iadd_col", lambda m, y, w: y[:, 1].__iadd__(w[:3])),
]


@pytest.mark.parametrize("name,f", SETITEM, ids=[c[0] for c in SETITEM])
def test_setitem(name, f):
    def fn(m, x, w):
        y = x * 2
        f(m, y, w)
        return y * 1
    run_both(fn, X, W4)


def test_setitem_self_aliasing_allowed():
    for f in (lambda y: y.__setitem__(0, y[1]), lambda y: y.__setitem__(0, y[0]), lambda y: y.__setitem__(0, y[0, 0]),
              lambda y: y.__setitem__(y > 0, y[0, 0]), lambda y: y.__setitem__([1, 2], y[[0, 1]])):
        run_both(lambda m, x: (lambda y: (f(y), y)[1])(x * 2), X)


def test_setitem_into_plain_tensor():
    def fn(m, w):
        y = m.zeros(3, 4)
        y[1] = w
        y[2, 1:3] = w[:2] * 2
        return y
    run_both(fn, W4)


def test_setitem_casts():
    for m in (nt, torch):
        xi = m.zeros(3, dtype=m.int64)
        xi[0] = 2.7
        xi[1] = m.tensor(3.9)
        xi[[2]] = -1.5
        xb = m.zeros(2, dtype=m.bool)
        xb[0] = 2
        xf = m.zeros(2)
        xf[0] = m.tensor(7, dtype=m.int64)
        xf[m.tensor([False, True])] = m.tensor(9, dtype=m.int64)
        assert xi.tolist() == [2, 3, -1] and xb.tolist() == [True, False] and xf.tolist() == [7.0, 9.0]


OVERFLOW = [("int8", 300), ("uint8", -1), ("uint8", -200), ("uint8", -1000), ("uint8", 256), ("uint8", -0.5),
            ("uint8", 3.7), ("int16", 40000), ("int32", 2 ** 40), ("int32", 3e9), ("int32", -2 ** 31),
            ("int64", 2 ** 63), ("int64", 2 ** 63 - 1), ("int64", 1e19), ("int64", float("nan")),
            ("float32", 1e300), ("float32", float("nan")), ("float16", 1e5), ("float64", 2 ** 1100), ("bool", 5.5)]


@pytest.mark.parametrize("dt,v", OVERFLOW, ids=[f"{d}-{v}" for d, v in OVERFLOW])
def test_setitem_scalar_overflow(dt, v):
    out = []
    for m in (nt, torch):
        x = m.zeros(2, dtype=getattr(m, dt))
        try:
            x[0] = v
            out.append(x.tolist())
        except (RuntimeError, ValueError) as e:
            out.append((type(e), str(e)))
    assert out[0] == out[1] or (out[0][0] != out[0][0] and out[1][0] != out[1][0])


def test_fill_family_overflow_errors():
    same_error(lambda m, x: x.masked_fill(x > 0, 1000), np.zeros(3, np.int8))
    same_error(lambda m, x: x.index_fill(0, L(m, [1]), 1000), np.zeros(3, np.int8))
    same_error(lambda m, x: x.scatter(0, L(m, [1]), 1000), np.zeros(3, np.int8))


def test_select_of_scalar_gradients():
    """0-dim gradients reach index nodes as NumPy scalars; they must still flow."""
    def f(m, w):
        a = w[0]
        return a * 2 + a * w[1] + w[1:][0] * 3
    run_both(f, W4)


def test_setitem_version_and_leaf_errors():
    x = nt.zeros(3, 4)
    x[0] = 1.0
    x[[1]] = nt.ones(4)
    assert x._version == 2
    same_error(lambda m, l: m.tensor(l, requires_grad=True).__setitem__(0, 1.0), W4)
    same_error(lambda m, l: m.tensor(l, requires_grad=True).__setitem__([0], 1.0), W4)
    same_error(lambda m, l: m.tensor(l, requires_grad=True).__setitem__(..., 1.0), W4)


SETITEM_ERRORS = [
    ("expand_mismatch", lambda m, x: x.__setitem__(0, m.ones(2))),
    ("expand_2d", lambda m, x: x.__setitem__((slice(0, 2), slice(0, 2)), m.ones(3, 3))),
    ("expand_ndim", lambda m, x: x.__setitem__(0, m.ones(2, 4))),
    ("expand_strip", lambda m, x: x.__setitem__((0, 0), m.ones(1, 1, 2))),
    ("adv_shape", lambda m, x: x.__setitem__([0, 1], m.ones(3))),
    ("adv_shape2", lambda m, x: x.__setitem__([0, 1], m.ones(2, 2, 4))),
    ("adv_dtype", lambda m, x: x.__setitem__([0], m.ones(4, dtype=m.float64))),
    ("mask_dtype", lambda m, x: x.__setitem__(m.tensor([True, False, True]), m.ones(4, dtype=m.int64))),
    ("adv_0d_dtype", lambda m, x: x.__setitem__([1], m.tensor(2, dtype=m.int64))),
    ("list_value", lambda m, x: x.__setitem__(0, [1, 2, 3, 4])),
    ("np_value", lambda m, x: x.__setitem__(0, np.ones(4))),
    ("none_value", lambda m, x: x.__setitem__(0, None)),
    ("overlap", lambda m, x: x.__setitem__(slice(1, None), x[:-1])),
    ("overlap_row", lambda m, x: x.__setitem__((0, slice(0, 2)), x[0, 1:3])),
    ("overlap_adv", lambda m, x: x.__setitem__([1, 2], x[:2])),
    ("overlap_adv_0d", lambda m, x: x.__setitem__([0], x[0, 0])),
    ("oob", lambda m, x: x.__setitem__(3, 1.0)), ("adv_oob", lambda m, x: x.__setitem__([0, 3], 1.0)),
]


@pytest.mark.parametrize("name,f", SETITEM_ERRORS, ids=[c[0] for c in SETITEM_ERRORS])
def test_setitem_errors(name, f):
    same_error(f, X)


def test_setitem_gradcheck():
    def f(x, w):
        y = x * 1
        y[1:, 2] = w[:2]
        y[[0, 2]] = w * 3
        return y
    gradcheck64(f, X, W4)


def test_setitem_grad_fn_names():
    names = []
    for m in (nt, torch):
        x = m.tensor(X, requires_grad=True)
        y = x * 2
        y[1:] = 5.0
        z = x * 2
        z[[1]] = 5.0
        u = x * 2
        u[:] = m.ones(4)
        names.append([type(t.grad_fn).__name__ for t in (y, z, u)])
    assert names[0] == names[1]


# ============================================================ in-place ops on views


def _views_case(fn):
    return lambda m, x, w: fn(m, x * 2, w)


VIEW_CASES = [
    ("mul_slice", lambda m, y, w: (y[1:].mul_(3), y)[1]),
    ("exp_slice", lambda m, y, w: (y[1:].exp_(), y)[1]),
    ("exp_col", lambda m, y, w: (y[:, 1].exp_(), y)[1]),
    ("view_of_view", lambda m, y, w: (y[1:][:, 2:].mul_(w[:2]), y)[1]),
    ("add_col", lambda m, y, w: (y[:, 1].add_(w[:3]), y)[1]),
    ("view_result", lambda m, y, w: y[1:].exp_()),
    ("unrelated_saved", lambda m, y, w: (lambda z: (y[1].mul_(2), z)[1])(y.exp())),
    ("setitem_through_view", lambda m, y, w: (y[0].__setitem__(slice(1, 3), w[:2]), y * y.sum())[1]),
]
STALE_CASES = [
    ("stale_intermediate", lambda m, y, w: (lambda v: (v[:, 2:].mul_(w[:2]), v)[1])(y[1:])),
    ("stale_sibling", lambda m, y, w: (lambda v: (y.__setitem__(2, w), v * 1)[1])(y[1:])),
    ("stale_overlap", lambda m, y, w: (lambda a, b: (b.__setitem__(0, w), a * 1)[1])(y[:2], y[1:])),
    ("stale_setitem_view", lambda m, y, w: (lambda v: (v.__setitem__(slice(1, 3), w[:2]), v)[1])(y[0])),
]


@pytest.mark.parametrize("name,f", VIEW_CASES, ids=[c[0] for c in VIEW_CASES])
def test_inplace_on_views(name, f):
    run_both(_views_case(f), X, W4)


@pytest.mark.parametrize("name,f", STALE_CASES, ids=[c[0] for c in STALE_CASES])
def test_inplace_stale_views(name, f):
    # the values and gradients must match; ``.grad_fn`` read directly may still be the old node
    run_both(_views_case(f), X, W4, names_too=False)


def test_copy_slices_graph_structure():
    x = nt.tensor(X, requires_grad=True)
    y = x * 2
    v = y[1:]
    v.mul_(3)
    assert type(y.grad_fn).__name__ == "CopySlices" and y.grad_fn.name() == "torch::autograd::CopySlices"
    assert type(y.grad_fn.next_functions[0][0]).__name__ == "MulBackward0"
    assert type(v.grad_fn).__name__ == "AsStridedBackward0"
    assert v.grad_fn.next_functions[0][0] is y.grad_fn
    assert y._version == v._version == 1
    y.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def test_view_of_leaf_inplace_error():
    same_error(lambda m, l: m.tensor(l, requires_grad=True)[1:].mul_(2), X)
    same_error(lambda m, l: m.tensor(l, requires_grad=True)[0].__setitem__(0, 1.0), X)


def test_inplace_view_no_grad_base_gets_grad():
    for m in (nt, torch):
        w = m.tensor(W4, requires_grad=True)
        y = m.zeros(3, 4)
        y[0].add_(w)
        assert y.requires_grad and type(y.grad_fn).__name__ == "CopySlices"


def test_inplace_view_double_backward():
    res = []
    for m in (nt, torch):
        x = m.tensor(X.astype(np.float64), requires_grad=True)
        y = x * 1
        y[1:].mul_(x[:2])
        (g,) = m.autograd.grad((y ** 2).sum(), x, create_graph=True)
        (gg,) = m.autograd.grad(g.sum(), x)
        res.append((g, gg))
    assert_close(res[0][0], res[1][0])
    assert_close(res[0][1], res[1][1])


def test_inplace_view_version_error():
    for m in (nt, torch):
        x = m.tensor(X, requires_grad=True)
        y = x * 1
        z = y.sigmoid()
        z[0].mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()


# ============================================================ gather / scatter family
IDX = np.array([[0, 2, 1, 0], [2, 2, 0, 1]])
SRC = rand(2, 4)
FUNCS = [
    ("gather0", lambda m, x: m.gather(x, 0, L(m, IDX))),
    ("gather1", lambda m, x: x.gather(1, L(m, [[3, 0], [1, 1], [2, 2]]))),
    ("gather_small", lambda m, x: m.gather(x, 0, L(m, [[0, 2]]))),
    ("gather_int32", lambda m, x: m.gather(x, 1, L(m, [[0], [1], [3]], "int32"))),
    ("gather_0d", lambda m, x: m.gather(x[0, 0], 0, L(m, 0))),
    ("take_along_dim", lambda m, x: m.take_along_dim(x, L(m, [[0], [2], [3]]), 1)),
    ("take_along_dim_bcast", lambda m, x: m.take_along_dim(x, L(m, [[0, 1, 1]]), 1)),
    ("take_along_dim_flat", lambda m, x: m.take_along_dim(x, L(m, [[0, 11, 5]]))),
    ("take_along_dim_0d", lambda m, x: m.take_along_dim(x[0, 0], L(m, [0, 0]))),
    ("index_select0", lambda m, x: m.index_select(x, 0, L(m, [2, 0, 2]))),
    ("index_select1", lambda m, x: x.index_select(-1, L(m, [3, 1], "int32"))),
    ("index_select_0d", lambda m, x: x[0, 0].index_select(0, L(m, 0))),
    ("take", lambda m, x: m.take(x, L(m, [[0, 11], [-12, 3], [3, 3]]))),
    ("take_0d", lambda m, x: m.take(x[0, 0], L(m, [0, 0]))),
    ("masked_select", lambda m, x: m.masked_select(x, x > 0)),
    ("masked_select_bcast", lambda m, x: x[0].masked_select(L(m, [[True], [False]]))),
    ("masked_fill", lambda m, x: m.masked_fill(x, L(m, [True, False, True, False]), 1.5)),
    ("masked_fill_bcast", lambda m, x: x[0].masked_fill(L(m, [[True], [False]]), -1.0)),
    ("index_fill", lambda m, x: m.index_fill(x, 1, L(m, [0, 3, 0]), -2.0)),
    ("index_fill_neg", lambda m, x: x.index_fill(0, L(m, [-1]), 4)),
    ("scatter_value", lambda m, x: m.scatter(x, 0, L(m, [[0, 2]]), 5.0)),
    ("scatter_value_kw", lambda m, x: x.scatter(1, L(m, [[1], [0], [3]]), value=-1.0)),
    ("nonzero_grad_free", lambda m, x: (x > 0).nonzero()),
]


@pytest.mark.parametrize("name,f", FUNCS, ids=[c[0] for c in FUNCS])
def test_funcs_one_input(name, f):
    run_both(f, X)


FUNCS2 = [
    ("scatter", lambda m, x, s: m.scatter(x, 0, L(m, [[0, 2, 1, 0], [1, 0, 2, 2]]), s), SRC),
    ("scatter_small_index", lambda m, x, s: x.scatter(1, L(m, [[3], [0]]), s), rand(2, 1)),
    ("scatter_add", lambda m, x, s: m.scatter_add(x, 0, L(m, IDX), s), SRC),
    ("scatter_add_dim1", lambda m, x, s: x.scatter_add(1, L(m, [[0, 0, 0], [1, 3, 1]]), s), rand(2, 3)),
    ("index_add", lambda m, x, s: m.index_add(x, 0, L(m, [2, 2]), s), SRC),
    ("index_add_alpha", lambda m, x, s: x.index_add(0, L(m, [0, 2], "int32"), s, alpha=-2.0), SRC),
    ("index_add_dim1", lambda m, x, s: x.index_add(1, L(m, [1, 1, 0]), s), rand(3, 3)),
    ("index_copy", lambda m, x, s: m.index_copy(x, 0, L(m, [2, 0]), s), SRC),
    ("index_copy_dim1", lambda m, x, s: x.index_copy(1, L(m, [3]), s), rand(3, 1)),
    ("index_put", lambda m, x, s: m.index_put(x, (L(m, [0, 2]),), s), SRC),
    ("index_put_acc", lambda m, x, s: x.index_put((L(m, [0, 0, 1]), L(m, [1, 1, 3])), s, accumulate=True),
     rand(3)),
    ("index_put_0d_index", lambda m, x, s: x.index_put((L(m, 1),), s), rand(4)),
    ("index_put_mask", lambda m, x, s: x.index_put((L(m, [True, False, True]),), s), rand(4)),
    ("masked_scatter", lambda m, x, s: m.masked_scatter(x, x > 0, s), rand(4, 4)),
    ("masked_scatter_bcast", lambda m, x, s: x[0].masked_scatter(L(m, [[True], [False]]), s), rand(2, 5)),
    ("masked_fill_tensor", lambda m, x, s: x.masked_fill(x > 0, s[0, 0]), SRC),
    ("index_fill_tensor", lambda m, x, s: x.index_fill(0, L(m, [0, 0, 1]), s[0, 0]), SRC),
    ("put", lambda m, x, s: m.put(x, L(m, [0, 11, -1]), s[0, :3]), SRC),
    ("put_acc", lambda m, x, s: x.put(L(m, [[0, 5], [5, 5]]), s[:, :2], accumulate=True), SRC),
]


@pytest.mark.parametrize("name,f,src", FUNCS2, ids=[c[0] for c in FUNCS2])
def test_funcs_two_inputs(name, f, src):
    run_both(f, X, src)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, include_self):
    x = rand(3, 4)
    s = rand(3, 4)
    s[0, 1] = s[2, 1] = x[1, 1]  # ties for amax/amin
    s[1, 3] = 0.0  # a zero for prod
    idx = np.array([[0, 1, 2, 1], [2, 1, 0, 1], [0, 1, 2, 2]])
    run_both(lambda m, a, b: m.scatter_reduce(a, 0, L(m, idx), b, reduce, include_self=include_self), x, s)
    run_both(lambda m, a, b: a.scatter_reduce(1, L(m, idx[:2, :3]), b, reduce, include_self=include_self), x,
             s[:2, :3].copy())


def test_scatter_reduce_int_mean():
    a = np.array([-3, 5, 7], dtype=np.int64)
    run_both(lambda m, x: m.scatter_reduce(x, 0, L(m, [0, 0, 2, 2]), L(m, [0, 4, 2, -9]), "mean"), a, grad=False)
    run_both(lambda m, x: m.scatter_reduce(x, 0, L(m, [0, 0]), L(m, [3, 7]), "amax", include_self=False), a,
             grad=False)


def test_scatter_with_reduce():
    for red in ("add", "multiply"):
        run_both(lambda m, x, s: m.scatter(x, 0, L(m, [[0, 0, 1, 2]]), s, reduce=red), X, SRC, grad=False)
        run_both(lambda m, x: m.scatter(x, 1, L(m, [[0, 0], [1, 1], [2, 3]]), 2.0, reduce=red), X, grad=False)
    for m in (nt, torch):
        y = m.scatter(m.tensor(X, requires_grad=True), 0, L(m, [[0, 1]]), 2.0, reduce="add")
        with pytest.raises(RuntimeError, match="derivative for aten::scatter"):
            y.sum().backward()


INPLACE = [
    ("scatter_", lambda m, y, s: y.scatter_(0, L(m, [[0, 2, 1, 0], [1, 1, 0, 2]]), s)),
    ("scatter_value_", lambda m, y, s: y.scatter_(1, L(m, [[0], [3], [1]]), 2.5)),
    ("scatter_add_", lambda m, y, s: y.scatter_add_(0, L(m, IDX), s)),
    ("scatter_reduce_", lambda m, y, s: y.scatter_reduce_(0, L(m, IDX), s, "amax")),
    ("index_add_", lambda m, y, s: y.index_add_(0, L(m, [1, 1]), s)),
    ("index_copy_", lambda m, y, s: y.index_copy_(0, L(m, [1, 0]), s)),
    ("index_fill_", lambda m, y, s: y.index_fill_(1, L(m, [2]), 0.0)),
    ("index_put_", lambda m, y, s: y.index_put_((L(m, [0, 2]),), s)),
    ("masked_fill_", lambda m, y, s: y.masked_fill_(y > 0, 0.5)),
    ("masked_scatter_", lambda m, y, s: y.masked_scatter_(y < 0, s.repeat(2, 1))),
    ("put_", lambda m, y, s: y.put_(L(m, [1, 6]), s[0, :2])),
    ("on_view", lambda m, y, s: y[1:].index_add_(1, L(m, [0, 0, 1, 3]), s)),
]


@pytest.mark.parametrize("name,f", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_funcs(name, f):
    def fn(m, x, s):
        y = x * 2
        r = f(m, y, s)
        assert r is y or name == "on_view"
        assert y._version == 1
        return y * 1
    run_both(fn, X, SRC)


def test_nonzero_argwhere():
    a = np.array([[0, 1.5, 0], [2, 0, -1]], np.float32)
    for f in (lambda m, x: m.nonzero(x), lambda m, x: m.argwhere(x), lambda m, x: x.nonzero(as_tuple=True),
              lambda m, x: m.nonzero(x[0, 0]), lambda m, x: m.nonzero(x[0, 1], as_tuple=True),
              lambda m, x: m.argwhere(x[0, 0]), lambda m, x: m.nonzero(x[0, 0], as_tuple=True),
              lambda m, x: m.where(x > 0)):
        n, t = f(nt, nt.tensor(a)), f(torch, torch.tensor(a))
        assert_close(n, t)


GRADCHECK = [
    ("gather", lambda x: nt.gather(x, 0, nt.tensor(IDX))),
    ("index_select", lambda x: nt.index_select(x, 1, nt.tensor([0, 0, 3]))),
    ("take", lambda x: nt.take(x, nt.tensor([[1, 1], [0, 5]]))),
    ("take_along_dim", lambda x: nt.take_along_dim(x, nt.tensor([[1, 1, 0]]), 1)),
    ("masked_select", lambda x: nt.masked_select(x, nt.tensor(X > 0))),
    ("masked_fill", lambda x: nt.masked_fill(x, nt.tensor(X > 0), 0.0)),
    ("index_fill", lambda x: x.index_fill(0, nt.tensor([1]), 1.0)),
    ("scatter_value", lambda x: x.scatter(0, nt.tensor([[1, 0]]), 1.0)),
]


@pytest.mark.parametrize("name,f", GRADCHECK, ids=[c[0] for c in GRADCHECK])
def test_gradcheck_one(name, f):
    gradcheck64(f, X)


GRADCHECK2 = [
    ("scatter", lambda x, s: nt.scatter(x, 0, nt.tensor([[0, 2, 1, 0]]), s), SRC),
    ("scatter_add", lambda x, s: nt.scatter_add(x, 0, nt.tensor(IDX), s), SRC),
    ("scatter_reduce_sum", lambda x, s: nt.scatter_reduce(x, 0, nt.tensor(IDX), s, "sum"), SRC),
    ("scatter_reduce_mean", lambda x, s: nt.scatter_reduce(x, 0, nt.tensor(IDX), s, "mean", include_self=False),
     SRC),
    ("scatter_reduce_amax", lambda x, s: nt.scatter_reduce(x, 0, nt.tensor(IDX), s, "amax"), SRC),
    ("scatter_reduce_prod", lambda x, s: nt.scatter_reduce(x, 0, nt.tensor(IDX), s, "prod"), SRC),
    ("index_add", lambda x, s: nt.index_add(x, 0, nt.tensor([1, 1]), s, alpha=3), SRC),
    ("index_copy", lambda x, s: nt.index_copy(x, 0, nt.tensor([1, 2]), s), SRC),
    ("index_put_acc", lambda x, s: nt.index_put(x, (nt.tensor([0, 0]),), s, True), SRC),
    ("masked_scatter", lambda x, s: nt.masked_scatter(x, nt.tensor(X > 0), s), rand(3, 4)),
    ("put", lambda x, s: nt.put(x, nt.tensor([0, 3]), s[0, :2]), SRC),
    ("masked_fill_value", lambda x, s: nt.masked_fill(x, nt.tensor(X > 0), s[0, 0]), SRC),
]


@pytest.mark.parametrize("name,f,src", GRADCHECK2, ids=[c[0] for c in GRADCHECK2])
def test_gradcheck_two(name, f, src):
    gradcheck64(f, X, src)


def test_double_backward_gather_scatter():
    res = []
    for m in (nt, torch):
        x = m.tensor(X.astype(np.float64), requires_grad=True)
        s = m.tensor(SRC.astype(np.float64), requires_grad=True)
        y = m.scatter_add(x, 0, L(m, IDX), s * s).gather(1, L(m, [[0, 0], [1, 3], [2, 2]]))
        y = m.index_select(y, 0, L(m, [0, 2, 2]))
        gx, gs = m.autograd.grad((y ** 2).sum(), (x, s), create_graph=True)
        gg = m.autograd.grad((gx ** 2).sum() + (gs ** 2).sum(), (x, s))
        res.append((gx, gs) + tuple(gg))
    for a, b in zip(*res):
        assert_close(a, b, rtol=1e-6)


FUNC_ERRORS = [
    ("gather_dtype", lambda m, x: m.gather(x, 0, L(m, [[0.0]]))),
    ("gather_ndim", lambda m, x: m.gather(x, 0, L(m, [0, 2]))),
    ("gather_size", lambda m, x: m.gather(x, 0, L(m, [[0, 2, 1, 1, 1]]))),
    ("gather_oob", lambda m, x: m.gather(x, 0, L(m, [[5, 2]]))),
    ("gather_neg", lambda m, x: m.gather(x, 1, L(m, [[-1, 2]]))),
    ("scatter_dtype", lambda m, x: m.scatter(x, 0, L(m, [[0, 2]]), L(m, [[1, 2]]))),
    ("scatter_oob", lambda m, x: m.scatter(x, 0, L(m, [[0, 7]]), L(m, [[1.0, 2]]))),
    ("scatter_size", lambda m, x: m.scatter(x, 0, L(m, [[0, 2, 1]]), L(m, [[1.0, 2]]))),
    ("scatter_value_size", lambda m, x: m.scatter(x, 0, L(m, [[0, 2, 1, 1, 1]]), 1.0)),
    ("scatter_ndim", lambda m, x: m.scatter(x, 0, L(m, [0]), 1.0)),
    ("scatter_src_ndim", lambda m, x: m.scatter(x, 0, L(m, [[1]]), L(m, [[[2.0]]]))),
    ("scatter_reduce_arg", lambda m, x: m.scatter(x, 0, L(m, [[0]]), L(m, [[1.0]]), reduce="mean")),
    ("scatter_idx_float", lambda m, x: m.scatter_add(x, 0, L(m, [[0.0]]), x)),
    ("scatter_reduce_bad", lambda m, x: m.scatter_reduce(x, 0, L(m, [[0]]), x, "foo")),
    ("index_select_dtype", lambda m, x: m.index_select(x, 0, L(m, [0.0]))),
    ("index_select_vec", lambda m, x: m.index_select(x, 0, L(m, [[0, 2]]))),
    ("index_select_oob", lambda m, x: m.index_select(x, 0, L(m, [5]))),
    ("index_select_neg", lambda m, x: m.index_select(x, 1, L(m, [-1]))),
    ("index_select_dim", lambda m, x: m.index_select(x, 2, L(m, [0]))),
    ("index_select_scalar", lambda m, x: m.index_select(x[0, 0], 0, L(m, [0, 0]))),
    ("index_add_dtype", lambda m, x: m.index_add(x, 0, L(m, [0.0, 2]), x[:2])),
    ("index_add_count", lambda m, x: m.index_add(x, 0, L(m, [0, 2]), x)),
    ("index_add_shape", lambda m, x: m.index_add(x, 0, L(m, [0, 2]), x[:2, :3])),
    ("index_add_oob", lambda m, x: m.index_add(x, 0, L(m, [0, 5]), x[:2])),
    ("index_add_src_dtype", lambda m, x: m.index_add(x, 0, L(m, [0, 2]), x[:2].double())),
    ("index_add_vec", lambda m, x: m.index_add(x, 0, L(m, [[0, 2]]), x[:2])),
    ("index_copy_dtype", lambda m, x: m.index_copy(x, 0, L(m, [0, 2], "int32"), x[:2])),
    ("index_copy_oob", lambda m, x: m.index_copy(x, 0, L(m, [0, -1]), x[:2])),
    ("index_copy_count", lambda m, x: m.index_copy(x, 0, L(m, [0, 2]), x)),
    ("index_copy_slice", lambda m, x: m.index_copy(x, 0, L(m, [0, 2]), x[:2, :3])),
    ("index_copy_src_dtype", lambda m, x: m.index_copy(x, 0, L(m, [0, 2]), x[:2].double())),
    ("index_copy_vec", lambda m, x: m.index_copy(x, 0, L(m, [[0, 2]]), x[:2])),
    ("index_fill_value", lambda m, x: m.index_fill(x, 0, L(m, [0]), L(m, [5.0]))),
    ("index_fill_dtype", lambda m, x: m.index_fill(x, 0, L(m, [0], "int32"), 5)),
    ("index_fill_oob", lambda m, x: m.index_fill(x, 0, L(m, [-4]), 5)),
    ("index_fill_vec", lambda m, x: m.index_fill(x, 0, L(m, [[0, 2]]), 1.0)),
    ("index_put_dtype", lambda m, x: m.index_put(x, (L(m, [0, 2]),), L(m, [1, 2, 3, 4]))),
    ("index_put_value", lambda m, x: m.index_put(x, (L(m, [0, 2]),), 1.0)),
    ("index_put_none", lambda m, x: m.index_put(x, (None, L(m, [0, 1])), L(m, 1.0))),
    ("index_put_oob", lambda m, x: m.index_put(x, (L(m, [0, 5]),), L(m, 1.0))),
    ("masked_fill_mask", lambda m, x: m.masked_fill(x, L(m, [1.0, 0, 1, 0]), 1.0)),
    ("masked_fill_u8", lambda m, x: m.masked_fill(x, L(m, [1, 0, 1, 0], "uint8"), 1.0)),
    ("masked_fill_long", lambda m, x: m.masked_fill(x, L(m, [1, 0, 1, 0]), 1.0)),
    ("masked_fill_value", lambda m, x: m.masked_fill(x, x > 0, L(m, [2.0]))),
    ("masked_fill_bcast", lambda m, x: m.masked_fill(x, L(m, [[True], [False], [True], [False]]), 1.0)),
    ("masked_fill__shape", lambda m, x: x[0].masked_fill_(L(m, [[True], [False]]), 1.0)),
    ("masked_select_mask", lambda m, x: m.masked_select(x, L(m, [1.0, 0, 1, 0]))),
    ("masked_select_bcast", lambda m, x: m.masked_select(x, L(m, [True, False, True]))),
    ("masked_scatter_count", lambda m, x: m.masked_scatter(x, x > -10, x[:2])),
    ("masked_scatter_dtype", lambda m, x: m.masked_scatter(x, x > 0, x.double())),
    ("masked_scatter_mask", lambda m, x: m.masked_scatter(x, L(m, [1.0, 0, 1, 0]), x)),
    ("take_oob", lambda m, x: m.take(x, L(m, [12]))),
    ("take_neg_oob", lambda m, x: m.take(x, L(m, [-13]))),
    ("take_dtype", lambda m, x: m.take(x, L(m, [1], "int32"))),
    ("tad_ndim", lambda m, x: m.take_along_dim(x, L(m, [[[0], [2]]]), dim=1)),
    ("tad_bcast", lambda m, x: m.take_along_dim(x, L(m, [[0, 2]]), dim=0)),
    ("tad_bcast1", lambda m, x: m.take_along_dim(x, L(m, [[0, 1], [2, 1]]), dim=1)),
    ("tad_dtype", lambda m, x: m.take_along_dim(x, L(m, [[0, 2]], "int32"), dim=1)),
    ("tad_oob", lambda m, x: m.take_along_dim(x, L(m, [[13]]))),
    ("tad_0d_dim", lambda m, x: m.take_along_dim(x[0, 0], L(m, 0), 0)),
    ("put_oob", lambda m, x: x.clone().put_(L(m, [0, 12]), L(m, [1.0, 2]))),
    ("put_count", lambda m, x: x.clone().put_(L(m, [0, 1]), L(m, [1.0, 2, 3]))),
    ("put_dtype", lambda m, x: x.clone().put_(L(m, [0, 1]), L(m, [1, 2]))),
    ("put_idx_dtype", lambda m, x: x.clone().put_(L(m, [0, 1], "int32"), L(m, [1.0, 2]))),
]


@pytest.mark.parametrize("name,f", FUNC_ERRORS, ids=[c[0] for c in FUNC_ERRORS])
def test_func_errors(name, f):
    same_error(f, X)


def test_take_along_dim_matches_gather_value_errors_free():
    """take_along_dim with dim and equal shapes is gather."""
    idx = np.array([[0, 1, 2, 0], [2, 2, 1, 0], [1, 0, 0, 0]])
    a = nt.take_along_dim(nt.tensor(X), nt.tensor(idx), 0)
    b = nt.gather(nt.tensor(X), 0, nt.tensor(idx))
    assert np.array_equal(a.numpy(), b.numpy())


def test_large_advanced_index_speed():
    """The vectorised paths stay fast on a large input (no per-element Python work)."""
    import time
    x = nt.tensor(rng.standard_normal((2000, 64)), requires_grad=True)
    idx = rng.integers(0, 2000, 20000)
    gidx = rng.integers(0, 2000, (5000, 64))
    t0 = time.perf_counter()
    x[nt.tensor(idx)].backward(nt.ones(20000, 64, dtype=nt.float64))
    nt.gather(x, 0, nt.tensor(gidx)).backward(nt.ones(5000, 64, dtype=nt.float64))
    assert time.perf_counter() - t0 < 2.0
    expect = np.bincount(idx, minlength=2000) + np.bincount(gidx[:, 0], minlength=2000)
    assert np.array_equal(x.grad.numpy()[:, 0], expect.astype(np.float64))


def _double_backward(f, *arrays):
    res = []
    for m in (nt, torch):
        ts = [m.tensor(a.astype(np.float64), requires_grad=True) for a in arrays]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = f(m, *ts)
        gs = m.autograd.grad((y ** 3).sum(), ts, create_graph=True, allow_unused=True)
        used = [(t, g) for t, g in zip(ts, gs) if g is not None and g.requires_grad]
        tot = sum((g ** 2).sum() for _, g in used)
        ggs = m.autograd.grad(tot, [t for t, _ in used], allow_unused=True) if used else []
        res.append([g for g in gs] + [g for g in ggs])
    assert len(res[0]) == len(res[1])
    for a, b in zip(*res):
        if b is None:
            assert a is None or not np.any(a.detach().numpy())
        else:
            assert_close(a, b, rtol=1e-6)


@pytest.mark.parametrize("name,f,src", FUNCS2, ids=[c[0] for c in FUNCS2])
def test_double_backward_two_inputs(name, f, src):
    _double_backward(f, X, src)


@pytest.mark.parametrize("name,f", FUNCS[:-1], ids=[c[0] for c in FUNCS[:-1]])
def test_double_backward_one_input(name, f):
    _double_backward(f, X)


@pytest.mark.parametrize("name,f", SETITEM, ids=[c[0] for c in SETITEM])
def test_double_backward_setitem(name, f):
    def fn(m, x, w):
        y = x * x
        f(m, y, w * w)
        return y
    _double_backward(fn, X, W4)


@pytest.mark.parametrize("reduce", ["sum", "mean", "amax", "amin"])
def test_double_backward_scatter_reduce(reduce):
    _double_backward(lambda m, x, s: m.scatter_reduce(x, 0, L(m, IDX), s, reduce, include_self=False), X, SRC)
