"""einsum and the contractions built on it: einsum, tensordot, inner, outer/ger, kron.

Everything here goes through one differentiable primitive, ``_ein`` (reshape operands,
``np.einsum``, reshape the result), whose gradient for each operand is again an ``_ein``
(``_grad_spec`` derives that equation, with identity matrices for repeated subscripts and
ones vectors for dimensions summed away), so double backward records a graph.  ``_parse``
applies torch's einsum checks and messages (subscripts in [a-zA-Z], ellipsis broadcasting,
size-1 broadcasting of labelled dimensions, implicit output order); the sublist form
``einsum(op, [0, 1], op, [1, 2], [0, 2])`` is accepted.  Dtype rules match torch: einsum
promotes mixed dtypes unless a contraction joins two operands (then bmm's error), tensordot
needs equal dtypes, outer/kron promote.  Grad-fn names follow torch (ViewBackward0,
SumBackward1, PermuteBackward0, MulBackward0, UnsafeViewBackward0).  Re-exported by
``linalg``, which holds the matmul/addmm family and the shared error helpers used here.
"""
from __future__ import annotations

import collections
import string
from functools import lru_cache

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD
from ..autograd.graph import edge, node_class, save
from ._helpers import attach, make, normalize_dims, write_out
from .linalg import _bool_err, _ln

__all__ = ["einsum", "ger", "inner", "kron", "outer", "tensordot"]


# ------------------------------------------------------------------ einsum machinery
_LETTERS = string.ascii_letters


def _ein_np(eq, arrays, in_shapes, out_shape):
    ops = [a if a.shape == s else a.reshape(s) for a, s in zip(arrays, in_shapes)]
    big = len(ops) > 2 or (len(ops) == 2 and ops[0].size * ops[1].size > 4096)
    r = np.asarray(np.einsum(eq, *ops, optimize=big) if len(ops) > 1 else np.einsum(eq, *ops))
    if len(ops) == 1 and np.may_share_memory(r, ops[0]):  # diagonal / permutation views: own the result
        r = r.copy()
    return r.reshape(out_shape)


@lru_cache(maxsize=1024)
def _grad_spec(eq: str, i: int, in_shapes: tuple, out_nat: tuple):
    """The einsum computing operand ``i``'s gradient: (equation, constants, input shapes).

    Repeated subscripts of operand ``i`` get fresh letters tied to the original by identity
    matrices; subscripts summed away only in operand ``i`` get a ones vector (broadcast)."""
    ins, out = eq.split("->")
    subs = ins.split(",")
    fresh = iter(c for c in _LETTERS if c not in eq)
    si = subs[i]
    size = dict(zip(si, in_shapes[i]))
    target, consts, seen = [], [], set()
    for c in si:
        if c in seen:
            n = next(fresh)
            target.append(n)
            consts.append(("eye", c + n, size[c]))
        else:
            seen.add(c)
            target.append(c)
    others = [out] + [s for j, s in enumerate(subs) if j != i]
    present = set("".join(others)) | {c[1][0] for c in consts}
    for c in si:
        if c not in present:
            present.add(c)
            consts.append(("ones", c, size[c]))
    shapes = (out_nat,) + tuple(s for j, s in enumerate(in_shapes) if j != i) + tuple(
        (n, n) if k == "eye" else (n,) for k, _, n in consts)
    geq = ",".join(others + [c[1] for c in consts]) + "->" + "".join(target)
    return geq, tuple((k, n) for k, _, n in consts), shapes


def _const(kind, n, dt):
    return np.eye(n, dtype=dt) if kind == "eye" else np.ones(n, dtype=dt)


def _ein_bw(ctx, saved, g):
    eq, in_shapes, out_nat, orig, needs = ctx
    tensors = type(g) is not np.ndarray
    grads = []
    for i, need in enumerate(needs):
        if not need:
            grads.append(None)
            continue
        geq, consts, shapes = _grad_spec(eq, i, in_shapes, out_nat)
        cs = [_const(k, n, g.dtype if not tensors else g._data.dtype) for k, n in consts]
        others = [s for j, s in enumerate(saved) if j != i]
        if tensors:
            grads.append(_ein(geq, [g] + others + [make(c, False, None) for c in cs], shapes, orig[i]))
        else:
            grads.append(_ein_np(geq, [g] + others + cs, shapes, orig[i]))
    return tuple(grads)


