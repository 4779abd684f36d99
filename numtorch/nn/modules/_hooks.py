"""Hook plumbing for ``nn.Module``: the global ``register_module_*`` hooks, handles that
clean their side tables, and the two identity graph nodes that let full backward hooks see
the gradients w.r.t. a module's outputs (pre-hooks) and inputs (hooks), as torch's
``BackwardHookFunction`` does."""
from __future__ import annotations

import itertools
from collections import OrderedDict
from typing import Callable, Dict

import numpy as np

from ..._tensor import Tensor
from ...autograd.graph import RemovableHandle, edge, node_class

__all__ = ["register_module_forward_pre_hook", "register_module_forward_hook",
           "register_module_full_backward_pre_hook", "register_module_full_backward_hook",
           "register_module_buffer_registration_hook", "register_module_module_registration_hook",
           "register_module_parameter_registration_hook"]


class _HookDictG(OrderedDict):
    """Hook registry; weak-referenceable so a handle does not keep it alive."""


_global_forward_pre_hooks: Dict[int, Callable] = _HookDictG()
_global_forward_hooks: Dict[int, Callable] = _HookDictG()
_global_forward_hooks_always_called: Dict[int, bool] = _HookDictG()
_global_backward_pre_hooks: Dict[int, Callable] = _HookDictG()
_global_backward_hooks: Dict[int, Callable] = _HookDictG()
_global_buffer_registration_hooks: Dict[int, Callable] = _HookDictG()
_global_module_registration_hooks: Dict[int, Callable] = _HookDictG()
_global_parameter_registration_hooks: Dict[int, Callable] = _HookDictG()



_HookDict = _HookDictG


class _Handle(RemovableHandle):
    """A handle that also cleans the side tables (with_kwargs / always_call flags)."""

    def __init__(self, container, extras=()) -> None:
        super().__init__(container)
        import weakref
        self._extras = [weakref.ref(e) for e in extras]

    def remove(self) -> None:
        super().remove()
        for r in self._extras:
            e = r()
            if e is not None and self.id in e:
                del e[self.id]


def _register(d: dict, hook, extras=(), prepend: bool = False) -> _Handle:
    h = _Handle(d, [e for e, _ in extras])
    d[h.id] = hook
    if prepend:
        d.move_to_end(h.id, last=False)
    for e, v in extras:
        e[h.id] = v
    return h


def register_module_forward_pre_hook(hook: Callable) -> RemovableHandle:
    """A forward pre-hook for every module (runs before the module's own)."""
    return _register(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook: Callable, *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """A forward hook for every module (runs before the module's own)."""
    if with_kwargs:
        raise NotImplementedError("register_module_forward_hook: with_kwargs=True is not supported for global hooks")
    return _register(_global_forward_hooks, hook, [(_global_forward_hooks_always_called, always_call)]
                     if always_call else [])


def register_module_full_backward_pre_hook(hook: Callable) -> RemovableHandle:
    return _register(_global_backward_pre_hooks, hook)


def register_module_full_backward_hook(hook: Callable) -> RemovableHandle:
    return _register(_global_backward_hooks, hook)


def register_module_buffer_registration_hook(hook: Callable) -> RemovableHandle:
    return _register(_global_buffer_registration_hooks, hook)


def register_module_module_registration_hook(hook: Callable) -> RemovableHandle:
    return _register(_global_module_registration_hooks, hook)


def register_module_parameter_registration_hook(hook: Callable) -> RemovableHandle:
    return _register(_global_parameter_registration_hooks, hook)


# --------------------------------------------------------------------------- full backward hooks
class _BackwardHookState:
    """Shared by the two identity nodes placed around one hooked forward call."""

    __slots__ = ("module", "grad_outputs", "n_inputs")

    def __init__(self, module, n_inputs):
        self.module = module
        self.grad_outputs = None
        self.n_inputs = n_inputs


def _as_tensors(gs):
    return tuple(g if g is None or isinstance(g, Tensor) else Tensor._make(g, False, None) for g in gs)


def _unwrap_like(new, old):
    out = []
    for n, o in zip(new, old):
        if n is None or o is None or not isinstance(o, np.ndarray):
            out.append(n)
        else:
            out.append(n._data if isinstance(n, Tensor) else n)
    return out


def _pre_bw(ctx, saved, g):
    """Output side: grads w.r.t. the module's outputs arrive; backward pre-hooks may replace them."""
    state = ctx
    gl = list(g) if isinstance(g, list) else [g]
    m = state.module
    gt = _as_tensors(gl)
    for hook in itertools.chain(_global_backward_pre_hooks.values(), m._backward_pre_hooks.values()):
        r = hook(m, gt)
        if r is not None:
            gt = _as_tensors(r if isinstance(r, tuple) else (r,))
    state.grad_outputs = gt
    if state.n_inputs == 0:  # no input needs grad: torch calls the hooks with grad_input None
        _call_backward_hooks(state, (None,))
    return tuple(_unwrap_like(gt, gl))


def _call_backward_hooks(state, grad_input):
    m = state.module
    gi = _as_tensors(grad_input)
    for hook in itertools.chain(_global_backward_hooks.values(), m._backward_hooks.values()):
        r = hook(m, gi, state.grad_outputs)
        if r is not None:
            r = r if isinstance(r, tuple) else (r,)
            if len(r) != len(gi):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got {len(r)}, "
                                   f"but expected {len(gi)}")
            gi = _as_tensors(r)
    return gi


def _post_bw(ctx, saved, g):
    """Input side: grads w.r.t. the module's inputs are known; backward hooks see them."""
    state = ctx
    gl = list(g) if isinstance(g, list) else [g]
    gi = _call_backward_hooks(state, gl)
    return tuple(_unwrap_like(gi, gl))


_PreHookNode = node_class("BackwardHookFunctionBackward", _pre_bw)
_PostHookNode = node_class("BackwardHookFunctionBackward", _post_bw)


def _wrap_identity(tensors, cls, state):
    """Route ``tensors`` (those requiring grad) through one multi-output identity node."""
    idx = [i for i, t in enumerate(tensors) if isinstance(t, Tensor) and t._rg]
    if not idx:
        return list(tensors), 0
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
    return out, len(idx)


def _flatten_out(result):
    if isinstance(result, Tensor):
        return [result], lambda xs: xs[0]
    if isinstance(result, tuple) and not hasattr(result, "_fields"):
        return list(result), tuple
    if isinstance(result, list):
        return list(result), list
    return None, None


