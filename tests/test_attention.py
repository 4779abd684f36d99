"""F.scaled_dot_product_attention, F.multi_head_attention_forward and nn.MultiheadAttention
against torch: outputs, attention weights, gradients of inputs, masks and parameters (after
loading torch's state_dict), grad_fn names, masks of every kind, warnings and error texts,
double backward and float64 gradchecks.  Dropout > 0 is checked by its statistics only (the
random streams differ from torch's by design)."""
import warnings

import numpy as np
import pytest
from helpers import both_raise, gradcheck64, torch

import numtorch as nt

rng = np.random.default_rng(0)
Fn, Ft = nt.nn.functional, torch.nn.functional


def randn(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def close(a, b, tol=2e-5):
    if b is None:
        assert a is None
        return
    assert tuple(a.shape) == tuple(b.shape), (tuple(a.shape), tuple(b.shape))
    assert str(a.dtype) == str(b.dtype)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol, equal_nan=True)


def pair(a, rg=True):
    rg = rg and a.dtype.kind == "f"
    return nt.tensor(a.copy(), requires_grad=rg), torch.tensor(a.copy(), requires_grad=rg)


# =========================================================================== SDPA
def _sdpa(shapes, mask=None, tol=2e-5, dtype=np.float32, **kw):
    arrs = [randn(*s, dtype=dtype) for s in shapes]
    ns, ts = zip(*(pair(a) for a in arrs))
    mn = mt = None
    if mask is not None:
        mn, mt = pair(mask)
    on = Fn.scaled_dot_product_attention(*ns, attn_mask=mn, **kw)
    ot = Ft.scaled_dot_product_attention(*ts, attn_mask=mt, **kw)
    close(on, ot, tol)
    assert type(on.grad_fn).__name__ == type(ot.grad_fn).__name__
    g = randn(*ot.shape, dtype=dtype)
    on.backward(nt.tensor(g))
    ot.backward(torch.tensor(g))
    for a, b in zip(ns + ((mn,) if mask is not None else ()), ts + ((mt,) if mask is not None else ())):
        if b.requires_grad:
            close(a.grad, b.grad, tol)
    return on, ot


BOOL46 = rng.random((4, 6)) > 0.3
DEAD46 = BOOL46.copy()
DEAD46[1] = False
FDEAD = randn(3, 4, 6)
FDEAD[0, 2] = -np.inf


@pytest.mark.parametrize("shapes,mask,kw", [
    (((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)), None, {}),
    (((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5)), None, {}),            # torch's flash node name
    (((4, 5), (6, 5), (6, 7)), None, {}),                                # 2-D: MmBackward0
    (((3, 4, 5), (3, 6, 5), (3, 6, 7)), None, {}),
    (((2, 2, 3, 4, 5), (2, 2, 3, 6, 5), (2, 2, 3, 6, 7)), None, {}),     # 5-D
    (((2, 3, 4, 5), (6, 5), (1, 3, 6, 7)), None, {"scale": 0.3}),        # broadcast batch dims
    (((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)), None, {"is_causal": True}),   # L < S
    (((2, 3, 6, 5), (2, 3, 4, 5), (2, 3, 4, 7)), None, {"is_causal": True}),   # L > S (top-left)
    (((5, 4), (5, 4), (5, 4)), None, {"is_causal": True}),
    (((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)), BOOL46, {}),
    (((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)), DEAD46, {}),             # a fully masked row: zeros
    (((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)), rng.random((2, 1, 1, 6)) > 0.2, {}),
    (((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)), randn(4, 6), {}),       # float mask (with grad)
    (((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)), FDEAD, {}),              # -inf row in a float mask
    (((2, 4, 4, 5), (2, 2, 6, 5), (2, 1, 6, 7)), None, {"enable_gqa": True}),
    (((4, 4, 5), (2, 6, 5), (2, 6, 7)), None, {"enable_gqa": True, "is_causal": True}),
    (((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)), None, {"scale": 2.5}),
    (((1, 1, 3, 4), (1, 1, 3, 4), (1, 1, 3, 4)), None, {"scale": 40.0}),  # score range > 50: row-max path
])
def test_sdpa_matches_torch(shapes, mask, kw):
    _sdpa(shapes, mask, **kw)


