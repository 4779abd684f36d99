"""torch.nn.utils.rnn (PackedSequence, pack/pad helpers) against torch, and the recurrent
layers on packed input: values, batch sizes, permutations, lengths, gradients, errors."""
import warnings

import numpy as np
import pytest
from helpers import both_raise, gradcheck64, torch

import numtorch as nt
from numtorch.nn.utils import rnn as NR
from torch.nn.utils import rnn as TR

pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")

rng = np.random.default_rng(1)


def randn(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def close(a, b, rtol=1e-5, atol=1e-6):
    assert tuple(a.shape) == tuple(b.shape), f"shape {tuple(a.shape)} != torch {tuple(b.shape)}"
    assert str(a.dtype) == str(b.dtype), f"{a.dtype} != {b.dtype}"
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol)


def same_packed(pn, pt):
    assert type(pn).__name__ == "PackedSequence" and isinstance(pn, tuple)
    close(pn.data, pt.data)
    close(pn.batch_sizes, pt.batch_sizes)
    for a, b in ((pn.sorted_indices, pt.sorted_indices), (pn.unsorted_indices, pt.unsorted_indices)):
        assert (a is None) == (b is None)
        if b is not None:
            close(a, b)


def backprop(outs_n, outs_t, ins_n, ins_t):
    gs = [rng.standard_normal(tuple(t.shape)).astype(t.detach().numpy().dtype) for t in outs_t]
    nt.autograd.backward(list(outs_n), [nt.tensor(g) for g in gs])
    torch.autograd.backward(list(outs_t), [torch.tensor(g) for g in gs])
    for a, b in zip(ins_n, ins_t):
        close(a.grad, b.grad)


# --------------------------------------------------------------------------- PackedSequence
def test_packed_sequence_is_a_namedtuple_like_torch():
    d, bs = randn(4, 3), np.array([2, 2])
    pn = NR.PackedSequence(nt.tensor(d), nt.tensor(bs))
    pt = TR.PackedSequence(torch.tensor(d), torch.tensor(bs))
    assert pn._fields == pt._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    same_packed(pn, pt)
    data, batch_sizes, s, u = pn
    assert data is pn.data and batch_sizes is pn.batch_sizes and s is None and u is None
    same_packed(NR.PackedSequence((nt.tensor(d), nt.tensor(bs))), TR.PackedSequence((torch.tensor(d),
                                                                                       torch.tensor(bs))))
    same_packed(NR.PackedSequence(nt.tensor(d), nt.tensor(bs), nt.tensor([1, 0])),
                TR.PackedSequence(torch.tensor(d), torch.tensor(bs), torch.tensor([1, 0])))
    same_packed(NR.PackedSequence(nt.tensor(d), nt.tensor(bs), nt.tensor([1, 0]), nt.tensor([1, 0])),
                TR.PackedSequence(torch.tensor(d), torch.tensor(bs), torch.tensor([1, 0]), torch.tensor([1, 0])))
    assert repr(pn).startswith("PackedSequence(data=tensor(")
    both_raise(lambda: NR.PackedSequence(nt.tensor(d)), lambda: TR.PackedSequence(torch.tensor(d)))
    both_raise(lambda: NR.PackedSequence(nt.tensor(d), [2, 2]), lambda: TR.PackedSequence(torch.tensor(d), [2, 2]))


def test_packed_sequence_conversions():
    pn = NR.pack_sequence([nt.tensor(randn(3, 2)), nt.tensor(randn(2, 2))])
    pt = TR.pack_sequence([torch.tensor(pn.data.numpy()[[0, 2, 4]]), torch.tensor(pn.data.numpy()[[1, 3]])])
    same_packed(pn, pt)
    for m in ("double", "float", "long", "int", "short", "byte", "char", "half"):
        same_packed(getattr(pn, m)(), getattr(pt, m)())
    same_packed(pn.to(nt.float64), pt.to(torch.float64))
    assert pn.to(nt.float32) is pn and pn.to("cpu") is pn and pn.cpu() is pn
    assert pn.is_cuda is False and pn.is_pinned() is False
    assert NR.invert_permutation(None) is None
    close(NR.invert_permutation(nt.tensor([2, 0, 3, 1])), TR.invert_permutation(torch.tensor([2, 0, 3, 1])))


# --------------------------------------------------------------------------- pack / pad
PACK_CASES = [([4, 2, 1], False, True), ([4, 4, 3, 1], True, True), ([2, 4, 1, 4], False, False),
              ([1, 3, 3, 2, 3], True, False), ([5], False, True), ([3, 3], False, False)]


