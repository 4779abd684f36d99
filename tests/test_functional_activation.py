"""numtorch.nn.functional activations against torch.nn.functional: values, dtypes, input and
weight gradients, node names, in-place behaviour, errors, float64 gradcheck."""
import warnings

import numpy as np
import pytest
from helpers import both_raise, assert_close, check_op, gradcheck64, pair, torch

import numtorch as nt
import numtorch.nn.functional as NF

F = torch.nn.functional
rng = np.random.default_rng(0)


def rand(*shape, dtype=np.float32, scale=2.0):
    return (rng.standard_normal(shape) * scale).astype(dtype)




# (name, kwargs): every elementwise activation with non-default arguments too
UNARY = [
    ("relu", {}), ("relu6", {}), ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}),
    ("leaky_relu", {"negative_slope": -0.5}), ("leaky_relu", {"negative_slope": 2.5}),
    ("elu", {}), ("elu", {"alpha": 0.5}), ("celu", {}), ("celu", {"alpha": 2.0}), ("selu", {}),
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("mish", {}), ("sigmoid", {}), ("tanh", {}),
    ("hardtanh", {}), ("hardtanh", {"min_val": -0.5, "max_val": 2.0}), ("hardsigmoid", {}), ("hardswish", {}),
    ("logsigmoid", {}), ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 1.0}), ("softsign", {}),
    ("softshrink", {}), ("softshrink", {"lambd": 1.5}), ("hardshrink", {}), ("hardshrink", {"lambd": 1.2}),
    ("tanhshrink", {}), ("threshold", {"threshold": 0.3, "value": -2.0}), ("rrelu", {}),
    ("rrelu", {"lower": 0.1, "upper": 0.5}),
]
IDS = [f"{n}-{'-'.join(f'{k}{v}' for k, v in kw.items())}" for n, kw in UNARY]
INPLACE_OK = {"relu", "relu6", "leaky_relu", "elu", "celu", "selu", "silu", "mish", "hardtanh", "hardsigmoid",
              "hardswish", "threshold", "rrelu"}


def _special_points():
    pts = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 25.0, -25.0])
    return pts


@pytest.mark.parametrize("name,kw", UNARY, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_matches_torch(name, kw, dtype):
    a = np.concatenate([rand(4, 6, dtype=dtype).ravel(), _special_points().astype(dtype)]).reshape(2, 17)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    out_n, out_t = check_op(lambda x: getattr(NF, name)(x, **kw), lambda x: getattr(F, name)(x, **kw), a, **tol)
    assert out_n.grad_fn.name() == out_t.grad_fn.name()


@pytest.mark.parametrize("name,kw", UNARY, ids=IDS)
def test_unary_large_blocked_and_threaded(name, kw):
    # > _BLK and > PAR_MIN elements: the blocked, threaded path; odd sizes leave a ragged last block
    a = rand(3, 100_003)
    check_op(lambda x: getattr(NF, name)(x, **kw), lambda x: getattr(F, name)(x, **kw), a, rtol=2e-5, atol=1e-5)


@pytest.mark.parametrize("name,kw", UNARY, ids=IDS)
def test_unary_float16_and_special_values(name, kw):
    a = rand(3, 5, dtype=np.float16)
    (x, t) = pair(a)
    assert_close(getattr(NF, name)(x, **kw), getattr(F, name)(t, **kw), rtol=2e-3, atol=2e-3)
    s = np.array([np.nan, -0.0, 0.0, 1e-30, -1e-30, 80.0, -80.0, 1000.0, -1000.0], np.float32)
    (x, t) = pair(s)
    assert_close(getattr(NF, name)(x, **kw), getattr(F, name)(t, **kw))


@pytest.mark.parametrize("name,kw", UNARY, ids=IDS)
def test_unary_zero_dim_and_empty(name, kw):
    for a in (np.float32(-0.7), np.zeros((0, 3), np.float32)):
        check_op(lambda x: getattr(NF, name)(x, **kw), lambda x: getattr(F, name)(x, **kw), a)


@pytest.mark.parametrize("name,kw", UNARY, ids=IDS)
def test_unary_gradcheck(name, kw):
    a = rand(2, 5, dtype=np.float64)
    a[np.abs(a) < 0.05] += 0.2                               # keep away from kinks
    for k in ("threshold", "lambd"):                         # and from the thresholds
        if k in kw:
            a[np.abs(np.abs(a) - kw[k]) < 0.05] += 0.2
    gradcheck64(lambda x: getattr(NF, name)(x, **kw), a)


@pytest.mark.parametrize("name", ["elu", "celu", "selu", "gelu", "silu", "mish", "softplus", "logsigmoid",
                                  "hardswish", "softsign", "tanhshrink"])
def test_double_backward(name):
    a = rand(2, 3, dtype=np.float64) + 0.1
    x = nt.tensor(a, requires_grad=True)
    assert nt.autograd.gradgradcheck(lambda x: getattr(NF, name)(x), (x,), atol=1e-4)
    res = []
    for lib, mod in ((nt, NF), (torch, F)):
        p = lib.tensor(a.copy(), requires_grad=True)
        (g,) = lib.autograd.grad((getattr(mod, name)(p) * lib.tensor(a * 0.5)).sum(), p, create_graph=True)
        (g * g).sum().backward()
        res.append(p.grad)
    assert_close(res[0], res[1], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name,kw", [("gelu", {"approximate": "tanh"}), ("leaky_relu", {}), ("hardtanh", {}),
                                     ("hardsigmoid", {}), ("softshrink", {}), ("threshold", {"threshold": 0.0,
                                                                                            "value": 1.0})])
