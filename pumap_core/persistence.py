"""Model files: saving, loading and exporting a fitted :class:`ParametricUMAP`.

A model file is one ``.safetensors`` file: the networks' weights (and, on
request, the neighbour graph) as tensors, and in its metadata
``format = "pumap-model"``, ``format_version`` and ``config`` (JSON: the
estimator's parameters, each network's description and the fitted
attributes). Reading it parses a length-prefixed JSON header and raw tensor
bytes: nothing in the file is ever executed, and pickles are refused
outright. Networks are named by their description's ``type`` ("mlp_encoder",
"code_map_encoder", ...), never by a Python module or class path, so files
survive moving code around.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .device import resolve_device
from .graph.build import NeighborGraph
from .graph.edges import EdgeSet
from .model.deprecations import DEPRECATED, current_spelling
from .model.specs import is_spec, spec_to_json
from .nets.describe import network_config
from .nets.factory import build_network
from .nets.two_code import CodeMapEncoder
from .scaling import InputScaling
from .training.live import LIVE, WEIGHT_OF

FORMAT = "pumap-model"
#: The newest format this version reads and writes. 1: single-code models (the map is
#: the code); 2: adds two-code models (a ``code_map_encoder`` and the training ``codes``);
#: 3: two-code models keep their settings as one ``two_code`` parameter. Single-code
#: models are still written as 1, so older readers keep reading them.
FORMAT_VERSION = 3
_MAX_HEADER = 100 * 1024 * 1024
#: what a model file records of the last continued training (``partial_fit``), with the
#: values of a plain fit (and of files written before there was one)
LANDMARK_FITTED = {"n_landmarks": 0, "landmark_scale": None, "landmark_displacement": None}


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


def _prefixed(prefix: str, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {f"{prefix}.{k}": v for k, v in state.items()}


def _unprefixed(prefix: str, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    start = prefix + "."
    return {k[len(start):]: v for k, v in tensors.items() if k.startswith(start)}


#: Two-code parameters, left out of one-code models' files so that those stay
#: format 1 (older versions would refuse an unknown parameter).
_TWO_CODE_PARAMS = ("two_code", "code_umap_weight")


def _json_params(model) -> dict[str, Any]:
    """The parameters as JSON, in today's spelling: deprecated spellings the model was
    given are folded into theirs (run-time hooks are no settings: left out)."""
    given = {name: value for name, value in model.get_params(deep=False).items()
             if not (isinstance(value, str) and value == DEPRECATED)}
    params = {}
    for name, value in current_spelling(given).items():
        if name in _TWO_CODE_PARAMS and not isinstance(model.encoder_, CodeMapEncoder):
            continue
        if is_spec(value):
            value = spec_to_json(value)
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, nn.Module):
            value = "custom"
        elif isinstance(value, np.generic):
            value = value.item()
        elif isinstance(value, np.random.RandomState):
            value = None
        params[name] = value
    return params


def _final_settings(model, params: dict[str, Any], fitted: dict[str, Any]) -> dict[str, float]:
    """The live settings the run ended with. Files written before they were fitted
    attributes kept them as the parameters themselves; a loss term that a file does not
    mention did not exist when it was written: its weight was 0."""
    absent = {name: 0.0 for name in WEIGHT_OF.values()}
    if fitted.get("live_settings") is not None:
        return {k: float(v) for k, v in {**absent, **fitted["live_settings"]}.items()}
    values = {name: params.get(name, absent.get(name, getattr(model, name))) for name in LIVE}
    values["classifier_weight"] = (0.0 if model.classifier_ is None else
                                   1.0 if values["classifier_weight"] is None else
                                   values["classifier_weight"])
    if model.decoder_ is None:
        values["reconstruction_weight"] = 0.0
    if not isinstance(model.encoder_, CodeMapEncoder):
        values["code_umap_weight"] = 0.0
    return {k: float(v) for k, v in values.items()}


def model_to_file(model, path: str | os.PathLike, include_graph: bool = False) -> None:
    tensors: dict[str, torch.Tensor] = {}
    networks = {}
    for part in ("encoder", "decoder", "classifier"):
        net = getattr(model, f"{part}_")
        if net is not None:
            tensors.update(_prefixed(part, net.state_dict()))
            networks[part] = network_config(net)
    if include_graph:
        edges = model.graph_.edges
        tensors.update({"graph.head": torch.from_numpy(edges.head),
                        "graph.tail": torch.from_numpy(edges.tail),
                        "graph.weight": torch.from_numpy(edges.weight),
                        "graph.knn_indices": torch.from_numpy(np.ascontiguousarray(model.graph_.knn_indices)),
                        "graph.knn_dists": torch.from_numpy(np.ascontiguousarray(model.graph_.knn_dists))})
    if getattr(model, "embedding_", None) is not None:
        tensors["embedding"] = torch.from_numpy(np.ascontiguousarray(model.embedding_))
    if getattr(model, "training_labels_", None) is not None:
        tensors["training_labels"] = torch.from_numpy(np.ascontiguousarray(model.training_labels_))
    two_codes = isinstance(model.encoder_, CodeMapEncoder)
    if two_codes and getattr(model, "codes_", None) is not None:
        tensors["codes"] = torch.from_numpy(np.ascontiguousarray(model.codes_, dtype=np.float32))
    config = {
        "params": _json_params(model),
        "networks": networks,
        "fitted": {
            "n_features_in_": int(model.n_features_in_),
            "image_shape_": list(model.image_shape_) if model.image_shape_ else None,
            "a_": model.a_, "b_": model.b_, "n_epochs_": int(model.n_epochs_),
            "n_neighbors_": int(model.n_neighbors_),
            "live_settings": {name: float(getattr(model, f"{name}_")) for name in LIVE
                              if hasattr(model, f"{name}_")},  # a term registered after fit
            "classes_": model.classes_.tolist() if model.classes_ is not None else None,
            "class_names_": getattr(model, "class_names_", None),
            "landmarks": {name: getattr(model, f"{name}_", default)
                          for name, default in LANDMARK_FITTED.items()},
            "loss_history_": model.loss_history_,
            "input_scaling_": getattr(model, "input_scaling_", InputScaling()).to_json(),
            "graph": {"n_vertices": int(model.graph_.edges.n_vertices),
                      "n_neighbors": model.graph_.n_neighbors,
                      "metric": model.graph_.metric} if include_graph else None,
        },
    }
    # one-code models keep writing format 1, which older versions read
    save_model(path, tensors, config, version=FORMAT_VERSION if two_codes else 1)


def _restore_network(kind: str, config: dict, given: nn.Module | None, tensors, path) -> nn.Module:
    if config.get("type") == "code_map_encoder" and \
            (config.get("code_net") or {}).get("type") == "custom":
        # a user's code network behind the built-in map head: the user passes the former
        if given is None:
            raise ModelFileError(
                f"{path} holds a custom code network ({config['code_net'].get('class')}); pass an "
                f"instance of it as ParametricUMAP.load(path, encoder=...) — model files never "
                "carry code")
        try:
            rest = {k: v for k, v in config.items() if k not in ("type", "code_net")}
            net = CodeMapEncoder(given, **rest)
        except (TypeError, ValueError) as exc:
            raise ModelFileError(f"{path} has an invalid {kind} description: {exc}") from exc
    elif config.get("type") == "custom":
        if given is None:
            raise ModelFileError(
                f"{path} holds a custom {kind} ({config.get('class')}); pass an instance of it as "
                f"ParametricUMAP.load(path, {kind}=...) — model files never carry code")
        net = given
    else:
        try:
            net = build_network(config)
        except (TypeError, ValueError, KeyError) as exc:
            raise ModelFileError(f"{path} has an invalid {kind} description: {exc}") from exc
    try:
        net.load_state_dict(_unprefixed(kind, tensors), strict=True)
    except RuntimeError as exc:
        raise ModelFileError(f"{path}: the {kind} weights do not fit the network: {exc}") from exc
    net.eval()
    return net


def _class_names(names, path) -> list[str | None] | None:
    if names is None:
        return None
    if not isinstance(names, list) or not all(n is None or isinstance(n, str) for n in names):
        raise ModelFileError(f"{path}: class_names_ must be a list of names (or null)")
    return names


def model_from_file(cls, path, encoder=None, decoder=None, device="auto"):
    tensors, config = load_model(path)
    try:
        networks, fitted = config["networks"], config["fitted"]
        params = current_spelling(config["params"], networks.get("encoder"))
        model = cls(**{k: v for k, v in params.items() if v != "custom"})
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path} has an incomplete or foreign model config: {exc}") from exc
    if "encoder" not in networks:
        raise ModelFileError(f"{path} holds no encoder")
    given = {"encoder": encoder, "decoder": decoder, "classifier": None}
    model.device_ = resolve_device(device)
    for part in ("encoder", "decoder", "classifier"):
        net = None
        if part in networks:
            net = _restore_network(part, networks[part], given[part], tensors, path).to(model.device_)
        setattr(model, f"{part}_", net)
    model.n_features_in_ = fitted["n_features_in_"]
    model.image_shape_ = tuple(fitted["image_shape_"]) if fitted["image_shape_"] else None
    model.a_, model.b_, model.n_epochs_ = fitted["a_"], fitted["b_"], fitted["n_epochs_"]
    model.n_neighbors_ = int(fitted.get("n_neighbors_", model.n_neighbors))
    for name, value in _final_settings(model, params, fitted).items():
        setattr(model, f"{name}_", value)
    model.classes_ = np.asarray(fitted["classes_"]) if fitted["classes_"] is not None else None
    model.training_labels_ = (tensors["training_labels"].numpy() if "training_labels" in tensors
                              else None)
    model.class_names_ = _class_names(fitted.get("class_names_"), path)
    for name, default in LANDMARK_FITTED.items():  # files before continued training: a fit's
        setattr(model, f"{name}_", (fitted.get("landmarks") or {}).get(name, default))
    model.loss_history_ = fitted["loss_history_"]
    model.input_scaling_ = InputScaling.from_json(fitted.get("input_scaling_"))
    model.embedding_ = tensors["embedding"].numpy() if "embedding" in tensors else None
    if isinstance(model.encoder_, CodeMapEncoder):
        model.codes_ = tensors["codes"].numpy() if "codes" in tensors else None
    else:
        model.codes_ = model.embedding_
    model.graph_ = None
    if fitted.get("graph"):
        g = fitted["graph"]
        edges = EdgeSet(tensors["graph.head"].numpy(), tensors["graph.tail"].numpy(),
                        tensors["graph.weight"].numpy(), g["n_vertices"])
        model.graph_ = NeighborGraph(tensors["graph.knn_indices"].numpy(),
                                     tensors["graph.knn_dists"].numpy(), None, None, edges,
                                     g["n_neighbors"], g["metric"])
    return model


class ModelFiles:
    """The estimator's model-file methods: ``save``, ``load``, ``export_onnx``."""

    def save(self, path: str | os.PathLike, include_graph: bool = False) -> None:
        """Save weights and configuration to one safetensors file (see :mod:`pumap_core.persistence`)."""
        self._check_fitted()
        model_to_file(self, path, include_graph)

    @classmethod
    def load(cls, path: str | os.PathLike, encoder: nn.Module | None = None,
             decoder: nn.Module | None = None, device: str = "auto"):
        """Load a saved model. Custom (non built-in) networks must be passed in
        again, since a model file never carries code."""
        return model_from_file(cls, path, encoder, decoder, device)

    def export_onnx(self, path: str | os.PathLike, opset: int = 17) -> None:
        """Export the encoder (flat float32 rows → codes) to ONNX, batch size dynamic."""
        self._check_fitted()
        encoder_to_onnx(self, path, opset)


def encoder_to_onnx(model, path: str | os.PathLike, opset: int = 17) -> None:
    encoder = model.encoder_.to("cpu").eval()
    example = torch.zeros(2, model.n_features_in_)
    try:
        torch.onnx.export(encoder, (example,), str(path), input_names=["x"], output_names=["z"],
                          dynamic_axes={"x": {0: "n"}, "z": {0: "n"}}, opset_version=opset,
                          dynamo=False)
    finally:
        model.encoder_.to(model.device_)