def test_sdpa_fully_masked_rows_are_zero_not_nan():
    on, ot = _sdpa(((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)), DEAD46)
    assert not np.isnan(on.detach().numpy()).any()
    assert not on.detach().numpy()[:, :, 1].any()


def test_sdpa_float64_and_no_grad():
    _sdpa(((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)), randn(4, 6, dtype=np.float64), dtype=np.float64, tol=1e-10)
    q = randn(2, 4, 3)
    with nt.no_grad():
        o = Fn.scaled_dot_product_attention(nt.tensor(q), nt.tensor(q), nt.tensor(q))
    assert o.grad_fn is None and o.dtype == nt.float32
    close(o, Ft.scaled_dot_product_attention(torch.tensor(q), torch.tensor(q), torch.tensor(q)))


def test_sdpa_empty_keys_and_queries():
    for ks, qs in (((2, 0, 5), (2, 3, 5)), ((2, 4, 5), (2, 0, 5))):
        q, k, v = randn(*qs), randn(*ks), randn(*ks[:-1], 7)
        close(Fn.scaled_dot_product_attention(nt.tensor(q), nt.tensor(k), nt.tensor(v)),
              Ft.scaled_dot_product_attention(torch.tensor(q), torch.tensor(k), torch.tensor(v)))


def _sdpa_err(shapes, mask=None, dtypes=None, **kw):
    arrs = [randn(*s) for s in shapes]
    if dtypes:
        arrs = [a.astype(d) for a, d in zip(arrs, dtypes)]

    def run(L):
        ts = [L.tensor(a) for a in arrs]
        m = None if mask is None else L.tensor(mask)
        return lambda: L.nn.functional.scaled_dot_product_attention(*ts, attn_mask=m, **kw)
    both_raise(run(nt), run(torch))


@pytest.mark.parametrize("case", [
    dict(shapes=((5,), (5,), (5,))),
    dict(shapes=((4, 5), (6, 5), (6, 5)), dtypes=(np.float32, np.float64, np.float32)),
    dict(shapes=((5,), (5,), (5,)), dtypes=(np.float32, np.float64, np.float32)),
    dict(shapes=((4, 5), (6, 5), (6, 5)), mask=np.zeros((4, 6), np.int64)),
    dict(shapes=((4, 5), (6, 5), (6, 5)), mask=np.zeros((4, 6), np.float64)),
    dict(shapes=((4, 5), (6, 5), (6, 5)), mask=np.zeros((4, 6), np.int64), is_causal=True),
    dict(shapes=((4, 5), (6, 5), (6, 5)), mask=np.zeros((4, 6), np.float32), is_causal=True),
    dict(shapes=((2, 3, 4, 5), (2, 2, 6, 5), (2, 2, 6, 5))),
    dict(shapes=((2, 3, 4, 5), (2, 2, 6, 5), (2, 2, 6, 5)), enable_gqa=True),
    dict(shapes=((2, 3, 4, 5), (2, 3, 6, 4), (2, 3, 6, 5))),
    dict(shapes=((4, 5), (6, 4), (6, 5))),
    dict(shapes=((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 5, 7))),
    dict(shapes=((4, 5), (6, 5), (5, 7))),
    dict(shapes=((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)), mask=np.zeros((5, 6), np.float32)),
    dict(shapes=((4, 5), (4, 5), (4, 5)), mask=np.zeros((2, 4, 4), np.float32)),
])
def test_sdpa_errors(case):
    _sdpa_err(**case)


def test_sdpa_type_error():
    both_raise(lambda: Fn.scaled_dot_product_attention(1, nt.zeros(2, 2), nt.zeros(2, 2)),
               lambda: Ft.scaled_dot_product_attention(1, torch.zeros(2, 2), torch.zeros(2, 2)))


