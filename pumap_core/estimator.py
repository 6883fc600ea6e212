"""``ParametricUMAP``: the scikit-learn style estimator around graph, nets and loop."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from torch import nn

from . import nets
from .controls import LIVE, Snapshot, TrainingControls, check_live_settings
from .convergence import ConvergenceMonitor
from .curve import find_ab_params
from .graph import NeighborGraph, build_graph
from .initialization import INITS, initial_layout
from .training import Networks, TrainingConfig, TrainingData, embed, train
from .validation import as_float_rows, check_fit_data, check_labels

#: "auto" epochs aim at about this many sampled edges (bounded by AUTO_EPOCHS).
AUTO_EDGE_SAMPLES = 6_000_000
AUTO_EPOCHS = (10, 100)
#: "auto" input projection: PCA to this many dimensions for wider MLP inputs.
AUTO_PROJECTION = 100
#: Learning rate of the map stage (``refine_map``): the map head is small and its
#: inputs fixed; on CelebA codes 1e-2 reached a higher held-out trustworthiness in 30
#: epochs than 3e-3 (.854 vs .849).
MAP_LEARNING_RATE = 1e-2
#: regression steps onto the initial layout before UMAP's loss takes over.
WARM_START_STEPS = 300
#: "auto" input noise: noise in data space whose expected length is this multiple of
#: the median distance from a row to its nearest neighbour (a noisy row stays near
#: its neighbourhood); seen through a frozen projection, only its projected part is left.
AUTO_NOISE_SCALE = 1.5
#: ... at full strength up to this many rows, then shrinking as 1/sqrt(rows): small data
#: over-fits without it (digits, 1,500 rows: held-out 1-NN .93 -> .97), large data is
#: its own regulariser and loses class separation to it (MNIST: 1-NN .93 -> .90);
#: benchmarks/results/engine_choices.md.
AUTO_NOISE_ROWS = 5000
#: "auto" reconstruction: decode at most this many rows of each batch.
AUTO_RECONSTRUCTION_ROWS = 128
#: While ``fit`` runs, ``codes_at`` interpolates from every k-th training row, this many.
FITTING_REFERENCE_ROWS = 2000


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"``: CUDA when available, else Apple's MPS, else the CPU."""
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    return torch.device(device)


