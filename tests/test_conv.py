"""F.conv1d/2d/3d, F.conv_transpose1d/2d/3d and the Conv / ConvTranspose / Lazy modules,
differentially against torch: outputs, input/weight/bias gradients, errors, repr, state_dict."""
import math
import warnings

import numpy as np
import pytest

import numtorch as nt
import numtorch.nn as nnn
import numtorch.nn.functional as NF

from helpers import assert_close, both_raise, check_op, gradcheck64

torch = pytest.importorskip("torch")
TF = torch.nn.functional

rng = np.random.default_rng(0)
TOL = {"rtol": 1e-4, "atol": 1e-5}


def rand(*s, dtype=np.float32):
    return rng.standard_normal(s).astype(dtype)


def _quiet(fn):
    """Run ``fn`` with the padding='same' even-kernel warning silenced (torch warns once)."""
    def run(*a, **k):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*a, **k)
    return run


# (nd, input shape, weight shape, kwargs)
CONV = [
    (1, (2, 3, 11), (4, 3, 3), {}),
    (1, (2, 3, 11), (4, 3, 3), {"stride": 2, "padding": 1}),
    (1, (3, 17), (4, 3, 3), {"padding": 8, "dilation": 4}),
    (1, (2, 4, 9), (6, 2, 2), {"groups": 2, "padding": "same"}),
    (1, (2, 4, 10), (4, 1, 5), {"groups": 4, "padding": "same", "dilation": 2}),
    (1, (2, 3, 7), (5, 3, 1), {}),
    (1, (2, 3, 7), (5, 3, 1), {"stride": 3}),
    (2, (2, 3, 7, 6), (4, 3, 3, 3), {"padding": 1}),
    (2, (2, 3, 9, 8), (4, 3, 3, 2), {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1)}),
    (2, (2, 4, 9, 8), (6, 2, 3, 2), {"groups": 2, "stride": 2}),
    (2, (2, 4, 9, 8), (8, 1, 3, 3), {"groups": 4, "padding": 1}),
    (2, (2, 4, 9, 8), (4, 1, 3, 3), {"groups": 4, "padding": 1, "stride": 2}),
    (2, (2, 4, 9, 8), (4, 1, 3, 3), {"groups": 4, "padding": "same", "dilation": (1, 2)}),
    (2, (2, 3, 7, 6), (4, 3, 4, 3), {"padding": "same"}),
    (2, (2, 3, 7, 6), (4, 3, 2, 2), {"padding": "same", "dilation": (3, 2)}),
    (2, (2, 3, 7, 6), (4, 3, 3, 3), {"padding": "valid", "stride": (1, 2)}),
    (2, (3, 5, 5), (2, 3, 3, 3), {"padding": 2}),
    (2, (2, 6, 5, 4), (6, 3, 1, 1), {"groups": 2}),
    (2, (2, 3, 5, 4), (6, 3, 1, 1), {}),
    (2, (1, 2, 5, 5), (3, 2, 5, 5), {}),
    (2, (2, 3, 6, 7), (4, 3, 2, 2), {"stride": 2}),
    (2, (2, 2, 3, 3), (2, 2, 3, 3), {"padding": (0, 3)}),
    (3, (2, 3, 5, 6, 7), (4, 3, 3, 2, 3), {"stride": 2, "padding": 1}),
    (3, (3, 4, 5, 4), (2, 3, 2, 2, 2), {"dilation": (1, 2, 1), "padding": "same"}),
    (3, (2, 4, 4, 5, 3), (4, 1, 3, 3, 1), {"groups": 4, "padding": (1, 1, 0)}),
    (3, (1, 2, 3, 3, 3), (3, 2, 1, 1, 1), {}),
    # >= 8 channels per group: the channels-last kernels
    (1, (2, 8, 13), (8, 8, 3), {"padding": 2, "dilation": 2}),
    (1, (3, 16, 9), (4, 8, 2), {"groups": 2, "stride": 2}),
    (2, (2, 8, 7, 6), (12, 8, 3, 3), {"padding": 1}),
    (2, (2, 16, 6, 5), (16, 8, 3, 2), {"groups": 2, "stride": 2, "padding": (1, 0)}),
    (2, (2, 8, 6, 7), (4, 8, 4, 3), {"padding": "same", "dilation": (1, 2)}),
    (2, (1, 9, 5, 5), (3, 9, 2, 2), {"stride": (2, 1), "padding": 3}),
    (3, (1, 8, 4, 3, 5), (5, 8, 2, 2, 3), {"stride": (1, 2, 1), "padding": 1}),
]
FN_N = {1: NF.conv1d, 2: NF.conv2d, 3: NF.conv3d}
FN_T = {1: TF.conv1d, 2: TF.conv2d, 3: TF.conv3d}


@pytest.mark.parametrize("nd,xs,ws,kw", CONV)
@pytest.mark.parametrize("bias", [True, False])
def test_conv(nd, xs, ws, kw, bias):
    arrays = [rand(*xs), rand(*ws)] + ([rand(ws[0])] if bias else [])
    check_op(_quiet(lambda *a: FN_N[nd](*a, **kw)), _quiet(lambda *a: FN_T[nd](*a, **kw)), *arrays, **TOL)


