"""Matrix products: matmul (and ``@``), mm, bmm, mv, dot, vdot, addmm, addmv, addbmm, baddbmm,
addr, and cross; einsum, tensordot, inner, outer/ger and kron live in ``einsum.py`` and are
re-exported from here.

Forward passes are single NumPy calls (BLAS).  matmul-family backward formulas are two
products (``g @ b.mT``, ``a.mT @ g``) written once for arrays and Tensors, so double backward
records a graph; gradients of broadcast batch dimensions are summed back.  Shape, dtype and
dimension errors use torch's messages, including which of torch's internal paths
(dot/mv/mm/folded/bmm) would report them; grad-fn names follow torch (MmBackward0,
UnsafeViewBackward0, AddmmBackward0, LinalgCrossBackward0, ...).
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import GRAD
from ..autograd.graph import _LEGACY as _LNAME
from ..autograd.graph import NONE_REC, edge, node_class, save
from .inplace import inplace_method
from ._helpers import attach, make, ns, unbroadcast, write_out

__all__ = [
    "addbmm",
    "addmm",
    "addmv",
    "addr",
    "baddbmm",
    "bmm",
    "cross",
    "dot",
    "matmul",
    "mm",
    "mv",
    "vdot",
]

_CNAME = {"float16": "c10::Half", "float32": "float", "float64": "double", "int8": "signed char",
          "int16": "short int", "int32": "int", "int64": "long int", "uint8": "unsigned char", "bool": "bool"}
_prod = math.prod


def _ln(dt) -> str:
    return _LNAME[np.dtype(dt).name]


def _lw(dt) -> str:
    return _LNAME[np.dtype(dt).name].lower()


def _x(s) -> str:
    return "x".join(str(v) for v in s)


def _need_tensor(x, fn: str, arg: str, pos: int) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}")


def _bool_err(dt, kernel: str) -> None:
    if dt == np.bool_:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


# ------------------------------------------------------------------ torch's checks, per kernel
def _mm_check(sa, sb, adt, bdt) -> None:
    if sa[1] != sb[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_x(sa)} and {_x(sb)})")
    if adt != bdt:
        raise RuntimeError("expected m1 and m2 to have the same dtype, but got: "
                           f"{_CNAME[adt.name]} != {_CNAME[bdt.name]}")
    _bool_err(adt, "addmm_impl_cpu_")


def _mv_check(sm, sv, mdt, vdt) -> None:
    if sm[1] != sv[0]:
        raise RuntimeError(f"size mismatch, got input ({sm[0]}), mat ({_x(sm)}), vec ({sv[0]})")
    if mdt != vdt:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_ln(vdt)}, {_ln(mdt)}, "
                           f"and {_ln(vdt)}")
    _bool_err(mdt, "addmv_impl_cpu")


def _dot_check(sa, sb, adt, bdt) -> None:
    if adt != bdt:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {_ln(adt)} and {_ln(bdt)}")
    if sa[0] != sb[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{sa[0]}] and src [{sb[0]}] to have the "
                           f"same number of elements, but got {sa[0]} and {sb[0]} elements respectively")
    _bool_err(adt, "dot")


def _bmm_check(sa, sb, adt, bdt) -> None:
    if sb[0] != sa[0] or sb[1] != sa[2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{sa[0]}, {sa[2]}] "
                           f"but got: [{sb[0]}, {sb[1]}].")
    if adt != bdt:
        raise RuntimeError(f"expected scalar type {_ln(adt)} but found {_ln(bdt)}")
    _bool_err(adt, "bmm")


def _broadcast_batch(sa, sb) -> tuple:
    """Broadcast two shapes with torch's error message."""
    n = max(len(sa), len(sb))
    pa, pb = (1,) * (n - len(sa)) + tuple(sa), (1,) * (n - len(sb)) + tuple(sb)
    out = []
    for i, (x, y) in enumerate(zip(pa, pb)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) "
                               f"at non-singleton dimension {i}")
        out.append(y if x == 1 else x)
    return tuple(out)


