"""nn.Transformer, TransformerEncoder/Decoder and their layers against torch: structure
(reprs, state_dict keys, submodule names, attributes), construction warnings, outputs and the
gradients of inputs and every parameter after loading torch's state_dict, for each flag and
mask combination, in train mode with dropout=0 and in eval mode; dropout > 0 by statistics;
errors; the causal-mask helpers; and a few Adam training steps that track torch's losses."""
import copy
import warnings

import numpy as np
import pytest
from helpers import both_raise, gradcheck64, torch

import numtorch as nt

rng = np.random.default_rng(1)
TR = nt.nn.modules.transformer


def randn(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def close(a, b, tol=3e-5):
    assert tuple(a.shape) == tuple(b.shape), (tuple(a.shape), tuple(b.shape))
    assert str(a.dtype) == str(b.dtype)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol, equal_nan=True)


def build(ctor):
    out = []
    for L in (nt, torch):
        torch.manual_seed(0)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m = ctor(L)
        out.append((m, [(x.category.__name__, str(x.message)) for x in w]))
    assert out[0][1] == out[1][1]
    return out[0][0], out[1][0]


def load(nm, tm):
    r = nm.load_state_dict({k: nt.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    assert not r.missing_keys and not r.unexpected_keys


def run(ctor, inputs, masks=None, train=True, tol=3e-5, **kw):
    nm, tm = build(ctor)
    load(nm, tm)
    nm.train(train)
    tm.train(train)
    ns = [nt.tensor(a.copy(), requires_grad=True) for a in inputs]
    ts = [torch.tensor(a.copy(), requires_grad=True) for a in inputs]
    mn = {k: None if v is None else nt.tensor(v.copy()) for k, v in (masks or {}).items()}
    mt = {k: None if v is None else torch.tensor(v.copy()) for k, v in (masks or {}).items()}
    res = []
    for m, xs, ms in ((nm, ns, mn), (tm, ts, mt)):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            o = m(*xs, **ms, **kw)
        res.append((o, [str(x.message) for x in w if "nested tensors" not in str(x.message)]))
    (on, wn), (ot, wt) = res
    assert wn == wt
    close(on, ot, tol)
    g = randn(*ot.shape)
    on.backward(nt.tensor(g))
    ot.backward(torch.tensor(g))
    for a, b in zip(ns, ts):
        close(a.grad, b.grad, tol)
    for (kn, pn), (kt, pt) in zip(nm.named_parameters(), tm.named_parameters()):
        assert kn == kt
        if pt.grad is None:
            assert pn.grad is None
        else:
            close(pn.grad, pt.grad, tol)
    return nm, tm, on, ot


def ENC_L(**kw):
    kw.setdefault("dropout", 0.0)
    return lambda L: L.nn.TransformerEncoderLayer(8, 2, 16, **kw)


def DEC_L(**kw):
    kw.setdefault("dropout", 0.0)
    return lambda L: L.nn.TransformerDecoderLayer(8, 2, 16, **kw)


def causal(n):
    return np.triu(np.full((n, n), -np.inf, np.float32), 1)


S, T = 5, 4
KPM = np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0]], bool)
KPM_F = np.where(KPM, -np.inf, 0.0).astype(np.float32)
SRC, SRC_BF, SRC_U = randn(S, 2, 8), randn(2, S, 8), randn(S, 8)
TGT, TGT_BF = randn(T, 2, 8), randn(2, T, 8)


# --------------------------------------------------------------------------- encoder layer
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("name,ctor,inputs,masks,kw", [
    ("plain", ENC_L(), [SRC], None, {}),
    ("bf", ENC_L(batch_first=True), [SRC_BF], None, {}),
    ("unbatched", ENC_L(), [SRC_U], None, {}),
    ("norm_first-gelu", ENC_L(norm_first=True, activation="gelu"), [SRC], None, {}),
    ("callable-act-nobias", lambda L: L.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=L.tanh,
                                                                   bias=False), [SRC], None, {}),
    ("module-act-eps", lambda L: L.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=L.nn.GELU(),
                                                              layer_norm_eps=1e-3), [SRC], None, {}),
    ("masks-float", ENC_L(), [SRC], {"src_mask": causal(S), "src_key_padding_mask": KPM_F}, {}),
    ("masks-bool", ENC_L(batch_first=True), [SRC_BF],
     {"src_mask": causal(S) != 0, "src_key_padding_mask": KPM}, {}),
    ("masks-mixed", ENC_L(), [SRC], {"src_mask": causal(S), "src_key_padding_mask": KPM}, {}),
    ("mask3d", ENC_L(), [SRC], {"src_mask": randn(4, S, S)}, {}),
    ("causal", ENC_L(batch_first=True), [SRC_BF], {"src_mask": causal(S)}, {"is_causal": True}),
    ("causal-kpm", ENC_L(), [SRC], {"src_mask": causal(S), "src_key_padding_mask": KPM}, {"is_causal": True}),
    ("unbatched-masks", ENC_L(norm_first=True), [SRC_U], {"src_mask": causal(S), "src_key_padding_mask": KPM[0]},
     {}),
])
def test_encoder_layer(name, ctor, inputs, masks, kw, train):
    run(ctor, inputs, masks, train=train, **kw)


