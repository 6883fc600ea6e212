"""Model download and upload through the engine's safe persistence (no pickle, ever)."""

from __future__ import annotations

import os
import tempfile

from pumap_core import ModelFileError, ParametricUMAP

#: what a failed upload may raise; anything else is a bug and propagates
UPLOAD_ERRORS = (ModelFileError, ValueError, RuntimeError, OSError)


def model_to_bytes(model: ParametricUMAP) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.safetensors")
        model.save(path)
        with open(path, "rb") as f:
            return f.read()


def model_from_bytes(data: bytes, name: str = "model.safetensors") -> ParametricUMAP:
    """``ParametricUMAP.load`` of uploaded bytes; errors name the upload, not a temp path."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, os.path.basename(name) or "model")
        with open(path, "wb") as f:
            f.write(data or b"")
        try:
            return ParametricUMAP.load(path, device="cpu")
        except UPLOAD_ERRORS as e:
            raise type(e)(str(e).replace(path, os.path.basename(path))) from e
