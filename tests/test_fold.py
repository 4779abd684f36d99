"""F.unfold / F.fold and the Unfold / Fold modules, differentially against torch."""
import numpy as np
import pytest

import numtorch as nt
import numtorch.nn as nnn
import numtorch.nn.functional as NF

from helpers import assert_close, both_raise, check_op, gradcheck64

torch = pytest.importorskip("torch")
TF = torch.nn.functional

rng = np.random.default_rng(0)


def rand(*s, dtype=np.float32):
    return rng.standard_normal(s).astype(dtype)


# (input shape, kernel_size, dilation, padding, stride)
UNFOLD = [
    ((2, 3, 5, 5), 2, 1, 0, 1),
    ((2, 3, 7, 8), (2, 3), (1, 2), 1, (2, 1)),
    ((3, 7, 8), (2, 3), 1, 0, 1),
    ((1, 2, 6, 5), 3, 2, (2, 1), 2),
    ((2, 2, 4, 4), 4, 1, 0, 1),
    ((0, 3, 5, 5), 2, 1, 0, 1),
    ((2, 1, 3, 9), (1, 4), 1, (0, 2), (1, 3)),
]


@pytest.mark.parametrize("xs,k,d,p,s", UNFOLD)
def test_unfold(xs, k, d, p, s):
    check_op(lambda x: NF.unfold(x, k, d, p, s), lambda x: TF.unfold(x, k, d, p, s), rand(*xs))
    check_op(lambda x: NF.unfold(x, kernel_size=k, dilation=d, padding=p, stride=s),
             lambda x: TF.unfold(x, kernel_size=k, dilation=d, padding=p, stride=s), rand(*xs))


# (input shape, output_size, kernel_size, dilation, padding, stride)
FOLD = [
    ((2, 12, 16), (5, 5), 2, 1, 0, 1),
    ((2, 18, 24), (7, 8), (2, 3), (1, 2), 1, (2, 1)),
    ((12, 16), 5, 2, 1, 0, 1),
    ((1, 18, 9), (5, 5), (3, 3), 1, (1, 0), (2, 1)),
    ((2, 8, 4), (4, 5), 2, 1, 0, 2),
    ((0, 12, 16), (5, 5), 2, 1, 0, 1),
    ((1, 4, 9), (3, 3), 2, 2, 1, 1),
]


@pytest.mark.parametrize("xs,o,k,d,p,s", FOLD)
def test_fold(xs, o, k, d, p, s):
    check_op(lambda x: NF.fold(x, o, k, d, p, s), lambda x: TF.fold(x, o, k, d, p, s), rand(*xs))


def test_dtypes_and_names():
    for dt in (np.float64, np.float16, np.bool_):
        a = (rand(2, 3, 5, 5) > 0).astype(dt)
        assert_close(NF.unfold(nt.tensor(a), 2), TF.unfold(torch.tensor(a), 2))
        c = (rand(2, 12, 16) > 0).astype(dt)
        if dt != np.bool_:
            assert_close(NF.fold(nt.tensor(c), (5, 5), 2), TF.fold(torch.tensor(c), (5, 5), 2))
    x = nt.tensor(rand(2, 3, 5, 5), requires_grad=True)
    u = NF.unfold(x, 2)
    assert u.grad_fn.name() == "Im2ColBackward0"
    assert NF.fold(u, (5, 5), 2).grad_fn.name() == "Col2ImBackward0"
    assert NF.unfold(x[0], 2).grad_fn.name() == "Im2ColBackward0"
    assert NF.fold(nt.tensor(rand(12, 16), requires_grad=True), (5, 5), 2).grad_fn.name() == "Col2ImBackward0"
    assert NF.unfold(x.detach(), 2).grad_fn is None


def test_fold_unfold_roundtrip_counts():
    """fold(unfold(ones)) counts how many blocks cover each pixel, as in torch's docs."""
    for lib, F in ((nt, NF), (torch, TF)):
        x = lib.ones(1, 2, 6, 7)
        r = F.fold(F.unfold(x, (2, 3), padding=1, stride=(1, 2)), (6, 7), (2, 3), padding=1, stride=(1, 2))
        if lib is nt:
            rn = r
        else:
            assert_close(rn, r)


def _err(fn, shape, *args, dt="float32", **kw):
    def build(lib, F):
        x = lib.ones(shape, dtype=getattr(lib, dt))
        return lambda: getattr(F, fn)(x, *args, **kw)
    return build


