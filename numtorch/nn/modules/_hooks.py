"""Hook plumbing for ``nn.Module``: the global ``register_module_*`` hooks, handles that
clean their side tables, ``_WrappedHook`` (a hook bound weakly to its module), the hooked
``__call__`` path, and the two identity graph nodes that let full backward hooks see the
gradients w.r.t. a module's outputs (pre-hooks) and inputs (hooks), as torch's
``BackwardHookFunction`` does."""
from __future__ import annotations

import warnings
import weakref
from collections import OrderedDict
from typing import Callable

import numpy as np

from ..._tensor import Tensor
from ...autograd.grad_mode import GRAD
from ...autograd.graph import RemovableHandle as _BaseHandle, edge, node_class

__all__ = ["register_module_forward_pre_hook", "register_module_forward_hook",
           "register_module_full_backward_pre_hook", "register_module_backward_hook",
           "register_module_full_backward_hook", "register_module_buffer_registration_hook",
           "register_module_module_registration_hook", "register_module_parameter_registration_hook"]

# OrderedDict (not dict) as in torch: ordered, ``move_to_end`` for prepend, weak-referenceable.
_global_backward_pre_hooks: "OrderedDict[int, Callable]" = OrderedDict()
_global_backward_hooks: "OrderedDict[int, Callable]" = OrderedDict()
_global_is_full_backward_hook = None
_global_forward_pre_hooks: "OrderedDict[int, Callable]" = OrderedDict()
_global_forward_hooks: "OrderedDict[int, Callable]" = OrderedDict()
_global_forward_hooks_always_called: "OrderedDict[int, bool]" = OrderedDict()
_global_forward_hooks_with_kwargs: "OrderedDict[int, bool]" = OrderedDict()
_global_buffer_registration_hooks: "OrderedDict[int, Callable]" = OrderedDict()
_global_module_registration_hooks: "OrderedDict[int, Callable]" = OrderedDict()
_global_parameter_registration_hooks: "OrderedDict[int, Callable]" = OrderedDict()


class RemovableHandle(_BaseHandle):
    """A hook's handle; ``remove()`` also cleans the side tables (with_kwargs / always_call)."""

    def __init__(self, hooks_dict, *, extra_dict=None) -> None:
        super().__init__(hooks_dict)
        if extra_dict is None:
            extra_dict = ()
        elif isinstance(extra_dict, dict):
            extra_dict = (extra_dict,)
        self._extras = tuple(weakref.ref(d) for d in extra_dict)

    def remove(self) -> None:
        super().remove()
        for r in self._extras:
            d = r()
            if d is not None and self.id in d:
                del d[self.id]

    def __getstate__(self):
        c = self._ref() if self._ref is not None else None
        return (c, self.id, tuple(r() for r in self._extras))

    def __setstate__(self, state) -> None:
        c, self.id, extras = state
        self._ref = weakref.ref(OrderedDict() if c is None else c)
        self._extras = tuple(weakref.ref(d) for d in extras if d is not None)


def _register(d: OrderedDict, hook, extras=(), prepend: bool = False) -> RemovableHandle:
    """Add ``hook`` to ``d`` (first with ``prepend``); ``extras`` are side tables set to True."""
    h = RemovableHandle(d, extra_dict=tuple(extras))
    d[h.id] = hook
    if prepend:
        d.move_to_end(h.id, last=False)
    for e in extras:
        e[h.id] = True
    return h


class _WrappedHook:
    """``hook`` with its module passed first; the module is held weakly (no reference cycle)."""

    def __init__(self, hook: Callable, module=None) -> None:
        self.hook = hook
        functools_update(self, hook)
        self.with_module = module is not None
        if self.with_module:
            self.module = weakref.ref(module)

    def __call__(self, *args, **kwargs):
        if self.with_module:
            module = self.module()
            if module is None:
                raise RuntimeError("You are trying to call the hook of a dead Module!")
            return self.hook(module, *args, **kwargs)
        return self.hook(*args, **kwargs)

    def __getstate__(self):
        state = {"hook": self.hook, "with_module": self.with_module}
        if self.with_module:
            state["module"] = self.module()
        return state

    def __setstate__(self, state) -> None:
        self.hook = state["hook"]
        self.with_module = state["with_module"]
        if self.with_module:
            if state["module"] is None:
                raise RuntimeError("You are trying to revive the hook of a dead Module!")
            self.module = weakref.ref(state["module"])