# (nd, input shape, weight shape, kwargs)
CONV_T = [
    (1, (2, 3, 5), (3, 4, 3), {}),
    (1, (2, 3, 5), (3, 4, 3), {"stride": 3, "padding": 2, "output_padding": 1, "dilation": 2}),
    (1, (3, 6), (3, 2, 4), {"stride": 2, "padding": 1}),
    (1, (2, 4, 6), (4, 1, 3), {"groups": 4, "stride": 2, "output_padding": 1}),
    (1, (2, 3, 6), (3, 3, 3), {"stride": 1, "dilation": 3, "output_padding": 2}),
    (2, (2, 3, 5, 6), (3, 4, 3, 3), {"stride": 2, "padding": 1, "output_padding": 1}),
    (2, (2, 3, 5, 6), (3, 2, 3, 3), {"dilation": 2, "output_padding": 1, "groups": 3}),
    (2, (2, 4, 4, 5), (4, 3, 2, 3), {"stride": (2, 1), "padding": (0, 1), "groups": 2}),
    (2, (3, 5, 6), (3, 2, 3, 2), {"stride": (1, 2), "output_padding": (0, 1)}),
    (2, (2, 3, 4, 4), (3, 5, 1, 1), {}),
    (2, (2, 3, 4, 4), (3, 5, 1, 1), {"stride": 2}),
    (2, (2, 4, 3, 3), (4, 2, 4, 4), {"stride": 2, "padding": 1}),
    (3, (2, 3, 3, 4, 2), (3, 2, 2, 3, 2), {"stride": 2}),
    (3, (3, 3, 4, 2), (3, 2, 2, 3, 2), {"stride": (2, 1, 2), "padding": 1, "output_padding": (1, 0, 1)}),
    (3, (1, 4, 2, 3, 2), (4, 1, 3, 3, 3), {"groups": 2, "dilation": 2}),
    (1, (2, 8, 7), (8, 8, 3), {"stride": 2, "padding": 1, "output_padding": 1}),
    (2, (2, 16, 4, 3), (16, 8, 3, 3), {"groups": 2, "stride": (2, 1), "padding": 1}),
    (2, (2, 8, 4, 5), (8, 9, 3, 2), {"dilation": 2, "padding": (2, 1)}),
    (2, (1, 8, 3, 3), (8, 40, 3, 3), {}),
    (3, (1, 8, 2, 3, 2), (8, 8, 2, 2, 2), {"stride": 2, "output_padding": 1}),
]
FNT_N = {1: NF.conv_transpose1d, 2: NF.conv_transpose2d, 3: NF.conv_transpose3d}
FNT_T = {1: TF.conv_transpose1d, 2: TF.conv_transpose2d, 3: TF.conv_transpose3d}


@pytest.mark.parametrize("nd,xs,ws,kw", CONV_T)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_transpose(nd, xs, ws, kw, bias):
    g = kw.get("groups", 1)
    arrays = [rand(*xs), rand(*ws)] + ([rand(ws[1] * g)] if bias else [])
    check_op(lambda *a: FNT_N[nd](*a, **kw), lambda *a: FNT_T[nd](*a, **kw), *arrays, **TOL)


def test_positional_args_and_partial_grads():
    x, w, b = rand(2, 4, 6, 5), rand(6, 2, 3, 3), rand(6)
    check_op(lambda x, w, b: NF.conv2d(x, w, b, 1, 1, 1, 2), lambda x, w, b: TF.conv2d(x, w, b, 1, 1, 1, 2), x, w, b,
             **TOL)
    check_op(lambda x, w: NF.conv_transpose2d(x, w, None, 2, 1, 1, 2, 1),
             lambda x, w: TF.conv_transpose2d(x, w, None, 2, 1, 1, 2, 1), rand(2, 4, 3, 3), rand(4, 3, 3, 3), **TOL)
    for need in [(True, False, False), (False, True, False), (False, False, True), (False, True, True)]:
        xs = [nt.tensor(a, requires_grad=r) for a, r in zip((x, w, b), need)]
        ts = [torch.tensor(a, requires_grad=r) for a, r in zip((x, w, b), need)]
        NF.conv2d(*xs, padding=1, groups=2).sum().backward()
        TF.conv2d(*ts, padding=1, groups=2).sum().backward()
        for a, c in zip(xs, ts):
            assert (a.grad is None) == (c.grad is None)
            if c.grad is not None:
                assert_close(a.grad, c.grad, **TOL)


def test_dtypes():
    for dt in (np.float64, np.int64):
        x, w = (rng.integers(-3, 4, s).astype(dt) for s in ((2, 3, 5, 5), (4, 3, 3, 3)))
        b = rng.integers(-3, 4, 4).astype(dt)
        check_op(lambda *a: NF.conv2d(*a, padding=1), lambda *a: TF.conv2d(*a, padding=1), x, w, b, grad=dt != np.int64)
        check_op(lambda *a: NF.conv_transpose1d(*a, stride=2), lambda *a: TF.conv_transpose1d(*a, stride=2),
                 x[:, :, 0], w[:3, :, 0], b[:3], grad=dt != np.int64)
    y = NF.conv1d(nt.ones(1, 2, 5, dtype=nt.float64), nt.ones(3, 2, 2, dtype=nt.float64),
                  nt.ones(3, dtype=nt.float64))
    assert y.dtype == nt.float64
    # a double transposed convolution takes a bias of another dtype, as torch does
    a, w = rand(2, 3, 4, dtype=np.float64), rand(3, 2, 2, dtype=np.float64)
    assert_close(NF.conv_transpose1d(nt.tensor(a), nt.tensor(w), nt.tensor(np.arange(2))),
                 TF.conv_transpose1d(torch.tensor(a), torch.tensor(w), torch.tensor(np.arange(2))))