def _input_check(t: Tensor, target) -> None:
    """torch's ``expand`` errors for the ``input`` of addmm-like ops."""
    sin = t._data.shape
    if len(sin) > len(target):
        raise RuntimeError(f"expand(torch.{_ln(t._data.dtype)}Tensor{{[{', '.join(map(str, sin))}]}}, "
                           f"size=[{', '.join(map(str, target))}]): the number of sizes provided ({len(target)}) "
                           f"must be greater or equal to the number of dimensions in the tensor ({len(sin)})")
    off = len(target) - len(sin)
    for i, s in enumerate(sin):
        if s != 1 and s != target[off + i]:
            raise RuntimeError(f"The expanded size of the tensor ({target[off + i]}) must match the existing size "
                               f"({s}) at non-singleton dimension {off + i}.  Target sizes: "
                               f"[{', '.join(map(str, target))}].  Tensor sizes: [{', '.join(map(str, sin))}]")


def _foldable(a: np.ndarray) -> bool:
    """Whether torch could fold ``a``'s batch into rows without a copy."""
    return np.shares_memory(a, a.reshape((_prod(a.shape[:-1]), a.shape[-1]))) if a.size else True


def _matmul_fail(ta: Tensor, tb: Tensor) -> None:
    """Raise the error torch's matmul raises, following the kernel torch would have chosen."""
    a, b = ta._data, tb._data
    sa, sb = a.shape, b.shape
    da, db = len(sa), len(sb)
    ga, gb = GRAD[0] and ta._rg, GRAD[0] and tb._rg
    if da == 3 and db == 3:  # a 3-D operand with batch 1 that requires grad is treated as a matrix
        if sa[0] == 1 and sb[0] != 1 and ga:
            sa, da = sa[1:], 2
        elif sb[0] == 1 and sa[0] != 1 and gb:
            sb, db = sb[1:], 2
    adt, bdt = a.dtype, b.dtype
    if da == 1 and db == 1:
        _dot_check(sa, sb, adt, bdt)
    elif da == 2 and db == 1:
        _mv_check(sa, sb, adt, bdt)
    elif da == 1 and db == 2:
        _mm_check((1,) + sa, sb, adt, bdt)
    elif da == 2 and db == 2:
        _mm_check(sa, sb, adt, bdt)
    elif da >= 3 and db <= 2 and (gb or _foldable(a)):
        m1 = (_prod(sa[:-1]), sa[-1])
        (_mm_check if db == 2 else _mv_check)(m1, sb, adt, bdt)
    elif da <= 2 and db >= 3 and ga:
        m1 = (_prod(sb[:-2]) * sb[-1], sb[-2])
        if da == 2:
            _mm_check(m1, (sa[1], sa[0]), bdt, adt)
        else:
            _mv_check(m1, sa, bdt, adt)
    else:
        a3 = (1,) + sa if da == 1 else sa
        b3 = sb + (1,) if db == 1 else sb
        batch = _broadcast_batch(a3[:-2], b3[:-2])
        n = _prod(batch)
        _bmm_check((n,) + a3[-2:], (n,) + b3[-2:], adt, bdt)
    raise AssertionError("matmul: unreachable")  # pragma: no cover


# ------------------------------------------------------------------ the shared backward
def _matmul_bw(ctx, saved, g):
    """Gradients of ``a @ b`` (any matmul case, incl. addbmm's batch sum) for arrays or Tensors."""
    sa, sb, need_a, need_b = ctx[:4]
    a, b = saved[0], saved[1]
    M = ns(g)
    la, lb = len(sa), len(sb)
    if la == 2 and lb == 2 and g.ndim == 2:
        return (g @ M.swap(b) if need_a else None), (M.swap(a) @ g if need_b else None)
    if la == 1 or lb == 1:
        gs = tuple(g.shape)
        g = g.reshape((1, 1) if la == lb == 1 else gs[:-1] + (1, gs[-1]) if la == 1 else gs + (1,))
        if la == 1 and need_b:
            a = a.reshape(1, sa[0])
        if lb == 1 and need_a:
            b = b.reshape(sb[0], 1)
    ea = (1, sa[0]) if la == 1 else tuple(sa)
    eb = (sb[0], 1) if lb == 1 else tuple(sb)
    ga = gb = None
    if len(eb) == 2 and g.ndim > 2 and len(ea) == g.ndim:  # batched @ matrix: one GEMM each
        rows = _prod(g.shape[:-1])
        gf = g.reshape(rows, eb[1])
        if need_a:
            ga = (gf @ M.swap(b)).reshape(ea)
        if need_b:
            gb = M.swap(a.reshape(rows, ea[-1])) @ gf
    else:
        if need_a:
            ga = unbroadcast(g @ M.swap(b), ea)
        if need_b:
            gb = unbroadcast(M.swap(a) @ g, eb)
    if ga is not None and la == 1:
        ga = ga.reshape(sa)
    if gb is not None and lb == 1:
        gb = gb.reshape(sb)
    return ga, gb


