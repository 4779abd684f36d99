"""F.pad (all modes), the padding modules and PixelShuffle/PixelUnshuffle, differentially vs torch."""
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


# (input shape, pad) combinations valid for reflect/replicate/circular, 1d/2d/3d, batched and batchless
INDEXED = [
    ((2, 3, 5), (2, 1)), ((3, 5), (1, 3)), ((2, 3, 5), (-1, 2)), ((2, 3, 5), (0, 0)), ((2, 3, 5), (-2, -1)),
    ((2, 5), (2, -1)), ((2, 5), (1, -2)), ((2, 5), (-2, 3)), ((2, 3, 4, 5), (2, -1, -1, 3)),
    ((2, 3, 4, 5), (1, 2, 3, 0)), ((3, 4, 5), (2, 2, 1, 1)), ((2, 3, 4, 5), (-1, 2, 1, -2)),
    ((1, 2, 3, 4, 5), (1, 2, 2, 1, 1, 2)), ((2, 3, 4, 5), (1, 1, 0, 2, 2, 0)), ((1, 2, 3, 4, 5), (-1, 1, 1, -1, 2, 0)),
]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,p", INDEXED)
def test_indexed_modes(mode, shape, p):
    check_op(lambda x: NF.pad(x, p, mode), lambda x: TF.pad(x, p, mode), rand(*shape))


@pytest.mark.parametrize("shape,p", [((5,), (1, 2)), ((2, 3), (1, 1, 2, 0)), ((2, 3, 4), (1, 1, 1, 1, 1, 1)),
                                     ((2, 3, 4, 5), (-1, 2, 1, -2, 0, 1)), ((1, 2, 3, 4, 5, 6), (1, 1)),
                                     ((2, 3, 4), (-3, -1)), ((2, 3, 4), (-2, 5)), ((2, 3, 4), ()),
                                     ((2, 0, 4), (1, 1, 1, 1))])
@pytest.mark.parametrize("value", [None, 0.0, 2.5, float("-inf")])
def test_constant(shape, p, value):
    check_op(lambda x: NF.pad(x, p, value=value), lambda x: TF.pad(x, p, value=value), rand(*shape))


def test_constant_dtypes_and_names():
    for a, v in [(np.arange(6).reshape(2, 3), 2.5), (np.array([True, False]), 1.5), (np.array([True, False]), None),
                 (np.arange(4, dtype=np.uint8), 7), (np.arange(3, dtype=np.float64), float("nan"))]:
        x, y = pair(a)
        assert_close(NF.pad(x, (1, 2), value=v), TF.pad(y, (1, 2), value=v))
    for mode in ("reflect", "replicate", "circular"):
        x, y = pair(np.arange(12).reshape(2, 6))
        assert_close(NF.pad(x, (-1, 2), mode), TF.pad(y, (-1, 2), mode))
        assert_close(NF.pad(x, (2, 1), mode), TF.pad(y, (2, 1), mode))
    x, y = pair(rand(2, 3, 4, 5), True)
    for p, mode in [((1, 1), "constant"), ((1, 1, 1, 1), "reflect"), ((1, 1, 1, 1, 1, 1), "reflect"),
                    ((1, 1, 1, 1, 1, 1), "replicate"), ((1, 1, 1, 1), "circular")]:
        assert type(NF.pad(x, p, mode).grad_fn).__name__ == type(TF.pad(y, p, mode).grad_fn).__name__
    assert NF.pad(x.detach(), (1, 1)).grad_fn is None


def test_zero_batch():
    for mode in ("reflect", "replicate", "circular", "constant"):
        x, y = pair(rand(0, 2, 3, 4))
        assert_close(NF.pad(x, (1, 1, 1, 1), mode), TF.pad(y, (1, 1, 1, 1), mode))


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_gradcheck(mode):
    a = rand(2, 3, 4, dtype=np.float64)
    gradcheck64(lambda x: NF.pad(x, (2, -1, 1, 2), mode), a)
    gradcheck64(lambda x: NF.pad(x, (1, 2), mode), a)
    gradcheck64(lambda x: NF.pad(x, (1, 0, 0, 1, 1, 1), mode), rand(1, 2, 3, 4, dtype=np.float64))
    gradcheck64(lambda x: NF.pad(x, (1, 2), mode) ** 2, a)  # double-backward path is exercised below


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_double_backward(mode):
    a = rand(2, 3, 4, dtype=np.float64)
    outs = []
    for lib, F in ((nt, NF), (torch, TF)):
        x = lib.tensor(a.copy(), requires_grad=True)
        y = F.pad(x, (2, 1, -1, 1), mode)
        w = lib.tensor(np.arange(np.prod(y.shape), dtype=np.float64).reshape(tuple(y.shape)), requires_grad=True)
        (g,) = lib.autograd.grad((y * y * w).sum(), x, create_graph=True)
        (gw,) = lib.autograd.grad((g ** 2).sum(), w)
        outs.append((g, gw))
    assert_close(outs[0][0], outs[1][0])
    assert_close(outs[0][1], outs[1][1])
    assert nt.autograd.gradgradcheck(lambda x: NF.pad(x, (1, 2, 1, 0), mode),
                                     (nt.tensor(a, requires_grad=True),))