def test_empty_batch():
    check_op(lambda x, w, b: NF.conv2d(x, w, b, padding=1), lambda x, w, b: TF.conv2d(x, w, b, padding=1),
             rand(0, 3, 5, 5), rand(4, 3, 3, 3), rand(4))
    check_op(lambda x, w: NF.conv_transpose2d(x, w), lambda x, w: TF.conv_transpose2d(x, w), rand(0, 3, 5, 5),
             rand(3, 4, 3, 3))


def test_graph_structure():
    x, w, b = (nt.tensor(a, requires_grad=True) for a in (rand(2, 3, 5, 5), rand(4, 3, 3, 3), rand(4)))
    y = NF.conv2d(x, w, b)
    assert y.grad_fn.name() == "ConvolutionBackward0"
    assert [type(f).__name__ for f, _ in y.grad_fn.next_functions] == ["AccumulateGrad"] * 3
    y = NF.conv2d(x, w)
    assert y.grad_fn.next_functions[2] == (None, 0)
    assert NF.conv2d(x[0], w, b).grad_fn.name() == "SqueezeBackward1"
    assert NF.conv_transpose2d(x, w.transpose(0, 1)).grad_fn.name() == "ConvolutionBackward0"
    assert NF.conv2d(x.detach(), w.detach()).grad_fn is None
    with nt.no_grad():
        assert NF.conv2d(x, w).grad_fn is None


def test_inplace_modification_error():
    for lib, F in ((nt, NF), (torch, TF)):
        x = lib.ones(1, 2, 4, 4)
        w = lib.ones(3, 2, 3, 3, requires_grad=True)
        y = F.conv2d(x, w)
        x.add_(1)
        with pytest.raises(RuntimeError) as e:
            y.sum().backward()
        if lib is nt:
            msg_n = str(e.value)
        else:
            assert msg_n == str(e.value)


def test_same_padding_warning():
    from numtorch.nn.functional import conv as C
    C._WARNED[0] = False
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        NF.conv1d(nt.ones(1, 1, 5), nt.ones(1, 1, 4), padding="same")
        NF.conv1d(nt.ones(1, 1, 5), nt.ones(1, 1, 4), padding="same")
        NF.conv1d(nt.ones(1, 1, 5), nt.ones(1, 1, 3), padding="same")
    assert len(rec) == 1 and rec[0].category is UserWarning
    assert str(rec[0].message).startswith("Using padding='same' with even kernel lengths and odd dilation")


# ------------------------------------------------------------------ errors
def _conv_err(fn, xs, ws, bs=None, xdt="float32", wdt="float32", bdt="float32", **kw):
    def build(lib, F):
        x = lib.ones(xs, dtype=getattr(lib, xdt))
        w = lib.ones(ws, dtype=getattr(lib, wdt))
        b = None if bs is None else lib.ones(bs, dtype=getattr(lib, bdt))
        return lambda: getattr(F, fn)(x, w, b, **kw)
    return build