_EIN_NODES: dict = {}


def _ein(eq, tensors, in_shapes, out_shape, name="ViewBackward0"):
    """Differentiable primitive: reshape operands to ``in_shapes``, einsum, reshape to ``out_shape``."""
    arrays = [t._data for t in tensors]
    r = _ein_np(eq, arrays, in_shapes, out_shape)
    if GRAD[0] and any(t._rg for t in tensors):
        cls = _EIN_NODES.get(name)
        if cls is None:
            cls = _EIN_NODES[name] = node_class(name, _ein_bw)
        out_sub = eq.split("->")[1]
        size = {}
        for sub, s in zip(eq.split("->")[0].split(","), in_shapes):
            size.update(zip(sub, s))
        out_nat = tuple(size[c] for c in out_sub)
        node = cls(tuple(edge(t) for t in tensors),
                   (eq, tuple(in_shapes), out_nat, tuple(a.shape for a in arrays), tuple(t._rg for t in tensors)),
                   tuple(save(t) for t in tensors))
        return make(r, True, node)
    return make(r, False, None)


def _parse(eq: str, shapes):
    """Parse an einsum equation with torch's checks; return explicit per-operand subscripts
    (ellipses expanded to fresh letters), the output subscripts and every letter's size."""
    arrow = eq.find("->")
    lhs = eq if arrow < 0 else eq[:arrow]
    ops, cur, k = [], [], 0
    while k < len(lhs):
        c = lhs[k]
        if c in _LETTERS:
            cur.append(c)
        elif c == ",":
            ops.append(cur)
            cur = []
        elif c == ".":
            if "..." in cur:
                raise RuntimeError(f"einsum(): found '.' for operand {len(ops)} for which an ellipsis was already found")
            if lhs[k:k + 3] != "...":
                raise RuntimeError(f"einsum(): found '.' for operand {len(ops)} that is not part of any ellipsis")
            cur.append("...")
            k += 2
        elif c != " ":
            raise RuntimeError(f"einsum(): invalid subscript given at index {k} in the equation string, "
                               "subscripts must be in [a-zA-Z]")
        k += 1
    ops.append(cur)
    if len(ops) > len(shapes):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(ops) < len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    n_ell = 0
    for i, (sub, s) in enumerate(zip(ops, shapes)):
        nl = len(sub) - ("..." in sub)
        if "..." not in sub and nl != len(s):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({nl}) does not match the number "
                               f"of dimensions ({len(s)}) for operand {i} and no ellipsis was given")
        if nl > len(s):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({nl}) is more than the "
                               f"number of dimensions ({len(s)}) for operand {i}")
        n_ell = max(n_ell, len(s) - nl)
    used = set(eq)
    ell_letters = [c for c in _LETTERS if c not in used][:n_ell]
    size, ell_size, subs = {}, [1] * n_ell, []
    for i, (sub, s) in enumerate(zip(ops, shapes)):
        ne = len(s) - (len(sub) - 1)
        full = [x for c in sub for x in (ell_letters[n_ell - ne:] if c == "..." else [c])]
        own = {}
        for c, d in zip(full, s):
            if c in ell_letters:
                j = ell_letters.index(c)
                if d != 1 and ell_size[j] != 1 and d != ell_size[j]:
                    raise RuntimeError(f"einsum(): dimension {j} covered by ellipsis in operand {i}has size {d} "
                                       f"which does not broadcast with previously seen ellipsis with size "
                                       f"{ell_size[j]} for the respective dimension")
                ell_size[j] = max(ell_size[j], d) if d != 1 else ell_size[j]
            elif c in own and own[c] != d:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {i} but the sizes don't "
                                   f"match, {d} != {own[c]}")
            elif c not in own and c in size and d != 1 and size[c] != 1 and d != size[c]:
                raise RuntimeError(f"einsum(): subscript {c} has size {d} for operand {i} which does not "
                                   f"broadcast with previously seen size {size[c]}")
            own[c] = d
            if c not in size or size[c] == 1:
                size[c] = d
        subs.append("".join(full))
    if arrow >= 0:
        rhs, out = eq[arrow + 2:], []
        for k, c in enumerate(rhs.replace("...", "\0", 1)):
            k += 2 * (k > rhs.find("...") >= 0)
            if c == "\0":
                out.extend(ell_letters)
            elif c not in _LETTERS and c != " ":
                raise RuntimeError(f"einsum(): invalid subscript given at index {arrow + 2 + k} in the equation "
                                   "string, subscripts must be in [a-zA-Z]")
            elif c in out:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
            elif c != " " and c not in size:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any "
                                   "input operand")
            elif c != " ":
                out.append(c)
    else:
        counts = collections.Counter("".join(subs))
        out = ell_letters + sorted(c for c, v in counts.items() if v == 1 and c not in ell_letters)
    for j, c in enumerate(ell_letters):
        size[c] = ell_size[j]
    return subs, "".join(out), size


