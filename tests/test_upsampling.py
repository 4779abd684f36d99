"""F.interpolate (every mode), the deprecated F.upsample* wrappers and the Upsample modules,
differentially vs torch: outputs, input gradients, node names, errors and reprs."""
import math
import pickle
import warnings

import numpy as np
import pytest

import numtorch as nt
import numtorch.nn as nnn
import numtorch.nn.functional as NF

from helpers import assert_close, both_raise, check_op, gradcheck64, pair

torch = pytest.importorskip("torch")
TF = torch.nn.functional

rng = np.random.default_rng(0)


def rand(*s, dtype=np.float32):
    return rng.standard_normal(s).astype(dtype)


# spatial input shapes per dimensionality: odd, non-square
SHAPES = {1: (2, 3, 7), 2: (2, 3, 5, 7), 3: (1, 2, 3, 5, 4)}
# (kwargs, dims they apply to): sizes, integer / non-integer / down / mixed scales, recompute
SIZING = [
    (dict(size=4), (1, 2, 3)),
    (dict(size=11), (1, 2, 3)),
    (dict(size=(9,)), (1,)), (dict(size=(3, 10)), (2,)), (dict(size=[6, 2, 7]), (3,)),
    (dict(scale_factor=2), (1, 2, 3)),
    (dict(scale_factor=3.0), (1, 2)),
    (dict(scale_factor=1.7), (1, 2, 3)),
    (dict(scale_factor=0.6), (1, 2, 3)),
    (dict(scale_factor=1.1), (1, 2)),          # output size unchanged, scale != 1
    (dict(scale_factor=(2.3, 0.5)), (2,)), (dict(scale_factor=(1.5, 0.7, 2.0)), (3,)),
    (dict(scale_factor=1.7, recompute_scale_factor=True), (1, 2, 3)),
    (dict(scale_factor=0.45, recompute_scale_factor=False), (1, 2)),
]
MODES = [("nearest", (1, 2, 3), (None,)), ("nearest-exact", (1, 2, 3), (None,)), ("area", (1, 2, 3), (None,)),
         ("linear", (1,), (None, False, True)), ("bilinear", (2,), (False, True)), ("bicubic", (2,), (False, True)),
         ("trilinear", (3,), (False, True))]
CASES = [(mode, k, ac, kw) for mode, dims, acs in MODES for kw, kdims in SIZING for k in dims if k in kdims
         for ac in acs]


# torch's own float32 bicubic gradients are ~2e-6 away from the float64 ones; numtorch's are as close
BICUBIC_ATOL = 5e-6


@pytest.mark.parametrize("mode,k,ac,kw", CASES)
def test_interpolate(mode, k, ac, kw):
    out_n, out_t = check_op(lambda x: NF.interpolate(x, mode=mode, align_corners=ac, **kw),
                            lambda x: TF.interpolate(x, mode=mode, align_corners=ac, **kw), rand(*SHAPES[k]),
                            atol=BICUBIC_ATOL if mode == "bicubic" else 1e-6)
    assert out_n.grad_fn.name() == out_t.grad_fn.name()


@pytest.mark.parametrize("mode,k", [("nearest", 2), ("nearest-exact", 3), ("linear", 1), ("bilinear", 2),
                                    ("bicubic", 2), ("trilinear", 3), ("area", 2), ("area", 1)])
@pytest.mark.parametrize("kw", [dict(scale_factor=1.3), dict(scale_factor=0.7), dict(size=3)])
def test_float64(mode, k, kw):
    ac = {"nearest": None, "nearest-exact": None, "area": None}.get(mode, True)
    check_op(lambda x: NF.interpolate(x, mode=mode, align_corners=ac, **kw),
             lambda x: TF.interpolate(x, mode=mode, align_corners=ac, **kw), rand(*SHAPES[k], dtype=np.float64),
             rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "lanczos"])
@pytest.mark.parametrize("ac", [False, True])
@pytest.mark.parametrize("kw", [dict(size=(3, 4)), dict(size=(13, 4)), dict(scale_factor=0.37), dict(scale_factor=1.6),
                                dict(scale_factor=(0.5, 2.5)), dict(size=(11, 12)),
                                # torch quirks: an unchanged axis is skipped forward but filtered backward, and a
                                # one-column output after a height resize repeats its first row
                                dict(scale_factor=(0.6, 1.05)), dict(scale_factor=1.05), dict(size=(4, 1)),
                                dict(size=(11, 1)), dict(size=(1, 5))])