ERRORS = [
    _conv_err("conv2d", (5, 5), (4, 3, 3, 3)),
    _conv_err("conv2d", (1, 2, 3, 5, 5), (4, 3, 3, 3)),
    _conv_err("conv1d", (5,), (4, 3, 3)),
    _conv_err("conv3d", (5, 5), (4, 3, 3, 3, 3)),
    _conv_err("conv2d", (2, 4, 5, 5), (4, 3, 3, 3)),
    _conv_err("conv2d", (4, 5, 5), (4, 3, 3, 3)),
    _conv_err("conv2d", (2, 6, 5, 5), (4, 2, 3, 3), groups=2),
    _conv_err("conv2d", (2, 6, 5, 5), (5, 2, 3, 3), groups=3),
    _conv_err("conv2d", (2, 3, 6, 6), (4, 3, 3, 3), groups=5),
    _conv_err("conv2d", (2, 3, 6, 6), (4, 3, 3, 3), groups=4),
    _conv_err("conv2d", (2, 3, 2, 2), (4, 3, 3, 3)),
    _conv_err("conv2d", (2, 3, 2, 5), (4, 3, 3, 3)),
    _conv_err("conv2d", (2, 3, 2, 2), (4, 3, 3, 3), dilation=2, padding=1),
    _conv_err("conv1d", (2, 3, 2), (4, 3, 3)),
    _conv_err("conv3d", (2, 3, 2, 5, 5), (4, 3, 3, 3, 3)),
    _conv_err("conv2d", (2, 3, 0, 5), (4, 3, 3, 3)),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3, 3), padding="same", stride=2),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3, 3), padding="foo"),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3, 3), padding="Same"),
    _conv_err("conv1d", (2, 3, 6), (4, 3, 3), padding="same", dilation=[1, 1]),
    _conv_err("conv1d", (2, 3, 6), (4, 3, 3), padding="same", stride=[1, 1]),
    _conv_err("conv1d", (2, 3, 6), (4, 3, 4, 4), padding="same"),
    _conv_err("conv2d", (2, 3, 6, 6), (4, 3, 3, 3, 3), padding="valid"),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3, 3), xdt="float64"),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3, 3), wdt="float64"),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3, 3), xdt="int64"),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3, 3), (4,), bdt="float64"),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3, 3), (4,), xdt="float64", wdt="float64"),
    _conv_err("conv2d", (2, 4, 6, 6), (4, 3, 3, 3), (5,), bdt="float64"),
    _conv_err("conv2d", (2, 3, 6, 6), (4, 3, 3, 3), (4,), bdt="float64", stride=0),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3, 3), (5,)),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3, 3), (4, 1)),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3, 3), ()),
    _conv_err("conv2d", (2, 3, 2, 2), (4, 3, 3, 3), (5,)),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3, 3), stride=0),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3, 3), stride=-1),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3, 3), padding=-1),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3, 3), dilation=0),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3, 3), groups=0),
    _conv_err("conv2d", (2, 3, 6, 6), (4, 3, 3, 3), stride=0, groups=0),
    _conv_err("conv2d", (2, 3, 6, 6), (4, 3, 3, 3), padding=-1, stride=0),
    _conv_err("conv2d", (2, 3, 6, 6), (4, 3, 3, 3), dilation=0, groups=3),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3, 3), stride=(1, 1, 1)),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3, 3), padding=(1, 1, 1)),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3, 3), padding=[]),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3, 3), dilation=[2, 1, 1]),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3)),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3, 3, 3)),
    _conv_err("conv1d", (2, 3, 5), (4, 3, 3, 3), stride=[1, 1]),
    _conv_err("conv2d", (2, 3, 5, 5), (0, 3, 3, 3)),
    _conv_err("conv2d", (2, 3, 5, 5), (4, 3, 3, 3), xdt="bool", wdt="bool"),
    _conv_err("conv3d", (2, 3, 5, 5, 5), (4, 3, 3, 3, 3), xdt="bool", wdt="bool"),
    _conv_err("conv_transpose2d", (5, 5), (4, 3, 3, 3)),
    _conv_err("conv_transpose2d", (2, 3, 5, 5), (4, 3, 3, 3)),
    _conv_err("conv_transpose2d", (2, 4, 5, 5), (4, 3, 3, 3), groups=3),
    _conv_err("conv_transpose2d", (2, 4, 5, 5), (4, 3, 3, 3), stride=2, output_padding=2),
    _conv_err("conv_transpose2d", (2, 4, 5, 5), (4, 3, 3, 3), output_padding=1),
    _conv_err("conv_transpose3d", (2, 3, 3, 3, 3), (3, 3, 3, 3, 3), output_padding=2, stride=2),
    _conv_err("conv_transpose1d", (2, 3, 6), (3, 3, 3), output_padding=2, stride=2),
    _conv_err("conv_transpose2d", (2, 4, 5, 5), (4, 3, 3, 3), padding=-1),
    _conv_err("conv_transpose2d", (2, 4, 5, 5), (4, 3, 3, 3), output_padding=-1),
    _conv_err("conv_transpose2d", (2, 4, 5, 5), (4, 3, 3, 3), output_padding=-1, stride=0),
    _conv_err("conv_transpose2d", (2, 4, 5, 5), (4, 3, 3, 3), padding="same"),
    _conv_err("conv_transpose2d", (2, 4, 5, 5), (4, 3, 3, 3), xdt="float64"),
    _conv_err("conv_transpose2d", (2, 4, 5, 5), (4, 3, 3, 3), wdt="float64"),
    _conv_err("conv_transpose2d", (2, 4, 5, 5), (4, 3, 3, 3), (4,)),
    _conv_err("conv_transpose2d", (2, 4, 5, 5), (4, 3, 3, 3), (3,), bdt="float64"),
    _conv_err("conv_transpose2d", (2, 4, 5, 5), (4, 3, 3, 3), (4,), bdt="float64", stride=0),
    _conv_err("conv_transpose2d", (2, 4, 5, 5), (4, 3, 3, 3), output_padding=(1, 1, 1)),
    _conv_err("conv_transpose2d", (2, 4, 5, 5), (4, 3, 3, 3), groups=0),
    _conv_err("conv_transpose1d", (2, 3, 6), (3, 3, 3, 3), stride=[1, 1]),
    _conv_err("conv_transpose2d", (2, 4, 5, 5), (4, 3, 3), (3,)),
    _conv_err("conv_transpose2d", (2, 4, 5, 5), (4, 3, 3, 3), (4,), output_padding=3),
    _conv_err("conv_transpose1d", (2, 3, 6), (3, 3, 3), padding=7, xdt="float64", wdt="float64"),
    _conv_err("conv_transpose2d", (2, 3, 6, 6), (3, 3, 3, 3), padding=(1, 8), xdt="float64", wdt="float64"),
    _conv_err("conv_transpose3d", (2, 3, 2, 2, 2), (3, 3, 3, 3, 3), padding=(1, 1, 8), xdt="float64",
              wdt="float64"),
    _conv_err("conv_transpose2d", (2, 3, 5, 5), (3, 3, 3, 3), xdt="bool", wdt="bool"),
]


@pytest.mark.parametrize("build", ERRORS)
def test_errors(build):
    both_raise(build(nt, NF), build(torch, TF))


