"""Argument helpers shared by layers (torch.nn.modules.utils): ``_single``, ``_pair``,
``_triple`` and ``_ntuple`` turn an int-or-iterable argument into a tuple of fixed length."""
from __future__ import annotations

from typing import Any

__all__: list = []


def _ntuple(x: Any, n: int) -> tuple:
    """torch's _ntuple: an iterable is kept as a tuple, a scalar is repeated ``n`` times."""
    if isinstance(x, (list, tuple)) or (hasattr(x, "__iter__") and not isinstance(x, str)):
        return tuple(x)
    return tuple([x] * n)


def _single(x: Any) -> tuple:
    return _ntuple(x, 1)


def _pair(x: Any) -> tuple:
    return _ntuple(x, 2)


def _triple(x: Any) -> tuple:
    return _ntuple(x, 3)


def _reverse_repeat_tuple(t: tuple, n: int) -> tuple:
    """Reverse ``t`` and repeat each element ``n`` times: per-dim padding in F.pad's order."""
    return tuple(x for x in reversed(t) for _ in range(n))
