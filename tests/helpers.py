"""Differential-testing helpers: run the same op in numtorch and torch and compare."""
from __future__ import annotations

import numpy as np
import pytest

import numtorch as nt

torch = pytest.importorskip("torch")

TORCH_DT = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64,
            np.dtype(np.float16): torch.float16, np.dtype(np.int64): torch.int64,
            np.dtype(np.int32): torch.int32, np.dtype(np.int16): torch.int16, np.dtype(np.int8): torch.int8,
            np.dtype(np.uint8): torch.uint8, np.dtype(np.bool_): torch.bool}


def pair(a: np.ndarray, requires_grad: bool = False):
    """The same array as a numtorch tensor and a torch tensor (separate memory)."""
    a = np.asarray(a)
    x = nt.tensor(a.copy())
    y = torch.tensor(a.copy())
    if requires_grad:
        x.requires_grad_(True)
        y.requires_grad_(True)
    return x, y


def to_np(t):
    if isinstance(t, nt.Tensor):
        return t.detach().numpy()
    return t.detach().numpy()


def assert_close(x, y, rtol=1e-5, atol=1e-6, check_dtype=True):
    """Compare a numtorch result with a torch result: shape, dtype and values."""
    if isinstance(y, (tuple, list)):
        assert isinstance(x, (tuple, list)) and len(x) == len(y)
        for a, b in zip(x, y):
            assert_close(a, b, rtol, atol, check_dtype)
        return
    if isinstance(y, torch.Tensor):
        assert isinstance(x, nt.Tensor), f"expected a numtorch Tensor, got {type(x)}"
        assert tuple(x.shape) == tuple(y.shape), f"shape {tuple(x.shape)} != torch {tuple(y.shape)}"
        if check_dtype:
            assert str(x.dtype) == str(y.dtype), f"dtype {x.dtype} != torch {y.dtype}"
        np.testing.assert_allclose(to_np(x).astype(np.float64) if x.dtype.is_floating_point else to_np(x),
                                   to_np(y).astype(np.float64) if y.dtype.is_floating_point else to_np(y),
                                   rtol=rtol, atol=atol, equal_nan=True)
    else:
        assert x == y or (isinstance(x, float) and np.isclose(x, y, rtol=rtol, atol=atol)), f"{x} != {y}"


def check_op(fn_nt, fn_torch, *arrays, grad=True, rtol=1e-5, atol=1e-6, seed=0, kwargs=None):
    """Run ``fn_nt(*nt_tensors)`` and ``fn_torch(*torch_tensors)``; compare outputs, then
    backpropagate the same random upstream gradient and compare every input gradient.

    Arrays of floating dtype get requires_grad when ``grad`` is true.
    Returns the two outputs.
    """
    kwargs = kwargs or {}
    xs, ys = [], []
    for a in arrays:
        a = np.asarray(a)
        rg = grad and a.dtype.kind == "f"
        x, y = pair(a, rg)
        xs.append(x)
        ys.append(y)
    out_n = fn_nt(*xs, **kwargs)
    out_t = fn_torch(*ys, **kwargs)
    assert_close(out_n, out_t, rtol, atol)
    if not grad:
        return out_n, out_t
    outs_n = out_n if isinstance(out_n, (tuple, list)) else (out_n,)
    outs_t = out_t if isinstance(out_t, (tuple, list)) else (out_t,)
    rng = np.random.default_rng(seed)
    gn, gt, on, ot = [], [], [], []
    for a, b in zip(outs_n, outs_t):
        if isinstance(b, torch.Tensor) and b.requires_grad:
            g = rng.standard_normal(tuple(b.shape)).astype(to_np(b).dtype)
            on.append(a)
            ot.append(b)
            gn.append(nt.tensor(g))
            gt.append(torch.tensor(g))
    if not ot:
        return out_n, out_t
    nt.autograd.backward(on, gn)
    torch.autograd.backward(ot, gt)
    for x, y in zip(xs, ys):
        if y.requires_grad:
            if y.grad is None:
                assert x.grad is None or np.all(to_np(x.grad) == 0)
            else:
                assert x.grad is not None, "numtorch produced no gradient where torch did"
                assert_close(x.grad, y.grad, rtol, atol)
    return out_n, out_t


def gradcheck64(fn, *arrays, **kw):
    """Finite-difference check of ``fn`` in float64 on the given arrays."""
    ts = [nt.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) if np.asarray(a).dtype.kind == "f"
          else nt.tensor(a) for a in arrays]
    assert nt.autograd.gradcheck(fn, tuple(ts), **kw)


def both_raise(fn_nt, fn_t, exc=Exception):
    """Both libraries raise the same exception type with the same message."""
    with pytest.raises(exc) as et:
        fn_t()
    with pytest.raises(type(et.value)) as en:
        fn_nt()
    assert str(en.value) == str(et.value), f"\nnumtorch: {en.value}\ntorch:    {et.value}"
