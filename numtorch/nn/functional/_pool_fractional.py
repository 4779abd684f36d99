"""Fractional max pooling (torch.nn.functional.fractional_max_pool{2,3}d).

Each (batch, channel) plane draws one sample ``u`` in [0, 1) per pooled dimension (torch's
order: ``_random_samples[..., :]`` drives (W, H) in 2-d but (T, H, W) in 3-d); window starts along a
dimension of size ``S`` pooled to ``O`` with kernel ``k`` are
``floor((i + u) * alpha) - floor(u * alpha)`` for ``i < O - 1`` with
``alpha = (S - k) / (O - 1)`` (in the input's precision), and ``S - k`` for the last window.  With the same
``_random_samples`` tensor the windows, values and indices equal torch's; without it the
samples come from numtorch's generator (``numtorch.rand``), whose stream differs from torch's.
The max runs one dimension at a time over per-plane position tables (``_pool_core.sep_max``).
"""
from __future__ import annotations

from typing import Optional, Tuple, Union

import numpy as np

from ..._ops._helpers import make
from ..._tensor import Tensor
from ...autograd.grad_mode import GRAD
from . import _pool_core as C
from ._pool_args import ints, need_tensor

__all__ = ["fractional_max_pool2d", "fractional_max_pool3d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d_with_indices"]

_DIMS = {2: ("height", "width"), 3: ("time", "height", "width")}


def _starts(u: np.ndarray, S: int, O: int, k: int) -> np.ndarray:
    """Window starts ``(planes, O)`` for samples ``u`` (planes,), computed in the samples' own
    precision as torch does (float32 arithmetic for float32 inputs)."""
    P = u.shape[0]
    if O == 0:
        return np.zeros((P, 0), np.int64)
    if O == 1:
        return np.full((P, 1), S - k, np.int64)
    dt = u.dtype.type
    alpha = dt(S - k) / dt(O - 1)
    i = np.arange(O - 1).astype(u.dtype)
    seq = (np.floor((i + u[:, None]) * alpha) - np.floor(u[:, None] * alpha)).astype(np.int64)
    return np.concatenate([seq, np.full((P, 1), S - k, np.int64)], axis=1)


def _fractional(input, kernel_size, output_size, samples, nd: int):
    fn = f"fractional_max_pool{nd}d"
    k = ints(kernel_size, fn, "kernel_size", 2)
    o = ints(output_size, fn, "output_size", 3)
    if len(k) not in (1, nd):
        raise RuntimeError(f"{fn}: kernel_size must either be a single Int or tuple of Ints")
    if len(o) not in (1, nd):
        raise RuntimeError(f"{fn}: output_size must either be a single Int or tuple of Ints")
    k = k * nd if len(k) == 1 else k
    o = o * nd if len(o) == 1 else o
    need_tensor(samples, fn, "random_samples", 4)
    x = input._data
    if samples._data.dtype != x.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    shape = tuple(x.shape)
    ndim = len(shape)
    if ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input")
    where = f"{fn}()" if nd == 2 else "fractional_max_pool3d_out()"
    for i in range(1, ndim):
        if shape[i] == 0:
            raise RuntimeError(f"{where}: Expected input to have non-zero size for non-batch dimensions, but "
                               f"got{list(shape)} with dimension {i} being empty.")
    n_batch = 1 if ndim == nd + 1 else shape[0]
    chans = shape[-nd - 1]
    u = samples._data
    if u.ndim != 3 or u.shape[0] < n_batch:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if u.shape[1] != chans:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if u.shape[2] != nd:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {nd}; got {u.shape[2]}.")
    S = tuple(shape[-nd:])
    for i in ((0, 1) if nd == 2 else (0, 2, 1)):   # torch's order; its 3-d check is strict
        name, n, ki, oi = _DIMS[nd][i], S[i], k[i], o[i]
        if oi + ki - 1 > n or (nd == 3 and oi + ki - 1 == n):
            raise RuntimeError(f"{where}: pool {name} {ki} too large relative to input {name} {n}")
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"{fn}_out_frame\" not implemented for '{C.cname(x.dtype)}'")
    B = n_batch * chans
    u = np.ascontiguousarray(u[:n_batch]).reshape(B, nd)
    # torch's sample order: (W, H) in 2-d, (T, H, W) in 3-d
    starts = [_starts(u[:, nd - 1 - i] if nd == 2 else u[:, i], S[i], o[i], k[i]) for i in range(nd)]
    xb = x.reshape((B,) + S)
    if 0 in k:  # empty windows: torch reports -inf at each window start
        m = np.full((B,) + tuple(o), -np.inf, x.dtype)
        idx = np.zeros((B,) + tuple(o), np.int64)
        st = C._strides(S)
        for i in range(nd):
            sh = [B] + [1] * nd
            sh[i + 1] = o[i]
            idx += starts[i].reshape(sh) * st[i]
    else:
        tables = [s[:, :, None] + np.arange(ki) for s, ki in zip(starts, k)]
        m, idx = C.sep_max(xb, tables, True)
    out_shape = shape[:-nd] + tuple(o)
    ind = make(idx.reshape(out_shape), False, None)
    m = m.reshape(out_shape)
    if GRAD[0] and input._rg:
        op = C.Gather(idx, S, True, f"FractionalMaxPool{nd}DBackward0")
        return C.record(input, m, op, nd, ((ind, ind._data, ind._vc, 0),)), ind
    return make(m, False, None), ind