@pytest.mark.parametrize("lengths,batch_first,enforce", PACK_CASES)
@pytest.mark.parametrize("lengths_kind", ["tensor", "list"])
def test_pack_padded_and_pad_packed_match_torch(lengths, batch_first, enforce, lengths_kind):
    Tm, Bn = max(lengths), len(lengths)
    a = randn(Bn, Tm + 1, 3, 2) if batch_first else randn(Tm + 1, Bn, 3, 2)
    xn, xt = nt.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ln = nt.tensor(lengths) if lengths_kind == "tensor" else lengths
    lt = torch.tensor(lengths) if lengths_kind == "tensor" else lengths
    pn = NR.pack_padded_sequence(xn, ln, batch_first=batch_first, enforce_sorted=enforce)
    pt = TR.pack_padded_sequence(xt, lt, batch_first=batch_first, enforce_sorted=enforce)
    same_packed(pn, pt)
    for kw in ({}, {"batch_first": not batch_first, "padding_value": -2.5}, {"total_length": Tm + 2}):
        yn, ln2 = NR.pad_packed_sequence(pn, **kw)
        yt, lt2 = TR.pad_packed_sequence(pt, **kw)
        close(yn, yt)
        close(ln2, lt2)
    yn, _ = NR.pad_packed_sequence(pn, batch_first=batch_first)
    yt, _ = TR.pad_packed_sequence(pt, batch_first=batch_first)
    backprop([yn, pn.data], [yt, pt.data], [xn], [xt])


def test_pack_float_lengths_and_ties_like_torch():
    a = randn(4, 9, 2)
    lengths = [2, 3, 2, 3, 1, 2, 2, 2, 3]
    same_packed(NR.pack_padded_sequence(nt.tensor(a), nt.tensor(lengths), enforce_sorted=False),
                TR.pack_padded_sequence(torch.tensor(a), torch.tensor(lengths), enforce_sorted=False))
    b = randn(4, 2)
    same_packed(NR.pack_padded_sequence(nt.tensor(b), [3.5, 2]), TR.pack_padded_sequence(torch.tensor(b), [3.5, 2]))
    same_packed(NR.pack_padded_sequence(nt.tensor(b), nt.tensor([3.0, 2.0])),
                TR.pack_padded_sequence(torch.tensor(b), torch.tensor([3.0, 2.0])))


def _pack_err(shape, lengths, **kw):
    a = randn(*shape)
    return (lambda: NR.pack_padded_sequence(nt.tensor(a), lengths(nt), **kw),
            lambda: TR.pack_padded_sequence(torch.tensor(a), lengths(torch), **kw))


PACK_ERRORS = [
    _pack_err((4, 3), lambda T_: T_.tensor([4, 1, 2])), _pack_err((4, 3), lambda T_: T_.tensor([0, 1, 2])),
    _pack_err((4, 3), lambda T_: T_.tensor([4, 0, 2]), enforce_sorted=False),
    _pack_err((4, 3), lambda T_: T_.tensor([2, 0])), _pack_err((4, 3), lambda T_: [4, 2]),
    _pack_err((4, 3), lambda T_: T_.tensor([[4, 2, 1]])), _pack_err((4, 3), lambda T_: T_.tensor([4, 2, 1]),
                                                                   batch_first=True),
    _pack_err((0, 2), lambda T_: [3, 2]), _pack_err((4, 0), lambda T_: T_.tensor([], dtype=T_.long)),
    _pack_err((4,), lambda T_: [3]),
]


@pytest.mark.parametrize("fns", PACK_ERRORS)
def test_pack_errors_match_torch(fns):
    both_raise(*fns)


