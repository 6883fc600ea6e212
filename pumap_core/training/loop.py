"""The training loop: sampled edges → losses → optimiser step, with live controls.

Between steps the loop reads :class:`~pumap_core.training.live.TrainingControls`
(pause / stop / new weights, learning rate, min_dist → new a, b) and, every
``snapshot_interval`` seconds, hands a :class:`~pumap_core.training.live.Snapshot`
to a callback. It knows nothing about estimators or user interfaces.

A run reads in four stages, each a function below: :func:`start` (seeding, the
warm start, sampler, optimiser and schedule), :func:`take_step` (one batch on
the device), :func:`record` (history, snapshots, progress) and
:func:`check_convergence`. Inside a step nothing comes back to the host: loss
sums stay on the device (:class:`~pumap_core.training.tally.LossTally`) until a
snapshot, an epoch's end or every ``config.readback_steps`` steps.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.profiler import record_function

from ..graph.sampling import EdgeSampler
from . import distributed
from .convergence import CHECKS_PER_RUN, ConvergenceMonitor
from .live import WEIGHT_OF, Snapshot, TrainingControls, TrainingStopped
from .optimizer import adam
from .schedule import LinearDecay
from .step import Networks, Settings, TrainingConfig, TrainingData, step_losses, with_noise
from .tally import LossTally
from .terms import reconstruction_subset
from .warm_start import warm_start

__all__ = ["Networks", "TrainingConfig", "TrainingData", "embed", "generator_on",
           "reconstruction_subset", "train", "warm_start", "with_noise"]


def embed(encoder: nn.Module, inputs: torch.Tensor, rows=None, chunk: int = 16384) -> np.ndarray:
    """Encode ``inputs[rows]`` in eval mode, without gradients, chunk by chunk."""
    out = embed_on_device(encoder, inputs, rows, chunk)
    return out.cpu().numpy() if out.numel() else np.zeros((0, 0), np.float32)


def embed_on_device(encoder: nn.Module, inputs: torch.Tensor, rows=None,
                    chunk: int = 16384) -> torch.Tensor:
    """:func:`embed`, left where ``inputs`` are (float32)."""
    was_training = encoder.training
    encoder.eval()
    out = []
    with torch.no_grad():
        n = inputs.shape[0] if rows is None else len(rows)
        index = None if rows is None else torch.as_tensor(rows).to(inputs.device)
        for start in range(0, n, chunk):
            # a slice is a view; only a subset of rows needs a gathered copy
            part = inputs[start:start + chunk] if index is None else inputs[index[start:start + chunk]]
            out.append(encoder(part).float())
    encoder.train(was_training)
    return torch.cat(out) if out else torch.zeros((0, 0), device=inputs.device)


def generator_on(device: torch.device | str, seed: int | None) -> torch.Generator:
    """A random generator that lives on ``device`` (draws never cross to the host),
    seeded with ``seed`` or fresh entropy."""
    generator = torch.Generator(device=torch.device(device))
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    return generator


@dataclass
class Run:
    """What one call of :func:`train` holds while it runs."""

    nets: Networks
    data: TrainingData
    config: TrainingConfig
    controls: TrainingControls
    generator: torch.Generator
    sampler: EdgeSampler
    settings: Settings
    optimizer: torch.optim.Optimizer
    steps_per_epoch: int
    total_steps: int
    decay: LinearDecay
    tally: LossTally
    step: int = 0
    converged: bool = False
    history: list[dict[str, float]] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    @property
    def check_every(self) -> int:
        """Steps between convergence checks (set by the planned length)."""
        return max(1, self.steps_per_epoch * self.config.n_epochs // CHECKS_PER_RUN)


def start(nets: Networks, data: TrainingData, config: TrainingConfig,
          controls: TrainingControls, device: torch.device | str) -> Run:
    """Seed, agree on the starting weights, warm-start, and set up sampler, optimiser
    and learning-rate schedule."""
    # under torch.distributed each rank samples its own edges: seeds differ by rank
    seed = None if config.seed is None else config.seed + distributed.rank()
    generator = generator_on(device, seed)
    distributed.broadcast_parameters(nets.modules())
    if data.layout is not None and config.warm_start_steps > 0:
        try:
            warm_start(nets.encoder, data.inputs, data.layout, config.warm_start_steps,
                       config.batch_size, config.learning_rate, config.input_noise, generator,
                       controls)
        except TrainingStopped:
            pass  # the loop's first checkpoint sees the stop too and ends cleanly
    _ = data.labelled  # found once, now: finding them waits for the device
    sampler = EdgeSampler(data.edges, config.batch_size, config.negative_sample_rate,
                          config.negatives, generator, device)
    # the ranks share each epoch's edges: every step consumes world_size batches
    steps_per_epoch = -(-sampler.steps_per_epoch // distributed.world_size())
    total_steps = steps_per_epoch * config.n_epochs
    return Run(nets=nets, data=data, config=config, controls=controls, generator=generator,
               sampler=sampler, settings=Settings(config, controls),
               optimizer=adam(nets.parameters(), config.learning_rate),
               steps_per_epoch=steps_per_epoch, total_steps=total_steps,
               decay=LinearDecay(total_steps, config.lr_decay),
               tally=LossTally(config.readback_steps))


def take_step(run: Run) -> None:
    """One optimiser step on one batch of edges; queues work on the device, reads nothing."""
    settings = run.settings
    if settings.refresh() or run.config.lr_decay:
        for group in run.optimizer.param_groups:
            group["lr"] = settings.values["learning_rate"] * run.decay.factor(run.step)
    with record_function("pumap.sample"):
        batch = run.sampler.sample()
    with record_function("pumap.losses"):
        terms = step_losses(run.nets, run.data, batch, settings, run.config, run.generator)
        if not terms:
            raise ValueError("every loss weight is zero: nothing to train")
        loss = sum(settings.values[WEIGHT_OF[k]] * t for k, t in terms.items())
    with record_function("pumap.backward"):
        run.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        distributed.average_gradients(run.nets.parameters())
    with record_function("pumap.optimizer"):
        run.optimizer.step()
    run.step += 1
    run.tally.add(run.step, terms, loss)


def record(run: Run) -> None:
    """At an epoch's end (or the run's), its mean losses join the history."""
    if run.step % run.steps_per_epoch == 0 or run.step == run.total_steps:
        run.history.append({"epoch": run.step / run.steps_per_epoch, "step": run.step,
                            **run.tally.epoch_means()})


def check_convergence(run: Run, monitor: ConvergenceMonitor | None) -> None:
    """Every ``check_every`` steps rank 0 asks ``monitor`` whether the map has converged;
    if so, every rank ends its learning rate's decay at the same step."""
    if monitor is None or run.converged or run.step % run.check_every:
        return
    checks_left = (run.total_steps - run.step) / run.check_every
    on_cpu = run.data.inputs.device.type == "cpu"  # elsewhere the map is searched in place
    embedding = (embed if on_cpu else embed_on_device)(run.nets.encoder, run.data.inputs)
    run.converged = distributed.agree(distributed.rank() == 0 and monitor.update(
        embedding, checks_left))
    if run.converged:
        run.total_steps = run.decay.converge(run.step)


