"""Padding modules (torch.nn.modules.padding): ZeroPad, ConstantPad, ReflectionPad,
ReplicationPad and CircularPad in 1d/2d/3d, thin wrappers over F.pad with torch's
constructor arguments, attributes and extra_repr strings."""
from __future__ import annotations

from typing import Sequence, Union

from ..._tensor import Tensor
from .. import functional as F
from .module import Module
from .utils import _ntuple

__all__ = ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d"]


class _CircularPadNd(Module):
    __constants__ = ["padding"]
    padding: Sequence[int]

    def _check_input_dim(self, input):
        raise NotImplementedError

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        return F.pad(input, self.padding, "circular")

    def extra_repr(self) -> str:
        return f"{self.padding}"


def _circular(k: int):
    def __init__(self, padding: Union[int, tuple]) -> None:
        _CircularPadNd.__init__(self)
        self.padding = _ntuple(padding, 2 * k)

    def _check_input_dim(self, input):
        if input.dim() != k + 1 and input.dim() != k + 2:
            raise ValueError(f"expected {k + 1}D or {k + 2}D input (got {input.dim()}D input)")

    return type(f"CircularPad{k}d", (_CircularPadNd,),
                {"__init__": __init__, "_check_input_dim": _check_input_dim, "__module__": __name__,
                 "__doc__": f"Pads the last {k} dimension(s) circularly (wrap-around)."})


CircularPad1d = _circular(1)
CircularPad2d = _circular(2)
CircularPad3d = _circular(3)


class _ConstantPadNd(Module):
    __constants__ = ["padding", "value"]
    value: float
    padding: Sequence[int]

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dimension with a constant ``value``."""

    def __init__(self, padding: Union[int, tuple], value: float) -> None:
        super().__init__(value)
        self.padding = _ntuple(padding, 2)


class ConstantPad2d(_ConstantPadNd):
    """Pads the last two dimensions with a constant ``value``."""

    def __init__(self, padding: Union[int, tuple], value: float) -> None:
        super().__init__(value)
        self.padding = _ntuple(padding, 4)


class ConstantPad3d(_ConstantPadNd):
    """Pads the last three dimensions with a constant ``value``."""

    def __init__(self, padding: Union[int, tuple], value: float) -> None:
        super().__init__(value)
        self.padding = _ntuple(padding, 6)


class _ReflectionPadNd(Module):
    __constants__ = ["padding"]
    padding: Sequence[int]

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "reflect")

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_ReflectionPadNd):
    """Pads the last dimension by reflection (edge not repeated)."""

    def __init__(self, padding: Union[int, tuple]) -> None:
        super().__init__()
        self.padding = _ntuple(padding, 2)


class ReflectionPad2d(_ReflectionPadNd):
    """Pads the last two dimensions by reflection."""

    def __init__(self, padding: Union[int, tuple]) -> None:
        super().__init__()
        self.padding = _ntuple(padding, 4)


class ReflectionPad3d(_ReflectionPadNd):
    """Pads the last three dimensions by reflection."""

    def __init__(self, padding: Union[int, tuple]) -> None:
        super().__init__()
        self.padding = _ntuple(padding, 6)


class _ReplicationPadNd(Module):
    __constants__ = ["padding"]
    padding: Sequence[int]

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "replicate")

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReplicationPad1d(_ReplicationPadNd):
    """Pads the last dimension by repeating the edge value."""

    def __init__(self, padding: Union[int, tuple]) -> None:
        super().__init__()
        self.padding = _ntuple(padding, 2)


class ReplicationPad2d(_ReplicationPadNd):
    """Pads the last two dimensions by repeating the edge values."""

    def __init__(self, padding: Union[int, tuple]) -> None:
        super().__init__()
        self.padding = _ntuple(padding, 4)


class ReplicationPad3d(_ReplicationPadNd):
    """Pads the last three dimensions by repeating the edge values."""

    def __init__(self, padding: Union[int, tuple]) -> None:
        super().__init__()
        self.padding = _ntuple(padding, 6)


class ZeroPad1d(ConstantPad1d):
    """Pads the last dimension with zeros."""

    def __init__(self, padding: Union[int, tuple]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pads the last two dimensions with zeros."""

    def __init__(self, padding: Union[int, tuple]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pads the last three dimensions with zeros."""

    def __init__(self, padding: Union[int, tuple]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"