def test_pad_packed_errors_match_torch():
    a = randn(4, 3)
    pn = NR.pack_padded_sequence(nt.tensor(a), [4, 2, 1])
    pt = TR.pack_padded_sequence(torch.tensor(a), [4, 2, 1])
    both_raise(lambda: NR.pad_packed_sequence(pn, total_length=3), lambda: TR.pad_packed_sequence(pt, total_length=3))
    both_raise(lambda: NR.pad_packed_sequence(pn, total_length=5.5),
               lambda: TR.pad_packed_sequence(pt, total_length=5.5))


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("trail", [(), (3,), (2, 2)])
def test_pad_sequence_matches_torch(side, batch_first, trail):
    arrays = [randn(n, *trail) for n in (2, 5, 1, 5)]
    xn = [nt.tensor(a, requires_grad=True) for a in arrays]
    xt = [torch.tensor(a, requires_grad=True) for a in arrays]
    yn = NR.pad_sequence(xn, batch_first=batch_first, padding_value=1.5, padding_side=side)
    yt = TR.pad_sequence(xt, batch_first=batch_first, padding_value=1.5, padding_side=side)
    close(yn, yt)
    backprop([yn], [yt], xn, xt)
    if trail:   # a tensor is taken as the sequence of its rows
        close(NR.pad_sequence(nt.tensor(arrays[1])), TR.pad_sequence(torch.tensor(arrays[1])))


def test_pad_sequence_dtypes_and_errors_match_torch():
    close(NR.pad_sequence([nt.ones(2, 3), nt.ones(4, 3, dtype=nt.float64)]),
          TR.pad_sequence([torch.ones(2, 3), torch.ones(4, 3, dtype=torch.float64)]))
    close(NR.pad_sequence([nt.ones(2, 3, dtype=nt.long), nt.ones(4, 3)], padding_value=7),
          TR.pad_sequence([torch.ones(2, 3, dtype=torch.long), torch.ones(4, 3)], padding_value=7))
    close(NR.pad_sequence([nt.ones(2, 3), nt.ones(4, 1)]), TR.pad_sequence([torch.ones(2, 3), torch.ones(4, 1)]))
    for shapes in (((2, 3), (4, 2)), ((2, 3), (4, 3, 1)), ((2, 3), (4,))):
        both_raise(lambda: NR.pad_sequence([nt.ones(*s) for s in shapes]),
                   lambda: TR.pad_sequence([torch.ones(*s) for s in shapes]))
    both_raise(lambda: NR.pad_sequence([]), lambda: TR.pad_sequence([]))
    both_raise(lambda: NR.pad_sequence([nt.ones(2)], padding_side="middle"),
               lambda: TR.pad_sequence([torch.ones(2)], padding_side="middle"))


@pytest.mark.parametrize("enforce", [True, False])
def test_pack_unpack_unpad_sequence_match_torch(enforce):
    lens = [5, 3, 3, 1] if enforce else [3, 5, 1, 3]
    arrays = [randn(n, 2) for n in lens]
    xn = [nt.tensor(a, requires_grad=True) for a in arrays]
    xt = [torch.tensor(a, requires_grad=True) for a in arrays]
    pn, pt = NR.pack_sequence(xn, enforce_sorted=enforce), TR.pack_sequence(xt, enforce_sorted=enforce)
    same_packed(pn, pt)
    un, ut = NR.unpack_sequence(pn), TR.unpack_sequence(pt)
    assert len(un) == len(ut)
    for a, b in zip(un, ut):
        close(a, b)
    backprop(un, ut, xn, xt)
    padded = randn(5, 4, 2)
    for bf in (False, True):
        a = padded if not bf else padded.transpose(1, 0, 2).copy()
        for ln in ([5, 3, 3, 1], nt.tensor([5, 3, 3, 1])):
            un = NR.unpad_sequence(nt.tensor(a), ln, batch_first=bf)
            ut = TR.unpad_sequence(torch.tensor(a), torch.tensor([5, 3, 3, 1]), batch_first=bf)
            for x, y in zip(un, ut):
                close(x, y)
    both_raise(lambda: NR.pack_sequence([nt.ones(2), nt.ones(3)]), lambda: TR.pack_sequence([torch.ones(2),
                                                                                             torch.ones(3)]))


# --------------------------------------------------------------------------- recurrent layers on packed input
IN, HID = 4, 5
MODES = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("LSTM", {"proj_size": 3}), ("GRU", {})]
MODE_IDS = ["rnn_tanh", "rnn_relu", "lstm", "lstm_proj", "gru"]


