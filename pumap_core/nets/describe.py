"""How a network describes itself in a model file: JSON, never code."""

from __future__ import annotations

from typing import Any

from torch import nn


def network_config(module: nn.Module) -> dict[str, Any]:
    """A built-in network's config, or ``{"type": "custom"}`` for a user's module."""
    config = getattr(module, "config", None)
    return config() if callable(config) else {"type": "custom", "class": type(module).__name__}


