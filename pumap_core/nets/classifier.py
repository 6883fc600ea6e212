"""The classifier arm of the Y-shaped network and what it reads from the encoder."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class ClassifierHead(nn.Module):
    """The second arm of the Y-shaped network (paper §4.2): hidden features → class logits."""

    def __init__(self, n_inputs: int, n_classes: int, hidden: int = 128):
        super().__init__()
        self.n_inputs, self.n_classes, self.hidden = n_inputs, n_classes, hidden
        self.net = nn.Sequential(nn.Linear(n_inputs, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.net(h)

    def with_classes(self, n_classes: int) -> ClassifierHead:
        """This head with at least ``n_classes`` outputs: the learned weights kept, the
        outputs of new classes freshly initialised."""
        if n_classes <= self.n_classes:
            return self
        head = ClassifierHead(self.n_inputs, n_classes, self.hidden)
        old_out, new_out = self.net[2], head.net[2]
        with torch.no_grad():
            head.net[0].load_state_dict(self.net[0].state_dict())
            new_out.weight[:self.n_classes] = old_out.weight
            new_out.bias[:self.n_classes] = old_out.bias
        return head.to(old_out.weight.device)

    def config(self) -> dict[str, Any]:
        return {"type": "classifier_head", "n_inputs": self.n_inputs,
                "n_classes": self.n_classes, "hidden": self.hidden}


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


class ClassifierView(nn.Module):
    """The Y-network's classifying arm end to end: rows → the encoder's layer the head
    reads → class logits. Its train/eval mode is the encoder's."""

    def __init__(self, encoder: nn.Module, head: ClassifierHead, source: str = "hidden"):
        super().__init__()
        self.encoder, self.head, self.source = encoder, head, source
        self.training = encoder.training

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(classifier_input(self.encoder, x, self.source))
