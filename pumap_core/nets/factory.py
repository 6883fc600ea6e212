"""Which network to build: from a kind ("auto", "mlp", "conv", "pca_conv", "pca_mlp") when
fitting, or from the description stored in a model file when loading."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from .classifier import ClassifierHead
from .conv import CONV_WIDTHS, ConvDecoder, ConvEncoder, PCAConvDecoder, PCAConvEncoder
from .mlp import MLP_HIDDEN, MLPDecoder, MLPEncoder
from .pca_start import PCAMLPDecoder, PCAMLPEncoder
from .projection import InputProjection, ProjectedDecoder, ProjectedEncoder
from .two_code import CodeMapEncoder


def build_network(config: dict[str, Any]) -> nn.Module:
    """Rebuild a built-in network from its ``config()`` (weights are loaded separately)."""
    kind = config.get("type")
    kwargs = {k: v for k, v in config.items() if k != "type"}
    if kind in ("projected_encoder", "projected_decoder"):
        d, p = kwargs["n_features"], kwargs["n_projected"]
        projection = InputProjection(torch.zeros(d), torch.zeros(d, p))
        if kind == "projected_decoder":
            return ProjectedDecoder(projection, build_network(kwargs["decoder"]), kwargs["clip"])
        return ProjectedEncoder(projection, build_network(kwargs["encoder"]))
    if kind == "code_map_encoder":
        return CodeMapEncoder(build_network(kwargs.pop("code_net")), **kwargs)
    builders = {"mlp_encoder": MLPEncoder, "mlp_decoder": MLPDecoder, "conv_encoder": ConvEncoder,
                "conv_decoder": ConvDecoder, "classifier_head": ClassifierHead,
                "pca_conv_encoder": PCAConvEncoder, "pca_conv_decoder": PCAConvDecoder,
                "pca_mlp_encoder": PCAMLPEncoder, "pca_mlp_decoder": PCAMLPDecoder}
    if kind not in builders:
        raise ValueError(f"unknown network type {kind!r} in model config")
    return builders[kind](**kwargs)


def wants_conv(kind: str, image_shape: Sequence[int] | None) -> bool:
    """"auto" picks convolutions for colour or large images; small grey digits train
    faster, and as well, through an MLP."""
    if kind in ("conv", "pca_conv"):
        if image_shape is None or len(image_shape) < 2 or min(image_shape[:2]) < 8:
            raise ValueError("a conv network needs image input (n × h × w [× c], h, w >= 8)")
        return True
    if kind in ("mlp", "pca_mlp"):
        return False
    if kind != "auto":
        raise ValueError(f"network kind must be 'auto', 'mlp', 'conv', 'pca_conv', 'pca_mlp' or "
                         f"an nn.Module, got {kind!r}")
    return image_shape is not None and (len(image_shape) == 3 and image_shape[2] > 1
                                        or min(image_shape[:2]) >= 32)


def default_encoder(n_features: int, n_components: int, image_shape: Sequence[int] | None,
                    kind: str = "auto", conv_widths: Sequence[int] = CONV_WIDTHS,
                    mlp_hidden: Sequence[int] = MLP_HIDDEN) -> nn.Module:
    """``"pca_conv"`` and ``"pca_mlp"`` return networks whose PCA part still has to be
    set (``init_pca``)."""
    if kind == "pca_mlp":
        return PCAMLPEncoder(n_features, n_components, mlp_hidden)
    if wants_conv(kind, image_shape):
        if kind == "pca_conv":
            return PCAConvEncoder(image_shape, n_components, widths=conv_widths)
        return ConvEncoder(image_shape, n_components, widths=conv_widths)
    return MLPEncoder(n_features, n_components, mlp_hidden)


def default_decoder(n_features: int, n_components: int, image_shape: Sequence[int] | None,
                    sigmoid_output: bool, kind: str = "auto",
                    conv_widths: Sequence[int] = CONV_WIDTHS,
                    mlp_hidden: Sequence[int] = MLP_HIDDEN) -> nn.Module:
    if kind == "pca_mlp":
        return PCAMLPDecoder(n_components, n_features, mlp_hidden, clip_output=sigmoid_output)
    if wants_conv(kind, image_shape):
        if kind == "pca_conv":
            return PCAConvDecoder(image_shape, n_components, widths=conv_widths,
                                  clip_output=sigmoid_output)
        return ConvDecoder(image_shape, n_components, sigmoid_output=sigmoid_output,
                           widths=conv_widths)
    return MLPDecoder(n_components, n_features, mlp_hidden, sigmoid_output=sigmoid_output)


