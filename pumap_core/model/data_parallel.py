"""``fit`` in N processes: the graph built once, then data-parallel training.

Each rank runs the ordinary ``ParametricUMAP.fit`` on the same rows and graph;
the training loop sees the process group and shares the edges and gradients
(:mod:`pumap_core.training.distributed`). Rank 0 writes the model file, which
is the same kind of file a single-process fit writes.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from ..device import resolve_device
from ..graph import EdgeSet, NeighborGraph, build_graph
from ..training import distributed
from ..validation import check_fit_data, check_labels
from .estimator import ParametricUMAP
from .params import check_params, checked_rows, fit_neighbors


def fit_data_parallel(params: dict[str, Any], X: Any, nproc: int, out: str | os.PathLike,
                      y: Any = None, graph: NeighborGraph | None = None,
                      include_graph: bool = False) -> None:
    """Fit ``ParametricUMAP(**params)`` on ``X`` (and labels ``y``) in ``nproc`` processes;
    rank 0 saves the model to ``out``.

    The neighbour graph is built here, once (or taken as given), and handed to
    the ranks with the data through temporary files, so no rank rebuilds it.
    Bad parameters or data fail here, before any process starts. On CUDA each
    rank takes its own GPU (nccl); elsewhere the ranks share the CPU (gloo).
    """
    probe = ParametricUMAP(**params)
    check_params(probe)
    rows, image_shape = checked_rows(X)
    n_neighbors = fit_neighbors(probe.n_neighbors, rows.shape[0])  # each rank lowers it alike
    check_fit_data(rows, n_neighbors)
    labels = check_labels(y, rows.shape[0])
    device = resolve_device(probe.device)
    if device.type == "cuda" and nproc > torch.cuda.device_count():
        warnings.warn(f"{nproc} processes share {torch.cuda.device_count()} GPU(s): they reduce "
                      "gradients through the host (gloo); one process with a larger batch_size "
                      "uses a GPU better", stacklevel=2)
    if graph is None:
        graph = build_graph(rows, n_neighbors, probe.metric, knn_method=probe.knn_method,
                            random_state=probe.random_state, device=device)
    with tempfile.TemporaryDirectory(prefix="pumap-ddp-") as tmp:
        x_path, graph_path = os.path.join(tmp, "X.npy"), os.path.join(tmp, "graph.npz")
        np.save(x_path, rows if image_shape is None else rows.reshape(-1, *image_shape))
        save_graph(graph, graph_path)
        y_path = None
        if labels is not None:
            y_path = os.path.join(tmp, "y.npy")
            np.save(y_path, labels)
        job = (x_path, y_path, graph_path, dict(params), os.fspath(out), include_graph)
        distributed.spawn(nproc, _fit_rank, job, device)


def _fit_rank(x_path: str, y_path: str | None, graph_path: str, params: dict[str, Any],
              out: str, include_graph: bool) -> None:
    rank = distributed.rank()
    params["verbose"] = bool(params.get("verbose")) and rank == 0  # one progress bar
    if resolve_device(params.get("device", "auto")).type == "cuda":
        params["device"] = f"cuda:{rank % torch.cuda.device_count()}"
        torch.cuda.set_device(params["device"])
    model = ParametricUMAP(**params)
    y = None if y_path is None else np.load(y_path)
    model.fit(np.load(x_path), y, graph=load_graph(graph_path))
    if rank == 0:
        model.save(out, include_graph=include_graph)
    dist.barrier()


def save_graph(graph: NeighborGraph, path: str | os.PathLike) -> None:
    """The graph's arrays in one ``.npz`` (plain arrays: loading runs no code)."""
    e = graph.edges
    np.savez(path, knn_indices=graph.knn_indices, knn_dists=graph.knn_dists,
             sigmas=graph.sigmas, rhos=graph.rhos, head=e.head, tail=e.tail, weight=e.weight,
             n_vertices=e.n_vertices, n_neighbors=graph.n_neighbors, metric=graph.metric)


def load_graph(path: str | os.PathLike) -> NeighborGraph:
    with np.load(path, allow_pickle=False) as f:
        edges = EdgeSet(f["head"], f["tail"], f["weight"], int(f["n_vertices"]))
        return NeighborGraph(f["knn_indices"], f["knn_dists"], f["sigmas"], f["rhos"], edges,
                             int(f["n_neighbors"]), str(f["metric"]))