def build(cls, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = getattr(torch.nn, cls)(IN, HID, **kw)
    nm = getattr(nt.nn, cls)(IN, HID, **kw)
    nm.load_state_dict({k: nt.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return nm, tm


@pytest.mark.parametrize("with_hx", [False, True], ids=["zero_state", "h0"])
@pytest.mark.parametrize("lengths,enforce", [([5, 3, 3, 1], True), ([2, 5, 1, 3, 5], False)],
                         ids=["sorted", "unsorted"])
@pytest.mark.parametrize("layers,bidir", [(1, False), (1, True), (2, False), (2, True)],
                         ids=["1uni", "1bi", "2uni", "2bi"])
@pytest.mark.parametrize("cls,kw", MODES, ids=MODE_IDS)
def test_packed_input_matches_torch(cls, kw, layers, bidir, lengths, enforce, with_hx):
    _packed_case(cls, kw, layers, bidir, lengths, enforce, with_hx)


@pytest.mark.parametrize("lengths,enforce", [([3], True), ([2, 2, 2], False), ([1, 1], True), ([4, 1, 4, 1], False)],
                         ids=["single", "equal", "length1", "pairs"])
@pytest.mark.parametrize("cls,kw", MODES, ids=MODE_IDS)
def test_packed_input_edge_lengths_match_torch(cls, kw, lengths, enforce):
    _packed_case(cls, kw, 2, True, lengths, enforce, True)


def _packed_case(cls, kw, layers, bidir, lengths, enforce, with_hx):
    nm, tm = build(cls, num_layers=layers, bidirectional=bidir, **kw)
    Bn, Tm = len(lengths), max(lengths)
    x = randn(Bn, Tm, IN)
    xn, xt = nt.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    pn = NR.pack_padded_sequence(xn, nt.tensor(lengths), batch_first=True, enforce_sorted=enforce)
    pt = TR.pack_padded_sequence(xt, torch.tensor(lengths), batch_first=True, enforce_sorted=enforce)
    D = 2 if bidir else 1
    ins_n, ins_t = [xn], [xt]
    hn_in = ht_in = None
    if with_hx:
        shapes = [(layers * D, Bn, kw.get("proj_size") or HID)] + ([(layers * D, Bn, HID)] if cls == "LSTM" else [])
        hs = [randn(*s) for s in shapes]
        ins_n += [nt.tensor(h, requires_grad=True) for h in hs]
        ins_t += [torch.tensor(h, requires_grad=True) for h in hs]
        hn_in = tuple(ins_n[1:]) if cls == "LSTM" else ins_n[1]
        ht_in = tuple(ins_t[1:]) if cls == "LSTM" else ins_t[1]
    on, sn = nm(pn, hn_in)
    ot, st = tm(pt, ht_in)
    same_packed(on, ot)
    sn = list(sn) if isinstance(sn, tuple) else [sn]
    st = list(st) if isinstance(st, tuple) else [st]
    for a, b in zip(sn, st):
        close(a, b, 1e-4, 1e-5)
    yn, _ = NR.pad_packed_sequence(on, batch_first=True, padding_value=-1.0)
    yt, _ = TR.pad_packed_sequence(ot, batch_first=True, padding_value=-1.0)
    close(yn, yt, 1e-4, 1e-5)
    gs = [rng.standard_normal(tuple(t.shape)).astype(np.float32) for t in [yt] + st]
    nt.autograd.backward([yn] + sn, [nt.tensor(g) for g in gs])
    torch.autograd.backward([yt] + st, [torch.tensor(g) for g in gs])
    for a, b in zip(ins_n, ins_t):
        close(a.grad, b.grad, 1e-4, 1e-5)
    for (k, a), (_, b) in zip(nm.named_parameters(), tm.named_parameters()):
        close(a.grad, b.grad, 1e-4, 1e-5)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_packed_output_equals_per_sequence_runs(cls):
    """Each sequence of a packed batch gives what it gives alone (h_n = its last valid step)."""
    m = getattr(nt.nn, cls)(IN, HID, bidirectional=True)
    seqs = [randn(n, IN) for n in (2, 6, 4)]
    out, h = m(NR.pack_sequence([nt.tensor(s) for s in seqs], enforce_sorted=False))
    padded, lengths = NR.pad_packed_sequence(out)
    h = h[0] if cls == "LSTM" else h
    for i, s in enumerate(seqs):
        o1, h1 = m(nt.tensor(s))
        h1 = h1[0] if cls == "LSTM" else h1
        np.testing.assert_allclose(padded[:len(s), i].detach().numpy(), o1.detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(h[:, i].detach().numpy(), h1.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_packed_gradcheck(cls):
    m = getattr(nt.nn, cls)(2, 3, bidirectional=True).double()

    def fn(data):
        out, h = m(NR.PackedSequence(data, nt.tensor([3, 2, 2, 1])))
        return (out.data,) + (tuple(h) if isinstance(h, tuple) else (h,))
    gradcheck64(fn, randn(8, 2, dtype=np.float64))