def _samples(input, nd: int):
    """torch's default draw: ``rand(N or 1, C, nd)`` in the input's dtype (numtorch's generator)."""
    from ... import rand
    dt = input._data.dtype
    if dt.kind != "f":
        raise NotImplementedError(f"\"check_uniform_bounds\" not implemented for '{C.cname(dt)}'")
    n_batch = 1 if input.dim() == nd + 1 else input.size(0)
    return rand(n_batch, input.size(-nd - 1), nd, dtype=input.dtype)


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio: Optional[Tuple[float, float]] = None,
                                       return_indices: bool = False,
                                       _random_samples: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    """F.fractional_max_pool2d_with_indices: (values, indices flattened over each input plane)."""
    need_tensor(input, "fractional_max_pool2d")
    if output_size is None and output_ratio is None:
        raise ValueError("fractional_max_pool2d requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if len(output_ratio) == 1:
            output_ratio = (output_ratio[0], output_ratio[0])
        output_size = [int(input.size(-2) * output_ratio[0]), int(input.size(-1) * output_ratio[1])]
    if _random_samples is None:
        _random_samples = _samples(input, 2)
    return _fractional(input, kernel_size, output_size, _random_samples, 2)


def fractional_max_pool2d(input: Tensor, kernel_size, output_size=None,
                          output_ratio: Optional[Tuple[float, float]] = None, return_indices: bool = False,
                          _random_samples: Optional[Tensor] = None):
    """F.fractional_max_pool2d over the last two dimensions of a (N, C, H, W) or (C, H, W)
    input; ``output_ratio`` must be a pair here, as in torch's functional form."""
    r = fractional_max_pool2d_with_indices(input, kernel_size, output_size, output_ratio, False, _random_samples)
    return r if return_indices else r[0]


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio: Optional[Union[float, Tuple[float, ...]]] = None,
                                       return_indices: bool = False,
                                       _random_samples: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    """F.fractional_max_pool3d_with_indices: (values, indices flattened over each input volume)."""
    need_tensor(input, "fractional_max_pool3d")
    if output_size is None and output_ratio is None:
        raise ValueError("fractional_max_pool3d requires specifying either an output_size or an output_ratio")
    if output_size is None:
        r = tuple(output_ratio) if isinstance(output_ratio, (list, tuple)) else (output_ratio,) * 3
        output_size = [int(input.size(-3) * r[0]), int(input.size(-2) * r[1]), int(input.size(-1) * r[2])]
    if _random_samples is None:
        _random_samples = _samples(input, 3)
    return _fractional(input, kernel_size, output_size, _random_samples, 3)


def fractional_max_pool3d(input: Tensor, kernel_size, output_size=None,
                          output_ratio: Optional[Union[float, Tuple[float, ...]]] = None, return_indices: bool = False,
                          _random_samples: Optional[Tensor] = None):
    """F.fractional_max_pool3d over the last three dimensions of a (N, C, D, H, W) or
    (C, D, H, W) input."""
    r = fractional_max_pool3d_with_indices(input, kernel_size, output_size, output_ratio, False, _random_samples)
    return r if return_indices else r[0]
