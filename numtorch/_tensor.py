"""``Tensor``: a NumPy array plus autograd state (requires_grad, grad, grad_fn, version).

Only the tensor's own state lives here; operations are defined in ``numtorch._ops`` and
attached as methods there, so this file reads in one sitting.  Every tensor owns a version
counter (a one-element list shared with its views): in-place operations bump it, and saved
tensors compare it when backward runs, which is how torch detects a tensor modified after
it was saved.
"""
from __future__ import annotations

import warnings
import weakref
from typing import Any, Callable, Optional

import numpy as np

from . import _dtype as D
from .autograd import graph as G

_new = object.__new__


class Size(tuple):
    """torch.Size: a tuple of ints that prints as ``torch.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, k):
        r = tuple.__getitem__(self, k)
        return Size(r) if isinstance(k, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))


class device:
    """torch.device; numtorch computes on the CPU only."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any = "cpu", index: Optional[int] = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        type = str(type)
        if ":" in type:
            type, idx = type.split(":", 1)
            index = int(idx)
        self.type = type
        self.index = index

    def __repr__(self) -> str:
        return f"device(type='{self.type}')" if self.index is None else f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and other.type == self.type and other.index == self.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


CPU = device("cpu")


def check_device(dev) -> None:
    """Accept only the CPU; anything else gets torch's CPU-build error."""
    if dev is None:
        return
    if isinstance(dev, int):
        raise AssertionError("Torch not compiled with CUDA enabled")
    t = dev.type if isinstance(dev, device) else str(dev).split(":")[0]
    if t == "cpu":
        return
    if t in ("cuda", "mps", "xpu", "meta", "hip"):
        raise AssertionError(f"Torch not compiled with {t.upper()} enabled") if t == "cuda" else \
            RuntimeError(f"numtorch runs on the CPU only; device '{dev}' is not available")
    raise RuntimeError(f"Expected one of cpu, cuda, ... device type at start of device string: {dev}")


