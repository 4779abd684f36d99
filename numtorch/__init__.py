"""numtorch: PyTorch's tensor, autograd and neural-network API on NumPy.

``import numtorch as torch`` and torch code runs unchanged on the CPU.
"""
from __future__ import annotations

__version__ = "0.1.0"

from ._alloc import tune_malloc as _tune_malloc

_tune_malloc()

from ._dtype import (bfloat16, bool, can_cast, double, dtype, finfo, float, float16, float32, float64,  # noqa: A004
                     get_default_dtype, half, iinfo, int, int8, int16, int32, int64, long, promote_types,
                     result_type, set_default_dtype, short, uint8)
from ._tensor import Size, Tensor, device
from ._tensor_str import set_printoptions
from .autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                                 no_grad, set_grad_enabled)
from ._ops.elementwise import *  # noqa: F401,F403
from ._ops.compare import *  # noqa: F401,F403
from ._ops.factories import *  # noqa: F401,F403
from ._ops.convert import *  # noqa: F401,F403
from ._ops.reduce import *  # noqa: F401,F403
from ._ops.shape import *  # noqa: F401,F403
from ._ops.indexing import *  # noqa: F401,F403
from ._ops.linalg import *  # noqa: F401,F403
from ._ops.sorting import *  # noqa: F401,F403
from ._ops.activation import *  # noqa: F401,F403
from . import autograd  # noqa: E402
from . import nn, optim  # noqa: E402
from .nn.utils.weight_norm import _weight_norm, norm_except_dim  # noqa: E402,F401

from ._ops.elementwise import abs, pow, round  # noqa: A004,F811  (torch shadows these builtins too)
from ._ops.factories import range  # noqa: A004,F811

FloatTensor = DoubleTensor = LongTensor = None  # replaced below


def is_tensor(obj) -> "bool":
    """True for numtorch tensors (and Parameters)."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> "bool":
    return input.is_floating_point()


def is_nonzero(input: Tensor) -> "bool":
    if input.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return input.item() != 0


def numel(input: Tensor) -> "int":
    return input.numel()


def get_num_threads() -> "int":
    """Threads used for large elementwise kernels (see numtorch._ops._par)."""
    from ._ops import _par
    return _par.get_threads()


def set_num_threads(n: "int") -> None:
    """Set the threads used for large elementwise kernels.  NumPy's BLAS (matmul) keeps the
    thread count it read at import: set OPENBLAS_NUM_THREADS / OMP_NUM_THREADS before importing."""
    from ._ops import _par
    _par.set_threads(n)


def _legacy_tensor_type(dt):
    class _T(Tensor):
        def __new__(cls, *args, **kwargs):
            return Tensor(*args, dtype=dt)
    return _T


FloatTensor = _legacy_tensor_type(float32)
DoubleTensor = _legacy_tensor_type(float64)
HalfTensor = _legacy_tensor_type(float16)
LongTensor = _legacy_tensor_type(int64)
IntTensor = _legacy_tensor_type(int32)
ShortTensor = _legacy_tensor_type(int16)
CharTensor = _legacy_tensor_type(int8)
ByteTensor = _legacy_tensor_type(uint8)
BoolTensor = _legacy_tensor_type(bool)
for _n, _c in (("FloatTensor", FloatTensor), ("DoubleTensor", DoubleTensor), ("HalfTensor", HalfTensor),
               ("LongTensor", LongTensor), ("IntTensor", IntTensor), ("ShortTensor", ShortTensor),
               ("CharTensor", CharTensor), ("ByteTensor", ByteTensor), ("BoolTensor", BoolTensor)):
    _c.__name__ = _c.__qualname__ = _n

strided = "torch.strided"
contiguous_format = preserve_format = channels_last = "memory_format"
