"""Custom differentiable operations: ``torch.autograd.Function``.

Write ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` as static methods (or the
newer ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``) and call ``apply``.
As in torch, ``ctx`` is the graph node itself (``MyFnBackward``); forward runs with grad
recording off; ``backward`` receives and returns Tensors, one gradient per forward argument.
"""
from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .grad_mode import GRAD, no_grad
from .graph import NO_EDGE, Node, edge, unpack_saved


class FunctionCtx:
    """The ``ctx`` API: save tensors, read them back, mark outputs."""

    def save_for_backward(self, *tensors) -> None:
        from .._tensor import Tensor
        recs = []
        for t in tensors:
            if t is None:
                recs.append((None, None, [0], 0))
            elif not isinstance(t, Tensor):
                raise TypeError("save_for_backward can only save variables, but argument "
                                f"{len(recs)} is of type {type(t).__name__}")
            else:
                recs.append((t, t._data, t._vc, t._vc[0]))
        self._to_save = tuple(recs)

    def save_for_forward(self, *tensors) -> None:
        self._for_forward = tensors

    @property
    def saved_tensors(self) -> tuple:
        return tuple(unpack_saved(self, True)) if isinstance(self, Node) else self._to_save_tensors()

    def _to_save_tensors(self):
        return tuple(r[0] for r in getattr(self, "_to_save", ()))

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_diff = set(id(t) for t in tensors)

    def mark_dirty(self, *tensors) -> None:
        self._dirty = set(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value

    materialize_grads = True
    needs_input_grad: tuple = ()


class BackwardCFunction(Node, FunctionCtx):
    """Node type of a custom Function's graph (one subclass per Function, ``<Name>Backward``)."""

    __slots__ = ()
    _fn_cls: Any = None

    @staticmethod
    def _bw(ctx, saved, g):
        raise AssertionError  # replaced per instance class below


def _function_bw(node, g):
    from .._tensor import Tensor
    as_tensors = not (isinstance(g, np.ndarray) or (isinstance(g, list) and any(isinstance(x, np.ndarray) for x in g)))
    gl = g if isinstance(g, list) else [g]
    outs_meta = node._out_meta
    grads = []
    for i, x in enumerate(gl):
        if x is None:
            if node.materialize_grads:
                shp, dt = outs_meta[i]
                x = Tensor._make(np.zeros(shp, dtype=dt), False, None)
            grads.append(x)
        else:
            grads.append(x if isinstance(x, Tensor) else Tensor._make(x, False, None))
    res = node._fn_cls.backward(node, *grads)
    if not isinstance(res, tuple):
        res = (res,)
    n_in = len(node.next_functions)
    if len(res) != n_in:
        if len(res) > n_in and all(r is None for r in res[n_in:]):
            res = res[:n_in]
        else:
            raise RuntimeError(f"function {type(node).__name__} returned an incorrect number of gradients "
                               f"(expected {n_in}, got {len(res)})")
    out = []
    for i, (r, (nxt, _)) in enumerate(zip(res, node.next_functions)):
        if r is None or nxt is None:
            out.append(None)
            continue
        if not isinstance(r, Tensor):
            raise TypeError(f"function {type(node).__name__} returned a gradient of type {type(r).__name__} "
                            f"at index {i}, expected a Tensor or None")
        shp = node._in_shapes[i]
        if r._data.shape != shp:
            if np.prod(r._data.shape) == np.prod(shp) or _broadcastable(r._data.shape, shp):
                from .._ops._helpers import unbroadcast
                r = unbroadcast(r, shp) if _broadcastable(shp, r._data.shape) and len(r._data.shape) >= len(shp) \
                    else r.reshape(shp)
            else:
                raise RuntimeError(f"Function {type(node).__name__} returned an invalid gradient at index {i} - got "
                                   f"{list(r._data.shape)} but expected shape compatible with {list(shp)}")
        out.append(r if as_tensors else r._data)
    return tuple(out)


def _broadcastable(src, dst) -> bool:
    try:
        return np.broadcast_shapes(src, dst) == tuple(dst) or np.broadcast_shapes(src, dst) == tuple(src)
    except ValueError:
        return False


class FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        bw_cls = type(name + "Backward", (BackwardCFunction,), {"__slots__": ("_out_meta", "_in_shapes")})
        bw_cls._fn_cls = cls
        cls._backward_cls = bw_cls


class Function(FunctionCtx, metaclass=FunctionMeta):
    """Base class of custom autograd operations (see module docstring)."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it "
                                  "with forward mode AD.")

    def __init__(self, *args, **kwargs) -> None:
        import warnings
        warnings.warn(f"{type(self)} should not be instantiated. Methods on autograd functions are all static, "
                      "so you should invoke them on the class itself. Instantiating an autograd function will "
                      "raise an error in a future version of PyTorch.", DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. Please use "
                           "new-style autograd function with static forward method. (Example: "
                           "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @classmethod
    def apply(cls, *args, **kwargs):
        from .._tensor import Tensor
        bw_cls = cls._backward_cls
        node = bw_cls.__new__(bw_cls)
        Node.__init__(node, tuple(edge(a) if isinstance(a, Tensor) else NO_EDGE for a in args))
        node._ctx = node  # the engine hands ``_ctx`` to the backward: for custom functions it is the node
        node.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
        node._in_shapes = tuple(a._data.shape if isinstance(a, Tensor) else None for a in args)
        record = GRAD[0] and any(node.needs_input_grad)
        custom_setup = cls.setup_context is not Function.setup_context
        with no_grad():
            if custom_setup:
                output = cls.forward(*args, **kwargs)
            else:
                output = cls.forward(node, *args, **kwargs)
        if custom_setup:
            cls.setup_context(node, args, output)
        node._saved = getattr(node, "_to_save", ())
        single = not isinstance(output, tuple)
        outs = (output,) if single else output
        non_diff = getattr(node, "_non_diff", set())
        dirty = getattr(node, "_dirty", set())
        input_ids = {id(a) for a in args if isinstance(a, Tensor)}
        new_outs = []
        metas = []
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                new_outs.append(o)
                metas.append(None)
                continue
            metas.append((o._data.shape, o._data.dtype))
            if record and id(o) not in non_diff and o._data.dtype.kind == "f":
                if id(o) in input_ids and id(o) not in dirty:
                    o2 = Tensor._make(o._data, True, node)  # an input returned as is: a fresh alias
                    o2._vc = o._vc
                    o = o2
                else:
                    if id(o) in dirty and o.grad_fn is None and o._rg:
                        raise RuntimeError("a leaf Variable that requires grad has been used in an in-place "
                                           "operation.")
                    o.grad_fn = node
                    o._rg = True
                o._output_nr = i
            elif id(o) in non_diff:
                o._rg = False
            new_outs.append(o)
        node._out_meta = tuple(m if m is not None else ((), np.float32) for m in metas)
        if record and not single:
            node.__dict__["_n_out"] = len(outs)
        return new_outs[0] if single else tuple(new_outs)


# the engine calls ``node._bw(ctx, saved, g)``; for custom functions ctx *is* the node
def _install():
    def bw(ctx, saved, g):
        return _function_bw(ctx, g)
    BackwardCFunction._bw = staticmethod(bw)


_install()


def once_differentiable(fn):
    """Decorator for ``backward``: run it without recording a graph (no double backward)."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)
    return wrapper
