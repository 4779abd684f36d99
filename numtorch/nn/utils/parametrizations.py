"""``torch.nn.utils.parametrizations``: ``weight_norm`` and ``spectral_norm`` written as
parametrizations (see ``parametrize.py``).

Matches torch 2.13:

* ``weight_norm(module, name, dim)`` registers ``_WeightNorm`` with ``unsafe=True``; its
  ``right_inverse`` splits the weight into ``(g, v)``, so the state_dict holds
  ``parametrizations.weight.original0`` (g, shaped by ``norm_except_dim``) and
  ``original1`` (v). A load_state_dict pre-hook renames old ``weight_g`` / ``weight_v``
  keys (from the hook-based ``nn.utils.weight_norm``) to those.
* ``spectral_norm(module, name, n_power_iterations, eps, dim)`` registers ``_SpectralNorm``,
  which keeps the power-iteration vectors in buffers ``_u`` / ``_v`` (state_dict keys
  ``parametrizations.weight.0._u`` / ``._v``). In training mode every evaluation first runs
  ``n_power_iterations`` steps (``u = normalize(W v)``, then ``v = normalize(W^H u)``) in
  place without grad; in eval mode the stored vectors are used. The result is
  ``weight / (u . W v)``. 1-D weights are simply normalised. The starting vectors come from
  numtorch's RNG (torch's random stream differs), followed by 15 warm-up iterations as in torch.
* ``orthogonal`` needs matrix exponentials / QR that numtorch does not have: it raises
  NotImplementedError.
"""
from __future__ import annotations

from typing import Optional, Tuple, TypeVar

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ..functional import normalize
from ..modules.module import Module
from . import parametrize
from .spectral_norm import _is_conv_transpose
from .weight_norm import _weight_norm, norm_except_dim

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]

T_module = TypeVar("T_module", bound=Module)


class _WeightNorm(Module):
    """``weight = v * (g / ||v||)``, the norm taken over every dim but ``dim``
    (``dim=None`` / ``-1``: the whole tensor)."""

    def __init__(self, dim: Optional[int] = 0) -> None:
        super().__init__()
        if dim is None:
            dim = -1
        self.dim = dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> Tuple[Tensor, Tensor]:
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: T_module, name: str = "weight", dim: Optional[int] = 0) -> T_module:
    """Parametrize ``module.<name>`` as ``g * v / ||v||`` (torch's
    ``parametrizations.weight_norm``); returns ``module``."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _rename_old_keys(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        # checkpoints of the hook-based weight_norm store <name>_g / <name>_v
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            g = state_dict.pop(g_key)
            v = state_dict.pop(v_key)
            state_dict[f"{prefix}parametrizations.{name}.original0"] = g
            state_dict[f"{prefix}parametrizations.{name}.original1"] = v

    module._register_load_state_dict_pre_hook(_rename_old_keys)
    return module


class _SpectralNorm(Module):
    """``weight / sigma`` with ``sigma`` the largest singular value of ``weight`` seen as a
    (size(dim), -1) matrix, estimated by power iteration on the buffers ``_u`` / ``_v``."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError("Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but "
                             f"got n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.size()
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", normalize(v, dim=0, eps=self.eps))
            # start from good estimates of the singular vectors
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        # in place (out=) and without grad: the buffers are state, not part of the graph
        with no_grad():
            for _ in range(n_power_iterations):
                self._u = normalize(weight_mat.mv(self._v), dim=0, eps=self.eps, out=self._u)
                self._v = normalize(weight_mat.H.mv(self._u), dim=0, eps=self.eps, out=self._v)

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        # clones, so a later in-place update of the buffers does not invalidate this graph
        u = self._u.clone()
        v = self._v.clone()
        sigma = u.vdot(weight_mat.mv(v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        # any weight is its own preimage up to scale; torch keeps the value as it is
        return value


def spectral_norm(module: T_module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: Optional[int] = None) -> T_module:
    """Parametrize ``module.<name>`` as ``weight / sigma(weight)`` (torch's
    ``parametrizations.spectral_norm``); ``dim`` defaults to 1 for ConvTranspose modules and 0
    otherwise. Returns ``module``."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if _is_conv_transpose(module) else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


def orthogonal(module: Module, name: str = "weight", orthogonal_map: Optional[str] = None, *,
               use_trivialization: bool = True) -> Module:
    """Not available: torch's ``parametrizations.orthogonal`` needs matrix_exp, the Cayley
    map's linear solve and Householder/QR factorizations, which numtorch does not provide."""
    raise NotImplementedError("numtorch does not implement torch.nn.utils.parametrizations.orthogonal "
                              "(it needs matrix_exp / linalg.solve / QR)")