def test_sdpa_dropout_statistics():
    nt.manual_seed(0)
    S, p = 64, 0.4
    q = nt.tensor(randn(8, 64, 16), requires_grad=True)
    k = nt.tensor(randn(8, S, 16))
    v = nt.tensor(np.broadcast_to(np.eye(S, dtype=np.float32), (8, S, S)).copy(), requires_grad=True)
    out = Fn.scaled_dot_product_attention(q, k, v, dropout_p=p)   # with v = I the output is the dropped P
    ref = Fn.scaled_dot_product_attention(q, k, v).detach().numpy()
    o = out.detach().numpy()
    assert o.shape == (8, 64, S)
    assert abs((o == 0).mean() - p) < 0.02
    kept = o != 0
    np.testing.assert_allclose(o[kept], ref[kept] / (1 - p), rtol=1e-5)
    g = randn(8, 64, S)
    out.backward(nt.tensor(g))
    # the backward uses the same mask: dv = P_dropped^T g
    np.testing.assert_allclose(v.grad.numpy(), np.swapaxes(o, 1, 2) @ g, rtol=1e-4, atol=1e-5)
    assert Fn.scaled_dot_product_attention(q, k, v, dropout_p=1.0).detach().numpy().sum() == 0


def test_sdpa_double_backward_matches_torch():
    arrs = [randn(2, 2, 3, 4), randn(2, 2, 5, 4), randn(2, 2, 5, 3)]
    mask = randn(3, 5)
    res = []
    for L in (nt, torch):
        ts = [L.tensor(a.copy(), requires_grad=True) for a in arrs]
        m = L.tensor(mask.copy(), requires_grad=True)
        o = L.nn.functional.scaled_dot_product_attention(*ts, attn_mask=m)
        gs = L.autograd.grad((o * o).sum(), ts + [m], create_graph=True)
        sum(g.pow(2).sum() for g in gs).backward()
        res.append([t.grad for t in ts + [m]])
    for a, b in zip(*res):
        close(a, b, 1e-4)


@pytest.mark.parametrize("kw", [{}, {"is_causal": True}, {"mask": "bool"}, {"mask": "float"}, {"gqa": True}])
def test_sdpa_gradcheck64(kw):
    q, k, v = randn(2, 2, 3, 4), randn(2, 2, 5, 4), randn(2, 2, 5, 3)
    if kw.get("gqa"):
        k, v = k[:, :1], v[:, :1]
    if kw.get("mask") == "float":
        gradcheck64(lambda a, b, c, m: Fn.scaled_dot_product_attention(a, b, c, attn_mask=m), q, k, v, randn(3, 5))
        return
    mask = nt.tensor(rng.random((3, 5)) > 0.3) if kw.get("mask") == "bool" else None
    if mask is not None:
        mask._data[0] = False   # a fully masked row too
    gradcheck64(lambda a, b, c: Fn.scaled_dot_product_attention(a, b, c, attn_mask=mask,
                                                                 is_causal=kw.get("is_causal", False),
                                                                 enable_gqa=kw.get("gqa", False)), q, k, v)
    ts = [nt.tensor(a.astype(np.float64), requires_grad=True) for a in (q, k, v)]
    assert nt.autograd.gradgradcheck(lambda a, b, c: Fn.scaled_dot_product_attention(
        a, b, c, attn_mask=mask, is_causal=kw.get("is_causal", False), enable_gqa=kw.get("gqa", False)), ts)


def test_sdpa_saved_tensor_errors():
    q = nt.tensor(randn(2, 3, 4), requires_grad=True)
    k = nt.tensor(randn(2, 5, 4), requires_grad=True)
    qq = q * 1
    o = Fn.scaled_dot_product_attention(qq, k, k)
    o.sum().backward(retain_graph=True)
    qq.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        o.sum().backward()
    o = Fn.scaled_dot_product_attention(q, k, k)
    o.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        o.sum().backward()


