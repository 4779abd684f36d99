"""torch.nn.utils.rnn: PackedSequence and the packing / padding helpers.

A ``PackedSequence`` holds the time steps of a batch of variable-length sequences, longest
first, as one ``data`` tensor: step 0 of every sequence, then step 1 of every sequence still
running, ...; ``batch_sizes[t]`` says how many sequences are running at step ``t``.  As in
torch, ``sorted_indices`` / ``unsorted_indices`` record the reordering when the batch was not
sorted by length (``enforce_sorted=False``).

Packing and unpadding are one gather each (numtorch indexing with a precomputed index array,
the sort permutation folded in), padding is a ``cat`` with one padding row followed by one
gather, so gradients flow through every helper.  Error texts are torch's.
"""
from __future__ import annotations

from collections import namedtuple
from typing import List, Optional, Union

import numpy as np

from ..._tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


def _nt():
    import numtorch
    return numtorch


def _long(a) -> Tensor:
    return Tensor._make(np.ascontiguousarray(a, dtype=np.int64), False, None)


PackedSequence_ = namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(PackedSequence_):
    """torch.nn.utils.rnn.PackedSequence: a namedtuple (data, batch_sizes, sorted_indices,
    unsorted_indices); ``unsorted_indices`` defaults to the inverse of ``sorted_indices``, and
    ``PackedSequence((data, batch_sizes))`` is accepted as in torch.  Conversions (``to``,
    ``double``, ...) convert ``data`` only and return ``self`` when nothing changes."""

    def __new__(cls, data: Tensor, batch_sizes: Optional[Tensor] = None, sorted_indices: Optional[Tensor] = None,
                unsorted_indices: Optional[Tensor] = None) -> "PackedSequence":
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if batch_sizes.device.type != "cpu":
                raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence should never be "
                                 "created manually. They should be instantiated by functions like pack_sequence "
                                 "and pack_padded_sequences in nn.utils.rnn. "
                                 "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
            return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)
        if not (isinstance(data, (list, tuple)) and len(data) == 2):
            raise AssertionError("Expected data to be a list or tuple of length 2")
        return super().__new__(cls, data[0], data[1], sorted_indices, unsorted_indices)

    def pin_memory(self) -> "PackedSequence":
        return type(self)(self.data.pin_memory(), self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs) -> "PackedSequence":
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cuda(self, *args, **kwargs) -> "PackedSequence":
        return type(self)(self.data.cuda(*args, **kwargs), self.batch_sizes, self.sorted_indices,
                          self.unsorted_indices)

    def cpu(self, *args, **kwargs) -> "PackedSequence":
        return self.to(device="cpu")

    def double(self) -> "PackedSequence":
        return self.to(dtype=_nt().double)

    def float(self) -> "PackedSequence":
        return self.to(dtype=_nt().float)

    def half(self) -> "PackedSequence":
        return self.to(dtype=_nt().half)

    def long(self) -> "PackedSequence":
        return self.to(dtype=_nt().long)

    def int(self) -> "PackedSequence":
        return self.to(dtype=_nt().int)

    def short(self) -> "PackedSequence":
        return self.to(dtype=_nt().short)

    def char(self) -> "PackedSequence":
        return self.to(dtype=_nt().int8)

    def byte(self) -> "PackedSequence":
        return self.to(dtype=_nt().uint8)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return self.data.is_pinned()


def invert_permutation(permutation: Optional[Tensor]) -> Optional[Tensor]:
    """The inverse of a permutation tensor (None stays None)."""
    if permutation is None:
        return None
    p = permutation._data
    out = np.empty_like(p)
    out[p] = np.arange(p.size, dtype=p.dtype)
    return Tensor._make(out, False, None)


def _layout(bs: np.ndarray):
    """(time index, sorted batch position) of every packed row, for batch sizes ``bs``."""
    n = int(bs.sum())
    t = np.repeat(np.arange(bs.size), bs)
    b = np.arange(n) - np.repeat(np.cumsum(bs) - bs, bs)
    return t, b


