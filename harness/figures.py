"""Figures the scripts share: a row of labelled 2-D scatter plots, a labelled image grid."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def scatter_row(panels: Sequence[tuple[str, np.ndarray, np.ndarray]], path: Path,
                title: str = "", size: float = 2.6, colorbar: bool = False,
                class_names: Sequence[str] | None = None) -> Path:
    """One small 2-D scatter per ``(caption, Z, labels)``, coloured by label, side by side,
    as a PNG. ``colorbar``: a bar of the ten classes (``class_names`` as its ticks)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(size * len(panels), size + 0.4),
                             squeeze=False)
    for ax, (caption, Z, labels) in zip(axes[0], panels, strict=True):
        points = ax.scatter(Z[:, 0], Z[:, 1], c=labels, cmap="tab10", s=1.5, alpha=0.6,
                            vmin=-0.5, vmax=9.5, linewidths=0, rasterized=True)
        ax.set_title(caption, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_aspect("equal", adjustable="datalim")
    if title:
        fig.suptitle(title, fontsize=10)
    if colorbar:
        bar = fig.colorbar(points, ax=axes[0].tolist(), ticks=range(10), shrink=0.8)
        if class_names is not None:
            bar.ax.set_yticklabels(class_names, fontsize=7)
    else:
        fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight" if colorbar else None)
    plt.close(fig)
    return path


def _to_uint8(img: np.ndarray) -> np.ndarray:
    img = np.asarray(img)
    if img.dtype != np.uint8:
        img = (np.clip(img, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
    return img if img.ndim == 3 else np.repeat(img[..., None], 3, axis=2)


def image_grid(cells: Sequence[Sequence[np.ndarray]], header: Sequence[tuple[str, int]] = (),
               subheader: Sequence[str] = (), row_labels: Sequence[str] = (),
               pad: int = 2) -> Image.Image:
    """A labelled grid of equal-sized images. ``header`` is (text, n_columns) pairs,
    each centred over its columns (an attribute over its -a, 0, +a, say);
    ``subheader`` labels single columns; ``row_labels`` go on the left."""
    font = ImageFont.load_default(size=11)
    h, w = _to_uint8(cells[0][0]).shape[:2]
    n_rows, n_cols = len(cells), max(len(r) for r in cells)
    left = 8 + max((int(font.getlength(s)) for s in row_labels), default=0) if row_labels else 0
    top = 14 * (bool(header) + bool(subheader)) + (4 if header or subheader else 0)
    sheet = Image.new("RGB", (left + n_cols * (w + pad) + pad, top + n_rows * (h + pad) + pad),
                      "white")
    draw = ImageDraw.Draw(sheet)

    def x_of(col: int) -> int:
        return left + pad + col * (w + pad)

    col = 0
    for text, span in header:
        middle = (x_of(col) + x_of(col + span) - pad) / 2
        draw.text((middle, 2), text, fill="black", font=font, anchor="ma")
        col += span
    for j, text in enumerate(subheader):
        draw.text((x_of(j) + w / 2, 2 + 14 * bool(header)), text, fill="dimgray", font=font,
                  anchor="ma")
    for r, row in enumerate(cells):
        y = top + pad + r * (h + pad)
        if r < len(row_labels):
            draw.text((4, y + h / 2), row_labels[r], fill="black", font=font, anchor="lm")
        for col, img in enumerate(row):
            sheet.paste(Image.fromarray(_to_uint8(img)), (x_of(col), y))
    return sheet