def _sublist_eq(args):
    """torch.einsum(op, [0, 1], op, [1, 2], [0, 2]) -> (equation, operands)."""
    def conv(lst):
        s = []
        for v in lst:
            if v is Ellipsis:
                s.append("...")
            else:
                v = int(v)
                if not 0 <= v < 52:
                    raise ValueError("einsum(): subscript in subscript list is not within the valid range [0, 52)")
                s.append(_LETTERS[v])
        return "".join(s)
    pairs = args if len(args) % 2 == 0 else args[:-1]
    ops = list(pairs[0::2])
    eq = ",".join(conv(x) for x in pairs[1::2])
    return (eq if len(args) % 2 == 0 else eq + "->" + conv(args[-1])), ops


def einsum(*args):
    """torch.einsum(equation, *operands) (or the sublist form): forward by ``np.einsum``, the
    gradient of each operand by another einsum.  Labelled dimensions of size 1 broadcast, as in
    torch; the ellipsis broadcasts; implicit output is the ellipsis then single-use letters
    in ASCII order.  Mixed dtypes promote unless a contraction joins two operands (torch's bmm
    then refuses them)."""
    if not args or (isinstance(args[0], str) and len(args) < 2):
        raise ValueError("einsum(): must specify the equation string and at least one operand, or at least one "
                         "operand and its subscripts list")
    if isinstance(args[0], str):
        eq, ops = args[0], list(args[1:])
        if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
            ops = list(ops[0])
    else:
        eq, ops = _sublist_eq(args)
    for k, t in enumerate(ops):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {k} in argument 1, but got {type(t).__name__}")
    subs, out, size = _parse(eq, [t._data.shape for t in ops])
    dts = {t._data.dtype for t in ops}
    shared = {c for c in size if c not in out and sum(c in s for s in subs) >= 2}
    if len(dts) > 1:
        if shared:
            first = ops[0]._data.dtype
            other = next(t._data.dtype for t in ops if t._data.dtype != first)
            raise RuntimeError(f"expected scalar type {_ln(first)} but found {_ln(other)}")
        rt = D.result_type(*ops)
        ops = [t.to(rt) for t in ops]
    dt = ops[0]._data.dtype
    if dt == np.bool_ and shared:
        raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
    # squeeze dimensions that broadcast (size 1 where the letter is larger elsewhere)
    in_subs, in_shapes = [], []
    for sub, t in zip(subs, ops):
        keep = [(c, d) for c, d in zip(sub, t._data.shape) if not (d == 1 and size[c] != 1)]
        in_subs.append("".join(c for c, _ in keep))
        in_shapes.append(tuple(d for _, d in keep))
    letters = set("".join(in_subs))
    nat_out = "".join(c for c in out if c in letters)
    out_shape = tuple(size[c] for c in out)
    summed = any(c not in out for c in letters)
    if len(ops) == 1 and summed and dt.kind in "iub":
        ops = [ops[0].to(D.int64)]
    name = "ViewBackward0" if len(ops) > 1 else ("SumBackward1" if summed else "PermuteBackward0")
    return _ein(",".join(in_subs) + "->" + nat_out, ops, in_shapes, out_shape, name)


