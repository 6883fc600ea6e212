"""The app's face model on CelebA-layout faces, trained to a wall-clock budget.

Shared by ``experiments/faces_model.py`` (train and save it) and
``benchmarks/bench_faces.py`` (score it). The faces are loaded at
``pumap_core.presets.FACE_IMAGE_SIZE`` (32×32 RGB) and a
``ParametricUMAP(**preset_for(faces))`` — the model the app trains when
CelebA is chosen — is fitted for about a given number of minutes.

The time budget: the preset's epochs are replaced by "as many as fit", and
the learning rate decays linearly over the budget (not over the epochs)
until training stops at the deadline, through the estimator's live
``TrainingControls``; see :class:`TimeBudget`.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from pumap_core import ParametricUMAP, Snapshot, TrainingControls
from pumap_core.presets import FACE_IMAGE_SIZE, preset_for

#: Epochs asked for under a time budget: more than any budget uses (the deadline stops it).
BUDGET_EPOCHS = 10_000


class TimeBudget:
    """A fit callback that ends training after ``seconds`` of training time, with the
    learning rate decaying linearly over that time (as the loop otherwise does over
    its epochs: from ``lr`` to ``0.1 lr``).

    The loop multiplies the live learning rate by its own decay, ``1 − 0.9 ·
    step / total_steps``; with ``BUDGET_EPOCHS`` that stays near 1, and this
    callback divides it out. It acts at every snapshot (``snapshot_interval``).
    """

    def __init__(self, seconds: float, controls: TrainingControls, learning_rate: float,
                 report=print, report_every: float = 15.0) -> None:
        self.seconds, self.controls, self.lr = float(seconds), controls, float(learning_rate)
        self.report, self.report_every, self._last_report = report, report_every, -1e9
        self.elapsed, self.steps = 0.0, 0

    def __call__(self, snap: Snapshot) -> None:
        self.elapsed, self.steps = snap.elapsed, snap.step
        if snap.done:
            return
        if snap.elapsed >= self.seconds:
            self.controls.stop()
            return
        total = max(int(snap.extra.get("total_steps", 1)), 1)
        loop_decay = max(1.0 - 0.9 * snap.step / total, 1e-3)
        wanted = self.lr * (1.0 - 0.9 * snap.elapsed / self.seconds)
        self.controls.update(learning_rate=wanted / loop_decay)
        if self.report and snap.elapsed - self._last_report >= self.report_every:
            self._last_report = snap.elapsed
            losses = ", ".join(f"{k} {v:.4g}" for k, v in snap.losses.items() if k != "total")
            self.report(f"  {snap.elapsed:5.0f} s of {self.seconds:.0f}: step {snap.step:,}, "
                        f"epoch {snap.epoch:.2f}, {losses}", flush=True)


def load_faces(data: str | Path, limit: int | None = None, image_size: int = FACE_IMAGE_SIZE):
    """A CelebA-layout folder (or the folder holding ``celeba/``) as a Dataset."""
    from pumap_core.data import load

    path = Path(data)
    if not (path / "img_align_celeba").is_dir() and (path / "celeba").is_dir():
        path = path / "celeba"
    return load(str(path), image_size=image_size, limit=limit)


def face_model(dataset, seed: int = 0, **overrides) -> ParametricUMAP:
    """The app's face model for ``dataset`` (``preset_for``), with any overrides; a dotted
    name changes one field of a settings object (``"two_code.map_epochs": 20``)."""
    kwargs = {**preset_for(dataset), "random_state": seed}
    if kwargs.get("two_code") is None:
        raise ValueError(f"{dataset!r} is not colour images: the face model needs faces "
                         "(h × w × 3), e.g. CelebA")
    for name, value in overrides.items():
        spec, _, field = name.partition(".")
        value = tuple(value) if isinstance(value, list) else value
        kwargs[spec] = kwargs[spec].replace(**{field: value}) if field else value
    return ParametricUMAP(**kwargs)


#: Share of a time budget kept for the map stage (``ParametricUMAP.refine_map``).
MAP_SHARE = 0.3


def fit_in_budget(model: ParametricUMAP, images: np.ndarray, minutes: float | None,
                  report=print, callback=None, map_share: float = MAP_SHARE) -> dict[str, float]:
    """Fit ``model`` (a two-code model) on ``images`` in about ``minutes`` of training.

    ``(1 − map_share)`` of the budget trains the code and the map together,
    the rest the map alone (``refine_map``, for as many epochs as fit; only
    for models with ``two_code.map_epochs`` > 0),
    each stage with its learning rate decaying linearly over its time. With
    ``minutes=None`` the model's own epochs are used. ``callback`` (optional)
    also receives every snapshot. Returns timings in seconds.
    """
    timings: dict[str, float] = {}
    spec = model.two_code
    map_epochs = int(spec.map_epochs)
    controls = TrainingControls()
    budget = None
    if minutes is not None:
        model.set_params(n_epochs=BUDGET_EPOCHS, two_code=spec.replace(map_epochs=0))
        share = map_share if map_epochs else 0.0
        budget = TimeBudget(60.0 * minutes * (1 - share), controls, model.learning_rate,
                            report=report)

    def both(snap):
        if callback is not None:
            callback(snap)
        if budget is not None:
            budget(snap)

    t0 = time.perf_counter()
    model.fit(images, controls=controls, callback=both)
    timings["fit"] = time.perf_counter() - t0
    timings["train"] = budget.elapsed if budget is not None else timings["fit"]
    timings["steps"] = model.loss_history_[-1]["step"] if model.loss_history_ else 0
    timings["epochs"] = model.loss_history_[-1]["epoch"] if model.loss_history_ else 0.0
    if budget is not None:
        # record what was run, not the placeholder the budget replaced
        model.set_params(n_epochs=max(1, int(np.ceil(timings["epochs"]))), two_code=spec)
        model.n_epochs_ = model.n_epochs
        if map_epochs:
            t1 = time.perf_counter()
            map_controls = TrainingControls()
            map_budget = TimeBudget(60.0 * minutes * map_share, map_controls,
                                    spec.map_learning_rate, report=None)
            model.refine_map(BUDGET_EPOCHS, controls=map_controls, callback=map_budget)
            timings["map"] = time.perf_counter() - t1
            timings["train"] += map_budget.elapsed
    return timings


def train_face_model(images: np.ndarray, minutes: float | None = 5.0, seed: int = 0,
                     report=print, dataset=None, callback=None,
                     **overrides) -> tuple[ParametricUMAP, dict]:
    """Fit the face model on ``images`` (n × h × w × 3 uint8) for about ``minutes``
    (``None``: the preset's epochs). Returns the model and timings (seconds)."""
    from pumap_core.data import Dataset

    ds = dataset if dataset is not None else Dataset(images=images, name="faces")
    model = face_model(ds, seed=seed, **overrides)
    return model, fit_in_budget(model, images, minutes, report, callback)
