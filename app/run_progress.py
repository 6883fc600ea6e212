"""One progress line for a whole run, and an honest estimate of the time left.

A two-code model trains its code and map together, then its map alone; the
engine reports each stage with its own steps (the map stage starts again at
step 1). :class:`RunProgress` turns them into steps of the whole run, so the
status line counts on and the loss chart draws no line back to step 0. Time
left is the steps left in each stage at that stage's rate, measured over the
last few seconds (a run's first step pays for allocations and would make the
first estimate wild), and the run plan's measured step cost until then.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace

from pumap_core import Snapshot

#: the rate is measured over at most this many seconds of snapshots
WINDOW_S = 10.0


class RunProgress:
    """Whole-run snapshots from the stages' own.

    ``map_steps``: steps of the map stage (0: none); ``step_seconds`` and
    ``map_step_seconds``: the stages' expected seconds a step (0: unknown), used
    until the run has measured its own.
    """

    def __init__(self, map_steps: int = 0, step_seconds: float = 0.0,
                 map_step_seconds: float = 0.0) -> None:
        self.map_steps = int(map_steps)
        self.rates = {"joint": float(step_seconds), "map": float(map_step_seconds)}
        self.stage = "joint"
        self.offset, self.elapsed_before = 0, 0.0
        self.last: Snapshot | None = None
        self._recent: deque[tuple[int, float]] = deque()

    @classmethod
    def for_model(cls, model, graph, plan=None) -> RunProgress:
        """The stages ``model`` (a ``ParametricUMAP``) will run on ``graph``."""
        from pumap_core.graph.sampling import steps_per_epoch
        from pumap_core.model.deprecations import two_code_of

        step_s = plan.step_seconds if plan is not None else 0.0
        spec = two_code_of(model)
        if spec is None or not spec.map_epochs:
            return cls(0, step_s)
        per_epoch = steps_per_epoch(float(graph.edges.weight.sum()), spec.map_batch_size)
        return cls(spec.map_epochs * per_epoch, step_s,
                   plan.map_step_seconds if plan is not None else 0.0)

    def __call__(self, snap: Snapshot) -> Snapshot:
        """``snap`` as a snapshot of the whole run."""
        total = int(snap.extra.get("total_steps", 0))
        if self.stage == "joint" and self.last is not None and self.last.done and self.map_steps:
            self.stage = "map"  # the joint stage has ended: this is the map stage's first
            self.offset, self.elapsed_before = self.last.step, self.last.elapsed
            self._recent.clear()
        self._measure(snap)
        map_left = self.map_steps if self.stage == "joint" else 0
        left = (total - snap.step) * self.rates[self.stage] + map_left * self.rates["map"]
        known = self.rates[self.stage] > 0 and (map_left == 0 or self.rates["map"] > 0)
        name = "map alone: " if self.stage == "map" else ""
        out = replace(snap, step=self.offset + snap.step,
                      elapsed=self.elapsed_before + snap.elapsed,
                      done=snap.done and (self.stage == "map" or not self.map_steps),
                      extra={**snap.extra,
                             "total_steps": self.offset + total + map_left,
                             "stage": self.stage,
                             "stage_epoch": f"{name}epoch {snap.epoch:.1f} of {snap.n_epochs}",
                             "seconds_left": max(left, 0.0) if known else None})
        self.last = snap
        return out

    def _measure(self, snap: Snapshot) -> None:
        """Seconds a step in the current stage over the last :data:`WINDOW_S` (step 1 left
        out: it pays for allocations and warm-up)."""
        if snap.step <= 1:
            return
        recent = self._recent
        recent.append((snap.step, snap.elapsed))
        while len(recent) > 2 and snap.elapsed - recent[0][1] > WINDOW_S:
            recent.popleft()
        (s0, t0), (s1, t1) = recent[0], recent[-1]
        if s1 > s0 and t1 > t0:
            self.rates[self.stage] = (t1 - t0) / (s1 - s0)
