"""Click to reconstruct, feature sliders, and hover info."""

from __future__ import annotations

import panel as pn
import param

from ..state import SessionState
from ..style import html_pane
from ..table_map import follow
from .item_html import click_html, hover_html, neighbours_html
from .steer import SteerPanel


class InspectPanel(pn.viewable.Viewer):
    """The click panel (decode, nearest item, steering) and the hover line."""

    state = param.ClassSelector(class_=SessionState)

    def __init__(self, **params) -> None:
        super().__init__(**params)
        state = self.state
        self.click = html_pane(click_html(None, None), css_classes=["click-pane"],
                               sizing_mode="stretch_width")
        self.steer = SteerPanel(state=state)
        self.neighbours = html_pane("", css_classes=["neighbours-pane"],
                                    sizing_mode="stretch_width")
        self.hover = html_pane(hover_html(None, -1), css_classes=["hover-pane"],
                               sizing_mode="stretch_width")
        self.retrain = pn.widgets.Button(label="Train with reconstruction", color="warning",
                                         visible=False)
        self.retrain.on_click(self._retrain)
        state.param.watch(self._on_click, ["click"])
        state.param.watch(self._on_hover, ["hover"])
        follow(state, self._on_click, ("click",))

    def _retrain(self, _):
        self.state.reconstruction = True
        self.state.train()

    def _on_hover(self, *_):
        self.hover.object = hover_html(self.state.shown, self.state.hover)

    def _on_click(self, *_):
        if self.state.table is not None:
            from .table_panels import picked_html

            self.click.object = picked_html(self.state.table.click)
            self.neighbours.object = ""
            self.retrain.visible = False
            self.steer.hide()
            return
        c, ds = self.state.click, self.state.shown
        self.click.object = click_html(ds, c)
        self.neighbours.object = neighbours_html(ds, c)
        self.retrain.visible = c is not None and c.decoded is None and "reconstruction" in c.message
        self.steer.show(c)

    def __panel__(self) -> pn.Column:
        return pn.Column(self.click, self.retrain, self.steer, self.neighbours,
                         sizing_mode="stretch_width", name="Click")
