"""dtype objects with torch's names, and torch's type-promotion rules.

A ``dtype`` wraps a NumPy dtype.  Promotion follows torch (not NumPy): categories are
bool < integer < floating; within a category the wider type wins; a float tensor combined
with an integer tensor keeps the float tensor's dtype (NumPy would widen to float64);
zero-dim tensors and Python scalars only decide the result when they are of a higher
category than every dimensioned operand ("weak" operands).
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "dtype", "float16", "half", "float32", "float", "float64", "double", "bfloat16",
    "int8", "int16", "short", "int32", "int", "int64", "long", "uint8", "bool",
    "get_default_dtype", "set_default_dtype", "promote_types", "result_type",
    "can_cast", "finfo", "iinfo",
]


class dtype:
    """A tensor element type, printed as torch prints it (``torch.float32``)."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_cat", "is_complex")

    def __init__(self, name: str, np_dtype, cat: int) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self._cat = cat  # 0 bool, 1 integer, 2 floating
        self.is_floating_point = cat == 2
        self.is_complex = False
        self.is_signed = cat == 2 or (cat == 1 and self.np.kind == "i")
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return "torch." + self.name

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))

    def to_real(self) -> "dtype":
        return self


float16 = half = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = double = dtype("float64", np.float64, 2)
int8 = dtype("int8", np.int8, 1)
int16 = short = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = long = dtype("int64", np.int64, 1)
uint8 = dtype("uint8", np.uint8, 1)
bool = dtype("bool", np.bool_, 0)  # noqa: A001 - torch's name
float = float32  # noqa: A001
int = int32  # noqa: A001


class _Unsupported:
    """bfloat16 has no NumPy counterpart; naming it gives a clear error when used."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "torch." + self.name


bfloat16 = _Unsupported("bfloat16")

_ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool)
_BY_NP = {d.np: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_np(np_dtype) -> dtype:
    """The numtorch dtype of a NumPy dtype (float64 stays float64, as torch.from_numpy)."""
    try:
        return _BY_NP[np_dtype]
    except KeyError:
        d = np.dtype(np_dtype)
        if d in _BY_NP:
            return _BY_NP[d]
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{d.name}. The only supported types are: "
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool.") from None


def to_dtype(d) -> dtype:
    """Accept a numtorch dtype, a NumPy dtype, or a Python type (float, int, bool)."""
    if type(d) is dtype:
        return d
    if isinstance(d, _Unsupported):
        raise NotImplementedError(f"dtype {d!r} is not supported by numtorch (NumPy has no {d.name})")
    if d is builtins_float:
        return _default[0]
    if d is builtins_int:
        return int64
    if d is builtins_bool:
        return bool
    return from_np(np.dtype(d))


import builtins as _b  # noqa: E402

builtins_float, builtins_int, builtins_bool = _b.float, _b.int, _b.bool

_default = [float32]


def get_default_dtype() -> dtype:
    """The dtype of floating tensors made from Python floats (float32 unless changed)."""
    return _default[0]


def set_default_dtype(d) -> None:
    """Set the default floating dtype; like torch, only floating dtypes are accepted."""
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d


def promote_types(a: dtype, b: dtype) -> dtype:
    """torch.promote_types: the smallest dtype both can be cast to, torch's lattice."""
    if a is b:
        return a
    if a._cat != b._cat:
        hi, lo = (a, b) if a._cat > b._cat else (b, a)
        return hi
    if a._cat == 2:
        return a if a.itemsize >= b.itemsize else b
    # integers: NumPy's lattice matches torch's for the types torch has (uint8+int8 -> int16)
    return from_np(np.promote_types(a.np, b.np))


def _scalar_cat(x) -> builtins_int:
    t = type(x)
    if t is builtins_bool or t is np.bool_:
        return 0
    if t is builtins_int or isinstance(x, np.integer):
        return 1
    return 2


def result_type(*operands) -> dtype:
    """torch.result_type over tensors and Python scalars, following torch's three tiers."""
    from ._tensor import Tensor

    dim_t = zero_t = None
    scal = -1
    for x in operands:
        if isinstance(x, Tensor):
            d = x.dtype
            if x._data.ndim:
                dim_t = d if dim_t is None else promote_types(dim_t, d)
            else:
                zero_t = d if zero_t is None else promote_types(zero_t, d)
        else:
            scal = max(scal, _scalar_cat(x))
    res = dim_t
    if zero_t is not None:
        if res is None or zero_t._cat > res._cat:
            res = zero_t
    if scal >= 0:
        if res is None:
            res = (bool, int64, _default[0])[scal]
        elif scal > res._cat:
            res = int64 if scal == 1 else _default[0]
    return res


def can_cast(from_: dtype, to: dtype) -> builtins_bool:
    """torch.can_cast: casting allowed unless it lowers the category (float->int, int->bool)."""
    return from_._cat <= to._cat


class finfo:
    """torch.finfo for a floating dtype."""

    def __init__(self, type: dtype = None):  # noqa: A002
        type = _default[0] if type is None else to_dtype(type)
        if not type.is_floating_point:
            raise TypeError(f"torch.finfo() requires a floating point input type. Use torch.iinfo to handle '{type!r}'")
        fi = np.finfo(type.np)
        self.bits = fi.bits
        self.eps = builtins_float(fi.eps)
        self.max = builtins_float(fi.max)
        self.min = builtins_float(fi.min)
        self.tiny = self.smallest_normal = builtins_float(fi.tiny)
        self.resolution = builtins_float(fi.resolution)
        self.dtype = type.name

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.tiny:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """torch.iinfo for an integer dtype."""

    def __init__(self, type: dtype):  # noqa: A002
        type = to_dtype(type)
        if type.is_floating_point:
            raise TypeError(f"torch.iinfo() requires an integer input type. Use torch.finfo to handle '{type!r}'")
        ii = np.iinfo(type.np) if type is not bool else np.iinfo(np.uint8)
        self.bits = ii.bits
        self.max = builtins_int(ii.max)
        self.min = builtins_int(ii.min)
        self.dtype = type.name

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