def test_weight_type_errors():
    with pytest.raises(TypeError):
        NF.conv2d(nt.ones(1, 1, 3, 3), 3)
    with pytest.raises(TypeError):
        NF.conv2d(3, nt.ones(1, 1, 3, 3))
    with pytest.raises(TypeError):
        NF.conv2d(nt.ones(1, 1, 3, 3), nt.ones(1, 1, 3, 3), stride=2.0)


# ------------------------------------------------------------------ gradcheck
@pytest.mark.parametrize("fn,shapes", [
    (lambda x, w, b: NF.conv1d(x, w, b, stride=2, padding=1, dilation=2), ((2, 2, 7), (3, 2, 2), (3,))),
    (lambda x, w, b: NF.conv2d(x, w, b, stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2),
     ((2, 4, 5, 6), (4, 2, 2, 3), (4,))),
    (lambda x, w, b: NF.conv2d(x, w, b, padding=1, groups=2), ((1, 2, 4, 4), (4, 1, 3, 3), (4,))),
    (lambda x, w, b: NF.conv3d(x, w, b, stride=(2, 1, 1), padding=1), ((1, 2, 3, 3, 3), (2, 2, 2, 2, 2), (2,))),
    (lambda x, w, b: NF.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1), ((2, 2, 4), (2, 3, 3),
                                                                                           (3,))),
    (lambda x, w, b: NF.conv_transpose2d(x, w, b, stride=2, groups=2, dilation=(1, 2)), ((1, 4, 3, 3),
                                                                                          (4, 1, 2, 2), (2,))),
    (lambda x, w, b: NF.conv_transpose3d(x, w, b, stride=(1, 2, 1), padding=(0, 1, 0)),
     ((1, 2, 2, 3, 2), (2, 2, 2, 3, 2), (2,))),
    (lambda x, w, b: NF.conv2d(x, w, b, stride=2, padding=1), ((1, 8, 3, 4), (2, 8, 2, 2), (2,))),
    (lambda x, w, b: NF.conv_transpose2d(x, w, b, stride=2, padding=1), ((1, 8, 2, 2), (8, 2, 3, 2), (2,))),
])
def test_gradcheck(fn, shapes):
    gradcheck64(_quiet(fn), *[rand(*s, dtype=np.float64) for s in shapes])


@pytest.mark.parametrize("fn,shapes", [
    (lambda x, w, b: NF.conv2d(x, w, b, stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2),
     ((2, 4, 5, 6), (4, 2, 2, 3), (4,))),
    (lambda x, w, b: NF.conv2d(x, w, b, padding="same"), ((1, 2, 4, 5), (3, 2, 2, 3), (3,))),
    (lambda x, w, b: NF.conv2d(x, w, b, padding=1, groups=2), ((1, 2, 4, 4), (4, 1, 3, 3), (4,))),
    (lambda x, w, b: NF.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2),
     ((2, 4, 3, 4), (4, 1, 3, 2), (2,))),
    (lambda x, w, b: NF.conv_transpose1d(x, w, b, dilation=2, output_padding=1), ((2, 2, 4), (2, 3, 3), (3,))),
    (lambda x, w, b: NF.conv1d(x, w, b, stride=3, padding=2), ((1, 2, 7), (2, 2, 3), (2,))),
    (lambda x, w, b: NF.conv1d(x, w, b, padding=1, groups=2), ((1, 16, 4), (2, 8, 2), (2,))),
    (lambda x, w, b: NF.conv_transpose1d(x, w, b, stride=2), ((1, 8, 3), (8, 2, 2), (2,))),
])
def test_gradgradcheck(fn, shapes):
    ts = tuple(nt.tensor(rand(*s, dtype=np.float64), requires_grad=True) for s in shapes)
    assert nt.autograd.gradgradcheck(_quiet(fn), ts)


def test_layouts_agree():
    """The channels-last and channels-first kernels give the same results on every path."""
    from numtorch._ops import conv as K
    cases = [(NF.conv2d, (2, 8, 6, 5), (8, 4, 3, 2), {"groups": 2, "padding": 1}),
             (NF.conv2d, (2, 8, 7, 6), (4, 8, 3, 3), {"stride": 2}),
             (NF.conv_transpose2d, (2, 8, 3, 4), (8, 3, 3, 3), {"stride": 2, "output_padding": 1}),
             (NF.conv1d, (2, 8, 9), (8, 8, 1), {}), (NF.conv1d, (2, 6, 9), (6, 1, 3), {"groups": 6})]
    try:
        for fn, xs, ws, kw in cases:
            res = []
            for lay in ("cl", "cf"):
                K.FORCE_LAYOUT[0] = lay
                x, w = nt.tensor(rand(*xs), requires_grad=True), nt.tensor(rand(*ws), requires_grad=True)
                w.data = nt.tensor(np.random.default_rng(1).standard_normal(ws).astype(np.float32))
                x.data = nt.tensor(np.random.default_rng(2).standard_normal(xs).astype(np.float32))
                y = fn(x, w, **kw)
                (y * y).sum().backward()
                res.append([y.detach().numpy(), x.grad.numpy(), w.grad.numpy()])
            for a, b in zip(*res):
                np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    finally:
        K.FORCE_LAYOUT[0] = None


