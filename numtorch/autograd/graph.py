"""The autograd graph: ``Node`` (a grad_fn), ``AccumulateGrad`` (a leaf's sink) and the
backward engine that walks them.

Design, for speed: a node class per op (``MulBackward0``...) carries its backward formula
as a class attribute, so an instance holds only its edges, a small ``ctx`` and its saved
tensors.  Backward formulas work on raw NumPy arrays; with ``create_graph=True`` the same
formulas receive Tensors instead (their arithmetic records a new graph), which is how
higher-order gradients work.

Order of execution follows torch: a node runs once every node that feeds it has run; among
ready nodes the most recently created runs first.  Saved tensors carry the version they had
when saved, and a mismatch raises torch's in-place error; a graph run without
``retain_graph`` frees its saved tensors, and a second run raises torch's error.
"""
from __future__ import annotations

import heapq
import itertools
import sys
import weakref
from typing import Any, Callable, Optional

import numpy as np

from .._ops import _par
from .grad_mode import GRAD

_seq = itertools.count()

FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
    "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time "
    "or if you need to access saved tensors after calling backward.")

_HINT = (" Hint: enable anomaly detection to find the operation that failed to compute its gradient, "
         "with torch.autograd.set_detect_anomaly(True, check_nan=False).")

_LEGACY = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
           "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def legacy_type_name(arr: np.ndarray) -> str:
    return "torch." + _LEGACY.get(arr.dtype.name, arr.dtype.name) + "Tensor"


class RemovableHandle:
    """Returned by every ``register_*``; ``remove()`` takes the hook out again."""

    _next_id = itertools.count()

    def __init__(self, container, key=None) -> None:
        self._ref = weakref.ref(container) if container is not None else None
        self.id = next(RemovableHandle._next_id) if key is None else key

    def remove(self) -> None:
        c = self._ref() if self._ref is not None else None
        if c is not None and self.id in c:
            del c[self.id]

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class _HookDict(dict):
    """A dict of hooks keyed by handle id; weak-referenceable so handles don't keep it alive."""


def add_hook(owner, attr: str, fn, prepend: bool = False) -> RemovableHandle:
    d = getattr(owner, attr, None)
    if d is None:
        d = _HookDict()
        setattr(owner, attr, d)
    h = RemovableHandle(d)
    if prepend:
        items = list(d.items())
        d.clear()
        d[h.id] = fn
        d.update(items)
    else:
        d[h.id] = fn
    return h


class Node:
    """A grad_fn.  Subclasses set ``_bw(ctx, saved, grad) -> tuple of input grads``."""

    __slots__ = ("next_functions", "_ctx", "_saved", "_seq", "__dict__", "__weakref__")
    _n_out = 1
    _bw: Optional[Callable] = None
    _pre_hooks = None      # fn(grad_outputs) -> new grad_outputs or None
    _hooks = None          # fn(grad_inputs, grad_outputs) -> new grad_inputs or None
    _tensor_hooks = None   # {output_nr: HookDict} from Tensor.register_hook on a non-leaf
    _retain = None         # {output_nr: weakref to the tensor} from retain_grad()
    _metadata = None

    def __init__(self, next_functions: tuple, ctx: Any = None, saved: tuple = ()) -> None:
        self.next_functions = next_functions
        self._ctx = ctx
        self._saved = saved
        self._seq = next(_seq)

    def name(self) -> str:
        return type(self).__name__

    @property
    def metadata(self) -> dict:
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    def register_hook(self, fn: Callable) -> RemovableHandle:
        """fn(grad_inputs, grad_outputs) runs after this node; may return new grad_inputs."""
        return add_hook(self, "_hooks", fn)

    def register_prehook(self, fn: Callable) -> RemovableHandle:
        """fn(grad_outputs) runs before this node; may return new grad_outputs."""
        return add_hook(self, "_pre_hooks", fn)

    def __call__(self, *grads):
        saved = unpack_saved(self, False)
        g = grads[0] if self._n_out == 1 else list(grads)
        return self._bw(self._ctx, saved, g)


def node_class(name: str, bw: Callable, n_out: int = 1) -> type:
    """Make the Node subclass for one op (``MulBackward0``) around its backward formula."""
    return type(name, (Node,), {"__slots__": (), "_bw": staticmethod(bw), "_n_out": n_out})


class AccumulateGrad(Node):
    """Sink of a leaf that requires grad: adds the incoming gradient into ``variable.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable) -> None:
        Node.__init__(self, ())
        self.variable = variable


def accumulate_node(t) -> AccumulateGrad:
    """The leaf's AccumulateGrad, created on first use; the leaf holds it weakly, the graph strongly."""
    r = t._accum
    n = r() if r is not None else None
    if n is None:
        n = AccumulateGrad(t)
        t._accum = weakref.ref(n)
    return n


