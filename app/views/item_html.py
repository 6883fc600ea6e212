"""HTML of items: the clicked item and its decode, its neighbours, the hovered item."""

from __future__ import annotations

import html

import numpy as np

from ..html_blocks import as_image, img_tag, row_table

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


def decoded_html(ds, decoded: np.ndarray | None, message: str, caption: str,
                 cls: str = "decoded") -> str:
    if decoded is None:
        return f'<div class="decode-message">{html.escape(message)}</div>'
    caption = html.escape(caption)
    if ds is not None and ds.image_shape is not None:
        body = img_tag(as_image(decoded, ds.image_shape), BIG, caption, cls=cls)
    else:  # named like the data's columns (genes, a table's columns)
        body = row_table(decoded, getattr(ds, "feature_names", None), limit=8)
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


#: attributes named first on the hover line when an item has them
NOTABLE = ("Smiling", "Male", "Eyeglasses", "Young", "Wearing_Hat", "Blond_Hair")
#: attributes on the hover line, at most
HOVER_ATTRIBUTES = 6


def attribute_summary(row) -> str:
    """An item's attributes in a few words: yes/no attributes by the names of those it
    has (the notable ones first), other columns as name=value."""
    yes_no = [k for k, v in row.items() if str(v) in ("1", "-1", "0", "True", "False")]
    has = [str(k) for k in yes_no if str(row[k]) in ("1", "True")]
    has.sort(key=lambda k: (NOTABLE.index(k) if k in NOTABLE else len(NOTABLE), k))
    others = [f"{k}={v}" for k, v in row.items() if k not in yes_no]
    words = (others + has)[:HOVER_ATTRIBUTES]
    if not words and yes_no:
        return "none of its yes/no attributes"
    return ", ".join(html.escape(w) for w in words)


def hover_html(ds, i: int) -> str:
    if ds is None or i < 0:
        return '<span class="muted">Hover over a point to see it.</span>'
    meta = attribute_summary(ds.attributes.iloc[i]) if len(ds.attributes.columns) else ""
    return f'<div class="hover-item">{_item_html(ds, i, SMALL)}<span>{meta}</span></div>'
