"""``gradcheck`` / ``gradgradcheck``: compare analytical gradients with central finite
differences (in float64, as torch recommends)."""
from __future__ import annotations

import warnings
from typing import Callable

import numpy as np

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytical and numerical Jacobians differ."""


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,) if not isinstance(x, list) else tuple(x)


def _diff_outputs(func, inputs):
    from .._tensor import Tensor
    out = _as_tuple(func(*inputs))
    return [o for o in out if isinstance(o, Tensor) and o._data.dtype.kind == "f"], out


def _numerical_jacobian(func, inputs, idx, eps):
    """d(outputs)/d(inputs[idx]) by central differences: a (n_in, n_out_total) matrix."""
    t = inputs[idx]
    x = t._data
    flat = x.reshape(-1)
    base, _ = _diff_outputs(func, inputs)
    n_out = sum(o._data.size for o in base)
    J = np.zeros((flat.size, n_out))
    view = x.reshape(-1) if x.flags.c_contiguous else None
    if view is None:
        raise ValueError("gradcheck needs contiguous inputs")
    for k in range(flat.size):  # finite differences perturb one element at a time by nature
        orig = view[k].copy()
        # perturb the array directly (not an autograd in-place op); grad stays enabled
        # so functions that differentiate internally (gradgradcheck) still work
        # outputs are copied at once: an output that is a view of the input would change back
        view[k] = orig + eps
        plus = [p._data.astype(np.float64) for p in _diff_outputs(func, inputs)[0]]
        view[k] = orig - eps
        minus = [m._data.astype(np.float64) for m in _diff_outputs(func, inputs)[0]]
        view[k] = orig
        col = np.concatenate([((p - m) / (2 * eps)).ravel() for p, m in zip(plus, minus)]) if plus else np.zeros(0)
        J[k] = col
    return J


def _analytical_jacobian(func, inputs, diff_idx):
    from .._tensor import Tensor
    from . import grad as ag_grad
    outs, _ = _diff_outputs(func, inputs)
    n_out = sum(o._data.size for o in outs)
    Js = {i: np.zeros((inputs[i]._data.size, n_out)) for i in diff_idx}
    col = 0
    for oi, o in enumerate(outs):
        if not o._rg:
            col += o._data.size
            continue
        for k in range(o._data.size):
            go = np.zeros(o._data.shape, dtype=o._data.dtype)
            go.reshape(-1)[k] = 1
            gs = ag_grad([o], [inputs[i] for i in diff_idx], [Tensor._make(go, False, None)],
                         retain_graph=True, allow_unused=True)
            for i, g in zip(diff_idx, gs):
                if g is not None:
                    Js[i][:, col] = g._data.astype(np.float64).ravel()
            col += 1
    return Js, outs


def gradcheck(func: Callable, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad: bool = True,
              check_grad_dtypes: bool = False, check_batched_grad: bool = False,
              check_batched_forward_grad: bool = False, check_forward_ad: bool = False,
              check_backward_ad: bool = True, fast_mode: bool = False, masked=None) -> bool:
    """Check ``func``'s gradients w.r.t. every input with ``requires_grad`` against finite differences."""
    from .._tensor import Tensor
    for flag, name in ((check_batched_grad, "check_batched_grad"), (check_forward_ad, "check_forward_ad"),
                       (check_batched_forward_grad, "check_batched_forward_grad")):
        if flag:
            raise NotImplementedError(f"gradcheck: {name}=True is not supported by numtorch (no forward-mode AD)")
    inputs = _as_tuple(inputs)
    diff_idx = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t._rg]
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of the them "
                         "have requires_grad=True.")
    for i in diff_idx:
        if inputs[i]._data.dtype != np.float64:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point. This check "
                          "will likely fail if all the inputs are not of double precision floating point. ")
    try:
        Js, outs = _analytical_jacobian(func, inputs, diff_idx)
        for i in diff_idx:
            Jn = _numerical_jacobian(func, inputs, i, eps)
            Ja = Js[i]
            if not np.allclose(Ja, Jn, rtol=rtol, atol=atol):
                raise GradcheckError(
                    f"Jacobian mismatch for output 0 with respect to input {i},\n"
                    f"numerical:{Jn!r}\nanalytical:{Ja!r}\n")
            if check_grad_dtypes:
                pass
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(func: Callable, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False, raise_exception: bool = True,
                  nondet_tol: float = 0.0, check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False, masked: bool = False) -> bool:
    """Check second derivatives: gradcheck of the map (inputs, grad_outputs) -> input gradients."""
    from .._tensor import Tensor
    from . import grad as ag_grad
    inputs = _as_tuple(inputs)
    diff_idx = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t._rg]
    outs, _ = _diff_outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(Tensor._make(rng.standard_normal(o._data.shape).astype(o._data.dtype), True, None)
                             for o in outs)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_grads(*args):
        ins, gos = args[:n_in], args[n_in:]
        o, _ = _diff_outputs(func, ins)
        gs = ag_grad(o, [ins[i] for i in diff_idx], list(gos), create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grads, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
