"""Recurrent layers: RNNBase, RNN, LSTM, GRU and the cells RNNCellBase, RNNCell, LSTMCell,
GRUCell (torch.nn.modules.rnn).

Constructor arguments, parameter names and registration order (``weight_ih_l0``,
``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``, ``weight_hr_l0``, then ``..._reverse``),
``_flat_weights_names`` / ``all_weights``, initialisation (every parameter
U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))), ``extra_repr``, warnings, error texts and the
output shapes for every combination of batch_first / bidirectional / num_layers / proj_size,
unbatched inputs and PackedSequence inputs are torch's.

The layers run one node per layer and direction pair (``functional/rnn.py``); dropout between
layers (train mode) is ``F.dropout`` with numtorch's generator.  The cells are written with
ordinary differentiable ops (``F.linear`` and activations), so they support double backward.
"""
from __future__ import annotations

import math
import numbers
import warnings
import weakref
from typing import Optional, Tuple

from ..._ops.factories import empty, zeros
from ..._tensor import Tensor
from .. import functional as F
from .. import init
from ..functional.rnn import _rnn_layer, _Seq
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATE_MULT = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
_LEGACY = {"float64": "Double", "float32": "Float", "float16": "Half", "int64": "Long", "int32": "Int"}


def _cat(ts, dim=0):
    import numtorch
    return numtorch.cat(ts, dim)


def _legacy(dt) -> str:
    n = str(dt).replace("torch.", "")
    return _LEGACY.get(n, n)


