"""Data-parallel training with ``torch.distributed``: each rank its own edges.

UMAP's loss is a sum over sampled edges, so N processes that each sample their
own share of the edges and average their gradients take the same expected step
as one process with an N-times larger batch. What the ranks must agree on is
small: the starting weights (broadcast from rank 0), the gradients (one
all-reduce per step, flattened into one buffer) and when to stop (rank 0's
convergence check, broadcast). The graph is built once, before the ranks start.

Two ways in:
- ``torchrun --nproc-per-node N script.py``: the script calls ``fit`` as usual;
  :func:`active` sees the process group torchrun set up (call
  :func:`init_from_env` first).
- :func:`spawn`: starts N local processes on this machine (gloo on CPU, nccl on
  GPUs when each rank has one, else gloo); :func:`pumap_core.model.data_parallel.fit_data_parallel` and
  ``python -m pumap_core fit --nproc N`` use it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable
from typing import Any

import torch
import torch.distributed as dist
from torch import nn


def active() -> bool:
    """True inside an initialised process group of more than one rank."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    return dist.get_rank() if active() else 0


def world_size() -> int:
    return dist.get_world_size() if active() else 1


def backend_for(device: torch.device | str, nproc: int = 1) -> str:
    """nccl when each of the ``nproc`` local ranks has a GPU of its own; gloo otherwise:
    for CPU tensors, and for ranks that share GPUs (NCCL refuses two ranks on one GPU,
    as "invalid usage"; gloo reduces CUDA tensors too, through the host)."""
    if torch.device(device).type == "cuda" and nproc <= torch.cuda.device_count():
        return "nccl"
    return "gloo"


def init_from_env(device: torch.device | str = "cpu") -> None:
    """Join the process group torchrun describes in the environment (a no-op without it)."""
    if "RANK" in os.environ and not dist.is_initialized():
        local = int(os.environ.get("LOCAL_WORLD_SIZE", os.environ.get("WORLD_SIZE", "1")))
        dist.init_process_group(backend_for(device, local))


def broadcast_parameters(modules: Iterable[nn.Module | None]) -> None:
    """Every rank starts from rank 0's weights (and buffers)."""
    if not active():
        return
    for module in modules:
        if module is None:
            continue
        for tensor in [*module.parameters(), *module.buffers()]:
            dist.broadcast(tensor.data, src=0)


def average_gradients(parameters: Iterable[torch.Tensor]) -> None:
    """Replace each gradient by its mean over the ranks, in one all-reduce."""
    if not active():
        return
    params = [p for p in parameters if p.requires_grad]
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= dist.get_world_size()
    at = 0
    for p, g in zip(params, grads, strict=True):
        n = g.numel()
        p.grad = flat[at:at + n].view_as(p)
        at += n


def agree(decision: bool) -> bool:
    """Rank 0's ``decision``, on every rank (so that all ranks stop at the same step)."""
    if not active():
        return decision
    on = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" \
        else torch.device("cpu")  # nccl moves only GPU tensors
    flag = torch.tensor([1 if decision else 0], dtype=torch.int32, device=on)
    dist.broadcast(flag, src=0)
    return bool(flag.item())


def free_port() -> int:
    """A free TCP port on 127.0.0.1 for the ranks' rendezvous."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_rank(index: int, world: int, port: int, backend: str, threads: int,
              job: Callable[..., Any], args: tuple) -> None:
    torch.set_num_threads(threads)
    dist.init_process_group(backend, init_method=f"tcp://127.0.0.1:{port}",
                            rank=index, world_size=world)
    try:
        job(*args)
    finally:
        dist.destroy_process_group()


def spawn(nproc: int, job: Callable[..., Any], args: tuple = (), device: str = "cpu",
          threads_per_rank: int | None = None) -> None:
    """Run ``job(*args)`` in ``nproc`` local processes joined in one process group.

    ``job`` must be importable (a module-level function); rank 0 is the one that
    writes results. CPU threads are split between the ranks unless given.
    """
    if nproc < 1:
        raise ValueError(f"nproc must be at least 1, got {nproc}")
    threads = threads_per_rank or max(1, torch.get_num_threads() // nproc)
    torch.multiprocessing.spawn(
        _run_rank, args=(nproc, free_port(), backend_for(device, nproc), threads, job, args),
        nprocs=nproc, join=True)

