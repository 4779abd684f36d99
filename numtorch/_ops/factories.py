"""Tensor factories (``tensor``, ``zeros``, ``arange``, ...) and random sampling.

Random numbers come from a NumPy ``Generator`` (PCG64) seeded by ``manual_seed``: runs are
reproducible within numtorch, but not bit-equal to torch's Mersenne-Twister streams (a
non-goal).  Floating results default to ``get_default_dtype()``, integers to int64, as torch.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, check_device
from ..autograd.grad_mode import GRAD
from ..autograd.graph import edge
from ._helpers import attach, make, write_out

__all__ = [
    "tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "full", "empty", "zeros_like",
    "ones_like", "full_like", "empty_like", "arange", "range", "linspace", "logspace", "eye",
    "manual_seed", "seed", "initial_seed", "Generator", "default_generator", "get_rng_state",
    "set_rng_state", "rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial",
    "rand_like", "randn_like", "randint_like", "poisson", "empty_strided", "scalar_tensor",
    "complex", "tril_indices", "triu_indices",
]


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, (int, np.integer)):
            raise TypeError(f"expected a sequence of integers or a single integer, got '{type(s).__name__}'")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _finish(a: np.ndarray, requires_grad: bool, device=None) -> Tensor:
    check_device(device)
    t = make(a, False, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _dt(dtype, default=None) -> np.dtype:
    if dtype is None:
        return (default or D.get_default_dtype()).np
    return D.to_dtype(dtype).np


def _infer(data) -> np.ndarray:
    """torch.tensor's inference: Python floats -> default dtype, ints -> int64, bools -> bool."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, np.ndarray):
        return data
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat(data)):
        data = _tensors_to_lists(data)
    a = np.array(data)
    if a.dtype == object:
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    k = a.dtype.kind
    if k == "f" and not isinstance(data, np.generic):
        if a.dtype == np.float64 and not _has_np_float64(data):
            a = a.astype(D.get_default_dtype().np)
    elif k in "iu" and not isinstance(data, np.generic) and not _has_np(data):
        a = a.astype(np.int64)
    elif k == "c":
        raise NotImplementedError("complex tensors are not supported by numtorch")
    elif k in "US":
        raise TypeError(f"new(): invalid data type '{a.dtype.name}'")
    return a


def _flat(x):
    if isinstance(x, (list, tuple)):
        for y in x:
            yield from _flat(y)
    else:
        yield x


def _has_np_float64(x) -> bool:
    return any(isinstance(v, np.float64) and not isinstance(v, float) or
               (isinstance(v, np.ndarray) and v.dtype == np.float64) for v in _flat(x)) if isinstance(x, (list, tuple)) else False


def _has_np(x) -> bool:
    return False


