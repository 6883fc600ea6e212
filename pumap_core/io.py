"""Safe model files: tensors in safetensors, configuration as JSON in its header.

A model file is one ``.safetensors`` file whose metadata holds
``format = "pumap-model"``, ``format_version`` and ``config`` (JSON). Reading
it parses a length-prefixed JSON header and raw tensor bytes: nothing in the
file is ever executed, and pickles are refused outright.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch

FORMAT = "pumap-model"
#: The newest format this version reads and writes. 1: single-code models (the map is
#: the code); 2: adds two-code models (a ``code_map_encoder`` and the training ``codes``).
#: Single-code models are still written as 1, so older readers keep reading them.
FORMAT_VERSION = 2
_MAX_HEADER = 100 * 1024 * 1024


class ModelFileError(ValueError):
    """The file is missing, unreadable, corrupt, foreign or from a newer version."""


def save_model(path: str | os.PathLike, tensors: dict[str, torch.Tensor], config: dict[str, Any],
               version: int = FORMAT_VERSION) -> Path:
    """Write atomically (temp file + rename): a crash never leaves half a model behind.

    ``version``: the format version recorded (the oldest that can read these contents)."""
    from safetensors.torch import save_file

    path = Path(path)
    metadata = {"format": FORMAT, "format_version": str(int(version)),
                "config": json.dumps(config, allow_nan=False)}
    clean = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        save_file(clean, tmp, metadata=metadata)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def load_model(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read ``(tensors, config)``; every failure is a :class:`ModelFileError` naming the file."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"model file not found: {path}")
    if path.is_dir():
        raise ModelFileError(f"{path} is a folder, not a model file")
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(9)
    if size == 0:
        raise ModelFileError(f"{path} is empty")
    header_len = int.from_bytes(head[:8], "little")
    # safetensors: 8-byte header length, then a JSON object. Its first byte may be
    # anything (0x80 or "PK" included), so recognise it before sniffing for pickles.
    looks_safetensors = len(head) == 9 and head[8:9] == b"{" and 0 < header_len <= size - 8
    if not looks_safetensors and (head[:2] == b"PK" or head[:1] == b"\x80"):
        raise ModelFileError(f"{path} is a pickle/torch.save file; refusing to load it because "
                             "unpickling can execute code. Save models with ParametricUMAP.save().")
    if len(head) < 9:
        raise ModelFileError(f"{path} is truncated ({size} bytes): not a pumap model file")
    if not looks_safetensors or header_len > _MAX_HEADER:
        raise ModelFileError(f"{path} is not a pumap model file (or it is truncated/corrupt)")
    with open(path, "rb") as fh:
        fh.seek(8)
        try:
            header = json.loads(fh.read(header_len))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelFileError(f"{path} has a corrupt header: {exc}") from exc
    metadata = header.get("__metadata__") or {} if isinstance(header, dict) else {}
    if metadata.get("format") != FORMAT:
        raise ModelFileError(f"{path} is a safetensors file but not a pumap model "
                             f"(format={metadata.get('format')!r})")
    try:
        version = int(metadata.get("format_version", "0"))
    except ValueError as exc:
        raise ModelFileError(f"{path} has an unreadable format version") from exc
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{path} was written by a newer pumap_core (format {version}; this "
                             f"version reads up to {FORMAT_VERSION}); upgrade pumap_core")
    if version < 1:
        raise ModelFileError(f"{path} has an invalid format version {version}")
    try:
        config = json.loads(metadata["config"])
        tensors = load_file(str(path))
    except (KeyError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path} has a missing or corrupt model config") from exc
    except (SafetensorError, OSError, RuntimeError, ValueError) as exc:
        raise ModelFileError(f"{path} is corrupt or truncated: {exc}") from exc
    return tensors, config


def prefixed(prefix: str, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {f"{prefix}.{k}": v for k, v in state.items()}


def unprefixed(prefix: str, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    start = prefix + "."
    return {k[len(start):]: v for k, v in tensors.items() if k.startswith(start)}
