"""Autograd engine semantics against torch: accumulation, retain_graph, errors, hooks,
autograd.grad (incl. create_graph), grad modes, custom Functions and gradcheck."""
import gc
import weakref

import numpy as np
import pytest

import numtorch as nt
from helpers import assert_close, torch

rng = np.random.default_rng(1)


def both(shape=(3,), rg=True):
    a = rng.standard_normal(shape).astype(np.float32)
    return nt.tensor(a, requires_grad=rg), torch.tensor(a, requires_grad=rg)


def test_grads_accumulate_across_backwards():
    x, y = both()
    for lib, t in ((nt, x), (torch, y)):
        (t * t).backward(lib.ones(3))
        (t * 3).backward(lib.ones(3))
    assert_close(x.grad, y.grad)
    g = x.grad
    (x * 2).backward(nt.ones(3))
    assert x.grad is g, "accumulation is in place into the existing .grad"


def test_leaf_used_twice_and_diamond_graph():
    x, y = both((2, 3))
    for lib, t in ((nt, x), (torch, y)):
        a = t.exp()
        b = a * t
        c = a + b.sin()
        c.backward(lib.ones(2, 3))
    assert_close(x.grad, y.grad, rtol=1e-5)


def test_backward_twice_raises_freed_graph():
    for lib in (nt, torch):
        x = lib.ones(3, requires_grad=True)
        z = (x * x).exp()
        z.backward(lib.ones(3))
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
            z.backward(lib.ones(3))


def test_retain_graph_allows_second_backward():
    x, y = both()
    for lib, t in ((nt, x), (torch, y)):
        z = (t * t).exp()
        z.backward(lib.ones(3), retain_graph=True)
        z.backward(lib.ones(3))
    assert_close(x.grad, y.grad, rtol=1e-5)


def test_graph_without_saved_tensors_can_run_twice():
    for lib in (nt, torch):
        x = lib.ones(3, requires_grad=True)
        z = x + 1
        z.backward(lib.ones(3))
        z.backward(lib.ones(3))
        assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_saved_tensor_modified_inplace_error_text_matches_torch():
    msgs = []
    for lib in (nt, torch):
        a = lib.ones(3, requires_grad=True)
        y = a * 2
        z = y * y
        y.add_(1)
        with pytest.raises(RuntimeError) as e:
            z.backward(lib.ones(3))
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]
    msgs = []
    for lib in (nt, torch):
        a = lib.ones(3, requires_grad=True)
        w = lib.ones(3)
        z = a * w
        w.add_(1)
        with pytest.raises(RuntimeError) as e:
            z.backward(lib.ones(3))
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


def test_inplace_on_leaf_requiring_grad_raises():
    for lib in (nt, torch):
        a = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
            a.add_(1)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            a.mul_(2)
        with lib.no_grad():
            a.add_(1)  # allowed without grad recording
        assert a.tolist() == [2.0, 2.0, 2.0]


def test_backward_errors_match_torch():
    cases = [
        lambda lib: (lib.ones(3, requires_grad=True) * 2).backward(),
        lambda lib: lib.ones(3).exp().backward(lib.ones(3)),
        lambda lib: (lib.ones(3, requires_grad=True) * 2).backward(lib.ones(2)),
    ]
    for case in cases:
        msgs = []
        for lib in (nt, torch):
            with pytest.raises(RuntimeError) as e:
                case(lib)
            msgs.append(str(e.value))
        assert msgs[0] == msgs[1]


def test_requires_grad_rules():
    for lib in (nt, torch):
        with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
            lib.tensor([1, 2]).requires_grad_()
        y = lib.ones(2, requires_grad=True) * 2
        with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
            y.requires_grad = False
        assert y.requires_grad and not y.is_leaf
        assert lib.ones(2).is_leaf


def test_nonleaf_grad_warns_and_retain_grad():
    x = nt.ones(2, requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match="is not a leaf Tensor"):
        assert y.grad is None
    y.retain_grad()
    assert y.retains_grad
    (y * y).backward(nt.ones(2))
    assert y.grad.tolist() == [4.0, 4.0]
    assert x.grad.tolist() == [8.0, 8.0]


