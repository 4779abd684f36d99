"""Hook-based weight normalisation (``torch.nn.utils.weight_norm`` / ``remove_weight_norm``),
plus the ops it is built on, ``torch.norm_except_dim`` and ``torch._weight_norm``.

Matches torch 2.13: ``weight_norm(module)`` replaces the parameter ``weight`` by the
parameters ``weight_g`` (magnitude, ``norm_except_dim(weight, 2, dim)``) and ``weight_v``
(direction), registered in that order after the module's other parameters, so the
state_dict keys are torch's; ``module.weight`` becomes a plain attribute recomputed as
``v * (g / ||v||)`` by a forward pre-hook. Calling it emits torch's FutureWarning
(deprecated in favour of ``parametrizations.weight_norm``). All math goes through numtorch
tensor ops, so gradients reach ``g`` and ``v``.
"""
from __future__ import annotations

from typing import Any, TypeVar

from ..._tensor import Tensor
from ..modules._hooks import _warn
from ..modules.module import Module
from ..parameter import Parameter, UninitializedParameter

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]

T_module = TypeVar("T_module", bound=Module)


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:
    """``torch.norm_except_dim``: the ``pow``-norm of ``v`` over every dimension but ``dim``,
    kept with size 1 (``dim=0`` on (O, I, K) gives (O, 1, 1)); ``dim=-1`` is the norm of the
    whole tensor as a 0-dim tensor. Other dims go through a transpose to dim 0, as torch's."""
    if dim == -1:
        return v.norm(pow)
    if dim == 0:
        n = v.size(0)
        return v.contiguous().view(n, -1).norm(pow, 1).view(n, *([1] * (v.dim() - 1)))
    if dim == v.dim() - 1:
        n = v.size(dim)
        return v.contiguous().view(-1, n).norm(pow, 0).view(*([1] * (v.dim() - 1)), n)
    return norm_except_dim(v.transpose(0, dim), pow, 0).transpose(0, dim)


def _weight_norm(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """``torch._weight_norm``: ``v * (g / norm_except_dim(v, 2, dim))``."""
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook behind ``weight_norm``: recomputes ``module.<name>`` from
    ``<name>_g`` and ``<name>_v`` before each forward."""

    name: str
    dim: int

    def __init__(self, name: str, dim: int) -> None:
        if dim is None:
            dim = -1
        self.name = name
        self.dim = dim

    def compute_weight(self, module: Module) -> Any:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    @staticmethod
    def apply(module: Module, name: str, dim: int) -> "WeightNorm":
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
        if dim is None:
            dim = -1
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if isinstance(weight, UninitializedParameter):
            raise ValueError("The module passed to `WeightNorm` can't have uninitialized parameters. Make sure to "
                             "run the dummy forward before applying weight normalization")
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        # a plain attribute (not a parameter or buffer), so it stays out of the state_dict
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: T_module, name: str = "weight", dim: int = 0) -> T_module:
    """Reparametrize ``module.<name>`` as ``g * v / ||v||`` (norm over all dims but ``dim``;
    ``dim=None`` normalises the whole tensor). Deprecated in torch: warns FutureWarning."""
    _warn("`torch.nn.utils.weight_norm` is deprecated in favor of `torch.nn.utils.parametrizations.weight_norm`.",
          FutureWarning)
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: T_module, name: str = "weight") -> T_module:
    """Undo ``weight_norm``: ``<name>`` becomes a Parameter again holding the current
    ``g * v / ||v||``."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