def test_gradgradcheck_piecewise(name, kw):
    x = nt.tensor(rand(2, 3, dtype=np.float64) + 0.05, requires_grad=True)
    assert nt.autograd.gradgradcheck(lambda x: getattr(NF, name)(x, **kw), (x,))


def test_gelu_exact_float64_accuracy():
    # numtorch's own erfc: float64 gelu within a few ulps of torch across both tails
    a = np.concatenate([np.linspace(-12, 12, 2001), np.geomspace(1e-12, 1, 50), -np.geomspace(1e-12, 1, 50)])
    check_op(NF.gelu, F.gelu, a, rtol=1e-13, atol=1e-15)
    # float32: torch's ``1 + erf`` loses the negative tail (gelu(-5) = -1.19e-6, exact -1.43e-6);
    # numtorch evaluates erfc there, so the two differ by up to torch's own error
    (x, t) = pair(np.linspace(-5, 5, 1001).astype(np.float32))
    assert_close(NF.gelu(x), F.gelu(t), rtol=2e-6, atol=1e-6)
    assert abs(NF.gelu(nt.tensor([-5.0])).item() - (-1.4332e-06)) < 1e-9


@pytest.mark.parametrize("name,kw", [(n, kw) for n, kw in UNARY if n in INPLACE_OK], ids=[
    i for i, (n, _) in zip(IDS, UNARY) if n in INPLACE_OK])
def test_inplace(name, kw):
    a = rand(3, 4)
    kw = dict(kw)
    # no grad: writes into the input and returns it, bumping the version
    (x, t) = pair(a)
    v = x._version
    r = getattr(NF, name)(x, inplace=True, **kw)
    rt = getattr(F, name)(t, inplace=True, **kw)
    assert r is x and x._version == v + 1
    if name != "rrelu":
        assert_close(x, t)
    # leaf requiring grad: torch's error
    (x, t) = pair(a, True)
    both_raise(lambda: getattr(NF, name)(x, inplace=True, **kw), lambda: getattr(F, name)(t, inplace=True, **kw))
    # non-leaf: gradient flows through the in-place node (same node name as torch)
    (x, t) = pair(a, True)
    yn, yt = x * 1.5, t * 1.5
    rn = getattr(NF, name)(yn, inplace=True, **kw)
    rt = getattr(F, name)(yt, inplace=True, **kw)
    assert rn is yn and rn.grad_fn.name() == rt.grad_fn.name()
    if name == "rrelu" or kw.get("negative_slope", 0) < 0:   # negative slope: see the backward-error test
        return
    assert_close(rn, rt)
    g = rand(3, 4)
    rn.backward(nt.tensor(g))
    rt.backward(torch.tensor(g))
    assert_close(x.grad, t.grad)
    del rt


