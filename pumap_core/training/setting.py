"""A setting a running training loop accepts, declared once: bounds, slider range, words."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LiveSetting:
    """One setting a running loop accepts: the single declaration everything derives from.

    ``bounds`` are what the engine accepts (a value outside is refused with a
    message and the run goes on); ``soft_bounds`` the range a slider offers;
    ``term`` the loss term it weights, if any.
    """

    name: str
    bounds: tuple[float, float]
    soft_bounds: tuple[float, float] | None = None
    term: str | None = None
    label: str = ""
    short: str = ""
    doc: str = ""

    def check(self, value: float) -> float:
        """``value`` as a float, or a ValueError that names the setting and its bounds."""
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{self.name} must be a number, got {value!r}") from None
        low, high = self.bounds
        if not np.isfinite(v) or not low <= v <= high:
            raise ValueError(f"{self.name} must be a finite number between {low:g} and {high:g}, "
                             f"got {value!r}")
        return v
