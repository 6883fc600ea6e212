"""One training run of an estimator whose networks and data are ready: what ``fit`` and
``partial_fit`` share once they have built (or kept) the graph, the networks and the
loop's data.

It sets the fitted attributes a run produces (``loss_history_``, ``n_epochs_``,
``embedding_``, ``codes_`` and each live setting as the run ended), then runs a two-code
model's map stage.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from ..nets.two_code import CodeEncoderView
from ..training.convergence import ConvergenceMonitor
from ..training.curve import find_ab_params
from ..training.live import Snapshot, TrainingControls
from ..training.loop import Networks, TrainingConfig, TrainingData, embed, train
from . import deprecations, fitting


def run_training(est, data: TrainingData, seed: int, labels: np.ndarray | None,
                 controls: TrainingControls | None,
                 callback: Callable[[Snapshot], None] | None,
                 snapshot_embedding: str | int | None, snapshot_interval: float,
                 stage: str | None = None) -> None:
    """Train ``est``'s networks on ``data`` (the loop of :mod:`pumap_core.training.loop`),
    then keep what the run produced. ``stage`` marks its entries of ``loss_history_``
    (appended to the earlier ones) when the run continues an earlier fit."""
    two_code = deprecations.two_code_of(est)
    n_rows = data.inputs.shape[0]
    config = dataclasses.replace(fitting.training_config(est, seed, labels),
                                 snapshot_interval=snapshot_interval,
                                 snapshot_rows=fitting.snapshot_rows(n_rows, snapshot_embedding,
                                                                     seed))
    monitor = (ConvergenceMonitor.for_graph(est.graph_.knn_indices, seed)
               if est.n_epochs is None else None)
    train_nets = Networks(fitting.trainable_encoder(est.encoder_),
                          fitting.trainable_decoder(est.decoder_), est.classifier_)
    for net in (est.encoder_, est.decoder_, est.classifier_):
        if net is not None:
            net.to(est.device_)
    progress = fitting.progress_bar(est, config, data)
    controls = controls or TrainingControls()
    try:
        history = train(train_nets, data, config, controls, callback, est.device_,
                        progress=(lambda _: progress.update(1)) if progress else None,
                        monitor=monitor)
    finally:
        if progress is not None:
            progress.close()
    if stage is None:
        est.loss_history_ = history
    else:
        est.loss_history_ = list(est.loss_history_ or []) + [{**h, "stage": stage}
                                                              for h in history]
    if history:  # epochs actually trained (fewer than planned once converged)
        est.n_epochs_ = max(1, int(np.ceil(history[-1]["epoch"])))
    est.embedding_ = embed(train_nets.encoder, data.inputs)
    est.codes_ = (embed(CodeEncoderView(train_nets.encoder), data.inputs)
                  if two_code is not None else est.embedding_)
    keep_final_settings(est, config, controls)
    est._fitting_rows = None
    if two_code is not None and two_code.map_epochs and not controls.stopped:
        est.refine_map(two_code.map_epochs, controls=controls, callback=callback,
                       snapshot_embedding=snapshot_embedding,
                       snapshot_interval=snapshot_interval)


def keep_final_settings(est, config: TrainingConfig, controls: TrainingControls) -> None:
    """The live settings as the run ended become fitted attributes (``min_dist_``,
    ``learning_rate_``, ...; the parameters stay as given), so that a saved model
    describes the curve and weights it was trained with."""
    for name, value in {**config.live_settings(), **controls.values()}.items():
        setattr(est, f"{name}_", value)
    est.a_, est.b_ = find_ab_params(est.min_dist_, est.spread_)