def test_encoder_layer_eval_with_dropout():
    run(lambda L: L.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.3), [SRC], {"src_key_padding_mask": KPM},
        train=False)


# --------------------------------------------------------------------------- decoder layer
DEC_MASKS = {"tgt_mask": causal(T), "memory_mask": randn(T, S), "tgt_key_padding_mask": KPM[:, :T],
             "memory_key_padding_mask": KPM}


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("name,ctor,inputs,masks,kw", [
    ("plain", DEC_L(), [TGT, SRC], None, {}),
    ("bf-norm_first-gelu", DEC_L(batch_first=True, norm_first=True, activation="gelu"), [TGT_BF, SRC_BF], None, {}),
    ("unbatched-nobias", DEC_L(bias=False), [TGT[:, 0], SRC_U], None, {}),
    ("all-masks", DEC_L(), [TGT, SRC], DEC_MASKS, {}),
    ("all-masks-bool-bf", DEC_L(batch_first=True), [TGT_BF, SRC_BF],
     {"tgt_mask": causal(T) != 0, "memory_mask": rng.random((T, S)) > 0.7, "tgt_key_padding_mask": KPM[:, :T],
      "memory_key_padding_mask": KPM}, {}),
    ("causal", DEC_L(), [TGT, SRC], {"tgt_mask": causal(T)}, {"tgt_is_causal": True}),
    ("memory-causal", DEC_L(), [TGT, randn(T, 2, 8)], {"tgt_mask": causal(T), "memory_mask": causal(T)},
     {"tgt_is_causal": True, "memory_is_causal": True}),
])
def test_decoder_layer(name, ctor, inputs, masks, kw, train):
    run(ctor, inputs, masks, train=train, **kw)


# --------------------------------------------------------------------------- stacks
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("name,ctor,inputs,masks,kw", [
    ("enc", lambda L: L.nn.TransformerEncoder(ENC_L()(L), 2), [SRC], None, {}),
    ("enc-bf-norm", lambda L: L.nn.TransformerEncoder(ENC_L(batch_first=True)(L), 2, norm=L.nn.LayerNorm(8)),
     [SRC_BF], {"mask": causal(S), "src_key_padding_mask": KPM}, {}),
    ("enc-detect-causal", lambda L: L.nn.TransformerEncoder(ENC_L()(L), 2), [SRC], {"mask": causal(S)}, {}),
    ("enc-causal-given", lambda L: L.nn.TransformerEncoder(ENC_L()(L), 2, enable_nested_tensor=False), [SRC],
     {"mask": causal(S)}, {"is_causal": True}),
    ("enc-not-causal", lambda L: L.nn.TransformerEncoder(ENC_L()(L), 1), [SRC], {"mask": randn(S, S)},
     {"is_causal": False}),
    ("enc-unbatched", lambda L: L.nn.TransformerEncoder(ENC_L(batch_first=True)(L), 2), [SRC_U],
     {"mask": causal(S)}, {}),
    ("dec", lambda L: L.nn.TransformerDecoder(DEC_L()(L), 2, norm=L.nn.LayerNorm(8)), [TGT, SRC], DEC_MASKS, {}),
    ("dec-detect-bool", lambda L: L.nn.TransformerDecoder(DEC_L(batch_first=True)(L), 2), [TGT_BF, SRC_BF],
     {"tgt_mask": causal(T) != 0}, {}),
])
def test_stacks(name, ctor, inputs, masks, kw, train):
    run(ctor, inputs, masks, train=train, **kw)


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("kw", [
    dict(batch_first=False), dict(batch_first=True, norm_first=True, activation="gelu"), dict(bias=False),
])
def test_transformer(kw, train):
    def ctor(L):
        return L.nn.Transformer(8, 2, 2, 1, 16, dropout=0.0, **kw)
    src, tgt = (SRC_BF, TGT_BF) if kw.get("batch_first") else (SRC, TGT)
    masks = {"src_mask": randn(S, S), "tgt_mask": causal(T), "memory_mask": randn(T, S),
             "src_key_padding_mask": KPM, "tgt_key_padding_mask": KPM[:, :T], "memory_key_padding_mask": KPM}
    run(ctor, [src, tgt], masks, train=train)
    run(ctor, [src, tgt], {"tgt_mask": causal(T)}, train=train, tgt_is_causal=True, src_is_causal=False)