@pytest.mark.parametrize("fn", ["relu_", "leaky_relu_", "elu_", "celu_", "selu_", "hardtanh_", "rrelu_"])
def test_underscore_forms(fn):
    a = rand(3, 4)
    (x, t) = pair(a)
    assert getattr(NF, fn)(x) is x
    getattr(F, fn)(t)
    if fn != "rrelu_":
        assert_close(x, t)
    (x, t) = pair(a, True)
    both_raise(lambda: getattr(NF, fn)(x), lambda: getattr(F, fn)(t))
    (x, t) = pair(a)
    assert NF.threshold_(x, 0.1, 7.0) is x
    assert_close(x, F.threshold_(t, 0.1, 7.0))


def _modify_saved_result(p, mod, name):
    y = p * 2
    getattr(mod, name)(y, inplace=True)
    y.add_(1)                      # the in-place node saved its result: backward must refuse
    y.sum().backward()


@pytest.mark.parametrize("name", ["relu", "elu", "leaky_relu", "celu", "selu"])
def test_inplace_saved_result_modified_again_raises(name):
    (x, t) = pair(rand(3, 4), True)
    both_raise(lambda: _modify_saved_result(x, NF, name), lambda: _modify_saved_result(t, F, name))


def test_inplace_negative_slope_backward_errors():
    for name, kw in (("leaky_relu", {"negative_slope": -0.1}), ("elu", {"alpha": -0.5})):
        (x, t) = pair(rand(3, 4), True)
        yn = getattr(NF, name)(x * 1, inplace=True, **kw)
        yt = getattr(F, name)(t * 1, inplace=True, **kw)
        both_raise(lambda: yn.sum().backward(), lambda: yt.sum().backward())


def test_inplace_on_view():
    a = rand(4, 5)
    (x, t) = pair(a, True)
    outs = []
    for p, mod in ((x, NF), (t, F)):
        y = p * 1
        mod.gelu(y)
        mod.silu(y[1:3], inplace=True)
        mod.relu(y[:, 0], inplace=True)
        (y * y).sum().backward()
        outs.append(y)
    assert_close(outs[0], outs[1])
    assert_close(x.grad, t.grad)


def test_no_grad_and_overlapping_inplace():
    (x, t) = pair(rand(3, 4), True)
    with nt.no_grad():
        r = NF.elu(x)
        assert r.grad_fn is None and not r.requires_grad
        assert NF.relu_(x) is x            # in-place on a leaf is allowed under no_grad
    (e, te) = pair(rand(1, 4))
    both_raise(lambda: NF.relu_(e.expand(3, 4)), lambda: F.relu_(te.expand(3, 4)))
    both_raise(lambda: NF.elu(e.expand(3, 4), inplace=True), lambda: F.elu(te.expand(3, 4), inplace=True))


@pytest.mark.parametrize("name", ["leaky_relu", "elu", "celu", "selu", "gelu", "silu", "mish", "hardsigmoid",
                                  "hardswish", "logsigmoid", "softplus", "softshrink", "hardshrink", "rrelu"])
def test_integer_inputs_refused(name):
    (x, t) = pair(np.array([[-2, 0, 3]]))
    both_raise(lambda: getattr(NF, name)(x), lambda: getattr(F, name)(t))


@pytest.mark.parametrize("name,args", [("relu", ()), ("relu6", ()), ("hardtanh", ()), ("hardtanh", (-2.0, 2.0)),
                                       ("threshold", (1, 5)), ("softsign", ()), ("tanhshrink", ()),
                                       ("sigmoid", ()), ("tanh", ())])
def test_integer_inputs_allowed(name, args):
    (x, t) = pair(np.array([[-2, 0, 3, 7]]))
    assert_close(getattr(NF, name)(x, *args), getattr(F, name)(t, *args))


