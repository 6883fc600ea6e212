"""Click to reconstruct, feature sliders, and hover info."""

from __future__ import annotations

import html

import numpy as np
import panel as pn
import param

from ..html_blocks import as_image, img_tag, row_table
from ..state import SessionState
from ..style import html_pane
from ..table_map import follow

BIG, SMALL = 112, 44
N_SLIDERS = 6  # sliders shown at first: the attributes that change the decode most
SHIFT = 2.0  # slider range, in standard deviations of the codes along each direction


def _label(ds, i: int) -> str:
    if ds.labels is None or ds.labels[i] < 0:
        return ""
    return ds.label_names[ds.labels[i]] if ds.label_names else str(ds.labels[i])


def _item_html(ds, i: int, px: int, caption: str = "") -> str:
    title = f"#{i} {_label(ds, i)}".strip()
    if ds.images is not None:
        body = img_tag(as_image(ds.images[i], ds.image_shape), px, title)
    else:
        body = row_table(ds.X[i], getattr(ds, "feature_names", None), limit=8)
    cap = html.escape(caption or title)
    return f'<figure class="item"><div>{body}</div><figcaption>{cap}</figcaption></figure>'


def decoded_html(ds, decoded: np.ndarray | None, message: str, caption: str,
                 cls: str = "decoded") -> str:
    if decoded is None:
        return f'<div class="decode-message">{html.escape(message)}</div>'
    caption = html.escape(caption)
    if ds is not None and ds.image_shape is not None:
        body = img_tag(as_image(decoded, ds.image_shape), BIG, caption, cls=cls)
    else:
        body = row_table(decoded, limit=8)
    return f'<figure class="item decoded-item"><div>{body}</div><figcaption>{caption}</figcaption></figure>'


def click_html(ds, click) -> str:
    """The decoded code beside the real item at (or nearest to) the clicked place."""
    if click is None or ds is None:
        return "<i>Click the plot to decode that point.</i>"
    where = f"#{click.nearest}'s own code" if click.on_point else "empty space: nearby codes blended"
    parts = [decoded_html(ds, click.decoded, click.message,
                          f"decoded, {where} ({click.ms:.0f} ms)")]
    if click.nearest >= 0:
        what = "clicked item" if click.on_point else "nearest real item"
        parts.append(_item_html(ds, click.nearest, BIG, f"{what} #{click.nearest}"))
    return f'<div class="click-row">{"".join(parts)}</div>'


def neighbours_html(ds, click) -> str:
    """The clicked item's nearest neighbours in the original data."""
    if click is None or ds is None or not len(click.neighbours):
        return ""
    items = "".join(_item_html(ds, int(j), SMALL) for j in click.neighbours)
    return ('<div class="muted">Its nearest neighbours in the original data '
            f'(far apart in the plot = torn neighbourhood):</div><div class="gallery">{items}</div>')


def hover_html(ds, i: int) -> str:
    if ds is None or i < 0:
        return '<span class="muted">Hover over a point to see it.</span>'
    meta = ""
    if len(ds.attributes.columns):
        row = ds.attributes.iloc[i]
        meta = ", ".join(f"{html.escape(str(k))}={html.escape(str(v))}"
                         for k, v in list(row.items())[:6])
    return f'<div class="hover-item">{_item_html(ds, i, SMALL)}<span>{meta}</span></div>'


def steer_caption(alphas: dict[str, float]) -> str:
    moved = {k: v for k, v in alphas.items() if v}
    return " ".join(f"{k} {v:+.2f} sd" for k, v in moved.items()) or "steered (no shift yet)"


class SteerPanel(pn.viewable.Viewer):
    """The steered face beside the attribute sliders that move it.

    The sliders are the attributes whose directions change the decode most;
    the searchable pick list adds any other. The face follows each slider as
    it moves; a new click, Restart, Reset or a loaded model starts from zero.
    """

    state = param.ClassSelector(class_=SessionState)

    def __init__(self, **params) -> None:
        super().__init__(**params)
        self.face = html_pane("", css_classes=["shifted-pane"], width=BIG + 24)
        self.pick = pn.widgets.MultiChoice(label="Attributes, strongest first (type to add)",
                                           options=[], value=[], search_option_limit=60,
                                           css_classes=["attribute-pick"],
                                           sizing_mode="stretch_width")
        self.reset = pn.widgets.Button(label="Reset sliders", color="light", width=120,
                                       css_classes=["reset-sliders"])
        self.sliders = pn.Column(sizing_mode="stretch_width", css_classes=["feature-sliders"],
                                 scroll=True, max_height=320)
        self.reset.on_click(self.reset_sliders)
        self.pick.param.watch(self._on_pick, ["value"])
        self._by_name: dict[str, pn.widgets.FloatSlider] = {}
        self._ranked: list[str] = []  # the top of the ranking the pick list was given
        self._quiet = False
        self.layout = pn.Row(self.face, pn.Column(self.pick, self.reset, self.sliders,
                                                  sizing_mode="stretch_width"),
                             visible=False, sizing_mode="stretch_width", css_classes=["steer-row"])

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
        if list(self.pick.options) != names:
            # the ranking moves as the model trains: follow it unless the person chose
            picked = list(self.pick.value)
            own = set(names) == set(self.pick.options) and picked != self._ranked
            self._ranked = names[:N_SLIDERS]
            self._quiet = True
            self.pick.param.update(options=names, value=picked if own else self._ranked)
            self._quiet = False
        self._build()
        self.reset_sliders()
        self.layout.visible = True

    def _build(self) -> None:
        self._by_name = {n: self._by_name.get(n) or self._slider(n) for n in self.pick.value}
        self.sliders.objects = list(self._by_name.values())

    def _slider(self, name: str) -> pn.widgets.FloatSlider:
        s = pn.widgets.FloatSlider(label=name, start=-SHIFT, end=SHIFT, step=0.05, value=0.0,
                                   sizing_mode="stretch_width",
                                   css_classes=["feature-slider", f"attr-{name}"])
        s.param.watch(self._on_slide, ["value"])
        return s

    def _on_pick(self, *_) -> None:
        if not self._quiet:
            self._build()
            self._render()

    # -- widgets -> face -------------------------------------------------------
    def alphas(self) -> dict[str, float]:
        return {name: float(s.value) for name, s in self._by_name.items()}

    def reset_sliders(self, *_) -> None:
        self._quiet = True
        for s in self._by_name.values():
            s.value = 0.0
        self._quiet = False
        self._render()

    def _on_slide(self, *_) -> None:
        if not self._quiet:
            self._render()

    def _render(self) -> None:
        alphas = self.alphas()
        decoded, message = self.state.decode_shifted(alphas)
        self.face.object = decoded_html(self.state.shown, decoded, message,
                                        steer_caption(alphas), cls="steered")

    def hide(self) -> None:
        self.layout.visible = False
        self.face.object = ""

    def __panel__(self) -> pn.Row:
        return self.layout


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
