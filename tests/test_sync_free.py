"""A training step never waits for its device: no value read back to the host, no
random numbers drawn on the host, no tensor copied in from the host.

The step runs on PyTorch's ``meta`` device (tensors with shapes but no data),
under a dispatch mode that sees every operation: any host read (``item``,
``nonzero``, ``unique``...) or any CPU tensor entering the step shows up there,
as it would cost a synchronisation or a copy on a GPU. Loss sums come back
every ``readback_steps`` steps (:class:`~pumap_core.training.tally.LossTally`).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from pumap_core.graph import EdgeSet
from pumap_core.graph.sampling import EdgeSampler
from pumap_core.nets import ClassifierHead, CodeMapEncoder, MLPDecoder, MLPEncoder
from pumap_core.training import loop
from pumap_core.training.live import TrainingControls
from pumap_core.training.schedule import LinearDecay
from pumap_core.training.step import Landmarks, Networks, Settings, TrainingConfig, TrainingData
from pumap_core.training.tally import LossTally

#: operations whose result the host must wait for (their output size or value)
HOST_READS = ("_local_scalar_dense", "item", "nonzero", "unique", "masked_select", "is_nonzero",
              "equal")


class DeviceAudit(TorchDispatchMode):
    """Records operations that read to the host, and tensors not on ``device``."""

    def __init__(self, device: torch.device) -> None:
        super().__init__()
        self.device, self.host_reads, self.off_device = device, [], []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        name = str(func)
        if any(f".{word}" in name for word in HOST_READS):
            self.host_reads.append(name)
        tensors = [t for t in tree_flatten((args, kwargs, out))[0] if isinstance(t, torch.Tensor)]
        if any(t.device != self.device for t in tensors):
            self.off_device.append(name)
        return out


def _graph(n: int = 60) -> EdgeSet:
    rng = np.random.default_rng(0)
    return EdgeSet(rng.integers(0, n, 400), rng.integers(0, n, 400),
                   rng.random(400).astype(np.float32), n_vertices=n)


def _run_on_meta(negatives: str, two_codes: bool = False) -> loop.Run:
    """A run with every loss term on, built on the meta device."""
    meta, n = torch.device("meta"), 60
    edges = _graph(n)
    encoder = MLPEncoder(8, 4 if two_codes else 2)
    if two_codes:
        encoder = CodeMapEncoder(encoder, 2, code_components=4)
    nets = Networks(encoder.to(meta), MLPDecoder(4 if two_codes else 2, 8).to(meta),
                    ClassifierHead(2 if two_codes else 100, 3).to(meta))
    labels = torch.from_numpy(np.where(np.arange(n) % 3 == 0, np.arange(n) % 3, -1))
    data = TrainingData(inputs=torch.empty(n, 8, device=meta), edges=edges,
                        targets=torch.empty(n, 8, device=meta), labels=labels.to(meta))
    data.__dict__["labelled"] = torch.arange(0, n, 3, device=meta)  # found before the loop
    data.landmarks = Landmarks(positions=torch.empty(n, 2, device=meta),
                               held=torch.empty(n, device=meta), scale=0.3)
    config = TrainingConfig(batch_size=16, negatives=negatives, reconstruction_weight=1.0,
                            classifier_weight=1.0, landmark_weight=1.0,
                            global_correlation_weight=0.5,
                            code_umap_weight=0.5 if two_codes else 0.0, input_noise=0.1,
                            reconstruction_rows=8, readback_steps=10**9)
    controls = TrainingControls()
    # the meta device has no random generator of its own: its default one stands in;
    # torch's fused Adam does not run there either (on GPUs it keeps its state on the
    # device): plain SGD stands in for the optimiser, which is torch's, not ours
    return loop.Run(nets=nets, data=data, config=config, controls=controls, generator=None,
                    sampler=EdgeSampler(edges, 16, 5, negatives, None, meta),
                    settings=Settings(config, controls),
                    optimizer=torch.optim.SGD(nets.parameters(), lr=1e-2, foreach=False),
                    steps_per_epoch=10, total_steps=20, decay=LinearDecay(20),
                    tally=LossTally(10**9))


@pytest.mark.parametrize("negatives", ["batch_all", "uniform", "in_batch"])
@pytest.mark.parametrize("two_codes", [False, True])
def test_a_step_neither_reads_from_nor_copies_in_from_the_host(negatives, two_codes):
    run = _run_on_meta(negatives, two_codes)
    terms = set()
    add = run.tally.add
    run.tally.add = lambda step, values, total: (terms.update(values), add(step, values, total))
    with DeviceAudit(torch.device("meta")) as audit:
        for _ in range(3):
            loop.take_step(run)
    assert run.step == 3
    # every term ran in the audited steps
    assert terms == {"umap", "global", "reconstruction", "classifier", "landmark"} | (
        {"code_umap"} if two_codes else set())
    assert audit.host_reads == []
    assert audit.off_device == []


def test_the_audit_sees_a_host_read_and_a_host_copy():
    """The audit above can fail: a loss read back, or a CPU draw moved to the device."""
    meta = torch.device("meta")
    with DeviceAudit(meta) as audit:
        x = torch.empty(4, device=meta)
        x + torch.rand(4).to(meta)  # a random draw on the host, then copied over
    assert audit.off_device
    with DeviceAudit(torch.device("cpu")) as audit:
        float(torch.ones(3).sum())
    assert "aten._local_scalar_dense.default" in audit.host_reads


def test_losses_come_back_every_k_steps_and_a_nan_is_caught():
    tally = LossTally(every=4)
    copies = []
    read_back = tally.read_back

    def counted():
        copies.append(tally._pending)
        read_back()

    tally.read_back = counted
    for step in range(1, 11):
        tally.add(step, {"umap": torch.tensor(float(step))}, torch.tensor(2.0 * step))
    assert [c for c in copies if c] == [4, 4]  # steps 1–4 and 5–8; 9–10 still on the device
    means = tally.epoch_means()
    assert means == {"umap": pytest.approx(5.5), "total": pytest.approx(11.0)}
    assert tally.last == {"umap": 10.0, "total": 20.0}
    tally.add(11, {"umap": torch.tensor(1.0)}, torch.tensor(math.nan))
    with pytest.raises(FloatingPointError, match="nan at step 11"):
        tally.read_back()


def test_a_fit_reads_losses_back_a_few_times_per_epoch_not_every_step(small_digits):
    from pumap_core import ParametricUMAP

    X, _ = small_digits
    reads = []
    original = LossTally.read_back

    def counted(self):
        if self._pending:
            reads.append(self._pending)
        original(self)

    LossTally.read_back = counted
    try:
        model = ParametricUMAP(n_epochs=3, init=None, random_state=0).fit(X)
    finally:
        LossTally.read_back = original
    steps = model.loss_history_[-1]["step"]
    assert steps > 3 * len(reads) and sum(reads) == steps