def functools_update(wrapper, wrapped) -> None:
    for a in ("__module__", "__name__", "__qualname__", "__doc__"):
        try:
            setattr(wrapper, a, getattr(wrapped, a))
        except AttributeError:
            pass


def _warn(msg: str, category=UserWarning) -> None:
    """Warn at the first frame outside numtorch (the user's call or ``backward()`` line)."""
    import os
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    level, f = 2, sys._getframe(1)
    while f is not None and os.path.abspath(f.f_code.co_filename).startswith(root + os.sep):
        f = f.f_back
        level += 1
    warnings.warn(msg, category, stacklevel=level)


# --------------------------------------------------------------------------- global hooks
def register_module_forward_pre_hook(hook: Callable) -> RemovableHandle:
    """A forward pre-hook for every module (runs before the module's own)."""
    return _register(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook: Callable, *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """A forward hook for every module (runs before the module's own)."""
    extras = []
    if with_kwargs:
        extras.append(_global_forward_hooks_with_kwargs)
    if always_call:
        extras.append(_global_forward_hooks_always_called)
    return _register(_global_forward_hooks, hook, extras)


def register_module_full_backward_pre_hook(hook: Callable) -> RemovableHandle:
    return _register(_global_backward_pre_hooks, hook)


def _set_global_full(full: bool) -> None:
    global _global_is_full_backward_hook
    if _global_is_full_backward_hook is (not full):
        raise RuntimeError("Cannot use both regular backward hooks and full backward hooks as a global Module "
                           "hook. Please use only one of them.")
    _global_is_full_backward_hook = full


def register_module_backward_hook(hook: Callable) -> RemovableHandle:
    """The deprecated (non-full) backward hook, for every module."""
    _set_global_full(False)
    return _register(_global_backward_hooks, hook)


def register_module_full_backward_hook(hook: Callable) -> RemovableHandle:
    _set_global_full(True)
    return _register(_global_backward_hooks, hook)


def register_module_buffer_registration_hook(hook: Callable) -> RemovableHandle:
    return _register(_global_buffer_registration_hooks, hook)


def register_module_module_registration_hook(hook: Callable) -> RemovableHandle:
    return _register(_global_module_registration_hooks, hook)


def register_module_parameter_registration_hook(hook: Callable) -> RemovableHandle:
    return _register(_global_parameter_registration_hooks, hook)


# --------------------------------------------------------------------------- the hooked call
_OUT_TYPE_WARN = "For backward hooks to be called, module output should be a Tensor or a tuple of Tensors but received {}"
_ALWAYS_WARN = ("{}module forward hook with ``always_call=True`` raised an exception that was silenced as another "
                "error was raised in forward: {}")


def hooked_call(m, args: tuple, kwargs: dict):
    """``Module.__call__`` when any hook is registered (torch's ordering: global hooks first)."""
    bw_pre = m._get_backward_pre_hooks() if (m._backward_pre_hooks or _global_backward_pre_hooks) else []
    full, non_full = m._get_backward_hooks() if (m._backward_hooks or _global_backward_hooks) else ([], [])
    called_always = set()
    result = None
    try:
        for hid, hook in (*_global_forward_pre_hooks.items(), *m._forward_pre_hooks.items()):
            if hid in m._forward_pre_hooks_with_kwargs:
                r = hook(m, args, kwargs)
                if r is not None:
                    if isinstance(r, tuple) and len(r) == 2:
                        args, kwargs = r
                    else:
                        raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, "
                                           f"new_kwargs), but got {r}.")
            else:
                r = hook(m, args)
                if r is not None:
                    args = r if isinstance(r, tuple) else (r,)
        state = None
        if full or bw_pre:
            state = _BackwardHookState(m, full, bw_pre)
            args = state.wrap_inputs(args)
        result = m.forward(*args, **kwargs)
        for hid, hook in (*_global_forward_hooks.items(), *m._forward_hooks.items()):
            if hid in m._forward_hooks_always_called or hid in _global_forward_hooks_always_called:
                called_always.add(hid)
            if hid in m._forward_hooks_with_kwargs or hid in _global_forward_hooks_with_kwargs:
                r = hook(m, args, kwargs, result)
            else:
                r = hook(m, args, result)
            if r is not None:
                result = r
        if state is not None:
            result = state.wrap_outputs(result)
        if non_full:
            _attach_non_full(m, non_full, args, result)
        return result
    except Exception:
        for hid, hook in _global_forward_hooks.items():
            if hid in _global_forward_hooks_always_called and hid not in called_always:
                try:
                    r = hook(m, args, result)
                    if r is not None:
                        result = r
                except Exception as e:  # noqa: BLE001 - silenced as torch does
                    _warn(_ALWAYS_WARN.format("global ", e))
        for hid, hook in m._forward_hooks.items():
            if hid in m._forward_hooks_always_called and hid not in called_always:
                try:
                    if hid in m._forward_hooks_with_kwargs:
                        r = hook(m, args, kwargs, result)
                    else:
                        r = hook(m, args, result)
                    if r is not None:
                        result = r
                except Exception as e:  # noqa: BLE001
                    _warn(_ALWAYS_WARN.format("", e))
        raise