def _tensors_to_lists(x):
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, (list, tuple)):
        return [_tensors_to_lists(y) for y in x]
    return x


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """torch.tensor: always copies ``data``; infers the dtype as torch does."""
    a = _infer(data)
    a = np.array(a, dtype=None if dtype is None else _dt(dtype), copy=True)
    return _finish(a, requires_grad, device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """torch.as_tensor: shares memory with a tensor or ndarray when no conversion is needed."""
    check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None or D.to_dtype(dtype).np == data._data.dtype else data.to(dtype)
    if isinstance(data, np.ndarray):
        a = data if dtype is None else data.astype(_dt(dtype), copy=False)
        D.from_np(a.dtype)
        return make(a, False, None)
    a = _infer(data)
    return make(a if dtype is None else a.astype(_dt(dtype)), False, None)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad: bool = False) -> Tensor:
    t = as_tensor(obj, dtype=dtype, device=device)
    if copy:
        t = make(t._data.copy(), False, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """torch.from_numpy: a tensor sharing the array's memory (and its dtype)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_np(ndarray.dtype)
    return make(ndarray, False, None)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    r = _finish(np.zeros(_size(size), dtype=_dt(dtype)), requires_grad, device)
    return r if out is None else write_out(out, r)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    r = _finish(np.ones(_size(size), dtype=_dt(dtype)), requires_grad, device)
    return r if out is None else write_out(out, r)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False,
          pin_memory: bool = False, memory_format=None) -> Tensor:
    r = _finish(np.empty(_size(size), dtype=_dt(dtype)), requires_grad, device)
    return r if out is None else write_out(out, r)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return empty(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = D.result_type(fill_value)
    r = _finish(np.full(_size((size,) if isinstance(size, int) else tuple(size)), fill_value, dtype=_dt(dtype)),
                requires_grad, device)
    return r if out is None else write_out(out, r)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.asarray(s, dtype=_dt(dtype)), requires_grad, device)


def _like(input: Tensor, dtype):
    return input._data.dtype if dtype is None else _dt(dtype)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad: bool = False, memory_format=None):
    return _finish(np.zeros(input.shape, dtype=_like(input, dtype)), requires_grad, device)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad: bool = False, memory_format=None):
    return _finish(np.ones(input.shape, dtype=_like(input, dtype)), requires_grad, device)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad: bool = False, memory_format=None):
    return _finish(np.empty(input.shape, dtype=_like(input, dtype)), requires_grad, device)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
              memory_format=None):
    return _finish(np.full(input.shape, fill_value, dtype=_like(input, dtype)), requires_grad, device)


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """torch.arange: int64 for integer arguments, else the default float dtype."""
    if end is None:
        start, end = 0, start
    vals = [float(v) if isinstance(v, Tensor) and v.is_floating_point() else (int(v) if isinstance(v, Tensor) else v)
            for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = D.int64 if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in vals) \
            else D.get_default_dtype()
    dt = D.to_dtype(dtype)
    n = int(math.ceil((end - start) / step))
    if dt.is_floating_point:
        a = (start + np.arange(n, dtype=np.float64) * step).astype(dt.np)
    else:
        a = np.arange(start, end, step).astype(dt.np)[:n]
    r = _finish(a, requires_grad, device)
    return r if out is None else write_out(out, r)


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False):  # noqa: A001
    """Deprecated torch.range (end inclusive, float by default)."""
    if end is None:
        start, end = 0, start
    n = int(math.floor((end - start) / step)) + 1
    a = (start + np.arange(n, dtype=np.float64) * step).astype(_dt(dtype))
    return _finish(a, requires_grad, device)


def linspace(start, end, steps: int, *, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    if steps < 0:
        raise RuntimeError("linspace(): number of steps must be non-negative")
    start = float(start) if isinstance(start, Tensor) else start
    end = float(end) if isinstance(end, Tensor) else end
    a = np.linspace(start, end, steps, dtype=np.float64)
    r = _finish(a.astype(_dt(dtype)), requires_grad, device)
    return r if out is None else write_out(out, r)


def logspace(start, end, steps: int, base: float = 10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    a = np.power(base, np.linspace(start, end, steps, dtype=np.float64))
    r = _finish(a.astype(_dt(dtype)), requires_grad, device)
    return r if out is None else write_out(out, r)


def eye(n: int, m: Optional[int] = None, *, out=None, dtype=None, layout=None, device=None,
        requires_grad: bool = False) -> Tensor:
    r = _finish(np.eye(n, m, dtype=_dt(dtype)), requires_grad, device)
    return r if out is None else write_out(out, r)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    i, j = np.tril_indices(row, offset, col)
    return make(np.stack([i, j]).astype(_dt(dtype, D.int64)), False, None)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    i, j = np.triu_indices(row, offset, col)
    return make(np.stack([i, j]).astype(_dt(dtype, D.int64)), False, None)


def complex(real, imag):  # noqa: A001
    raise NotImplementedError("complex tensors are not supported by numtorch")


# ---------------------------------------------------------------------------- random
class Generator:
    """torch.Generator: an independent random stream (NumPy PCG64 underneath)."""

    def __init__(self, device="cpu") -> None:
        check_device(device)
        self.device = device
        self._seed = 67280421310721
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> "Generator":
        seed = int(seed)
        self._seed = seed
        self._rng = np.random.default_rng(seed & 0xFFFFFFFFFFFFFFFF)
        return self

    def seed(self) -> int:
        s = int(np.random.SeedSequence().entropy) & 0xFFFFFFFFFFFFFFFF
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        import pickle
        raw = pickle.dumps(self._rng.bit_generator.state)
        return make(np.frombuffer(raw, dtype=np.uint8).copy(), False, None)

    def set_state(self, new_state: Tensor) -> "Generator":
        import pickle
        st = pickle.loads(new_state._data.tobytes())  # noqa: S301 - produced by get_state
        self._rng.bit_generator.state = st
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed numtorch's global generator (reproducible runs)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    default_generator.set_state(new_state)


def _rng(generator) -> np.random.Generator:
    return (generator or default_generator)._rng


def _float_dt(dtype):
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    if not dt.is_floating_point:
        raise RuntimeError(f"\"check_uniform_bounds\" not implemented for '{dt.name}'")
    return dt.np


def _sample_float(kind, shape, dtype, rng):
    dt = _float_dt(dtype)
    cdt = dt if dt in (np.float32, np.float64) else np.float32
    a = rng.random(shape, dtype=cdt) if kind == "u" else rng.standard_normal(shape, dtype=cdt)
    return a.astype(dt, copy=False)


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False):
    """Uniform samples on [0, 1)."""
    r = _finish(_sample_float("u", _size(size), dtype, _rng(generator)), requires_grad, device)
    return r if out is None else write_out(out, r)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False):
    """Standard normal samples."""
    r = _finish(_sample_float("n", _size(size), dtype, _rng(generator)), requires_grad, device)
    return r if out is None else write_out(out, r)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return rand(*input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return randn(*input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """Integers uniform on [low, high); int64 unless ``dtype`` says otherwise."""
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    a = _rng(generator).integers(low, high, size=_size(tuple(size)), dtype=np.int64)
    r = _finish(a.astype(_dt(dtype, D.int64), copy=False), requires_grad, device)
    return r if out is None else write_out(out, r)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype)


def randperm(n: int, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    a = _rng(generator).permutation(n).astype(_dt(dtype, D.int64))
    r = _finish(a, requires_grad, device)
    return r if out is None else write_out(out, r)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """torch.normal with tensor or scalar mean/std (or scalars plus ``size``)."""
    rng = _rng(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        if isinstance(std, Tensor) and np.any(s < 0) or (not isinstance(std, Tensor) and s < 0):
            raise RuntimeError(f"normal expects std >= 0.0, but found std {s.min() if isinstance(s, np.ndarray) else s}")
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        dt = (mean if isinstance(mean, Tensor) else std)._data.dtype
        a = (m + s * rng.standard_normal(shape, dtype=np.float64)).astype(dt)
        r = _finish(a, False, device)
    else:
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        a = mean + std * _sample_float("n", _size(tuple(size)), dtype, rng)
        r = _finish(a.astype(_float_dt(dtype), copy=False), requires_grad, device)
    return r if out is None else write_out(out, r)


def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:
    """Draw 0/1 with probabilities ``input`` (or ``p``); same dtype as input."""
    probs = input._data if p is None else np.full(input.shape, p)
    if np.any((probs < 0) | (probs > 1)):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    a = (_rng(generator).random(input.shape) < probs).astype(input._data.dtype)
    r = make(a, False, None)
    return r if out is None else write_out(out, r)


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None, out=None) -> Tensor:
    """Sample category indices from each row of unnormalised non-negative weights."""
    p = input._data.astype(np.float64)
    if p.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if np.any(p < 0) or not np.all(np.isfinite(p)):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = p.reshape(-1, p.shape[-1])
    sums = rows.sum(1, keepdims=True)
    if np.any(sums <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    n_cat = rows.shape[1]
    if not replacement and num_samples > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    rng = _rng(generator)
    if replacement:
        cdf = np.cumsum(rows / sums, axis=1)
        u = rng.random((rows.shape[0], num_samples))
        idx = (u[:, :, None] >= cdf[:, None, :]).sum(-1)
        idx = np.minimum(idx, n_cat - 1)
    else:
        # Gumbel-top-k: sampling without replacement in proportion to the weights, vectorised
        with np.errstate(divide="ignore"):
            keys = np.log(rows) - np.log(-np.log(rng.random(rows.shape)))
        idx = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    idx = idx.reshape(p.shape[:-1] + (num_samples,)).astype(np.int64)
    r = make(idx, False, None)
    return r if out is None else write_out(out, r)


def poisson(input, generator=None) -> Tensor:
    return make(_rng(generator).poisson(input._data).astype(input._data.dtype), False, None)


# ---------------------------------------------------------------------------- in-place fills
def _fill_inplace(self: Tensor, values: np.ndarray) -> Tensor:
    from .inplace import _rebase_history, check_inplace
    check_inplace(self)
    np.copyto(self._data, values, casting="unsafe")
    self._vc[0] += 1
    if GRAD[0] and self._rg:
        # the old values no longer reach the output: their gradient is zero
        _rebase_history(self, _FillBackward((edge(self),)))
    return self


from ..autograd.graph import node_class as _nc  # noqa: E402
from ._helpers import ns as _ns  # noqa: E402

_FillBackward = _nc("FillBackward0", lambda c, s, g: (_ns(g).zeros_like(g),))


def fill_(self: Tensor, value) -> Tensor:
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.dim()} dimensions.")
        value = value.item()
    return _fill_inplace(self, np.asarray(value))


def zero_(self: Tensor) -> Tensor:
    return _fill_inplace(self, np.zeros((), dtype=self._data.dtype))


def _float_only(self: Tensor, kernel: str) -> None:
    k = self._data.dtype
    if k.kind != "f":
        from ..autograd.graph import _LEGACY
        raise RuntimeError(f"\"{kernel}\" not implemented for '{_LEGACY[k.name]}'")


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
    _float_only(self, "check_uniform_bounds")
    u = _rng(generator).random(self.shape, dtype=np.float64)
    return _fill_inplace(self, a + (b - a) * u)


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    _float_only(self, "normal_kernel_cpu")
    return _fill_inplace(self, mean + std * _rng(generator).standard_normal(self.shape, dtype=np.float64))


def bernoulli_(self: Tensor, p=0.5, *, generator=None) -> Tensor:
    probs = p._data if isinstance(p, Tensor) else p
    return _fill_inplace(self, _rng(generator).random(self.shape) < probs)


def random_(self: Tensor, from_=0, to=None, *, generator=None) -> Tensor:
    if to is None:
        if from_ == 0:
            k = self._data.dtype
            to = 2 ** 24 + 1 if k == np.float32 else (2 ** 53 + 1 if k == np.float64 else
                                                       int(np.iinfo(k).max) + 1 if k.kind in "iu" else 2)
        else:
            from_, to = 0, from_
    return _fill_inplace(self, _rng(generator).integers(from_, to, size=self.shape))


def exponential_(self: Tensor, lambd: float = 1.0, *, generator=None) -> Tensor:
    return _fill_inplace(self, _rng(generator).exponential(1.0 / lambd, size=self.shape))


def geometric_(self: Tensor, p: float, *, generator=None) -> Tensor:
    return _fill_inplace(self, _rng(generator).geometric(p, size=self.shape))


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
    return _fill_inplace(self, _rng(generator).lognormal(mean, std, size=self.shape))


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
    return _fill_inplace(self, median + sigma * _rng(generator).standard_cauchy(size=self.shape))


def _new_factory(f):
    def method(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        return f(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad, **kw)
    return method


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


attach({
    "fill_": fill_, "zero_": zero_, "uniform_": uniform_, "normal_": normal_, "bernoulli_": bernoulli_,
    "random_": random_, "exponential_": exponential_, "geometric_": geometric_, "log_normal_": log_normal_,
    "cauchy_": cauchy_, "new_zeros": _new_factory(zeros), "new_ones": _new_factory(ones),
    "new_empty": _new_factory(empty), "new_full": _new_full, "new_tensor": _new_tensor,
    "bernoulli": lambda self, p=None, *, generator=None: bernoulli(self, p, generator=generator),
    "multinomial": multinomial,
})
