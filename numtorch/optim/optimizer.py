"""``Optimizer``: the base class of numtorch's optimizers, matching torch 2.13's.

What is matched (observed by running torch 2.13):

* construction from an iterable of tensors, of ``(name, tensor)`` pairs or of param-group
  dicts, with torch's errors ("optimizer got an empty parameter list", "can't optimize a
  non-leaf Tensor", "some parameters appear in more than one parameter group", sets
  rejected, the duplicate-parameter warning) and group keys in torch's order (``params``,
  ``param_names``, the group's own keys, then the defaults);
* ``state``: a ``defaultdict(dict)`` keyed by parameter; ``state_dict()`` in torch's layout
  (``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``, state
  tensors by reference, groups copied); ``load_state_dict`` with torch's size checks and
  messages, casting floating state to each parameter's dtype except ``step``; torch tensors
  in a loaded state dict are converted to numtorch tensors;
* ``zero_grad(set_to_none=True)``, ``step(closure=None)`` (the closure runs with grad
  enabled, the update without), ``add_param_group``, ``__repr__``;
* step pre/post hooks (per optimizer and global, pre-hooks may replace ``(args, kwargs)``),
  state-dict and load-state-dict pre/post hooks.

Updates in the subclasses work directly on the parameters' NumPy arrays with ``out=``
ufuncs; ``_tmp`` hands out per-optimizer scratch arrays so a step allocates nothing big, and
``_axpy``/``_axpby`` do ``y += a*x`` / ``y = a*x + b*y`` in one pass over large contiguous
float32/float64 arrays through the BLAS library NumPy ships (found with ctypes, checked on
load; set ``NUMTORCH_OPTIM_BLAS=0`` to use two ufunc passes instead).
"""
from __future__ import annotations

import ctypes
import functools
import glob
import os
import warnings
from collections import defaultdict
from copy import deepcopy
from itertools import chain
from typing import Any, Callable, Dict, Optional

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd import grad_mode as GM
from .._ops import _par as P
from ..autograd.graph import RemovableHandle, _HookDict, add_hook

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]

_GRAD = GM.GRAD
_TMP_CACHE_MAX = 64 << 20   # scratch arrays above this many bytes are not kept between steps


_BLAS_MIN = 1 << 16   # below this many elements two ufunc calls beat a ctypes call
_BLAS: list = []      # [{dtype: axpby}], filled on first use
_ILP = (("scipy_cblas_", "64_", ctypes.c_int64), ("cblas_", "64_", ctypes.c_int64),
        ("scipy_cblas_", "", ctypes.c_int), ("cblas_", "", ctypes.c_int))


def _find_blas() -> dict:
    """``{dtype: axpby}`` from the OpenBLAS that NumPy bundles (checked on small arrays), or ``{}``.

    Only ``axpby`` (``y = a*x + b*y``) is used, for ``axpy`` too (``b = 1``): OpenBLAS runs it
    on the calling thread, whereas its ``axpy`` starts its own threads for long vectors
    (slow when the cores are busy, e.g. with torch's OpenMP threads in the process); big
    arrays are split over numtorch's threads by ``_par`` instead."""
    if os.environ.get("NUMTORCH_OPTIM_BLAS", "1") == "0":
        return {}
    root = os.path.dirname(np.__file__)
    paths = []
    for sub in ("../numpy.libs", ".dylibs", "_core", "core", ".libs"):
        paths += sorted(glob.glob(os.path.join(root, sub, "*openblas*")))
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for pre, suf, it in _ILP:
            found = {}
            try:
                for c, dt, ct in (("s", np.float32, ctypes.c_float), ("d", np.float64, ctypes.c_double)):
                    f = getattr(lib, f"{pre}{c}axpby{suf}")
                    f.argtypes = [it, ct, ctypes.c_void_p, it, ct, ctypes.c_void_p, it]
                    f.restype = None
                    found[np.dtype(dt)] = f
            except AttributeError:
                continue
            if all(_blas_selftest(dt, f) for dt, f in found.items()):
                return found
    return {}