NO_EDGE = (None, 0)


def refresh_view(t) -> None:
    """Re-derive a stale view's grad_fn; replaced by numtorch._ops.indexing.refresh_view."""


def edge(t):
    """The graph edge for input tensor ``t``: its grad_fn, its AccumulateGrad, or none."""
    if t._base is not None:
        refresh_view(t)
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    if t._rg:
        return (accumulate_node(t), 0)
    return NO_EDGE


class _Out:
    """Marks a saved record as the node's own output (rebuilt with this node as grad_fn)."""

    def __repr__(self):
        return "OUT"


OUT = _Out()
CONST_VC = [0]  # the version counter of constants (never bumped)


def save(t, arr=None):
    """A saved-tensor record: the tensor, its array (``arr`` if promoted) and its version."""
    vc = t._vc
    return (t, t._data if arr is None else arr, vc, vc[0])


def const(value):
    """A saved record for a constant (a Python scalar, or an array no tensor owns)."""
    return (None, value, CONST_VC, 0)


def out_rec(result):
    """A saved record for an op's own output tensor."""
    return (OUT, result._data, result._vc, result._vc[0])


NONE_REC = (None, None, CONST_VC, 0)


def unpack_saved(node, as_tensors: bool):
    saved = node._saved
    if saved is None:
        raise RuntimeError(FREED_MSG)
    if not saved:
        return saved
    out = []
    for t, arr, vc, ver in saved:
        if vc[0] != ver:
            _raise_version(t, arr, node, vc[0], ver)
        if not as_tensors:
            out.append(arr)
            continue
        if t is None:
            out.append(Tensor._make(arr, False, None) if isinstance(arr, np.ndarray) else arr)
        elif t is OUT:  # the node's own output, rebuilt as a tensor whose grad_fn is this node
            o = Tensor._make(arr, True, node)
            o._vc = vc
            out.append(o)
        elif t._data is arr:
            out.append(t)
        else:  # saved after type promotion
            from .._dtype import from_np
            out.append(t.to(from_np(arr.dtype)))
    return out


def _short(name: str) -> str:
    return name[:-9] if name.endswith("Backward0") else name.replace("Backward", "")


def _raise_version(t, arr, node, now, ver):
    desc = f"[{legacy_type_name(arr)} [{', '.join(str(s) for s in arr.shape)}]]"
    fn = node if (t is None or t is OUT) else t.grad_fn
    which = f", which is output 0 of {_short(fn.name())}," if fn is not None else ""
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"{desc}{which} is at version {now}; expected version {ver} instead." + _HINT)


Tensor = None  # set by numtorch._tensor once the class exists (avoids an import cycle)


def _wrap(g):
    return g if g is None or isinstance(g, Tensor) else Tensor._make(g, False, None)


def _unwrap(g, as_tensors):
    if g is None or as_tensors:
        return g
    return g._data if not isinstance(g, np.ndarray) else g


def _run_tensor_hooks(node, g, as_tensors):
    """Tensor hooks of each output of ``node`` (retain_grad's store runs last, as in torch)."""
    th = node._tensor_hooks
    multi = node._n_out != 1
    if th:
        for nr, hooks in th.items():
            gi = g[nr] if multi else g
            if gi is None:
                continue
            for fn in list(hooks.values()):
                r = fn(_wrap(gi))
                if r is not None:
                    gi = _unwrap(r, as_tensors)
            if multi:
                g[nr] = gi
            else:
                g = gi
    rt = node._retain
    if rt:
        for nr, ref in rt.items():
            t = ref()
            gi = g[nr] if multi else g
            if t is None or gi is None:
                continue
            gt = _wrap(gi)
            if not as_tensors:
                gt = gt.detach().clone() if t._grad is None else gt
            if t._grad is None:
                t._grad = gt
            else:
                t._grad = t._grad + gt
    return g


# Adopting a fresh gradient array as ``.grad`` (instead of copying it) is safe only when
# nothing but the engine references it.  The reference count that means "only the engine" is
# measured once, on a graph whose gradient is known to be fresh (``x * 2``) and one where it is
# known to be shared (``a + b`` hands one array to both leaves); if the two cannot be told
# apart (another interpreter, another CPython), arrays are always copied.
_REFS = {"limit": None, "probe": None}


def _unshared(g: np.ndarray) -> bool:
    """True when ``g`` owns its memory and no one outside the engine references it."""
    if g.base is not None or not g.flags.writeable or not hasattr(sys, "getrefcount"):
        return False
    n = sys.getrefcount(g)
    probe = _REFS["probe"]
    if probe is not None:
        probe.append(n)
        return False
    limit = _REFS["limit"]
    if limit is None:
        limit = _calibrate()
    return n <= limit