def test_errors():
    a = rand(2, 4)
    (x, t) = pair(a)
    (b, tb) = pair(np.array([[True, False]]))
    both_raise(lambda: NF.relu(b), lambda: F.relu(tb))
    both_raise(lambda: NF.relu6(b), lambda: F.relu6(tb))
    both_raise(lambda: NF.hardtanh(x, 1.0, -1.0), lambda: F.hardtanh(t, 1.0, -1.0))
    both_raise(lambda: NF.gelu(x, approximate="foo"), lambda: F.gelu(t, approximate="foo"))
    both_raise(lambda: NF.softshrink(x, -1.0), lambda: F.softshrink(t, -1.0))
    both_raise(lambda: NF.softshrink(x.double(), -0.5), lambda: F.softshrink(t.double(), -0.5))
    both_raise(lambda: NF.celu(x, alpha=0.0), lambda: F.celu(t, alpha=0.0))
    both_raise(lambda: NF.rrelu(x, 0.5, 0.1), lambda: F.rrelu(t, 0.5, 0.1))
    both_raise(lambda: NF.rrelu(x, 0.5, 0.1, training=True), lambda: F.rrelu(t, 0.5, 0.1, training=True))
    assert_close(NF.hardshrink(x, -1.0), F.hardshrink(t, -1.0))


def test_rrelu_training_random_slopes():
    nt.manual_seed(3)
    a = -np.abs(rand(200, 50)) - 0.01
    x = nt.tensor(a, requires_grad=True)
    y = NF.rrelu(x, 0.1, 0.3, training=True)
    slopes = (y / x).detach().numpy()
    assert slopes.min() >= 0.1 - 1e-6 and slopes.max() <= 0.3 + 1e-6
    assert abs(slopes.mean() - 0.2) < 0.01 and slopes.std() > 0.05
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-6)
    nt.manual_seed(3)
    np.testing.assert_array_equal(NF.rrelu(nt.tensor(a), 0.1, 0.3, training=True).numpy(), y.detach().numpy())
    pos = nt.tensor(np.abs(a))
    assert_close(NF.rrelu(pos, training=True), F.rrelu(torch.tensor(np.abs(a)), training=True))
    assert NF.rrelu(x, training=True).grad_fn.name() == "RreluWithNoiseBackward0"


@pytest.mark.parametrize("xshape,wshape", [((2, 4), (4,)), ((2, 4), (1,)), ((3, 4, 5), (4,)), ((2, 3, 4, 5), (3,)),
                                           ((2, 3, 4, 5), ()), ((5,), (1,)), ((), (1,)), ((2, 4, 3), ())])
def test_prelu(xshape, wshape):
    check_op(NF.prelu, F.prelu, rand(*xshape), rand(*wshape) * 0.3)
    out_n, out_t = check_op(NF.prelu, F.prelu, rand(*xshape, dtype=np.float64), rand(*wshape, dtype=np.float64))
    assert out_n.grad_fn.name() == out_t.grad_fn.name()
    gradcheck64(NF.prelu, rand(*xshape, dtype=np.float64) + 0.05, rand(*wshape, dtype=np.float64))


def test_prelu_errors():
    (x, t) = pair(rand(2, 4))
    for w in (rand(3), rand(1, 4), rand(2, 4), rand(4).astype(np.float64)):
        (wn, wt) = pair(w)
        both_raise(lambda: NF.prelu(x, wn), lambda: F.prelu(t, wt))
    for xs, ws in (((4,), (4,)), ((), (2,))):
        (xn, xt), (wn, wt) = pair(rand(*xs)), pair(rand(*ws))
        both_raise(lambda: NF.prelu(xn, wn), lambda: F.prelu(xt, wt))
    (xi, ti) = pair(np.array([[1, -2]]))
    (wn, wt) = pair(rand(1))
    both_raise(lambda: NF.prelu(xi, wn), lambda: F.prelu(ti, wt))


