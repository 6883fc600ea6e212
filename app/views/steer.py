"""The steered face beside the attribute sliders that move it.

The sliders shown first are the attributes people look for (Smiling, Male,
Eyeglasses, Young) where the data have them, else those whose directions
change the decode most; the searchable pick list offers the rest, ranked.
The face follows each slider as it moves. Slider events can be handled by
two server threads at once, and while training runs a decode takes longer:
so a face is drawn under a lock from the sliders' values *at drawing time*,
and the last drawing always shows the values on screen, whatever order the
events came in.
"""

from __future__ import annotations

import threading

import panel as pn
import param

from ..state import SessionState
from ..style import html_pane
from .item_html import BIG, decoded_html

N_SLIDERS = 6  # sliders shown at first (when the data have none of PREFERRED)
SHIFT = 2.0  # slider range, in standard deviations of the codes along each direction
#: attributes shown first, in this order, when the data have them
PREFERRED = ("Smiling", "Male", "Eyeglasses", "Young")


def steer_caption(alphas: dict[str, float]) -> str:
    moved = {k: v for k, v in alphas.items() if v}
    return " ".join(f"{k} {v:+.2f} sd" for k, v in moved.items()) or "steered (no shift yet)"


def first_sliders(names: list[str]) -> list[str]:
    """The sliders a click shows: the preferred attributes present, else the top ranked."""
    preferred = [n for n in PREFERRED if n in names]
    return preferred or names[:N_SLIDERS]


def slider_label(name: str, from_labels: bool) -> str:
    """"Smiling", or "class 3" for a direction between classes (digits)."""
    return f"class {name}" if from_labels else name


class SteerPanel(pn.viewable.Viewer):
    """The steered face beside the attribute sliders that move it (a new click, Restart,
    Reset or a loaded model start from zero)."""

    state = param.ClassSelector(class_=SessionState)

    def __init__(self, **params) -> None:
        super().__init__(**params)
        self.face = html_pane("", css_classes=["shifted-pane"], width=BIG + 24)
        self.pick = pn.widgets.MultiChoice(label="More attributes, strongest first (type to add)",
                                           options=[], value=[], search_option_limit=60,
                                           css_classes=["attribute-pick"],
                                           sizing_mode="stretch_width")
        self.reset = pn.widgets.Button(label="Reset sliders", color="light", width=120,
                                       css_classes=["reset-sliders"])
        self.sliders = pn.Column(sizing_mode="stretch_width", css_classes=["feature-sliders"])
        self.reset.on_click(self.reset_sliders)
        self.pick.param.watch(self._on_pick, ["value"])
        self._by_name: dict[str, pn.widgets.FloatSlider] = {}
        self._chosen: list[str] = []  # the sliders the pick list was given
        self._from_labels = False
        self._quiet = threading.local()  # set while this thread moves sliders itself
        self._draw_lock = threading.Lock()
        self.drawn: dict[str, float] = {}  # the slider values the face on screen shows
        self.layout = pn.Row(pn.Column(self.face, self.reset, width=BIG + 30),
                             pn.Column(self.sliders, self.pick, sizing_mode="stretch_width"),
                             visible=False, sizing_mode="stretch_width", css_classes=["steer-row"])

    def _is_quiet(self) -> bool:
        return getattr(self._quiet, "on", False)

    # -- state -> widgets ------------------------------------------------------
    def show(self, click) -> None:
        """Sliders for ``click`` (none when it has no decode or the data no attributes)."""
        if click is not None and click.decoded is not None:  # at once: fitting takes a moment
            self.face.object = decoded_html(self.state.shown, click.decoded, "",
                                            steer_caption({}), cls="steered")
        steering = self.state.steering() if click is not None and click.decoded is not None \
            else None
        if steering is None:
            self.hide()
            return
        names = steering.names
        self._from_labels = steering.from_labels
        if sorted(self.pick.options) != sorted(names):
            picked = list(self.pick.value)
            own = set(names) == set(self.pick.options) and picked != self._chosen
            self._chosen = first_sliders(names)
            self._quiet.on = True
            try:  # the ranking moves as the model trains: follow it unless the person chose
                self.pick.param.update(options=names, value=picked if own else self._chosen)
            finally:
                self._quiet.on = False
        self._build()
        self.reset_sliders()
        self.layout.visible = True

    def _build(self) -> None:
        self._by_name = {n: self._by_name.get(n) or self._slider(n) for n in self.pick.value}
        self.sliders.objects = list(self._by_name.values())

    def _slider(self, name: str) -> pn.widgets.FloatSlider:
        s = pn.widgets.FloatSlider(label=slider_label(name, self._from_labels), start=-SHIFT,
                                   end=SHIFT, step=0.05, value=0.0, format="+0.00",
                                   sizing_mode="stretch_width", margin=(0, 10),
                                   css_classes=["feature-slider", f"attr-{name}"])
        s.param.watch(self._on_slide, ["value"])
        return s

    def _on_pick(self, *_) -> None:
        if not self._is_quiet():
            self._build()
            self._render()

    # -- widgets -> face -------------------------------------------------------
    def alphas(self) -> dict[str, float]:
        return {name: float(s.value) for name, s in self._by_name.items()}

    def reset_sliders(self, *_) -> None:
        self._quiet.on = True
        try:
            for s in self._by_name.values():
                s.value = 0.0
        finally:
            self._quiet.on = False
        self._render()

    def _on_slide(self, *_) -> None:
        if not self._is_quiet():
            self._render()

    def _render(self) -> None:
        """Draw the face for the sliders' values as they are now (see the module's note)."""
        with self._draw_lock:
            alphas = self.alphas()
            decoded, message = self.state.decode_shifted(alphas)
            self.face.object = decoded_html(self.state.shown, decoded, message,
                                            steer_caption(alphas), cls="steered")
            self.drawn = alphas

    def hide(self) -> None:
        self.layout.visible = False
        self.face.object = ""

    def __panel__(self) -> pn.Row:
        return self.layout
