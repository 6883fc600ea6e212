"""Encoders, decoders and the classifier head.

Every network takes and returns *flat* rows (n × features): image networks
know their image shape (h, w, c; channel-last, as the data stores it) and
reshape inside. Built-in networks describe themselves with ``config()`` so a
saved model can be rebuilt from JSON (see :func:`build_network`) without
pickling any code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn


class MLPEncoder(nn.Module):
    """x → hidden ReLU layers (``body``) → linear ``out`` to the latent space."""

    def __init__(self, n_features: int, n_components: int, hidden: Sequence[int] = (100, 100, 100)):
        super().__init__()
        self.n_features, self.n_components, self.hidden = n_features, n_components, tuple(hidden)
        layers: list[nn.Module] = []
        width = n_features
        for h in self.hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        self.body = nn.Sequential(*layers)
        self.n_hidden_features = width
        self.out = nn.Linear(width, n_components)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(x))

    def config(self) -> dict[str, Any]:
        return {"type": "mlp_encoder", "n_features": self.n_features,
                "n_components": self.n_components, "hidden": list(self.hidden)}


class MLPDecoder(nn.Module):
    """z → hidden ReLU layers → x̂ (sigmoid output for data in [0, 1])."""

    def __init__(self, n_components: int, n_features: int, hidden: Sequence[int] = (100, 100, 100),
                 sigmoid_output: bool = False):
        super().__init__()
        self.n_components, self.n_features = n_components, n_features
        self.hidden, self.sigmoid_output = tuple(hidden), bool(sigmoid_output)
        layers: list[nn.Module] = []
        width = n_components
        for h in self.hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, n_features))
        if self.sigmoid_output:
            layers.append(nn.Sigmoid())
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)

    def config(self) -> dict[str, Any]:
        return {"type": "mlp_decoder", "n_components": self.n_components,
                "n_features": self.n_features, "hidden": list(self.hidden),
                "sigmoid_output": self.sigmoid_output}


class InputProjection(nn.Module):
    """A fixed linear map (x − mean) · W, e.g. PCA, as the encoder's first layer.

    Frozen, it can be applied to the whole data set once before training, so
    the training steps never pay for the wide input layer.
    """

    def __init__(self, mean: torch.Tensor, components: torch.Tensor):
        super().__init__()
        self.register_buffer("mean", mean.float().clone())
        self.register_buffer("components", components.float().clone())  # d × p

    @classmethod
    def pca(cls, X: np.ndarray, n_components: int, random_state: int | None = 0,
            max_rows: int = 20000) -> InputProjection:
        from sklearn.decomposition import PCA

        rng = np.random.default_rng(random_state)
        rows = X if X.shape[0] <= max_rows else X[rng.choice(X.shape[0], max_rows, replace=False)]
        pca = PCA(n_components=n_components, svd_solver="randomized", random_state=random_state)
        pca.fit(rows)
        return cls(torch.from_numpy(pca.mean_.astype(np.float32)),
                   torch.from_numpy(pca.components_.T.astype(np.float32).copy()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x·W − mean·W: one fused multiply-add, no centred copy of x
        return torch.addmm(-(self.mean @ self.components), x, self.components)


class ProjectedEncoder(nn.Module):
    """``encoder(projection(x))``: the network that ``transform`` runs."""

    def __init__(self, projection: InputProjection, encoder: nn.Module):
        super().__init__()
        self.projection, self.encoder = projection, encoder

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(self.projection(x))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder.features(self.projection(x))

    @property
    def n_hidden_features(self) -> int:
        return self.encoder.n_hidden_features

    def config(self) -> dict[str, Any]:
        mean, comps = self.projection.mean, self.projection.components
        return {"type": "projected_encoder", "n_features": int(mean.shape[0]),
                "n_projected": int(comps.shape[1]), "encoder": self.encoder.config()}


CONV_WIDTHS = (32, 64, 128, 256)


def _conv_plan(image_shape: Sequence[int], widths: Sequence[int] = CONV_WIDTHS
               ) -> tuple[int, int, int, list[int]]:
    """Channels of the stride-2 layers: one per halving until the image is ~8 px."""
    h, w = int(image_shape[0]), int(image_shape[1])
    c = int(image_shape[2]) if len(image_shape) == 3 else 1
    n_layers, size = 0, min(h, w)
    while size > 8 and n_layers < len(widths):
        n_layers += 1
        size = (size + 1) // 2
    return h, w, c, [int(x) for x in widths[:max(n_layers, 1)]]


class ConvEncoder(nn.Module):
    """Stride-2 convolutions until the image is ~8 px, then dense layers to z."""

    def __init__(self, image_shape: Sequence[int], n_components: int, hidden: int = 256,
                 widths: Sequence[int] = CONV_WIDTHS):
        super().__init__()
        self.image_shape, self.n_components, self.hidden = tuple(int(s) for s in image_shape), n_components, hidden
        self.widths = tuple(int(x) for x in widths)
        h, w, c, channels = _conv_plan(self.image_shape, self.widths)
        layers: list[nn.Module] = []
        width = c
        for ch in channels:
            layers += [nn.Conv2d(width, ch, 4, stride=2, padding=1), nn.LeakyReLU(0.1)]
            width = ch
        self.conv = nn.Sequential(*layers)
        with torch.no_grad():
            flat = self.conv(torch.zeros(1, c, h, w)).numel()
        self.dense = nn.Sequential(nn.Flatten(), nn.Linear(flat, hidden), nn.ReLU())
        self.n_hidden_features = hidden
        self.out = nn.Linear(hidden, n_components)

    def _to_image(self, x: torch.Tensor) -> torch.Tensor:
        h, w, c, _ = _conv_plan(self.image_shape)
        return x.reshape(-1, h, w, c).permute(0, 3, 1, 2)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.dense(self.conv(self._to_image(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.features(x))

    def config(self) -> dict[str, Any]:
        return {"type": "conv_encoder", "image_shape": list(self.image_shape),
                "n_components": self.n_components, "hidden": self.hidden, "widths": list(self.widths)}


class ConvDecoder(nn.Module):
    """Mirror of :class:`ConvEncoder`: dense to a small map, transposed convolutions up."""

    def __init__(self, image_shape: Sequence[int], n_components: int, hidden: int = 256,
                 sigmoid_output: bool = True, widths: Sequence[int] = CONV_WIDTHS):
        super().__init__()
        self.image_shape, self.n_components = tuple(int(s) for s in image_shape), n_components
        self.hidden, self.sigmoid_output = hidden, bool(sigmoid_output)
        self.widths = tuple(int(x) for x in widths)
        h, w, c, channels = _conv_plan(self.image_shape, self.widths)
        self._start = (channels[-1], -(-h // 2 ** len(channels)), -(-w // 2 ** len(channels)))
        self.dense = nn.Sequential(nn.Linear(n_components, hidden), nn.ReLU(),
                                   nn.Linear(hidden, int(np.prod(self._start))), nn.ReLU())
        layers: list[nn.Module] = []
        widths = channels[::-1][1:] + [c]
        width = channels[-1]
        for i, ch in enumerate(widths):
            layers.append(nn.ConvTranspose2d(width, ch, 4, stride=2, padding=1))
            if i < len(widths) - 1:
                layers.append(nn.LeakyReLU(0.1))
            width = ch
        self.deconv = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h, w, c, _ = _conv_plan(self.image_shape)
        x = self.deconv(self.dense(z).reshape(-1, *self._start))[:, :, :h, :w]
        if self.sigmoid_output:
            x = torch.sigmoid(x)
        return x.permute(0, 2, 3, 1).reshape(x.shape[0], h * w * c)

    def config(self) -> dict[str, Any]:
        return {"type": "conv_decoder", "image_shape": list(self.image_shape),
                "n_components": self.n_components, "hidden": self.hidden,
                "sigmoid_output": self.sigmoid_output, "widths": list(self.widths)}


class PCAConvEncoder(nn.Module):
    """Whitened PCA plus a conv net: ``z = (x − mean) · W / σ + conv(x)``.

    The PCA part is fixed (buffers, set by :meth:`init_pca`); the conv net's
    output layer starts at zero, so training starts from PCA's codes and only
    ever improves on them (with :class:`PCAConvDecoder`, the model starts as
    PCA with ``n_components`` components). Faces decode recognisably from the
    first step instead of after minutes.
    """

    def __init__(self, image_shape: Sequence[int], n_components: int, hidden: int = 256,
                 widths: Sequence[int] = CONV_WIDTHS):
        super().__init__()
        self.image_shape, self.n_components = tuple(int(s) for s in image_shape), int(n_components)
        self.hidden, self.widths = int(hidden), tuple(int(x) for x in widths)
        n_features = int(np.prod(self.image_shape))
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("components", torch.zeros(n_features, self.n_components))  # W / σ
        self.residual = ConvEncoder(self.image_shape, self.n_components, self.hidden, self.widths)
        nn.init.zeros_(self.residual.out.weight)
        nn.init.zeros_(self.residual.out.bias)

    def init_pca(self, mean: np.ndarray, components: np.ndarray, scale: np.ndarray) -> None:
        """``components``: n_components × n_features (unit rows); ``scale``: their σ."""
        with torch.no_grad():
            self.mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
            w = np.asarray(components, dtype=np.float64) / np.asarray(scale, dtype=np.float64)[:, None]
            self.components.copy_(torch.as_tensor(w.T, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addmm(-(self.mean @ self.components), x, self.components) + self.residual(x)

    def config(self) -> dict[str, Any]:
        return {"type": "pca_conv_encoder", "image_shape": list(self.image_shape),
                "n_components": self.n_components, "hidden": self.hidden,
                "widths": list(self.widths)}


class PCAConvDecoder(nn.Module):
    """Whitened PCA's inverse plus a conv net: ``x̂ = mean + z · σ Wᵀ + deconv(z)``.

    The mirror of :class:`PCAConvEncoder` (the deconv net's last layer starts
    at zero). Linear output, for a mean-squared-error loss; in eval mode
    outputs are clipped to [0, 1] when ``clip_output`` (data in [0, 1]).
    """

    def __init__(self, image_shape: Sequence[int], n_components: int, hidden: int = 256,
                 widths: Sequence[int] = CONV_WIDTHS, clip_output: bool = True):
        super().__init__()
        self.image_shape, self.n_components = tuple(int(s) for s in image_shape), int(n_components)
        self.hidden, self.widths = int(hidden), tuple(int(x) for x in widths)
        self.clip_output, self.sigmoid_output = bool(clip_output), False
        n_features = int(np.prod(self.image_shape))
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("components", torch.zeros(self.n_components, n_features))  # σ W
        self.residual = ConvDecoder(self.image_shape, self.n_components, self.hidden,
                                    sigmoid_output=False, widths=self.widths)
        last = [m for m in self.residual.deconv if isinstance(m, nn.ConvTranspose2d)][-1]
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)

    def init_pca(self, mean: np.ndarray, components: np.ndarray, scale: np.ndarray) -> None:
        with torch.no_grad():
            self.mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
            w = np.asarray(components, dtype=np.float64) * np.asarray(scale, dtype=np.float64)[:, None]
            self.components.copy_(torch.as_tensor(w, dtype=torch.float32))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        out = torch.addmm(self.mean, z, self.components) + self.residual(z)
        if self.clip_output and not self.training:
            out = out.clamp(0.0, 1.0)
        return out

    def config(self) -> dict[str, Any]:
        return {"type": "pca_conv_decoder", "image_shape": list(self.image_shape),
                "n_components": self.n_components, "hidden": self.hidden,
                "widths": list(self.widths), "clip_output": self.clip_output}


def pca_init(X: np.ndarray, n_components: int, random_state: int | None = 0,
             max_rows: int = 20000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(mean, components, scale)`` of a whitened PCA of rows ``X`` (a subsample of at
    most ``max_rows``), for :meth:`PCAConvEncoder.init_pca` / :meth:`PCAConvDecoder.init_pca`."""
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(random_state)
    rows = X if X.shape[0] <= max_rows else X[rng.choice(X.shape[0], max_rows, replace=False)]
    k = min(n_components, rows.shape[0] - 1, rows.shape[1])
    pca = PCA(n_components=k, svd_solver="randomized", random_state=random_state).fit(rows)
    comps = np.zeros((n_components, X.shape[1]))
    scale = np.ones(n_components)
    comps[:k], scale[:k] = pca.components_, np.sqrt(np.maximum(pca.explained_variance_, 1e-12))
    return pca.mean_, comps, scale