@pytest.mark.parametrize("shape,dim", [((4, 6), -1), ((4, 6), 0), ((2, 4, 3), 1), ((6,), 0)])
def test_glu(shape, dim):
    out_n, out_t = check_op(lambda x: NF.glu(x, dim), lambda x: F.glu(x, dim), rand(*shape))
    assert out_n.grad_fn.name() == out_t.grad_fn.name()
    gradcheck64(lambda x: NF.glu(x, dim), rand(*shape, dtype=np.float64))
    assert nt.autograd.gradgradcheck(lambda x: NF.glu(x, dim), (nt.tensor(rand(*shape, dtype=np.float64),
                                                                          requires_grad=True),))


def test_glu_errors():
    for a, dim in ((rand(2, 3), -1), (np.float32(1.0), 0), (rand(2, 4), 3), (np.array([[1, 2, 3, 4]]), -1)):
        (x, t) = pair(a)
        both_raise(lambda: NF.glu(x, dim), lambda: F.glu(t, dim))


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_softmax_family(name):
    a = rand(3, 4, 5)
    for dim in (0, 1, -1):
        out_n, out_t = check_op(lambda x: getattr(NF, name)(x, dim), lambda x: getattr(F, name)(x, dim), a)
        assert out_n.grad_fn.name() == out_t.grad_fn.name()
    check_op(lambda x: getattr(NF, name)(x, 1, dtype=nt.float64),
             lambda x: getattr(F, name)(x, 1, dtype=torch.float64), a)
    for shape in ((5,), (2, 3), (2, 3, 4), (2, 3, 4, 5)):
        b = rand(*shape)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            check_op(getattr(NF, name), getattr(F, name), b)
        assert len(w) == 2 and all(f"Implicit dimension choice for {name}" in str(m.message) for m in w)
        assert w[0].filename == w[1].filename == __file__ or w[0].filename.endswith("helpers.py")
    gradcheck64(lambda x: getattr(NF, name)(x, 1), rand(2, 3, dtype=np.float64))


def test_gumbel_softmax():
    nt.manual_seed(0)
    logits = nt.tensor(np.log(np.array([[0.7, 0.2, 0.1]] * 4000, np.float32)), requires_grad=True)
    y = NF.gumbel_softmax(logits, tau=0.5)
    assert y.shape == (4000, 3) and np.allclose(y.sum(1).detach().numpy(), 1, atol=1e-5)
    h = NF.gumbel_softmax(logits, hard=True)
    hv = h.detach().numpy()
    assert set(np.unique(hv)) <= {0.0, 1.0} and np.all(hv.sum(1) == 1)
    np.testing.assert_allclose(hv.mean(0), [0.7, 0.2, 0.1], atol=0.03)   # Gumbel-max samples the categorical
    (h * nt.tensor(rand(4000, 3))).sum().backward()
    assert logits.grad is not None and np.abs(logits.grad.numpy()).sum() > 0


@pytest.mark.parametrize("p,dim", [(2.0, 1), (1.0, 0), (3.0, -1), (float("inf"), 1)])
def test_normalize(p, dim):
    a = rand(3, 4)
    a[0] = 0.0
    check_op(lambda x: NF.normalize(x, p, dim), lambda x: F.normalize(x, p, dim), a, rtol=1e-5, atol=1e-6)
    b = rand(3, 4, dtype=np.float64) + 0.1
    gradcheck64(lambda x: NF.normalize(x, p, dim), b)
    (x, t) = pair(a)
    on, ot = nt.empty(3, 4), torch.empty(3, 4)
    NF.normalize(x, p, dim, out=on)
    F.normalize(t, p, dim, out=ot)
    assert_close(on, ot)
    (xi, ti) = pair(np.array([[1, 2]]))
    both_raise(lambda: NF.normalize(xi), lambda: F.normalize(ti))


def test_signatures_match_torch():
    import inspect
    for name in NF.activation.__all__:
        f = getattr(F, name)
        try:
            sig_t = inspect.signature(f)
        except (TypeError, ValueError):
            continue
        sig_n = inspect.signature(getattr(NF, name))
        assert list(sig_n.parameters) == list(sig_t.parameters), name
        for k, p in sig_t.parameters.items():
            assert sig_n.parameters[k].default == p.default, (name, k)