def test_tensor_hooks_modify_and_remove():
    x, y = both()
    handles = []
    for lib, t in ((nt, x), (torch, y)):
        m = t * 2
        h = m.register_hook(lambda g: g * 10)
        handles.append(h)
        t.register_hook(lambda g: g + 1)
        (m * m).backward(lib.ones(3))
    assert_close(x.grad, y.grad)
    for lib, t in ((nt, x), (torch, y)):
        t.grad = None
        m = t * 2
        h = m.register_hook(lambda g: g * 10)
        h.remove()
        (m * m).backward(lib.ones(3))
    assert_close(x.grad, y.grad)


def test_hook_order_and_observation():
    seen = []
    x = nt.ones(2, requires_grad=True)
    y = x * 3
    y.register_hook(lambda g: seen.append(("first", g.tolist())))
    y.register_hook(lambda g: seen.append(("second", g.tolist())))
    x.register_hook(lambda g: seen.append(("leaf", g.tolist())))
    y.backward(nt.tensor([1.0, 2.0]))
    assert seen == [("first", [1.0, 2.0]), ("second", [1.0, 2.0]), ("leaf", [3.0, 6.0])]


def test_post_accumulate_grad_hook():
    x = nt.ones(2, requires_grad=True)
    calls = []
    x.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.tolist()))
    (x * 2).backward(nt.ones(2))
    assert calls == [[2.0, 2.0]]


def test_node_hooks():
    x = nt.ones(2, requires_grad=True)
    y = x * 3
    seen = []
    y.grad_fn.register_prehook(lambda go: seen.append("pre"))
    y.grad_fn.register_hook(lambda gi, go: seen.append("post") or (gi[0] * 2, gi[1]))
    y.backward(nt.ones(2))
    assert seen == ["pre", "post"]
    assert x.grad.tolist() == [6.0, 6.0]
    assert y.grad_fn.name() == "MulBackward0"
    assert y.grad_fn.next_functions[1] == (None, 0)
    assert type(y.grad_fn.next_functions[0][0]).__name__ == "AccumulateGrad"


def test_autograd_grad_basic_and_not_accumulating():
    x, y = both()
    gx = nt.autograd.grad((x * x).exp(), x, nt.ones(3))
    gy = torch.autograd.grad((y * y).exp(), y, torch.ones(3))
    assert_close(gx, gy, rtol=1e-5)
    assert x.grad is None


def test_autograd_grad_allow_unused():
    for lib in (nt, torch):
        a = lib.ones(2, requires_grad=True)
        b = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
            lib.autograd.grad(a * 2, [a, b], lib.ones(2))
        ga, gb = lib.autograd.grad(a * 2, [a, b], lib.ones(2), allow_unused=True)
        assert gb is None and ga.tolist() == [2.0, 2.0]
        ga, gb = lib.autograd.grad(a * 2, [a, b], lib.ones(2), materialize_grads=True)
        assert gb.tolist() == [0.0, 0.0]


def test_autograd_grad_of_intermediate():
    x, y = both()
    outs = []
    for lib, t in ((nt, x), (torch, y)):
        m = t.exp()
        z = (m * t).sin()
        outs.append(lib.autograd.grad(z, [m, t], lib.ones(3)))
    assert_close(outs[0], outs[1], rtol=1e-5)


def test_double_backward_create_graph():
    x, y = both()
    res = []
    for lib, t in ((nt, x), (torch, y)):
        z = t ** 3 + t.sin() * t.exp()
        (g,) = lib.autograd.grad(z, t, lib.ones(3), create_graph=True)
        assert g.requires_grad
        (h,) = lib.autograd.grad(g, t, lib.ones(3))
        res.append((g, h))
    assert_close(res[0], res[1], rtol=1e-4, atol=1e-5)