def test_transformer_unbatched_and_custom():
    run(lambda L: L.nn.Transformer(8, 2, 1, 1, 16, dropout=0.0), [SRC_U, TGT[:, 0]], {"tgt_mask": causal(T)})

    def ctor(L):
        enc = L.nn.TransformerEncoder(L.nn.TransformerEncoderLayer(8, 2, 12, dropout=0.0), 1)
        dec = L.nn.TransformerDecoder(L.nn.TransformerDecoderLayer(8, 2, 12, dropout=0.0), 1)
        return L.nn.Transformer(8, 2, custom_encoder=enc, custom_decoder=dec, dropout=0.0)
    nm, tm, _, _ = run(ctor, [SRC, TGT])
    assert list(nm.state_dict()) == list(tm.state_dict())
    assert nm.encoder.layers[0].linear1.out_features == 12


def test_nested_tensor_inference_zeroes_padding():
    def ctor(L):
        return L.nn.TransformerEncoder(L.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2,
                                       norm=L.nn.LayerNorm(8))
    nm, tm = build(ctor)
    load(nm, tm)
    nm.eval()
    tm.eval()
    for kpm in (KPM, KPM_F):
        with nt.no_grad():
            on = nm(nt.tensor(SRC_BF), src_key_padding_mask=nt.tensor(kpm))
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ot = tm(torch.tensor(SRC_BF), src_key_padding_mask=torch.tensor(kpm))
        close(on, ot)
    # not left-aligned: torch keeps the regular path (mask_check)
    bad = np.array([[1, 0, 0, 0, 0], [0, 0, 0, 0, 0]], bool)
    with nt.no_grad():
        on = nm(nt.tensor(SRC_BF), src_key_padding_mask=nt.tensor(bad))
    with torch.no_grad():
        ot = tm(torch.tensor(SRC_BF), src_key_padding_mask=torch.tensor(bad))
    close(on, ot)


# --------------------------------------------------------------------------- structure and init
def _public(m):
    return {k: v for k, v in vars(m).items() if not k.startswith("_")}


@pytest.mark.parametrize("ctor", [
    lambda L: L.nn.TransformerEncoderLayer(8, 2, 16),
    lambda L: L.nn.TransformerEncoderLayer(8, 2, 16, activation="gelu", norm_first=True, bias=False),
    lambda L: L.nn.TransformerEncoderLayer(8, 2, 16, activation=L.nn.GELU()),
    lambda L: L.nn.TransformerDecoderLayer(8, 2, 16, batch_first=True),
    lambda L: L.nn.TransformerEncoder(L.nn.TransformerEncoderLayer(8, 2, 16), 2, norm=L.nn.LayerNorm(8)),
    lambda L: L.nn.TransformerDecoder(L.nn.TransformerDecoderLayer(8, 2, 16), 3),
    lambda L: L.nn.Transformer(8, 2, 2, 1, 16),
    lambda L: L.nn.Transformer(8, 2, 1, 1, 16, batch_first=True, norm_first=True, bias=False, dtype=L.float64),
])
def test_structure(ctor):
    nm, tm = build(ctor)
    assert repr(nm) == repr(tm)
    sn, st = nm.state_dict(), tm.state_dict()
    assert list(sn) == list(st)
    assert [tuple(v.shape) for v in sn.values()] == [tuple(v.shape) for v in st.values()]
    assert [str(v.dtype) for v in sn.values()] == [str(v.dtype) for v in st.values()]
    assert [n for n, _ in nm.named_modules()] == [n for n, _ in tm.named_modules()]
    assert [type(m).__name__ for m in nm.modules()] == [type(m).__name__ for m in tm.modules()]
    for (_, a), (_, b) in zip(nm.named_modules(), tm.named_modules()):
        pa, pb = _public(a), _public(b)
        assert pa.keys() == pb.keys()
        for k, v in pb.items():
            if isinstance(v, (int, float, str, bool, type(None))):
                assert pa[k] == v, k