# --------------------------------------------------------------------------- non-full backward hooks
_NF = "Please use register_full_backward_hook to get the documented behavior."


def _attach_non_full(m, hooks, args, result) -> None:
    var = result
    while not isinstance(var, Tensor):
        if isinstance(var, dict):
            var = next(v for v in var.values() if isinstance(v, Tensor))
        else:
            var = var[0]
    fn = var.grad_fn
    if fn is None:
        return
    for hook in hooks:
        fn.register_hook(_WrappedHook(hook, m))
    if not (isinstance(result, Tensor) or (isinstance(result, tuple) and all(isinstance(r, Tensor) for r in result))):
        msg = ("Using non-full backward hooks on a Module that does not return a single Tensor or a tuple of "
               "Tensors is deprecated and will be removed in future versions. This hook will be missing some of "
               "the grad_output. " + _NF)
    elif not all(isinstance(a, Tensor) for a in args):
        msg = ("Using non-full backward hooks on a Module that does not take as input a single Tensor or a tuple "
               "of Tensors is deprecated and will be removed in future versions. This hook will be missing some "
               "of the grad_input. " + _NF)
    else:
        outs = result if isinstance(result, tuple) else (result,)
        out_fns = {o.grad_fn for o in outs if o.grad_fn is not None}
        if len(out_fns) > 1:
            msg = ("Using a non-full backward hook when outputs are generated by different autograd Nodes is "
                   "deprecated and will be removed in future versions. This hook will be missing some grad_output. "
                   + _NF)
        elif {a.grad_fn for a in args if a.grad_fn is not None} != {n for n, _ in fn.next_functions}:
            msg = ("Using a non-full backward hook when the forward contains multiple autograd Nodes is deprecated "
                   "and will be removed in future versions. This hook will be missing some grad_input. " + _NF)
        else:
            return
    _warn(msg, FutureWarning)


# --------------------------------------------------------------------------- full backward hooks
_NO_INPUT_GRAD_WARN = ("Full backward hook is firing when gradients are computed with respect to module outputs "
                       "since no inputs require gradients. See https://docs.pytorch.org/docs/main/generated/"
                       "torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more details.")


class _BackwardHookState:
    """One hooked forward call: where its input/output tensors sit, and the grad_outputs seen."""

    __slots__ = ("module", "full", "pre", "n_args", "in_meta", "in_pos", "out_meta", "out_pos", "out_len",
                 "grad_outputs")

    def __init__(self, module, full, pre) -> None:
        self.module = module
        self.full = full
        self.pre = pre
        self.in_pos = []
        self.grad_outputs = None

    def wrap_inputs(self, args: tuple) -> tuple:
        self.n_args = len(args)
        # every tensor argument gets a gradient slot (zeros when none flows), others None
        self.in_meta = [(t._data.shape, t._data.dtype) if isinstance(t, Tensor) else None for t in args]
        if not GRAD[0]:
            return args
        new, self.in_pos = _wrap_identity(list(args), _PostHookNode, self)
        return tuple(new)

    def wrap_outputs(self, result):
        if isinstance(result, Tensor):
            flat, rebuild = [result], None
        elif isinstance(result, tuple):
            flat = list(result)
            rebuild = (lambda xs: type(result)(*xs)) if hasattr(result, "_fields") else tuple
        else:
            _warn(_OUT_TYPE_WARN.format(type(result)))
            return result
        if not GRAD[0]:
            return result
        self.out_len = len(flat)
        self.out_meta = [(t._data.shape, t._data.dtype) if isinstance(t, Tensor) else None for t in flat]
        new, self.out_pos = _wrap_identity(flat, _PreHookNode, self)
        if not self.out_pos:
            return result
        return new[0] if rebuild is None else rebuild(new)