class RNNBase(Module):
    """Base class of RNN, LSTM and GRU (``mode`` is 'LSTM', 'GRU', 'RNN_TANH' or 'RNN_RELU')."""

    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                     "bidirectional", "proj_size"]
    __jit_unused_properties__ = ["all_weights"]

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        self._flat_weight_refs: list = []
        num_directions = 2 if bidirectional else 1
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element "
                             "being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          stacklevel=3)
        for name, v in (("bias", bias), ("batch_first", batch_first)):
            if not isinstance(v, bool):
                raise TypeError(f"{name} should be of type bool, got: {type(v).__name__}")
        for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(v, int):
                raise TypeError(f"{name} should be of type int, got: {type(v).__name__}")
            if v <= 0:
                raise ValueError(f"{name} must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATE_MULT:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATE_MULT[mode] * hidden_size
        self._flat_weights_names: list = []
        self._all_weights: list = []
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
                w_ih = Parameter(empty((gate_size, layer_input_size), **factory_kwargs))
                w_hh = Parameter(empty((gate_size, real_hidden_size), **factory_kwargs))
                b_ih = Parameter(empty(gate_size, **factory_kwargs))
                b_hh = Parameter(empty(gate_size, **factory_kwargs))
                if proj_size == 0:
                    layer_params: tuple = (w_ih, w_hh, b_ih, b_hh) if bias else (w_ih, w_hh)
                else:
                    w_hr = Parameter(empty((proj_size, hidden_size), **factory_kwargs))
                    layer_params = (w_ih, w_hh, b_ih, b_hh, w_hr) if bias else (w_ih, w_hh, w_hr)
                suffix = "_reverse" if direction == 1 else ""
                names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if proj_size > 0:
                    names += ["weight_hr_l{}{}"]
                names = [x.format(layer, suffix) for x in names]
                for name, param in zip(names, layer_params):
                    setattr(self, name, param)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self._init_flat_weights()
        self.reset_parameters()

    # ------------------------------------------------------------------ flat weights
    def _init_flat_weights(self) -> None:
        self._flat_weights = [getattr(self, wn) if hasattr(self, wn) else None for wn in self._flat_weights_names]
        self._flat_weight_refs = [weakref.ref(w) if w is not None else None for w in self._flat_weights]
        self.flatten_parameters()

    def __setattr__(self, attr, value) -> None:
        if hasattr(self, "_flat_weights_names") and attr in self._flat_weights_names:
            # keep self._flat_weights up to date when a weight is re-assigned
            self._flat_weights[self._flat_weights_names.index(attr)] = value
        super().__setattr__(attr, value)

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_flat_weight_refs", None)   # weak references cannot be pickled; rebuilt on load
        return state

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        if "_flat_weights_names" in self.__dict__:
            self._init_flat_weights()

    def flatten_parameters(self) -> None:
        """No-op: the weights are not packed into one buffer on CPU (as in torch)."""

    def _weights_have_changed(self) -> bool:
        changed = False
        for ref, name in zip(self._flat_weight_refs, self._flat_weights_names):
            w = getattr(self, name) if hasattr(self, name) else None
            if w is not None and ref is not None and ref() is not w:
                changed = True
                break
        return changed

    def _update_flat_weights(self) -> None:
        if self._weights_have_changed():
            self._init_flat_weights()

    def _apply(self, fn, recurse: bool = True):
        self._flat_weight_refs = []
        ret = super()._apply(fn, recurse)
        self._init_flat_weights()
        return ret

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def all_weights(self) -> list:
        return [[getattr(self, weight) for weight in weights] for weights in self._all_weights]

    # ------------------------------------------------------------------ checks
    def check_input(self, input: Tensor, batch_sizes: Optional[Tensor]) -> None:
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). Convert input: "
                             f"input.to({w.dtype}), or convert model: model.to({input.dtype})")
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError(f"input must have {expected_input_dim} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                               f"{input.size(-1)}")

    def get_expected_hidden_size(self, input: Tensor, batch_sizes: Optional[Tensor]) -> Tuple[int, int, int]:
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        h = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, h)

    def check_hidden_size(self, hx: Tensor, expected_hidden_size: Tuple[int, int, int],
                          msg: str = "Expected hidden size {}, got {}") -> None:
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input: Tensor, hidden: Optional[Tensor], batch_sizes: Optional[Tensor]) -> None:
        self.check_input(input, batch_sizes)
        expected = self.get_expected_hidden_size(input, batch_sizes)
        if hidden is not None:
            self.check_hidden_size(hidden, expected)
        elif self.proj_size > 0:
            # torch starts RNN / GRU from zeros of hidden_size, which then fail the proj_size check
            raise RuntimeError(f"Expected hidden size {expected}, got {[expected[0], expected[1], self.hidden_size]}")

    def permute_hidden(self, hx: Tensor, permutation: Optional[Tensor]):
        if permutation is None:
            return hx
        return hx.index_select(1, permutation)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # ------------------------------------------------------------------ forward
    def _prepare(self, input, hx, name: str):
        """Unpack / unsqueeze the input: (x, hx, batch_sizes, sorted, unsorted, unbatched)."""
        if isinstance(input, PackedSequence):
            x, batch_sizes, sorted_indices, unsorted_indices = input
            if hx is not None:
                hx = self.permute_hidden(hx, sorted_indices)
            return x, hx, batch_sizes, sorted_indices, unsorted_indices, False
        nd = input.dim()
        if nd not in (2, 3):
            tail = "D tensor instead" if name == "RNN" else "D instead"
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {nd}{tail}")
        unbatched = nd == 2
        if unbatched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        if self.mode == "LSTM":
            if hx is not None:
                d0, d1 = hx[0].dim(), hx[1].dim()
                want = 2 if unbatched else 3
                if d0 != want or d1 != want:
                    kind = "unbatched 2-D" if unbatched else "batched 3-D"
                    raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got ({d0}-D, "
                                       f"{d1}-D) tensors")
                if unbatched:
                    hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        elif hx is not None:
            if unbatched and hx.dim() != 2:
                raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor")
            if not unbatched and hx.dim() != 3:
                raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
            if unbatched:
                hx = hx.unsqueeze(1)
        return input, hx, None, None, None, unbatched

    def _run(self, x: Tensor, hx, cx, batch_sizes):
        """All layers: (output, h_n, c_n) for ``x`` (T, B, in) or packed data (N, in)."""
        if batch_sizes is not None:
            bs = batch_sizes._data
            seq = _Seq(int(bs.size), int(bs[0]), bs)
        else:
            if x.size(0) == 0:
                raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
            seq = _Seq(x.size(0), x.size(1))
        w0 = self._flat_weights[0]
        for h in (hx, cx):
            if h is not None and h.dtype != w0.dtype:
                if self.mode == "LSTM" and x.dtype == w0.dtype and str(x.dtype) == "torch.float32" and \
                        self.proj_size == 0:
                    raise RuntimeError("get_mkldnn_dtype: unsupported data type")
                raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_legacy(h.dtype)} and "
                                   f"{_legacy(w0.dtype)}")
        D = 2 if self.bidirectional else 1
        L = self.num_layers
        hns, cns = [], []
        p = self.dropout
        for layer in range(L):
            wts = []
            for d in range(D):
                sfx = f"l{layer}" + ("_reverse" if d else "")
                g = self.__dict__["_parameters"]
                wts.append(tuple(g[n] if n in g else getattr(self, n, None) for n in
                                 ("weight_ih_" + sfx, "weight_hh_" + sfx, "bias_ih_" + sfx, "bias_hh_" + sfx,
                                  "weight_hr_" + sfx)))
            h0 = None if hx is None else hx if L == 1 else hx[layer * D:(layer + 1) * D]
            c0 = None if cx is None else cx if L == 1 else cx[layer * D:(layer + 1) * D]
            x, hn, cn = _rnn_layer(self.mode, x, h0, c0, wts, seq)
            if p and self.training and layer < L - 1:
                x = F.dropout(x, p, True)
            hns.append(hn)
            cns.append(cn)
        hn = hns[0] if L == 1 else _cat(hns, 0)
        cn = None if cns[0] is None else cns[0] if L == 1 else _cat(cns, 0)
        return x, hn, cn

    def _forward(self, input, hx, name: str):
        self._update_flat_weights()
        packed = isinstance(input, PackedSequence)
        x, hx, batch_sizes, sorted_indices, unsorted_indices, unbatched = self._prepare(input, hx, name)
        self.check_forward_args(x, hx, batch_sizes)
        if self.batch_first and not packed:
            x = x.transpose(0, 1)
        if self.mode == "LSTM":
            h0, c0 = (None, None) if hx is None else hx
        else:
            h0, c0 = hx, None
        out, hn, cn = self._run(x, h0, c0, batch_sizes)
        if packed:
            out = PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices)
            hn = self.permute_hidden(hn, unsorted_indices)
            if cn is not None:
                cn = self.permute_hidden(cn, unsorted_indices)
        else:
            if self.batch_first:
                out = out.transpose(0, 1)
            if unbatched:
                out = out.squeeze(0 if self.batch_first else 1)
                hn = hn.squeeze(1)
                if cn is not None:
                    cn = cn.squeeze(1)
        return out, hn if cn is None else (hn, cn)