# =========================================================================== MultiheadAttention
def load(nm, tm):
    r = nm.load_state_dict({k: nt.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    assert not r.missing_keys and not r.unexpected_keys


def build(ctor):
    out = []
    for L in (nt, torch):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m = ctor(L)
        out.append((m, [(x.category.__name__, str(x.message)) for x in w]))
    assert out[0][1] == out[1][1]
    return out[0][0], out[1][0]


def run_mha(ctor, inputs, masks=None, train=True, tol=2e-5, same=None, **kw):
    """Forward both modules, backprop random gradients through the output and the weights;
    compare outputs, weights, warnings and the gradients of inputs, masks and parameters."""
    nm, tm = build(ctor)
    load(nm, tm)
    nm.train(train)
    tm.train(train)
    ns, ts = zip(*(pair(a) for a in inputs))
    if same == "qkv":
        ns, ts = ns * 3, ts * 3
    elif same == "kv":
        ns, ts = (ns[0], ns[1], ns[1]), (ts[0], ts[1], ts[1])
    mn, mt = {}, {}
    for k, v in (masks or {}).items():
        mn[k], mt[k] = pair(v, rg=False)
    res = []
    for m, xs, ms in ((nm, ns, mn), (tm, ts, mt)):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = m(*xs, **ms, **kw)
        res.append((r, [str(x.message) for x in w]))
    (on, wn), warn_n = res[0]
    (ot, wt), warn_t = res[1]
    assert warn_n == warn_t
    close(on, ot, tol)
    close(wn, wt, tol)
    g = randn(*ot.shape)
    ln, lt = (on * nt.tensor(g)).sum(), (ot * torch.tensor(g)).sum()
    if wt is not None:
        gw = randn(*wt.shape)
        ln, lt = ln + (wn * nt.tensor(gw)).nansum(), lt + (wt * torch.tensor(gw)).nansum()
    ln.backward()
    lt.backward()
    for a, b in zip(ns, ts):
        close(a.grad, b.grad, tol)
    for (kn, pn), (kt, pt) in zip(nm.named_parameters(), tm.named_parameters()):
        assert kn == kt
        close(pn.grad, pt.grad, tol)
    return on, wn, ot, wt


def MHA(**kw):
    return lambda L: L.nn.MultiheadAttention(8, 2, **kw)


X3 = [randn(3, 2, 8)]
QKV = [randn(3, 2, 8), randn(5, 2, 8), randn(5, 2, 8)]
BF = [randn(2, 3, 8), randn(2, 5, 8), randn(2, 5, 8)]
UNB = [randn(3, 8), randn(5, 8), randn(5, 8)]
KPM = np.array([[0, 0, 0, 1, 1], [1, 0, 0, 0, 0]], bool)
KPM_F = np.where(KPM, -1e4, 0.0).astype(np.float32)
AM_B = rng.random((3, 5)) > 0.7
AM_F = randn(3, 5)
AM3_F = randn(4, 3, 5)
CAUSAL3 = np.triu(np.full((3, 3), -np.inf, np.float32), 1)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("name,ctor,inputs,same,masks,kw", [
    ("self", MHA(), X3, "qkv", None, {}),
    ("cross", MHA(), QKV, None, None, {}),
    ("kv-shared", MHA(), QKV[:2], "kv", None, {}),
    ("bf-self", MHA(batch_first=True), [BF[0]], "qkv", None, {}),
    ("bf-cross", MHA(batch_first=True), BF, None, None, {}),
    ("bf-kv", MHA(batch_first=True), BF[:2], "kv", None, {}),
    ("unbatched", MHA(), UNB, None, None, {}),
    ("unbatched-bf", MHA(batch_first=True), UNB, None, None, {}),
    ("kdim-vdim", MHA(kdim=3, vdim=5), [randn(3, 2, 8), randn(4, 2, 3), randn(4, 2, 5)], None, None, {}),
    ("kdim-vdim-bf", MHA(kdim=3, vdim=5, batch_first=True), [randn(2, 3, 8), randn(2, 4, 3), randn(2, 4, 5)],
     None, None, {}),
    ("kdim-unbatched", MHA(kdim=3, vdim=5), [randn(3, 8), randn(4, 3), randn(4, 5)], None, None, {}),
    ("bias_kv", MHA(add_bias_kv=True), QKV, None, None, {}),
    ("zero_attn", MHA(add_zero_attn=True), QKV, None, None, {}),
    ("bias_kv-zero-masks", MHA(add_bias_kv=True, add_zero_attn=True), QKV, None,
     {"key_padding_mask": KPM, "attn_mask": AM_B}, {}),
    ("nobias", MHA(bias=False), QKV, None, None, {}),
    ("kpm-bool", MHA(), QKV, None, {"key_padding_mask": KPM}, {}),
    ("kpm-float", MHA(), QKV, None, {"key_padding_mask": KPM_F}, {}),
    ("am-bool", MHA(), QKV, None, {"attn_mask": AM_B}, {}),
    ("am-float", MHA(), QKV, None, {"attn_mask": AM_F}, {}),
    ("am3-float", MHA(), QKV, None, {"attn_mask": AM3_F}, {}),
    ("am3-bool", MHA(), QKV, None, {"attn_mask": rng.random((4, 3, 5)) > 0.7}, {}),
    ("am+kpm", MHA(batch_first=True), BF, None, {"attn_mask": AM_F, "key_padding_mask": KPM_F}, {}),
    ("mismatched-types", MHA(), QKV, None, {"attn_mask": AM_F, "key_padding_mask": KPM}, {}),
    ("mismatched-types2", MHA(), QKV, None, {"attn_mask": AM_B, "key_padding_mask": KPM_F}, {}),
    ("unbatched-masks", MHA(), UNB, None, {"attn_mask": randn(2, 3, 5), "key_padding_mask": KPM[1]}, {}),
    ("causal", MHA(), X3, "qkv", {"attn_mask": CAUSAL3}, {"is_causal": True}),
    ("causal-kpm", MHA(), X3, "qkv", {"attn_mask": CAUSAL3, "key_padding_mask": KPM[:, :3]}, {"is_causal": True}),
    ("per-head", MHA(), QKV, None, {"key_padding_mask": KPM}, {"average_attn_weights": False}),
    ("all-masked-row", MHA(), QKV, None, {"key_padding_mask": np.array([[1] * 5, [0] * 5], bool)}, {}),
])
def test_mha_matches_torch(name, ctor, inputs, same, masks, kw, need_weights):
    run_mha(ctor, inputs, masks, same=same, need_weights=need_weights, **kw)


@pytest.mark.parametrize("train", [True, False])
def test_mha_eval_and_train_with_dropout_zero_path(train):
    # eval mode: dropout is off, so a dropout > 0 module matches torch exactly
    ctor = MHA(dropout=0.0 if train else 0.5)
    run_mha(ctor, QKV, {"key_padding_mask": KPM}, train=train)
    run_mha(ctor, [BF[0]], same="qkv", train=train, need_weights=False)


def test_mha_float64():
    nm, tm = build(lambda L: L.nn.MultiheadAttention(8, 2, dtype=L.float64))
    assert nm.in_proj_weight.dtype == nt.float64
    run_mha(lambda L: L.nn.MultiheadAttention(8, 2, dtype=L.float64, batch_first=True),
            [randn(2, 3, 8, dtype=np.float64)], same="qkv", need_weights=False, tol=1e-10)


def test_mha_dropout_statistics():
    nt.manual_seed(0)
    m = nt.nn.MultiheadAttention(16, 2, dropout=0.5)
    x = nt.tensor(randn(6, 4, 16), requires_grad=True)
    o, w = m(x, x, x)
    assert tuple(o.shape) == (6, 4, 16) and tuple(w.shape) == (4, 6, 6)
    p = m(x, x, x, average_attn_weights=False)[1].detach().numpy()
    assert 0.3 < (p == 0).mean() < 0.7                    # dropped weights
    o2, _ = m(x, x, x, need_weights=False)
    assert tuple(o2.shape) == (6, 4, 16)
    o2.sum().backward()
    assert x.grad is not None and np.isfinite(x.grad.numpy()).all()
    m.eval()
    a, b = m(x, x, x)[0], m(x, x, x)[0]
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def _public(m):
    return {k: v for k, v in vars(m).items() if not k.startswith("_")}


@pytest.mark.parametrize("kw", [{}, {"kdim": 3, "vdim": 5}, {"add_bias_kv": True, "add_zero_attn": True},
                                {"bias": False, "batch_first": True, "dropout": 0.2}, {"kdim": 8}])
def test_mha_structure(kw):
    nm, tm = build(lambda L: L.nn.MultiheadAttention(8, 2, **kw))
    assert repr(nm) == repr(tm)
    assert list(nm.state_dict()) == list(tm.state_dict())
    assert [tuple(v.shape) for v in nm.state_dict().values()] == [tuple(v.shape) for v in tm.state_dict().values()]
    assert [n for n, _ in nm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    pn, pt = _public(nm), _public(tm)
    assert pn.keys() == pt.keys()
    for k, v in pt.items():
        if not isinstance(v, torch.Tensor):
            assert pn[k] == v, k
    assert nm._qkv_same_embed_dim == tm._qkv_same_embed_dim
    assert type(nm.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert isinstance(nm.out_proj, nt.nn.Linear)


def test_mha_init():
    nt.manual_seed(0)
    m = nt.nn.MultiheadAttention(64, 4, add_bias_kv=True, kdim=32, vdim=16)
    bound = np.sqrt(6 / (64 + 32))
    w = m.k_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert not m.in_proj_bias.detach().numpy().any() and not m.out_proj.bias.detach().numpy().any()
    assert m.bias_k.detach().numpy().std() > 0
    m = nt.nn.MultiheadAttention(64, 4)
    bound = np.sqrt(6 / (64 + 192))
    assert np.abs(m.in_proj_weight.detach().numpy()).max() <= bound


@pytest.mark.parametrize("args", [(0, 2), (8, 3), (-1, 1)])
def test_mha_constructor_errors(args):
    both_raise(lambda: nt.nn.MultiheadAttention(*args), lambda: torch.nn.MultiheadAttention(*args))


def _mha_err(x, k=None, v=None, ctor=MHA(), **kw):
    k = x if k is None else k
    v = k if v is None else v
    nm, tm = build(ctor)

    def conv(L, a):
        return a if a is None else (L.tensor(a) if isinstance(a, np.ndarray) else a)

    def call(L, m):
        kwn = {n: conv(L, a) for n, a in kw.items()}
        return lambda: m(conv(L, x), conv(L, k), conv(L, v), **kwn)
    both_raise(call(nt, nm), call(torch, tm))


@pytest.mark.parametrize("case", [
    dict(x=randn(3, 2, 8), k=randn(3, 8)),
    dict(x=randn(3, 2, 8), key_padding_mask=np.zeros(3, bool)),
    dict(x=randn(3, 2, 8), attn_mask=np.zeros((1, 1, 3, 3), np.float32)),
    dict(x=randn(3, 8), k=randn(3, 2, 8)),
    dict(x=randn(3, 8), key_padding_mask=np.zeros((1, 3), bool)),
    dict(x=randn(3, 8), attn_mask=np.zeros((3, 3, 3), np.float32)),
    dict(x=randn(3, 8), attn_mask=np.zeros((1, 2, 3, 3), np.float32)),
    dict(x=randn(1, 3, 2, 8)),
    dict(x=randn(8)),
    dict(x=randn(3, 2, 8), attn_mask=np.zeros((3, 3), np.int64)),
    dict(x=randn(3, 2, 8), key_padding_mask=np.zeros((2, 3), np.int64)),
    dict(x=randn(3, 2, 8), attn_mask=np.zeros((3, 4), np.float32)),
    dict(x=randn(3, 2, 8), attn_mask=np.zeros((2, 3, 3), np.float32)),
    dict(x=randn(3, 2, 8), key_padding_mask=np.zeros((2, 4), bool)),
    dict(x=randn(3, 2, 8), key_padding_mask=np.zeros((3, 3), bool), need_weights=False),
    dict(x=randn(3, 2, 8), key_padding_mask=np.zeros((2, 4), bool), attn_mask=np.zeros((3, 4), np.float32)),
    dict(x=randn(3, 2, 6)),
    dict(x=randn(3, 2, 8), k=randn(3, 2, 8), v=randn(4, 2, 8)),
    dict(x=randn(2, 3, 8), k=randn(2, 3, 8), v=randn(2, 4, 8), ctor=MHA(batch_first=True)),
    dict(x=randn(3, 2, 8), attn_mask=np.zeros((3, 3), np.float64)),
    dict(x=randn(3, 2, 8), attn_mask=np.zeros((3, 3), np.float64), need_weights=False),
    dict(x=randn(3, 2, 8), key_padding_mask=np.zeros((2, 3), np.float64), need_weights=False),
    dict(x=randn(3, 2, 8), is_causal=True),
    dict(x=randn(3, 2, 8).astype(np.float64)),
    dict(x=randn(3, 2, 8), k=randn(4, 2, 3), v=randn(5, 2, 5), ctor=MHA(kdim=3, vdim=5)),
    dict(x=randn(3, 2, 8), k=randn(4, 2, 5), v=randn(4, 2, 5), ctor=MHA(kdim=3, vdim=5)),
    dict(x=randn(2, 3, 8), k=randn(2, 4, 3), v=randn(2, 5, 5), ctor=MHA(kdim=3, vdim=5, batch_first=True)),
    dict(x=randn(3, 2, 8), key_padding_mask=np.zeros((2, 6), bool), ctor=MHA(add_bias_kv=True)),
])
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_mha_errors(case):
    _mha_err(**case)


# =========================================================================== functional form
def _f_args(L, m, **over):
    a = dict(embed_dim_to_check=8, num_heads=2, in_proj_weight=m.in_proj_weight, in_proj_bias=m.in_proj_bias,
             bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0.0, out_proj_weight=m.out_proj.weight,
             out_proj_bias=m.out_proj.bias)
    a.update({k: (L.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in over.items()})
    return a


@pytest.mark.parametrize("over", [
    {}, {"need_weights": False}, {"training": False, "dropout_p": 0.5},
    {"static_k": randn(4, 6, 4), "static_v": randn(4, 6, 4)},
    {"static_k": randn(4, 6, 4), "static_v": randn(4, 6, 4), "need_weights": False, "add_zero_attn": True},
    {"bias_k": randn(1, 1, 8), "bias_v": randn(1, 1, 8), "key_padding_mask": np.zeros((2, 3), bool)},
    {"attn_mask": CAUSAL3, "is_causal": True, "need_weights": False},
    {"attn_mask": CAUSAL3, "is_causal": True},
    {"use_separate_proj_weight": True, "in_proj_weight": None, "q_proj_weight": randn(8, 8),
     "k_proj_weight": randn(8, 8), "v_proj_weight": randn(8, 8)},
])
def test_multi_head_attention_forward(over):
    nm, tm = build(MHA())
    load(nm, tm)
    x = randn(3, 2, 8)
    xn, xt = pair(x)
    on, wn = Fn.multi_head_attention_forward(xn, xn, xn, **_f_args(nt, nm, **over))
    ot, wt = Ft.multi_head_attention_forward(xt, xt, xt, **_f_args(torch, tm, **over))
    close(on, ot)
    close(wn, wt)
    on.sum().backward()
    ot.sum().backward()
    close(xn.grad, xt.grad)
    close(nm.in_proj_weight.grad, tm.in_proj_weight.grad)


@pytest.mark.parametrize("over", [
    {"is_causal": True}, {"bias_k": np.zeros((1, 1, 8), np.float32)}, {"bias_v": np.zeros((1, 1, 8), np.float32)},
    {"embed_dim_to_check": 6}, {"num_heads": 3}, {"in_proj_weight": None},
    {"use_separate_proj_weight": True, "in_proj_weight": None},
    {"use_separate_proj_weight": True, "q_proj_weight": np.zeros((8, 8), np.float32)},
    {"use_separate_proj_weight": True, "q_proj_weight": np.zeros((8, 8), np.float32),
     "k_proj_weight": np.zeros((8, 8), np.float32)},
    {"use_separate_proj_weight": True, "q_proj_weight": np.zeros((8, 7), np.float32),
     "k_proj_weight": np.zeros((8, 8), np.float32), "v_proj_weight": np.zeros((8, 8), np.float32)},
    {"use_separate_proj_weight": True, "q_proj_weight": np.zeros((8, 8), np.float32),
     "k_proj_weight": np.zeros((8, 8), np.float32), "v_proj_weight": np.zeros((8, 7), np.float32)},
    {"use_separate_proj_weight": True, "q_proj_weight": np.zeros((8, 8), np.float32),
     "k_proj_weight": np.zeros((8, 8), np.float32), "v_proj_weight": np.zeros((8, 8), np.float32),
     "in_proj_bias": np.zeros(27, np.float32)},
    {"static_k": np.zeros((3, 3, 4), np.float32)}, {"static_k": np.zeros((4, 3, 3), np.float32)},
    {"static_v": np.zeros((3, 3, 4), np.float32)}, {"static_v": np.zeros((4, 3, 3), np.float32)},
    {"static_k": np.zeros((4, 5, 4), np.float32), "bias_k": np.zeros((1, 1, 8), np.float32),
     "bias_v": np.zeros((1, 1, 8), np.float32)},
    {"static_v": np.zeros((4, 5, 4), np.float32), "bias_k": np.zeros((1, 1, 8), np.float32),
     "bias_v": np.zeros((1, 1, 8), np.float32)},
])
def test_multi_head_attention_forward_errors(over):
    nm, tm = build(MHA())
    load(nm, tm)
    x = randn(3, 2, 8)
    both_raise(lambda: Fn.multi_head_attention_forward(nt.tensor(x), nt.tensor(x), nt.tensor(x),
                                                       **_f_args(nt, nm, **over)),
               lambda: Ft.multi_head_attention_forward(torch.tensor(x), torch.tensor(x), torch.tensor(x),
                                                       **_f_args(torch, tm, **over)))


def test_private_mask_helpers():
    m = np.array([[True, False], [False, False]])
    for L in (nt, torch):
        F = L.nn.functional
        assert F._none_or_dtype(None) is None
        assert str(F._none_or_dtype(L.tensor(m))) == "torch.bool"
    cn = Fn._canonical_mask(nt.tensor(m), "m", None, "", nt.float64)
    ct = Ft._canonical_mask(torch.tensor(m), "m", None, "", torch.float64)
    close(cn, ct)
    both_raise(lambda: Fn._none_or_dtype(3), lambda: Ft._none_or_dtype(3))
    both_raise(lambda: Fn._check_key_padding_mask(nt.zeros(2, 3), 4, 2),
               lambda: Ft._check_key_padding_mask(torch.zeros(2, 3), 4, 2))
    x = randn(3, 2, 8)
    assert Fn._mha_shape_check(nt.tensor(x), nt.tensor(x), nt.tensor(x), None, None, 2) is True


# =========================================================================== gradchecks
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_gradcheck64(need_weights):
    nt.manual_seed(0)
    m = nt.nn.MultiheadAttention(4, 2, dtype=nt.float64, batch_first=True)
    with nt.no_grad():
        m.in_proj_bias.copy_(nt.tensor(randn(12, dtype=np.float64)))
    kpm = nt.tensor(np.array([[0, 0, 1], [0, 0, 0]], bool))

    def f(q, k):
        o, w = m(q, k, k, key_padding_mask=kpm, need_weights=need_weights)
        return o if w is None else (o, w)
    gradcheck64(f, randn(2, 2, 4), randn(2, 3, 4))
    ts = [nt.tensor(randn(2, 2, 4, dtype=np.float64), requires_grad=True),
          nt.tensor(randn(2, 3, 4, dtype=np.float64), requires_grad=True)]
    assert nt.autograd.gradgradcheck(lambda q, k: m(q, k, k, key_padding_mask=kpm, need_weights=False)[0], ts)


def test_mha_gradcheck64_parameters():
    m = nt.nn.MultiheadAttention(4, 2, dtype=nt.float64)
    x = nt.tensor(randn(3, 2, 4, dtype=np.float64))

    def f(w, b):
        return Fn.multi_head_attention_forward(x, x, x, 4, 2, w, b, None, None, False, 0.0, m.out_proj.weight,
                                               m.out_proj.bias, need_weights=False, is_causal=True,
                                               attn_mask=nt.zeros(3, 3, dtype=nt.float64))[0]
    gradcheck64(f, randn(12, 4), randn(12))