(MmBackward0, MvBackward0, DotBackward0, VdotBackward0, BmmBackward0, SqueezeBackward4, UnsafeViewBackward0,
 CloneBackward0) = (node_class(n + "Backward" + v, _matmul_bw) for n, v in (
    ("Mm", "0"), ("Mv", "0"), ("Dot", "0"), ("Vdot", "0"), ("Bmm", "0"), ("Squeeze", "4"), ("UnsafeView", "0"),
    ("Clone", "0")))


def _result(r, ta, tb, cls):
    """Wrap a product's result, recording ``cls`` when either operand needs a gradient."""
    if type(r) is not np.ndarray:
        r = np.asarray(r)
    if GRAD[0] and (ta._rg or tb._rg):
        na, nb = ta._rg, tb._rg
        node = cls((edge(ta), edge(tb)), (ta._data.shape, tb._data.shape, na, nb),
                   (save(ta) if nb else NONE_REC, save(tb) if na else NONE_REC))
        return make(r, True, node)
    return make(r, False, None)


# ------------------------------------------------------------------ matmul & friends
def matmul(input, other, *, out=None):
    """torch.matmul: dot / mv / mm / batched products with broadcast batch dimensions.

    Result values match torch for every case; errors name the kernel torch would have used
    (e.g. folded batches report ``mat1 and mat2 shapes cannot be multiplied (4x3 and 4x5)``).
    """
    _need_tensor(input, "matmul", "input", 1)
    _need_tensor(other, "matmul", "other", 2)
    a, b = input._data, other._data
    da, db = a.ndim, b.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    if da == 2 and db == 2:
        if a.shape[1] != b.shape[0] or a.dtype != b.dtype or a.dtype == np.bool_:
            _mm_check(a.shape, b.shape, a.dtype, b.dtype)
        res = _result(np.matmul(a, b), input, other, MmBackward0)
        return res if out is None else write_out(out, res)
    sa, sb = a.shape, b.shape
    ok = a.dtype == b.dtype and a.dtype != np.bool_ and sa[-1] == (sb[0] if db == 1 else sb[-2])
    if ok and da > 2 and db > 2:
        try:
            np.broadcast_shapes(sa[:-2], sb[:-2])
        except ValueError:
            ok = False
    if not ok:
        _matmul_fail(input, other)
    if da == 1 and db == 1:
        r, cls = np.dot(a, b), DotBackward0
    elif db == 1:
        r, cls = np.matmul(a, b), (MvBackward0 if da == 2 else UnsafeViewBackward0)
    elif da == 1:
        r, cls = np.matmul(a, b), (SqueezeBackward4 if db == 2 else UnsafeViewBackward0)
    elif db == 2:  # fold the batch of ``a`` into one GEMM
        rows = _prod(sa[:-1])
        r = np.matmul(a.reshape(rows, sa[-1]), b).reshape(sa[:-1] + (sb[1],))
        cls = UnsafeViewBackward0
    else:
        r = np.matmul(a, b)
        cls = CloneBackward0 if da == 2 and GRAD[0] and input._rg else UnsafeViewBackward0
    res = _result(r, input, other, cls)
    return res if out is None else write_out(out, res)