def test_double_backward_matches_torch():
    x, w, b = rand(2, 3, 6, 5, dtype=np.float64), rand(4, 3, 3, 2, dtype=np.float64), rand(4, dtype=np.float64)
    outs = []
    for lib, F in ((nt, NF), (torch, TF)):
        xs = [lib.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = F.conv2d(*xs, stride=(2, 1), padding=1)
        gx, gw = lib.autograd.grad((y ** 2).sum(), xs[:2], create_graph=True)
        z = (gx ** 2).sum() + (gw ** 3).sum()
        z.backward()
        outs.append([a.grad.detach().numpy() for a in xs])
    for a, c in zip(*outs):
        np.testing.assert_allclose(a, c, rtol=1e-7, atol=1e-9)


# ------------------------------------------------------------------ modules
def _pair_modules(ctor):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nm, tm = ctor(nnn), ctor(torch.nn)
    nm.load_state_dict({k: nt.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return nm, tm


def _compare_modules(nm, tm, x, **fwd):
    xn, xt = nt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yn, yt = nm(xn, **fwd), tm(xt, **fwd)
    assert_close(yn, yt, **TOL)
    g = rand(*yt.shape)
    yn.backward(nt.tensor(g))
    yt.backward(torch.tensor(g))
    assert_close(xn.grad, xt.grad, **TOL)
    for (kn, pn), (kt, pt) in zip(nm.named_parameters(), tm.named_parameters()):
        assert kn == kt
        assert_close(pn.grad, pt.grad, **TOL)


MODULES = [
    (lambda nn: nn.Conv1d(3, 4, 3), (2, 3, 9)),
    (lambda nn: nn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2, bias=False), (2, 4, 11)),
    (lambda nn: nn.Conv1d(3, 4, 4, padding="same", padding_mode="reflect"), (3, 9)),
    (lambda nn: nn.Conv1d(3, 4, 3, padding=2, padding_mode="circular"), (2, 3, 9)),
    (lambda nn: nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=(1, 0), dilation=2, bias=False), (2, 3, 9, 7)),
    (lambda nn: nn.Conv2d(4, 4, 3, padding=1, groups=4), (2, 4, 6, 5)),
    (lambda nn: nn.Conv2d(3, 6, 3, padding="same"), (2, 3, 5, 6)),
    (lambda nn: nn.Conv2d(3, 6, (4, 3), padding="same", padding_mode="circular"), (2, 3, 5, 6)),
    (lambda nn: nn.Conv2d(3, 6, 3, padding="valid", padding_mode="replicate"), (2, 3, 5, 6)),
    (lambda nn: nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="reflect"), (2, 2, 5, 6)),
    (lambda nn: nn.Conv2d(2, 3, 3, padding=1, padding_mode="replicate"), (2, 5, 6)),
    (lambda nn: nn.Conv2d(2, 4, 1), (2, 2, 5, 6)),
    (lambda nn: nn.Conv3d(4, 4, 3, groups=2, padding_mode="circular", padding=1), (1, 4, 4, 5, 3)),
    (lambda nn: nn.Conv3d(2, 3, (2, 3, 1), stride=(1, 2, 1), padding=(1, 0, 0), padding_mode="reflect"),
     (2, 3, 5, 4)),
    (lambda nn: nn.ConvTranspose1d(3, 4, 3, stride=2, output_padding=1), (2, 3, 5)),
    (lambda nn: nn.ConvTranspose1d(3, 4, 3, dilation=2, bias=False), (3, 5)),
    (lambda nn: nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1), (2, 3, 4, 5)),
    (lambda nn: nn.ConvTranspose2d(4, 6, (2, 3), groups=2, dilation=(2, 1)), (2, 4, 3, 4)),
    (lambda nn: nn.ConvTranspose3d(3, 6, 2, groups=3, padding=1), (1, 3, 3, 4, 3)),
    (lambda nn: nn.Conv2d(8, 16, 3, padding=1, padding_mode="reflect"), (2, 8, 6, 5)),
    (lambda nn: nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1, groups=2), (2, 16, 3, 4)),
]


@pytest.mark.parametrize("ctor,xs", MODULES)
def test_modules(ctor, xs):
    nm, tm = _pair_modules(ctor)
    assert repr(nm) == repr(tm)
    assert list(nm.state_dict()) == list(tm.state_dict())
    for a in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "transposed",
              "output_padding", "groups", "padding_mode", "_reversed_padding_repeated_twice"):
        vn, vt = getattr(nm, a), getattr(tm, a)
        assert vn == vt and type(vn) is type(vt), a
    assert tuple(nm.weight.shape) == tuple(tm.weight.shape)
    _compare_modules(nm, tm, rand(*xs))


@pytest.mark.parametrize("ctor,xs,size", [
    (lambda nn: nn.ConvTranspose2d(3, 4, 3, stride=2), (2, 3, 5, 5), (12, 11)),
    (lambda nn: nn.ConvTranspose2d(3, 4, 3, stride=2), (2, 3, 5, 5), [2, 4, 12, 12]),
    (lambda nn: nn.ConvTranspose2d(3, 4, 3, stride=2), (3, 5, 5), (3, 12, 11)),
    (lambda nn: nn.ConvTranspose1d(3, 4, 3, stride=3, dilation=2, padding=1), (2, 3, 5), [17]),
    (lambda nn: nn.ConvTranspose3d(2, 2, 2, stride=(2, 3, 1)), (1, 2, 2, 3, 2), (5, 9, 3)),
])
def test_output_size(ctor, xs, size):
    nm, tm = _pair_modules(ctor)
    _compare_modules(nm, tm, rand(*xs), output_size=size)


