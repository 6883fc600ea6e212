"""Saving, loading and exporting a fitted :class:`ParametricUMAP`."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch
from torch import nn

from . import io, nets
from .graph import EdgeSet, NeighborGraph

#: Constructor parameters that are objects rather than settings; never stored.
_NOT_STORED = ("callback",)
#: Two-code parameters, left out of one-code models' files so that those stay
#: format 1 exactly (older versions would refuse an unknown parameter).
_TWO_CODE_PARAMS = ("code_components", "code_umap_weight", "map_grad", "map_epochs")
#: Newer parameters stored only when set, so that files of models that do not use them
#: stay readable by versions that do not know them.
_STORED_WHEN_SET = ("conv_widths",)


def _json_params(model) -> dict[str, Any]:
    params = {}
    for name, value in model.get_params(deep=False).items():
        if name in _NOT_STORED:
            continue
        if name in _TWO_CODE_PARAMS and model.code_components is None:
            continue
        if name in _STORED_WHEN_SET and value is None:
            continue
        if isinstance(value, tuple):
            value = list(value)
        if isinstance(value, nn.Module):
            value = "custom"
        elif isinstance(value, np.generic):
            value = value.item()
        elif isinstance(value, np.random.RandomState):
            value = None
        params[name] = value
    return params


def model_to_file(model, path: str | os.PathLike, include_graph: bool = False) -> None:
    tensors: dict[str, torch.Tensor] = {}
    networks = {}
    for part in ("encoder", "decoder", "classifier"):
        net = getattr(model, f"{part}_")
        if net is not None:
            tensors.update(io.prefixed(part, net.state_dict()))
            networks[part] = nets.network_config(net)
    if include_graph:
        edges = model.graph_.edges
        tensors.update({"graph.head": torch.from_numpy(edges.head),
                        "graph.tail": torch.from_numpy(edges.tail),
                        "graph.weight": torch.from_numpy(edges.weight),
                        "graph.knn_indices": torch.from_numpy(np.ascontiguousarray(model.graph_.knn_indices)),
                        "graph.knn_dists": torch.from_numpy(np.ascontiguousarray(model.graph_.knn_dists))})
    if getattr(model, "embedding_", None) is not None:
        tensors["embedding"] = torch.from_numpy(np.ascontiguousarray(model.embedding_))
    two_codes = isinstance(model.encoder_, nets.CodeMapEncoder)
    if two_codes and getattr(model, "codes_", None) is not None:
        tensors["codes"] = torch.from_numpy(np.ascontiguousarray(model.codes_, dtype=np.float32))
    config = {
        "params": _json_params(model),
        "networks": networks,
        "fitted": {
            "n_features_in_": int(model.n_features_in_),
            "image_shape_": list(model.image_shape_) if model.image_shape_ else None,
            "a_": model.a_, "b_": model.b_, "n_epochs_": int(model.n_epochs_),
            "classes_": model.classes_.tolist() if model.classes_ is not None else None,
            "loss_history_": model.loss_history_,
            "graph": {"n_vertices": int(model.graph_.edges.n_vertices),
                      "n_neighbors": model.graph_.n_neighbors,
                      "metric": model.graph_.metric} if include_graph else None,
        },
    }
    # one-code models keep writing format 1, byte for byte what older versions read
    io.save_model(path, tensors, config, version=2 if two_codes else 1)


def _restore_network(kind: str, config: dict, given: nn.Module | None, tensors, path) -> nn.Module:
    if config.get("type") == "code_map_encoder" and \
            (config.get("code_net") or {}).get("type") == "custom":
        # a user's code network behind the built-in map head: the user passes the former
        if given is None:
            raise io.ModelFileError(
                f"{path} holds a custom code network ({config['code_net'].get('class')}); pass an "
                f"instance of it as ParametricUMAP.load(path, encoder=...) — model files never "
                "carry code")
        try:
            rest = {k: v for k, v in config.items() if k not in ("type", "code_net")}
            net = nets.CodeMapEncoder(given, **rest)
        except (TypeError, ValueError) as exc:
            raise io.ModelFileError(f"{path} has an invalid {kind} description: {exc}") from exc
    elif config.get("type") == "custom":
        if given is None:
            raise io.ModelFileError(
                f"{path} holds a custom {kind} ({config.get('class')}); pass an instance of it as "
                f"ParametricUMAP.load(path, {kind}=...) — model files never carry code")
        net = given
    else:
        try:
            net = nets.build_network(config)
        except (TypeError, ValueError, KeyError) as exc:
            raise io.ModelFileError(f"{path} has an invalid {kind} description: {exc}") from exc
    try:
        net.load_state_dict(io.unprefixed(kind, tensors), strict=True)
    except RuntimeError as exc:
        raise io.ModelFileError(f"{path}: the {kind} weights do not fit the network: {exc}") from exc
    net.eval()
    return net


def model_from_file(cls, path, encoder=None, decoder=None, device="auto"):
    from .estimator import resolve_device

    tensors, config = io.load_model(path)
    try:
        params, networks, fitted = config["params"], config["networks"], config["fitted"]
        model = cls(**{k: v for k, v in params.items() if v != "custom"})
    except (KeyError, TypeError) as exc:
        raise io.ModelFileError(f"{path} has an incomplete or foreign model config: {exc}") from exc
    if "encoder" not in networks:
        raise io.ModelFileError(f"{path} holds no encoder")
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
    model.classes_ = np.asarray(fitted["classes_"]) if fitted["classes_"] is not None else None
    model.loss_history_ = fitted["loss_history_"]
    model.embedding_ = tensors["embedding"].numpy() if "embedding" in tensors else None
    if isinstance(model.encoder_, nets.CodeMapEncoder):
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


def encoder_to_onnx(model, path: str | os.PathLike, opset: int = 17) -> None:
    encoder = model.encoder_.to("cpu").eval()
    example = torch.zeros(2, model.n_features_in_)
    try:
        torch.onnx.export(encoder, (example,), str(path), input_names=["x"], output_names=["z"],
                          dynamic_axes={"x": {0: "n"}, "z": {0: "n"}}, opset_version=opset,
                          dynamo=False)
    finally:
        model.encoder_.to(model.device_)
