"""``nn.Parameter``: a Tensor that a Module registers as learnable, and the uninitialised
placeholders used by lazy modules."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .. import _dtype as D

__all__ = ["Parameter", "UninitializedParameter", "UninitializedBuffer", "Buffer", "is_lazy"]


class Parameter(Tensor):
    """A Tensor subclass that requires grad by default and is registered by Modules.

    ``Parameter(data=None, requires_grad=True)``; shares memory (and version counter) with
    ``data``; prints as torch does (``Parameter containing:`` then the tensor).
    """

    def __new__(cls, data=None, requires_grad: bool = True):
        if data is None:
            data = Tensor._make(np.empty((0,), dtype=D.get_default_dtype().np), False, None)
        if not isinstance(data, Tensor):
            raise AttributeError(f"'{type(data).__name__}' object has no attribute 'detach'")
        if requires_grad and data._data.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        return cls._make_subclass(data, requires_grad)

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + Tensor.__repr__(self)

    def __deepcopy__(self, memo):
        # as torch: a fresh copy of the data with the same requires_grad (no grad, no attributes)
        if id(self) in memo:
            return memo[id(self)]
        r = type(self)(Tensor._make(self._data.copy(), False, None), self._rg)
        memo[id(self)] = r
        return r

    def __reduce_ex__(self, proto):
        # as torch: rebuilt as a plain Parameter, attributes kept
        state = dict(self.__dict__) if self.__dict__ else None
        return (_rebuild_parameter, (self._data, self._rg, state))


def _rebuild_parameter(data, requires_grad, state=None):
    p = Parameter(Tensor._make(np.array(data), False, None), requires_grad)
    if state:
        p.__dict__.update(state)
    return p


class _BufferMeta(type):
    """``isinstance(t, Buffer)`` is true for the tensors ``Buffer(...)`` returns (plain Tensors
    marked ``_is_buffer``), as in torch."""

    def __instancecheck__(cls, instance) -> bool:
        if cls is Buffer:
            return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """``Buffer(data=None, *, persistent=True)``: marks a tensor to be registered as a buffer
    when assigned to a Module attribute; returns a detached alias of ``data``."""

    def __new__(cls, data=None, *, persistent: bool = True):
        if data is None:
            data = Tensor._make(np.empty((0,), dtype=D.get_default_dtype().np), False, None)
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t


class _UninitializedMixin:
    """Shape-less placeholder: any use except ``materialize`` raises torch's error."""

    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None) -> None:
        dt = D.from_np(self._data.dtype) if dtype is None else D.to_dtype(dtype)
        if isinstance(shape, int):
            shape = (shape,)
        self._data = np.empty(tuple(shape), dtype=dt.np)
        self.__class__ = self.cls_to_become

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, proto):
        return (type(self), (self._rg,))

    def __deepcopy__(self, memo):
        if not isinstance(self, Parameter):
            self._fail()
        if id(self) not in memo:
            memo[id(self)] = type(self)(self._rg, dtype=D.from_np(self._data.dtype))
        return memo[id(self)]

    def _fail(self, *a, **k):
        raise ValueError(
            "Attempted to use an uninitialized parameter in ... This error happens when you are using a "
            "`LazyModule` or explicitly manipulating `torch.nn.parameter.UninitializedParameter` objects. "
            "When using LazyModules Call `forward` with a dummy batch to initialize the parameters before "
            "calling torch functions")

    @property
    def shape(self):
        self._fail()

    def size(self, dim=None):
        self._fail()

    def numel(self):
        self._fail()


class UninitializedParameter(_UninitializedMixin, Parameter):
    """A Parameter whose shape is not known yet (lazy modules); becomes a ``Parameter``."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None):
        dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
        data = Tensor._make(np.empty((0,), dtype=dt.np), False, None)
        return cls._make_subclass(data, requires_grad)

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        pass


class UninitializedBuffer(_UninitializedMixin, Tensor):
    """A buffer whose shape is not known yet (lazy modules); becomes a plain Tensor."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None):
        dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
        data = Tensor._make(np.empty((0,), dtype=dt.np), False, None)
        return cls._make_subclass(data, requires_grad)

    def __init__(self, requires_grad: bool = False, device=None, dtype=None) -> None:
        pass


def is_lazy(param) -> bool:
    return isinstance(param, _UninitializedMixin)
