"""What the page keeps of each training snapshot: loss points and the status-line progress."""

from __future__ import annotations

from dataclasses import dataclass, field

from pumap_core import Snapshot


def clock(seconds: float) -> str:
    """0:07, 12:34 or 1:02:03."""
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


@dataclass
class LossPoint:
    step: int
    epoch: float
    elapsed: float
    losses: dict[str, float]
    settings: dict[str, float] = field(default_factory=dict)  # the live settings in force


@dataclass
class Progress:
    """What the status line needs, copied out of the newest snapshot."""

    step: int = 0
    epoch: float = 0.0
    n_epochs: int = 0
    total_steps: int = 0
    elapsed: float = 0.0
    edges_per_second: float = 0.0
    settings: dict[str, float] = field(default_factory=dict)
    done: bool = False

    @classmethod
    def of(cls, s: Snapshot) -> Progress:
        return cls(s.step, s.epoch, s.n_epochs, int(s.extra.get("total_steps", 0)), s.elapsed,
                   s.edges_per_second, dict(s.settings), s.done)
