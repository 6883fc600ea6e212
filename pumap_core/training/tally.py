"""Loss sums kept on the training device, read back to the host only now and then.

Reading a loss every step (``float(loss)``) makes the host wait for the device
to finish that step before it may queue the next: on a GPU that wait, not the
arithmetic, bounds a small step. :class:`LossTally` adds each step's terms on
the device and brings them back in one copy every ``every`` steps, at an
epoch's end, or when a snapshot or a convergence check needs them; a loss that
became NaN or infinite is caught at that point.
"""

from __future__ import annotations

import math

import torch


class LossTally:
    """Device-side sums of each loss term (and their weighted total) since the last
    epoch, with the last step's values for snapshots."""

    def __init__(self, every: int = 100) -> None:
        self.every = max(1, int(every))
        self.names: tuple[str, ...] = ()
        self._sum: torch.Tensor | None = None  # device: Σ over pending steps, per name
        self._last: torch.Tensor | None = None  # device: the last step's values
        self._pending = 0  # steps added on the device, not yet read back
        self._first_pending = 0  # the step number of the first of them
        self.sums: dict[str, float] = {}  # host: Σ over read-back steps of this epoch
        self.count = 0  # steps in ``sums`` and the pending ones
        self.last: dict[str, float] = {}  # host: the last step read back

    def add(self, step: int, terms: dict[str, torch.Tensor], total: torch.Tensor) -> None:
        """Queue step ``step``'s terms (device tensors) into the sums; reads back every
        ``every`` steps. The names may change between steps (a weight set to 0)."""
        names = (*terms, "total")
        if names != self.names:
            self.read_back()
            self.names, self._sum = names, None
        values = torch.stack([t.detach().float() for t in terms.values()] + [total.detach().float()])
        self._sum = values.clone() if self._sum is None else self._sum.add_(values)
        if self._pending == 0:
            self._first_pending = step
        self._last, self._pending = values, self._pending + 1
        self.count += 1
        if self._pending >= self.every:
            self.read_back()

    def read_back(self) -> None:
        """Bring the pending sums to the host (one copy); raise FloatingPointError when
        the total stopped being finite."""
        if not self._pending:
            return
        sums, last = torch.stack([self._sum, self._last]).tolist()
        first, last_step = self._first_pending, self._first_pending + self._pending - 1
        self._sum, self._pending = None, 0
        total = sums[-1]
        if not math.isfinite(total):
            where = f"at step {first}" if first == last_step else f"between steps {first} and {last_step}"
            raise FloatingPointError(f"the loss became {total} {where}")
        for name, value in zip(self.names, sums, strict=True):
            self.sums[name] = self.sums.get(name, 0.0) + value
        self.last = dict(zip(self.names, last, strict=True))

    def epoch_means(self) -> dict[str, float]:
        """Each term's mean over the steps since the last call; starts a new epoch."""
        self.read_back()
        means = {name: value / max(self.count, 1) for name, value in self.sums.items()}
        self.sums, self.count = {}, 0
        return means