def _calibrate() -> int:
    _REFS["limit"] = -1  # no adoption while measuring (and if measuring fails)
    prev = GRAD[0]
    GRAD[0] = True  # calibration may run inside another backward, where recording is off
    try:
        _REFS["probe"] = fresh = []
        x = Tensor._make(np.ones(3), True, None)
        y = x * 2.0
        y.backward(Tensor._make(np.ones(3), False, None))
        _REFS["probe"] = shared = []
        a = Tensor._make(np.ones(3), True, None)
        b = Tensor._make(np.ones(3), True, None)
        (a + b).backward(Tensor._make(np.ones(3), False, None))
    except Exception:  # noqa: BLE001 - measurement only; fall back to copying
        fresh, shared = [], []
    finally:
        _REFS["probe"] = None
        GRAD[0] = prev
    if len(fresh) == 1 and len(shared) == 2 and fresh[0] < min(shared):
        _REFS["limit"] = fresh[0]
    return _REFS["limit"]


def _accumulate(node: AccumulateGrad, g, as_tensors: bool, create_graph: bool):
    t = node.variable
    hooks = t._hooks
    replaced = False
    if hooks:
        for fn in list(hooks.values()):
            r = fn(_wrap(g))
            if r is not None:
                g = _unwrap(r, as_tensors)
                replaced = True  # a hook's tensor may be held by the user: never adopt it
    cur = t._grad
    if as_tensors:
        if g.dtype is not t.dtype:
            g = g.to(t.dtype)
        t._grad = g if cur is None else cur + g
    else:
        if g.dtype != t._data.dtype:
            g = g.astype(t._data.dtype)
        if cur is None:
            # the same array may be handed to several leaves (add's backward): copy it unless
            # nothing but this engine can see it (a fresh base array, as a matmul gradient is)
            if replaced or not _unshared(g):
                g = _par.unary(np.positive, g) if g.dtype.kind == "f" else g.copy()
            t._grad = Tensor._make(g, False, None)
        elif cur._rg:
            t._grad = cur + Tensor._make(g, False, None)
        else:
            cd = cur._data
            if cd.shape == g.shape:
                _par.add(cd, g, cd)
            else:
                cur._data = cd + g
    post = t._post_acc_hooks
    if post:
        for fn in list(post.values()):
            fn(t)


def _add(a, b):
    return b if a is None else a + b


def _sum(a, b):
    """Sum two gradient arrays (threaded when large); always an ndarray, never a NumPy scalar."""
    r = _par.add(a, b) if a.shape == b.shape else a + b
    return r if type(r) is np.ndarray else np.asarray(r)