class ClassifierHead(nn.Module):
    """The second arm of the Y-shaped network (paper §4.2): hidden features → class logits."""

    def __init__(self, n_inputs: int, n_classes: int, hidden: int = 128):
        super().__init__()
        self.n_inputs, self.n_classes, self.hidden = n_inputs, n_classes, hidden
        self.net = nn.Sequential(nn.Linear(n_inputs, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.net(h)

    def config(self) -> dict[str, Any]:
        return {"type": "classifier_head", "n_inputs": self.n_inputs,
                "n_classes": self.n_classes, "hidden": self.hidden}


class CodeMapEncoder(nn.Module):
    """A two-code encoder: x → a d-D *code* (``code_net``) → a 2-D *map* (``map_head``).

    The code is what the decoder reads (wide enough to hold a face); the map is
    what ``forward`` returns, so ``transform``, snapshots and UMAP's loss see
    the map. The map head is a small MLP on the code: the map is a UMAP map
    of the codes, trained on the data's neighbour graph at the same time.
    ``map_grad`` scales the gradient that UMAP's loss on the map sends into
    the code (0: none, the code is shaped only by the decoder and any loss on
    the code itself; 1: the full gradient).
    """

    def __init__(self, code_net: nn.Module, n_components: int = 2,
                 map_hidden: Sequence[int] = (256, 256, 256), map_grad: float = 0.0,
                 code_components: int | None = None):
        super().__init__()
        self.code_net, self.n_components = code_net, int(n_components)
        self.map_hidden, self.map_grad = tuple(int(h) for h in map_hidden), float(map_grad)
        if code_components is None:
            code_components = getattr(code_net, "n_components", None)
        if code_components is None:
            raise ValueError("CodeMapEncoder needs code_components (the width of code_net's output)")
        self.code_components = int(code_components)
        self.map_head = MLPEncoder(self.code_components, self.n_components, self.map_hidden)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.code_net(x)

    def with_code_net(self, code_net: nn.Module) -> CodeMapEncoder:
        """The same map head (shared, not copied) behind another code network."""
        other = CodeMapEncoder(code_net, self.n_components, self.map_hidden, self.map_grad,
                               self.code_components)
        other.map_head = self.map_head
        return other

    def map_of_codes(self, code: torch.Tensor) -> torch.Tensor:
        if self.map_grad <= 0.0:
            code = code.detach()
        elif self.map_grad < 1.0:  # forward: the code; backward: map_grad times its gradient
            code = code.detach() + self.map_grad * (code - code.detach())
        return self.map_head(code)

    def map_and_code(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        code = self.code_net(x)
        return self.map_of_codes(code), code

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.map_of_codes(self.code_net(x))

    def config(self) -> dict[str, Any]:
        return {"type": "code_map_encoder", "code_net": network_config(self.code_net),
                "n_components": self.n_components, "map_hidden": list(self.map_hidden),
                "map_grad": self.map_grad, "code_components": self.code_components}


def map_and_code(encoder: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(map, code)`` of ``x``: for a :class:`CodeMapEncoder` its two outputs, for any
    other encoder the one output twice (the map is the code)."""
    if isinstance(encoder, CodeMapEncoder):
        return encoder.map_and_code(x)
    z = encoder(x)
    return z, z


def encode_codes(encoder: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The codes the decoder reads: ``encoder.encode`` for two-code encoders, else ``encoder``."""
    return encoder.encode(x) if isinstance(encoder, CodeMapEncoder) else encoder(x)


class MapHeadView(nn.Module):
    """A two-code encoder's map head as a module of its own (codes → map), sharing
    its weights: what ``ParametricUMAP.refine_map`` trains."""

    def __init__(self, encoder: CodeMapEncoder):
        super().__init__()
        self.map_head = encoder.map_head

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        return self.map_head(code)


class CodeEncoderView(nn.Module):
    """``encode_codes`` as a module, so the chunked ``training.embed`` can run it."""

    def __init__(self, encoder: nn.Module):
        super().__init__()
        self.encoder = encoder

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return encode_codes(self.encoder, x)


def build_network(config: dict[str, Any]) -> nn.Module:
    """Rebuild a built-in network from its ``config()`` (weights are loaded separately)."""
    kind = config.get("type")
    kwargs = {k: v for k, v in config.items() if k != "type"}
    if kind == "projected_encoder":
        d, p = kwargs["n_features"], kwargs["n_projected"]
        projection = InputProjection(torch.zeros(d), torch.zeros(d, p))
        return ProjectedEncoder(projection, build_network(kwargs["encoder"]))
    if kind == "code_map_encoder":
        return CodeMapEncoder(build_network(kwargs.pop("code_net")), **kwargs)
    builders = {"mlp_encoder": MLPEncoder, "mlp_decoder": MLPDecoder, "conv_encoder": ConvEncoder,
                "conv_decoder": ConvDecoder, "classifier_head": ClassifierHead,
                "pca_conv_encoder": PCAConvEncoder, "pca_conv_decoder": PCAConvDecoder}
    if kind not in builders:
        raise ValueError(f"unknown network type {kind!r} in model config")
    return builders[kind](**kwargs)


def network_config(module: nn.Module) -> dict[str, Any]:
    """A built-in network's config, or ``{"type": "custom"}`` for a user's module."""
    config = getattr(module, "config", None)
    return config() if callable(config) else {"type": "custom", "class": type(module).__name__}


def wants_conv(kind: str, image_shape: Sequence[int] | None) -> bool:
    """"auto" picks convolutions for colour or large images; small grey digits train
    faster, and as well, through an MLP."""
    if kind in ("conv", "pca_conv"):
        if image_shape is None or len(image_shape) < 2 or min(image_shape[:2]) < 8:
            raise ValueError("a conv network needs image input (n × h × w [× c], h, w >= 8)")
        return True
    if kind == "mlp":
        return False
    if kind != "auto":
        raise ValueError(f"network kind must be 'auto', 'mlp', 'conv', 'pca_conv' or an nn.Module, "
                         f"got {kind!r}")
    return image_shape is not None and (len(image_shape) == 3 and image_shape[2] > 1
                                        or min(image_shape[:2]) >= 32)


def default_encoder(n_features: int, n_components: int, image_shape: Sequence[int] | None,
                    kind: str = "auto", conv_widths: Sequence[int] = CONV_WIDTHS) -> nn.Module:
    """``"pca_conv"`` returns a :class:`PCAConvEncoder` whose PCA part still has to be
    set (``init_pca``)."""
    if wants_conv(kind, image_shape):
        if kind == "pca_conv":
            return PCAConvEncoder(image_shape, n_components, widths=conv_widths)
        return ConvEncoder(image_shape, n_components, widths=conv_widths)
    return MLPEncoder(n_features, n_components)


def default_decoder(n_features: int, n_components: int, image_shape: Sequence[int] | None,
                    sigmoid_output: bool, kind: str = "auto",
                    conv_widths: Sequence[int] = CONV_WIDTHS) -> nn.Module:
    if wants_conv(kind, image_shape):
        if kind == "pca_conv":
            return PCAConvDecoder(image_shape, n_components, widths=conv_widths,
                                  clip_output=sigmoid_output)
        return ConvDecoder(image_shape, n_components, sigmoid_output=sigmoid_output,
                           widths=conv_widths)
    return MLPDecoder(n_components, n_features, sigmoid_output=sigmoid_output)


def encode_with_features(encoder: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``(z, h)``: the codes and, for built-in encoders, their last hidden layer ``h``
    (where the classifier head of the Y-shaped network branches off)."""
    if callable(getattr(encoder, "features", None)) and isinstance(getattr(encoder, "out", None), nn.Module):
        h = encoder.features(x)
        return encoder.out(h), h
    return encoder(x), None


CLASSIFIER_INPUTS = ("hidden", "latent")


def classifier_input(encoder: nn.Module, x: torch.Tensor, source: str = "hidden") -> torch.Tensor:
    """What the classifier head reads: the encoder's last hidden layer (``"hidden"``,
    where built-in encoders have one) or the latent codes z (``"latent"``, the layer
    UMAP's loss shapes — what helps most when labels are few)."""
    if source == "latent":
        return encoder(x)
    z, h = encode_with_features(encoder, x)
    return h if h is not None else z