ERRORS = [
    _err("unfold", (5,), 2), _err("unfold", (5, 5), 2), _err("unfold", (2, 3, 4, 5, 5), 2),
    _err("unfold", (2, 3, 5, 5), 6), _err("unfold", (2, 3, 5, 5), 0, stride=0), _err("unfold", (2, 3, 5, 5), 2, stride=0),
    _err("unfold", (2, 3, 5, 5), 2, stride=0, dilation=0), _err("unfold", (2, 3, 5, 5), 2, stride=0, padding=-1),
    _err("unfold", (2, 3, 5, 5), 2, dilation=0, padding=-1), _err("unfold", (2, 3, 5, 5), (2, 0)),
    _err("unfold", (2, 3, 5, 5), (2, 2), dilation=(1, 2, 3)), _err("unfold", (2, 3, 5, 5), (2, 2, 2), dilation=(1, 2, 3)),
    _err("unfold", (2, 3, 5, 5), (2, 2), padding=(1, 2, 3), stride=[1, 2, 3]),
    _err("unfold", (2, 3, 5, 5), (2, 2), stride=[1]), _err("unfold", (2, 3, 5, 5), [2]),
    _err("unfold", (2, 3, 5, 5), 3, dilation=3), _err("unfold", (2, 0, 5, 5), 2), _err("unfold", (2, 3, 0, 5), 2),
    _err("unfold", (3, 0, 5), (7, 2), padding=1), _err("unfold", (2, 3, 0, 5), (2, 2, 2)),
    _err("unfold", (2, 3, 5, 5), 2, dt="int64"), _err("unfold", (2, 3, 5, 5), 0, dt="int64"),
    _err("fold", (12,), (5, 5), 2), _err("fold", (12, 16, 1, 1), (5, 5), 2), _err("fold", (2, 13, 16), (5, 5), 2),
    _err("fold", (13, 16), (5, 5), 2), _err("fold", (2, 12, 15), (5, 5), 2), _err("fold", (12, 15), (5, 5), 2),
    _err("fold", (2, 12, 16), (5, 5), 2, stride=0), _err("fold", (2, 12, 16), (5, 5), 0),
    _err("fold", (2, 12, 16), (5, 5), 2, padding=-1), _err("fold", (2, 12, 16), (1, 1), 2),
    _err("fold", (2, 12, 16), (5, 5, 5), 2), _err("fold", (2, 12, 16), (5,), 2), _err("fold", (2, 12, 16), (5, 5), (2, 2, 2)),
    _err("fold", (2, 12, 16), (5, 5), 2, stride=0, padding=-1), _err("fold", (2, 12, 16), (5, 5), 2, dilation=0,
                                                                      padding=-1),
    _err("fold", (2, 12, 16), (5, 5), 2, stride=0, dilation=0), _err("fold", (2, 12, 16), (5, 5), 2, padding=(1, 1, 1)),
    _err("fold", (2, 12, 16), (5, 5), 2, stride=(1, 1, 1)), _err("fold", (2, 12, 16), (5, 5), 2, dilation=(1, 1, 1)),
    _err("fold", (2, 12, 0), (5, 5), 2), _err("fold", (2, 0, 16), (5, 5), 2), _err("fold", (12, 0), (5, 5), 2),
    _err("fold", (2, 12, 0), (5, 5), 0), _err("fold", (2, 12, 0), (1, 1), 2), _err("fold", (2, 12, 16), (0, 5), 2),
    _err("fold", (2, 12, 6), (5, 5), 2, stride=(2, 1), padding=(1, 0)), _err("fold", (2, 12, 16), (5, 5), 2, dt="int64"),
]


@pytest.mark.parametrize("build", ERRORS)
def test_errors(build):
    both_raise(build(nt, NF), build(torch, TF))


def test_gradcheck():
    gradcheck64(lambda x: NF.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), rand(2, 2, 5, 6))
    gradcheck64(lambda x: NF.fold(x, (5, 6), (2, 3), dilation=(2, 1), padding=(0, 1), stride=2), rand(2, 12, 6))
    gradcheck64(lambda x: NF.unfold(x, 2), rand(2, 4, 3))
    for fn, a in ((lambda x: NF.unfold(x, (2, 3), padding=1, stride=2), rand(1, 2, 5, 6, dtype=np.float64)),
                  (lambda x: NF.fold(x, (5, 6), (2, 3), padding=1, stride=2), rand(1, 12, 9, dtype=np.float64))):
        assert nt.autograd.gradgradcheck(fn, (nt.tensor(a, requires_grad=True),))


@pytest.mark.parametrize("ctor,xs", [
    (lambda nn: nn.Unfold(2), (2, 3, 5, 5)),
    (lambda nn: nn.Unfold((2, 3), dilation=2, padding=1, stride=(1, 2)), (2, 3, 5, 6)),
    (lambda nn: nn.Unfold(kernel_size=3, stride=2), (3, 7, 7)),
    (lambda nn: nn.Fold((4, 5), 2), (2, 8, 12)),
    (lambda nn: nn.Fold(4, (2, 3), 1, 0, 2), (2, 12, 2)),
    (lambda nn: nn.Fold(output_size=(5, 5), kernel_size=3, padding=1), (9, 25)),
])
def test_modules(ctor, xs):
    nm, tm = ctor(nnn), ctor(torch.nn)
    assert repr(nm) == repr(tm)
    assert type(nm).__constants__ == type(tm).__constants__
    for a in type(tm).__constants__:
        assert getattr(nm, a) == getattr(tm, a)
    assert list(nm.state_dict()) == list(tm.state_dict()) == []
    check_op(nm, tm, rand(*xs))