ERRORS = [
    ((2, 3, 4), (1,), "constant", None), ((2, 3), (1, 1, 1, 1, 1, 1), "constant", None),
    ((2, 3, 4), (-4, -1), "constant", None), ((2, 3, 4), (-5, 1), "constant", None),
    ((2, 3), (1, 1), "foo", None), ((2, 3), (1, 1), "reflect", 1.0), ((2, 3), (1, 1), "circular", 1.0),
    ((2, 3), (1, 1), "replicate", True),
    ((2, 3, 4), (1, 5, 1, 1), "reflect", None), ((2, 3, 4), (4, 1), "reflect", None),
    ((2, 3, 4), (1, 1, 3, 1), "reflect", None), ((1, 2, 3, 4), (1, 1, 1, 1, 3, 1), "reflect", None),
    ((2, 3, 1), (1, 1), "reflect", None), ((2, 0, 4), (1, 1), "reflect", None), ((2, 3, 0), (1, 1), "replicate", None),
    ((2, 0, 3, 4), (1, 1, 1, 1), "replicate", None),
    ((2, 3, 4), (-4, -1), "reflect", None), ((2, 3, 4), (-3, -1), "replicate", None),
    ((2, 3, 4), (-2, -2, -2, -1), "reflect", None), ((2, 3, 4), (-2, -2, -2, -1), "replicate", None),
    ((1, 2, 3, 4), (-3, -1, -2, -1, -1, -1), "reflect", None), ((1, 2, 3, 4), (1, 1, 1, 1, -2, -2), "replicate", None),
    ((2, 3, 4), (5, 1), "circular", None), ((2, 3, 4), (-4, -1), "circular", None),
    ((2, 3, 0), (1, 1), "circular", None), ((1, 5), (-3, 3), "circular", None), ((1, 1, 5), (4, -2), "circular", None),
    ((1, 2, 3, 4), (1, 1, 1, 1, -2, -2), "circular", None),
    ((3,), (1, 1), "reflect", None), ((2, 3, 4, 5), (1, 1), "replicate", None),
    ((2, 3, 4), (1, 1, 1, 1, 1, 1), "circular", None), ((1, 2, 3, 4, 5, 6), (1, 1), "reflect", None),
    ((3, 4), (1, 1, 1, 1), "replicate", None),
]


@pytest.mark.parametrize("shape,p,mode,value", ERRORS)
def test_errors(shape, p, mode, value):
    x, y = pair(rand(*shape))
    both_raise(lambda: NF.pad(x, p, mode, value), lambda: TF.pad(y, p, mode, value))


def test_argument_errors():
    x, y = pair(rand(2, 3))
    both_raise(lambda: NF.pad(x, [1.0, 1]), lambda: TF.pad(y, [1.0, 1]))
    both_raise(lambda: NF.pad(x, 1), lambda: TF.pad(y, 1))
    both_raise(lambda: NF.pad([1], [1, 1]), lambda: TF.pad([1], [1, 1]))
    both_raise(lambda: NF.pad(x, (1, 1), None), lambda: TF.pad(y, (1, 1), None))
    both_raise(lambda: NF.pad(x, (1, 1), "constant", "a"), lambda: TF.pad(y, (1, 1), "constant", "a"))
    u, v = pair(np.arange(3, dtype=np.uint8))
    both_raise(lambda: NF.pad(u, (1, 1), value=-1), lambda: TF.pad(v, (1, 1), value=-1))
    # value 0 is accepted by the non-constant modes
    assert_close(NF.pad(x, (1, 1), "reflect", 0.0), TF.pad(y, (1, 1), "reflect", 0.0))
    assert_close(NF.pad(x, [1, 1]), TF.pad(y, [1, 1]))


MODULES = [("ZeroPad1d", (2,), (2, 3, 4)), ("ZeroPad2d", ((1, 2, 3, 4),), (3, 4, 5)), ("ZeroPad3d", (1,), (3, 4, 5)),
           ("ConstantPad1d", (2, 3.5), (3, 4)), ("ConstantPad2d", ([1, 2, -1, 0], 1), (2, 3, 4, 5)),
           ("ConstantPad3d", (1, 0), (2, 3, 4, 5)), ("ReflectionPad1d", (2,), (3, 4)),
           ("ReflectionPad2d", ((1, 2, 2, 1),), (2, 3, 4, 5)), ("ReflectionPad3d", (1,), (3, 4, 5, 6)),
           ("ReplicationPad1d", ((3, 1),), (2, 3, 4)), ("ReplicationPad2d", (2,), (3, 4, 5)),
           ("ReplicationPad3d", ((1, 2, 3, 4, 5, 6),), (1, 2, 3, 4, 5)), ("CircularPad1d", (1,), (3, 4)),
           ("CircularPad2d", ((1, 2, 0, 3),), (2, 3, 4, 5)), ("CircularPad3d", (1,), (2, 3, 4, 5)),
           ("PixelShuffle", (2,), (2, 8, 3, 4)), ("PixelUnshuffle", (2,), (8, 4, 6))]


@pytest.mark.parametrize("name,args,shape", MODULES)
def test_modules(name, args, shape):
    mn, mt = getattr(nnn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(mn) == repr(mt)
    for attr in ("padding", "value", "upscale_factor", "downscale_factor"):
        assert getattr(mn, attr, None) == getattr(mt, attr, None)
    check_op(mn, mt, rand(*shape))


def test_module_errors():
    for name, shape in [("CircularPad2d", (4, 4)), ("CircularPad2d", (2, 3, 4, 5, 6)), ("CircularPad1d", (4,)),
                        ("ReflectionPad1d", (4,)), ("ZeroPad2d", (4,))]:
        x, y = pair(rand(*shape))
        both_raise(lambda: getattr(nnn, name)(1)(x), lambda: getattr(torch.nn, name)(1)(y))
    x, y = pair(rand(2, 3, 4))
    both_raise(lambda: nnn.PixelShuffle(2)(x), lambda: torch.nn.PixelShuffle(2)(y))