def test_antialias(mode, ac, kw):
    if mode == "lanczos" and ac:
        return
    a = rand(2, 2, 11, 12)
    for dt, tol in ((np.float32, 1e-5), (np.float64, 1e-12)):
        out_n, out_t = check_op(lambda x: NF.interpolate(x, mode=mode, align_corners=ac, antialias=True, **kw),
                                lambda x: TF.interpolate(x, mode=mode, align_corners=ac, antialias=True, **kw),
                                a.astype(dt), rtol=tol, atol=tol)
        assert out_n.grad_fn.name() == out_t.grad_fn.name()


def _index_map(lib, n_in, dt, mode, k, ax, **kw):
    """Which input position each output position along axis ``ax`` reads (arange input)."""
    shape = [1, 1] + [3] * k
    shape[2 + ax] = n_in
    view = [1, 1] + [1] * k
    view[2 + ax] = n_in
    x = lib.arange(n_in, dtype=dt).reshape(view).expand(*shape).contiguous()
    y = lib.nn.functional.interpolate(x, mode=mode, **kw)
    return np.moveaxis(y.numpy(), 2 + ax, -1).reshape(-1, y.shape[2 + ax])[0]


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_nearest_indices_exact(mode, k):
    """Nearest indices equal torch's exactly, including the float rounding at pixel boundaries,
    for both dtypes, both of torch's 2-D kernels and given vs recomputed scales."""
    scales = [0.3, 0.5, 1 / 3, 2 / 3, 1.1, 1.5, 1.7, 2.0, 2.3, 2.5, 3.3, 1 / 7, 0.999, 1.0000001, 4.1]
    for n_in in [1, 2, 3, 5, 7, 13, 14, 26, 30, 31, 97, 130]:
        ax = n_in % k
        for dt_n, dt_t in ((nt.float32, torch.float32), (nt.float64, torch.float64)):
            calls = [dict(size=[n if i == ax else 3 for i in range(k)]) for n in (1, 4, 22, 41, 44, 46, 2 * n_in)]
            for s in scales:
                if math.floor(n_in * s) >= 1:
                    sf = [s if i == ax else 1.0 for i in range(k)]
                    calls += [dict(scale_factor=sf), dict(scale_factor=sf, recompute_scale_factor=True)]
            for kw in calls:
                a = _index_map(nt, n_in, dt_n, mode, k, ax, **kw)
                b = _index_map(torch, n_in, dt_t, mode, k, ax, **kw)
                np.testing.assert_array_equal(a, b, err_msg=f"{n_in} {dt_n} {kw}")
                if dt_n is nt.float64:   # torch's backward has its own index rule; sums stay exact here
                    np.testing.assert_array_equal(_backward_map(nt, n_in, mode, k, ax, **kw),
                                                  _backward_map(torch, n_in, mode, k, ax, **kw))


def _backward_map(lib, n_in, mode, k, ax, **kw):
    """The input gradient for an upstream gradient that numbers the output positions."""
    shape = [1, 1] + [2] * k
    shape[2 + ax] = n_in
    x = lib.zeros(*shape, dtype=lib.float64, requires_grad=True)
    y = lib.nn.functional.interpolate(x, mode=mode, **kw)
    y.backward(lib.arange(y.numel(), dtype=lib.float64).reshape(tuple(y.shape)) + 1)
    return x.grad.numpy()


def test_long_axes():
    """Axes long enough to be cut into banded chunks, and big-output 2-D nearest."""
    for kw, shape in [(dict(size=(301, 620), mode="bilinear"), (1, 2, 150, 300)),
                      (dict(scale_factor=1.7, mode="bicubic", align_corners=True), (1, 1, 200, 170)),
                      (dict(size=(70, 250), mode="area"), (1, 2, 300, 301)),
                      (dict(scale_factor=0.3, mode="bilinear", antialias=True), (1, 1, 400, 390)),
                      (dict(scale_factor=2.6, mode="nearest"), (1, 2, 100, 120)),
                      (dict(size=(250, 400), mode="nearest-exact"), (1, 1, 120, 300))]:
        check_op(lambda x: NF.interpolate(x, **kw), lambda x: TF.interpolate(x, **kw), rand(*shape),
                 atol=BICUBIC_ATOL if kw["mode"] == "bicubic" else 1e-6)