def _matmul_op(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(self, other)


def _rmatmul_op(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return matmul(other, self)


def _product(input, other, fn, arg2, check, cls, out):
    _need_tensor(input, fn, "input", 1)
    _need_tensor(other, fn, arg2, 2)
    a, b = input._data, other._data
    check(a, b)
    res = _result(np.dot(a, b) if a.ndim == 1 else np.matmul(a, b), input, other, cls)
    return res if out is None else write_out(out, res)


def _mm_args(a, b):
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError("self must be a matrix" if a.ndim != 2 else "mat2 must be a matrix")
    _mm_check(a.shape, b.shape, a.dtype, b.dtype)


def _bmm_args(a, b):
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError(f"batch{1 if a.ndim != 3 else 2} must be a 3D tensor")
    _bmm_check(a.shape, b.shape, a.dtype, b.dtype)


def _mv_dims(m, v, first=1):
    if v.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    if m.ndim != 2 or v.ndim != 1 or first != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {first}, {m.ndim}, {v.ndim}")


def _mv_args(a, b):
    _mv_dims(a, b)
    _mv_check(a.shape, b.shape, a.dtype, b.dtype)


def _dot_args(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    _dot_check(a.shape, b.shape, a.dtype, b.dtype)


def mm(input, mat2, *, out=None):
    """torch.mm: 2-D @ 2-D only."""
    return _product(input, mat2, "mm", "mat2", _mm_args, MmBackward0, out)


def bmm(input, mat2, *, out=None):
    """torch.bmm: (b, n, m) @ (b, m, p) with no broadcasting."""
    return _product(input, mat2, "bmm", "mat2", _bmm_args, BmmBackward0, out)


def mv(input, vec, *, out=None):
    """torch.mv: matrix @ vector."""
    return _product(input, vec, "mv", "vec", _mv_args, MvBackward0, out)


def dot(input, tensor, *, out=None):
    """torch.dot: inner product of two 1-D tensors of the same dtype."""
    return _product(input, tensor, "dot", "tensor", _dot_args, DotBackward0, out)


def vdot(input, other, *, out=None):
    """torch.vdot (real dtypes: the same as dot)."""
    return _product(input, other, "vdot", "other", _dot_args, VdotBackward0, out)


# ------------------------------------------------------------------ addmm family
def _add_bw(ctx, saved, g):
    sin, beta, alpha, need_in = ctx[4:]
    gi = None
    if need_in:
        gi = unbroadcast(g if beta == 1 else g * beta, sin)
    ga, gb = _matmul_bw(ctx, saved, g)
    if alpha != 1:
        ga = None if ga is None else ga * alpha
        gb = None if gb is None else gb * alpha
    return gi, ga, gb


AddmmBackward0, AddmvBackward0, AddbmmBackward0, BaddbmmBackward0 = (
    node_class(n, _add_bw) for n in ("AddmmBackward0", "AddmvBackward0", "AddbmmBackward0", "BaddbmmBackward0"))


def _mat_dtypes(input, a, b):
    if input._data.dtype != b.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_ln(input._data.dtype)} and {_ln(b.dtype)}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_ln(a.dtype)} and {_ln(b.dtype)}")
    _bool_err(a.dtype, "addmm_impl_cpu_")


def _add_result(prod, input, t1, t2, beta, alpha, cls, out):
    if prod.dtype.kind in "iub":
        beta, alpha = int(beta), int(alpha)
    r = prod
    if alpha != 1:
        r *= alpha
    if beta != 0:
        d = input._data
        r += d if beta == 1 else d * beta
    if GRAD[0] and (input._rg or t1._rg or t2._rg):
        n1, n2 = t1._rg, t2._rg
        node = cls((edge(input), edge(t1), edge(t2)),
                   (t1._data.shape, t2._data.shape, n1, n2, input._data.shape, beta, alpha, input._rg),
                   (save(t1) if n2 else NONE_REC, save(t2) if n1 else NONE_REC))
        res = make(r, True, node)
    else:
        res = make(r, False, None)
    return res if out is None else write_out(out, res)


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """torch.addmm: ``beta * input + alpha * (mat1 @ mat2)`` (input broadcast to the result)."""
    a, b = mat1._data, mat2._data
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mat{1 if a.ndim != 2 else 2} must be a matrix, got {(a if a.ndim != 2 else b).ndim}-D tensor")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_x(a.shape)} and {_x(b.shape)})")
    _input_check(input, (a.shape[0], b.shape[1]))
    _mat_dtypes(input, a, b)
    return _add_result(np.matmul(a, b), input, mat1, mat2, beta, alpha, AddmmBackward0, out)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """torch.addmv: ``beta * input + alpha * (mat @ vec)``."""
    a, b = mat._data, vec._data
    _mv_dims(a, b, max(1, input._data.ndim))
    n_in = input._data.shape[0] if input._data.ndim else 1
    if a.shape[1] != b.shape[0] or n_in not in (1, a.shape[0]):
        raise RuntimeError(f"size mismatch, got input ({n_in}), mat ({_x(a.shape)}), vec ({b.shape[0]})")
    dts = (input._data.dtype, a.dtype, b.dtype)
    if len(set(dts)) > 1:
        raise RuntimeError("addmv input tensors must have the same dtype, but got "
                           f"{_ln(dts[0])}, {_ln(dts[1])}, and {_ln(dts[2])}")
    _bool_err(a.dtype, "addmv_impl_cpu")
    return _add_result(np.matmul(a, b), input, mat, vec, beta, alpha, AddmvBackward0, out)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """torch.addbmm: ``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``."""
    a, b = batch1._data, batch2._data
    if a.ndim != 3 or b.ndim != 3:
        bad = a if a.ndim != 3 else b
        raise IndexError(f"Dimension out of range (expected to be in range of [-{bad.ndim}, {bad.ndim - 1}], "
                         f"but got 2)") if bad.ndim == 2 else RuntimeError("batch1 must be a 3D tensor")
    _input_check(input, (a.shape[1], b.shape[2]))
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {a.shape[0]} and {b.shape[0]}")
    if a.shape[2] != b.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({a.shape[1]}x{a.shape[2]} and "
                           f"{b.shape[1]}x{b.shape[2]})")
    _mat_dtypes(input, a, b)
    B, n, m = a.shape
    p = b.shape[2]
    prod = np.matmul(np.swapaxes(a, 0, 1).reshape(n, B * m), b.reshape(B * m, p))
    return _add_result(prod, input, batch1, batch2, beta, alpha, AddbmmBackward0, out)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """torch.baddbmm: ``beta * input + alpha * (batch1 @ batch2)`` batch by batch."""
    a, b = batch1._data, batch2._data
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError(f"batch{1 if a.ndim != 3 else 2} must be a 3D tensor")
    _input_check(input, (a.shape[0], a.shape[1], b.shape[2]))
    if b.shape[0] != a.shape[0] or b.shape[1] != a.shape[2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, "
                           f"{a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    dts = (input._data.dtype, a.dtype, b.dtype)
    if dts[0] != dts[1]:
        raise RuntimeError(f"Input dtypes must be the same, got: input {_lw(dts[0])}, batch1: {_lw(dts[1])}, "
                           f"batch2: {_lw(dts[2])}")
    if dts[1] != dts[2]:
        raise RuntimeError(f"expected scalar type {_ln(dts[1])} but found {_ln(dts[2])}")
    _bool_err(a.dtype, "bmm")
    return _add_result(np.matmul(a, b), input, batch1, batch2, beta, alpha, BaddbmmBackward0, out)


def _addr_bw(ctx, saved, g):
    sin, beta, alpha, dt1, dt2, need1, need2 = ctx
    v1, v2 = saved
    M = ns(g)
    gi = unbroadcast(g if beta == 1 else g * beta, sin)
    g1 = _cast(g @ v2 * alpha, dt1) if need1 else None
    g2 = _cast(M.swap(g) @ v1 * alpha, dt2) if need2 else None
    return gi, g1, g2


def _cast(x, dt):
    if type(x) is np.ndarray:
        return x.astype(dt, copy=False)
    return x if x._data.dtype == dt else x.to(D.from_np(dt))


AddrBackward0 = node_class("AddrBackward0", _addr_bw)


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    """torch.addr: ``beta * input + alpha * outer(vec1, vec2)`` (dtypes promote)."""
    for nm, v in (("vec1", vec1), ("vec2", vec2)):
        if v._data.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {nm}, but got {v._data.ndim}-D")
    rt = D.result_type(input, vec1, vec2).np
    if rt.kind in "iu" and (isinstance(beta, float) or isinstance(alpha, float)):
        raise RuntimeError(f"For integral input tensors, argument {'beta' if isinstance(beta, float) else 'alpha'} "
                           "must not be a floating point number.")
    _input_check(input, (vec1._data.shape[0], vec2._data.shape[0]))
    v1, v2 = vec1._data.astype(rt, copy=False), vec2._data.astype(rt, copy=False)
    if rt == np.bool_:
        r = np.logical_or(np.logical_and(input._data, bool(beta)), np.multiply.outer(v1, v2) & bool(alpha))
    else:
        r = np.multiply.outer(v1, v2)
        if alpha != 1:
            r *= alpha
        if beta != 0:
            r += input._data * beta if beta != 1 else input._data
    if GRAD[0] and (input._rg or vec1._rg or vec2._rg):
        node = AddrBackward0((edge(input), edge(vec1), edge(vec2)),
                             (input._data.shape, beta, alpha, vec1._data.dtype, vec2._data.dtype, vec1._rg, vec2._rg),
                             (save(vec1, v1), save(vec2, v2)))
        res = make(r, True, node)
    else:
        res = make(r, False, None)
    return res if out is None else write_out(out, res)


# ------------------------------------------------------------------ cross
def _cross_bw(ctx, saved, g):
    dim, sa, sb, na, nb = ctx
    a, b = saved
    if type(g) is np.ndarray:
        ga = np.cross(b, g, axis=dim) if na else None
        gb = np.cross(g, a, axis=dim) if nb else None
    else:
        ga = cross(b, g, dim=dim) if na else None
        gb = cross(g, a, dim=dim) if nb else None
    return (unbroadcast(ga, sa) if na else None), (unbroadcast(gb, sb) if nb else None)


LinalgCrossBackward0 = node_class("LinalgCrossBackward0", _cross_bw)


def cross(input, other, dim=None, *, out=None):
    """torch.cross: 3-vector cross product along ``dim`` (default: first dim of size 3, with
    torch's deprecation warning); the other dimensions broadcast."""
    a, b = input._data, other._data
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    shape = _broadcast_batch(a.shape, b.shape)
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                      "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
                      "with that of linalg.cross in a future release.", UserWarning, stacklevel=2)
        dim = next((k for k, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    from ._helpers import normalize_dim
    d = normalize_dim(dim, a.ndim)
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {a.shape[d]} and {b.shape[d]}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_ln(a.dtype)} but found {_ln(b.dtype)}")
    r = np.cross(a, b, axis=d)
    if GRAD[0] and (input._rg or other._rg):
        node = LinalgCrossBackward0((edge(input), edge(other)), (d, a.shape, b.shape, input._rg, other._rg),
                                    (save(input), save(other)))
        res = make(r, True, node)
    else:
        res = make(r, False, None)
    return res if out is None else write_out(out, res)


# ------------------------------------------------------------------ Tensor methods


attach({
    "matmul": matmul, "__matmul__": _matmul_op, "__rmatmul__": _rmatmul_op, "mm": mm, "bmm": bmm, "mv": mv,
    "dot": dot, "vdot": vdot, "addmm": addmm, "addmv": addmv, "addbmm": addbmm, "baddbmm": baddbmm,
    "addr": addr, "cross": cross,
    "addmm_": inplace_method(addmm), "addmv_": inplace_method(addmv), "addbmm_": inplace_method(addbmm),
    "baddbmm_": inplace_method(baddbmm), "addr_": inplace_method(addr),
})

# einsum and the contractions built on it, re-exported so ``numtorch`` needs only this module's import
from . import einsum as _einsum  # noqa: E402
from .einsum import *  # noqa: E402,F403

__all__ += _einsum.__all__