def _blas_selftest(dt, f) -> bool:
    x = np.arange(1, 8, dtype=dt)
    y = np.full(7, 2.0, dtype=dt)
    f(7, 2.0, x.ctypes.data, 1, 1.0, y.ctypes.data, 1)
    ok = np.array_equal(y, 2 + 2 * x)
    f(7, 3.0, x.ctypes.data, 1, 0.5, y.ctypes.data, 1)
    return ok and np.array_equal(y, 3 * x + 0.5 * (2 + 2 * x))


def _blas(x: np.ndarray, y: np.ndarray):
    """The BLAS axpby usable for ``x`` and ``y``, or None."""
    if y.size < _BLAS_MIN or type(x) is not np.ndarray or type(y) is not np.ndarray or x.dtype != y.dtype \
            or x.shape != y.shape or not (x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable):
        return None
    if not _BLAS:
        _BLAS.append(_find_blas())
    return _BLAS[0].get(y.dtype)


class _RequiredParameter:
    """Singleton marking a default that a param group must specify."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

_global_optimizer_pre_hooks: Dict[int, Callable] = _HookDict()
_global_optimizer_post_hooks: Dict[int, Callable] = _HookDict()


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """Global ``hook(optimizer, args, kwargs)`` run before every optimizer's step."""
    h = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[h.id] = hook
    return h


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """Global ``hook(optimizer, args, kwargs)`` run after every optimizer's step."""
    h = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[h.id] = hook
    return h


def _typename(obj) -> str:
    """``torch.typename``: 'torch.FloatTensor' for tensors, the qualified class name otherwise."""
    if isinstance(obj, Tensor):
        return obj.type()
    t = type(obj)
    mod = t.__module__
    return t.__qualname__ if mod in ("builtins", "__builtin__", None) else f"{mod}.{t.__qualname__}"


def _f(x) -> float:
    """A hyper-parameter as a Python float (NumPy then treats it as a weak scalar)."""
    return x if type(x) is float else float(x)


def _scalar_dtype() -> np.dtype:
    """torch's ``_get_scalar_dtype``: float64 under a float64 default dtype, else float32."""
    return np.dtype(np.float64) if D.get_default_dtype() is D.float64 else np.dtype(np.float32)


def _step_tensor(v: float = 0.0) -> Tensor:
    return Tensor._make(np.array(v, dtype=_scalar_dtype()), False, None)


def _zeros_state(like: np.ndarray) -> Tensor:
    """A zero-filled state tensor (no grad) shaped and typed like ``like``."""
    return Tensor._make(np.zeros_like(like), False, None)


def _bump_step(st: dict) -> float:
    """Advance the ``step`` tensor of a parameter's state in place; return the new count."""
    step_t = st["step"]
    step_t._data += 1
    step_t._vc[0] += 1
    return float(step_t._data)


def _check_nonneg(*checks) -> None:
    """torch's hyper-parameter checks: for each ``(label, value)`` in order, ``ValueError("Invalid
    {label}: {value}")`` unless ``0.0 <= value``."""
    for label, value in checks:
        if not 0.0 <= value:
            raise ValueError(f"Invalid {label}: {value}")


def _to_numtorch(v):
    """A torch tensor (from a torch state dict) becomes a numtorch tensor; others pass."""
    if isinstance(v, Tensor) or not hasattr(v, "detach") or not type(v).__module__.startswith("torch"):
        return v
    return Tensor._make(np.array(v.detach().cpu().numpy(), copy=True), False, None)


class updating:
    """Context for the in-place update of a step (after the closure): NumPy's floating-point
    warnings off, as torch's kernels make inf/nan silently."""

    __slots__ = ("err",)

    def __enter__(self) -> None:
        self.err = np.seterr(all="ignore")

    def __exit__(self, *exc) -> None:
        np.seterr(**self.err)


def _hooked(func: Callable) -> Callable:
    """Wrap a subclass's ``step``: run step hooks around it, under no_grad (as torch does)."""

    @functools.wraps(func)
    def step(*args, **kwargs):
        self = args[0]
        pre = self._optimizer_step_pre_hooks
        if pre or _global_optimizer_pre_hooks:
            for hook in chain(list(_global_optimizer_pre_hooks.values()), list(pre.values())):
                r = hook(self, args, kwargs)
                if r is not None:
                    if isinstance(r, tuple) and len(r) == 2:
                        args, kwargs = r
                    else:
                        raise RuntimeError(
                            f"{func} must return None or a tuple of (new_args, new_kwargs), but got {r}.")
        prev = _GRAD[0]
        _GRAD[0] = False
        try:
            out = func(*args, **kwargs)
        finally:
            _GRAD[0] = prev
        post = self._optimizer_step_post_hooks
        if post or _global_optimizer_post_hooks:
            for hook in chain(list(post.values()), list(_global_optimizer_post_hooks.values())):
                hook(self, args, kwargs)
        return out

    step._nt_hooked = True
    return step