def test_double_backward_through_backward_create_graph():
    x, y = both()
    for lib, t in ((nt, x), (torch, y)):
        z = (t * t * t)
        z.backward(lib.ones(3), create_graph=True)
        gr = t.grad
        t.grad = None
        gr.backward(lib.ones(3))
    assert_close(x.grad, y.grad, rtol=1e-5)


def test_backward_inputs_argument():
    for lib in (nt, torch):
        a = lib.ones(2, requires_grad=True)
        b = lib.ones(2, requires_grad=True)
        (a * b * 3).backward(lib.ones(2), inputs=[a])
        assert a.grad.tolist() == [3.0, 3.0] and b.grad is None


def test_grad_modes_context_and_decorator():
    x = nt.ones(2, requires_grad=True)
    with nt.no_grad():
        assert not (x * 2).requires_grad
        with nt.enable_grad():
            assert (x * 2).requires_grad
    assert (x * 2).requires_grad

    @nt.no_grad()
    def f(t):
        return t * 2

    @nt.no_grad
    def f2(t):
        return t * 2
    assert not f(x).requires_grad and not f2(x).requires_grad
    with nt.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    nt.set_grad_enabled(False)
    assert not nt.is_grad_enabled()
    nt.set_grad_enabled(True)
    assert nt.is_grad_enabled()
    with nt.inference_mode():
        assert not (x * 2).requires_grad
    with nt.inference_mode(False):
        assert (x * 2).requires_grad

    @nt.inference_mode()
    def g(t):
        return t * 2
    assert not g(x).requires_grad

    @nt.no_grad()
    def gen(t):
        yield t * 2
    assert not next(gen(x)).requires_grad


def test_python_control_flow_on_tensors():
    x = nt.tensor([3.0, -4.0])
    n = 0
    while x.abs().sum() > 1:
        x /= 2
        n += 1
    assert n == 3 and x.tolist() == [0.375, -0.5]
    assert bool(nt.tensor([1.0])) and float(nt.tensor(2.5)) == 2.5 and int(nt.tensor([7])) == 7
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(nt.ones(2))


