"""MultiheadAttention (torch.nn.modules.activation.MultiheadAttention).

Parameters are registered under torch's names and in torch's order: ``in_proj_weight`` (or
``q_proj_weight`` / ``k_proj_weight`` / ``v_proj_weight`` when kdim / vdim differ from
embed_dim), ``in_proj_bias``, ``bias_k`` / ``bias_v`` (add_bias_kv) and ``out_proj`` (a
``NonDynamicallyQuantizableLinear``), so state_dicts load both ways.  Initialisation is torch's:
xavier_uniform_ projections, zero biases, xavier_normal_ bias_k / bias_v.  ``forward`` canonicalises
the masks (with torch's deprecation warning for mismatched mask types) and runs
``F.multi_head_attention_forward``; with batch_first the batch-major layout is kept internally
instead of transposing (same values).  torch's inference fast path (``torch._native_multi_head_attention``)
is not reproduced: its results are the same up to rounding.
"""
from __future__ import annotations

from typing import Optional, Tuple

from ..._ops.factories import empty
from ..._tensor import Tensor
from .. import init
from ..functional import attention as FA
from ..parameter import Parameter
from .linear import NonDynamicallyQuantizableLinear
from .module import Module

__all__ = ["MultiheadAttention"]


class MultiheadAttention(Module):
    """Multi-head attention ``softmax(q k^T / sqrt(head_dim) + mask) v`` over ``num_heads`` heads,
    with input / output projections (torch.nn.MultiheadAttention, same arguments, parameters,
    shapes, masks, warnings and errors)."""

    __constants__ = ["batch_first"]

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: Optional[int] = None,
                 vdim: Optional[int] = None, batch_first: bool = False, device=None, dtype=None) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        fk = {"device": device, "dtype": dtype}
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != self.embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(empty((embed_dim, embed_dim), **fk))
            self.k_proj_weight = Parameter(empty((embed_dim, self.kdim), **fk))
            self.v_proj_weight = Parameter(empty((embed_dim, self.vdim), **fk))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(empty((3 * embed_dim, embed_dim), **fk))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, **fk))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **fk)
        if add_bias_kv:
            self.bias_k = Parameter(empty((1, 1, embed_dim), **fk))
            self.bias_v = Parameter(empty((1, 1, embed_dim), **fk))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def __setstate__(self, state: dict) -> None:
        # modules pickled before _qkv_same_embed_dim existed (as torch)
        if "_qkv_same_embed_dim" not in state:
            state["_qkv_same_embed_dim"] = True
        super().__setstate__(state)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Optional[Tensor] = None,
                need_weights: bool = True, attn_mask: Optional[Tensor] = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> Tuple[Tensor, Optional[Tensor]]:
        """Inputs (L, N, E) / (S, N, kdim) / (S, N, vdim) ((N, L, E) ... with batch_first, or
        unbatched (L, E)); returns (output like query, weights (N, L, S) averaged over heads,
        (N, H, L, S) with average_attn_weights=False, or None when need_weights is False)."""
        is_batched = query.dim() == 3
        key_padding_mask = FA._canonical_mask(key_padding_mask, "key_padding_mask", FA._none_or_dtype(attn_mask),
                                              "attn_mask", query.dtype)
        attn_mask = FA._canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        same = self._qkv_same_embed_dim
        return FA._mha(query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias,
                       self.bias_k, self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight,
                       self.out_proj.bias, self.training, key_padding_mask, need_weights, attn_mask, not same,
                       None if same else self.q_proj_weight, None if same else self.k_proj_weight,
                       None if same else self.v_proj_weight, None, None, average_attn_weights, is_causal,
                       self.batch_first and is_batched)