def test_non_finite():
    """inf / nan reach the same outputs and gradients as in torch (not a whole matrix row)."""
    a = rand(1, 2, 6, 7)
    a[0, 0, 2, 3] = np.inf
    a[0, 1, 4, 1] = np.nan
    for mode, kw in [("bilinear", dict(scale_factor=1.5)), ("bicubic", dict(size=(9, 5))), ("area", dict(size=(4, 3))),
                     ("nearest", dict(scale_factor=1.5)), ("bilinear", dict(size=(3, 4), antialias=True))]:
        check_op(lambda x: NF.interpolate(x, mode=mode, **kw), lambda x: TF.interpolate(x, mode=mode, **kw), a)
    g = rand(1, 2, 9, 10)
    g[0, 0, 1, 1] = np.inf
    for mode in ("bilinear", "nearest", "bicubic"):
        outs = []
        for lib, F in ((nt, NF), (torch, TF)):
            x = lib.tensor(rand(1, 2, 6, 7) * 0, requires_grad=True)
            F.interpolate(x, scale_factor=1.5, mode=mode).backward(lib.tensor(g.copy()))
            outs.append(x.grad)
        assert_close(outs[0], outs[1])


def test_dtypes_and_edge_shapes():
    for dt in (np.float16,):
        for mode, kw in [("bilinear", dict(scale_factor=1.5)), ("nearest", dict(size=(3, 9))),
                         ("bicubic", dict(size=(4, 4), align_corners=True)), ("area", dict(size=(2, 3)))]:
            x, y = pair(rand(2, 3, 5, 6).astype(dt))
            assert_close(NF.interpolate(x, mode=mode, **kw), TF.interpolate(y, mode=mode, **kw), rtol=2e-3, atol=2e-3)
    u = (np.arange(2 * 3 * 5 * 6) % 251).astype(np.uint8).reshape(2, 3, 5, 6)
    for mode in ("nearest", "nearest-exact"):
        x, y = pair(u)
        assert_close(NF.interpolate(x, scale_factor=1.7, mode=mode), TF.interpolate(y, scale_factor=1.7, mode=mode))
    x, y = pair(u)   # unchanged size with antialias is a copy in any dtype
    assert_close(NF.interpolate(x, size=(5, 6), mode="bilinear", antialias=True),
                 TF.interpolate(y, size=(5, 6), mode="bilinear", antialias=True))
    with pytest.raises(NotImplementedError, match="uint8"):   # torch's fixed-point uint8 kernel is not emulated
        NF.interpolate(x, scale_factor=2, mode="bilinear")
    for shape, kw in [((0, 3, 4, 5), dict(size=(3, 7), mode="bilinear")), ((0, 2, 4), dict(size=3, mode="nearest")),
                      ((0, 3, 4, 5, 6), dict(size=(1, 2, 1), mode="area")), ((1, 1, 1, 1), dict(size=(3, 2), mode="bicubic")),
                      ((1, 1, 1, 1, 1), dict(scale_factor=3, mode="trilinear", align_corners=True))]:
        check_op(lambda x: NF.interpolate(x, **kw), lambda x: TF.interpolate(x, **kw), rand(*shape))
    # area accepts these forward, and its backward rejects them, as in torch
    for shape, kw in [((2, 0, 4, 5), dict(size=(3, 2))), ((0, 0, 3), dict(size=5)), ((2, 3, 4), dict(scale_factor=0.1)),
                      ((2, 3, 4, 5, 6), dict(size=(0, 1, 1)))]:
        x, y = pair(rand(*shape), True)
        out_n, out_t = NF.interpolate(x, mode="area", **kw), TF.interpolate(y, mode="area", **kw)
        assert_close(out_n, out_t)
        both_raise(lambda: out_n.sum().backward(), lambda: out_t.sum().backward())
    x, y = pair(rand(2, 3, 4, 5), True)
    r = NF.interpolate(x, size=(4, 5), mode="bilinear")
    assert r._data is not x._data and not np.shares_memory(r._data, x._data)


