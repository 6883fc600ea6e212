"""Loss functions: pure functions of tensors (paper eqs. 2.8 and 5.1, §4).

The UMAP cross-entropy is written through the logit u = log a + b·log d²,
for which q = sigmoid(−u), −log q = softplus(u) and −log(1 − q) = softplus(−u).
This is the exact eq. 2.8 with q ∈ (0, 1) (no cap at 0.5), and it cannot
produce NaN at zero distance because d² is clamped inside the log.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

#: d² is clamped to this before its log: the "clip inside the logs".
MIN_SQUARED_DISTANCE = 1e-8


def squared_distances(za: torch.Tensor, zb: torch.Tensor) -> torch.Tensor:
    """Row-wise ‖za − zb‖²."""
    return (za - zb).pow(2).sum(-1)


def pairwise_squared_distances(za: torch.Tensor, zb: torch.Tensor) -> torch.Tensor:
    """The matrix of ‖za_i − zb_j‖², as ‖za_i‖² + ‖zb_j‖² − 2 za_i·zb_j: one matrix
    product, no square root to undo (unlike ``cdist(...).pow(2)``). Rounding can leave
    coincident pairs slightly below 0; :func:`similarity_logit` clamps them. With a
    leading batch dimension (blocks × rows × dims), one matrix per block."""
    if za.dim() == 2:
        norms = za.pow(2).sum(1, keepdim=True) + zb.pow(2).sum(1)
        return torch.addmm(norms, za, zb.T, alpha=-2.0)
    norms = za.pow(2).sum(-1, keepdim=True) + zb.pow(2).sum(-1).unsqueeze(-2)
    return torch.baddbmm(norms, za, zb.transpose(-1, -2), alpha=-2.0)


def similarity_logit(d2: torch.Tensor, a: float, b: float) -> torch.Tensor:
    """u with q = 1 / (1 + a d^{2b}) = sigmoid(−u)."""
    return b * torch.log(d2.clamp_min(MIN_SQUARED_DISTANCE)) + math.log(a)


def umap_batch_loss(
    d2_positive: torch.Tensor,
    d2_negative: torch.Tensor,
    a: float,
    b: float,
    repulsion_strength: float = 1.0,
    negative_weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """UMAP's fuzzy-set cross-entropy of one batch, by negative sampling, per positive edge.

    The training loss; :func:`pumap_core.eval.objective.umap_cross_entropy` is the
    exact objective of a finished embedding that this estimates.

    ``d2_positive``: (B,) squared distances of sampled edges, attracted by −log q.
    ``d2_negative``: (B·m,) squared distances of random pairs, repelled by −log(1 − q).
    ``negative_weights`` (optional, broadcastable to ``d2_negative``) weights each
    repelled pair. Returns the sum of both terms divided by B.
    """
    return _cross_entropy(similarity_logit(d2_positive, a, b), similarity_logit(d2_negative, a, b),
                          repulsion_strength, negative_weights)


def umap_all_pairs_loss(
    d2: torch.Tensor,
    a: float,
    b: float,
    repulsion_strength: float = 1.0,
    tail_weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """:func:`umap_batch_loss` for a B × B matrix ``d2`` of every (head, tail) pair of a
    batch of B edges: its diagonal (the edges) attracted, every entry repelled, each
    column weighted by ``tail_weights``. The same value as ``umap_batch_loss(d2.diagonal(),
    d2, a, b, repulsion_strength, tail_weights)``, with one logit per pair instead of two.
    A stack of such matrices (blocks × B × B, ``tail_weights`` blocks × B) is one
    batch of blocks × B edges, each block's pairs among themselves."""
    u = similarity_logit(d2, a, b)
    if tail_weights is not None and u.dim() == 3:
        tail_weights = tail_weights.unsqueeze(-2)  # weights run along each block's columns
    return _cross_entropy(u.diagonal(dim1=-2, dim2=-1), u, repulsion_strength, tail_weights)


def _cross_entropy(u_positive: torch.Tensor, u_negative: torch.Tensor, repulsion_strength: float,
                   negative_weights: torch.Tensor | None) -> torch.Tensor:
    """−log q of the edges plus weighted −log(1 − q) of the repelled pairs, per edge."""
    attraction = F.softplus(u_positive).sum()
    repulsion = F.softplus(-u_negative)
    repulsion = (repulsion * negative_weights if negative_weights is not None else repulsion).sum()
    return (attraction + repulsion_strength * repulsion) / max(u_positive.numel(), 1)


def pearson(x: torch.Tensor, y: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    xc, yc = x - x.mean(), y - y.mean()
    return (xc * yc).sum() / (xc.norm() * yc.norm() + eps)


def global_correlation_loss(
    x_a: torch.Tensor, x_b: torch.Tensor, z_a: torch.Tensor, z_b: torch.Tensor
) -> torch.Tensor:
    """−Pearson r between data-space and latent distances of the pairs (a_i, b_i) (eq. 5.1)."""
    dx = (x_a - x_b).pow(2).sum(-1).add(1e-12).sqrt()
    dz = (z_a - z_b).pow(2).sum(-1).add(1e-12).sqrt()
    return -pearson(dx, dz)


def reconstruction_loss(x_hat: torch.Tensor, x: torch.Tensor, kind: str = "mse") -> torch.Tensor:
    """Mean squared error, or binary cross-entropy for data in [0, 1], per element."""
    if kind == "mse":
        return F.mse_loss(x_hat, x)
    if kind == "bce":
        return F.binary_cross_entropy(x_hat.clamp(1e-6, 1 - 1e-6), x.clamp(0.0, 1.0))
    raise ValueError(f"reconstruction loss must be 'mse' or 'bce', got {kind!r}")


def landmark_loss(z: torch.Tensor, positions: torch.Tensor, held: torch.Tensor,
                  scale: float) -> torch.Tensor:
    """UMAP's attraction of each held row of ``z`` to its position, ``log(1 + d²)`` with the
    distance d in units of ``scale``, averaged over the held rows (``held`` weight 1; rows
    of weight 0 are free): a held row is drawn to its old place as to a neighbour, firmly
    when near, with a bounded pull when far (so it can make room instead of tearing the
    map). Weights instead of a mask index: selecting rows by a mask needs their count
    on the host."""
    d2 = squared_distances(z, positions) / (scale * scale)
    return (held * torch.log1p(d2)).sum() / held.sum().clamp_min(1.0)


def classifier_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over labelled rows only (label −1 means unlabelled); 0 without any.

    Masked arithmetic rather than indexing by the mask: selecting rows by a mask
    needs their count on the host, a synchronisation on a GPU."""
    mask = (labels >= 0).to(logits.dtype)
    per_row = F.cross_entropy(logits, labels.clamp_min(0), reduction="none")
    return (per_row * mask).sum() / mask.sum().clamp_min(1.0)
