"""What the session state does with the pointer: brush, hover, click and steer.

A mixin of :class:`app.state.SessionState`. A click decodes with the model the
page holds (a published copy while training runs, never the live one) and
keeps it, so the steered face always comes from the model the click used:
the face and its sliders agree, whatever the training thread does meanwhile.
"""

from __future__ import annotations

import numpy as np

from . import decode


class Inspecting:
    """Selection, hover, click and attribute steering for :class:`app.state.SessionState`."""

    def select_polygon(self, xs, ys) -> np.ndarray:
        frame = self.frame
        self.selection = frame.in_polygon(xs, ys) if frame is not None else np.zeros(0, np.int64)
        return self.selection

    def select_box(self, x0, y0, x1, y1) -> np.ndarray:
        frame = self.frame
        self.selection = (frame.in_box(x0, y0, x1, y1) if frame is not None
                          else np.zeros(0, np.int64))
        return self.selection

    def clear_selection(self) -> None:
        self.selection = np.zeros(0, np.int64)

    def hover_at(self, x: float | None, y: float | None) -> int:
        frame = self.frame
        i = -1
        if frame is not None and x is not None and y is not None:
            i = frame.nearest(x, y, max_distance=0.03)
        if i != self.hover:
            self.hover = i
        return i

    def click_at(self, x: float | None, y: float | None) -> decode.Click | None:
        """Decode the code under (x, y): a point's own code, or one for that place."""
        if self.frame is None or self.shown is None or x is None or y is None:
            return None
        self.click = decode.click_at(self.frame, self.model, self.shown.X, x, y)
        return self.click

    def steering(self) -> decode.Steering | None:
        """Attribute directions on the clicked model's codes (refitted when stale)."""
        model = self.click.model if self.click is not None else self.model
        key = (self.worker.run, getattr(model, "published_step", None))
        if not decode.is_current(self._steering, key, self.frame, self.worker.running):
            self._steering = (decode.fit_steering(model, self.dataset, self.frame, key=key)
                              if self.dataset is not None else None)
        return self._steering

    def decode_shifted(self, sds: dict[str, float]) -> tuple[np.ndarray | None, str]:
        """Decode the clicked code pushed ``sds[f]`` standard deviations along attribute f,
        with the model the click decoded with."""
        if self.click is None:
            return None, "Click the plot first."
        if not any(sds.values()):
            return self.click.decoded, self.click.message
        return decode.decode(self.click.model,
                             decode.shifted(self.click.z, self.steering(), sds))