@pytest.mark.parametrize("mode,k", [("nearest", 2), ("nearest-exact", 1), ("linear", 1), ("bilinear", 2),
                                    ("bicubic", 2), ("trilinear", 3), ("area", 1), ("area", 3)])
def test_gradcheck(mode, k):
    ac = {"nearest": None, "nearest-exact": None, "area": None}.get(mode, False)
    shape = {1: (1, 2, 5), 2: (1, 2, 4, 3), 3: (1, 1, 3, 2, 3)}[k]
    gradcheck64(lambda x: NF.interpolate(x, scale_factor=1.6, mode=mode, align_corners=ac), rand(*shape))
    gradcheck64(lambda x: NF.interpolate(x, size=[2, 3, 2][:k], mode=mode, align_corners=ac), rand(*shape))


def test_gradgradcheck_and_double_backward():
    a = rand(1, 2, 3, 4, dtype=np.float64)
    for kw in (dict(mode="bilinear", scale_factor=1.5), dict(mode="bilinear", size=(2, 5), align_corners=True),
               dict(mode="nearest", scale_factor=2), dict(mode="bicubic", antialias=True, size=(2, 3))):
        assert nt.autograd.gradgradcheck(lambda x: NF.interpolate(x, **kw), (nt.tensor(a, requires_grad=True),))
        outs = []
        for lib, F in ((nt, NF), (torch, TF)):
            x = lib.tensor(a.copy(), requires_grad=True)
            y = F.interpolate(x, **kw)
            w = lib.tensor(np.arange(y.numel(), dtype=np.float64).reshape(tuple(y.shape)), requires_grad=True)
            (g,) = lib.autograd.grad((y * y * w).sum(), x, create_graph=True)
            (gw,) = lib.autograd.grad((g ** 2).sum(), w)
            outs.append((g, gw, g.grad_fn.name()))
        assert_close(outs[0][0], outs[1][0], rtol=1e-10, atol=1e-10)
        assert_close(outs[0][1], outs[1][1], rtol=1e-10, atol=1e-8)
        assert outs[0][2] == outs[1][2]


def test_saved_input_rules():
    """Area (adaptive pooling) saves its input like torch; the upsample ops save nothing."""
    for mode in ("area", "bilinear", "nearest"):
        x, y = pair(rand(1, 2, 5, 5), True)
        sn, st = NF.interpolate(x, size=(2, 3), mode=mode).sum(), TF.interpolate(y, size=(2, 3), mode=mode).sum()
        sn.backward()
        st.backward()
        if mode == "area":   # a second backward finds the saved input freed
            both_raise(sn.backward, st.backward)
        else:
            sn.backward()
            st.backward()
            assert_close(x.grad, y.grad)
        xn, xt = x * 1, y * 1
        on, ot = NF.interpolate(xn, size=(2, 3), mode=mode), TF.interpolate(xt, size=(2, 3), mode=mode)
        xn.mul_(2)
        xt.mul_(2)
        if mode == "area":   # the saved input was modified in place
            both_raise(lambda: on.sum().backward(), lambda: ot.sum().backward())
        else:
            on.sum().backward()
            ot.sum().backward()
            assert_close(x.grad, y.grad)


def test_area_1d_graph():
    x, y = pair(rand(2, 3, 7), True)
    gn, gt = NF.interpolate(x, size=3, mode="area").grad_fn, TF.interpolate(y, size=3, mode="area").grad_fn
    while gt is not None and gt.next_functions:
        assert gn.name() == gt.name()
        gn, gt = gn.next_functions[0][0], gt.next_functions[0][0]