def run_backward(roots, root_grads, retain_graph: bool, create_graph: bool,
                 inputs=None, accumulate: bool = True, allow_unused: bool = True):
    """Run the engine from ``roots`` (list of (node, output_nr)).

    With ``inputs`` (list of tensors) the gradients of those tensors are captured and
    returned; with ``accumulate`` False nothing is written into any ``.grad``
    (``autograd.grad``), otherwise only the given inputs' ``.grad`` are written
    (``backward(inputs=...)``).
    """
    as_tensors = create_graph
    # --- discover the graph: how many edges feed each node
    deps: dict = {}
    root_nodes = []
    for node, _ in roots:
        if node not in deps:
            deps[node] = 0
            root_nodes.append(node)
    stack = list(root_nodes)
    while stack:
        n = stack.pop()
        for nxt, _ in n.next_functions:
            if nxt is not None:
                c = deps.get(nxt)
                if c is None:
                    deps[nxt] = 1
                    stack.append(nxt)
                else:
                    deps[nxt] = c + 1
    # --- what to capture, and which nodes are worth running
    captures = None
    needed = run = None
    results = None
    if inputs is not None:
        results = [None] * len(inputs)
        captures = {}
        for i, t in enumerate(inputs):
            if t._base is not None:
                refresh_view(t)
            if t.grad_fn is not None:
                key = t.grad_fn
                nr = t._output_nr
            else:
                r = t._accum
                key = r() if r is not None else None
                nr = 0
                if key is None or key not in deps:
                    if not allow_unused:
                        _raise_unused(i)
                    continue
            if key not in deps:
                if not allow_unused:
                    _raise_unused(i)
                continue
            captures.setdefault(key, []).append((nr, i))
        needed, run = _needed_nodes(deps, root_nodes, captures)

    buffers: dict = {}
    for (node, nr), g in zip(roots, root_grads):
        if node._n_out == 1:
            buffers[node] = _add(buffers.get(node), g)
        else:
            buf = buffers.get(node)
            if buf is None:
                buf = buffers[node] = [None] * node._n_out
            buf[nr] = _add(buf[nr], g)

    heap = [(-n._seq, n) for n in root_nodes if deps[n] == 0]
    heapq.heapify(heap)
    pop, push = heapq.heappop, heapq.heappush
    prev_mode = GRAD[0]
    GRAD[0] = create_graph
    touched = []
    try:
        while heap:
            node = pop(heap)[1]
            g = buffers.pop(node, None)
            multi = node._n_out != 1
            grads_in = None
            if g is not None and (not multi or any(x is not None for x in g)):
                if node._tensor_hooks or node._retain:
                    g = _run_tensor_hooks(node, g, as_tensors)
                if node._pre_hooks:
                    go = _wrap_tuple(g, node._n_out)
                    for fn in list(node._pre_hooks.values()):
                        r = fn(go)
                        if r is not None:
                            go = tuple(r)
                    g = _unwrap_tuple(go, node._n_out, as_tensors)
                if type(node) is AccumulateGrad:
                    if captures is not None:
                        if node in captures:
                            gh = _leaf_hooked(node, g, as_tensors)
                            for nr, i in captures[node]:
                                results[i] = _add(results[i], gh)
                            if accumulate:
                                _accumulate(node, g, as_tensors, create_graph)
                    else:
                        _accumulate(node, g, as_tensors, create_graph)
                    continue
                if captures is not None and node in captures:
                    for nr, i in captures[node]:
                        results[i] = _add(results[i], g[nr] if multi else g)
                if run is None or node in run:
                    saved = node._saved
                    if saved:
                        saved = unpack_saved(node, as_tensors)
                    elif saved is None:
                        raise RuntimeError(FREED_MSG)
                    grads_in = node._bw(node._ctx, saved, g)
                    if node._hooks:
                        gi_t = tuple(_wrap(x) for x in grads_in)
                        go_t = _wrap_tuple(g, node._n_out)
                        for fn in list(node._hooks.values()):
                            r = fn(gi_t, go_t)
                            if r is not None:
                                gi_t = tuple(r)
                        grads_in = tuple(_unwrap(x, as_tensors) for x in gi_t)
                    if not retain_graph and node._saved:
                        touched.append(node)
            k = 0
            for nxt, nr in node.next_functions:
                if nxt is not None:
                    if grads_in is not None:
                        gi = grads_in[k]
                        if gi is not None:
                            if not as_tensors and type(gi) is not np.ndarray:
                                gi = np.asarray(gi)  # 0-d arithmetic gives NumPy scalars
                            if nxt._n_out == 1:
                                b = buffers.get(nxt)
                                buffers[nxt] = gi if b is None else (b + gi if as_tensors else _sum(b, gi))
                            else:
                                b = buffers.get(nxt)
                                if b is None:
                                    b = buffers[nxt] = [None] * nxt._n_out
                                b[nr] = gi if b[nr] is None else (b[nr] + gi if as_tensors else _sum(b[nr], gi))
                    d = deps[nxt] - 1
                    deps[nxt] = d
                    if d == 0 and (needed is None or nxt in needed):
                        push(heap, (-nxt._seq, nxt))
                k += 1
            gi = b = grads_in = g = None  # hold no gradient array between nodes (see _unshared)
    finally:
        GRAD[0] = prev_mode
        for node in touched:
            node._saved = None
    return results


def _leaf_hooked(node, g, as_tensors):
    t = node.variable
    hooks = t._hooks
    if hooks:
        for fn in list(hooks.values()):
            r = fn(_wrap(g))
            if r is not None:
                g = _unwrap(r, as_tensors)
    return g


def _wrap_tuple(g, n_out):
    if n_out == 1:
        return (_wrap(g),)
    return tuple(_wrap(x) for x in g)


def _unwrap_tuple(go, n_out, as_tensors):
    if n_out == 1:
        return _unwrap(go[0], as_tensors)
    return [_unwrap(x, as_tensors) for x in go]


def _raise_unused(i):
    raise RuntimeError(
        f"The differentiated Tensor at index {i} appears to not have been used in the graph. "
        "Set allow_unused=True if this is the desired behavior.")


def _needed_nodes(deps, root_nodes, captures):
    """Nodes from which a captured node can be reached (worth visiting), and those of them
    whose backward must run (a captured node further down needs their output)."""
    # topological order (Kahn) over the discovered graph
    indeg = dict(deps)
    order = []
    ready = [n for n in root_nodes if indeg[n] == 0]
    while ready:
        n = ready.pop()
        order.append(n)
        for nxt, _ in n.next_functions:
            if nxt is not None:
                indeg[nxt] -= 1
                if indeg[nxt] == 0:
                    ready.append(nxt)
    needed = set()
    run = set()
    for n in reversed(order):
        if any(nxt in needed for nxt, _ in n.next_functions if nxt is not None):
            run.add(n)
            needed.add(n)
        elif n in captures:
            needed.add(n)
    return needed, run
