"""In-place semantics shared by every ``op_`` method: torch's leaf / view-of-leaf guards,
dtype-cast checks, version bumps, and moving the tensor's history onto the new node
(``_rebase_history``; views rebase their base through ``indexing.copy_slices``).

Arithmetic in-place ops (``add_``, ``mul_``, ``x /= 2``...) take a fast path — one ufunc
with ``out=`` — whenever no graph is being recorded, as in optimizer updates.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD
from ..autograd.graph import OUT
from ._helpers import to_scalar


# ------------------------------------------------------------------ in-place machinery
_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to a single memory "
            "location. Please clone() the tensor before performing the operation.")


def check_inplace(t: Tensor) -> None:
    """torch's guards: no in-place op on a leaf that requires grad (or a view of one), on an
    output view of a multi-output op, or on an expanded tensor (overlapping memory)."""
    if t._base is not None:
        from ..autograd import graph
        graph.refresh_view(t)
    if not t._data.flags.writeable:
        raise RuntimeError(_OVERLAP)
    if GRAD[0] and t._rg:
        fn = t.grad_fn
        if fn is not None and fn._n_out > 1 and t._base is not None:
            raise RuntimeError(
                f"Output {t._output_nr} of {_short_name(fn)} is a view and is being modified inplace. This view "
                "is the output of a function that returns multiple views. Such functions do not allow the output "
                "views to be modified inplace. You should replace the inplace operation by an out-of-place one.")
        if t.grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        b = t._base
        if b is not None and b.grad_fn is None and b._rg:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")


def _short_name(fn) -> str:
    n = type(fn).__name__
    return n[:-9] if n.endswith("Backward0") else n


def _cast_check(result_dt: np.dtype, self_dt: np.dtype) -> None:
    rc, sc = D.from_np(result_dt)._cat, D.from_np(self_dt)._cat
    if rc > sc:
        raise RuntimeError(f"result type {_legacy(result_dt)} can't be cast to the desired output type {_legacy(self_dt)}")


def _legacy(dt):
    from ..autograd.graph import _LEGACY
    return _LEGACY.get(np.dtype(dt).name, np.dtype(dt).name)


def apply_inplace(self: Tensor, fn, *args, **kwargs) -> Tensor:
    """Run the out-of-place ``fn(self, ...)`` and write its result into ``self``.

    Under grad recording, ``fn`` sees a snapshot of ``self`` (so backward uses the original
    values, as torch's in-place derivatives do) and ``self`` takes over the result's grad_fn.
    """
    check_inplace(self)
    rec = GRAD[0]
    if rec and self._rg:
        snap = Tensor._make(self._data.copy(), True, self.grad_fn)
        snap._output_nr = self._output_nr
        res = fn(snap, *args, **kwargs)
    else:
        res = fn(self, *args, **kwargs)
    r = res._data
    sd = self._data
    _cast_check(r.dtype, sd.dtype)
    if r.shape != sd.shape:
        if np.broadcast_shapes(r.shape, sd.shape) != sd.shape:
            raise RuntimeError(
                f"output with shape {list(sd.shape)} doesn't match the broadcast shape {list(r.shape)}")
    np.copyto(sd, r, casting="unsafe")
    self._vc[0] += 1
    fn = res.grad_fn
    if rec and fn is not None:
        if fn._saved:
            # an op that saved its output (exp_, sigmoid_, ...) saved ``self``: later in-place
            # changes to ``self`` must be caught, as in torch
            fn._saved = tuple((OUT, sd, self._vc, self._vc[0]) if rec_[0] is OUT else rec_ for rec_ in fn._saved)
        _rebase_history(self, fn)
    return self


def _rebase_history(self: Tensor, fn) -> None:
    base = self._base
    if base is not None and (base._rg or True) and getattr(self, "_view_fn", None) is not None:
        from .indexing import copy_slices
        copy_slices(base, self, fn)
        return
    self.grad_fn = fn
    self._rg = True
    self._output_nr = 0


def _fast_inplace(ufunc):
    """In-place arithmetic: one ufunc with ``out=`` when no graph is recorded."""
    def op(self, other, *, alpha=1):
        if not (GRAD[0] and (self._rg or (isinstance(other, Tensor) and other._rg))):
            sd = self._data
            if not sd.flags.writeable:
                raise RuntimeError(_OVERLAP)
            o = other._data if isinstance(other, Tensor) else to_scalar(other)
            if o is None:
                raise TypeError(f"unsupported operand type: {type(other).__name__}")
            if alpha != 1:
                o = o * alpha
            od = o.dtype if isinstance(o, np.ndarray) else None
            sk = sd.dtype.kind
            if ufunc is np.divide and sk != "f":
                _cast_check(D.get_default_dtype().np, sd.dtype)
            if od is not None and od != sd.dtype:
                _cast_check(D.result_type(self, other).np, sd.dtype)
            elif od is None and sk != "f" and type(o) is float:
                _cast_check(D.get_default_dtype().np, sd.dtype)
            if isinstance(o, np.ndarray) and o.ndim > sd.ndim or (isinstance(o, np.ndarray) and
                                                                  np.broadcast_shapes(o.shape, sd.shape) != sd.shape):
                raise RuntimeError(f"output with shape {list(sd.shape)} doesn't match the broadcast shape "
                                   f"{list(np.broadcast_shapes(o.shape, sd.shape))}")
            ufunc(sd, o, out=sd, casting="unsafe")
            self._vc[0] += 1
            return self
        from .elementwise import add, div, mul, sub
        f = {np.add: add, np.subtract: sub, np.multiply: mul, np.divide: div}[ufunc]
        if alpha != 1:
            return apply_inplace(self, f, other, alpha=alpha)
        return apply_inplace(self, f, other)
    return op


add_ = _fast_inplace(np.add)
sub_ = _fast_inplace(np.subtract)
mul_ = _fast_inplace(np.multiply)
_div_ip = _fast_inplace(np.divide)


def div_(self, other, *, rounding_mode=None):
    if rounding_mode is None:
        return _div_ip(self, other)
    from .elementwise import div
    return apply_inplace(self, div, other, rounding_mode=rounding_mode)






def inplace_method(f):
    """``Tensor.op_`` from the out-of-place ``op``: same arguments, result written into self."""
    def op(self, *args, **kwargs):
        return apply_inplace(self, f, *args, **kwargs)
    op.__name__ = op.__qualname__ = f.__name__ + "_"
    op.__doc__ = f"In-place form of ``{f.__name__}``."
    return op
