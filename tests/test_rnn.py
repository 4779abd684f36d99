"""nn.RNN / nn.LSTM / nn.GRU and the cells against torch: outputs, final states and the
gradients of inputs, initial states and every parameter (after loading torch's weights) for
every combination of batch_first / bidirectional / num_layers / bias / initial state /
unbatched input; structure (state_dict, reprs, flat weights), initialisation, dropout, errors
and warnings, float64 gradcheck."""
import warnings

import numpy as np
import pytest
from helpers import both_raise, gradcheck64, torch

import numtorch as nt

pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")

rng = np.random.default_rng(0)
IN, HID, PROJ, T, B = 5, 6, 3, 4, 3


@pytest.fixture(autouse=True)
def _seed():
    nt.manual_seed(0)   # (torch's generator is not needed: its weights are copied over)


def randn(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def build(ctor):
    """The same constructor in both libraries; warnings must be identical."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        nm = ctor(nt)
    wn = [(x.category.__name__, str(x.message)) for x in w]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        tm = ctor(torch)
    wt = [(x.category.__name__, str(x.message)) for x in w if "oneDNN" not in str(x.message)]
    assert wn == wt
    return nm, tm


def load(nm, tm):
    res = nm.load_state_dict({k: nt.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    assert not res.missing_keys and not res.unexpected_keys


def _tuple(h):
    return list(h) if isinstance(h, tuple) else [h]


def close(a, b, rtol, atol):
    assert tuple(a.shape) == tuple(b.shape), f"shape {tuple(a.shape)} != torch {tuple(b.shape)}"
    assert str(a.dtype) == str(b.dtype)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol)


def run_both(nm, tm, x, hx=None, rtol=1e-4, atol=1e-5, grad=True):
    """Forward both modules on ``x`` (array) and the optional initial state(s) ``hx`` (array or
    tuple of arrays); compare outputs and final states, then backpropagate the same random
    upstream gradients into output and states and compare every gradient."""
    xn, xt = nt.tensor(x, requires_grad=grad), torch.tensor(x, requires_grad=grad)
    hn_in = ht_in = None
    if hx is not None:
        hs = hx if isinstance(hx, tuple) else (hx,)
        hn_l = [nt.tensor(h, requires_grad=grad) for h in hs]
        ht_l = [torch.tensor(h, requires_grad=grad) for h in hs]
        hn_in, ht_in = (tuple(hn_l), tuple(ht_l)) if isinstance(hx, tuple) else (hn_l[0], ht_l[0])
    on, sn = nm(xn, hn_in)
    ot, st = tm(xt, ht_in)
    sn, st = _tuple(sn), _tuple(st)
    assert len(sn) == len(st)
    close(on, ot, rtol, atol)
    for a, b in zip(sn, st):
        close(a, b, rtol, atol)
    if not grad:
        return on, ot
    gs = [rng.standard_normal(tuple(t.shape)).astype(x.dtype) for t in [ot] + st]
    nt.autograd.backward([on] + sn, [nt.tensor(g) for g in gs])
    torch.autograd.backward([ot] + st, [torch.tensor(g) for g in gs])
    close(xn.grad, xt.grad, rtol, atol)
    if hx is not None:
        for a, b in zip(_tuple(hn_in), _tuple(ht_in)):
            close(a.grad, b.grad, rtol, atol)
    pn, pt = dict(nm.named_parameters()), dict(tm.named_parameters())
    assert list(pn) == list(pt)
    for k in pt:
        assert pn[k].grad is not None, k
        close(pn[k].grad, pt[k].grad, rtol, atol)
    return on, ot


MODES = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("LSTM", {"proj_size": PROJ}), ("GRU", {})]
MODE_IDS = ["rnn_tanh", "rnn_relu", "lstm", "lstm_proj", "gru"]


def _input(batch_first, unbatched, dtype=np.float32, t=T, b=B):
    if unbatched:
        return randn(t, IN, dtype=dtype)
    return randn(b, t, IN, dtype=dtype) if batch_first else randn(t, b, IN, dtype=dtype)


def _hidden(cls, kw, layers, bidir, unbatched, dtype=np.float32, b=B):
    d = 2 if bidir else 1
    lead = (layers * d,) if unbatched else (layers * d, b)
    h = randn(*lead, kw.get("proj_size") or HID, dtype=dtype)
    if cls == "LSTM":
        return (h, randn(*lead, HID, dtype=dtype))
    return h


@pytest.mark.parametrize("unbatched", [False, True], ids=["batched", "unbatched"])
@pytest.mark.parametrize("with_hx", [False, True], ids=["zero_state", "h0"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("bidir", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["tbf", "btf"])
@pytest.mark.parametrize("cls,kw", MODES, ids=MODE_IDS)
def test_recurrent_layer_matches_torch(cls, kw, batch_first, bidir, layers, bias, with_hx, unbatched):
    nm, tm = build(lambda T_: getattr(T_.nn, cls)(IN, HID, num_layers=layers, bias=bias, batch_first=batch_first,
                                                  bidirectional=bidir, **kw))
    load(nm, tm)
    x = _input(batch_first, unbatched)
    hx = _hidden(cls, kw, layers, bidir, unbatched) if with_hx else None
    run_both(nm, tm, x, hx)


@pytest.mark.parametrize("unbatched", [False, True], ids=["batched", "unbatched"])
@pytest.mark.parametrize("with_hx", [False, True], ids=["zero_state", "h0"])
@pytest.mark.parametrize("bidir,batch_first,bias", [(False, False, True), (True, True, False), (True, False, True)],
                         ids=["uni", "bi-btf-nobias", "bi"])
@pytest.mark.parametrize("cls,kw", MODES, ids=MODE_IDS)
def test_three_layers_match_torch(cls, kw, bidir, batch_first, bias, with_hx, unbatched):
    nm, tm = build(lambda T_: getattr(T_.nn, cls)(IN, HID, num_layers=3, bias=bias, batch_first=batch_first,
                                                  bidirectional=bidir, **kw))
    load(nm, tm)
    x = _input(batch_first, unbatched)
    run_both(nm, tm, x, _hidden(cls, kw, 3, bidir, unbatched) if with_hx else None)


@pytest.mark.parametrize("cls,kw", MODES, ids=MODE_IDS)
def test_float64_and_dtype_conversions(cls, kw):
    nm, tm = build(lambda T_: getattr(T_.nn, cls)(IN, HID, num_layers=2, bidirectional=True, **kw))
    load(nm, tm)
    nm.double()
    tm.double()
    x = _input(False, False, np.float64)
    on, ot = run_both(nm, tm, x, _hidden(cls, kw, 2, True, False, np.float64), rtol=1e-9, atol=1e-11)
    assert str(on.dtype) == "torch.float64"
    nm.float()
    on, _ = nm(nt.tensor(_input(False, False)))
    assert str(on.dtype) == "torch.float32"


def test_dtype_constructor_and_empty_batch():
    nm, tm = build(lambda T_: T_.nn.GRU(IN, HID, dtype=T_.float64))
    assert str(nm.weight_ih_l0.dtype) == "torch.float64"
    for cls in ("RNN", "LSTM", "GRU"):
        nm, tm = build(lambda T_: getattr(T_.nn, cls)(IN, HID, num_layers=2, bidirectional=True))
        load(nm, tm)
        run_both(nm, tm, randn(T, 0, IN), grad=False)


def test_long_sequence_and_wide_batch():
    nm, tm = build(lambda T_: T_.nn.LSTM(IN, 16, num_layers=2))
    load(nm, tm)
    run_both(nm, tm, randn(30, 7, IN))


# --------------------------------------------------------------------------- structure
STRUCT = [lambda T_: T_.nn.RNN(3, 4), lambda T_: T_.nn.RNN(3, 4, 2, "relu", False, True, 0.5, True),
          lambda T_: T_.nn.RNN(input_size=3, hidden_size=4, nonlinearity="relu"),
          lambda T_: T_.nn.LSTM(3, 4, proj_size=2, num_layers=2, bias=False, batch_first=True, dropout=0.3,
                                bidirectional=True),
          lambda T_: T_.nn.LSTM(3, 4, 3, True, False, 1, True, 1), lambda T_: T_.nn.GRU(3, 4, num_layers=2),
          lambda T_: T_.nn.GRU(3, 4, bidirectional=True, bias=False), lambda T_: T_.nn.RNNBase("LSTM", 3, 4),
          lambda T_: T_.nn.RNNBase("RNN_TANH", 3, 4, 2), lambda T_: T_.nn.LSTM(3, 4, dropout=0.0, num_layers=True),
          lambda T_: T_.nn.RNNCell(3, 4), lambda T_: T_.nn.RNNCell(3, 4, bias=False, nonlinearity="relu"),
          lambda T_: T_.nn.RNNCell(3, 4, bias=0), lambda T_: T_.nn.LSTMCell(3, 4, bias=False),
          lambda T_: T_.nn.GRUCell(3, 4, dtype=T_.float64)]


@pytest.mark.parametrize("ctor", STRUCT)
def test_structure_matches_torch(ctor):
    nm, tm = build(ctor)
    assert repr(nm) == repr(tm)
    assert nm.extra_repr() == tm.extra_repr()
    sn, st = nm.state_dict(), tm.state_dict()
    assert list(sn) == list(st)
    assert [tuple(v.shape) for v in sn.values()] == [tuple(v.shape) for v in st.values()]
    assert [str(v.dtype) for v in sn.values()] == [str(v.dtype) for v in st.values()]
    assert [n for n, _ in nm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    public_n = {k: v for k, v in vars(nm).items() if not k.startswith("_")}
    public_t = {k: v for k, v in vars(tm).items() if not k.startswith("_")}
    assert public_n.keys() == public_t.keys()
    for k, v in public_t.items():
        assert public_n[k] == v and type(public_n[k]) is type(v), k
    if hasattr(tm, "_flat_weights_names"):
        assert nm._flat_weights_names == tm._flat_weights_names
        assert nm._all_weights == tm._all_weights
        assert [[tuple(w.shape) for w in ws] for ws in nm.all_weights] == \
            [[tuple(w.shape) for w in ws] for ws in tm.all_weights]
        assert [w is getattr(nm, n) for w, n in zip(nm._flat_weights, nm._flat_weights_names)] == \
            [True] * len(nm._flat_weights_names)
        assert nm.flatten_parameters() is None


def test_flat_weights_follow_reassignment_and_conversion():
    m = nt.nn.LSTM(3, 4)
    p = nt.nn.Parameter(nt.randn(16, 3))
    m.weight_ih_l0 = p
    assert m._flat_weights[0] is p and m.all_weights[0][0] is p
    m.double()
    assert str(m._flat_weights[0].dtype) == "torch.float64"
    out, (h, c) = m(nt.randn(2, 1, 3, dtype=nt.float64))
    assert str(out.dtype) == str(h.dtype) == str(c.dtype) == "torch.float64"


@pytest.mark.parametrize("ctor", [lambda T_: T_.nn.LSTM(7, 16, num_layers=2, bidirectional=True, proj_size=5),
                                  lambda T_: T_.nn.GRU(7, 16), lambda T_: T_.nn.RNN(7, 16),
                                  lambda T_: T_.nn.GRUCell(7, 16), lambda T_: T_.nn.LSTMCell(7, 16)])
def test_default_init_is_uniform_in_bound(ctor):
    m = ctor(nt)
    vals = np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])
    bound = 1 / np.sqrt(16)
    assert np.abs(vals).max() <= bound
    assert abs(vals.std() - bound / np.sqrt(3)) < 0.1 * bound
    assert abs(vals.mean()) < 4 * bound / np.sqrt(3 * vals.size)


# --------------------------------------------------------------------------- train / eval / dropout
@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_eval_mode_with_dropout_matches_torch(cls):
    nm, tm = build(lambda T_: getattr(T_.nn, cls)(IN, HID, num_layers=3, dropout=0.4, bidirectional=True))
    load(nm, tm)
    nm.eval()
    tm.eval()
    run_both(nm, tm, randn(T, B, IN))


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_train_mode_dropout_one_matches_torch(cls):
    # p = 1 zeroes every input of the upper layers in both libraries: the results are equal
    nm, tm = build(lambda T_: getattr(T_.nn, cls)(IN, HID, num_layers=2, dropout=1.0))
    load(nm, tm)
    run_both(nm, tm, randn(T, B, IN))


def test_train_mode_dropout_zero_pattern():
    """Two identity ReLU layers make the output ``dropout(x)``: zeros at rate p, the rest
    ``x / (1 - p)``, gradients masked alike; eval mode and reseeding behave as torch."""
    n, p = 8, 0.5
    m = nt.nn.RNN(n, n, num_layers=2, nonlinearity="relu", dropout=p)
    with nt.no_grad():
        for name, w in m.named_parameters():
            w.zero_()
            if name.startswith("weight_ih"):
                w.copy_(nt.eye(n))
    x = np.abs(randn(60, 20, n)) + 0.1
    xn = nt.tensor(x, requires_grad=True)
    out, h = m(xn)
    y = out.detach().numpy()
    zero = y == 0
    assert 0.45 < zero.mean() < 0.55
    np.testing.assert_allclose(y[~zero], x[~zero] / (1 - p), rtol=1e-6)
    out.sum().backward()
    g = xn.grad.numpy()
    assert np.array_equal(g == 0, zero)
    np.testing.assert_allclose(g[~zero], 1 / (1 - p), rtol=1e-6)
    nt.manual_seed(3)
    a = m(nt.tensor(x))[0].detach().numpy()
    nt.manual_seed(3)
    assert np.array_equal(a, m(nt.tensor(x))[0].detach().numpy())
    m.eval()
    np.testing.assert_allclose(m(nt.tensor(x))[0].detach().numpy(), x, rtol=1e-6)


# --------------------------------------------------------------------------- errors and warnings
CTOR_ERRORS = [
    lambda T_: T_.nn.LSTM(3, 4, dropout=1.5), lambda T_: T_.nn.LSTM(3, 4, dropout=True),
    lambda T_: T_.nn.LSTM(3, 4, dropout="0.5", num_layers=2), lambda T_: T_.nn.LSTM(3, 4, dropout="a"),
    lambda T_: T_.nn.LSTM(3, 4, dropout=None), lambda T_: T_.nn.LSTM(3, 4.0), lambda T_: T_.nn.LSTM(3.0, 4, bias=0),
    lambda T_: T_.nn.LSTM(3, 0), lambda T_: T_.nn.LSTM(0, 4.0), lambda T_: T_.nn.LSTM(3.0, 0),
    lambda T_: T_.nn.LSTM(3, 4, num_layers=0), lambda T_: T_.nn.LSTM(3, 4, num_layers=-1, proj_size=-1),
    lambda T_: T_.nn.LSTM(3, 4, proj_size=-1), lambda T_: T_.nn.LSTM(3, 4, proj_size=4),
    lambda T_: T_.nn.LSTM(3, 4, proj_size=None), lambda T_: T_.nn.LSTM(3, 4, batch_first=None),
    lambda T_: T_.nn.GRU(3, 4, batch_first=1), lambda T_: T_.nn.GRU(3, 4, proj_size=2),
    lambda T_: T_.nn.RNN(3, 4, proj_size=2), lambda T_: T_.nn.RNN(3, 4, nonlinearity="sigmoid"),
    lambda T_: T_.nn.RNN(3, 4, 2, True), lambda T_: T_.nn.RNNBase("FOO", 3, 4), lambda T_: T_.nn.RNN(3),
    lambda T_: T_.nn.LSTM(3, 4, hidden_size=4), lambda T_: T_.nn.GRU(3, 4, foo=1),
    lambda T_: T_.nn.LSTM(3, 4, num_layers=2.5), lambda T_: T_.nn.LSTM(3, 0, dropout=0.5),
    lambda T_: T_.nn.LSTM(3, 4, dropout=0.5, bias=0),
]


@pytest.mark.parametrize("ctor", CTOR_ERRORS)
def test_constructor_errors_match_torch(ctor):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        both_raise(lambda: ctor(nt), lambda: ctor(torch))


@pytest.mark.parametrize("ctor", [lambda T_: T_.nn.LSTM(3, 4, dropout=0.5), lambda T_: T_.nn.GRU(3, 4, dropout=1),
                                  lambda T_: T_.nn.RNN(3, 4, 1, "tanh", True, False, 0.25)])
def test_dropout_warning_matches_torch(ctor):
    nm, tm = build(ctor)   # build() asserts identical warnings
    assert repr(nm) == repr(tm)


def _call(cls, kw, x, hx=None):
    def f(T_):
        m = getattr(T_.nn, cls)(3, 4, **kw)
        xs = T_.tensor(x) if isinstance(x, np.ndarray) else x(T_)
        if hx is None:
            return m(xs)
        return m(xs, hx(T_))
    return f


def _h(*shape, dt=np.float32):
    a = randn(*shape, dtype=dt)
    return lambda T_: T_.tensor(a)


def _hc(s0, s1, dt0=np.float32):
    a, b = randn(*s0, dtype=dt0), randn(*s1)
    return lambda T_: (T_.tensor(a), T_.tensor(b))


FWD_ERRORS = []
for _cls in ("RNN", "GRU", "LSTM"):
    FWD_ERRORS += [
        _call(_cls, {}, randn(5, 2, 4)), _call(_cls, {}, randn(5)), _call(_cls, {}, randn(5, 2, 3, 1)),
        _call(_cls, {}, randn(5, 2, 3).astype(np.float64)), _call(_cls, {}, np.zeros((5, 2, 3), np.int64)),
        _call(_cls, {}, randn(0, 2, 3)), _call(_cls, {"batch_first": True}, randn(2, 0, 3)),
    ]
for _cls in ("RNN", "GRU"):
    FWD_ERRORS += [   # (torch's LSTM skips these checks for packed input and fails later with other texts)
        _call(_cls, {}, lambda T_: T_.nn.utils.rnn.PackedSequence(T_.randn(5, 2, 3), T_.tensor([3, 2]))),
        _call(_cls, {}, lambda T_: T_.nn.utils.rnn.PackedSequence(T_.randn(5, 4), T_.tensor([3, 2]))),
        _call(_cls, {}, randn(5, 2, 3), _h(1, 3, 4)), _call(_cls, {}, randn(5, 2, 3), _h(1, 2, 5)),
        _call(_cls, {}, randn(5, 2, 3), _h(2, 4)), _call(_cls, {}, randn(5, 3), _h(1, 2, 4)),
        _call(_cls, {}, randn(5, 3), _h(2, 4)), _call(_cls, {}, randn(5, 2, 3), _h(1, 2, 4, dt=np.float64)),
        _call(_cls, {"num_layers": 2, "bidirectional": True}, randn(5, 2, 3), _h(2, 2, 4)),
        _call(_cls, {"batch_first": True}, randn(2, 5, 3), _h(1, 5, 4)),
    ]
FWD_ERRORS += [
    _call("LSTM", {}, randn(5, 2, 3), _hc((1, 3, 4), (1, 2, 4))), _call("LSTM", {}, randn(5, 2, 3), _hc((1, 2, 4),
                                                                                                    (1, 3, 4))),
    _call("LSTM", {}, randn(5, 2, 3), _hc((2, 4), (1, 2, 4))), _call("LSTM", {}, randn(5, 3), _hc((1, 2, 4),
                                                                                                (1, 2, 4))),
    _call("LSTM", {}, randn(5, 3), _hc((1, 4), (1, 2, 4))), _call("LSTM", {}, randn(5, 2, 3), _h(1, 2, 4)),
    _call("LSTM", {"proj_size": 2, "num_layers": 2}, randn(2, 5, 3), _hc((2, 5, 4), (2, 5, 4))),
    _call("LSTM", {"proj_size": 2, "num_layers": 2}, randn(2, 5, 3), _hc((2, 5, 2), (2, 5, 2))),
    _call("LSTM", {}, randn(5, 2, 3), _hc((1, 2, 4), (1, 2, 4), np.float64)),
    _call("LSTM", {"proj_size": 2}, randn(5, 2, 3), _hc((1, 2, 2), (1, 2, 4), np.float64)),
    _call("GRU", {"proj_size": 0}, randn(5, 2, 3)), _call("RNN", {"nonlinearity": "relu"}, randn(5, 2, 3),
                                                          _h(1, 2, 4, 1)),
]


@pytest.mark.parametrize("fn", FWD_ERRORS)
def test_forward_errors_match_torch(fn):
    both_raise(lambda: fn(nt), lambda: fn(torch))


def test_gru_with_positional_proj_size_fails_as_torch():
    both_raise(lambda: nt.nn.GRU(3, 4, 1, True, False, 0.0, False, 2)(nt.randn(5, 2, 3)),
               lambda: torch.nn.GRU(3, 4, 1, True, False, 0.0, False, 2)(torch.randn(5, 2, 3)))


def test_double_backward_is_not_supported():
    m = nt.nn.LSTM(2, 3)
    x = nt.randn(3, 1, 2, requires_grad=True)
    out, _ = m(x)
    with pytest.raises(NotImplementedError, match="double backward"):
        nt.autograd.grad(out.sum(), x, create_graph=True)


@pytest.mark.parametrize("cls", ["LSTM", "GRU", "RNN"])
def test_inplace_weight_change_before_backward_raises(cls):
    for lib in (nt, torch):
        m = getattr(lib.nn, cls)(3, 4)
        out = m(lib.randn(5, 2, 3, requires_grad=True))[0]
        with lib.no_grad():
            m.weight_hh_l0.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()


def test_backward_twice_needs_retain_graph():
    m = nt.nn.GRU(3, 4, bidirectional=True)
    x = nt.randn(5, 2, 3, requires_grad=True)
    out, h = m(x)
    (out.sum() + h.sum()).backward(retain_graph=True)
    g1 = x.grad.numpy().copy()
    (out.sum() + h.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * g1, rtol=1e-6)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.sum().backward()


def test_grad_of_selected_outputs_only():
    nm, tm = build(lambda T_: T_.nn.LSTM(IN, HID, num_layers=2, bidirectional=True))
    load(nm, tm)
    x = randn(T, B, IN)
    xn, xt = nt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    _, (hn, _) = nm(xn)
    _, (ht, _) = tm(xt)
    (gn,) = nt.autograd.grad(hn.sum(), xn)
    (gt,) = torch.autograd.grad(ht.sum(), xt)
    close(gn, gt, 1e-4, 1e-5)
    _, (_, cn) = nm(xn)
    _, (_, ct) = tm(xt)
    close(nt.autograd.grad(cn.sum(), xn)[0], torch.autograd.grad(ct.sum(), xt)[0], 1e-4, 1e-5)


# --------------------------------------------------------------------------- cells
CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}), ("GRUCell", {})]
CELL_IDS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]


@pytest.mark.parametrize("with_hx", [False, True], ids=["zero_state", "hx"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("cls,kw", CELLS, ids=CELL_IDS)
def test_cell_matches_torch(cls, kw, bias, batched, with_hx):
    nm, tm = build(lambda T_: getattr(T_.nn, cls)(IN, HID, bias=bias, **kw))
    load(nm, tm)
    x = randn(B, IN) if batched else randn(IN)
    lead = (B,) if batched else ()
    hx = None
    if with_hx:
        hx = (randn(*lead, HID), randn(*lead, HID)) if cls == "LSTMCell" else randn(*lead, HID)
    xn, xt = nt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    hn_in = ht_in = None
    if hx is not None:
        hs = hx if isinstance(hx, tuple) else (hx,)
        hn_l = [nt.tensor(h, requires_grad=True) for h in hs]
        ht_l = [torch.tensor(h, requires_grad=True) for h in hs]
        hn_in, ht_in = (tuple(hn_l), tuple(ht_l)) if isinstance(hx, tuple) else (hn_l[0], ht_l[0])
    on, ot = _tuple(nm(xn, hn_in)), _tuple(tm(xt, ht_in))
    for a, b in zip(on, ot):
        close(a, b, 1e-5, 1e-6)
    gs = [randn(*t.shape) for t in ot]
    nt.autograd.backward(on, [nt.tensor(g) for g in gs])
    torch.autograd.backward(ot, [torch.tensor(g) for g in gs])
    close(xn.grad, xt.grad, 1e-5, 1e-6)
    if hx is not None:
        for a, b in zip(_tuple(hn_in), _tuple(ht_in)):
            close(a.grad, b.grad, 1e-5, 1e-6)
    for (k, a), (_, b) in zip(nm.named_parameters(), tm.named_parameters()):
        close(a.grad, b.grad, 1e-5, 1e-6)


def _cell_call(cls, x, hx=None, **kw):
    def f(T_):
        m = getattr(T_.nn, cls)(3, 4, **kw)
        return m(T_.tensor(x)) if hx is None else m(T_.tensor(x), hx(T_))
    return f


CELL_ERRORS = [
    _cell_call("RNNCell", randn(2, 4)), _cell_call("RNNCell", randn(2, 2, 3)), _cell_call("GRUCell", randn(2, 2, 3)),
    _cell_call("LSTMCell", randn(2, 2, 3)), _cell_call("RNNCell", randn(2, 3), _h(3, 4)),
    _cell_call("RNNCell", randn(2, 3), _h(2, 5)), _cell_call("RNNCell", randn(2, 3), _h(2, 2, 4)),
    _cell_call("RNNCell", randn(3), _h(2, 4)), _cell_call("RNNCell", randn(2, 3), _h(4)),
    _cell_call("RNNCell", randn(2, 2), _h(3, 5)), _cell_call("RNNCell", randn(2, 3).astype(np.float64)),
    _cell_call("RNNCell", randn(2, 3), nonlinearity="sigmoid"), _cell_call("GRUCell", randn(2, 3), _h(3, 4)),
    _cell_call("GRUCell", randn(2, 3), _h(2, 5)), _cell_call("GRUCell", randn(2, 3), _h(2, 2, 4)),
    _cell_call("GRUCell", randn(3), _h(2, 4)), _cell_call("GRUCell", randn(2, 3).astype(np.float64)),
    _cell_call("LSTMCell", randn(2, 3), _hc((3, 4), (2, 4))), _cell_call("LSTMCell", randn(2, 3), _hc((2, 5), (2, 4))),
    _cell_call("LSTMCell", randn(2, 3), _hc((2, 4), (2, 5))), _cell_call("LSTMCell", randn(2, 3), _hc((2, 4), (3, 4))),
    _cell_call("LSTMCell", randn(2, 3), _hc((2, 2, 4), (2, 4))), _cell_call("LSTMCell", randn(2, 3),
                                                                            _hc((2, 4), (2, 2, 4))),
    _cell_call("LSTMCell", randn(3), _hc((2, 4), (2, 4))), _cell_call("LSTMCell", randn(2, 3), _hc((4,), (4,))),
    _cell_call("LSTMCell", randn(2, 3), _h(2, 4)), _cell_call("LSTMCell", randn(2, 3).astype(np.float64)),
]


@pytest.mark.parametrize("fn", CELL_ERRORS)
def test_cell_errors_match_torch(fn):
    both_raise(lambda: fn(nt), lambda: fn(torch))


def test_cell_unbatched_and_empty_batch_shapes():
    for cls in ("RNNCell", "LSTMCell", "GRUCell"):
        for x in (randn(3), randn(0, 3)):
            a, b = _tuple(getattr(nt.nn, cls)(3, 4)(nt.tensor(x))), _tuple(getattr(torch.nn, cls)(3, 4)(torch.tensor(x)))
            assert [tuple(t.shape) for t in a] == [tuple(t.shape) for t in b]


# --------------------------------------------------------------------------- gradcheck (float64)
def _with_params(m, names, ws):
    """Make the test's tensors ``ws`` the module's parameters (so gradcheck perturbs them)."""
    for n, w in zip(names, ws):
        m._parameters[n] = w


@pytest.mark.parametrize("cls,kw", CELLS, ids=CELL_IDS)
def test_cell_gradcheck(cls, kw):
    m = getattr(nt.nn, cls)(2, 3, **kw).double()
    names = [n for n, _ in m.named_parameters()]
    arrays = [p.detach().numpy().copy() for p in m.parameters()]
    lstm = cls == "LSTMCell"

    def fn(x, h, c, *ws):
        _with_params(m, names, ws)
        return m(x, (h, c) if lstm else h)
    gradcheck64(fn, randn(2, 2, dtype=np.float64), randn(2, 3, dtype=np.float64), randn(2, 3, dtype=np.float64),
                *arrays)


def test_cell_gradgradcheck():
    m = nt.nn.LSTMCell(2, 3).double()
    x = nt.tensor(randn(2, 2, dtype=np.float64), requires_grad=True)
    h = nt.tensor(randn(2, 3, dtype=np.float64), requires_grad=True)
    c = nt.tensor(randn(2, 3, dtype=np.float64), requires_grad=True)
    assert nt.autograd.gradgradcheck(lambda a, b, d: m(a, (b, d)), (x, h, c))


@pytest.mark.parametrize("cls,kw", MODES, ids=MODE_IDS)
def test_module_gradcheck_bidirectional(cls, kw):
    m = getattr(nt.nn, cls)(2, 4, bidirectional=True, **kw).double()
    names = [n for n, _ in m.named_parameters()]
    arrays = [p.detach().numpy().copy() for p in m.parameters()]
    hout = kw.get("proj_size") or 4
    lstm = cls == "LSTM"

    def fn(x, h, c, *ws):
        _with_params(m, names, ws)
        out, hn = m(x, (h, c) if lstm else h)
        return (out,) + tuple(_tuple(hn))
    gradcheck64(fn, randn(3, 2, 2, dtype=np.float64), randn(2, 2, hout, dtype=np.float64),
                randn(2, 2, 4, dtype=np.float64), *arrays)


# --------------------------------------------------------------------------- large layers (overlapped GEMMs)
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("cls,kw,b", [("LSTM", {}, 8), ("LSTM", {"proj_size": 32}, 8), ("GRU", {}, 12),
                                      ("RNN", {"nonlinearity": "relu"}, 32)], ids=["lstm", "lstm_proj", "gru", "rnn"])
def test_large_layer_matches_torch(cls, kw, b, threads):
    """Sizes where the input projection and the weight gradients run on numtorch's helper thread
    alongside the time loop (and, with one thread, in chunks on this one)."""
    prev = nt.get_num_threads()
    nt.set_num_threads(threads)
    try:
        nm, tm = build(lambda T_: getattr(T_.nn, cls)(IN, 128, num_layers=2, **kw))
        load(nm, tm)
        x = randn(16, b, IN)
        hx = _hidden(cls, {"proj_size": kw.get("proj_size") or 128}, 2, False, False, b=b)
        if cls == "LSTM":
            hx = (hx[0], randn(2, b, 128))
        run_both(nm, tm, x, hx, rtol=2e-4, atol=2e-5)
    finally:
        nt.set_num_threads(prev)


def test_pickle_and_deepcopy_keep_flat_weights():
    import copy
    import pickle
    m = nt.nn.LSTM(3, 4, num_layers=2)
    x = nt.randn(5, 2, 3)
    for m2 in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m)):
        assert m2._flat_weights[0] is m2.weight_ih_l0
        assert m2._flat_weight_refs[0]() is m2.weight_ih_l0
        np.testing.assert_array_equal(m2(x)[0].detach().numpy(), m(x)[0].detach().numpy())
