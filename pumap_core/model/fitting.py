"""From an estimator's parameters and its data to a training run: the networks, the
``"auto"`` choices, and the loop's data and configuration.

Each function reads the parameters (and, once built, the fitted graph) of a
:class:`~pumap_core.model.estimator.ParametricUMAP`; none of them sets an
attribute: ``fit`` decides what the estimator keeps.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from ..graph.sampling import batch_layout, steps_per_epoch
from ..nets.classifier import ClassifierHead
from ..nets.factory import default_decoder, default_encoder
from ..nets.mlp import MLPDecoder, MLPEncoder
from ..nets.pca_start import (
    PROJECTED,
    PCAMLPDecoder,
    PCAMLPEncoder,
    PCAStartDecoder,
    PCAStartEncoder,
    pca_init,
    pca_rows,
)
from ..nets.projection import InputProjection, ProjectedDecoder, ProjectedEncoder
from ..nets.two_code import CodeMapEncoder
from ..training.initialization import initial_layout
from ..training.loop import TrainingConfig, TrainingData
from . import batching, deprecations
from .inference import run_rows

#: "auto" input projection: PCA to this many dimensions for wider MLP inputs.
AUTO_PROJECTION = 100
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
#: "auto" reconstruction: decode at most this many rows of each batch (of up to 512
#: rows with 256 edges). A decoder of 100-wide layers costs about what the encoder does
#: per row: 256 rows make a digits step 1.45× one without decoder, every row 1.64×, and
#: keep the held-out error (+0.6 %; 128 rows: +2.3 %). Wide data decode through the
#: encoder's projection (ProjectedDecoder), so MNIST pays the same, not for 784 outputs:
#: benchmarks/results/step_profile.md, engine_choices.md.
AUTO_RECONSTRUCTION_ROWS = 256


def seed_of(random_state) -> int:
    """One int seed for everything random in a fit (fresh entropy for None)."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    return int(random_state)


def build_networks(est, X: np.ndarray, image_shape, labels: np.ndarray | None, seed: int
                   ) -> tuple[tuple[nn.Module, nn.Module | None, nn.Module | None], torch.Tensor]:
    """``((encoder, decoder, classifier), inputs)``: the networks ``est`` asks for and
    what the encoder reads (``X``, or ``X`` through a frozen projection)."""
    d = X.shape[1]
    inputs = torch.from_numpy(X)
    two_code = deprecations.two_code_of(est)
    width = two_code.code_components if two_code else est.n_components  # what the decoder reads
    kinds = {part: deprecations.network_of(est, part) for part in ("encoder", "decoder")
             if not isinstance(getattr(est, part), nn.Module)}
    pca = None
    started = {kind for part, (kind, _) in kinds.items()
               if kind in ("pca_conv", "pca_mlp") and (part == "encoder" or est.reconstruction)}
    if started:  # the MLP residuals read the first PROJECTED whitened coordinates
        pca = pca_init(X, max(width, PROJECTED) if "pca_mlp" in started else width,
                       random_state=seed % 2**31)
    if isinstance(est.encoder, nn.Module):
        encoder = copy.deepcopy(est.encoder)  # the user's module stays as it was given
    else:
        kind, widths = kinds["encoder"]
        encoder = default_encoder(d, width, image_shape, kind, **widths)
        if isinstance(encoder, (PCAStartEncoder, PCAMLPEncoder)):
            encoder.init_pca(*pca_rows(pca, encoder))
        n_proj = projection_size(est, d, encoder)
        if n_proj:
            projection = InputProjection.pca(X, n_proj, random_state=seed % 2**31)
            encoder = ProjectedEncoder(projection, MLPEncoder(n_proj, width, encoder.hidden))
            with torch.no_grad():
                inputs = projection(inputs)
    if two_code is not None:
        encoder = CodeMapEncoder(encoder, est.n_components, two_code.map_hidden,
                                 two_code.map_grad, code_components=width)
    decoder = None
    if est.reconstruction:
        unit = bool(X.min() >= 0.0 and X.max() <= 1.0)
        if isinstance(est.decoder, nn.Module):
            decoder = copy.deepcopy(est.decoder)
        elif decodes_projection(est, encoder):
            # the encoder's projection, copied (a model file holds each tensor once)
            projection = encoder.projection
            decoder = ProjectedDecoder(InputProjection(projection.mean, projection.components),
                                       MLPDecoder(width, projection.components.shape[1]),
                                       clip=unit)
        else:
            kind, widths = kinds["decoder"]
            decoder = default_decoder(d, width, image_shape, unit, kind, **widths)
            if isinstance(decoder, (PCAStartDecoder, PCAMLPDecoder)):
                decoder.init_pca(*pca_rows(pca, decoder))
    return (encoder, decoder, classifier_head(est, encoder, labels)), inputs


def classifier_head(est, encoder: nn.Module, labels: np.ndarray | None,
                    previous: ClassifierHead | None = None) -> ClassifierHead | None:
    """The classifier head for ``est.classes_``, when ``labels`` hold labelled rows and its
    weight is above 0; otherwise ``previous`` (None in a first fit). A ``previous`` head
    that reads the same layer keeps what it learned, with outputs added for new classes."""
    if est.classes_ is None or not len(est.classes_) or classifier_weight(est, labels) <= 0:
        return previous
    n_classes = int(est.classes_.max()) + 1
    reads = est.n_components if est.classifier_input == "latent" else \
        getattr(encoder, "n_hidden_features", est.n_components)
    if previous is not None and previous.n_inputs == reads:
        return previous.with_classes(n_classes)
    return ClassifierHead(reads, n_classes)


def encoder_inputs(est, X: np.ndarray) -> torch.Tensor:
    """What the trained part of ``est.encoder_`` reads: ``X``, or ``X`` through the
    encoder's frozen projection (applied once, as ``build_networks`` does)."""
    encoder = est.encoder_
    code_net = encoder.code_net if isinstance(encoder, CodeMapEncoder) else encoder
    if not isinstance(code_net, ProjectedEncoder):
        return torch.from_numpy(X)
    return torch.from_numpy(run_rows(code_net.projection, X, est.device_))


def starting_layout(est, X: np.ndarray, seed: int) -> torch.Tensor | None:
    """The layout of ``est.init`` that the warm start regresses onto, on ``est.device_``."""
    layout = initial_layout(est.init, X, est.graph_.edges, est.n_components, seed % 2**31)
    return None if layout is None else torch.from_numpy(layout).to(est.device_)


def projection_size(est, d: int, encoder: nn.Module) -> int:
    """Width of the frozen PCA layer in front of an MLP encoder (0: none)."""
    if not isinstance(encoder, MLPEncoder) or est.input_projection is None:
        return 0
    if est.input_projection == "auto":
        return AUTO_PROJECTION if d > 2 * AUTO_PROJECTION else 0
    return int(est.input_projection)


def decodes_projection(est, encoder: nn.Module) -> bool:
    """The default decoder of an encoder behind a frozen projection predicts the
    projection's coordinates (:class:`ProjectedDecoder`), unless BCE was asked for: its
    error is on data values, which only a full-width decoder produces."""
    return (isinstance(encoder, ProjectedEncoder) and est.decoder == "auto"
            and est.reconstruction_loss in ("auto", "mse"))


def trainable_decoder(decoder: nn.Module | None) -> nn.Module | None:
    """A projected decoder trains on the projected rows: train the network in front of
    the fixed inverse projection."""
    return decoder.decoder if isinstance(decoder, ProjectedDecoder) else decoder


def trainable_encoder(encoder: nn.Module) -> nn.Module:
    """With a frozen projection the data are projected once; train the MLP behind it."""
    if isinstance(encoder, ProjectedEncoder):
        return encoder.encoder
    if isinstance(encoder, CodeMapEncoder) and isinstance(encoder.code_net, ProjectedEncoder):
        return encoder.with_code_net(encoder.code_net.encoder)
    return encoder


def classifier_weight(est, labels: np.ndarray | None) -> float:
    """The classifier's weight: 0 without labelled rows, 1 unless ``est`` says otherwise."""
    if labels is None or not (labels >= 0).any():
        return 0.0
    return 1.0 if est.classifier_weight is None else float(est.classifier_weight)


def input_noise(est) -> float:
    """``"auto"``: per-feature noise whose length over all features is
    :data:`AUTO_NOISE_SCALE` times the median nearest-neighbour distance, less on
    data of more than :data:`AUTO_NOISE_ROWS` rows."""
    if est.input_noise is None:
        return 0.0
    if est.input_noise != "auto":
        return float(est.input_noise)
    graph = est.graph_
    # ρ is the distance to the nearest other row; graphs read from a file keep only the kNN
    rhos = graph.rhos if graph.rhos is not None else graph.knn_dists[:, 1]
    rho = float(np.median(rhos))
    if est.metric != "euclidean" or not np.isfinite(rho) or rho <= 0:
        return 0.0
    shrink = min(1.0, float(np.sqrt(AUTO_NOISE_ROWS / graph.n_vertices)))
    return shrink * AUTO_NOISE_SCALE * rho / float(np.sqrt(est.n_features_in_))


def resolve_epochs(est) -> int:
    """``n_epochs``, or for None the cap the device's edge budget sets on this graph
    (:func:`~pumap_core.model.batching.epoch_cap`)."""
    if est.n_epochs is not None:
        return int(est.n_epochs)
    return batching.epoch_cap(float(est.graph_.edges.weight.sum()), est.device_)


def training_data(est, X: np.ndarray, inputs: torch.Tensor, labels) -> TrainingData:
    """The loop's tensors on ``est.device_``: what to encode, reconstruct and classify."""
    dev = est.device_
    targets = None
    if isinstance(est.decoder_, ProjectedDecoder):
        targets = inputs.to(dev)  # the projected rows: what its trained part predicts
    elif est.decoder_ is not None:
        targets = torch.from_numpy(X).to(dev)
    return TrainingData(
        inputs=inputs.to(dev), edges=est.graph_.edges, targets=targets,
        labels=(torch.from_numpy(labels).to(dev)
                if est.classifier_ is not None and labels is not None else None))


def training_config(est, seed: int, labels) -> TrainingConfig:
    """The joint training run ``est``'s parameters describe."""
    loss = est.reconstruction_loss
    if loss == "auto":
        loss = "bce" if getattr(est.decoder_, "sigmoid_output", False) else "mse"
    rows = None if est.reconstruction_rows is None else int(
        AUTO_RECONSTRUCTION_ROWS if est.reconstruction_rows == "auto" else est.reconstruction_rows)
    return TrainingConfig(
        n_epochs=est.n_epochs_, batch_size=batching.batch_size(est.batch_size, est.device_),
        negative_sample_rate=est.negative_sample_rate, negatives=est.negatives,
        learning_rate=batching.learning_rate(est.learning_rate, est.batch_size, est.device_),
        min_dist=est.min_dist, spread=est.spread,
        repulsion_strength=est.repulsion_strength, umap_weight=float(est.umap_weight),
        global_correlation_weight=est.global_correlation_weight,
        reconstruction_weight=est.reconstruction_weight if est.decoder_ is not None else 0.0,
        reconstruction_loss=loss, reconstruction_grad=est.reconstruction_grad,
        classifier_weight=classifier_weight(est, labels) if est.classifier_ is not None else 0.0,
        landmark_weight=float(est.landmark_weight),
        code_umap_weight=(float(est.code_umap_weight) if deprecations.two_code_of(est) is not None
                          else 0.0),
        classifier_input=est.classifier_input,
        warm_start_steps=WARM_START_STEPS if est.init is not None else 0,
        reconstruction_rows=rows, input_noise=input_noise(est), seed=seed)


def map_config(est, n_epochs: int, batch_size: int, learning_rate: float, seed: int
               ) -> TrainingConfig:
    """The map stage of a two-code model: UMAP's loss alone, on the map head, with the
    curve the joint training ended with."""
    return TrainingConfig(
        n_epochs=int(n_epochs), batch_size=int(batch_size),
        negative_sample_rate=est.negative_sample_rate, negatives="batch_all",
        learning_rate=float(learning_rate), min_dist=est.min_dist_, spread=est.spread_,
        repulsion_strength=est.repulsion_strength_, umap_weight=1.0, seed=seed)


def snapshot_rows(n: int, which: str | int | None, seed: int) -> np.ndarray | None:
    """The rows of ``n`` whose embedding snapshots carry: ``"all"``, a sample of
    ``which`` of them, or none."""
    if which == "all":
        return np.arange(n)
    if which is not None:
        k = min(int(which), n)
        return np.sort(np.random.default_rng(seed).choice(n, k, replace=False))
    return None


def progress_bar(est, config: TrainingConfig, data: TrainingData):
    """A tqdm bar over the planned steps when ``verbose``, else None."""
    if not est.verbose:
        return None
    from tqdm.auto import tqdm

    batch, _ = batch_layout(config.batch_size, config.negatives)
    steps = steps_per_epoch(float(data.edges.weight.sum()), batch) * config.n_epochs
    return tqdm(total=steps, desc="ParametricUMAP", unit="step")
