"""The learning rate's schedule: a linear decay to a tenth, shortened when the map converges.

A map judged converged under a high learning rate still gains from the decay's
end, where the small steps settle fine structure: convergence therefore does
not stop the run cold; the rest of the decay is compressed into a short tail.
"""

from __future__ import annotations

#: the learning rate ends at this share of its setting
FINAL = 0.1
#: on convergence, the decay's remainder takes this share of the steps run so far
TAIL = 0.2


class LinearDecay:
    """Factor of the learning rate at each step: from 1 at step 0 down to :data:`FINAL`
    at ``total_steps`` (constant 1 when ``enabled`` is False)."""

    def __init__(self, total_steps: int, enabled: bool = True) -> None:
        self.enabled = enabled
        self.start_step, self.start_factor, self.end_step = 0, 1.0, max(1, int(total_steps))

    def factor(self, step: int) -> float:
        if not self.enabled:
            return 1.0
        span = max(1, self.end_step - self.start_step)
        done = min(1.0, max(0.0, (step - self.start_step) / span))
        return self.start_factor - (self.start_factor - FINAL) * done

    def converge(self, step: int) -> int:
        """The map has converged at ``step``: end the decay within :data:`TAIL` of the steps
        run so far (never later than planned). Returns the new last step; without decay,
        ``step`` itself."""
        if not self.enabled:
            return step
        self.start_factor = self.factor(step)
        self.start_step = step
        self.end_step = min(self.end_step, step + max(1, round(TAIL * step)))
        return self.end_step
