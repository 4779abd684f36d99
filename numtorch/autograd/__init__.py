"""numtorch.autograd: ``backward``, ``grad``, ``Function``, grad modes and ``gradcheck``."""
from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np

from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                        no_grad, set_grad_enabled)
from .graph import Node, run_backward
from .function import Function, FunctionCtx, once_differentiable
from .gradcheck import gradcheck, gradgradcheck
from . import graph

__all__ = ["backward", "grad", "Function", "FunctionCtx", "gradcheck", "gradgradcheck", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "Node", "once_differentiable", "graph",
           "Variable", "set_detect_anomaly", "detect_anomaly"]


def _as_list(x):
    if x is None:
        return None
    if isinstance(x, graph.Tensor):
        return [x]
    return list(x)


def _roots_and_grads(outputs, grad_outputs, create_graph, what="grad"):
    Tensor = graph.Tensor
    from .graph import accumulate_node
    roots, grads = [], []
    for i, (t, g) in enumerate(zip(outputs, grad_outputs)):
        if t._base is not None:
            graph.refresh_view(t)
        if not t._rg:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if t._data.dtype.kind != "f":
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got "
                                   f"{t.dtype!r}")
            g = Tensor._make(np.ones(t._data.shape, dtype=t._data.dtype), False, None)
        elif not isinstance(g, Tensor):
            g = Tensor._make(np.asarray(g, dtype=t._data.dtype), False, None)
        if g._data.shape != t._data.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                               f"has a shape of {t.shape}.")
        node = t.grad_fn if t.grad_fn is not None else accumulate_node(t)
        roots.append((node, t._output_nr))
        grads.append(g if create_graph else g._data)
    return roots, grads


def backward(tensors, grad_tensors=None, retain_graph: Optional[bool] = None, create_graph: bool = False,
             grad_variables=None, inputs=None) -> None:
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the leaves (torch.autograd.backward)."""
    tensors = _as_list(tensors)
    if grad_tensors is None:
        grad_tensors = grad_variables
    gl = _as_list(grad_tensors) if grad_tensors is not None else [None] * len(tensors)
    if len(gl) != len(tensors):
        raise RuntimeError(f"got {len(gl)} tensors and {len(tensors)} gradients")
    if retain_graph is None:
        retain_graph = create_graph
    roots, grads = _roots_and_grads(tensors, gl, create_graph)
    inp = _as_list(inputs)
    if inp is not None and len(inp) == 0:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    run_backward(roots, grads, retain_graph, create_graph, inputs=inp, accumulate=True, allow_unused=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph: Optional[bool] = None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused: Optional[bool] = None, is_grads_batched: bool = False,
         materialize_grads: bool = False):
    """Gradients of ``outputs`` w.r.t. ``inputs``, returned (not accumulated) as a tuple."""
    from .._tensor import Tensor
    if is_grads_batched:
        raise NotImplementedError("autograd.grad: is_grads_batched=True is not supported by numtorch")
    outs = _as_list(outputs)
    inps = _as_list(inputs)
    for t in inps:
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    go = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(outs)
    if len(go) != len(outs):
        raise RuntimeError(f"grad requires one grad_output per output: got {len(go)} and {len(outs)}")
    if allow_unused is None:
        allow_unused = materialize_grads
    if retain_graph is None:
        retain_graph = create_graph
    roots, grads = _roots_and_grads(outs, go, create_graph)
    res = run_backward(roots, grads, retain_graph, create_graph, inputs=inps, accumulate=False,
                       allow_unused=allow_unused)
    out = []
    for i, (t, r) in enumerate(zip(inps, res)):
        if r is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                r = Tensor._make(np.zeros_like(t._data), False, None)
            out.append(r)
        else:
            out.append(r if isinstance(r, Tensor) else Tensor._make(r, False, None))
    return tuple(out)


def Variable(data, requires_grad: bool = False):  # noqa: N802 - torch's deprecated name
    """Deprecated torch.autograd.Variable: returns the tensor (with requires_grad set)."""
    if requires_grad:
        data.requires_grad_(True)
    return data


class set_detect_anomaly:
    """Accepted for compatibility; numtorch's errors already name the failing node."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.mode = mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


detect_anomaly = set_detect_anomaly