def _as_tensor(g):
    return g if g is None or isinstance(g, Tensor) else Tensor._make(g, False, None)


def _check_replaced(new, old, n: int, what: str):
    """torch's checks on a tuple returned by a backward (pre-)hook."""
    if len(new) != n:
        raise RuntimeError(f"Backward {what} returned an invalid number of {'grad_input' if what == 'hook' else 'grad_output'}"
                           f", got {len(new)}, but expected {n}")
    out = []
    for v, o in zip(new, old):
        if v is not None:
            if not isinstance(v, Tensor):
                raise TypeError(f"expected Variable, but hook returned '{type(v).__name__}'")
            if o is not None:
                if v._data.shape != o._data.shape:
                    raise RuntimeError("hook 'hook' has changed the size of value")
                if v._data.dtype != o._data.dtype:
                    raise RuntimeError(f"hook 'hook' has changed the type of value (was {o.type()} got {v.type()})")
        out.append(v)
    return tuple(out)


def _call_full_hooks(state, grad_input: tuple) -> tuple:
    m = state.module
    for hook in state.full:
        r = hook(m, grad_input, state.grad_outputs)
        if r is not None:
            grad_input = _check_replaced(r, grad_input, len(grad_input), "hook")
    return grad_input


def _zeros(meta):
    shape, dt = meta
    return Tensor._make(np.zeros(shape, dtype=dt), False, None)


def _pre_bw(state, saved, g):
    """Output side: grads w.r.t. the module's outputs arrive; backward pre-hooks may replace them."""
    gl = g if isinstance(g, list) else [g]
    as_arrays = any(isinstance(x, np.ndarray) for x in gl)
    full = [None] * state.out_len
    for k, i in enumerate(state.out_pos):
        full[i] = _as_tensor(gl[k])
    go = tuple(full)
    m = state.module
    for hook in state.pre:
        r = hook(m, go)
        if r is not None:
            go = _check_replaced(r, go, len(go), "pre hook")
    state.grad_outputs = go
    if not state.in_pos:  # no input needs grad: the hooks fire from here
        _warn(_NO_INPUT_GRAD_WARN)
        _call_full_hooks(state, (None,) * state.n_args)
        state.grad_outputs = None
    res = []
    for i in state.out_pos:  # like a custom Function, missing grads become zeros
        v = go[i] if go[i] is not None else _zeros(state.out_meta[i])
        res.append(v._data if as_arrays else v)
    return tuple(res)


def _post_bw(state, saved, g):
    """Input side: grads w.r.t. the module's inputs are known; backward hooks see them."""
    gl = g if isinstance(g, list) else [g]
    as_arrays = any(isinstance(x, np.ndarray) for x in gl)
    full = [None if meta is None else _zeros(meta) for meta in state.in_meta]
    for k, i in enumerate(state.in_pos):
        if gl[k] is not None:
            full[i] = _as_tensor(gl[k])
    gi = tuple(full)
    # no grad_outputs: the gradient reached the inputs without passing through the outputs
    # (double backward, or an output type the hooks cannot wrap): the hooks are not called
    if state.grad_outputs is not None:
        gi = _call_full_hooks(state, gi)
    state.grad_outputs = None
    res = []
    for i in state.in_pos:
        v = gi[i]
        res.append(v._data if (as_arrays and v is not None) else v)
    return tuple(res)


_PreHookNode = node_class("BackwardHookFunctionBackward", _pre_bw)
_PostHookNode = node_class("BackwardHookFunctionBackward", _post_bw)


def _wrap_identity(tensors: list, cls, state):
    """Route ``tensors`` (those requiring grad) through one multi-output identity node."""
    idx = [i for i, t in enumerate(tensors) if isinstance(t, Tensor) and t._rg]
    if not idx:
        return tensors, idx
    node = cls(tuple(edge(tensors[i]) for i in idx), state)
    if len(idx) != 1:
        node.__dict__["_n_out"] = len(idx)
    out = list(tensors)
    for k, i in enumerate(idx):
        t = tensors[i]
        a = Tensor._make(t._data, True, node)
        a._vc = t._vc
        a._output_nr = k
        out[i] = a
    return out, idx
