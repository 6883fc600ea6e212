"""The map stage of a two-code model: the map head alone, trained on fixed codes.

A mixin of :class:`~pumap_core.model.estimator.ParametricUMAP`: ``fit`` runs it
for ``two_code.map_epochs`` after the joint training, and a user may run more.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import torch

from ..nets.two_code import MapHeadView
from ..training.live import Snapshot, TrainingControls
from ..training.loop import Networks, TrainingData, embed, train
from . import deprecations, fitting
from .specs import TwoCode


class MapStage:
    """``refine_map``: more epochs for the map of a fitted two-code model."""

    def refine_map(self, n_epochs: int, controls: TrainingControls | None = None,
                   callback: Callable[[Snapshot], None] | None = None,
                   batch_size: int | None = None, learning_rate: float | None = None, *,
                   snapshot_embedding: str | int | None = None,
                   snapshot_interval: float = deprecations.SNAPSHOT_INTERVAL):
        """Two-code models: train the map head alone for ``n_epochs`` more epochs on the
        training codes ``codes_`` (fixed), with UMAP's loss on the fitted graph.

        The map head is small and its inputs are d numbers, so this samples
        far more edges per second than the joint training, whose steps pay for
        the conv nets: the map finishes converging. ``fit`` runs it for
        ``two_code.map_epochs`` (unless stopped through ``controls``). Needs
        ``graph_`` (a fitted model, or one saved with ``include_graph=True``).
        ``batch_size`` and ``learning_rate`` default to ``two_code.map_batch_size``
        and ``two_code.map_learning_rate``.
        """
        self._check_fitted()
        if not self.has_two_codes:
            raise ValueError("refine_map is for two-code models (two_code=TwoCode(...))")
        if getattr(self, "graph_", None) is None or self.codes_ is None:
            raise ValueError("refine_map needs the neighbour graph and the training codes: fit "
                             "the model (or load one saved with include_graph=True)")
        spec = deprecations.two_code_of(self) or TwoCode()
        head = MapHeadView(self.encoder_)
        codes = torch.from_numpy(np.ascontiguousarray(self.codes_, dtype=np.float32)).to(self.device_)
        data = TrainingData(inputs=codes, edges=self.graph_.edges)
        seed = fitting.seed_of(self.random_state)
        config = dataclasses.replace(
            fitting.map_config(self, n_epochs, batch_size or spec.map_batch_size,
                               learning_rate or spec.map_learning_rate, seed),
            snapshot_interval=snapshot_interval,
            snapshot_rows=fitting.snapshot_rows(self.graph_.n_vertices, snapshot_embedding, seed))
        history = train(Networks(head), data, config, controls, callback, self.device_)
        self.loss_history_ = list(self.loss_history_ or []) + [
            {**h, "stage": "map"} for h in history]
        self.embedding_ = embed(head, codes)
        return self
