"""One optimisation step's losses, computed where the networks live.

Everything random in a step (noise, the rows to decode, the global term's
pairs, the labelled rows) is drawn by the run's generator *on the training
device*, and nothing here reads a value back to the host: on a GPU the host
only queues kernels, and a step never waits for the device to finish.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch
from torch import nn
from torch.profiler import record_function

from ..graph.edges import EdgeSet
from ..nets.classifier import classifier_input
from ..nets.two_code import map_and_code
from . import losses
from .curve import find_ab_params
from .live import LIVE, TrainingControls


@dataclass
class TrainingConfig:
    """What one run trains with. The estimator builds it (``model.fitting``); the
    defaults are those of a bare call of the loop, not the estimator's."""

    n_epochs: int = 50
    batch_size: int = 256
    negative_sample_rate: int = 5
    negatives: str = "batch_all"
    learning_rate: float = 1e-2
    lr_decay: bool = True
    min_dist: float = 0.1
    spread: float = 1.0
    repulsion_strength: float = 1.0
    umap_weight: float = 1.0
    global_correlation_weight: float = 0.0
    reconstruction_weight: float = 0.0
    reconstruction_loss: str = "mse"
    reconstruction_grad: bool = True
    classifier_weight: float = 0.0
    code_umap_weight: float = 0.0  # two-code encoders: UMAP's loss on the code too
    classifier_input: str = "hidden"  # "hidden" layer or "latent" codes, see nets.classifier
    input_noise: float = 0.0  # sd of Gaussian noise added to the encoder's inputs (training only)
    warm_start_steps: int = 0  # regression steps onto TrainingData.layout before UMAP's loss
    reconstruction_rows: int | None = None  # decode at most this many rows of each batch
    snapshot_interval: float = 0.5
    snapshot_rows: np.ndarray | None = None  # rows embedded in snapshots; None = no embedding
    seed: int | None = None
    readback_steps: int = 100  # loss sums come back to the host (and are checked) this often

    def live_settings(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in LIVE}


@dataclass
class Networks:
    """What is trained. ``encoder`` consumes ``TrainingData.inputs`` (which may be
    pre-projected); ``decoder`` maps z back to ``TrainingData.targets``."""

    encoder: nn.Module
    decoder: nn.Module | None = None
    classifier: nn.Module | None = None

    def modules(self) -> list[nn.Module]:
        return [net for net in (self.encoder, self.decoder, self.classifier) if net is not None]

    def parameters(self):
        for net in self.modules():
            yield from (p for p in net.parameters() if p.requires_grad)

    def train(self, mode: bool = True) -> None:
        for net in self.modules():
            net.train(mode)


@dataclass
class TrainingData:
    inputs: torch.Tensor  # n × p, what the encoder reads
    edges: EdgeSet
    targets: torch.Tensor | None = None  # n × d, what the decoder reconstructs
    labels: torch.Tensor | None = None  # n, int64, −1 = unlabelled
    layout: torch.Tensor | None = None  # n × n_components starting layout for the warm start

    @cached_property
    def labelled(self) -> torch.Tensor | None:
        """Indices of labelled rows (None when there are none); found once, before the
        loop (finding them is a host synchronisation)."""
        if self.labels is None:
            return None
        index = torch.nonzero(self.labels >= 0).flatten()
        return index if index.numel() else None


class Settings:
    """The live settings as the loop sees them, refreshed from the controls between
    steps (host values only: a slider never costs the device a synchronisation)."""

    def __init__(self, config: TrainingConfig, controls: TrainingControls):
        self.controls, self.version = controls, -1
        self.values = config.live_settings()
        controls.begin(self.values)
        self.a, self.b = find_ab_params(self.values["min_dist"], self.values["spread"])

    def refresh(self) -> bool:
        """Take the controls' changes; True when anything changed since the last call."""
        version, changes = self.controls.read()
        if version == self.version:
            return False
        self.version = version
        curve_changed = any(changes.get(k, self.values[k]) != self.values[k]
                            for k in ("min_dist", "spread"))
        self.values.update(changes)
        if curve_changed:
            self.a, self.b = find_ab_params(self.values["min_dist"], self.values["spread"])
        return True