class MyExp(nt.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        r = x.exp()
        ctx.save_for_backward(r)
        return r

    @staticmethod
    def backward(ctx, g):
        (r,) = ctx.saved_tensors
        return g * r


class TExp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        r = x.exp()
        ctx.save_for_backward(r)
        return r

    @staticmethod
    def backward(ctx, g):
        (r,) = ctx.saved_tensors
        return g * r


def test_custom_function_matches_torch():
    x, y = both()
    a = MyExp.apply(x)
    b = TExp.apply(y)
    assert_close(a, b)
    assert type(a.grad_fn).__name__ == "MyExpBackward"
    (a * 2).backward(nt.ones(3))
    (b * 2).backward(torch.ones(3))
    assert_close(x.grad, y.grad)


def test_custom_function_needs_input_grad_nondiff_and_multi_output():
    class SplitMax(nt.autograd.Function):
        @staticmethod
        def forward(ctx, x, w, k):
            ctx.k = k
            ctx.save_for_backward(x, w)
            idx = nt.tensor([0])
            ctx.mark_non_differentiable(idx)
            ctx.flags = ctx.needs_input_grad
            return x * w * k, x + w, idx

        @staticmethod
        def backward(ctx, g1, g2, g3):
            x, w = ctx.saved_tensors
            return g1 * w * ctx.k + g2, g1 * x * ctx.k + g2, None

    x = nt.tensor([1.0, 2.0], requires_grad=True)
    w = nt.tensor([3.0, 4.0])
    o1, o2, idx = SplitMax.apply(x, w, 2.0)
    assert not idx.requires_grad and o1.requires_grad
    assert o1.grad_fn is o2.grad_fn and o2._output_nr == 1
    assert o1.grad_fn.flags == (True, False, False)
    o1.backward(nt.ones(2))  # g2 absent: materialised as zeros
    assert x.grad.tolist() == [6.0, 8.0]


def test_custom_function_saved_tensor_errors():
    x = nt.ones(3, requires_grad=True)
    w = nt.ones(3)

    class Mul(nt.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b, g * a

    y = Mul.apply(x, w)
    w.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward(nt.ones(3))
    y = Mul.apply(x, nt.ones(3))
    y.backward(nt.ones(3))
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward(nt.ones(3))


def test_custom_function_wrong_gradient_count():
    class Bad(nt.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    y = Bad.apply(nt.ones(2, requires_grad=True), nt.ones(2, requires_grad=True))
    with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
        y.backward(nt.ones(2))


def test_custom_function_setup_context_style():
    class Cube(nt.autograd.Function):
        @staticmethod
        def forward(x):
            return x * x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * g * x * x

    x = nt.tensor([2.0], requires_grad=True)
    Cube.apply(x).backward(nt.ones(1))
    assert x.grad.tolist() == [12.0]
    assert nt.autograd.gradcheck(Cube.apply, (nt.tensor([1.5, -0.5], dtype=nt.float64, requires_grad=True),))


def test_gradcheck_detects_wrong_gradient():
    class Wrong(nt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g  # should be 2 * x * g

    x = nt.tensor([1.0, 2.0], dtype=nt.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        nt.autograd.gradcheck(Wrong.apply, (x,))
    assert nt.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False) is False


def test_gradgradcheck():
    x = nt.tensor([0.3, 0.7], dtype=nt.float64, requires_grad=True)
    assert nt.autograd.gradgradcheck(lambda t: (t * t).sin() * t.exp(), (x,))


def test_graph_is_freed_when_unreferenced():
    x = nt.ones(1000, requires_grad=True)
    y = (x * 2).exp()
    ref = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert ref() is None


def test_detach_shares_data_and_version():
    x = nt.ones(3, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad
    d.add_(1)
    assert x.tolist() == [2.0, 2.0, 2.0] and x._version == 1


def test_grad_arrays_never_alias_other_holders():
    """.grad may adopt a fresh gradient array, but never one someone else can still see."""
    a = nt.ones(3, requires_grad=True)
    b = nt.ones(3, requires_grad=True)
    (a + b).backward(nt.ones(3))  # one array flows to both leaves
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    g = nt.ones(3)
    c = nt.ones(3, requires_grad=True)
    c.backward(g)  # the root gradient is the caller's tensor
    assert not np.shares_memory(c.grad.numpy(), g.numpy())
    kept = []
    d = nt.ones(3, requires_grad=True)
    d.register_hook(lambda t: kept.append(t * 3) or kept[-1])
    (d * 2).backward(nt.ones(3))  # a hook's tensor stays the user's
    assert not np.shares_memory(d.grad.numpy(), kept[0].numpy())
    m = nt.ones(3, requires_grad=True)
    y = m * 2
    y.retain_grad()
    (y * 1).backward(nt.ones(3))
    assert not np.shares_memory(m.grad.numpy(), y.grad.numpy())
    w = nt.ones(2, requires_grad=True)
    e = w * 1
    (e + e).backward(nt.ones(2))
    w.grad.add_(1)  # in-place on .grad changes nothing else
    assert w.grad.tolist() == [3.0, 3.0]


def test_fresh_gradient_is_adopted_without_copy(monkeypatch):
    from numtorch._ops import _par
    w = nt.ones(4, 3, requires_grad=True)
    (nt.ones(2, 3) @ w.t()).backward(nt.ones(2, 4))  # warm up the calibration
    w.grad = None
    copies = []
    real = _par.unary
    monkeypatch.setattr(nt.autograd.graph._par, "unary",
                        lambda f, a, out=None: copies.append(f) or real(f, a, out))
    p = nt.ones(5, requires_grad=True)
    (p * 2).backward(nt.ones(5))
    assert p.grad.tolist() == [2.0] * 5
    if nt.autograd.graph._REFS["limit"] > 0:  # CPython: measured and trusted
        assert np.positive not in copies