class RNN(RNNBase):
    """Elman RNN: ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``, act tanh or relu.

    Arguments as torch: ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh',
    bias=True, batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)``.
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx: Optional[Tensor] = None):
        """(output, h_n); ``input`` (L, N, H_in), (N, L, H_in) with batch_first, (L, H_in) or a
        PackedSequence; ``hx`` (D * num_layers, N, H_out) or None for zeros."""
        return self._forward(input, hx, "RNN")


class LSTM(RNNBase):
    """LSTM with torch's gates (i, f, g, o) and optional projection ``h_t = W_hr (o * tanh(c_t))``.

    Arguments as torch: ``LSTM(input_size, hidden_size, num_layers=1, bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None)``.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input: Tensor, batch_sizes: Optional[Tensor]) -> Tuple[int, int, int]:
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, mini_batch, self.hidden_size)

    def check_forward_args(self, input: Tensor, hidden, batch_sizes: Optional[Tensor]) -> None:
        self.check_input(input, batch_sizes)
        if hidden is not None:
            self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                                   "Expected hidden[0] size {}, got {}")
            self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                                   "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx, permutation: Optional[Tensor]):
        if permutation is None:
            return hx
        if isinstance(hx, tuple):
            return hx[0].index_select(1, permutation), hx[1].index_select(1, permutation)
        return hx.index_select(1, permutation)

    def forward(self, input, hx=None):
        """(output, (h_n, c_n)); ``hx`` is ``(h_0, c_0)`` or None for zeros."""
        return self._forward(input, hx, "LSTM")