def with_noise(x: torch.Tensor, sd: float, generator: torch.Generator | None) -> torch.Tensor:
    """``x`` plus Gaussian noise of standard deviation ``sd`` (a regulariser: the map
    must be smooth around each training row, which is what unseen rows need)."""
    if sd <= 0:
        return x
    return x + sd * torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)


def reconstruction_subset(n: int, limit: int | None, generator: torch.Generator | None,
                          device: torch.device) -> torch.Tensor | None:
    """Random rows of a batch to decode (None: all). Decoding costs far more than
    encoding; a uniform subset keeps the reconstruction gradient unbiased."""
    if limit is None or n <= limit:
        return None
    return torch.randperm(n, generator=generator, device=device)[:limit]


def umap_term(z: torch.Tensor, batch, s: Settings) -> torch.Tensor:
    """UMAP's cross-entropy (eq. 2.8) of one batch of edges on the map ``z``."""
    heads, tails = z[batch.head_pos], z[batch.tail_pos]
    repulsion = s.values["repulsion_strength"] * batch.negative_weight
    if batch.all_pairs:  # B × B matrix: rows heads, columns tails; its diagonal, the edges
        weights, blocks = batch.neg_tail_weight, batch.pair_blocks
        if blocks > 1:  # blocks × (B / blocks) rows: the pairs within each block
            heads, tails = heads.unflatten(0, (blocks, -1)), tails.unflatten(0, (blocks, -1))
            weights = weights.unflatten(0, (blocks, -1))
        return losses.umap_all_pairs_loss(losses.pairwise_squared_distances(heads, tails),
                                          s.a, s.b, repulsion, weights)
    d2_pos = losses.squared_distances(heads, tails)
    d2_neg = losses.squared_distances(z[batch.neg_head_pos], z[batch.neg_tail_pos])
    return losses.umap_batch_loss(d2_pos, d2_neg, s.a, s.b, repulsion)


def step_losses(nets: Networks, data: TrainingData, batch, s: Settings, config: TrainingConfig,
                generator: torch.Generator | None) -> dict[str, torch.Tensor]:
    """Each active loss term of one batch, by name, as device tensors (unweighted)."""
    v = s.values
    with record_function("pumap.gather"):
        x = data.inputs[batch.nodes]
        x_in = with_noise(x, config.input_noise, generator)
    with record_function("pumap.encode"):
        # z: what UMAP's loss shapes (the map); code: what the decoder reads (the same
        # tensor unless the encoder is a two-code nets.CodeMapEncoder)
        z, code = map_and_code(nets.encoder, x_in)
    terms: dict[str, torch.Tensor] = {}
    if v["umap_weight"] > 0:
        terms["umap"] = umap_term(z, batch, s)
    if v.get("code_umap_weight", 0.0) > 0 and code is not z:
        terms["code_umap"] = umap_term(code, batch, s)
    if v["global_correlation_weight"] > 0 and z.shape[0] > 2:
        perm = torch.randperm(z.shape[0], generator=generator, device=z.device)
        terms["global"] = losses.global_correlation_loss(x, x[perm], z, z[perm])
    if nets.decoder is not None and data.targets is not None and v["reconstruction_weight"] > 0:
        z_in = code if config.reconstruction_grad else code.detach()
        rows = reconstruction_subset(code.shape[0], config.reconstruction_rows, generator,
                                     code.device)
        targets = data.targets[batch.nodes]
        if rows is not None:  # a uniform subset: its mean error is unbiased for the batch's
            z_in, targets = z_in[rows], targets[rows]
        with record_function("pumap.decode"):
            terms["reconstruction"] = losses.reconstruction_loss(
                nets.decoder(z_in), targets, config.reconstruction_loss)
    if nets.classifier is not None and data.labelled is not None and v["classifier_weight"] > 0:
        # a separate labelled batch each step: labels may be a handful among thousands
        n_lab = data.labelled.shape[0]
        draw = torch.randint(n_lab, (min(config.batch_size, n_lab),), generator=generator,
                             device=data.labelled.device)
        pick = data.labelled[draw]
        logits = nets.classifier(classifier_input(nets.encoder, data.inputs[pick],
                                                  config.classifier_input))
        terms["classifier"] = losses.classifier_loss(logits, data.labels[pick])
    return terms
