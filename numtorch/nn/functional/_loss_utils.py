"""Helpers shared by the loss modules of ``numtorch.nn.functional``."""
from __future__ import annotations

import warnings

import numpy as np

from ..._tensor import Tensor
from ...autograd.grad_mode import GRAD
from ...autograd.graph import CONST_VC

_RED = {"none": 0, "mean": 1, "sum": 2}
_ndarray = np.ndarray
_f16 = np.dtype(np.float16)
_LEGACY = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
           "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _legacy_reduction(size_average, reduce) -> str:
    """torch's mapping of the deprecated ``size_average``/``reduce`` pair (with its warning)."""
    sa = True if size_average is None else size_average
    r = True if reduce is None else reduce
    ret = ("mean" if sa else "sum") if r else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                  stacklevel=3)
    return ret


def _rcode(reduction) -> int:
    r = _RED.get(reduction) if isinstance(reduction, str) else None
    if r is None:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return r


def _reduction(size_average, reduce, reduction) -> int:
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    return _rcode(reduction)


def _tname(dt) -> str:
    n = np.dtype(dt).name
    return _LEGACY.get(n, n)


def _size(shape) -> str:
    return f"torch.Size([{', '.join(str(s) for s in shape)}])"


def _check_tensor(x, fname, argname, pos):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument '{argname}' (position {pos}) must be Tensor, not {type(x).__name__}")


def _apply_reduction(t: Tensor, red: int) -> Tensor:
    if red == 1:
        return t.mean()
    if red == 2:
        return t.sum()
    return t


def _cfmt(v) -> str:
    """A number as C++'s ostream prints a double (``2`` for 2.0)."""
    return f"{v:g}" if isinstance(v, float) else str(v)


def _no_grad_arg(t, fname, argname):
    if t is not None and GRAD[0] and t._rg:
        raise RuntimeError(f"The function '{fname}' is not differentiable with respect to argument '{argname}'. "
                           "This input cannot have requires_grad True.")


def _regrad(comp, tensors, needs, g):
    """Tensor branch of a fused backward (``create_graph=True``): rebuild the loss from
    differentiable ops and differentiate it, so the result carries a graph itself."""
    from ...autograd import grad as _grad
    out = comp(*tensors)
    ins = [t for t, n in zip(tensors, needs) if n]
    gs = iter(_grad(out, ins, g, create_graph=True, allow_unused=True))
    return tuple(next(gs) if n else None for n in needs)


def _rec(t, a):
    """A saved record for an operand: the tensor (no version check: the array branch does not
    read it back, the create_graph branch recomputes from it) or a constant array."""
    if t is None:
        return (None, a, CONST_VC, 0)
    return (t, a, CONST_VC, 0)


def _size_warning(input, target, stacklevel=3):
    warnings.warn(f"Using a target size ({_size(target.shape)}) that is different to the input size "
                  f"({_size(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
                  "Please ensure they have the same size.", stacklevel=stacklevel)


def _sum_arr(L: np.ndarray):
    if L.dtype == _f16:
        return np.asarray(L.sum(dtype=np.float32), dtype=_f16)
    return np.asarray(L.sum())


def _reduce_arr(L: np.ndarray, red: int):
    if red == 0:
        return L
    if red == 2:
        return _sum_arr(L)
    if L.size == 0:
        return np.asarray(np.nan, dtype=L.dtype)
    if L.dtype == _f16:
        return np.asarray(L.mean(dtype=np.float32), dtype=_f16)
    return np.asarray(L.mean())



_ARANGE = {}


def _arange(n):
    """``np.arange(n)`` (read-only; a few small ones are kept for the per-step hot path)."""
    r = _ARANGE.get(n)
    if r is None:
        r = np.arange(n)
        if n <= 1 << 16 and len(_ARANGE) < 32:
            r.flags.writeable = False
            _ARANGE[n] = r
    return r