def _shape_text(shape) -> str:
    """(32, 32, 3) → "32×32×3"."""
    return "×".join(str(int(s)) for s in shape)


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
    ``n_epochs_``, ``classes_``.

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
        batch_size: int = 256,
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
    def fit(self, X: Any, y: Any = None, *, knn: tuple[np.ndarray, np.ndarray] | None = None,
            controls: TrainingControls | None = None,
            callback: Callable[[Snapshot], None] | None = None) -> ParametricUMAP:
        """Learn the graph of ``X`` and train the networks on it.

        ``y`` (optional): class codes, −1 for unlabelled rows, for the
        classifier head. ``knn``: a precomputed ``(indices, distances)``.
        ``controls``: live controls another thread may change while this runs.
        ``callback``: receives :class:`~pumap_core.controls.Snapshot` s.
        """
        self._check_params()
        X, image_shape = as_float_rows(X)
        self._fitting_rows = X  # codes_at's reference while fit runs (a view, not a copy)
        if self.metric != "precomputed":
            check_fit_data(X, self.n_neighbors)
        labels = check_labels(y, X.shape[0])
        self.n_features_in_, self.image_shape_ = X.shape[1], image_shape
        self.device_ = resolve_device(self.device)
        self.a_, self.b_ = find_ab_params(self.min_dist, self.spread)
        self.graph_: NeighborGraph = build_graph(
            X, self.n_neighbors, self.metric, knn=knn, knn_method=self.knn_method,
            random_state=self.random_state)
        if self.metric == "precomputed":
            raise ValueError("metric='precomputed' builds a graph but has no features to encode; "
                             "pass the data X and knn=(indices, distances) instead")
        seed = self._seed()
        self.classes_ = np.unique(labels[labels >= 0]) if labels is not None else None
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            networks, inputs = self._build_networks(X, image_shape, labels, seed)
        self.encoder_, self.decoder_, self.classifier_ = networks
        self.n_epochs_ = self._resolve_epochs()
        data = self._training_data(X, inputs, labels)
        data.layout = self._initial_layout(X, seed)
        config = self._training_config(seed, self._classifier_weight(labels))
        config.input_noise = self._input_noise()
        monitor = (ConvergenceMonitor.for_graph(self.graph_.knn_indices, seed)
                   if self.n_epochs is None else None)
        train_nets = Networks(self._trainable_encoder(), self.decoder_, self.classifier_)
        for net in (self.encoder_, self.decoder_, self.classifier_):
            if net is not None:
                net.to(self.device_)
        progress = self._progress_bar(config, data)
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
        self.codes_ = (embed(nets.CodeEncoderView(train_nets.encoder), data.inputs)
                       if self.code_components is not None else self.embedding_)
        self._adopt_live_settings(controls)
        self._fitting_rows = None
        if self.code_components is not None and self.map_epochs and \
                not (controls is not None and controls.stopped):
            self.refine_map(self.map_epochs, controls=controls, callback=callback or self.callback)
        return self

    def refine_map(self, n_epochs: int, controls: TrainingControls | None = None,
                   callback: Callable[[Snapshot], None] | None = None,
                   batch_size: int = 512, learning_rate: float = MAP_LEARNING_RATE
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
        head = nets.MapHeadView(self.encoder_)
        codes = torch.from_numpy(np.ascontiguousarray(self.codes_, dtype=np.float32)).to(self.device_)
        data = TrainingData(inputs=codes, edges=self.graph_.edges)
        seed = self._seed()
        rows = self._snapshot_rows(seed)
        config = TrainingConfig(
            n_epochs=int(n_epochs), batch_size=int(batch_size),
            negative_sample_rate=self.negative_sample_rate, negatives="batch_all",
            learning_rate=float(learning_rate), min_dist=self.min_dist, spread=self.spread,
            repulsion_strength=self.repulsion_strength, umap_weight=1.0,
            snapshot_interval=self.snapshot_interval, snapshot_rows=rows, seed=seed)
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
    def transform(self, X: Any, batch_size: int = 16384) -> np.ndarray:
        """Map coordinates (n × ``n_components``) of new rows (chunked: any number of rows)."""
        inputs = self._encoder_inputs(X)
        return embed(self.encoder_, inputs, chunk=batch_size)

    def encode(self, X: Any, batch_size: int = 16384) -> np.ndarray:
        """Codes of new rows, what ``decode`` reads: n × ``code_components`` for a
        two-code model, else the same as ``transform`` (the map is the code)."""
        inputs = self._encoder_inputs(X)
        if not self.has_two_codes:
            return embed(self.encoder_, inputs, chunk=batch_size)
        return embed(nets.CodeEncoderView(self.encoder_), inputs, chunk=batch_size)

    def decode(self, codes: Any, batch_size: int = 16384) -> np.ndarray:
        """Images (n × h × w [× c]) — or rows, for data without an image shape — from codes
        (n × ``code_width``, as ``encode`` gives them)."""
        self._check_fitted()
        if self.decoder_ is None:
            raise ValueError("this model has no decoder; fit with reconstruction=True to decode")
        codes, _ = as_float_rows(codes, name="codes")
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
        from .features import interpolate_codes

        self._check_fitted()
        P, _ = as_float_rows(points, name="points")
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
        return isinstance(getattr(self, "encoder_", None), nets.CodeMapEncoder)

    @property
    def code_width(self) -> int:
        """Columns of a code: ``code_components`` for two-code models, else ``n_components``."""
        return int(self.code_components) if self.has_two_codes else int(self.n_components)

    def check_input(self, X: Any) -> None:
        """Raise a ValueError naming the problem when ``X`` (rows or images) cannot be
        encoded by this model: another image size or channel count, another width."""
        self._encoder_inputs(X)

    def _encoder_inputs(self, X: Any) -> torch.Tensor:
        self._check_fitted()
        X, image_shape = as_float_rows(X)
        fitted = self.image_shape_
        if image_shape is not None and fitted is not None and tuple(image_shape) != tuple(fitted):
            raise ValueError(f"X holds images of shape {_shape_text(image_shape)}, but this model "
                             f"was fitted on {_shape_text(fitted)} images; load or resize the "
                             "data to that size and channel count")
        if X.shape[1] != self.n_features_in_:
            what = f" ({_shape_text(fitted)} images)" if fitted is not None else ""
            raise ValueError(f"X has {X.shape[1]} features, but this model was fitted with "
                             f"{self.n_features_in_}{what}")
        return torch.from_numpy(X).to(self.device_)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities from the classifier head (fitted with labels)."""
        self._check_fitted()
        if self.classifier_ is None:
            raise ValueError("this model has no classifier; fit with labels y to train one")
        X, _ = as_float_rows(X)
        x = torch.from_numpy(X).to(self.device_)
        self.encoder_.eval()
        with torch.no_grad():
            logits = self.classifier_(nets.classifier_input(self.encoder_, x, self.classifier_input))
        return torch.softmax(logits, 1).cpu().numpy()[:, self.classes_]

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), 1)]

    # ---------------------------------------------------------- persistence
    def save(self, path: str | os.PathLike, include_graph: bool = False) -> None:
        """Save weights and configuration to one safetensors file (see :mod:`pumap_core.io`)."""
        from .persistence import model_to_file

        self._check_fitted()
        model_to_file(self, path, include_graph)

    @classmethod
    def load(cls, path: str | os.PathLike, encoder: nn.Module | None = None,
             decoder: nn.Module | None = None, device: str = "auto") -> ParametricUMAP:
        """Load a saved model. Custom (non built-in) networks must be passed in
        again, since a model file never carries code."""
        from .persistence import model_from_file

        return model_from_file(cls, path, encoder, decoder, device)

    def export_onnx(self, path: str | os.PathLike, opset: int = 17) -> None:
        """Export the encoder (flat float32 rows → codes) to ONNX, batch size dynamic."""
        from .persistence import encoder_to_onnx

        self._check_fitted()
        encoder_to_onnx(self, path, opset)

    # ------------------------------------------------------------- helpers
    def _check_fitted(self) -> None:
        if not hasattr(self, "encoder_"):
            raise ValueError("this ParametricUMAP is not fitted yet; call fit(X) first")

    def _check_params(self) -> None:
        def positive_int(name, low=1):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {v!r}")

        positive_int("n_components")
        if self.code_components is not None:
            positive_int("code_components")
        positive_int("map_epochs", 0)
        positive_int("n_neighbors", 2)
        positive_int("batch_size")
        positive_int("negative_sample_rate", 0)
        if self.n_epochs is not None:
            positive_int("n_epochs")
        check_live_settings({name: getattr(self, name) for name in LIVE
                             if getattr(self, name, None) is not None},
                            {"spread": self.spread})
        if not 0.0 <= float(self.map_grad) <= 1.0:
            raise ValueError(f"map_grad must be in [0, 1], got {self.map_grad!r}")
        if self.classifier_input not in nets.CLASSIFIER_INPUTS:
            raise ValueError(f"classifier_input must be one of {nets.CLASSIFIER_INPUTS}, "
                             f"got {self.classifier_input!r}")
        if self.init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {self.init!r}")
        if self.input_noise not in (None, "auto") and not float(self.input_noise) >= 0:
            raise ValueError(f"input_noise must be 'auto', None or a number >= 0, got {self.input_noise!r}")
        if self.reconstruction_rows not in (None, "auto"):
            positive_int("reconstruction_rows")
        if self.reconstruction_loss not in ("auto", "mse", "bce"):
            raise ValueError(f"reconstruction_loss must be 'auto', 'mse' or 'bce', "
                             f"got {self.reconstruction_loss!r}")

    def _seed(self) -> int:
        if self.random_state is None:
            return int(np.random.SeedSequence().generate_state(1)[0])
        if isinstance(self.random_state, np.random.RandomState):
            return int(self.random_state.randint(2**31 - 1))
        return int(self.random_state)

    def _build_networks(self, X, image_shape, labels, seed):
        n, d = X.shape
        encoder = self.encoder
        inputs = torch.from_numpy(X)
        width = self.code_components or self.n_components  # what the decoder reads
        widths = tuple(self.conv_widths) if self.conv_widths else nets.CONV_WIDTHS
        pca = None
        if "pca_conv" in (encoder, self.decoder if self.reconstruction else None):
            pca = nets.pca_init(X, width, random_state=seed % 2**31)
        if isinstance(encoder, nn.Module):
            encoder_ = encoder
        else:
            encoder_ = nets.default_encoder(d, width, image_shape, encoder, widths)
            if isinstance(encoder_, nets.PCAConvEncoder):
                encoder_.init_pca(*pca)
            n_proj = self._projection_size(d, encoder_)
            if n_proj:
                projection = nets.InputProjection.pca(X, n_proj, random_state=seed % 2**31)
                encoder_ = nets.ProjectedEncoder(projection, nets.MLPEncoder(n_proj, width))
                with torch.no_grad():
                    inputs = projection(inputs)
        if self.code_components is not None:
            encoder_ = nets.CodeMapEncoder(encoder_, self.n_components, map_grad=self.map_grad,
                                           code_components=width)
        decoder_ = None
        if self.reconstruction:
            if isinstance(self.decoder, nn.Module):
                decoder_ = self.decoder
            else:
                unit = bool(X.min() >= 0.0 and X.max() <= 1.0)
                decoder_ = nets.default_decoder(d, width, image_shape, unit, self.decoder, widths)
                if isinstance(decoder_, nets.PCAConvDecoder):
                    decoder_.init_pca(*pca)
        classifier_ = None
        if self.classes_ is not None and len(self.classes_) and self._classifier_weight(labels) > 0:
            n_classes = int(self.classes_.max()) + 1
            width = self.n_components if self.classifier_input == "latent" else \
                getattr(encoder_, "n_hidden_features", self.n_components)
            classifier_ = nets.ClassifierHead(width, n_classes)
        return (encoder_, decoder_, classifier_), inputs

    def _projection_size(self, d: int, encoder: nn.Module) -> int:
        if not isinstance(encoder, nets.MLPEncoder) or self.input_projection is None:
            return 0
        if self.input_projection == "auto":
            return AUTO_PROJECTION if d > 2 * AUTO_PROJECTION else 0
        size = int(self.input_projection)
        if not 1 <= size <= d:
            raise ValueError(f"input_projection must be in [1, {d}] (the number of features), got {size}")
        return size

    def _trainable_encoder(self) -> nn.Module:
        """With a frozen projection the data are projected once; train the MLP behind it."""
        if isinstance(self.encoder_, nets.ProjectedEncoder):
            return self.encoder_.encoder
        if isinstance(self.encoder_, nets.CodeMapEncoder) and \
                isinstance(self.encoder_.code_net, nets.ProjectedEncoder):
            return self.encoder_.with_code_net(self.encoder_.code_net.encoder)
        return self.encoder_

    def _classifier_weight(self, labels) -> float:
        if labels is None or not (labels >= 0).any():
            return 0.0
        return 1.0 if self.classifier_weight is None else float(self.classifier_weight)

    def _initial_layout(self, X: np.ndarray, seed: int) -> torch.Tensor | None:
        layout = initial_layout(self.init, X, self.graph_.edges, self.n_components, seed % 2**31)
        return None if layout is None else torch.from_numpy(layout).to(self.device_)

    def _input_noise(self) -> float:
        """``"auto"``: per-feature noise whose length over all features is
        :data:`AUTO_NOISE_SCALE` times the median nearest-neighbour distance, less on
        data of more than :data:`AUTO_NOISE_ROWS` rows."""
        if self.input_noise is None:
            return 0.0
        if self.input_noise != "auto":
            return float(self.input_noise)
        rho = float(np.median(self.graph_.rhos))
        if self.metric != "euclidean" or not np.isfinite(rho) or rho <= 0:
            return 0.0
        shrink = min(1.0, float(np.sqrt(AUTO_NOISE_ROWS / self.graph_.edges.n_vertices)))
        return shrink * AUTO_NOISE_SCALE * rho / float(np.sqrt(self.n_features_in_))

    def _reconstruction_rows(self) -> int | None:
        if self.reconstruction_rows == "auto":
            return AUTO_RECONSTRUCTION_ROWS
        return None if self.reconstruction_rows is None else int(self.reconstruction_rows)

    def _resolve_epochs(self) -> int:
        if self.n_epochs is not None:
            return int(self.n_epochs)
        mass = float(self.graph_.edges.weight.sum())
        low, high = AUTO_EPOCHS
        return int(np.clip(round(AUTO_EDGE_SAMPLES / max(mass, 1.0)), low, high))

    def _training_data(self, X, inputs, labels) -> TrainingData:
        dev = self.device_
        targets = torch.from_numpy(X).to(dev) if self.decoder_ is not None else None
        return TrainingData(
            inputs=inputs.to(dev), edges=self.graph_.edges, targets=targets,
            labels=torch.from_numpy(labels).to(dev) if self.classifier_ is not None else None)

    def _training_config(self, seed: int, classifier_weight: float) -> TrainingConfig:
        loss = self.reconstruction_loss
        if loss == "auto":
            loss = "bce" if getattr(self.decoder_, "sigmoid_output", False) else "mse"
        rows = self._snapshot_rows(seed)
        return TrainingConfig(
            n_epochs=self.n_epochs_, batch_size=self.batch_size,
            negative_sample_rate=self.negative_sample_rate, negatives=self.negatives,
            learning_rate=self.learning_rate, min_dist=self.min_dist, spread=self.spread,
            repulsion_strength=self.repulsion_strength, umap_weight=float(self.umap_weight),
            global_correlation_weight=self.global_correlation_weight,
            reconstruction_weight=self.reconstruction_weight if self.decoder_ is not None else 0.0,
            reconstruction_loss=loss, reconstruction_grad=self.reconstruction_grad,
            classifier_weight=classifier_weight if self.classifier_ is not None else 0.0,
            code_umap_weight=float(self.code_umap_weight) if self.code_components is not None else 0.0,
            classifier_input=self.classifier_input,
            warm_start_steps=WARM_START_STEPS if self.init is not None else 0,
            reconstruction_rows=self._reconstruction_rows(),
            snapshot_interval=self.snapshot_interval, snapshot_rows=rows, seed=seed)

    def _snapshot_rows(self, seed: int) -> np.ndarray | None:
        n = self.graph_.edges.n_vertices
        if self.snapshot_embedding == "all":
            return np.arange(n)
        if self.snapshot_embedding is not None:
            k = min(int(self.snapshot_embedding), n)
            return np.sort(np.random.default_rng(seed).choice(n, k, replace=False))
        return None

    def _progress_bar(self, config: TrainingConfig, data: TrainingData):
        if not self.verbose:
            return None
        from tqdm.auto import tqdm

        from .sampling import EdgeSampler

        steps = EdgeSampler(data.edges, config.batch_size).steps_per_epoch * config.n_epochs
        return tqdm(total=steps, desc="ParametricUMAP", unit="step")
