"""dtype conversion and copies: ``to``, ``float()``/``double()``/..., ``clone``, ``contiguous``,
``copy_``.  Casts between floating dtypes are differentiable (``ToCopyBackward0``)."""
from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, check_device, device as _device
from ..autograd.grad_mode import GRAD
from ..autograd.graph import edge, node_class
from ._helpers import attach, make, ns, unbroadcast


def _to_bw(ctx, saved, g):
    if type(g) is np.ndarray:
        return (g.astype(ctx, copy=False),)
    return (g.to(D.from_np(ctx)),)


ToCopyBackward0 = node_class("ToCopyBackward0", _to_bw)
CloneBackward0 = node_class("CloneBackward0", lambda c, s, g: (g,))


def _cast(t: Tensor, dt: np.dtype, copy: bool = False) -> Tensor:
    d = t._data
    if d.dtype == dt and not copy:
        return t
    r = d.astype(dt, copy=True)
    if GRAD[0] and t._rg and dt.kind == "f":
        return make(r, True, ToCopyBackward0((edge(t),), d.dtype))
    return make(r, False, None)


def to(self: Tensor, *args, dtype=None, device=None, non_blocking: bool = False, copy: bool = False,
       memory_format=None) -> Tensor:
    """Tensor.to(dtype) / to(device) / to(other): returns ``self`` when nothing changes."""
    for a in args:
        if isinstance(a, (D.dtype, D._Unsupported)) or a in (float, int, bool):
            dtype = a
        elif isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, bool):
            continue  # positional non_blocking / copy flags: nothing to overlap on the CPU
        elif isinstance(a, (str, _device, int)):
            device = a
        else:
            raise TypeError(f"to() received an invalid combination of arguments - got ({type(a).__name__})")
    check_device(device)
    if dtype is None:
        return make(self._data.copy(), False, None) if copy and not self._rg else (self.clone() if copy else self)
    return _cast(self, D.to_dtype(dtype).np, copy)


def clone(input: Tensor, *, memory_format=None) -> Tensor:
    """A differentiable copy."""
    r = input._data.copy()
    if GRAD[0] and input._rg:
        return make(r, True, CloneBackward0((edge(input),)))
    return make(r, False, None)


def contiguous(self: Tensor, memory_format=None) -> Tensor:
    if self._data.flags.c_contiguous:
        return self
    return clone(self)


def _copy_bw(ctx, saved, g):
    src_shape, src_dtype = ctx
    gs = unbroadcast(g, src_shape)
    gs = gs.astype(src_dtype, copy=False) if type(g) is np.ndarray else gs.to(D.from_np(src_dtype))
    return ns(g).zeros_like(g), gs


CopyBackwards = node_class("CopyBackwards", _copy_bw)


def copy_(self: Tensor, src, non_blocking: bool = False) -> Tensor:
    """In-place copy from ``src`` (broadcast, any dtype); differentiable w.r.t. ``src``."""
    from .elementwise import check_inplace
    check_inplace(self)
    sd = src._data if isinstance(src, Tensor) else np.asarray(src)
    d = self._data
    if np.broadcast_shapes(sd.shape, d.shape) != d.shape:
        raise RuntimeError(f"output with shape {list(d.shape)} doesn't match the broadcast shape "
                           f"{list(np.broadcast_shapes(sd.shape, d.shape))}")
    np.copyto(d, sd, casting="unsafe")
    self._vc[0] += 1
    if GRAD[0] and (self._rg or (isinstance(src, Tensor) and src._rg)):
        from .elementwise import _rebase_history
        node = CopyBackwards(((self.grad_fn, self._output_nr) if self.grad_fn is not None else (None, 0),
                              edge(src) if isinstance(src, Tensor) else (None, 0)), (sd.shape, sd.dtype))
        _rebase_history(self, node)
    return self


def _caster(dt):
    def m(self, memory_format=None):
        return _cast(self, dt.np)
    m.__name__ = dt.name
    return m


attach({
    "to": to, "clone": clone, "contiguous": contiguous, "copy_": copy_,
    "float": _caster(D.float32), "double": _caster(D.float64), "half": _caster(D.float16),
    "long": _caster(D.int64), "int": _caster(D.int32), "short": _caster(D.int16), "char": _caster(D.int8),
    "byte": _caster(D.uint8), "bool": _caster(D.bool),
})
__all__ = ["clone"]
