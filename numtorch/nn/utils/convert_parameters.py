"""``parameters_to_vector`` / ``vector_to_parameters``, matching torch 2.13.

``parameters_to_vector`` concatenates ``p.view(-1)`` of each parameter (differentiable, as
in torch); ``vector_to_parameters`` makes each parameter's ``.data`` a view of consecutive
slices of ``vec`` (sharing its memory), raising torch's TypeError for a non-tensor ``vec``.
"""
from __future__ import annotations

from typing import Iterable

from ..._tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return obj.type()
    t = type(obj)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Flatten and concatenate the parameters into one 1-D tensor."""
    from ... import cat
    return cat([p.view(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Point each parameter's data at the next ``numel`` elements of ``vec``."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    pointer = 0
    for p in parameters:
        n = p.numel()
        p.data = vec[pointer:pointer + n].view_as(p).data
        pointer += n