class Optimizer:
    """Base class for all optimizers (``torch.optim.Optimizer``).

    ``params``: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts (param
    groups); ``defaults``: the hyper-parameters used for groups that don't set them.
    """

    _GROUP_DEFAULTS: Dict[str, Any] = {}   # set on groups by __setstate__ (load_state_dict)
    _STEP_IN_STATE = False                 # state holds a 'step' tensor (converted on load)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        f = cls.__dict__.get("step")
        if f is not None and not getattr(f, "_nt_hooked", False):
            cls.step = _hooked(f)

    def __init__(self, params, defaults: Dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks = _HookDict()
        self._optimizer_step_post_hooks = _HookDict()
        self._optimizer_state_dict_pre_hooks = _HookDict()
        self._optimizer_state_dict_post_hooks = _HookDict()
        self._optimizer_load_state_dict_pre_hooks = _HookDict()
        self._optimizer_load_state_dict_post_hooks = _HookDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + _typename(params))
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)
        self.defaults.setdefault("differentiable", False)

    # ------------------------------------------------------------------ pickling / copying
    def __getstate__(self) -> Dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks", "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, _HookDict())
        self.defaults.setdefault("differentiable", False)
        for group in self.param_groups:
            for k, v in self._GROUP_DEFAULTS.items():
                group.setdefault(k, v)
        if self._STEP_IN_STATE:
            for s in self.state.values():
                if isinstance(s, dict) and "step" in s and not isinstance(s["step"], Tensor):
                    s["step"] = _step_tensor(float(s["step"]))

    def __repr__(self) -> str:
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += "\n"
            s += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        s += ")"
        return s

    # ------------------------------------------------------------------ param groups
    def add_param_group(self, param_group: Dict[str, Any]) -> None:
        """Add a group (a dict with ``params`` and optional per-group hyper-parameters)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)
        tensors, names = [], []
        for p in param_group["params"]:
            if isinstance(p, tuple):
                names.append(p[0])
                tensors.append(p[1])
            else:
                tensors.append(p)
        param_group["params"] = tensors
        if names:
            if len(names) == len(tensors):
                param_group["param_names"] = names
            else:
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(p))
            if not self.defaults.get("differentiable", None) and not (p.grad_fn is None or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        if len(tensors) != len(set(tensors)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {txt} to the optimizer")
        if not seen.isdisjoint(tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ gradients / step
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors (to None, or to zeros in place)."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g._rg = False
                    g._data[...] = 0
                    g._vc[0] += 1

    def step(self, closure: Optional[Callable] = None):
        """Perform a single optimization step (implemented by subclasses)."""
        raise NotImplementedError

    @staticmethod
    def _closure(closure):
        if closure is None:
            return None
        with GM.enable_grad():
            return closure()

    def _tmp(self, like: np.ndarray, k: int) -> np.ndarray:
        """Scratch array ``k`` shaped and typed like ``like`` (kept between steps)."""
        cache = self.__dict__.get("_nt_tmp")
        if cache is None:
            cache = self.__dict__["_nt_tmp"] = {}
        n = like.size
        key = (like.dtype, k)
        buf = cache.get(key)
        if buf is None or buf.size < n:
            buf = np.empty(n, like.dtype)
            if n * like.itemsize <= _TMP_CACHE_MAX:
                cache[key] = buf
        return buf[:n].reshape(like.shape)

    def _axpy(self, a: float, x: np.ndarray, y: np.ndarray) -> None:
        """``y += a * x`` in place (``y`` must not alias ``x``)."""
        f = _blas(x, y)
        if f is not None:
            P._run(lambda x, out: f(out.size, a, x.ctypes.data, 1, 1.0, out.ctypes.data, 1), (x,), y, y.shape[0])
        elif a == 1.0:
            P.add(y, x, out=y)
        elif a == -1.0:
            P.sub(y, x, out=y)
        else:
            t = self._tmp(y, 2)
            P.mul(x, a, out=t)
            P.add(y, t, out=y)

    def _decayed_grad(self, pd: np.ndarray, gd: np.ndarray, s: float, wd: float):
        """L2 weight decay: with ``wd`` nonzero, scratch array 0 gets ``s * gd + wd * pd`` and
        ``(that array, 1.0)`` comes back; otherwise ``(gd, s)`` unchanged."""
        if not wd:
            return gd, s
        t0 = self._tmp(pd, 0)
        P.mul(pd, wd, out=t0)
        self._axpy(s, gd, t0)
        return t0, 1.0

    def _axpby(self, a: float, x: np.ndarray, b: float, y: np.ndarray) -> None:
        """``y = a * x + b * y`` in place (``y`` must not alias ``x``)."""
        f = _blas(x, y)
        if f is not None:
            P._run(lambda x, out: f(out.size, a, x.ctypes.data, 1, b, out.ctypes.data, 1), (x,), y, y.shape[0])
        else:
            P.mul(y, b, out=y)
            self._axpy(a, x, y)

    # ------------------------------------------------------------------ hooks
    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` before ``step``; may return ``(new_args, new_kwargs)``."""
        return add_hook(self, "_optimizer_step_pre_hooks", hook)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` after ``step``."""
        return add_hook(self, "_optimizer_step_post_hooks", hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer)`` before ``state_dict`` builds its result."""
        return add_hook(self, "_optimizer_state_dict_pre_hooks", hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer, state_dict)`` after ``state_dict``; may return a new state dict."""
        return add_hook(self, "_optimizer_state_dict_post_hooks", hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer, state_dict)`` before loading; may return a new state dict."""
        return add_hook(self, "_optimizer_load_state_dict_pre_hooks", hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """``hook(optimizer)`` after loading."""
        return add_hook(self, "_optimizer_load_state_dict_post_hooks", hook, prepend)

    # ------------------------------------------------------------------ state dicts
    def state_dict(self) -> Dict[str, Any]:
        """``{'state': {index: per-param state}, 'param_groups': [group with 'params' as indices]}``."""
        for hook in list(self._optimizer_state_dict_pre_hooks.values()):
            hook(self)
        mapping: Dict[int, int] = {}
        start = 0

        def pack(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack(g) for g in self.param_groups]
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        sd = {"state": state, "param_groups": groups}
        for hook in list(self._optimizer_state_dict_post_hooks.values()):
            r = hook(self, sd)
            if r is not None:
                sd = r
        return sd

    @staticmethod
    def _cast_state(param: Tensor, value, key=None):
        """Loaded state follows the parameter's dtype (floating params), except ``step``."""
        value = _to_numtorch(value)
        if isinstance(value, Tensor):
            if key == "step":
                return value
            a = value._data
            if param._data.dtype.kind == "f" and a.dtype != param._data.dtype:
                return Tensor._make(a.astype(param._data.dtype), False, None)
            if not a.flags.writeable:
                return Tensor._make(a.copy(), False, None)
            return value
        if isinstance(value, dict):
            return {k: Optimizer._cast_state(param, v, k) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(Optimizer._cast_state(param, v) for v in value)
        return value

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Load a state dict from ``state_dict()`` (numtorch's or torch's)."""
        state_dict = state_dict.copy()
        for hook in list(self._optimizer_load_state_dict_pre_hooks.values()):
            r = hook(self, state_dict)
            if r is not None:
                state_dict = r
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                state[p] = self._cast_state(p, v)
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})
        for hook in list(self._optimizer_load_state_dict_post_hooks.values()):
            hook(self)


def _check_unsupported(name: str, foreach=None, fused=None, capturable=False, differentiable=False) -> None:
    """numtorch runs one CPU implementation: only the default values of these flags (and
    ``foreach``, whose results are identical) are accepted."""
    if fused:
        raise NotImplementedError(f"numtorch's {name} does not implement fused=True")
    if capturable:
        raise NotImplementedError(f"numtorch's {name} does not implement capturable=True")
    if differentiable:
        raise NotImplementedError(f"numtorch's {name} does not implement differentiable=True")