class GRU(RNNBase):
    """GRU with torch's gates (r, z, n): ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``,
    ``h' = (1 - z) * n + z * h``.

    Arguments as torch: ``GRU(input_size, hidden_size, num_layers=1, bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)``.
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx: Optional[Tensor] = None):
        """(output, h_n), shapes as nn.RNN."""
        return self._forward(input, hx, "GRU")


# ====================================================================== cells
class RNNCellBase(Module):
    """Base of the cells: ``weight_ih`` (num_chunks * hidden, input), ``weight_hh``
    (num_chunks * hidden, hidden), ``bias_ih`` / ``bias_hh``; all U(-1/sqrt(hidden), 1/sqrt(hidden))."""

    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None,
                 dtype=None) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), **factory_kwargs))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), **factory_kwargs))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, **factory_kwargs))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, **factory_kwargs))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _check(self, input: Tensor, hx: Tensor, k: int) -> None:
        """torch's cell-op checks: input width, then the batch and width of hidden ``k``."""
        if k == 0 and input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} expected {self.input_size}")
        if input.size(0) != hx.size(0):
            raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{k} batch size {hx.size(0)}")
        if hx.size(1) != self.hidden_size:
            raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {hx.size(1)}, expected "
                               f"{self.hidden_size}")

    def _start(self, input: Tensor, name: str):
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        return input.dim() == 2

    def _batched_state(self, input: Tensor, hx: Optional[Tensor], name: str):
        """(batched?, 2-D input, 2-D hidden state) for RNNCell / GRUCell: checks ranks with torch's
        messages, unsqueezes unbatched inputs and makes a zero state when ``hx`` is None."""
        batched = self._start(input, name)
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = zeros(input.size(0), self.hidden_size, dtype=input.dtype)
        elif not batched:
            hx = hx.unsqueeze(0)
        return batched, input, hx


class RNNCell(RNNCellBase):
    """One Elman RNN step: ``h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)``; 1-D (unbatched) inputs accepted."""

    __constants__ = ["input_size", "hidden_size", "bias", "nonlinearity"]

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        batched, input, hx = self._batched_state(input, hx, "RNNCell")
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        self._check(input, hx, 0)
        pre = F.linear(input, self.weight_ih, self.bias_ih) + F.linear(hx, self.weight_hh, self.bias_hh)
        ret = pre.tanh() if self.nonlinearity == "tanh" else pre.relu()
        return ret if batched else ret.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: returns ``(h', c')``; ``hx`` is ``(h, c)`` or None; 1-D inputs accepted."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Optional[Tuple[Tensor, Tensor]] = None) -> Tuple[Tensor, Tensor]:
        batched = self._start(input, "LSTMCell")
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{idx}] to be 1D or 2D, got {value.dim()}D instead")
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            z = zeros(input.size(0), self.hidden_size, dtype=input.dtype)
            hx = (z, z)
        else:
            if isinstance(hx, Tensor):
                raise TypeError("lstm_cell(): argument 'hx' (position 2) must be tuple of Tensors, not Tensor")
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0)) if not batched else hx
        h, c = hx
        self._check(input, h, 0)
        self._check(input, c, 1)
        gates = F.linear(input, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)
        i, f, g, o = gates.chunk(4, 1)
        c2 = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h2 = o.sigmoid() * c2.tanh()
        if not batched:
            return h2.squeeze(0), c2.squeeze(0)
        return h2, c2


class GRUCell(RNNCellBase):
    """One GRU step: ``h' = (1 - z) * n + z * h`` with torch's gates (r, z, n); 1-D inputs accepted."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        batched, input, hx = self._batched_state(input, hx, "GRUCell")
        self._check(input, hx, 0)
        gi = F.linear(input, self.weight_ih, self.bias_ih)
        gh = F.linear(hx, self.weight_hh, self.bias_hh)
        i_r, i_z, i_n = gi.chunk(3, 1)
        h_r, h_z, h_n = gh.chunk(3, 1)
        r = (i_r + h_r).sigmoid()
        z = (i_z + h_z).sigmoid()
        n = (i_n + r * h_n).tanh()
        h2 = n + z * (hx - n)
        return h2 if batched else h2.squeeze(0)

