"""Adaptive average and max pooling (torch.nn.functional.adaptive_*_pool{1,2,3}d).

Output position ``o`` of a dimension of size ``S`` pooled to ``O`` covers
``[floor(o*S/O), ceil((o+1)*S/O))``, as in torch.  When every ``S`` is a multiple of its ``O``
the windows are regular and the regular kernels run (stride = kernel = ``S/O``); otherwise
averages apply a banded matrix per dimension and maxima run one dimension at a time over a
table of candidate positions (``_pool_core``).  ``adaptive_avg_pool`` to size 1 is
``mean(dims, keepdim=True)``, which is what torch records (``MeanBackward1``).  The 1-d forms
run the 2-d op on ``input.unsqueeze(-2)``; node names, messages and the order of checks follow
torch.
"""
from __future__ import annotations

from math import prod
from typing import List, Optional, Tuple, Union

import numpy as np

from ..._ops._helpers import make
from ..._tensor import Tensor
from ...autograd.grad_mode import GRAD
from ...autograd.graph import edge, node_class
from . import _pool_core as C
from ._pool_args import dims_2_to_3, ints, list_with_default, need_tensor, one_int

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "adaptive_max_pool3d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices"]

SizeArg = Union[int, None, Tuple[Optional[int], ...], List[Optional[int]]]


def _lead(shape, nd):
    lead = tuple(shape[:len(shape) - nd])
    return lead, prod(lead) if lead else 1


# ------------------------------------------------------------------ average
def _mean_bw(ctx, saved, g):
    shape, n = ctx
    if type(g) is np.ndarray:
        r = np.empty(shape, g.dtype)   # a fresh base array: the engine adopts it as .grad
        r.reshape(-1, n)[...] = (g.reshape(-1) / np.asarray(n, g.dtype))[:, None]
        return (r,)
    return (g.expand(*shape) / n,)


_MeanBackward1 = node_class("MeanBackward1", _mean_bw)


def _global_avg(input, nd: int) -> Tensor:
    """Pooling to size 1: the mean over the pooled dims, recorded as torch records it
    (``MeanBackward1``); the sum is one BLAS matrix-vector product."""
    x = input._data
    shape = tuple(x.shape)
    n = prod(shape[-nd:])
    x2 = np.ascontiguousarray(x).reshape(-1, n)
    if x.dtype.itemsize >= 4 and x2.shape[0]:
        s = x2 @ np.ones(n, x.dtype)
    else:
        s = np.add.reduce(x2, axis=1)
    out = (s / np.asarray(n, x.dtype)).reshape(shape[:-nd] + (1,) * nd)
    if GRAD[0] and input._rg:
        return make(out, True, _MeanBackward1((edge(input),), (shape, n)))
    return make(out, False, None)