class Tensor:
    """A multi-dimensional array that records operations for automatic differentiation."""

    __slots__ = ("_data", "_rg", "grad_fn", "_grad", "_vc", "_output_nr", "_accum", "_base",
                 "__dict__", "__weakref__")
    # rarely-set attributes live in the instance __dict__; these class defaults keep reads fast
    _hooks = None
    _post_acc_hooks = None
    # make ``ndarray <op> Tensor`` call the Tensor's reflected operator
    __array_ufunc__ = None
    __array_priority__ = 1000

    # ---------------------------------------------------------------- construction
    def __init__(self, *args, dtype=None, device=None) -> None:
        # the legacy constructor: Tensor(2, 3) uninitialised, Tensor([1, 2]) from data
        check_device(device)
        d = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            a = args[0]
            if isinstance(a, Tensor):
                arr = a._data
            else:
                arr = np.array(a, dtype=d.np)
        elif all(isinstance(a, (int, np.integer)) for a in args):
            arr = np.empty(tuple(int(a) for a in args), dtype=d.np)
        else:
            raise TypeError(f"new() received an invalid combination of arguments - got {args}")
        Tensor._init(self, arr, False, None)

    @staticmethod
    def _init(t, data, rg, fn):
        t._data = data
        t._rg = rg
        t.grad_fn = fn
        t._grad = None
        t._vc = [0]
        t._output_nr = 0
        t._accum = None
        t._base = None
        return t

    @staticmethod
    def _make(data: np.ndarray, rg: bool, fn) -> "Tensor":
        """Fast internal constructor (no checks): ``data`` must be an ndarray."""
        t = _new(Tensor)
        t._data = data
        t._rg = rg
        t.grad_fn = fn
        t._grad = None
        t._vc = [0]
        t._output_nr = 0
        t._accum = None
        t._base = None
        return t

    @classmethod
    def _make_subclass(cls, data: "Tensor", require_grad: bool = False) -> "Tensor":
        t = _new(cls)
        Tensor._init(t, data._data, bool(require_grad), None)
        t._vc = data._vc
        return t

    # ---------------------------------------------------------------- basic attributes
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: Optional[int] = None):
        s = self._data.shape
        if dim is None:
            return Size(s)
        return s[_wrap_dim(dim, len(s))]

    @property
    def dtype(self) -> D.dtype:
        return D.from_np(self._data.dtype)

    @property
    def device(self) -> device:
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    is_cpu = True
    is_sparse = False
    is_quantized = False
    is_meta = False
    layout = "torch.strided"

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def stride(self, dim: Optional[int] = None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_wrap_dim(dim, len(st))]

    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return False

    def is_signed(self) -> bool:
        return self.dtype.is_signed

    def get_device(self) -> int:
        return -1

    def is_inference(self) -> bool:
        return False

    # ---------------------------------------------------------------- autograd state
    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        flag = bool(flag)
        if self.grad_fn is not None:
            if flag:
                return
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
        if flag and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._rg = flag

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self) -> Optional["Tensor"]:
        if self.grad_fn is not None and self._grad is None and not self.retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
                "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
                "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
                "github.com/pytorch/pytorch/pull/30531 for more information.", UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, g) -> None:
        if g is not None:
            if not isinstance(g, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(g).__name__}")
            if g._data.dtype != self._data.dtype:
                raise RuntimeError("assigned grad has data of a different type")
            if g._data.shape != self._data.shape:
                raise RuntimeError("assigned grad has data of a different size")
        self._grad = g

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def retains_grad(self) -> bool:
        fn = self.grad_fn
        return bool(fn is not None and fn._retain and self._output_nr in fn._retain
                    and fn._retain[self._output_nr]() is self)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        fn = self.grad_fn
        if fn is None:
            return
        if fn._retain is None:
            fn._retain = {}
        fn._retain[self._output_nr] = weakref.ref(self)

    def register_hook(self, hook: Callable) -> G.RemovableHandle:
        """hook(grad) runs when this tensor's gradient is computed; it may return a new gradient."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        fn = self.grad_fn
        if fn is None:
            return G.add_hook(self, "_hooks", hook)
        if fn._tensor_hooks is None:
            fn._tensor_hooks = {}
        d = fn._tensor_hooks.get(self._output_nr)
        if d is None:
            d = fn._tensor_hooks[self._output_nr] = G._HookDict()
        h = G.RemovableHandle(d)
        d[h.id] = hook
        return h

    def register_post_accumulate_grad_hook(self, hook: Callable) -> G.RemovableHandle:
        """hook(tensor) runs after a leaf's ``.grad`` has been accumulated."""
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        return G.add_hook(self, "_post_acc_hooks", hook)

    def backward(self, gradient=None, retain_graph: Optional[bool] = None,
                 create_graph: bool = False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into each leaf's ``.grad`` (see ``torch.autograd.backward``)."""
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    @property
    def data(self) -> "Tensor":
        return Tensor._make(self._data, False, None)

    @data.setter
    def data(self, value: "Tensor") -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    @property
    def _version(self) -> int:
        return self._vc[0]

    def detach(self) -> "Tensor":
        """A tensor sharing this one's data (and version counter) but outside the graph."""
        t = Tensor._make(self._data, False, None)
        t._vc = self._vc
        return t

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self._rg = False
        return self

    # ---------------------------------------------------------------- conversion
    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        if self._rg:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        a = self._data
        return a if dtype is None else a.astype(dtype, copy=False)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def __bool__(self) -> bool:
        if self._data.size != 1:
            if self._data.size == 0:
                raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()))

    def __float__(self) -> float:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return float(self._data.reshape(()))

    def __int__(self) -> int:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self._data.reshape(()))

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.reshape(()))

    def __complex__(self) -> complex:
        return complex(self.item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    __hash__ = object.__hash__

    def __repr__(self, *, tensor_contents=None) -> str:
        from ._tensor_str import tensor_repr
        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, proto):
        return (_rebuild, (self._data, self._rg, self._grad))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment.  If you were attempting to deepcopy a module, this may "
                               "be because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        if id(self) in memo:
            return memo[id(self)]
        import copy
        t = _new(type(self))
        Tensor._init(t, self._data.copy(), self._rg, None)
        if self._grad is not None:
            t._grad = copy.deepcopy(self._grad, memo)
        if self.__dict__:
            extra = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
            t.__dict__.update(copy.deepcopy(extra, memo))
        memo[id(self)] = t
        return t

    def type(self, dtype=None, non_blocking: bool = False, **kwargs):
        if dtype is None:
            return G.legacy_type_name(self._data)
        if isinstance(dtype, str):
            name = dtype.replace("torch.", "").replace("Tensor", "")
            inv = {v: k for k, v in G._LEGACY.items()}
            dtype = D._BY_NAME[inv[name]]
        return self.to(dtype)

    def type_as(self, other: "Tensor") -> "Tensor":
        return self.to(other.dtype)

    def cpu(self, memory_format=None) -> "Tensor":
        return self

    def cuda(self, *args, **kwargs):
        raise AssertionError("Torch not compiled with CUDA enabled")

    def pin_memory(self) -> "Tensor":
        return self

    def share_memory_(self) -> "Tensor":
        return self

    def is_shared(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False


G.Tensor = Tensor


def _rebuild(data, rg, grad):
    t = Tensor._make(np.array(data), rg, None)
    t._grad = grad
    return t


def _wrap_dim(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim
