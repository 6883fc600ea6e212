"""``ParametricUMAP``: the scikit-learn style estimator around graph, nets and loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from torch import nn

from ..device import resolve_device
from ..graph.build import NeighborGraph, build_graph
from ..persistence import ModelFiles
from ..training.curve import find_ab_params
from ..training.live import Snapshot, TrainingControls
from ..validation import check_labels
from . import deprecations, fitting
from .continual import ContinuedTraining
from .deprecations import DEPRECATED
from .map_stage import MapStage
from .outputs import FittedOutputs
from .params import check_fit_inputs, check_params, check_snapshots, fit_neighbors, scaled_rows
from .specs import MLP, Conv, TwoCode
from .training_run import run_training


class ParametricUMAP(FittedOutputs, ContinuedTraining, MapStage, ModelFiles, TransformerMixin,
                     BaseEstimator):
    """UMAP whose embedding is a neural network (Sainburg, McInnes & Gentner 2021).

    ``fit`` builds UMAP's fuzzy neighbour graph of ``X`` and trains an encoder
    on its cross-entropy, optionally with a global-structure term, a decoder
    (reconstruction) and, when ``y`` holds labels, a classifier head. The
    fitted encoder embeds new rows with ``transform`` (one forward pass); the
    decoder maps codes back with ``decode`` and ``inverse_transform``.

    Parameters
    ----------
    n_components : int, default=2
        Dimensions of the map (what ``transform`` returns).
    n_neighbors : int, default=15
        Neighbours of each row in UMAP's graph, the row itself included: the
        scale of the structure the map keeps. Lowered, with a warning, to
        ``n_samples - 1`` on smaller data (fitted: ``n_neighbors_``).
    metric : str, default="euclidean"
        Distance of the neighbour search: any pynndescent metric, or
        ``"precomputed"`` (then pass the neighbours: ``fit(X, knn=...)`` or
        ``fit(X, graph=...)``).
    min_dist : float, default=0.1
        How tightly points may pack in the map, at most ``spread``.
        Live: :class:`~pumap_core.TrainingControls` may change it while ``fit``
        runs (fitted: ``min_dist_``).
    spread : float, default=1.0
        Scale of the embedded points; with ``min_dist`` it sets the curve
        ``1 / (1 + a d^2b)`` (fitted: ``a_``, ``b_``). Live.
    negative_sample_rate : int, default=5
        Negative samples per positive edge.
    repulsion_strength : float, default=1.0
        Weight of the negative samples in UMAP's loss. Live.
    negatives : {"batch_all", "uniform", "in_batch"}, default="batch_all"
        Every head of a batch repelled from every tail, weighted to equal
        ``negative_sample_rate`` uniform negatives (no extra forward pass);
        uniform random rows; or other points of the batch.
    knn_method : {"auto", "exact", "nndescent"}, default="auto"
        Exact search (one chunked matrix product) or pynndescent; "auto"
        picks by the size of the data.
    init : {"spectral", "pca"} or None, default="spectral"
        Starting layout the encoder is first regressed onto (a few hundred
        cheap steps); "spectral" falls back to PCA when the graph is not
        connected. None: UMAP's loss from the networks' random start.
    n_epochs : int or None, default=None
        Passes over the graph's edge mass. None: until the map has converged
        (the neighbour recall of a monitored sample stops improving), then
        the learning rate's decay ends within a fifth of the steps so far; at
        most about 6 million sampled edges (10 to 100 epochs).
    batch_size : int or "auto", default="auto"
        Positive edges per optimiser step (each with its negatives). "auto":
        256 on a CPU (the measured best there); 1,024 on CUDA or MPS, where a
        step costs about the same whatever its size, with the learning rate
        doubled (``learning_rate_`` records the rate trained at).
        Not the chunk of ``transform`` (``chunk_size``).
    learning_rate : float, default=1e-2
        Adam's learning rate, decaying linearly to zero over the run. Live
        (fitted: ``learning_rate_``).
    input_noise : "auto", float or None, default="auto"
        Gaussian noise on the encoder's inputs while training only: the map
        must be smooth around each row, as unseen rows need. "auto": 1.5 times
        the median nearest-neighbour distance long (less beyond 5,000 rows); a
        number: its standard deviation per feature; None: off.
    umap_weight : float, default=1.0
        Weight of UMAP's cross-entropy (1: the paper's loss). 0 with labels
        ``y``: the classifier alone, the semi-supervised baseline. Live.
    global_correlation_weight : float, default=0.0
        Weight of the global-structure loss (paper eq. 5.1: minus the Pearson
        correlation of distances in data and map within a batch). Our UMAP
        loss is summed per positive edge, umap-learn's is a batch mean: its
        weight w is our w * (1 + ``negative_sample_rate``). Live.
    reconstruction : bool, default=False
        Train a decoder too (UMAP/autoencoder hybrid, paper §4.1): needed by
        ``decode`` and ``inverse_transform``.
    reconstruction_weight : float, default=1.0
        Weight of the decoder's loss. Live (0: the decoder is not trained).
    reconstruction_loss : {"auto", "mse", "bce"}, default="auto"
        Squared error, or binary cross-entropy for data in [0, 1]; "auto":
        BCE when the decoder ends in a sigmoid, else MSE.
    reconstruction_grad : bool, default=True
        Whether the decoder's loss also trains the encoder (False: the decoder
        learns to read codes that UMAP's loss alone shapes).
    reconstruction_rows : int, "auto" or None, default="auto"
        The decoder reconstructs at most this many random rows of each batch
        (a uniform subset: the gradient stays unbiased). "auto": 256.
    classifier_weight : float or None, default=None
        Weight of the classifier head's cross-entropy on the labelled rows of
        ``y``. None: 1 when ``y`` has labels. Live.
    classifier_input : {"hidden", "latent"}, default="hidden"
        What the classifier head reads: the encoder's last hidden layer, or
        the codes z that UMAP's loss shapes (better with few labels).
    landmark_weight : float, default=0.1
        ``partial_fit``: weight of the landmark loss, which draws rows trained on before
        back to where the earlier map had them, as UMAP's attraction ``log(1 + d²)`` with d
        in units of that map's neighbour distance. Live; 0: the old map may move freely.
    encoder : "auto", "mlp", "conv", "pca_conv", MLP, Conv or nn.Module, default="auto"
        The encoder. "auto": convolutions for colour or large images, an MLP
        otherwise. :class:`~pumap_core.MLP` and :class:`~pumap_core.Conv`
        set a built-in network's widths. A ``torch.nn.Module`` (flat rows in,
        ``n_components`` columns out) is copied: ``fit`` trains the copy,
        ``encoder_``, and never changes the module given.
    decoder : "auto", "mlp", "conv", "pca_conv", MLP, Conv or nn.Module, default="auto"
        The decoder, when ``reconstruction`` is True; as ``encoder``. Behind
        ``input_projection`` the "auto" decoder predicts the projection's
        coordinates (no full-width output layer) and maps them back.
    input_projection : "auto", int or None, default="auto"
        A frozen PCA first layer of this width in front of a built-in MLP
        encoder, applied once to the data: training never pays for the wide
        layer. "auto": 100 beyond 200 features; None: the full-width layer.
    two_code : TwoCode or None, default=None
        A *two-code model* (:class:`~pumap_core.TwoCode`): a wide code for the
        decoder, a small head from it to the map. None: the map is the code.
    code_umap_weight : float, default=0.0
        Two-code models: weight of UMAP's loss on the codes themselves (what
        makes directions in code space meaningful). Live; non-zero without
        ``two_code`` is an error.
    device : str, default="auto"
        Torch device: "auto" picks CUDA, else Apple's MPS, else the CPU.
    random_state : int, RandomState or None, default=None
        Seed of everything random in ``fit`` (sampling, initial weights,
        the graph's search). Same seed, same data: the same map on a CPU.
    verbose : bool, default=False
        A progress bar over the training steps (on stderr).
    callback : deprecated
        Use ``fit(X, callback=...)``.
    snapshot_embedding : deprecated
        Use ``fit(X, snapshot_embedding=...)``.
    snapshot_interval : deprecated
        Use ``fit(X, snapshot_interval=...)``.
    code_components : deprecated
        Use ``two_code=TwoCode(code_components=...)``.
    map_grad : deprecated
        Use ``two_code=TwoCode(map_grad=...)``.
    map_epochs : deprecated
        Use ``two_code=TwoCode(map_epochs=...)``.
    conv_widths : deprecated
        Use ``encoder=Conv(widths=...)`` (and ``decoder=``).

    Attributes
    ----------
    graph_ : NeighborGraph
        The neighbour graph trained on (kNN, fuzzy weights, edges).
    embedding_ : ndarray of shape (n_samples, n_components)
        The map of the training rows.
    codes_ : ndarray of shape (n_samples, code_width)
        Their codes (for one-code models the same array as ``embedding_``).
    encoder_, decoder_, classifier_ : nn.Module or None
        The trained networks.
    loss_history_ : list of dict
        Per epoch: ``epoch``, ``step`` and the mean of each loss term.
    n_epochs_ : int
        Epochs actually trained (fewer than planned once converged).
    n_neighbors_ : int
        Neighbours used by the graph (``n_neighbors``, or fewer on small data).
    a_, b_ : float
        The curve of the final ``min_dist_`` and ``spread_``.
    min_dist_, spread_, learning_rate_, repulsion_strength_ : float
        Each live setting as the run ended (a :class:`~pumap_core.TrainingControls`
        may change them while ``fit`` runs); likewise ``umap_weight_``,
        ``global_correlation_weight_``, ``reconstruction_weight_``,
        ``code_umap_weight_``, ``classifier_weight_`` and ``landmark_weight_``.
    n_features_in_ : int
        Features of a row (pixels of an image).
    image_shape_ : tuple or None
        (h, w[, c]) when fitted on images: ``decode`` returns that shape.
    classes_ : ndarray or None
        Class codes seen in ``y`` (labelled rows only).
    training_labels_ : ndarray of shape (n_samples,) or None
        The ``y`` of the last ``fit`` or ``partial_fit`` (−1: unlabelled).
    class_names_ : list of str (or None) or None
        A name for each class code (None: a code no longer used). ``fit`` sets None;
        whoever names the classes (the app, a script) sets it, and model files keep it.
    n_landmarks_, landmark_scale_, landmark_displacement_ : int, float or None
        Rows the last ``partial_fit`` held with the landmark loss (0 after ``fit``), the
        map distance that counted as one unit, and how far the held rows moved (median,
        after Procrustes alignment, in that unit).
    input_scaling_ : InputScaling
        How the training rows were made from raw values, and their range:
        ``transform`` scales rows that arrive raw the same way.
    device_ : torch.device
        Where the networks live.

    See Also
    --------
    pumap_core.TwoCode : the two-code model's settings.
    pumap_core.TrainingControls : change live settings, pause or stop a running ``fit``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from pumap_core import ParametricUMAP
    >>> X = load_digits().data / 16
    >>> model = ParametricUMAP(n_epochs=5, random_state=0).fit(X)  # doctest: +SKIP
    >>> model.transform(X[:3]).shape  # doctest: +SKIP
    (3, 2)
    """

    def __init__(
        self,
        n_components: int = 2,
        *,
        n_neighbors: int = 15,
        metric: str = "euclidean",
        min_dist: float = 0.1,
        spread: float = 1.0,
        negative_sample_rate: int = 5,
        repulsion_strength: float = 1.0,
        negatives: str = "batch_all",
        knn_method: str = "auto",
        init: str | None = "spectral",
        n_epochs: int | None = None,
        batch_size: int | str = "auto",
        learning_rate: float = 1e-2,
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
        landmark_weight: float = 0.1,
        encoder: str | MLP | Conv | nn.Module = "auto",
        decoder: str | MLP | Conv | nn.Module = "auto",
        input_projection: str | int | None = "auto",
        two_code: TwoCode | None = None,
        code_umap_weight: float = 0.0,
        device: str = "auto",
        random_state: int | None = None,
        verbose: bool = False,
        # deprecated spellings, for one release (see pumap_core.model.deprecations)
        callback: Any = DEPRECATED, snapshot_embedding: Any = DEPRECATED,
        snapshot_interval: Any = DEPRECATED, code_components: Any = DEPRECATED,
        map_grad: Any = DEPRECATED, map_epochs: Any = DEPRECATED, conv_widths: Any = DEPRECATED,
    ) -> None:
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.metric = metric
        self.min_dist = min_dist
        self.spread = spread
        self.negative_sample_rate = negative_sample_rate
        self.repulsion_strength = repulsion_strength
        self.negatives = negatives
        self.knn_method = knn_method
        self.init = init
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
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
        self.landmark_weight = landmark_weight
        self.encoder = encoder
        self.decoder = decoder
        self.input_projection = input_projection
        self.two_code = two_code
        self.code_umap_weight = code_umap_weight
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callback, self.snapshot_embedding = callback, snapshot_embedding
        self.snapshot_interval, self.code_components = snapshot_interval, code_components
        self.map_grad, self.map_epochs, self.conv_widths = map_grad, map_epochs, conv_widths

    # ------------------------------------------------------------------ fit
    def fit(self, X: Any, y: Any = None, *, graph: NeighborGraph | None = None,
            knn: tuple[np.ndarray, np.ndarray] | None = None,
            controls: TrainingControls | None = None,
            callback: Callable[[Snapshot], None] | None = None,
            snapshot_embedding: str | int | None = None,
            snapshot_interval: float | None = None, input_scale: float | None = None,
            ) -> ParametricUMAP:
        """Build the neighbour graph of ``X`` and train the networks on it.

        Every parameter and input is checked before the graph is built.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or images (n, h, w[, c])
            Training rows: numpy arrays, lists, pandas DataFrames, torch
            tensors, scipy sparse matrices (made dense); uint8 pixels are
            scaled to [0, 1].
        y : array-like of shape (n_samples,), optional
            Class codes, -1 (or NaN) for unlabelled rows: trains a classifier
            head (``predict``), semi-supervised.
        graph : NeighborGraph, optional
            A graph of ``X`` built before (:func:`pumap_core.graph.build_graph`
            with this model's ``n_neighbors`` and ``metric``): the search is skipped.
        knn : tuple (indices, distances), optional
            A precomputed kNN of ``X``, each of shape (n_samples, n_neighbors).
        controls : TrainingControls, optional
            Live controls another thread may change while this runs.
        callback : callable, optional
            Receives a :class:`~pumap_core.Snapshot` every ``snapshot_interval``
            seconds and at the end.
        snapshot_embedding : "all", int or None, default=None
            Rows whose current map snapshots carry: all, a random sample of
            this many, or none.
        snapshot_interval : float, default=0.5
            Seconds between snapshots.
        input_scale : float, optional
            What made ``X`` from raw values (uint8: 1/255 by itself): ``input_scaling_``.

        Returns
        -------
        self : ParametricUMAP
        """
        deprecations.warn_given(self)
        check_params(self)
        callback, snapshot_embedding, snapshot_interval = deprecations.run_hooks(
            self, callback, snapshot_embedding, snapshot_interval)
        check_snapshots(snapshot_embedding, snapshot_interval)
        X, image_shape, self.input_scaling_ = scaled_rows(X, input_scale)
        labels = check_labels(y, X.shape[0])
        self.n_neighbors_ = fit_neighbors(self.n_neighbors, X.shape[0])
        check_fit_inputs(self, X, image_shape, graph, knn)
        self._fitting_rows = X  # codes_at's reference while fit runs (a view, not a copy)
        self.n_features_in_, self.image_shape_ = X.shape[1], image_shape
        self.device_ = resolve_device(self.device)
        self.a_, self.b_ = find_ab_params(self.min_dist, self.spread)
        self.graph_: NeighborGraph = graph if graph is not None else build_graph(
            X, self.n_neighbors_, self.metric, knn=knn, knn_method=self.knn_method,
            random_state=self.random_state, device=self.device_)
        seed = fitting.seed_of(self.random_state)
        self.classes_ = np.unique(labels[labels >= 0]) if labels is not None else None
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            networks, inputs = fitting.build_networks(self, X, image_shape, labels, seed)
        self.encoder_, self.decoder_, self.classifier_ = networks
        self.n_epochs_ = fitting.resolve_epochs(self)
        self.n_landmarks_, self.landmark_scale_, self.landmark_displacement_ = 0, None, None
        self.training_labels_, self.class_names_ = labels, None
        data = fitting.training_data(self, X, inputs, labels)
        data.layout = fitting.starting_layout(self, X, seed)
        run_training(self, data, seed, labels, controls, callback, snapshot_embedding,
                     snapshot_interval)
        return self

    def fit_transform(self, X: Any, y: Any = None, **fit_params) -> np.ndarray:
        """Fit, then return the map of the training rows (``embedding_``); ``fit_params``
        go to ``fit``."""
        return self.fit(X, y, **fit_params).embedding_
