"""The hook-based nn.utils.weight_norm / spectral_norm (and torch.norm_except_dim,
torch._weight_norm) against torch: parameters, buffers, state_dict keys and metadata,
the FutureWarning, forward values and gradients, training vs eval power iteration,
removal, optimizer steps and error texts."""
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import numtorch as nt
from helpers import assert_close, both_raise, check_op, gradcheck64, pair, torch
from _module_common import arr, check_fwd_bwd, norm, sd_to_nt, sync

RTOL, ATOL = 1e-5, 1e-5


def make(L, kind):
    """A module with a weight of a given layout, written against library ``L``."""
    nn = L.nn
    if kind == "linear":
        return nn.Linear(3, 4), (5, 3)

    class W3(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(L.tensor(arr((2, 3, 4), 1)))
            self.bias = nn.Parameter(L.tensor(arr((3, 1), 2)))

        def forward(self, x):
            return L.matmul(self.weight, x) + self.bias
    return W3(), (2, 4, 5)


def build(kind):
    torch.manual_seed(0)
    mt, xshape = make(torch, kind)
    mn, _ = make(nt, kind)
    mn.load_state_dict(sd_to_nt(mt.state_dict()))
    return mn, mt, xshape


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return fn(*args, **kwargs)


# --------------------------------------------------------------------------- ops
@pytest.mark.parametrize("shape,dim", [((3, 4), 0), ((3, 4), 1), ((3, 4), -1), ((3, 4), -2), ((2, 3, 4), 0),
                                       ((2, 3, 4), 1), ((2, 3, 4), 2), ((2, 3, 4), -2), ((2, 3, 4), -3), ((5,), 0)])
def test_norm_except_dim_and_weight_norm_ops(shape, dim):
    check_op(lambda v: nt.norm_except_dim(v, 2, dim), lambda v: torch.norm_except_dim(v, 2, dim), arr(shape))
    check_op(lambda v: nt.norm_except_dim(v, 3, dim), lambda v: torch.norm_except_dim(v, 3, dim), arr(shape, 1))
    g = torch.norm_except_dim(torch.tensor(arr(shape, 2)), 2, dim).numpy() * 1.7
    check_op(lambda v, g: nt._weight_norm(v, g, dim), lambda v, g: torch._weight_norm(v, g, dim), arr(shape, 2), g)
    if dim == 0:  # torch's defaults
        check_op(lambda v, g: nt._weight_norm(v, g), lambda v, g: torch._weight_norm(v, g), arr(shape, 2), g)
        check_op(lambda v: nt.norm_except_dim(v), lambda v: torch.norm_except_dim(v), arr(shape, 3))


def test_weight_norm_op_gradcheck_and_errors():
    gradcheck64(lambda v, g: nt._weight_norm(v, g, 1), arr((2, 3, 4), 4), np.abs(arr((1, 3, 1), 5)) + 0.5)
    gradcheck64(lambda v, g: nt._weight_norm(v, g, -1), arr((3, 4), 6), np.array(1.3))
    v3n, v3t = pair(arr((2, 3, 4)))
    for d in (3, 5, -4):
        both_raise(lambda: nt.norm_except_dim(v3n, 2, d), lambda: torch.norm_except_dim(v3t, 2, d))


# --------------------------------------------------------------------------- weight_norm
def test_weight_norm_warning_registries_and_keys():
    res = []
    for L in (nt, torch):
        m, _ = make(L, "linear")
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = L.nn.utils.weight_norm(m)
        hooks = list(m._forward_pre_hooks.values())
        res.append([r is m, [(x.category.__name__, str(x.message)) for x in w], list(m.state_dict()),
                    list(m._parameters), "weight" in m.__dict__, type(m.weight).__name__,
                    m.weight.grad_fn is not None, [type(h).__name__ for h in hooks], hooks[0].name, hooks[0].dim,
                    tuple(m.weight_g.shape), type(m).__name__])
        assert all(x.filename == __file__ for x in w) or L is torch  # points at the caller
    assert norm(res[0]) == norm(res[1])


@pytest.mark.parametrize("kind,dim", [("linear", 0), ("linear", 1), ("linear", None), ("w3", 0), ("w3", 1),
                                      ("w3", 2), ("w3", -2), ("w3", None)])
def test_weight_norm_forward_backward(kind, dim):
    mn, mt, xshape = build(kind)
    for L, m in ((nt, mn), (torch, mt)):
        quiet(L.nn.utils.weight_norm, m, dim=dim)
    assert [(k, tuple(v.shape)) for k, v in mn.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in mt.state_dict().items()]
    assert_close(mn.weight_g, mt.weight_g)
    assert_close(mn.weight, mt.weight)
    with torch.no_grad():
        mt.weight_g.mul_(1.5)  # g no longer equals ||v||
    sync(mn, mt)
    check_fwd_bwd(mn, mt, xshape)
    # remove: weight becomes a Parameter holding g * v / ||v||
    for L, m in ((nt, mn), (torch, mt)):
        assert L.nn.utils.remove_weight_norm(m) is m
    assert list(mn.state_dict()) == list(mt.state_dict())
    assert type(mn.weight).__name__ == type(mt.weight).__name__ == "Parameter"
    assert "weight" not in mn.__dict__ and not mn._forward_pre_hooks
    assert_close(mn.weight, mt.weight)
    for m in (mn, mt):
        m.zero_grad()
    check_fwd_bwd(mn, mt, xshape, seed=1)


def test_weight_norm_errors():
    def twice(L):
        m, _ = make(L, "linear")
        quiet(L.nn.utils.weight_norm, m)
        return lambda: quiet(L.nn.utils.weight_norm, m)
    both_raise(twice(nt), twice(torch))
    both_raise(lambda: nt.nn.utils.remove_weight_norm(nt.nn.Linear(2, 3)),
               lambda: torch.nn.utils.remove_weight_norm(torch.nn.Linear(2, 3)))
    both_raise(lambda: quiet(nt.nn.utils.weight_norm, nt.nn.Linear(2, 3), "foo"),
               lambda: quiet(torch.nn.utils.weight_norm, torch.nn.Linear(2, 3), "foo"))
    both_raise(lambda: quiet(nt.nn.utils.weight_norm, nt.nn.LazyLinear(3)),
               lambda: quiet(torch.nn.utils.weight_norm, torch.nn.LazyLinear(3)))


def test_weight_norm_sgd_and_into_parametrization():
    mn, mt, xshape = build("w3")
    for L, m in ((nt, mn), (torch, mt)):
        quiet(L.nn.utils.weight_norm, m, dim=1)
    on = nt.optim.SGD(mn.parameters(), lr=0.2, momentum=0.5)
    ot = torch.optim.SGD(mt.parameters(), lr=0.2, momentum=0.5)
    for i in range(3):
        xn, xt = pair(arr(xshape, 50 + i))
        for o, m, x in ((on, mn, xn), (ot, mt, xt)):
            o.zero_grad()
            m(x).tanh().sum().backward()
            o.step()
    for (kn, vn), (kt, vt) in zip(mn.state_dict().items(), mt.state_dict().items()):
        assert kn == kt
        assert_close(vn, vt, 1e-5, 1e-6)
    # the old keys load into the parametrization-based weight_norm (renamed by its pre-hook)
    pn, _ = make(nt, "w3")
    pt, _ = make(torch, "w3")
    nt.nn.utils.parametrizations.weight_norm(pn, dim=1)
    torch.nn.utils.parametrizations.weight_norm(pt, dim=1)
    rn = pn.load_state_dict(sd_to_nt(mt.state_dict()))
    rt = pt.load_state_dict(mt.state_dict())
    assert str(rn) == str(rt)
    assert_close(pn.weight, pt.weight)
    # (mt.weight itself is stale: recomputed only by the next forward)
    assert_close(pn.weight, torch._weight_norm(mt.weight_v, mt.weight_g, 1))


# --------------------------------------------------------------------------- spectral_norm
def test_spectral_norm_registries_keys_metadata():
    res = []
    for L in (nt, torch):
        m, _ = make(L, "linear")
        w = m.weight
        r = L.nn.utils.spectral_norm(m)
        sd = m.state_dict()
        hook = next(iter(m._forward_pre_hooks.values()))
        res.append([r is m, list(sd), [tuple(v.shape) for v in sd.values()], dict(sd._metadata),
                    m.weight_orig is w, "weight" in m.__dict__, type(m.weight).__name__, m.weight.requires_grad,
                    bool((m.weight == w).all()), hook.name, hook.dim, hook.eps, hook.n_power_iterations,
                    len(m._state_dict_hooks), len(m._load_state_dict_pre_hooks), type(L.nn.utils.spectral_norm(
                        make(L, "w3")[0], dim=2, n_power_iterations=3)).__name__])
        m2 = L.nn.utils.spectral_norm(make(L, "w3")[0], "weight", 2, 1e-6, 2)
        res[-1].append([tuple(b.shape) for b in m2.buffers()])
        m2.load_state_dict(m2.state_dict())
    assert norm(res[0]) == norm(res[1])


@pytest.mark.parametrize("kind,dim,n_iter", [("linear", None, 1), ("linear", 1, 3), ("w3", 0, 2), ("w3", 2, 1),
                                             ("w3", 1, 3)])
def test_spectral_norm_train_eval(kind, dim, n_iter):
    mn, mt, xshape = build(kind)
    for L, m in ((nt, mn), (torch, mt)):
        L.nn.utils.spectral_norm(m, n_power_iterations=n_iter, dim=dim)
    sync(mn, mt)  # torch's random weight_u / weight_v
    u_obj = mn.weight_u
    for step in range(3):
        for m in (mn, mt):
            m.zero_grad()
        check_fwd_bwd(mn, mt, xshape, seed=step)
        assert_close(mn.weight_u, mt.weight_u)
        assert_close(mn.weight_v, mt.weight_v)
        assert_close(mn.weight, mt.weight)
    assert mn.weight_u is u_obj
    mn.eval()
    mt.eval()
    u0 = mn.weight_u.clone()
    for m in (mn, mt):
        m.zero_grad()
    check_fwd_bwd(mn, mt, xshape, seed=5)
    assert bool((mn.weight_u == u0).all())
    assert_close(mn.weight_v, mt.weight_v)
    # remove: weight is a Parameter holding weight_orig / sigma (no further iteration)
    mn.train()
    mt.train()
    for L, m in ((nt, mn), (torch, mt)):
        assert L.nn.utils.remove_spectral_norm(m) is m
    assert list(mn.state_dict()) == list(mt.state_dict())
    assert dict(mn.state_dict()._metadata) == dict(mt.state_dict()._metadata)
    assert type(mn.weight).__name__ == "Parameter" and "weight" not in mn.__dict__
    assert_close(mn.weight, mt.weight)
    for m in (mn, mt):
        m.zero_grad()
    check_fwd_bwd(mn, mt, xshape, seed=6)


def test_spectral_norm_sgd_steps():
    mn, mt, xshape = build("w3")
    for L, m in ((nt, mn), (torch, mt)):
        L.nn.utils.spectral_norm(m, n_power_iterations=2, dim=1)
    sync(mn, mt)
    on = nt.optim.SGD(mn.parameters(), lr=0.3)
    ot = torch.optim.SGD(mt.parameters(), lr=0.3)
    for i in range(4):
        xn, xt = pair(arr(xshape, 60 + i))
        for o, m, x in ((on, mn, xn), (ot, mt, xt)):
            o.zero_grad()
            m(x).pow(2).mean().backward()
            o.step()
    for (kn, vn), (kt, vt) in zip(mn.state_dict().items(), mt.state_dict().items()):
        assert kn == kt
        assert_close(vn, vt, 1e-5, 1e-6)


def test_spectral_norm_load_state_dict_paths():
    mn, mt, _ = build("linear")
    for L, m in ((nt, mn), (torch, mt)):
        L.nn.utils.spectral_norm(m)
    # a torch checkpoint (with metadata) loads as is
    sd = mt.state_dict()
    assert str(mn.load_state_dict(sd_to_nt(sd))) == "<All keys matched successfully>"
    assert_close(mn.weight_v, mt.weight_v, 0, 0)
    # version-0 checkpoints (normalised `weight`, no `weight_v`) are upgraded on load
    with torch.no_grad():
        mt.eval()
        w = mt.weight_orig / torch.dot(mt.weight_u, mt.weight_orig.mv(mt.weight_v))
    old = OrderedDict([("bias", sd["bias"]), ("weight_orig", sd["weight_orig"]), ("weight", w),
                       ("weight_u", sd["weight_u"])])
    old._metadata = OrderedDict([("", {"version": 1, "spectral_norm": {"weight.version": 0}})])
    rn, rt = mn.load_state_dict(sd_to_nt(old)), mt.load_state_dict(old)
    assert str(rn) == str(rt)
    assert_close(mn.weight_v, mt.weight_v, 1e-4, 1e-5)
    # missing keys of an old checkpoint are reported as torch reports them
    bad = OrderedDict([("bias", sd["bias"]), ("weight_orig", sd["weight_orig"])])
    bad._metadata = old._metadata
    both_raise(lambda: mn.load_state_dict(sd_to_nt(bad)), lambda: mt.load_state_dict(bad))
    # as in torch, remove_spectral_norm leaves the load pre-hook in place, so reloading the
    # module's own state_dict then reports weight_orig / weight_u missing
    for L, m in ((nt, mn), (torch, mt)):
        L.nn.utils.remove_spectral_norm(m)
    assert len(mn._load_state_dict_pre_hooks) == len(mt._load_state_dict_pre_hooks) == 1
    both_raise(lambda: mn.load_state_dict(mn.state_dict()), lambda: mt.load_state_dict(mt.state_dict()))


def test_spectral_norm_errors():
    def twice(L):
        m = L.nn.utils.spectral_norm(L.nn.Linear(3, 3))
        return lambda: L.nn.utils.spectral_norm(m)
    both_raise(twice(nt), twice(torch))
    for kw in (dict(n_power_iterations=0), dict(name="bias"), dict(name="foo")):
        both_raise(lambda: nt.nn.utils.spectral_norm(nt.nn.Linear(3, 3, bias=False), **kw),
                   lambda: torch.nn.utils.spectral_norm(torch.nn.Linear(3, 3, bias=False), **kw))
    both_raise(lambda: nt.nn.utils.remove_spectral_norm(nt.nn.Linear(2, 3)),
               lambda: torch.nn.utils.remove_spectral_norm(torch.nn.Linear(2, 3)))
    both_raise(lambda: nt.nn.utils.spectral_norm(nt.nn.LazyLinear(3)),
               lambda: torch.nn.utils.spectral_norm(torch.nn.LazyLinear(3)))


@pytest.mark.parametrize("name,xshape", [("Conv1d", (2, 3, 9)), ("Conv2d", (2, 3, 6, 5))])
def test_conv_hook_based(name, xshape):
    if not hasattr(nt.nn, name):
        pytest.skip(f"numtorch.nn.{name} is not available yet")
    for fn in ("weight_norm", "spectral_norm"):
        torch.manual_seed(0)
        mt = getattr(torch.nn, name)(3, 4, 3, padding=1)
        mn = getattr(nt.nn, name)(3, 4, 3, padding=1)
        mn.load_state_dict(sd_to_nt(mt.state_dict()))
        for L, m in ((nt, mn), (torch, mt)):
            quiet(getattr(L.nn.utils, fn), m)
        sync(mn, mt)
        check_fwd_bwd(mn, mt, xshape, rtol=1e-4, atol=1e-5)
