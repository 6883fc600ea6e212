"""``ParametricUMAP``: the scikit-learn style estimator around graph, nets and loop."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from torch import nn

from ..device import resolve_device
from ..graph.build import NeighborGraph, build_graph
from ..nets.classifier import classifier_input
from ..nets.two_code import CodeEncoderView, CodeMapEncoder, MapHeadView
from ..persistence import encoder_to_onnx, model_from_file, model_to_file
from ..scaling import InputScaling
from ..training.convergence import ConvergenceMonitor
from ..training.curve import find_ab_params
from ..training.live import Snapshot, TrainingControls
from ..training.loop import Networks, TrainingData, embed, train
from ..validation import check_array, check_labels
from . import fitting
from .inference import run_rows
from .params import check_fit_inputs, check_new_rows, check_params, checked_rows

#: While ``fit`` runs, ``codes_at`` interpolates from every k-th training row, this many.
FITTING_REFERENCE_ROWS = 2000


class ParametricUMAP(TransformerMixin, BaseEstimator):
    """UMAP whose embedding is a neural network (Sainburg, McInnes & Gentner 2021).

    ``fit`` builds UMAP's fuzzy neighbour graph and trains an encoder on its
    cross-entropy, optionally with a global-structure term, a decoder
    (reconstruction) and, when ``y`` holds labels, a classifier head. The
    fitted encoder embeds new data with ``transform``; the decoder maps codes
    back with ``inverse_transform``.

    Fitted attributes: ``graph_`` (:class:`~pumap_core.graph.NeighborGraph`),
    ``embedding_``, ``encoder_``, ``decoder_``, ``classifier_``,
    ``loss_history_``, ``a_``, ``b_``, ``n_features_in_``, ``image_shape_``,
    ``n_epochs_``, ``classes_``, ``input_scaling_`` (:class:`~pumap_core.scaling.InputScaling`).

    ``umap_weight`` scales UMAP's cross-entropy (1 = the paper's loss). Set to 0
    with labels ``y`` it trains the classifier head alone, the baseline of the
    paper's semi-supervised experiments (§5.5); then ``embedding_`` is the
    untrained output layer and only ``predict`` is meaningful.
    ``classifier_input="latent"`` makes the head read the codes z that UMAP's
    loss shapes instead of the encoder's last hidden layer: with few labels
    that is where the unlabelled data help (``experiments/semi_supervised.py``).

    **Map and code.** With ``code_components=None`` (the default) the map is the
    code: ``transform``, ``encode`` and ``embedding_`` are the same
    ``n_components``-D points and the decoder reads them. With an int d the
    model has two codes (a *two-code model*, :class:`~pumap_core.nets.CodeMapEncoder`):
    the encoder produces a d-D code that the decoder reads (wide enough to hold
    a face), and a small map head turns each code into the ``n_components``-D
    map, trained on the same UMAP graph at the same time. ``transform`` gives
    the map, ``encode`` the codes, ``decode`` images from codes, ``codes_at``
    plausible codes for any map point (for clicks on empty space), and
    ``inverse_transform`` (map → data, as in scikit-learn) is
    ``decode(codes_at(points))``. ``code_umap_weight`` adds UMAP's loss on the
    codes themselves; ``map_grad`` lets UMAP's loss on the map shape the codes
    (0: the map reads the codes without changing them). Fitted attribute
    ``codes_``: the codes of the training rows (``embedding_`` for one-code models).
    """

    def __init__(
        self,
        n_components: int = 2,
        n_neighbors: int = 15,
        metric: str = "euclidean",
        min_dist: float = 0.1,
        spread: float = 1.0,
        negative_sample_rate: int = 5,
        repulsion_strength: float = 1.0,
        n_epochs: int | None = None,
        batch_size: int | str = "auto",
        learning_rate: float = 1e-2,
        init: str | None = "spectral",
        input_noise: float | str | None = "auto",
        umap_weight: float = 1.0,
        global_correlation_weight: float = 0.0,
        reconstruction: bool = False,
        reconstruction_weight: float = 1.0,
        reconstruction_loss: str = "auto",
        reconstruction_grad: bool = True,
        reconstruction_rows: int | str | None = "auto",
        classifier_weight: float | None = None,
        classifier_input: str = "hidden",
        encoder: str | nn.Module = "auto",
        decoder: str | nn.Module = "auto",
        input_projection: str | int | None = "auto",
        negatives: str = "batch_all",
        knn_method: str = "auto",
        device: str = "auto",
        random_state: int | None = None,
        verbose: bool = False,
        callback: Callable[[Snapshot], None] | None = None,
        snapshot_embedding: str | int | None = None,
        snapshot_interval: float = 0.5,
        code_components: int | None = None,
        code_umap_weight: float = 0.0,
        map_grad: float = 0.0,
        map_epochs: int = 0,
        conv_widths: tuple[int, ...] | None = None,
    ) -> None:
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.metric = metric
        self.min_dist = min_dist
        self.spread = spread
        self.negative_sample_rate = negative_sample_rate
        self.repulsion_strength = repulsion_strength
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.init = init
        self.input_noise = input_noise
        self.umap_weight = umap_weight
        self.global_correlation_weight = global_correlation_weight
        self.reconstruction = reconstruction
        self.reconstruction_weight = reconstruction_weight
        self.reconstruction_loss = reconstruction_loss
        self.reconstruction_grad = reconstruction_grad
        self.reconstruction_rows = reconstruction_rows
        self.classifier_weight = classifier_weight
        self.classifier_input = classifier_input
        self.encoder = encoder
        self.decoder = decoder
        self.input_projection = input_projection
        self.negatives = negatives
        self.knn_method = knn_method
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callback = callback
        self.snapshot_embedding = snapshot_embedding
        self.snapshot_interval = snapshot_interval
        self.code_components = code_components
        self.code_umap_weight = code_umap_weight
        self.map_grad = map_grad
        self.map_epochs = map_epochs
        self.conv_widths = conv_widths

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any = None, *, graph: NeighborGraph | None = None,
            knn: tuple[np.ndarray, np.ndarray] | None = None,
            controls: TrainingControls | None = None,
            callback: Callable[[Snapshot], None] | None = None,
            input_scale: float | None = None) -> ParametricUMAP:
        """Learn the graph of ``X`` and train the networks on it.

        ``y`` (optional): class codes, −1 for unlabelled rows, for the
        classifier head. ``graph``: a :class:`~pumap_core.graph.NeighborGraph` of
        ``X`` built before (:func:`~pumap_core.graph.build_graph`, with this
        model's ``n_neighbors`` and ``metric``), used instead of building one.
        ``knn``: a precomputed ``(indices, distances)``.
        ``controls``: live controls another thread may change while this runs.
        ``callback``: receives :class:`~pumap_core.training.live.Snapshot` s.
        ``input_scale``: what made ``X`` from raw values (uint8: 1/255), see ``input_scaling_``.
        Every parameter and input is checked before the graph is built.
        """
        check_params(self)
        raw_uint8 = getattr(X, "dtype", None) == np.uint8
        X, image_shape = checked_rows(X)
        labels = check_labels(y, X.shape[0])
        check_fit_inputs(self, X, image_shape, graph, knn)
        self._fitting_rows = X  # codes_at's reference while fit runs (a view, not a copy)
        self.n_features_in_, self.image_shape_ = X.shape[1], image_shape
        self.input_scaling_ = InputScaling.of(
            X, 1.0 / 255.0 if raw_uint8 else float(input_scale or 1.0))
        self.device_ = resolve_device(self.device)
        self.a_, self.b_ = find_ab_params(self.min_dist, self.spread)
        self.graph_: NeighborGraph = graph if graph is not None else build_graph(
            X, self.n_neighbors, self.metric, knn=knn, knn_method=self.knn_method,
            random_state=self.random_state, device=self.device_)
        seed = fitting.seed_of(self.random_state)
        self.classes_ = np.unique(labels[labels >= 0]) if labels is not None else None
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            networks, inputs = fitting.build_networks(self, X, image_shape, labels, seed)
        self.encoder_, self.decoder_, self.classifier_ = networks
        self.n_epochs_ = fitting.resolve_epochs(self)
        data = fitting.training_data(self, X, inputs, labels)
        data.layout = fitting.starting_layout(self, X, seed)
        config = fitting.training_config(self, seed, labels)
        monitor = (ConvergenceMonitor.for_graph(self.graph_.knn_indices, seed)
                   if self.n_epochs is None else None)
        train_nets = Networks(fitting.trainable_encoder(self.encoder_),
                              fitting.trainable_decoder(self.decoder_), self.classifier_)
        for net in networks:
            if net is not None:
                net.to(self.device_)
        progress = fitting.progress_bar(self, config, data)
        controls = controls or TrainingControls()
        try:
            self.loss_history_ = train(train_nets, data, config, controls, callback or self.callback,
                                       self.device_, progress=(lambda _: progress.update(1)) if progress else None,
                                       monitor=monitor)
        finally:
            if progress is not None:
                progress.close()
        if self.loss_history_:  # epochs actually trained (fewer than planned once converged)
            self.n_epochs_ = max(1, int(np.ceil(self.loss_history_[-1]["epoch"])))
        self.embedding_ = embed(train_nets.encoder, data.inputs)
        self.codes_ = (embed(CodeEncoderView(train_nets.encoder), data.inputs)
                       if self.code_components is not None else self.embedding_)
        self._adopt_live_settings(controls)
        self._fitting_rows = None
        if self.code_components is not None and self.map_epochs and not controls.stopped:
            self.refine_map(self.map_epochs, controls=controls, callback=callback or self.callback)
        return self

    def refine_map(self, n_epochs: int, controls: TrainingControls | None = None,
                   callback: Callable[[Snapshot], None] | None = None,
                   batch_size: int = 512, learning_rate: float = fitting.MAP_LEARNING_RATE
                   ) -> ParametricUMAP:
        """Two-code models: train the map head alone for ``n_epochs`` more epochs on the
        training codes ``codes_`` (fixed), with UMAP's loss on the fitted graph.

        The map head is small and its inputs are d numbers, so this samples
        far more edges per second than the joint training, whose steps pay for
        the conv nets: the map finishes converging. ``fit`` runs it for
        ``map_epochs`` (unless stopped through ``controls``). Needs ``graph_``
        (a fitted model, or one saved with ``include_graph=True``).
        """
        self._check_fitted()
        if not self.has_two_codes:
            raise ValueError("refine_map is for two-code models (code_components=d)")
        if getattr(self, "graph_", None) is None or self.codes_ is None:
            raise ValueError("refine_map needs the neighbour graph and the training codes: fit "
                             "the model (or load one saved with include_graph=True)")
        head = MapHeadView(self.encoder_)
        codes = torch.from_numpy(np.ascontiguousarray(self.codes_, dtype=np.float32)).to(self.device_)
        data = TrainingData(inputs=codes, edges=self.graph_.edges)
        config = fitting.map_config(self, n_epochs, batch_size, learning_rate,
                                    fitting.seed_of(self.random_state))
        history = train(Networks(head), data, config, controls, callback, self.device_)
        self.loss_history_ = list(self.loss_history_ or []) + [
            {**h, "stage": "map"} for h in history]
        self.embedding_ = embed(head, codes)
        return self

    def _adopt_live_settings(self, controls: TrainingControls) -> None:
        """Settings changed while training become the estimator's own, so that a saved
        model describes the curve and weights it was trained with."""
        _, changed = controls.read()
        params = self.get_params(deep=False)
        for name, value in changed.items():
            if name in params:
                setattr(self, name, value)
        self.a_, self.b_ = find_ab_params(self.min_dist, self.spread)

    def fit_transform(self, X: Any, y: Any = None, **fit_params) -> np.ndarray:
        """Fit, then return the embedding of the training data."""
        return self.fit(X, y, **fit_params).embedding_

    # ------------------------------------------------------------- transform
    def transform(self, X: Any, batch_size: int | None = None) -> np.ndarray:
        """Map coordinates (n × ``n_components``) of new rows, ``batch_size`` rows at a time
        (None: the device's chunk, :mod:`pumap_core.model.inference`): any number of rows."""
        self._check_fitted()
        return self._run_encoder(self.encoder_, X, batch_size)

    def encode(self, X: Any, batch_size: int | None = None) -> np.ndarray:
        """Codes of new rows, what ``decode`` reads: n × ``code_components`` for a
        two-code model, else the same as ``transform`` (the map is the code)."""
        self._check_fitted()
        network = CodeEncoderView(self.encoder_) if self.has_two_codes else self.encoder_
        return self._run_encoder(network, X, batch_size)

    def _run_encoder(self, network: nn.Module, X: Any, batch_size: int | None) -> np.ndarray:
        rows = check_new_rows(self, X, finite=False)  # run_rows checks them where they go
        rows, _ = getattr(self, "input_scaling_", InputScaling()).apply(rows)  # raw rows scaled
        return run_rows(network, rows, self.device_, batch_size)

    def decode(self, codes: Any, batch_size: int = 16384) -> np.ndarray:
        """Images (n × h × w [× c]) — or rows, for data without an image shape — from codes
        (n × ``code_width``, as ``encode`` gives them)."""
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
        out = embed(self.decoder_, torch.from_numpy(codes).to(self.device_), chunk=batch_size)
        return out.reshape(-1, *self.image_shape_) if self.image_shape_ else out

    def inverse_transform(self, Z: Any, batch_size: int = 16384) -> np.ndarray:
        """Map points back to data space (images keep their shape), as in scikit-learn.

        One-code models decode the points themselves (the map is the code).
        Two-code models decode ``codes_at(Z)``: the codes interpolated from the
        training rows mapped nearest to each point.
        """
        self._check_fitted()
        if not self.has_two_codes:
            return self.decode(Z, batch_size)
        if self.decoder_ is None:
            raise ValueError("this model has no decoder; fit with reconstruction=True to decode")
        return self.decode(self.codes_at(Z), batch_size)

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
        """Whether the map and the code differ (``code_components`` was set)."""
        return isinstance(getattr(self, "encoder_", None), CodeMapEncoder)

    @property
    def code_width(self) -> int:
        """Columns of a code: ``code_components`` for two-code models, else ``n_components``."""
        return int(self.code_components) if self.has_two_codes else int(self.n_components)

    def check_input(self, X: Any) -> None:
        """A ValueError naming why ``X`` cannot be encoded: image size, channels, width."""
        self._encoder_inputs(X)

    def _encoder_inputs(self, X: Any) -> torch.Tensor:
        self._check_fitted()  # rows that arrive raw are scaled as the training rows were
        rows, _ = getattr(self, "input_scaling_", InputScaling()).apply(check_new_rows(self, X))
        return torch.from_numpy(rows).to(self.device_)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities from the classifier head (fitted with labels)."""
        self._check_fitted()
        if self.classifier_ is None:
            raise ValueError("this model has no classifier; fit with labels y to train one")
        x = self._encoder_inputs(X)
        self.encoder_.eval()
        with torch.no_grad():
            logits = self.classifier_(classifier_input(self.encoder_, x, self.classifier_input))
        return torch.softmax(logits, 1).cpu().numpy()[:, self.classes_]

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), 1)]

    # ---------------------------------------------------------- persistence
    def save(self, path: str | os.PathLike, include_graph: bool = False) -> None:
        """Save weights and configuration to one safetensors file (see :mod:`pumap_core.persistence`)."""
        self._check_fitted()
        model_to_file(self, path, include_graph)

    @classmethod
    def load(cls, path: str | os.PathLike, encoder: nn.Module | None = None,
             decoder: nn.Module | None = None, device: str = "auto") -> ParametricUMAP:
        """Load a saved model. Custom (non built-in) networks must be passed in
        again, since a model file never carries code."""
        return model_from_file(cls, path, encoder, decoder, device)

    def export_onnx(self, path: str | os.PathLike, opset: int = 17) -> None:
        """Export the encoder (flat float32 rows → codes) to ONNX, batch size dynamic."""
        self._check_fitted()
        encoder_to_onnx(self, path, opset)

    # ------------------------------------------------------------- helpers
    def _check_fitted(self) -> None:
        if not hasattr(self, "encoder_"):
            raise ValueError("this ParametricUMAP is not fitted yet; call fit(X) first")
