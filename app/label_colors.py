"""Colours of the labelling views: each row's predicted class (confidence as its opacity),
or the person's own labels (grey where unlabelled)."""

from __future__ import annotations

import numpy as np

from .colors import N_SLOTS, REST
from .html_blocks import PALETTE

#: opacity of a row the classifier only guesses (confidence 1 / classes); 1 when sure
FAINTEST = 0.15


def class_color(code: int) -> str:
    return PALETTE[code % N_SLOTS]


def legend(names: list[str | None]) -> list[tuple[str, str]]:
    return [(name, class_color(code)) for code, name in enumerate(names) if name is not None]


def opacity_of(confidence: np.ndarray, n_classes: int) -> np.ndarray:
    """Confidence from a guess (1 / classes) to certain (1) as opacity FAINTEST..1."""
    guess = 1.0 / max(n_classes, 1)
    sure = np.clip((np.asarray(confidence) - guess) / max(1.0 - guess, 1e-9), 0.0, 1.0)
    return FAINTEST + (1.0 - FAINTEST) * sure


def predicted_colors(labels, predictions) -> tuple[np.ndarray, list, np.ndarray | None]:
    """Codes (palette slots), legend and opacity of colouring by predicted class."""
    if predictions is None or len(predictions.proba) != labels.n_rows:
        return np.full(labels.n_rows, REST, np.int64), legend(labels.names), None
    codes = predictions.predicted % N_SLOTS
    return codes, legend(labels.names), opacity_of(predictions.confidence,
                                                   len(predictions.classes))


def label_colors(labels) -> tuple[np.ndarray, list, None]:
    """Codes and legend of colouring by the person's labels."""
    codes = np.where(labels.codes >= 0, labels.codes % N_SLOTS, REST)
    return codes, legend(labels.names), None


def view_colors(state) -> tuple[np.ndarray, list, int, np.ndarray | None]:
    """Codes, legend, palette slots in use and opacity (or None) of the colour-by choice."""
    from .colors import color_codes
    from .state_labels import PREDICTED, YOURS

    labels = state.labels
    if state.color_by in (PREDICTED, YOURS) and labels is not None:
        pick = predicted_colors(labels, state.predictions) if state.color_by == PREDICTED \
            else label_colors(labels)
        codes, items, opacity = pick
        return codes, items, min(len(labels.names), N_SLOTS), opacity
    codes, items = color_codes(state.dataset, state.color_by)
    return codes, items, len(items), None