ERRORS = [
    ((2, 3, 4, 5), dict(scale_factor=2, align_corners=True)),
    ((2, 3, 4, 5), dict(size=3, mode="area", align_corners=False)),
    ((2, 3, 4, 5), dict(size=3, scale_factor=2)), ((2, 3, 4, 5), dict()),
    ((2, 3, 4, 5), dict(size=(3,))), ((2, 3, 4, 5), dict(size=[3, 4, 5])), ((2, 3, 4, 5), dict(size=(3.0, 4))),
    ((2, 3, 4, 5), dict(scale_factor=(2,))), ((2, 3, 4, 5), dict(size=3, recompute_scale_factor=True)),
    ((2, 3, 4, 5), dict(size=3.0)), ((2, 3, 4), dict(size=3.0, mode="linear")),
    ((2, 3, 4, 5, 6), dict(size=2.5, mode="trilinear")), ((2, 3, 4), dict(size=(True,), mode="nearest-exact")),
    ((2, 3, 4, 5), dict(size=(True, 3), mode="bilinear")), ((2, 3, 4, 5), dict(scale_factor="ab")),
    ((2, 3, 4, 5), dict(scale_factor=2, mode="bilinear", align_corners=1)),
    ((2, 3, 4, 5), dict(size=(2, 3), mode="bicubic", align_corners="a", antialias=True)),
    ((2, 3, 4, 5), dict(scale_factor=(2.0, 1), mode="bilinear", align_corners=1)),
    ((2, 3, 4, 5), dict(scale_factor=(2, "a"))), ((2, 3, 4, 5, 6), dict(scale_factor=(2.0, 3, None))),
    ((2, 3, 4, 5), dict(scale_factor=(2, "a"), mode="lanczos", antialias=True)),
    ((2, 3, 4, 5), dict(scale_factor=(2, True), mode="bilinear", align_corners=1)),
    ((2, 3, 4, 5), dict(scale_factor=0.1)), ((2, 3, 4), dict(scale_factor=-0.5, mode="linear")),
    ((2, 3, 4, 5, 6), dict(scale_factor=-0.5, recompute_scale_factor=True)),
    ((2, 3, 4, 5), dict(size=0, mode="bilinear")), ((2, 3, 0, 5), dict(size=3, mode="bicubic")),
    ((2, 3, 4, 5, 6), dict(size=(1, 0, 2), mode="nearest-exact")), ((2, 0, 4), dict(size=3)),
    ((2, 0, 4, 5), dict(size=3, mode="bilinear", antialias=True)), ((2, 3, 4), dict(scale_factor=float("nan"))),
    ((2, 3, 4), dict(scale_factor=float("inf"), recompute_scale_factor=True)),
    ((2, 3, 4), dict(scale_factor=1e30)),
    ((3, 5), dict(scale_factor=2)), ((1, 2, 3, 4, 5, 6), dict(scale_factor=2)), ((2, 3, 4), dict(size=3, mode="foo")),
    ((2, 3, 4), dict(size=3, mode="bilinear")), ((2, 3, 4), dict(size=3, mode="trilinear")),
    ((2, 3, 4), dict(size=3, mode="bicubic")), ((2, 3, 4, 5), dict(size=3, mode="linear")),
    ((2, 3, 4, 5), dict(size=3, mode="trilinear")), ((2, 3, 4, 5, 6), dict(size=3, mode="bilinear")),
    ((2, 3, 4, 5, 6), dict(size=3, mode="linear")), ((2, 3, 4, 5, 6), dict(size=3, mode="bicubic")),
    ((2, 3, 4), dict(size=3, mode="nearest", antialias=True)), ((2, 3, 4), dict(size=3, mode="linear", antialias=True)),
    ((2, 3, 4, 5), dict(size=3, mode="area", antialias=True)), ((2, 3, 4, 5, 6), dict(size=3, mode="trilinear",
                                                                                       antialias=True)),
    ((2, 3, 4, 5), dict(size=3, mode="lanczos")), ((2, 3, 4, 5), dict(size=3, mode="lanczos", align_corners=True)),
    ((2, 3, 4, 5), dict(size=3, mode="lanczos", align_corners=True, antialias=True)),
    ((2, 3, 4), dict(size=3, mode="lanczos")), ((2, 3, 4), dict(size=3, mode="lanczos", antialias=True)),
    ((2, 3, 4, 5), dict(size=3.5, mode="lanczos", antialias=True)),
    # area: adaptive average pooling's own checks
    ((2, 3, 4), dict(size=-2, mode="area")), ((2, 3, 4, 5), dict(size=(-2, 5), mode="area")),
    ((2, 3, 4, 5, 6), dict(size=(7, -8, 9), mode="area")), ((2, 3, 0, 5), dict(size=(-7, 8), mode="area")),
    ((2, 3, 0), dict(size=3, mode="area")), ((2, 3, 4, 0), dict(size=3, mode="area")),
    ((2, 0, 4, 5, 6), dict(size=3, mode="area")), ((2, 3, 4), dict(size=3.0, mode="area")),
    ((2, 3, 4, 5), dict(size=(True, 2), mode="area")), ((2, 3, 4, 5, 6), dict(size=3.0, mode="area")),
    ((2, 3, 4, 5), dict(scale_factor=-0.5, mode="area")), ((2, 3, 4, 5), dict(scale_factor="a", mode="area")),
]