def _adaptive_avg(input, output_size, nd: int) -> Tensor:
    fn = f"adaptive_avg_pool{nd}d"
    o = ints(output_size, fn, "output_size", 2)
    if len(o) == 1 and not isinstance(output_size, (list, tuple)):
        o = o * nd
    if len(o) != nd:
        raise RuntimeError(f"{fn}: output_size must be {nd}")
    if any(v < 0 for v in o):
        got = f"{o[0]}, {o[1]}" if nd == 2 else f"{o[0]}, {o[1]},{o[2]}"
        raise RuntimeError(f"{fn}: elements of output_size must be greater than or equal to 0 but received {{{got}}}")
    shape = tuple(input._data.shape)
    ndim = len(shape)
    if ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{fn}(): Expected {nd + 1}D or {nd + 2}D tensor, but got {list(shape)}")
    for i in (range(ndim - 2, ndim) if nd == 2 else range(1, ndim)):
        if shape[i] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input has "
                               f"sizes {list(shape)} with dimension {i} being empty")
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"{fn if nd == 2 else 'adaptive_avg_pool3d_cpu'}\" not implemented for "
                                  f"'{C.cname(x.dtype)}'")
    if all(v == 1 for v in o):
        return _global_avg(input, nd)
    S = shape[-nd:]
    lead, B = _lead(shape, nd)
    name = f"AdaptiveAvgPool{nd}DBackward0"
    if all(v > 0 and n % v == 0 for n, v in zip(S, o)):
        k = [n // v for n, v in zip(S, o)]
        op = C.AvgReg(C.win(tuple(S), tuple(o), tuple(k), tuple(k), (0,) * nd, (1,) * nd), True, None, name)
    else:
        op = C.AvgBand([C.adaptive_matrix(n, v) for n, v in zip(S, o)], name)
    out = op.fwd(x.reshape((B,) + tuple(S)), lead + tuple(o))
    return C.record(input, out, op, nd)


def adaptive_avg_pool1d(input: Tensor, output_size: Union[int, Tuple[int]]) -> Tensor:
    """F.adaptive_avg_pool1d: average pooling of the last dimension to ``output_size``."""
    fn = "adaptive_avg_pool1d"
    need_tensor(input, fn)
    o = ints(output_size, fn, "output_size", 2)
    one_int(o, fn, "output_size")
    dims_2_to_3(input, fn)
    return _adaptive_avg(input.unsqueeze(-2), [1, o[0]], 2).squeeze(-2)


def adaptive_avg_pool2d(input: Tensor, output_size: SizeArg) -> Tensor:
    """F.adaptive_avg_pool2d: average pooling of the last two dimensions to ``output_size``
    (an int, or a pair whose ``None`` entries keep the input size)."""
    need_tensor(input, "adaptive_avg_pool2d")
    return _adaptive_avg(input, list_with_default(output_size, input.size()), 2)


def adaptive_avg_pool3d(input: Tensor, output_size: SizeArg) -> Tensor:
    """F.adaptive_avg_pool3d: average pooling of the last three dimensions to ``output_size``."""
    need_tensor(input, "adaptive_avg_pool3d")
    return _adaptive_avg(input, list_with_default(output_size, input.size()), 3)


# ------------------------------------------------------------------ max
def _adaptive_max(input, output_size, nd: int):
    fn = f"adaptive_max_pool{nd}d"
    o = ints(output_size, fn, "output_size", 2)
    if len(o) == 1 and not isinstance(output_size, (list, tuple)):
        o = o * nd
    if len(o) != nd:
        raise RuntimeError(f"{fn}(): internal error: output_size.size() must be {nd}")
    shape = tuple(input._data.shape)
    ndim = len(shape)
    if ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{fn}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: {list(shape)}")
    for i in range(1, ndim):
        if shape[i] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input has "
                               f"sizes {list(shape)} with dimension {i} being empty")
    lead, B = _lead(shape, nd)
    neg = [v for v in o if v < 0]
    if neg:
        raise RuntimeError(f"Trying to create tensor with negative dimension {neg[0]}: {list(lead) + o}")
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"{fn if nd == 2 else 'adaptive_max_pool3d_cpu'}\" not implemented for "
                                  f"'{C.cname(x.dtype)}'")
    S = tuple(shape[-nd:])
    xb = x.reshape((B,) + S)
    need_grad = GRAD[0] and input._rg
    if all(v > 0 and n % v == 0 for n, v in zip(S, o)):
        k = [n // v for n, v in zip(S, o)]
        win = C.win(tuple(S), tuple(o), tuple(k), tuple(k), (0,) * nd, (1,) * nd)
        m, idx, gflat = C.max_regular(xb, win, True)
        overlap = False
    else:
        m, idx = C.sep_max(xb, [C.adaptive_table(n, v) for n, v in zip(S, o)], True)
        overlap, gflat = True, None
    out_shape = lead + tuple(o)
    ind = make(idx.reshape(out_shape), False, None)
    m = m.reshape(out_shape)
    if need_grad:
        op = C.Gather(idx, S, overlap, f"AdaptiveMaxPool{nd}DBackward0", gflat=gflat)
        return C.record(input, m, op, nd, ((ind, ind._data, ind._vc, 0),)), ind
    return make(m, False, None), ind


def adaptive_max_pool1d_with_indices(input: Tensor, output_size: Union[int, Tuple[int]],
                                     return_indices: bool = False) -> Tuple[Tensor, Tensor]:
    """F.adaptive_max_pool1d_with_indices: (values, indices along the last dimension)."""
    fn = "adaptive_max_pool1d"
    need_tensor(input, fn)
    o = ints(output_size, fn, "output_size", 2)
    one_int(o, fn, "output_size")
    dims_2_to_3(input, fn)
    shape = tuple(input.shape)
    for i in range(1, len(shape)):
        if shape[i] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input has "
                               f"sizes {list(shape)} with dimension {i} being empty")
    out, ind = _adaptive_max(input.unsqueeze(-2), [1, o[0]], 2)
    return out.squeeze(-2), ind.squeeze(-2)


def adaptive_max_pool1d(input: Tensor, output_size: Union[int, Tuple[int]], return_indices: bool = False):
    """F.adaptive_max_pool1d: max pooling of the last dimension to ``output_size``."""
    r = adaptive_max_pool1d_with_indices(input, output_size)
    return r if return_indices else r[0]


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: SizeArg,
                                     return_indices: bool = False) -> Tuple[Tensor, Tensor]:
    """F.adaptive_max_pool2d_with_indices: (values, indices flattened over each input plane)."""
    need_tensor(input, "adaptive_max_pool2d")
    return _adaptive_max(input, list_with_default(output_size, input.size()), 2)


def adaptive_max_pool2d(input: Tensor, output_size: SizeArg, return_indices: bool = False):
    """F.adaptive_max_pool2d: max pooling of the last two dimensions to ``output_size``."""
    r = adaptive_max_pool2d_with_indices(input, output_size)
    return r if return_indices else r[0]


def adaptive_max_pool3d_with_indices(input: Tensor, output_size: SizeArg,
                                     return_indices: bool = False) -> Tuple[Tensor, Tensor]:
    """F.adaptive_max_pool3d_with_indices: (values, indices flattened over each input volume)."""
    need_tensor(input, "adaptive_max_pool3d")
    return _adaptive_max(input, list_with_default(output_size, input.size()), 3)


def adaptive_max_pool3d(input: Tensor, output_size: SizeArg, return_indices: bool = False):
    """F.adaptive_max_pool3d: max pooling of the last three dimensions to ``output_size``."""
    r = adaptive_max_pool3d_with_indices(input, output_size)
    return r if return_indices else r[0]
