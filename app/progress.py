"""What the page keeps of each training snapshot: loss points and the status-line progress."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

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


def progress_of(snap: Snapshot) -> Snapshot:
    """The snapshot without its embedding: the status line reads its step, epoch, speed and
    settings, and the state need not keep every row's codes alive a second time."""
    return replace(snap, embedding=None, embedding_index=None)