@pytest.mark.parametrize("ctor", [
    lambda L: L.nn.TransformerEncoder(L.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2),
    lambda L: L.nn.TransformerEncoder(L.nn.TransformerEncoderLayer(8, 2, 16), 2),
    lambda L: L.nn.TransformerEncoder(L.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, norm_first=True), 2),
    lambda L: L.nn.TransformerEncoder(L.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, bias=False), 2),
    lambda L: L.nn.TransformerEncoder(L.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True,
                                                                   activation=L.tanh), 2),
    lambda L: L.nn.TransformerEncoder(L.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True,
                                                                   activation=L.nn.GELU()), 2),
    lambda L: L.nn.TransformerEncoder(L.nn.TransformerEncoderLayer(9, 3, 16, batch_first=True), 2),
    lambda L: L.nn.TransformerEncoder(L.nn.TransformerEncoderLayer(9, 3, 16), 2, enable_nested_tensor=False),
    lambda L: L.nn.TransformerEncoder(L.nn.Linear(2, 2), 2),
    lambda L: L.nn.Transformer(8, 2, 1, 1, 16),
    lambda L: L.nn.Transformer(8, 2, 1, 1, 16, batch_first=True),
])
def test_encoder_init_warnings_and_flags(ctor):
    nm, tm = build(ctor)   # compares the warnings
    enc = nm.encoder if isinstance(nm, nt.nn.Transformer) else nm
    tenc = tm.encoder if isinstance(tm, torch.nn.Transformer) else tm
    assert (enc.use_nested_tensor, enc.enable_nested_tensor, enc.mask_check) == \
           (tenc.use_nested_tensor, tenc.enable_nested_tensor, tenc.mask_check)


def test_eps_warning():
    def ctor(L):
        layer = L.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
        layer.norm2.eps = 1e-3
        return L.nn.TransformerEncoder(layer, 2)
    build(ctor)   # asserts both libraries warn identically; torch does warn here:
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ctor(nt)
    assert any("norm1.eps was not equal to" in str(x.message) for x in w)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_clones_are_independent_and_transformer_init():
    layer = nt.nn.TransformerEncoderLayer(8, 2, 16)
    enc = nt.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    assert enc.layers[0] is not layer and enc.layers[0] is not enc.layers[1]
    np.testing.assert_array_equal(enc.layers[0].linear1.weight.detach().numpy(), layer.linear1.weight.detach().numpy())
    with nt.no_grad():
        enc.layers[0].linear1.weight.fill_(1.0)
    assert not (enc.layers[1].linear1.weight.detach().numpy() == 1).all()
    nt.manual_seed(0)
    t = nt.nn.Transformer(16, 2, 1, 1, 32)
    w = t.encoder.layers[0].linear1.weight.detach().numpy()
    bound = np.sqrt(6 / (16 + 32))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert not t.encoder.layers[0].self_attn.in_proj_bias.detach().numpy().any()
    np.testing.assert_array_equal(t.encoder.norm.weight.detach().numpy(), np.ones(16, np.float32))


def test_activation_errors_and_attributes():
    both_raise(lambda: nt.nn.TransformerEncoderLayer(8, 2, activation="tanh"),
               lambda: torch.nn.TransformerEncoderLayer(8, 2, activation="tanh"))
    both_raise(lambda: nt.nn.TransformerDecoderLayer(8, 2, activation="swish"),
               lambda: torch.nn.TransformerDecoderLayer(8, 2, activation="swish"))
    for act, code in (("relu", 1), ("gelu", 2), (nt.nn.functional.relu, 1), (nt.nn.ReLU(), 1), (nt.tanh, 0)):
        assert nt.nn.TransformerEncoderLayer(8, 2, activation=act).activation_relu_or_gelu == code
    assert nt.nn.TransformerEncoderLayer(8, 2, activation="gelu").activation is nt.nn.functional.gelu