@pytest.mark.parametrize("ctor,xs,size", [
    (lambda nn: nn.ConvTranspose2d(3, 4, 3, stride=2), (2, 3, 5, 5), (13, 12)),
    (lambda nn: nn.ConvTranspose2d(3, 4, 3, stride=2), (2, 3, 5, 5), (10, 12)),
    (lambda nn: nn.ConvTranspose2d(3, 4, 3, stride=2), (2, 3, 5, 5), (12,)),
    (lambda nn: nn.ConvTranspose2d(3, 4, 3, stride=2), (3, 5, 5), (2, 3, 12, 12)),
    (lambda nn: nn.ConvTranspose1d(3, 4, 3, stride=3, dilation=2, padding=1), (2, 3, 5), [10]),
    (lambda nn: nn.ConvTranspose1d(3, 4, 3, stride=3, dilation=2, padding=1), (2, 3, 5), (20,)),
])
def test_output_size_errors(ctor, xs, size):
    nm, tm = _pair_modules(ctor)
    x = rand(*xs)
    both_raise(lambda: nm(nt.tensor(x), output_size=size), lambda: tm(torch.tensor(x), output_size=size))


@pytest.mark.parametrize("ctor", [
    lambda nn: nn.Conv2d(4, 6, 3, groups=3),
    lambda nn: nn.Conv2d(3, 4, 3, groups=3),
    lambda nn: nn.Conv2d(3, 4, 3, groups=0),
    lambda nn: nn.Conv2d(3, 4, 3, groups=-1),
    lambda nn: nn.Conv2d(3, 4, 3, padding="foo"),
    lambda nn: nn.Conv2d(3, 4, 3, padding="same", stride=2),
    lambda nn: nn.Conv1d(3, 4, 3, padding="same", stride=(2,)),
    lambda nn: nn.Conv2d(3, 4, 3, padding_mode="foo"),
    lambda nn: nn.Conv2d(3, 5, 3, groups=2, padding="foo"),
    lambda nn: nn.Conv2d(4, 6, 3, groups=2, padding="foo", padding_mode="bar"),
    lambda nn: nn.Conv2d(4, 6, 3, groups=2, padding="same", stride=2, padding_mode="bar"),
    lambda nn: nn.Conv2d(4, 6, 3, groups=0, padding="same", stride=2, padding_mode="bar"),
    lambda nn: nn.Conv2d(4, 6, 3, padding=1, stride=2, padding_mode="bar"),
    lambda nn: nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect"),
    lambda nn: nn.ConvTranspose2d(3, 5, 3, groups=2, padding_mode="bar"),
    lambda nn: nn.ConvTranspose1d(3, 5, 3, groups=2),
    lambda nn: nn.LazyConv2d(4, 3, groups=0),
])
def test_constructor_errors(ctor):
    both_raise(lambda: ctor(nnn), lambda: ctor(torch.nn), ValueError)


def test_forward_errors():
    for ctor, x in [(lambda nn: nn.Conv2d(3, 4, 3), (5, 5)), (lambda nn: nn.Conv1d(3, 4, 3), (2, 4, 5)),
                    (lambda nn: nn.Conv2d(3, 4, 3, padding=4, padding_mode="reflect"), (1, 3, 3, 3)),
                    (lambda nn: nn.LazyConv2d(4, 3), (5, 5)), (lambda nn: nn.LazyConvTranspose1d(4, 3), (2, 3, 5, 5)),
                    (lambda nn: nn.LazyConv2d(4, 3, groups=3), (2, 4, 5, 5))]:
        nm, tm = ctor(nnn), ctor(torch.nn)
        a = rand(*x)
        both_raise(lambda: nm(nt.tensor(a)), lambda: tm(torch.tensor(a)))
    for nd in (1, 2, 3):
        nm = getattr(nnn, f"ConvTranspose{nd}d")(2, 2, 1)
        tm = getattr(torch.nn, f"ConvTranspose{nd}d")(2, 2, 1)
        nm.padding_mode = tm.padding_mode = "reflect"
        a = rand(*(1, 2) + (3,) * nd)
        both_raise(lambda: nm(nt.tensor(a)), lambda: tm(torch.tensor(a)), ValueError)


def test_transpose_padding_string_quirk():
    nm, tm = nnn.ConvTranspose2d(4, 6, 3, padding="same"), torch.nn.ConvTranspose2d(4, 6, 3, padding="same")
    assert repr(nm) == repr(tm) and nm.padding == tm.padding
    a = rand(1, 4, 3, 3)
    both_raise(lambda: nm(nt.tensor(a)), lambda: tm(torch.tensor(a)), TypeError)


@pytest.mark.parametrize("ctor", [
    lambda nn, **k: nn.Conv1d(3, 4, 3, **k),
    lambda nn, **k: nn.Conv2d(6, 4, (3, 2), groups=2, **k),
    lambda nn, **k: nn.Conv3d(2, 4, 2, **k),
    lambda nn, **k: nn.ConvTranspose2d(6, 4, 3, groups=2, **k),
    lambda nn, **k: nn.ConvTranspose3d(2, 3, (1, 2, 3), **k),
])
def test_reset_parameters_and_dtype(ctor):
    m = ctor(nnn)
    w = m.weight.detach().numpy()
    fan_in = w.shape[1] * math.prod(w.shape[2:])
    bound = 1 / math.sqrt(fan_in)
    assert np.abs(w).max() <= bound and w.std() > bound / 4
    b = m.bias.detach().numpy()
    assert np.abs(b).max() <= bound and m.weight.dtype == nt.float32
    m = ctor(nnn, dtype=nt.float64, bias=False)
    assert m.weight.dtype == nt.float64 and m.bias is None
    assert ctor(nnn, device="cpu").weight.requires_grad