@pytest.mark.parametrize("shape,kw", ERRORS)
def test_errors(shape, kw):
    x, y = pair(rand(*shape))
    both_raise(lambda: NF.interpolate(x, **kw), lambda: TF.interpolate(y, **kw))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8, np.bool_, np.uint8, np.float16])
def test_dtype_errors(dtype):
    a = (np.arange(2 * 3 * 4 * 5 * 6) % 7).astype(dtype).reshape(2, 3, 4, 5, 6)
    calls = [(1, dict(mode="nearest")), (2, dict(mode="nearest")), (2, dict(mode="nearest", size=(70, 70))),
             (3, dict(mode="nearest-exact")), (1, dict(mode="linear")), (2, dict(mode="bilinear", size=(70, 70))),
             (2, dict(mode="bilinear")), (2, dict(mode="bicubic")), (3, dict(mode="trilinear")), (1, dict(mode="area")),
             (2, dict(mode="area")), (3, dict(mode="area")), (2, dict(mode="bilinear", antialias=True)),
             (2, dict(mode="lanczos", antialias=True))]
    for k, kw in calls:
        kw = dict(kw)
        if "size" not in kw:
            kw["scale_factor"] = 1.5
        x, y = pair(a[(0,) * (3 - k)])
        try:
            expect = TF.interpolate(y, **kw)
        except NotImplementedError:
            both_raise(lambda: NF.interpolate(x, **kw), lambda: TF.interpolate(y, **kw))
            continue
        if dtype == np.uint8 and kw["mode"] in ("bilinear", "bicubic", "lanczos"):
            continue   # documented deviation: numtorch raises for uint8 filtering modes
        assert_close(NF.interpolate(x, **kw), expect, rtol=2e-3, atol=2e-3)


def test_odd_argument_types():
    """Arguments torch accepts despite their types: bools as sizes and scales, and scale_factor with area."""
    for k, kw in [(2, dict(size=(3, True))), (2, dict(scale_factor=(True, 2))), (2, dict(scale_factor=True, mode="bilinear")),
                  (1, dict(size=[4], mode="linear", align_corners=True)), (3, dict(size=(2, True, 3), mode="area")),
                  (2, dict(scale_factor=2, mode="area", recompute_scale_factor=False))]:
        check_op(lambda x: NF.interpolate(x, **kw), lambda x: TF.interpolate(x, **kw), rand(*SHAPES[k]))


def test_batchless_rejected():
    for shape, mode in [((3, 5), "nearest"), ((3, 5), "linear"), ((3, 4, 5), "bilinear"), ((5,), "area")]:
        x, y = pair(rand(*shape))
        both_raise(lambda: NF.interpolate(x, scale_factor=2, mode=mode), lambda: TF.interpolate(y, scale_factor=2,
                                                                                                mode=mode))


