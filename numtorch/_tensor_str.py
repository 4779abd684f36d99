"""``repr(tensor)`` in torch's layout: 4 decimals or scientific notation chosen from the
values' range, integral floats printed as ``1.``, 80-column wrapping, ``...`` summaries past
1000 elements, and the ``dtype=`` / ``grad_fn=`` / ``requires_grad=`` suffixes."""
from __future__ import annotations

import math

import numpy as np

from . import _dtype as D

PRINT_OPTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None) -> None:
    """torch.set_printoptions."""
    if profile == "default":
        PRINT_OPTS.update(precision=4, threshold=1000, edgeitems=3, linewidth=80)
    elif profile == "short":
        PRINT_OPTS.update(precision=2, threshold=1000, edgeitems=2, linewidth=80)
    elif profile == "full":
        PRINT_OPTS.update(precision=4, threshold=math.inf, edgeitems=3, linewidth=80)
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                 ("linewidth", linewidth)):
        if v is not None:
            PRINT_OPTS[k] = v
    PRINT_OPTS["sci_mode"] = sci_mode


class _Formatter:
    def __init__(self, values: np.ndarray) -> None:
        self.kind = values.dtype.kind
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        p = PRINT_OPTS["precision"]
        if self.kind == "b":
            self.width = max((len(str(bool(v))) for v in values.ravel()), default=1)
            return
        if self.kind in "iu":
            self.width = max((len(str(int(v))) for v in values.ravel()), default=1)
            return
        v = values.astype(np.float64).ravel()
        finite = v[np.isfinite(v)]
        nz = np.abs(finite[finite != 0])
        self.int_mode = bool(np.all(np.ceil(finite) == finite))
        if nz.size:
            mx, mn = float(nz.max()), float(nz.min())
            if self.int_mode:
                self.sci_mode = mx / mn > 1000.0 or mx > 1.0e8
            else:
                self.sci_mode = mx / mn > 1000.0 or mx > 1.0e8 or mn < 1.0e-4
        if PRINT_OPTS["sci_mode"] is not None:
            self.sci_mode = PRINT_OPTS["sci_mode"]
        self.p = p
        # like torch, the column width comes from the nonzero finite values only
        nzf = finite[finite != 0]
        self.width = max((len(self._fmt(float(x))) for x in nzf), default=1)

    def _fmt(self, x: float) -> str:
        if not math.isfinite(x):
            return str(x).replace("inf", "inf")
        if self.sci_mode:
            return f"{x:.{self.p}e}"
        if self.int_mode:
            return f"{x:.0f}."
        return f"{x:.{self.p}f}"

    def format(self, x) -> str:
        if self.kind == "b":
            s = str(bool(x))
        elif self.kind in "iu":
            s = str(int(x))
        else:
            s = self._fmt(float(x))
        return s.rjust(self.width)


def _summarized(a: np.ndarray) -> np.ndarray:
    e = PRINT_OPTS["edgeitems"]
    if a.ndim == 0:
        return a
    if a.shape[0] > 2 * e:
        a = np.concatenate([a[:e], a[-e:]])
    return np.stack([_summarized(x) for x in a]) if a.ndim > 1 else a


def _tensor_str(a: np.ndarray, indent: int, fmt: _Formatter, summarize: bool) -> str:
    e = PRINT_OPTS["edgeitems"]
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        elem_len = fmt.width + 2
        per_line = max(1, int(math.floor((PRINT_OPTS["linewidth"] - indent) / elem_len)))
        if summarize and a.shape[0] > 2 * e:
            items = [fmt.format(x) for x in a[:e]] + [" ..."] + [fmt.format(x) for x in a[-e:]]
        else:
            items = [fmt.format(x) for x in a]
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    if summarize and a.shape[0] > 2 * e:
        parts = ([_tensor_str(x, indent + 1, fmt, summarize) for x in a[:e]] + ["..."]
                 + [_tensor_str(x, indent + 1, fmt, summarize) for x in a[-e:]])
    else:
        parts = [_tensor_str(x, indent + 1, fmt, summarize) for x in a]
    sep = "," + "\n" * (a.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(parts) + "]"


def tensor_repr(t, prefix: str = "tensor(") -> str:
    a = t._data
    indent = len(prefix)
    suffixes = []
    summarize = a.size > PRINT_OPTS["threshold"]
    if a.size == 0 and a.ndim != 1:
        body = "[]"
        suffixes.append(f"size={tuple(a.shape)}")
    elif a.size == 0:
        body = "[]"
    else:
        shown = _summarized(a) if summarize else a
        fmt = _Formatter(shown)
        body = _tensor_str(a, indent, fmt, summarize)
    dt = D.from_np(a.dtype)
    if not (dt is D.get_default_dtype() or dt is D.int64 or dt is D.bool):
        suffixes.append(f"dtype={dt!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{type(t.grad_fn).__name__}>")
    elif t._rg:
        suffixes.append("requires_grad=True")
    return prefix + body + "".join(", " + s for s in suffixes) + ")"