def pack_padded_sequence(input: Tensor, lengths: Union[Tensor, List[int]], batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """torch's pack_padded_sequence: ``input`` (T, B, *) (or (B, T, *) with ``batch_first``)
    holding sequences of the given lengths; with ``enforce_sorted=False`` the batch is sorted
    by decreasing length first (stable, as torch) and the permutation is recorded."""
    if isinstance(lengths, Tensor):
        ln = lengths._data.astype(np.int64)
    else:
        ln = np.asarray(lengths).astype(np.int64)
    sorted_indices = None
    if not enforce_sorted:
        if ln.ndim == 1:
            order = np.argsort(-ln, kind="stable")
            ln = ln[order]
            sorted_indices = _long(order)
    if ln.ndim != 1:
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {ln.ndim}D cpu Long tensor")
    batch_dim = 0 if batch_first else 1
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    B = input.size(batch_dim)
    if ln.size != B:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {ln.size} (batch_size={B})")
    if np.any(ln[:-1] < ln[1:]):
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can "
                           "pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this "
                           "requirement if you do not need ONNX exportability.")
    if ln[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    T = input.size(1 - batch_dim)
    if ln[0] > T:
        raise RuntimeError(f"pack_padded_sequence: a length ({int(ln[0])}) exceeds the sequence dimension of the "
                           f"input ({T})")
    bs = (ln[None, :] > np.arange(int(ln[0]))[:, None]).sum(1)
    t, b = _layout(bs)
    if sorted_indices is not None:
        b = sorted_indices._data[b]
    data = input[b, t] if batch_first else input[t, b]
    return PackedSequence(data, _long(bs), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: Optional[int] = None):
    """torch's pad_packed_sequence: the padded (T, B, *) (or (B, T, *)) tensor, in the original
    batch order, and the int64 lengths; ``total_length`` pads to that many steps."""
    bs = sequence.batch_sizes._data.astype(np.int64)
    T = bs.size
    if total_length is not None:
        if total_length < T:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {T}")
        if not isinstance(total_length, (int, np.integer)):
            raise TypeError(f"_pad_packed_sequence(): argument 'total_length' (position 5) must be int, not "
                            f"{type(total_length).__name__}")
        T = int(total_length)
    data = sequence.data
    B = int(bs[0])
    N = int(bs.sum())
    t, b = _layout(bs)
    idx = np.full((T, B), N, np.int64)    # row N is the padding row
    idx[t, b] = np.arange(N)
    lengths = (bs[None, :] > np.arange(B)[:, None]).sum(1)
    uns = sequence.unsorted_indices
    if uns is not None:
        idx = idx[:, uns._data]
        lengths = lengths[uns._data]
    if batch_first:
        idx = idx.T
    nt = _nt()
    pad = nt.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype)
    padded = nt.cat([data, pad])[_long(idx)]
    return padded, _long(lengths)


def _slot_check(slot: tuple, shape: tuple) -> None:
    """torch's broadcasting error when a sequence does not fit its slot of the padded tensor."""
    n = max(len(slot), len(shape))
    a = (1,) * (n - len(slot)) + slot
    b = (1,) * (n - len(shape)) + shape
    for k in range(n - 1, -1, -1):
        if a[k] != b[k] and b[k] != 1 and a[k] != 1:
            raise RuntimeError(f"The size of tensor a ({a[k]}) must match the size of tensor b ({b[k]}) at "
                               f"non-singleton dimension {k}")


def pad_sequence(sequences: Union[Tensor, List[Tensor]], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """torch's pad_sequence: stack variable-length (L_i, *) tensors into (L_max, B, *) (or
    (B, L_max, *)), padding on the right or left with ``padding_value``; the dtype is the first
    sequence's."""
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    first = sequences[0]
    trail = tuple(first.shape[1:])
    lens = [int(s.shape[0]) if s.dim() else 1 for s in sequences]
    L = max(lens)
    parts = []
    for s, n in zip(sequences, lens):
        shape = tuple(s.shape)
        if shape != (n,) + trail:
            _slot_check((n,) + trail, shape)
            s = s.expand((n,) + trail)
        if s.dtype != first.dtype:
            s = s.to(first.dtype)
        parts.append(s)
    nt = _nt()
    total = sum(lens)
    parts.append(nt.full((1,) + trail, padding_value, dtype=first.dtype))
    ln = np.asarray(lens)
    start = np.cumsum(ln) - ln
    pos = np.arange(L)[None, :]
    if padding_side == "left":
        pos = pos - (L - ln)[:, None]
    idx = np.where((pos >= 0) & (pos < ln[:, None]), start[:, None] + pos, total)   # (B, L)
    if not batch_first:
        idx = idx.T
    return nt.cat(parts)[_long(idx)]


def unpad_sequence(padded_sequences: Tensor, lengths: Tensor, batch_first: bool = False) -> List[Tensor]:
    """torch's unpad_sequence: the list of sequences ``padded[:length_i, i]`` (views)."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences, lengths)]


def pack_sequence(sequences: List[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """torch's pack_sequence: ``pack_padded_sequence(pad_sequence(sequences), lengths)``."""
    lengths = _long([v.size(0) for v in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> List[Tensor]:
    """torch's unpack_sequence: the list of the packed sequences, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
