"""``nn.init``: in-place initialisation of tensors, drawing from the same distributions as torch.

Every function runs under ``no_grad``, writes into the tensor (bumping its version counter) and
returns it; the random ones accept ``generator=`` (a ``numtorch.Generator``).  Random streams are
NumPy's, so values differ from torch's bit for bit, but bounds and standard deviations are the ones
torch uses (checked statistically by the tests).
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..autograd.graph import _LEGACY
from .._ops.factories import _fill_inplace, _rng

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
           "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
           "sparse_", "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
           "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"]

_LINEAR_FNS = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (1 for linear/conv/sigmoid, 5/3 for tanh, ...)."""
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif (isinstance(param, int) and not isinstance(param, bool)) or isinstance(param, float):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


# ------------------------------------------------------------------ helpers
def _legacy(t: Tensor) -> str:
    return _LEGACY.get(t._data.dtype.name, t._data.dtype.name)


def _need_float(t: Tensor, kernel: str) -> None:
    if t._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_legacy(t)}'")


def _fmt(v) -> str:
    """A double printed as C++ streams do (``2``, ``2.5``, ``1e-05``)."""
    return f"{float(v):g}"


def _write(t: Tensor, values: np.ndarray, bumps: int = 1) -> Tensor:
    """Copy ``values`` into ``t`` in place (cast as torch's in-place copy), ``bumps`` version bumps."""
    with no_grad():
        _fill_inplace(t, values)
    if bumps > 1:
        t._vc[0] += bumps - 1
    return t


def _uniform(t: Tensor, a: float, b: float, generator) -> Tensor:
    _need_float(t, "check_uniform_bounds")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={_fmt(a)} > to={_fmt(b)}")
    u = _rng(generator).random(t.shape, dtype=np.float64)
    return _write(t, a + (b - a) * u)


def _normal(t: Tensor, mean: float, std: float, generator) -> Tensor:
    _need_float(t, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
    return _write(t, mean + std * _rng(generator).standard_normal(t.shape, dtype=np.float64))


def _calculate_fan_in_and_fan_out(tensor: Tensor):
    """(fan_in, fan_out): size(1) and size(0), each times the receptive field (dims 2:)."""
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive = 1
    for s in shape[2:]:
        receptive *= s
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    valid = ["fan_in", "fan_out"]
    if mode not in valid:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _no_grad_uniform_(tensor, a, b, generator=None):
    return _uniform(tensor, a, b, generator)


def _no_grad_normal_(tensor, mean, std, generator=None):
    return _normal(tensor, mean, std, generator)


def _no_grad_trunc_normal_(tensor, mean, std, a, b, generator=None):
    return trunc_normal_(tensor, mean, std, a, b, generator=generator)


def _no_grad_fill_(tensor, val):
    return _write(tensor, np.asarray(val))


def _no_grad_zero_(tensor):
    return _write(tensor, np.zeros((), dtype=tensor._data.dtype))


# ------------------------------------------------------------------ simple fills
def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with U(a, b)."""
    return _uniform(tensor, a, b, generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with N(mean, std^2)."""
    return _normal(tensor, mean, std, generator)


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator=None) -> Tensor:
    """Fill with N(mean, std^2) truncated to the absolute bounds [a, b] (inverse-CDF sampling)."""
    far = mean < a - 2 * std or mean > b + 2 * std
    if far:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values "
                      "may be incorrect.", stacklevel=2)
    dt = tensor._data.dtype
    if dt.kind in "iu":
        info = np.iinfo(dt)
        if not (info.min <= a <= info.max and info.min <= b <= info.max):
            raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")
    _need_float(tensor, "check_uniform_bounds" if far else "normal_kernel_cpu")
    lo = (1.0 + math.erf((a - mean) / std / math.sqrt(2.0))) / 2.0
    hi = (1.0 + math.erf((b - mean) / std / math.sqrt(2.0))) / 2.0
    u = _rng(generator).uniform(2 * lo - 1, 2 * hi - 1, size=tensor.shape)
    from .._ops.elementwise import erfinv
    z = erfinv(Tensor._make(np.asarray(u, dtype=np.float64), False, None))._data
    vals = np.clip(mean + std * math.sqrt(2.0) * z, a, b)
    return _write(tensor, vals)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    return _write(tensor, np.asarray(val))


def ones_(tensor: Tensor) -> Tensor:
    return _write(tensor, np.ones((), dtype=tensor._data.dtype))


def zeros_(tensor: Tensor) -> Tensor:
    return _write(tensor, np.zeros((), dtype=tensor._data.dtype))


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity (ones on the main diagonal)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _write(tensor, np.eye(*tensor.shape, dtype=tensor._data.dtype))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3/4/5-D (convolution) weight with the Dirac delta, preserving channel identity per group."""
    dims = tensor.dim()
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = sizes[0] // groups
    min_dim = min(per_group, sizes[1])
    vals = np.zeros(sizes, dtype=tensor._data.dtype)
    centre = tuple(s // 2 for s in sizes[2:])
    for g in range(groups):
        for d in range(min_dim):
            vals[(g * per_group + d, d) + centre] = 1
    return _write(tensor, vals, bumps=1 + groups * min_dim)


# ------------------------------------------------------------------ scaled initialisations
def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return _uniform(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot normal: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _normal(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator=None) -> Tensor:
    """He uniform: U(-bound, bound), bound = gain * sqrt(3 / fan)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    bound = math.sqrt(3.0) * gain / math.sqrt(fan)
    return _uniform(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator=None) -> Tensor:
    """He normal: N(0, std^2), std = gain / sqrt(fan)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    return _normal(tensor, 0.0, gain / math.sqrt(fan), generator)


def orthogonal_(tensor: Tensor, gain: float = 1, generator=None) -> Tensor:
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian matrix (Saxe et al.)."""
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    _need_float(tensor, "normal_kernel_cpu")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _write(tensor, (gain * q).reshape(tensor.shape), bumps=2)


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """N(0, std^2) with a fraction ``sparsity`` of each column set to zero."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    _need_float(tensor, "normal_kernel_cpu")
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    rng = _rng(generator)
    vals = rng.standard_normal((rows, cols)) * std
    for c in range(cols):
        vals[rng.permutation(rows)[:num_zeros], c] = 0
    return _write(tensor, vals, bumps=1 + cols)


# ------------------------------------------------------------------ deprecated names
def _make_deprecate(meth):
    new_name = meth.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`.",
                      FutureWarning, stacklevel=2)
        return meth(*args, **kwargs)

    deprecated_init.__doc__ = f"{old_name}(...)\n\n.. warning::\n    This method is now deprecated in favor of " \
                              f":func:`numtorch.nn.init.{new_name}`."
    deprecated_init.__name__ = old_name
    return deprecated_init


uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
eye = _make_deprecate(eye_)
dirac = _make_deprecate(dirac_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)
sparse = _make_deprecate(sparse_)