def test_deprecated_wrappers():
    x, y = pair(rand(2, 3, 4, 5), True)
    for name, kw in [("upsample", dict(scale_factor=2)), ("upsample", dict(size=(3, 7), mode="bilinear")),
                     ("upsample", dict(scale_factor=1.5, mode="bicubic", align_corners=True)),
                     ("upsample_nearest", dict(scale_factor=2)), ("upsample_nearest", dict(size=7)),
                     ("upsample_bilinear", dict(scale_factor=1.5)), ("upsample_bilinear", dict(size=(3, 2)))]:
        msgs = []
        for F, t in ((NF, x), (TF, y)):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                out = getattr(F, name)(t, **kw)
            msgs.append([(type(m.message), str(m.message)) for m in w] + [out.detach().numpy()])
        assert msgs[0][:-1] == msgs[1][:-1]
        np.testing.assert_allclose(msgs[0][-1], msgs[1][-1], rtol=1e-5, atol=1e-6)
    x3, y3 = pair(rand(2, 3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        both_raise(lambda: NF.upsample_bilinear(x3, scale_factor=2), lambda: TF.upsample_bilinear(y3, scale_factor=2))
        both_raise(lambda: NF.upsample(x3, scale_factor=2, align_corners=True),
                   lambda: TF.upsample(y3, scale_factor=2, align_corners=True))


MODULES = [("Upsample", dict(scale_factor=2), (2, 3, 4, 5)), ("Upsample", dict(size=3), (2, 3, 4)),
           ("Upsample", dict(size=(3, 4), mode="bilinear"), (1, 2, 5, 6)),
           ("Upsample", dict(scale_factor=2, mode="bilinear", align_corners=True), (1, 2, 3, 4)),
           ("Upsample", dict(scale_factor=(2, 3)), (1, 2, 3, 4)), ("Upsample", dict(size=[2, 3, 4]), (1, 2, 3, 4, 5)),
           ("Upsample", dict(scale_factor=2, recompute_scale_factor=True), (1, 1, 3)),
           ("Upsample", dict(scale_factor=2.5, mode="bicubic", align_corners=False), (1, 2, 3, 4)),
           ("Upsample", dict(scale_factor=1.5, mode="trilinear"), (1, 1, 2, 3, 4)),
           ("Upsample", dict(scale_factor=0.5, mode="area"), (1, 2, 6, 4)),
           ("Upsample", dict(scale_factor=(1, 2.0), mode="nearest-exact"), (1, 2, 3, 4)),
           ("UpsamplingNearest2d", dict(scale_factor=2), (2, 3, 4, 5)),
           ("UpsamplingNearest2d", dict(size=(3, 4)), (2, 3, 4, 5)),
           ("UpsamplingBilinear2d", dict(size=4), (2, 3, 3, 5)),
           ("UpsamplingBilinear2d", dict(scale_factor=1.5), (2, 3, 3, 5))]


@pytest.mark.parametrize("name,kw,shape", MODULES)
def test_modules(name, kw, shape):
    mn, mt = getattr(nnn, name)(**kw), getattr(torch.nn, name)(**kw)
    assert repr(mn) == repr(mt)
    for attr in ("name", "size", "scale_factor", "mode", "align_corners", "recompute_scale_factor"):
        assert getattr(mn, attr) == getattr(mt, attr)
    check_op(mn, mt, rand(*shape))


def test_module_construction_and_errors():
    for kw in (dict(), dict(scale_factor=0), dict(scale_factor=True), dict(size=2.5), dict(scale_factor=(2,))):
        assert repr(nnn.Upsample(**kw)) == repr(torch.nn.Upsample(**kw))
    both_raise(lambda: nnn.Upsample(scale_factor=[2, 3]), lambda: torch.nn.Upsample(scale_factor=[2, 3]))
    x, y = pair(rand(2, 3, 4, 5))
    both_raise(lambda: nnn.Upsample()(x), lambda: torch.nn.Upsample()(y))
    both_raise(lambda: nnn.Upsample(scale_factor=2, align_corners=False)(x),
               lambda: torch.nn.Upsample(scale_factor=2, align_corners=False)(y))
    both_raise(lambda: nnn.UpsamplingBilinear2d(scale_factor=2)(nt.tensor(rand(2, 3, 4))),
               lambda: torch.nn.UpsamplingBilinear2d(scale_factor=2)(torch.tensor(rand(2, 3, 4))))
    m = pickle.loads(pickle.dumps(nnn.Upsample(scale_factor=2, mode="bilinear")))
    assert repr(m) == "Upsample(scale_factor=2.0, mode='bilinear')" and m.recompute_scale_factor is None
    state = dict(nnn.Upsample(scale_factor=2).__dict__)
    del state["recompute_scale_factor"]
    old = nnn.Upsample.__new__(nnn.Upsample)
    old.__setstate__(state)
    ref = torch.nn.Upsample.__new__(torch.nn.Upsample)
    tstate = dict(torch.nn.Upsample(scale_factor=2).__dict__)
    del tstate["recompute_scale_factor"]
    ref.__setstate__(tstate)
    assert old.recompute_scale_factor == ref.recompute_scale_factor