def tensordot(a, b, dims=2, out=None):
    """torch.tensordot: contract ``dims`` (an int, or two lists of dims) of ``a`` and ``b``."""
    if isinstance(dims, Tensor):
        dims = dims.item() if dims._data.ndim == 0 else dims.tolist()
    sa, sb = a._data.shape, b._data.shape
    if isinstance(dims, (int, np.integer)):
        dims = int(dims)
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > len(sa) or dims > len(sb):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(-dims, 0)), list(range(dims))
    else:
        if len(dims) != 2:
            raise ValueError(f"not enough values to unpack (expected 2, got {len(dims)})")
        da, db = dims
        if isinstance(da, (int, np.integer)) or isinstance(db, (int, np.integer)):
            raise TypeError("tensordot(): argument 'dims_self' (position 3) must be tuple of ints, not int")
        da, db = [int(v) for v in da], [int(v) for v in db]
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
    na, nb = normalize_dims(da, len(sa)), normalize_dims(db, len(sb))
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    for x, y, i, j in zip(na, nb, da, db):
        if sa[x] != sb[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa[x]} in dim {i} and "
                               f"second has size {sb[y]} in dim {j}")
    if a._data.dtype == np.bool_:
        _bool_err(a._data.dtype, "dot" if len(sa) == len(sb) == len(na) == 1 else "addmm_impl_cpu_")
    la = _LETTERS[:len(sa)]
    lb = list(_LETTERS[len(sa):len(sa) + len(sb)])
    for x, y in zip(na, nb):
        lb[y] = la[x]
    lb = "".join(lb)
    o = "".join(c for k, c in enumerate(la) if k not in na) + "".join(c for k, c in enumerate(lb) if k not in nb)
    res = _ein(f"{la},{lb}->{o}", [a, b], [sa, sb],
               tuple(sa[k] for k in range(len(sa)) if k not in na) + tuple(sb[k] for k in range(len(sb)) if k not in nb))
    return res if out is None else write_out(out, res)


def inner(input, other, *, out=None):
    """torch.inner: sum over the last dimension of both (a product when either is 0-d)."""
    if input._data.ndim == 0 or other._data.ndim == 0:
        from .elementwise import mul
        res = mul(input, other)
        return res if out is None else write_out(out, res)
    sa, sb = input._data.shape, other._data.shape
    if sa[-1] != sb[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"[{', '.join(map(str, sa))}] and [{', '.join(map(str, sb))}]")
    return tensordot(input, other, ([-1], [-1]), out=out)


def outer(input, vec2, *, out=None):
    """torch.outer / ger: 1-D x 1-D -> 2-D (dtypes promote)."""
    for nm, v in (("self", input), ("vec2", vec2)):
        if v._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {nm}, but got {v._data.ndim}-D")
    rt = D.result_type(input, vec2)
    a, b = input.to(rt), vec2.to(rt)
    res = _ein("i,j->ij", [a, b], [a._data.shape, b._data.shape], a._data.shape + b._data.shape, "MulBackward0")
    return res if out is None else write_out(out, res)


ger = outer


def kron(input, other, *, out=None):
    """torch.kron: Kronecker product (fewer dimensions are padded with leading ones)."""
    rt = D.result_type(input, other)
    a, b = input.to(rt), other.to(rt)
    sa, sb = a._data.shape, b._data.shape
    n = max(len(sa), len(sb))
    pa, pb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    la, lb = _LETTERS[:n], _LETTERS[n:2 * n]
    o = "".join(x + y for x, y in zip(la, lb))
    if rt.np == np.bool_:
        r = np.kron(a._data.reshape(pa), b._data.reshape(pb))
        res = make(r, False, None)
    else:
        res = _ein(f"{la},{lb}->{o}", [a, b], [pa, pb], tuple(x * y for x, y in zip(pa, pb)), "UnsafeViewBackward0")
    return res if out is None else write_out(out, res)


# ------------------------------------------------------------------ Tensor methods
attach({"inner": inner, "outer": outer, "ger": outer, "kron": kron})
