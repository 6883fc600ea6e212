"""Click to reconstruct, feature sliders, and hover info."""

from __future__ import annotations

import html

import numpy as np
import panel as pn
import param

from ..images import as_image, img_tag, row_table
from ..state import SessionState
from ..style import html_pane

MAX_SLIDERS = 40
BIG, SMALL = 112, 44


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


def decoded_html(ds, decoded: np.ndarray | None, message: str, caption: str) -> str:
    if decoded is None:
        return f'<div class="decode-message">{html.escape(message)}</div>'
    if ds is not None and ds.image_shape is not None:
        body = img_tag(as_image(decoded, ds.image_shape), BIG, caption, cls="decoded")
    else:
        body = row_table(decoded, limit=8)
    return f'<figure class="item decoded-item"><div>{body}</div><figcaption>{caption}</figcaption></figure>'


def click_html(ds, click) -> str:
    """Decoded image beside the nearest real item, then its data-space neighbours."""
    if click is None or ds is None:
        return "<i>Click the plot to decode that point.</i>"
    parts = [decoded_html(ds, click.decoded, click.message, f"decoded ({click.ms:.0f} ms)")]
    if click.nearest >= 0:
        parts.append(_item_html(ds, click.nearest, BIG, f"nearest real item #{click.nearest}"))
    head = f'<div class="click-row">{"".join(parts)}</div>'
    if len(click.neighbours):
        items = "".join(_item_html(ds, int(j), SMALL) for j in click.neighbours)
        head += ('<div class="muted">Its nearest neighbours in the original data '
                 f'(far apart in the plot = torn neighbourhood):</div><div class="gallery">{items}</div>')
    return head


def hover_html(ds, i: int) -> str:
    if ds is None or i < 0:
        return '<span class="muted">Hover over a point to see it.</span>'
    meta = ""
    if len(ds.attributes.columns):
        row = ds.attributes.iloc[i]
        meta = ", ".join(f"{html.escape(str(k))}={html.escape(str(v))}"
                         for k, v in list(row.items())[:6])
    return f'<div class="hover-item">{_item_html(ds, i, SMALL)}<span>{meta}</span></div>'


class InspectPanel(pn.viewable.Viewer):
    """The click panel (with feature sliders) and the hover line."""

    state = param.ClassSelector(class_=SessionState)

    def __init__(self, **params) -> None:
        super().__init__(**params)
        state = self.state
        self.click = html_pane(click_html(None, None), css_classes=["click-pane"],
                                  sizing_mode="stretch_width")
        self.shifted = html_pane("", css_classes=["shifted-pane"], sizing_mode="stretch_width")
        self.sliders = pn.Column(sizing_mode="stretch_width", css_classes=["feature-sliders"])
        self.hover = html_pane(hover_html(None, -1), css_classes=["hover-pane"],
                                  sizing_mode="stretch_width")
        self.retrain = pn.widgets.Button(label="Train with reconstruction", color="warning",
                                         visible=False)
        self.retrain.on_click(self._retrain)
        self._names: list[str] = []
        state.param.watch(self._on_click, ["click"])
        state.param.watch(self._on_hover, ["hover"])

    def _retrain(self, _):
        self.state.reconstruction = True
        self.state.train()

    def _on_hover(self, *_):
        self.hover.object = hover_html(self.state.shown, self.state.hover)

    def _on_click(self, *_):
        c, ds = self.state.click, self.state.shown
        self.click.object = click_html(ds, c)
        no_decoder = c is not None and c.decoded is None and "reconstruction" in c.message
        self.retrain.visible = no_decoder
        self.shifted.object = ""
        if c is None or c.decoded is None:
            self.sliders.objects = []
            return
        self._build_sliders()

    def _build_sliders(self) -> None:
        w = self.state.directions()
        names = [] if w is None else [str(n) for n in w.index[:MAX_SLIDERS]]
        if names != self._names:
            self._names = names
            sliders = []
            for name in names:
                s = pn.widgets.FloatSlider(label=name, start=-2.0, end=2.0, step=0.05, value=0.0,
                                           sizing_mode="stretch_width")
                s.param.watch(self._on_slide, ["value_throttled"])
                sliders.append(s)
            note = html_pane('<div class="muted">Feature directions (OLS of latent on '
                                "attributes): push the clicked point along each.</div>")
            reset = pn.widgets.Button(label="Reset sliders", color="light", width=120)
            reset.on_click(self._reset_sliders)
            self.sliders.objects = [note, reset, *sliders] if sliders else []
        else:
            self._reset_sliders()

    def _sliders(self):
        return [o for o in self.sliders.objects if isinstance(o, pn.widgets.FloatSlider)]

    def _reset_sliders(self, *_):
        for s in self._sliders():
            s.param.update(value=0.0, value_throttled=0.0)
        self.shifted.object = ""

    def _on_slide(self, *_):
        alphas = {s.label: s.value_throttled for s in self._sliders() if s.value_throttled}
        if not alphas:
            self.shifted.object = ""
            return
        decoded, message = self.state.decode_shifted(alphas)
        caption = " ".join(f"{k}{v:+.2f}" for k, v in alphas.items())
        self.shifted.object = decoded_html(self.state.dataset, decoded, message, caption)

    def __panel__(self) -> pn.Column:
        return pn.Column(self.click, self.retrain, self.shifted, self.sliders,
                         sizing_mode="stretch_width", name="Click")
