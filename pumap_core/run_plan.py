"""A default run sized by measured cost: the networks an image set gets, the epochs that
fit in a few minutes, and how long the run will take.

Full-resolution conv nets on a few hundred 64×64 images cost seconds a step on
a CPU: a default run of them takes most of an hour. So for image sets that
would get convolutions (colour, or 32 px and more), :func:`plan_run` times
one training step of each candidate pair of networks on this machine, for
this image size, and takes the first whose steps fit: a PCA-started conv
autoencoder (``"pca_conv"``, what colour faces use), else the same with MLP
residuals (``"pca_mlp"``, a small fraction of the cost at 64×64). Both start
as whitened PCA with a small code, so decodes are recognisable from the
first step. The epochs (joint training, then the map alone) are sized to
``seconds``, and the plan says how long it expects the run to take. Other
data keep the engine's defaults; their plan is an upper bound (training stops
once the map has converged).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: a default run aims at about this many seconds of training (joint plus map stage): in
#: the app, on two busy cores, runs took 1.0-1.8x their plan (benchmarks/results/image_sets.md)
DEFAULT_SECONDS = 210.0
#: share of the budget for the map stage of a two-code model (``refine_map``)
MAP_SHARE = 0.3
#: the conv autoencoder is chosen only when at least this many joint steps fit: fewer
#: leave its decodes at PCA's and its map unformed
MIN_CONV_STEPS = 1000
#: candidate networks for image sets, best first
IMAGE_NETWORKS = ("pca_conv", "pca_mlp")
#: joint epochs are capped at this many passes over 7,000 rows' worth of steps (faces:
#: more steps on small sets only memorise them)
MAX_EPOCHS_AT_FACE_ROWS = 3
#: map-stage epochs, at most
MAX_MAP_EPOCHS = 40
#: learning rate of the MLP-residual image model
PCA_MLP_LEARNING_RATE = 3e-4
#: regression steps of the warm start (``pumap_core.model.fitting.WARM_START_STEPS``)
WARM_STEPS = 300
#: steps of the real training loop the plan times, after the first PROBE_SKIP
PROBE_STEPS, PROBE_SKIP = 25, 5


def wants_image_model(dataset) -> bool:
    """Image sets the engine's ``"auto"`` networks would give full-resolution convolutions:
    colour images, or grey ones 32 px a side and more."""
    shape = getattr(dataset, "image_shape", None)
    if shape is None or len(shape) < 2:
        return False
    return (len(shape) == 3 and shape[2] > 1) or min(shape[:2]) >= 32


@dataclass
class RunPlan:
    """What a default run will do and how long it should take (seconds of this machine)."""

    params: dict[str, Any]
    network: str
    step_seconds: float
    steps: int
    warm_seconds: float = 0.0
    map_step_seconds: float = 0.0
    map_steps: int = 0
    capped: bool = False  # the engine stops once converged: ``seconds`` is at most
    measured: dict[str, float] = field(default_factory=dict)
    setup_seconds: float = 0.0  # networks, PCA start: before the first step

    @property
    def seconds(self) -> float:
        return (self.setup_seconds + self.warm_seconds + self.steps * self.step_seconds
                + self.map_steps * self.map_step_seconds)

    @property
    def total_steps(self) -> int:
        """Steps of the whole run: the joint training, then the map alone."""
        return self.steps + self.map_steps

    def describe(self) -> str:
        """"about 2:40 (1,900 steps at 0.05 s, then 3,100 of the map alone)"."""
        from_clock = _clock(self.seconds)
        what = f"{self.steps:,} steps at {self.step_seconds:.2g} s"
        if self.map_steps:
            what += f", then {self.map_steps:,} of the map alone"
        return f"{'at most' if self.capped else 'about'} {from_clock} ({what})"


def _clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"


def image_settings(network: str) -> dict[str, Any]:
    """The two-code settings every image set gets (the face model's), with ``network``
    (the face model's convolutions for ``"pca_conv"``)."""
    from .model.specs import NETWORK_NAMES
    from .presets import FACE_NETS, FACE_SETTINGS

    nets = FACE_NETS if network == "pca_conv" else NETWORK_NAMES[network]
    settings = {**FACE_SETTINGS, "encoder": nets, "decoder": nets}
    if network != "pca_conv":
        # MLP residuals on a few hundred images drift from PCA's held-out decodes at 1e-3
        # (400 grey faces: MSE 1.22x PCA-16's after 50 s, 1.08x at 3e-4):
        # benchmarks/results/image_sets.md
        settings.update(learning_rate=PCA_MLP_LEARNING_RATE)
    return settings


def map_batch(params: dict[str, Any]) -> int:
    """Edges per step of the map stage of a run with ``params`` (``refine_map``'s)."""
    from .model.specs import TwoCode

    return int((params.get("two_code") or TwoCode()).map_batch_size)


def _timed(step, repeats: int) -> float:
    step()  # the first call allocates and picks kernels
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def measure_steps(params: dict[str, Any], n_features: int, image_shape, n_rows: int,
                  repeats: int = 3) -> dict[str, float]:
    """Seconds of one joint step, one warm-start step and one map-stage step of a run with
    ``params``, timed on random rows of this shape (forward, backward and Adam)."""
    import torch

    from .model.fitting import AUTO_PROJECTION, AUTO_RECONSTRUCTION_ROWS
    from .model.specs import network_choice
    from .nets.factory import default_decoder, default_encoder
    from .nets.mlp import MLP_HIDDEN, MLPEncoder
    from .nets.two_code import CodeMapEncoder, map_and_code

    two_code = params.get("two_code")
    two = two_code is not None
    code = two_code.code_components if two else params.get("n_components", 2)
    kind, widths = network_choice(params.get("encoder", "auto"))
    encoder = default_encoder(n_features, code, image_shape, kind, **widths)
    width = n_features
    if type(encoder) is MLPEncoder and n_features > 2 * AUTO_PROJECTION:
        width = AUTO_PROJECTION  # the engine projects wide rows once, before training
        encoder = MLPEncoder(width, code, widths.get("mlp_hidden", MLP_HIDDEN))
    kind, widths = network_choice(params.get("decoder", "auto"))
    decoder = default_decoder(width, code, image_shape if width == n_features else None, True,
                              kind, **widths)
    if two:
        encoder = CodeMapEncoder(encoder, params.get("n_components", 2), code_components=code)
    from .model.batching import batch_size

    batch = batch_size(params.get("batch_size", "auto"), torch.device("cpu"))
    per_edge = {"in_batch": 2, "batch_all": 2}.get(params.get("negatives", "batch_all"),
                                                    2 + int(params.get("negative_sample_rate", 5)))
    rows = min(per_edge * batch, n_rows)
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(rows, width, generator=gen)
    nets = [encoder, decoder]
    optimizer = torch.optim.Adam([p for n in nets for p in n.parameters()], lr=1e-4)

    def joint():
        z, c = map_and_code(encoder, x)
        out = decoder(c[:AUTO_RECONSTRUCTION_ROWS])
        loss = z.square().mean() + c.square().mean() + (out - x[:len(out)]).square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def warm():
        z = encoder(x[:batch])
        optimizer.zero_grad()
        z.square().mean().backward()
        optimizer.step()

    def embed_rows():  # what a snapshot costs, per row: the encoder alone, no gradients
        with torch.no_grad():
            encoder(x)

    out = {"step": _timed(joint, repeats), "warm": _timed(warm, repeats),
           "embed_row": _timed(embed_rows, repeats) / rows}
    if two:
        head = encoder.map_head
        codes = torch.rand(min(2 * map_batch(params), n_rows), code, generator=gen)
        head_opt = torch.optim.Adam(head.parameters(), lr=1e-4)

        def map_step():
            loss = head(codes).square().mean()
            head_opt.zero_grad()
            loss.backward()
            head_opt.step()

        out["map"] = _timed(map_step, repeats)
    return out


def _steps_per_epoch(edge_mass: float, batch: int | str, negatives: str = "batch_all") -> int:
    """Steps of an epoch as the loop counts them (CPU batches for ``"auto"``)."""
    import torch

    from .graph.sampling import batch_layout, steps_per_epoch
    from .model.batching import batch_size

    edges, _ = batch_layout(batch_size(batch, torch.device("cpu")), negatives)
    return steps_per_epoch(edge_mass, edges)


def snapshot_share(n_rows: int, embed_row: float, interval: float | None) -> float:
    """How much longer training takes with snapshots of all ``n_rows`` every ``interval``
    seconds: the loop trains at least three times as long as a snapshot took."""
    if not interval:
        return 1.0
    snapshot = n_rows * embed_row
    training = max(interval, 3.0 * snapshot)
    return (training + snapshot) / training


def _rate(times: list[tuple[int, float]]) -> float:
    """Seconds a step over ``(step, time)`` ticks, the first :data:`PROBE_SKIP` left out."""
    (s0, t0), (s1, t1) = times[min(PROBE_SKIP, len(times) - 2)], times[-2]
    return (t1 - t0) / max(s1 - s0, 1)


def probe_steps(params: dict[str, Any], dataset, graph, steps: int = PROBE_STEPS
                ) -> tuple[float, float, float]:
    """``(setup, step, map step)`` seconds of a real fit with ``params`` on ``dataset``
    and its ``graph``: until the first step (networks, PCA start; no warm start), a step
    of the training loop as it runs (sampling, losses and bookkeeping included) and, for
    two-code models, a step of the map stage (``refine_map``; else 0), each timed over
    ``steps`` steps after the first :data:`PROBE_SKIP`."""
    from .model.estimator import ParametricUMAP
    from .training.live import TrainingControls

    X = dataset.X
    if dataset.image_shape and X.shape[1] == int(np.prod(dataset.image_shape)):
        X = X.reshape(len(X), *dataset.image_shape)
    per_epoch = _steps_per_epoch(float(graph.edges.weight.sum()), params.get("batch_size", "auto"),
                                 params.get("negatives", "batch_all"))
    controls, times = TrainingControls(), []
    started = time.perf_counter()

    def tick(snap) -> None:
        times.append((snap.step, time.perf_counter()))
        if snap.step >= PROBE_SKIP + steps:
            controls.stop()

    probe = {**params, "init": None, "verbose": False, "random_state": 0,
             "n_epochs": int(np.ceil((PROBE_SKIP + steps + 1) / per_epoch)) + 1}
    if params.get("two_code") is not None:  # the map stage is timed on its own below
        probe["two_code"] = params["two_code"].replace(map_epochs=0)
    model = ParametricUMAP(**probe).fit(X, graph=graph, controls=controls, callback=tick,
                                        snapshot_interval=0.0)
    setup, step = times[0][1] - started, _rate(times)
    if not model.has_two_codes:
        return setup, step, 0.0
    controls, joint = TrainingControls(), times
    times = []
    map_epochs = int(np.ceil((PROBE_SKIP + steps + 1) / _steps_per_epoch(
        float(graph.edges.weight.sum()), map_batch(params)))) + 1
    model.refine_map(map_epochs, controls=controls, callback=tick)
    return setup, step, _rate(times) if len(times) > 2 else _rate(joint)


def plan_run(dataset, graph, seconds: float = DEFAULT_SECONDS,
             base: dict[str, Any] | None = None, snapshot_interval: float | None = None,
             probe: bool = True) -> RunPlan:
    """The default run for ``dataset`` (a :class:`pumap_core.data.Dataset`) with its
    neighbour ``graph`` (a :class:`~pumap_core.graph.NeighborGraph`): settings and
    expected length.

    The candidate networks are told apart by :func:`measure_steps` (their own cost);
    with ``probe`` the chosen ones are timed in a short real fit (:func:`probe_steps`),
    which the expected length uses. ``base``: settings that hold whatever is chosen (the caller's);
    ``snapshot_interval``: seconds between snapshots of every row's embedding (a live
    view), whose cost the plan counts. Image sets that
    would get full-resolution convolutions get the image settings (a 16-D code and a
    2-D map) with the first of :data:`IMAGE_NETWORKS` whose measured steps fit
    ``seconds``, and epochs sized to it.
    """
    n, d, shape = dataset.n_samples, dataset.n_features, dataset.image_shape
    edge_mass = float(graph.edges.weight.sum())
    base = dict(base or {})
    if not wants_image_model(dataset):
        plan = _default_plan(dataset, edge_mass, base, snapshot_interval)
        return _probed(plan, dataset, graph, snapshot_interval) if probe else plan
    joint_budget = seconds * (1.0 - MAP_SHARE)
    measured: dict[str, float] = {}
    for network in IMAGE_NETWORKS:
        params = {**image_settings(network), **base}
        cost = measure_steps(params, d, shape, n)
        measured.update({f"{network} {k}": v for k, v in cost.items()})
        step = cost["step"] * snapshot_share(n, cost["embed_row"], snapshot_interval)
        warm = WARM_STEPS * cost["warm"] if params.get("init", "spectral") else 0.0
        if (joint_budget - warm) / step >= MIN_CONV_STEPS or network == IMAGE_NETWORKS[-1]:
            break
    plan = RunPlan(params=params, network=network, step_seconds=step, steps=0,
                   warm_seconds=warm, map_step_seconds=cost["map"], measured=measured)
    if probe:
        plan = _probed(plan, dataset, graph, snapshot_interval)
    # the epochs that fit: joint training in (1 - MAP_SHARE) of the budget, then the map
    per_epoch = _steps_per_epoch(edge_mass, params["batch_size"], params["negatives"])
    cap = max(1, round(MAX_EPOCHS_AT_FACE_ROWS * 7000 / max(n, 1)))
    fit = (joint_budget - plan.warm_seconds - plan.setup_seconds) / plan.step_seconds
    epochs = int(np.clip(fit // per_epoch, 1, cap))
    map_per_epoch = _steps_per_epoch(edge_mass, map_batch(params))
    map_epochs = int(np.clip(seconds * MAP_SHARE / (plan.map_step_seconds * map_per_epoch), 1,
                             MAX_MAP_EPOCHS))
    params.update(n_epochs=epochs, two_code=params["two_code"].replace(map_epochs=map_epochs))
    plan.steps, plan.map_steps = epochs * per_epoch, map_epochs * map_per_epoch
    return plan


def _probed(plan: RunPlan, dataset, graph, snapshot_interval: float | None) -> RunPlan:
    """``plan`` with its step cost from a short real fit (the loop's own work counted)."""
    setup, step, map_step = probe_steps(plan.params, dataset, graph)
    embed_row = plan.measured.get(f"{plan.network} embed_row", 0.0)
    plan.measured.update({"probe setup": setup, "probe step": step, "probe map step": map_step})
    plan.setup_seconds = setup
    if map_step:
        plan.map_step_seconds = map_step
    plan.step_seconds = step * snapshot_share(dataset.n_samples, embed_row, snapshot_interval)
    return plan


def _default_plan(dataset, edge_mass: float, base: dict[str, Any],
                  snapshot_interval: float | None) -> RunPlan:
    """The engine's defaults: the step measured, the length bounded by the epoch cap."""
    import torch

    from .model.batching import epoch_cap

    params = dict(base)
    cost = measure_steps({"reconstruction": True, **params}, dataset.n_features,
                         dataset.image_shape, dataset.n_samples)
    cost["step"] *= snapshot_share(dataset.n_samples, cost["embed_row"], snapshot_interval)
    epochs = params.get("n_epochs") or epoch_cap(edge_mass, torch.device("cpu"))
    steps = epochs * _steps_per_epoch(edge_mass, params.get("batch_size", "auto"),
                                      params.get("negatives", "batch_all"))
    warm = WARM_STEPS * cost["warm"] if params.get("init", "spectral") else 0.0
    return RunPlan(params=params, network="mlp", step_seconds=cost["step"], steps=steps,
                   warm_seconds=warm, capped=params.get("n_epochs") is None,
                   measured={f"mlp {k}": v for k, v in cost.items()})
