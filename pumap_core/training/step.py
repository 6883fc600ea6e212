"""One optimisation step's losses, computed where the networks live.

Everything random in a step (noise, and in the terms of :mod:`.terms` the rows
to decode, the global term's pairs, the labelled rows) is drawn by the run's generator *on the training
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
from ..nets.two_code import map_and_code
from .curve import find_ab_params
from .live import LIVE, TrainingControls
from .terms import TERMS, StepInputs


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
    landmark_weight: float = 0.0  # rows held near earlier map positions (TrainingData.landmarks)
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
        """Each live setting's starting value: this config's, or for a term registered
        beyond the built-in ones (no field here) its declared default weight."""
        defaults = {t.weight.name: t.default_weight for t in TERMS.values()}
        return {name: float(getattr(self, name, defaults.get(name, 0.0))) for name in LIVE}


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
class Landmarks:
    """Rows held near earlier map positions (the landmark term of :mod:`.terms`):
    ``positions`` (n × map dimensions, any value for free rows), ``held`` (n weights,
    1 for a held row, 0 for a free one) and ``scale``, the distance that counts as one
    unit (the earlier map's neighbour distance), all on the training device."""

    positions: torch.Tensor
    held: torch.Tensor
    scale: float


@dataclass
class TrainingData:
    inputs: torch.Tensor  # n × p, what the encoder reads
    edges: EdgeSet
    targets: torch.Tensor | None = None  # n × d, what the decoder reconstructs
    labels: torch.Tensor | None = None  # n, int64, −1 = unlabelled
    layout: torch.Tensor | None = None  # n × n_components starting layout for the warm start
    landmarks: Landmarks | None = None  # rows held where an earlier map had them

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


def step_losses(nets: Networks, data: TrainingData, batch, s: Settings, config: TrainingConfig,
                generator: torch.Generator | None) -> dict[str, torch.Tensor]:
    """Each loss term of :data:`~.terms.TERMS` whose weight is above 0 and that applies,
    by name, as device tensors (unweighted)."""
    with record_function("pumap.gather"):
        x = data.inputs[batch.nodes]
        x_in = with_noise(x, config.input_noise, generator)
    with record_function("pumap.encode"):
        # z: what UMAP's loss shapes (the map); code: what the decoder reads (the same
        # tensor unless the encoder is a two-code nets.CodeMapEncoder)
        z, code = map_and_code(nets.encoder, x_in)
    inputs = StepInputs(nets, data, batch, s, config, generator, x, z, code)
    out: dict[str, torch.Tensor] = {}
    for term in TERMS.values():
        if s.values.get(term.weight.name, 0.0) > 0:
            value = term.compute(inputs)
            if value is not None:
                out[term.name] = value
    return out