def test_transformer_errors():
    for args in (((3, 2, 8), (3, 3, 8), {}), ((3, 2, 8), (3, 2, 6), {}), ((3, 8), (4, 6), {}),
                 ((2, 3, 8), (3, 3, 8), {"batch_first": True})):
        a, b, kw = args

        def call(L):
            m = L.nn.Transformer(8, 2, 1, 1, 16, **kw)
            return lambda: m(L.zeros(*a), L.zeros(*b))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            both_raise(call(nt), call(torch))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_generate_square_subsequent_mask():
    for args, kw in (((4,), {}), ((1,), {}), ((0,), {}), ((3,), {"dtype": "float64"})):
        kn = {k: getattr(nt, v) for k, v in kw.items()}
        kt = {k: getattr(torch, v) for k, v in kw.items()}
        close(nt.nn.Transformer.generate_square_subsequent_mask(*args, **kn),
              torch.nn.Transformer.generate_square_subsequent_mask(*args, **kt))
    m = nt.nn.Transformer(8, 2, 1, 1, 16).generate_square_subsequent_mask(3, device="cpu")
    close(m, torch.nn.Transformer.generate_square_subsequent_mask(3))
    c = nt.nn.Transformer.generate_square_subsequent_mask(4)
    for mask, want in ((c, True), (c.bool(), True), (nt.zeros(4, 4), False), (c[:3, :3], False), (None, False)):
        assert TR._detect_is_causal_mask(mask, None, 4) is want
    assert TR._detect_is_causal_mask(None, True) is True
    assert TR._detect_is_causal_mask(c[:3, :3]) is True


# --------------------------------------------------------------------------- dropout, gradcheck, training
def test_dropout_training_statistics():
    nt.manual_seed(0)
    layer = nt.nn.TransformerEncoderLayer(16, 2, 32, dropout=0.3, batch_first=True)
    x = nt.tensor(randn(4, 6, 16), requires_grad=True)
    a, b = layer(x), layer(x)
    assert tuple(a.shape) == (4, 6, 16)
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    a.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    layer.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), layer(x).detach().numpy())
    nt.manual_seed(5)
    layer.train()
    c = layer(x)
    nt.manual_seed(5)
    np.testing.assert_array_equal(c.detach().numpy(), layer(x).detach().numpy())


def test_gradcheck64_small_layers():
    nt.manual_seed(0)
    enc = nt.nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, dtype=nt.float64)
    mask = nt.tensor(np.array([[0, 0, 1], [0, 0, 0]], bool))
    gradcheck64(lambda x: enc(x, src_key_padding_mask=mask), randn(3, 2, 4))
    dec = nt.nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, norm_first=True, dtype=nt.float64)
    c = nt.nn.Transformer.generate_square_subsequent_mask(2, dtype=nt.float64)
    gradcheck64(lambda t, m: dec(t, m, tgt_mask=c, tgt_is_causal=True), randn(2, 2, 4), randn(3, 2, 4))


def test_training_steps_track_torch():
    """A small encoder classifier (the benchmark's model, shrunk) trained with Adam: the losses
    and the final parameters follow torch's."""
    def make(L):
        nn = L.nn

        class Clf(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(50, 16)
                self.encoder = nn.TransformerEncoder(
                    nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True), 2,
                    enable_nested_tensor=False)
                self.head = nn.Linear(16, 3)

            def forward(self, tok, kpm):
                return self.head(self.encoder(self.emb(tok), src_key_padding_mask=kpm).mean(dim=1))
        return Clf()
    nm, tm = build(make)
    load(nm, tm)
    tok = rng.integers(0, 50, (4, 7))
    y = rng.integers(0, 3, 4)
    kpm = np.zeros((4, 7), bool)
    kpm[1, 5:] = True
    losses = []
    for L, m in ((nt, nm), (torch, tm)):
        opt = L.optim.Adam(m.parameters(), lr=1e-2)
        ls = []
        for _ in range(4):
            opt.zero_grad()
            loss = L.nn.functional.cross_entropy(m(L.tensor(tok), L.tensor(kpm)), L.tensor(y))
            loss.backward()
            opt.step()
            ls.append(loss.item())
        losses.append(ls)
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4, atol=1e-5)
    for (kn, pn), (kt, pt) in zip(nm.named_parameters(), tm.named_parameters()):
        a, b = pn.detach().numpy(), pt.detach().numpy()
        if kn.endswith("in_proj_bias"):   # the key bias has a zero gradient up to rounding, which Adam
            a, b = np.delete(a, np.s_[16:32]), np.delete(b, np.s_[16:32])   # normalises into noise
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4, err_msg=kn)


def test_deepcopy_and_state_dict_round_trip():
    nm, tm = build(lambda L: L.nn.Transformer(8, 2, 1, 1, 16, dropout=0.0))
    load(nm, tm)
    c = copy.deepcopy(nm)
    r = tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in c.state_dict().items()})
    assert not r.missing_keys and not r.unexpected_keys
    out = c(nt.tensor(SRC), nt.tensor(TGT))
    close(out, tm(torch.tensor(SRC), torch.tensor(TGT)))