class Reporter:
    """Snapshots to ``callback`` (the first step, then every ``snapshot_interval``
    seconds, then the last) and ``progress(step)`` after every step."""

    def __init__(self, run: Run, callback: Callable[[Snapshot], None] | None,
                 progress: Callable[[int], None] | None) -> None:
        self.run, self.callback, self.progress = run, callback, progress
        self.last = time.perf_counter()

    def after_step(self) -> None:
        if self.progress is not None:
            self.progress(self.run.step)
        if self.callback is None:
            return
        now = time.perf_counter()
        if self.run.step == 1 or now - self.last >= self.run.config.snapshot_interval:
            self.snapshot()
            done_at = time.perf_counter()
            # embedding every row can cost more than the interval (8,000 faces through a
            # conv net): train at least three times as long as a snapshot took, or it starves
            interval = self.run.config.snapshot_interval
            self.last = done_at + max(0.0, 3 * (done_at - now) - interval)

    def snapshot(self, done: bool = False) -> None:
        if self.callback is None:
            return
        run = self.run
        run.tally.read_back()
        rows = run.config.snapshot_rows
        emb = embed(run.nets.encoder, run.data.inputs, rows) if rows is not None else None
        elapsed = time.perf_counter() - run.started
        self.callback(Snapshot(
            step=run.step, epoch=run.step / run.steps_per_epoch, n_epochs=run.config.n_epochs,
            elapsed=elapsed, losses=dict(run.tally.last), settings=dict(run.settings.values),
            embedding=emb, embedding_index=rows,
            edges_per_second=run.step * run.config.batch_size / max(elapsed, 1e-9), done=done,
            extra={"a": run.settings.a, "b": run.settings.b, "total_steps": run.total_steps}))


def train(
    nets: Networks,
    data: TrainingData,
    config: TrainingConfig,
    controls: TrainingControls | None = None,
    callback: Callable[[Snapshot], None] | None = None,
    device: torch.device | str = "cpu",
    progress: Callable[[int], None] | None = None,
    monitor: ConvergenceMonitor | None = None,
) -> list[dict[str, float]]:
    """Run the optimisation; returns the per-epoch mean of each loss term.

    With ``data.layout`` and ``config.warm_start_steps`` the encoder is first
    regressed onto that layout (:func:`warm_start`). ``config.n_epochs`` is the
    most it trains; with a ``monitor`` it stops as soon as the monitored map has
    converged. It also stops early (without error) when ``controls.stop()`` is called.
    """
    controls = controls or TrainingControls()
    run = start(nets, data, config, controls, device)
    reporter = Reporter(run, callback, progress)
    nets.train(True)
    try:
        while run.step < run.total_steps:
            controls.checkpoint()
            take_step(run)
            record(run)
            reporter.after_step()
            check_convergence(run, monitor)
    except TrainingStopped:
        pass
    finally:
        nets.train(False)
    if run.tally.count:  # a run cut short: the partial epoch's means
        run.history.append({"epoch": run.step / run.steps_per_epoch, "step": run.step,
                            **run.tally.epoch_means()})
    reporter.snapshot(done=True)
    return run.history
