"""The stylesheet (assets/app.css) and HTML panes that use it inside their shadow DOM."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import panel as pn

STYLESHEET = Path(__file__).resolve().parents[1] / "assets" / "app.css"


@lru_cache(maxsize=1)
def css() -> str:
    try:
        return STYLESHEET.read_text()
    except OSError:
        return ""


def html_pane(obj="", **kwargs) -> pn.pane.HTML:
    """``pn.pane.HTML`` with the app's stylesheet (global CSS does not reach shadow roots)."""
    return pn.pane.HTML(obj, stylesheets=[css()], **kwargs)
