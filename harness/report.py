"""Result files: Markdown tables, notes on the sizes used, CSV + Markdown written together."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: MNIST's own sizes (the paper's): 60,000 training and 10,000 test rows.
MNIST_SIZES = (60_000, 10_000)

#: Printed under every table that holds seconds.
TIMING_NOTE = ("Times are wall-clock seconds on a shared two-core machine while other work "
               "ran on it: indicative only. Compare ratios within one run, not with other runs "
               "or the paper.")


def markdown_table(frame: pd.DataFrame, index_name: str | None = None, digits: int = 4) -> str:
    """A GitHub Markdown table of ``frame`` (no extra dependency).

    The index is the first column when ``index_name`` is given (its header) or
    when the index is named; floats are shown with ``digits`` decimals.
    """
    def cell(v: Any) -> str:
        return f"{v:.{digits}f}" if isinstance(v, (float, np.floating)) else str(v)

    if index_name is None and frame.index.name is not None:
        index_name = str(frame.index.name)
    header = ([] if index_name is None else [index_name]) + [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for idx, row in zip(frame.index, frame.itertuples(index=False), strict=True):
        cells = ([] if index_name is None else [cell(idx)]) + [cell(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_table(frame: pd.DataFrame, out: Path, stem: str, title: str = "",
                notes: str = "") -> Path:
    """Write ``<stem>.csv`` and ``<stem>.md`` (title, table, notes) under ``out``; print it."""
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / f"{stem}.csv", index=bool(frame.index.name))
    text = "\n\n".join(part for part in (f"### {title}" if title else "", markdown_table(frame),
                                          notes) if part)
    (out / f"{stem}.md").write_text(text + "\n")
    print(text, flush=True)
    return out / f"{stem}.md"


def write_report(out: Path, stem: str, frame: pd.DataFrame, text: str) -> None:
    """``<stem>.csv`` (the table, with its index) and ``<stem>.md`` (the whole report)
    under ``out``; the report printed."""
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / f"{stem}.csv")
    (out / f"{stem}.md").write_text(text)
    print(text)


def write_sections(out: Path, stem: str, sections: list[str], notes: list[str]) -> str:
    """``<stem>.md`` under ``out``: the sections, then the notes as a bullet list."""
    text = "\n\n".join([*sections, "\n".join(f"- {n}" for n in notes)]) + "\n"
    (out / f"{stem}.md").write_text(text)
    return text


def size_note(split: Any, full: tuple[int, int] = MNIST_SIZES) -> str:
    """Which rows a run used beside the paper's ``full`` (training, test) sizes, so that
    no subsampled number passes for the paper's: "mnist: 10,000 of 60,000 training rows
    (random subsample; ...)"."""
    parts, subsampled = [], False
    for what, n, total in (("training", len(split.X_train), full[0]),
                           ("test", len(split.X_test), full[1])):
        subsampled |= n < total
        tag = "all, as in the paper" if n >= total else "random subsample; the paper used all"
        parts.append(f"{n:,} of {total:,} {what} rows ({tag})")
    tail = " — SUBSAMPLED; --full runs the paper's sizes" if subsampled else ""
    return f"{split.name}: " + ", ".join(parts) + tail