LAZY = [
    (lambda nn: nn.LazyConv1d(4, 3), lambda nn: nn.Conv1d(3, 4, 3), (2, 3, 7)),
    (lambda nn: nn.LazyConv2d(4, 3, groups=2, padding=1), lambda nn: nn.Conv2d(6, 4, 3, groups=2, padding=1),
     (2, 6, 5, 5)),
    (lambda nn: nn.LazyConv2d(4, 3, bias=False, padding_mode="reflect", padding=1),
     lambda nn: nn.Conv2d(3, 4, 3, bias=False, padding_mode="reflect", padding=1), (3, 5, 5)),
    (lambda nn: nn.LazyConv3d(2, 2, stride=2), lambda nn: nn.Conv3d(3, 2, 2, stride=2), (1, 3, 4, 4, 4)),
    (lambda nn: nn.LazyConvTranspose1d(4, 3), lambda nn: nn.ConvTranspose1d(6, 4, 3), (6, 5)),
    (lambda nn: nn.LazyConvTranspose2d(4, 3, groups=2, stride=2),
     lambda nn: nn.ConvTranspose2d(6, 4, 3, groups=2, stride=2), (2, 6, 3, 3)),
    (lambda nn: nn.LazyConvTranspose3d(2, 2, output_padding=1, stride=2),
     lambda nn: nn.ConvTranspose3d(3, 2, 2, output_padding=1, stride=2), (1, 3, 2, 2, 2)),
]


@pytest.mark.parametrize("lazy,eager,xs", LAZY)
def test_lazy(lazy, eager, xs):
    nm, tm = lazy(nnn), lazy(torch.nn)
    assert repr(nm) == repr(tm)
    assert nm.has_uninitialized_params() and type(nm.weight).__name__ == "UninitializedParameter"
    assert list(nm.state_dict()) == list(tm.state_dict())
    x = rand(*xs)
    nm(nt.tensor(x))
    tm(torch.tensor(x))
    assert type(nm).__name__ == type(tm).__name__ and type(nm) is type(eager(nnn))
    assert repr(nm) == repr(tm) and nm.in_channels == tm.in_channels
    sn, st = nm.state_dict(), tm.state_dict()
    assert list(sn) == list(st) and [tuple(v.shape) for v in sn.values()] == [tuple(v.shape) for v in st.values()]
    assert "_initialize_hook" not in vars(nm) and not nm._forward_pre_hooks
    nm.load_state_dict({k: nt.tensor(v.detach().numpy()) for k, v in st.items()})
    _compare_modules(nm, tm, x)


def test_lazy_misc():
    nm, tm = nnn.LazyConv2d(5, 3, groups=2), torch.nn.LazyConv2d(5, 3, groups=2)
    assert repr(nm) == repr(tm)
    m = nnn.LazyConv2d(4, 3, dtype=nt.float64)
    assert m(nt.ones(1, 2, 5, 5, dtype=nt.float64)).dtype == nt.float64 and m.bias.dtype == nt.float64
    sd = {k: nt.tensor(v.detach().numpy()) for k, v in torch.nn.Conv2d(3, 4, 3).state_dict().items()}
    nm, tm = nnn.LazyConv2d(4, 3), torch.nn.LazyConv2d(4, 3)
    nm.load_state_dict(sd)
    tm.load_state_dict(torch.nn.Conv2d(3, 4, 3).state_dict())
    assert type(nm).__name__ == "LazyConv2d" and tuple(nm.weight.shape) == (4, 3, 3, 3)
    assert nm.in_channels == tm.in_channels
    y = nm(nt.ones(1, 3, 5, 5))
    assert type(nm) is nnn.Conv2d and tuple(y.shape) == (1, 4, 3, 3)
    np.testing.assert_allclose(nm.weight.detach().numpy(), sd["weight"].numpy())


def test_conv_forward_method_and_train_step():
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(),
                             torch.nn.ConvTranspose2d(4, 2, 2, stride=2))
    nm = nnn.Sequential(nnn.Conv2d(3, 4, 3, padding=1), nnn.ReLU(), nnn.ConvTranspose2d(4, 2, 2, stride=2))
    nm.load_state_dict({k: nt.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    on, ot = nt.optim.SGD(nm.parameters(), lr=0.1), torch.optim.SGD(tm.parameters(), lr=0.1)
    x = rand(2, 3, 6, 6)
    for _ in range(3):
        for m, o, lib in ((nm, on, nt), (tm, ot, torch)):
            o.zero_grad()
            (m(lib.tensor(x)) ** 2).mean().backward()
            o.step()
    for (k, a), (_, b) in zip(nm.state_dict().items(), tm.state_dict().items()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6, err_msg=k)
    c = nnn.Conv2d(3, 4, 3)
    w2 = nt.tensor(rand(4, 3, 3, 3))
    assert_close(c._conv_forward(nt.tensor(x), w2, None), TF.conv2d(torch.tensor(x), torch.tensor(w2.numpy())),
                 **TOL)
