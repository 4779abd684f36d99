"""Argument parsing shared by the pooling functions, with torch's argument-parser messages."""
from __future__ import annotations

import numbers
from typing import Optional

import numpy as np

from ..._tensor import Tensor


def need_tensor(x, fn: str, arg: str = "input", pos: int = 1) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}")


def is_int(v) -> bool:
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, (bool, np.bool_))


def ints(v, fn: str, arg: str, pos: Optional[int], none_ok: bool = False, unpack: bool = False) -> list:
    """An int-list argument as torch's argument parser reads it (an int, or a sequence of ints)."""
    at = f" (position {pos})" if pos else ""
    if v is None and none_ok:
        return []
    if is_int(v):
        return [int(v)]
    if not isinstance(v, (list, tuple)):
        raise TypeError(f"{fn}(): argument '{arg}'{at} must be tuple of ints, not {type(v).__name__}")
    out = []
    for i, e in enumerate(v):
        if not is_int(e):
            if unpack:
                raise TypeError(f"{fn}(): argument '{arg}' failed to unpack the object at pos {pos} with error "
                                f"\"type must be tuple of ints,but got {type(e).__name__}\"")
            raise TypeError(f"{fn}(): argument '{arg}'{at} must be tuple of ints, but found element of type "
                            f"{type(e).__name__} at pos {i}")
        out.append(int(e))
    return out


def one_int(v: list, fn: str, arg: str, allow_empty: bool = False) -> None:
    """torch's check on a size-1 int-list argument of a 1-d op."""
    if len(v) != 1 and not (allow_empty and not v):
        raise RuntimeError(f"{fn}() argument '{arg}' should contain one int (got {len(v)})")


def dims_2_to_3(input, fn: str) -> None:
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 "
                           f"'self' (while checking arguments for {fn})")


def list_with_default(out_size, defaults):
    """An adaptive ``output_size`` with ``None`` entries taken from the input's sizes (torch's
    Python-level handling, including its errors)."""
    if is_int(out_size):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d for v, d in zip(out_size, list(defaults)[-len(out_size):])]
