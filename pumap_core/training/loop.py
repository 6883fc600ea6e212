"""The training loop: sampled edges → losses → optimiser step, with live controls.

Between steps the loop reads :class:`~pumap_core.training.live.TrainingControls`
(pause / stop / new weights, learning rate, min_dist → new a, b) and, every
``snapshot_interval`` seconds, hands a :class:`~pumap_core.training.live.Snapshot`
to a callback. It knows nothing about estimators or user interfaces.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch
from torch import nn
from torch.profiler import record_function

from ..graph.edges import EdgeSet
from ..graph.sampling import EdgeSampler
from ..nets.classifier import classifier_input
from ..nets.two_code import map_and_code
from . import distributed, losses
from .convergence import CHECKS_PER_RUN, ConvergenceMonitor
from .curve import find_ab_params
from .live import LIVE, WEIGHT_OF, Snapshot, TrainingControls, TrainingStopped
from .optimizer import adam
from .schedule import LinearDecay


@dataclass
class TrainingConfig:
    n_epochs: int = 50
    batch_size: int = 512
    negative_sample_rate: int = 5
    negatives: str = "batch_all"
    learning_rate: float = 3e-3
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

    def live_settings(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in LIVE}


@dataclass
class Networks:
    """What is trained. ``encoder`` consumes ``TrainingData.inputs`` (which may be
    pre-projected); ``decoder`` maps z back to ``TrainingData.targets``."""

    encoder: nn.Module
    decoder: nn.Module | None = None
    classifier: nn.Module | None = None

    def parameters(self):
        for net in (self.encoder, self.decoder, self.classifier):
            if net is not None:
                yield from (p for p in net.parameters() if p.requires_grad)

    def train(self, mode: bool = True) -> None:
        for net in (self.encoder, self.decoder, self.classifier):
            if net is not None:
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
        """Indices of labelled rows (None when there are none)."""
        if self.labels is None:
            return None
        index = torch.nonzero(self.labels >= 0).flatten()
        return index if index.numel() else None


def embed(encoder: nn.Module, inputs: torch.Tensor, rows=None, chunk: int = 16384) -> np.ndarray:
    """Encode ``inputs[rows]`` in eval mode, without gradients, chunk by chunk."""
    was_training = encoder.training
    encoder.eval()
    out = []
    with torch.no_grad():
        n = inputs.shape[0] if rows is None else len(rows)
        index = None if rows is None else torch.as_tensor(rows).to(inputs.device)
        for start in range(0, n, chunk):
            # a slice is a view; only a subset of rows needs a gathered copy
            part = inputs[start:start + chunk] if index is None else inputs[index[start:start + chunk]]
            out.append(encoder(part).float().cpu())
    encoder.train(was_training)
    return torch.cat(out).numpy() if out else np.zeros((0, 0), np.float32)


def with_noise(x: torch.Tensor, sd: float, generator: torch.Generator | None) -> torch.Tensor:
    """``x`` plus Gaussian noise of standard deviation ``sd`` (a regulariser: the map
    must be smooth around each training row, which is what unseen rows need)."""
    if sd <= 0:
        return x
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
    return x + sd * noise


def reconstruction_subset(n: int, limit: int | None, generator: torch.Generator | None,
                          device: torch.device) -> torch.Tensor | None:
    """Random rows of a batch to decode (None: all). Decoding costs far more than
    encoding; a uniform subset keeps the reconstruction gradient unbiased."""
    if limit is None or n <= limit:
        return None
    return torch.randperm(n, generator=generator)[:limit].to(device)


def warm_start(encoder: nn.Module, inputs: torch.Tensor, layout: torch.Tensor, steps: int,
               batch_size: int, learning_rate: float, noise: float = 0.0,
               generator: torch.Generator | None = None,
               controls: TrainingControls | None = None) -> float:
    """Regress the encoder onto a starting layout (mean squared error), ``steps`` steps.

    One row per sample instead of one edge: cheap. UMAP's loss then refines a map
    whose global arrangement is already in place. Returns the last loss.
    """
    optimizer = adam(encoder.parameters(), learning_rate)
    n, loss = inputs.shape[0], torch.zeros(())
    order = torch.randperm(n, generator=generator)
    at = 0
    encoder.train(True)
    for _ in range(steps):
        if controls is not None:
            controls.checkpoint()
        if at + batch_size > n:
            order, at = torch.randperm(n, generator=generator), 0
        rows = order[at:at + batch_size].to(inputs.device)
        at += batch_size
        z = encoder(with_noise(inputs[rows], noise, generator))
        loss = torch.nn.functional.mse_loss(z, layout[rows])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        distributed.average_gradients(encoder.parameters())
        optimizer.step()
    return float(loss.detach())


class _Settings:
    """The live settings as the loop sees them, refreshed from the controls."""

    def __init__(self, config: TrainingConfig, controls: TrainingControls):
        self.controls, self.version = controls, -1
        self.values = config.live_settings()
        controls.begin(self.values)
        self.a, self.b = find_ab_params(self.values["min_dist"], self.values["spread"])

    def refresh(self) -> bool:
        version, changes = self.controls.read()
        if version == self.version:
            return False
        self.version = version
        curve_changed = any(changes.get(k, self.values[k]) != self.values[k] for k in ("min_dist", "spread"))
        self.values.update(changes)
        if curve_changed:
            self.a, self.b = find_ab_params(self.values["min_dist"], self.values["spread"])
        return True


def _umap_term(z: torch.Tensor, batch, s: _Settings) -> torch.Tensor:
    heads, tails = z[batch.head_pos], z[batch.tail_pos]
    repulsion = s.values["repulsion_strength"] * batch.negative_weight
    if batch.all_pairs:  # B × B matrix: rows heads, columns tails; its diagonal, the edges
        return losses.umap_all_pairs_loss(losses.pairwise_squared_distances(heads, tails),
                                          s.a, s.b, repulsion, batch.neg_tail_weight)
    d2_pos = losses.squared_distances(heads, tails)
    d2_neg = losses.squared_distances(z[batch.neg_head_pos], z[batch.neg_tail_pos])
    return losses.umap_batch_loss(d2_pos, d2_neg, s.a, s.b, repulsion)


def _step_losses(nets: Networks, data: TrainingData, batch, s: _Settings, config: TrainingConfig,
                 generator: torch.Generator | None) -> dict[str, torch.Tensor]:
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
        terms["umap"] = _umap_term(z, batch, s)
    if v.get("code_umap_weight", 0.0) > 0 and code is not z:
        terms["code_umap"] = _umap_term(code, batch, s)
    if v["global_correlation_weight"] > 0 and z.shape[0] > 2:
        perm = torch.randperm(z.shape[0], generator=generator).to(z.device)
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
        pick = data.labelled[torch.randint(n_lab, (min(config.batch_size, n_lab),), generator=generator)]
        logits = nets.classifier(classifier_input(nets.encoder, data.inputs[pick], config.classifier_input))
        terms["classifier"] = losses.classifier_loss(logits, data.labels[pick])
    return terms


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
    # under torch.distributed each rank samples its own edges: seeds differ by rank
    seed = None if config.seed is None else config.seed + distributed.rank()
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    distributed.broadcast_parameters([nets.encoder, nets.decoder, nets.classifier])
    if data.layout is not None and config.warm_start_steps > 0:
        try:
            warm_start(nets.encoder, data.inputs, data.layout, config.warm_start_steps,
                       config.batch_size, config.learning_rate, config.input_noise, generator,
                       controls)
        except TrainingStopped:
            pass  # the loop's first checkpoint sees the stop too and ends cleanly
    sampler = EdgeSampler(data.edges, config.batch_size, config.negative_sample_rate,
                          config.negatives, generator, device)
    settings = _Settings(config, controls)
    optimizer = adam(nets.parameters(), config.learning_rate)
    # the ranks share each epoch's edges: every step consumes world_size batches
    steps_per_epoch = -(-sampler.steps_per_epoch // distributed.world_size())
    total_steps = steps_per_epoch * config.n_epochs
    check_every = max(1, total_steps // CHECKS_PER_RUN)
    decay = LinearDecay(total_steps, config.lr_decay)
    converged = False
    history: list[dict[str, float]] = []
    sums: dict[str, float] = {}
    count = 0
    started = last_snapshot = time.perf_counter()
    step = 0
    nets.train(True)

    def snapshot(done: bool = False) -> None:
        rows = config.snapshot_rows
        emb = embed(nets.encoder, data.inputs, rows) if rows is not None else None
        elapsed = time.perf_counter() - started
        callback(Snapshot(
            step=step, epoch=step / steps_per_epoch, n_epochs=config.n_epochs,
            elapsed=elapsed, losses=dict(last_losses), settings=dict(settings.values),
            embedding=emb, embedding_index=rows,
            edges_per_second=step * config.batch_size / max(elapsed, 1e-9), done=done,
            extra={"a": settings.a, "b": settings.b, "total_steps": total_steps}))

    last_losses: dict[str, float] = {}
    try:
        while step < total_steps:
            controls.checkpoint()
            if settings.refresh() or config.lr_decay:
                for group in optimizer.param_groups:
                    group["lr"] = settings.values["learning_rate"] * decay.factor(step)
            with record_function("pumap.sample"):
                batch = sampler.sample()
            with record_function("pumap.losses"):
                terms = _step_losses(nets, data, batch, settings, config, generator)
                if not terms:
                    raise ValueError("every loss weight is zero: nothing to train")
                loss = sum(settings.values[WEIGHT_OF[k]] * t for k, t in terms.items())
            with record_function("pumap.backward"):
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                distributed.average_gradients(nets.parameters())
            with record_function("pumap.optimizer"):
                optimizer.step()
            step += 1
            last_losses = {k: float(t.detach()) for k, t in terms.items()}
            last_losses["total"] = float(loss.detach())
            if not np.isfinite(last_losses["total"]):
                raise FloatingPointError(f"the loss became {last_losses['total']} at step {step}")
            for k, val in last_losses.items():
                sums[k] = sums.get(k, 0.0) + val
            count += 1
            if step % steps_per_epoch == 0 or step == total_steps:
                history.append({"epoch": step / steps_per_epoch, "step": step,
                                **{k: val / count for k, val in sums.items()}})
                sums, count = {}, 0
            if progress is not None:
                progress(step)
            now = time.perf_counter()
            if callback is not None and (step == 1 or now - last_snapshot >= config.snapshot_interval):
                snapshot()
                done_at = time.perf_counter()
                # embedding every row can cost more than the interval (8,000 faces through
                # a conv net): train at least three times as long as a snapshot took, or it starves
                last_snapshot = done_at + max(0.0, 3 * (done_at - now) - config.snapshot_interval)
            if monitor is not None and not converged and step % check_every == 0:
                # rank 0 judges convergence; every rank ends its decay at the same step
                converged = distributed.agree(distributed.rank() == 0 and monitor.update(
                    embed(nets.encoder, data.inputs), (total_steps - step) / check_every))
                if converged:
                    total_steps = decay.converge(step)
    except TrainingStopped:
        pass
    finally:
        nets.train(False)
    if count:
        history.append({"epoch": step / steps_per_epoch, "step": step,
                        **{k: val / count for k, val in sums.items()}})
    if callback is not None:
        snapshot(done=True)
    return history
