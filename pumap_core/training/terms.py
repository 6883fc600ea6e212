"""The terms of the training loss, each declared once: its name, its weight, how a step
computes it, and how a chart shows it.

The loop computes every term whose weight is above 0 (:func:`~.step.step_losses`);
the weights are live settings (:data:`~.live.LIVE` collects them from here), so
``TrainingControls``, the estimator's fitted ``<weight>_`` attributes, model files
and the dashboard's sliders and loss chart all follow these declarations. A new
term is one :class:`LossTerm` given to :func:`~.live.register_term`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch.profiler import record_function

from ..nets.classifier import classifier_input
from . import losses
from .setting import LiveSetting


@dataclass
class StepInputs:
    """What a term may read in one step: the networks and data of the run, the batch of
    edges, the live settings, the configuration, the run's generator (on the training
    device), the batch's rows ``x`` before noise, the map ``z`` and the ``code`` the
    decoder reads (``z`` itself unless the encoder has two codes)."""

    nets: Any
    data: Any
    batch: Any
    settings: Any
    config: Any
    generator: torch.Generator | None
    x: torch.Tensor
    z: torch.Tensor
    code: torch.Tensor


@dataclass(frozen=True)
class LossTerm:
    """One term of the loss. ``compute`` returns its unweighted value as a device tensor,
    or None where it does not apply this step (no decoder, no labels...); the loop adds
    ``weight × value``. ``shown`` maps a weighted value to what a chart draws (≥ 0 on a
    log axis); ``default_weight`` is the weight of a run that does not set it."""

    name: str
    weight: LiveSetting
    compute: Callable[[StepInputs], torch.Tensor | None]
    label: str
    default_weight: float = 0.0
    shown: Callable[[float, float], float] = lambda weight, value: weight * value


def _weight(name: str, term: str, doc: str, short: str, label: str = "") -> LiveSetting:
    return LiveSetting(name, (0.0, 1e3), (0.0, 2.0), term=term, label=label, short=short, doc=doc)


def umap_loss(z: torch.Tensor, batch, settings) -> torch.Tensor:
    """UMAP's cross-entropy (eq. 2.8) of one batch of edges on the points ``z``."""
    heads, tails = z[batch.head_pos], z[batch.tail_pos]
    repulsion = settings.values["repulsion_strength"] * batch.negative_weight
    if batch.all_pairs:  # B × B matrix: rows heads, columns tails; its diagonal, the edges
        weights, blocks = batch.neg_tail_weight, batch.pair_blocks
        if blocks > 1:  # blocks × (B / blocks) rows: the pairs within each block
            heads, tails = heads.unflatten(0, (blocks, -1)), tails.unflatten(0, (blocks, -1))
            weights = weights.unflatten(0, (blocks, -1))
        return losses.umap_all_pairs_loss(losses.pairwise_squared_distances(heads, tails),
                                          settings.a, settings.b, repulsion, weights)
    d2_pos = losses.squared_distances(heads, tails)
    d2_neg = losses.squared_distances(z[batch.neg_head_pos], z[batch.neg_tail_pos])
    return losses.umap_batch_loss(d2_pos, d2_neg, settings.a, settings.b, repulsion)


def _umap(s: StepInputs) -> torch.Tensor:
    return umap_loss(s.z, s.batch, s.settings)


def _code_umap(s: StepInputs) -> torch.Tensor | None:
    return umap_loss(s.code, s.batch, s.settings) if s.code is not s.z else None


def _global(s: StepInputs) -> torch.Tensor | None:
    if s.z.shape[0] <= 2:
        return None
    perm = torch.randperm(s.z.shape[0], generator=s.generator, device=s.z.device)
    return losses.global_correlation_loss(s.x, s.x[perm], s.z, s.z[perm])


def reconstruction_subset(n: int, limit: int | None, generator: torch.Generator | None,
                          device: torch.device) -> torch.Tensor | None:
    """Random rows of a batch to decode (None: all). Decoding costs far more than
    encoding; a uniform subset keeps the reconstruction gradient unbiased."""
    if limit is None or n <= limit:
        return None
    return torch.randperm(n, generator=generator, device=device)[:limit]


def _reconstruction(s: StepInputs) -> torch.Tensor | None:
    if s.nets.decoder is None or s.data.targets is None:
        return None
    z_in = s.code if s.config.reconstruction_grad else s.code.detach()
    rows = reconstruction_subset(s.code.shape[0], s.config.reconstruction_rows, s.generator,
                                 s.code.device)
    targets = s.data.targets[s.batch.nodes]
    if rows is not None:  # a uniform subset: its mean error is unbiased for the batch's
        z_in, targets = z_in[rows], targets[rows]
    with record_function("pumap.decode"):
        return losses.reconstruction_loss(s.nets.decoder(z_in), targets,
                                          s.config.reconstruction_loss)


def _classifier(s: StepInputs) -> torch.Tensor | None:
    labelled = s.data.labelled
    if s.nets.classifier is None or labelled is None:
        return None
    # a separate labelled batch each step: labels may be a handful among thousands
    n_lab = labelled.shape[0]
    draw = torch.randint(n_lab, (min(s.config.batch_size, n_lab),), generator=s.generator,
                         device=labelled.device)
    pick = labelled[draw]
    logits = s.nets.classifier(classifier_input(s.nets.encoder, s.data.inputs[pick],
                                                s.config.classifier_input))
    return losses.classifier_loss(logits, s.data.labels[pick])


def _landmark(s: StepInputs) -> torch.Tensor | None:
    held = s.data.landmarks
    if held is None:
        return None
    # the batch's own rows: those held cost no extra forward pass
    nodes = s.batch.nodes
    return losses.landmark_loss(s.z, held.positions[nodes], held.held[nodes], held.scale)


#: The loss terms by name, in the order a step computes them.
TERMS: dict[str, LossTerm] = {t.name: t for t in (
    LossTerm("umap", _weight("umap_weight", "umap", "Weight of UMAP's cross-entropy.", "umap"),
             _umap, "neighbourhoods (UMAP)", default_weight=1.0),
    LossTerm("code_umap", _weight("code_umap_weight", "code_umap", "Two-code models: weight of "
                                  "UMAP's loss on the code itself.", "code_umap"),
             _code_umap, "UMAP on the codes"),
    # the term is −r (negative while it helps); w·(1 − r) differs by a constant and is ≥ 0
    LossTerm("global", _weight("global_correlation_weight", "global", "Weight of the "
                               "global-structure loss (-Pearson r of distances).", "global",
                               "Global structure weight"),
             _global, "global structure", shown=lambda w, value: w * (1.0 + value)),
    LossTerm("reconstruction", _weight("reconstruction_weight", "reconstruction",
                                       "Weight of the reconstruction loss (0 = decoder not "
                                       "trained).", "recon", "Reconstruction weight"),
             _reconstruction, "reconstruction"),
    LossTerm("classifier", _weight("classifier_weight", "classifier", "Weight of the classifier "
                                   "loss on labelled rows.", "clf", "Classifier weight"),
             _classifier, "classifier"),
    LossTerm("landmark", LiveSetting(
        "landmark_weight", (0.0, 1e3), (0.0, 10.0), term="landmark", label="Landmark weight",
        short="landmark", doc="Weight of the landmark loss: rows trained on before are pulled "
        "back to where the earlier map had them (continued training)."),
        _landmark, "landmarks (old map held)"),
)}
