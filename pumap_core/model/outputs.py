"""What a fitted :class:`~pumap_core.model.estimator.ParametricUMAP` computes: maps and
codes of new rows, data from codes, plausible codes for map points, class predictions.

A mixin, so that the estimator's module holds its parameters and ``fit``, and
this one everything that reads the fitted networks.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import numpy as np
import torch
from sklearn.utils import ClassifierTags
from sklearn.utils.validation import check_is_fitted

from ..nets.classifier import ClassifierView
from ..nets.two_code import CodeEncoderView, CodeMapEncoder
from ..training.loop import embed
from ..validation import check_array
from .inference import run_rows
from .params import check_new_rows, checked_rows

#: While ``fit`` runs, ``codes_at`` interpolates from every k-th training row, this many.
FITTING_REFERENCE_ROWS = 2000
#: Rows per forward pass of the decoder (``decode``): memory, not results.
CHUNK_SIZE = 16384


def _chunk(chunk_size: int | None, batch_size: int | None) -> int | None:
    """``chunk_size``, or the deprecated ``batch_size=`` spelling of it."""
    if batch_size is None:
        return chunk_size
    warnings.warn("batch_size= of transform, encode, decode and inverse_transform is deprecated "
                  "and will be removed in the next release; use chunk_size= (the constructor's "
                  "batch_size is the training batch)", FutureWarning, stacklevel=3)
    return int(batch_size)


class FittedOutputs:
    """``transform``, ``encode``, ``decode``, ``inverse_transform``, ``codes_at``,
    ``predict``: everything that reads the fitted networks, and the scikit-learn tags
    that describe what they accept and return."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # accepted, and made dense: networks read dense rows
        tags.transformer_tags.preserves_dtype = ["float32"]  # the networks compute in float32
        # fitted with labels y, predict/predict_proba classify (any number of classes)
        tags.classifier_tags = ClassifierTags(multi_class=True)
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        return getattr(self, "encoder_", None) is not None

    def _check_fitted(self) -> None:
        check_is_fitted(self)

    def _encoder_inputs(self, X: Any) -> torch.Tensor:
        self._check_fitted()
        return torch.from_numpy(self._as_fitted(check_new_rows(self, X))).to(self.device_)

    def _as_fitted(self, rows: np.ndarray) -> np.ndarray:
        """``rows`` with those that arrive raw (0..255 pixels on a model of 0..1 rows, say)
        scaled as the training rows were (``input_scaling_``)."""
        scaling = getattr(self, "input_scaling_", None)
        return rows if scaling is None else scaling.apply(rows)[0]

    def transform(self, X: Any, chunk_size: int | None = None, *,
                  batch_size: int | None = None) -> np.ndarray:
        """Map coordinates of new rows: one forward pass of the encoder.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or images (n, h, w[, c])
            Rows with the features the model was fitted on.
        chunk_size : int or None, default=None
            Rows per forward pass (memory only; any number of rows is embedded).
            None: 16,384 on a CPU, 65,536 on an accelerator
            (:mod:`pumap_core.model.inference`).
        batch_size : int, optional
            Deprecated spelling of ``chunk_size``.

        Returns
        -------
        ndarray of shape (n_samples, n_components), float32
        """
        self._check_fitted()
        return self._run_encoder(self.encoder_, X, _chunk(chunk_size, batch_size))

    def _run_encoder(self, network: torch.nn.Module, X: Any, chunk: int | None) -> np.ndarray:
        rows = check_new_rows(self, X, finite=False)  # run_rows checks them where they go
        return run_rows(network, self._as_fitted(rows), self.device_, chunk)

    def encode(self, X: Any, chunk_size: int | None = None, *,
               batch_size: int | None = None) -> np.ndarray:
        """Codes of new rows: what ``decode`` reads.

        For a two-code model the ``code_components``-D codes; otherwise the
        same as ``transform`` (the map is the code).

        Returns
        -------
        ndarray of shape (n_samples, code_width), float32
        """
        self._check_fitted()
        network = CodeEncoderView(self.encoder_) if self.has_two_codes else self.encoder_
        return self._run_encoder(network, X, _chunk(chunk_size, batch_size))

    def decode(self, codes: Any, chunk_size: int = CHUNK_SIZE, *,
               batch_size: int | None = None) -> np.ndarray:
        """Data from codes (as ``encode`` gives them).

        Returns
        -------
        ndarray of shape (n, h, w[, c]) for image data, else (n, ``n_features_in_``)
        """
        self._check_fitted()
        if self.decoder_ is None:
            raise ValueError("this model has no decoder; fit with reconstruction=True to decode")
        codes, _ = checked_rows(codes, name="codes")
        if codes.shape[1] != self.code_width:
            kind = "code" if self.has_two_codes else "latent space"
            raise ValueError(f"codes have {codes.shape[1]} columns, but this model's {kind} has "
                             f"{self.code_width}" + (f" (its map has {self.n_components}: "
                                                      "use inverse_transform or codes_at for map "
                                                      "points)" if self.has_two_codes else ""))
        out = embed(self.decoder_, torch.from_numpy(codes).to(self.device_),
                    chunk=_chunk(chunk_size, batch_size) or CHUNK_SIZE)
        return out.reshape(-1, *self.image_shape_) if self.image_shape_ else out

    def inverse_transform(self, Z: Any, chunk_size: int = CHUNK_SIZE, *,
                          batch_size: int | None = None) -> np.ndarray:
        """Map points back to data space (images keep their shape), as in scikit-learn.

        One-code models decode the points themselves (the map is the code).
        Two-code models decode ``codes_at(Z)``: the codes interpolated from the
        training rows mapped nearest to each point.
        """
        self._check_fitted()
        chunk = _chunk(chunk_size, batch_size)
        if not self.has_two_codes:
            return self.decode(Z, chunk)
        if self.decoder_ is None:
            raise ValueError("this model has no decoder; fit with reconstruction=True to decode")
        return self.decode(self.codes_at(Z), chunk)

    def codes_at(self, points: Any, k: int = 8, X: Any = None) -> np.ndarray:
        """A plausible code for each map point (m × ``n_components`` → m × ``code_width``).

        The codes of the ``k`` training rows mapped nearest to the point,
        averaged with Gaussian weights whose width is the typical distance
        between neighbouring points of the map (:func:`pumap_core.features.interpolate_codes`):
        on a data point, that point's own code; between points, a blend of
        theirs; far from the data, the nearest point's code. ``X`` (optional):
        reference rows to map and encode now instead of the training rows;
        while ``fit`` is still running (no ``codes_`` yet) the current
        networks are run on every k-th training row (``FITTING_REFERENCE_ROWS``
        of them). One-code models return the points themselves.
        """
        from ..features import interpolate_codes  # pandas, only when asked

        self._check_fitted()
        P = check_array(points, name="points")
        if P.shape[1] != self.n_components:
            raise ValueError(f"points have {P.shape[1]} columns; this model's map has "
                             f"{self.n_components}")
        if not self.has_two_codes:
            return P
        ref_map, ref_codes = getattr(self, "embedding_", None), getattr(self, "codes_", None)
        if X is None and (ref_map is None or ref_codes is None):
            # still fitting: the current networks on (a sample of) the training rows
            rows = getattr(self, "_fitting_rows", None)
            if rows is None:
                raise ValueError("this model holds no training codes (saved without them?); "
                                 "pass reference rows X to codes_at")
            step = max(1, len(rows) // FITTING_REFERENCE_ROWS)
            X = rows[::step]
        if X is not None:
            ref_map, ref_codes = self.transform(X), self.encode(X)
        return interpolate_codes(P, ref_map, ref_codes, k=k)

    @property
    def has_two_codes(self) -> bool:
        """Whether the map and the code differ (a two-code model)."""
        return isinstance(getattr(self, "encoder_", None), CodeMapEncoder)

    @property
    def code_width(self) -> int:
        """Columns of a code: the two-code model's ``code_components``, else ``n_components``."""
        return self.encoder_.code_components if self.has_two_codes else int(self.n_components)

    def check_input(self, X: Any) -> None:
        """Raise a ValueError naming the problem when ``X`` (rows or images) cannot be
        encoded by this model: another image size or channel count, another width."""
        self._encoder_inputs(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities from the classifier head (fitted with labels ``y``).

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``; each row sums to 1.
        """
        self._check_fitted()
        if self.classifier_ is None:
            raise ValueError("this model has no classifier; fit with labels y to train one")
        view = ClassifierView(self.encoder_, self.classifier_, self.classifier_input)
        logits = self._run_encoder(view, X, None)[:, self.classes_]
        logits -= logits.max(1, keepdims=True)  # softmax over the classes in use
        proba = np.exp(logits)
        return proba / proba.sum(1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """Class labels from the classifier head (fitted with labels ``y``)."""
        self._check_fitted()
        return self.classes_[np.argmax(self.predict_proba(X), 1)]

    def confidence(self, X: Any) -> np.ndarray:
        """How sure the classifier head is of each row's class: the probability of the
        class ``predict`` gives, from 1 / ``len(classes_)`` (a guess) to 1.

        Returns
        -------
        ndarray of shape (n_samples,), float32
        """
        return self.predict_proba(X).max(1)

    def frozen_copy(self):
        """A fitted copy of this model whose networks are copies of the current ones.

        ``fit`` and ``partial_fit`` change the networks in place, step by step;
        the copy does not change. Take it in the ``callback`` of a running fit (it
        runs between two steps, so the weights are those of one step) and use it
        from any thread: ``transform``, ``predict_proba``, ``predict``,
        ``confidence``, ``decode`` of the map as it was. The copy shares the
        fitted arrays (``graph_``, ``embedding_``...) with this model: read them,
        do not change them.
        """
        self._check_fitted()
        twin = copy.copy(self)
        for part in ("encoder_", "decoder_", "classifier_"):
            net = getattr(self, part, None)
            setattr(twin, part, None if net is None else copy.deepcopy(net))
        return twin
