"""The labels a person gives while exploring: class names and each row's class, with undo.

Panel-free. A class keeps its code for good (the classifier head has one output
per code): renaming changes only its name, deleting frees its rows and leaves
its code unused, and a new class gets the next code. Every change can be
undone, in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: changes kept for undo
UNDO_DEPTH = 50


class LabelError(ValueError):
    """A labelling action that cannot be done, with the reason for the person."""


@dataclass
class LabelSet:
    """Per-row class codes (-1: unlabelled) and the name of each code (None: deleted)."""

    codes: np.ndarray
    names: list[str | None] = field(default_factory=list)
    _undo: list[tuple[np.ndarray, list[str | None], str]] = field(default_factory=list,
                                                                    repr=False)

    @classmethod
    def empty(cls, n_rows: int) -> LabelSet:
        return cls(np.full(n_rows, -1, np.int64))

    @classmethod
    def of(cls, codes: np.ndarray, names: list[str | None]) -> LabelSet:
        """Labels kept elsewhere (a model file): codes beyond ``names`` get their number."""
        codes = np.asarray(codes, np.int64).copy()
        top = int(codes.max()) + 1 if codes.size else 0
        names = list(names) + [str(c) for c in range(len(names), top)]
        return cls(codes, names)

    # -- reading -------------------------------------------------------------
    @property
    def n_rows(self) -> int:
        return len(self.codes)

    @property
    def n_labelled(self) -> int:
        return int((self.codes >= 0).sum())

    @property
    def classes(self) -> list[str]:
        """Names of the classes in use, in the order they were made."""
        return [n for n in self.names if n is not None]

    def code_of(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise LabelError(f"there is no class named {name!r}") from None

    def name_of(self, code: int) -> str:
        """The name of class ``code``; its number when it has none (deleted, or not yet
        known to predictions made before an undo)."""
        code = int(code)
        name = self.names[code] if 0 <= code < len(self.names) else None
        return name or str(code)

    def counts(self) -> dict[str, int]:
        """Labelled rows per class in use."""
        per_code = np.bincount(self.codes[self.codes >= 0], minlength=len(self.names))
        return {n: int(per_code[c]) for c, n in enumerate(self.names) if n is not None}

    def name_array(self, codes: np.ndarray) -> np.ndarray:
        """Names for class ``codes`` ('' for -1 or a deleted class)."""
        lookup = np.array([n or "" for n in self.names] + [""], dtype=object)
        codes = np.asarray(codes)
        return lookup[np.where((codes >= 0) & (codes < len(self.names)), codes, -1)]

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    # -- changes -----------------------------------------------------------
    def _keep(self, what: str) -> None:
        self._undo.append((self.codes.copy(), list(self.names), what))
        del self._undo[:-UNDO_DEPTH]

    def assign(self, rows: np.ndarray, name: str) -> str:
        """Label ``rows`` as ``name`` (a new class when no class has that name)."""
        name = (name or "").strip()
        rows = np.asarray(rows, np.int64)
        if not name:
            raise LabelError("type a class name, or pick one, to label the selection")
        if rows.size == 0:
            raise LabelError("select points first (lasso or box), then label them")
        if rows.min() < 0 or rows.max() >= self.n_rows:
            raise LabelError(f"rows out of range: the data has {self.n_rows:,} rows")
        self._keep(f"label {rows.size:,} as {name!r}")
        if name not in self.names:
            self.names.append(name)
        self.codes[rows] = self.names.index(name)
        return f"Labelled {rows.size:,} points as {name!r}."

    def rename(self, old: str, new: str) -> str:
        new = (new or "").strip()
        code = self.code_of(old)
        if not new:
            raise LabelError("type the class's new name")
        if new in self.names:
            raise LabelError(f"a class named {new!r} exists already")
        self._keep(f"rename {old!r}")
        self.names[code] = new
        return f"Renamed {old!r} to {new!r}."

    def delete(self, name: str) -> str:
        code = self.code_of(name)
        self._keep(f"delete {name!r}")
        n = int((self.codes == code).sum())
        self.codes[self.codes == code] = -1
        self.names[code] = None
        return f"Deleted the class {name!r} ({n:,} labels)."

    def undo(self) -> str:
        if not self._undo:
            raise LabelError("nothing to undo")
        self.codes, self.names, what = self._undo.pop()
        return f"Undone: {what}."

    def extended(self, n_new: int) -> LabelSet:
        """These labels followed by ``n_new`` unlabelled rows (rows added to training)."""
        return LabelSet(np.concatenate([self.codes, np.full(n_new, -1, np.int64)]),
                        list(self.names))

    def table(self, predicted: np.ndarray | None = None, confidence: np.ndarray | None = None,
              proba: np.ndarray | None = None, proba_codes: np.ndarray | None = None
              ) -> pd.DataFrame:
        """One row per data row: its label, and the classifier's prediction, confidence
        and probability of each class when given."""
        frame = pd.DataFrame({"row": np.arange(self.n_rows),
                              "label": self.name_array(self.codes)})
        if predicted is not None:
            frame["predicted"] = self.name_array(predicted)
            frame["confidence"] = np.asarray(confidence, np.float64)
        if proba is not None:
            for j, code in enumerate(proba_codes):
                frame[f"p({self.name_of(code)})"] = proba[:, j]
        return frame
