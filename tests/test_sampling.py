import numpy as np
import pytest
import torch

from pumap_core.graph import EdgeSet
from pumap_core.graph.sampling import EdgeSampler


def _edges():
    head = np.array([0, 1, 1, 2, 2, 3], dtype=np.int64)
    tail = np.array([1, 0, 2, 1, 3, 2], dtype=np.int64)
    weight = np.array([1.0, 1.0, 0.1, 0.1, 0.5, 0.5], dtype=np.float32)
    return EdgeSet(head, tail, weight, n_vertices=10)


def test_positive_edges_are_drawn_in_proportion_to_weight():
    sampler = EdgeSampler(_edges(), batch_size=20000, negative_sample_rate=1,
                          generator=torch.Generator().manual_seed(0))
    b = sampler.sample()
    head, tail = b.nodes[b.head_pos].numpy(), b.nodes[b.tail_pos].numpy()
    freq = np.array([np.mean((head == h) & (tail == t)) for h, t in zip(_edges().head, _edges().tail, strict=True)])
    np.testing.assert_allclose(freq, _edges().weight / _edges().weight.sum(), atol=0.01)


@pytest.mark.parametrize("negatives", ["uniform", "in_batch"])
def test_batches_index_one_set_of_unique_nodes(negatives):
    sampler = EdgeSampler(_edges(), batch_size=64, negative_sample_rate=5, negatives=negatives,
                          generator=torch.Generator().manual_seed(1))
    b = sampler.sample()
    assert len(torch.unique(b.nodes)) == len(b.nodes)
    assert b.neg_head_pos.shape == b.neg_tail_pos.shape == (64 * 5,)
    assert int(max(b.head_pos.max(), b.neg_tail_pos.max())) < len(b.nodes)


def test_uniform_negatives_cover_all_vertices():
    sampler = EdgeSampler(_edges(), batch_size=512, negative_sample_rate=5,
                          generator=torch.Generator().manual_seed(2))
    b = sampler.sample()
    assert set(b.nodes[b.neg_tail_pos].tolist()) == set(range(10))


def test_epoch_is_one_pass_over_the_edge_mass():
    sampler = EdgeSampler(_edges(), batch_size=2)
    assert sampler.steps_per_epoch == int(np.ceil(3.2 / 2))


def test_empty_graph_is_rejected():
    empty = EdgeSet(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32), 5)
    with pytest.raises(ValueError, match="no edges"):
        EdgeSampler(empty)


def test_all_pairs_negatives_keep_the_expected_repulsion():
    sampler = EdgeSampler(_edges(), batch_size=64, negative_sample_rate=5, negatives="batch_all",
                          generator=torch.Generator().manual_seed(3))
    b = sampler.sample()
    assert b.all_pairs and b.negative_weight == pytest.approx(5 / 64)
    assert b.neg_head_pos.shape == b.neg_tail_pos.shape == (64,)


def test_all_pairs_loss_has_finite_gradients_for_coincident_points():
    from pumap_core.training import losses

    z = torch.zeros(6, 2, requires_grad=True)
    d2 = torch.cdist(z[:3], z[3:]).pow(2).flatten()
    losses.umap_batch_loss(d2[:3], d2, 1.58, 0.9).backward()
    assert torch.isfinite(z.grad).all()


def test_all_pairs_tail_weights_undo_degree_bias():
    """Tails come ∝ weighted degree; their weights make the repulsion uniform over vertices."""
    edges = _edges()
    sampler = EdgeSampler(edges, batch_size=50_000, negatives="batch_all",
                          generator=torch.Generator().manual_seed(4))
    b = sampler.sample()
    tails = b.nodes[b.neg_tail_pos]
    mass = torch.zeros(edges.n_vertices).index_add_(0, tails, b.neg_tail_weight) / len(tails)
    present = np.unique(edges.tail)
    np.testing.assert_allclose(mass[present].numpy(), 1.0 / len(present), rtol=0.05)


def test_large_all_pairs_batches_come_in_equal_blocks():
    """Past ``pair_block`` edges each head meets the tails of its own block only, weighted
    so that it still meets m negatives' worth of repulsion."""
    for asked, blocks, size in ((256, 1, 256), (3000, 3, 3000), (2500, 3, 2502)):
        sampler = EdgeSampler(_edges(), batch_size=asked, negative_sample_rate=5,
                              negatives="batch_all", pair_block=1024,
                              generator=torch.Generator().manual_seed(5))
        b = sampler.sample()
        assert (sampler.batch_size, b.pair_blocks) == (size, blocks)
        assert b.head_pos.shape == (size,)
        assert b.negative_weight * size / blocks == pytest.approx(5)  # m per head


def test_blocked_all_pairs_loss_is_the_mean_of_its_blocks():
    from pumap_core.training import losses

    gen = torch.Generator().manual_seed(6)
    heads, tails = torch.randn(3, 8, 2, generator=gen), torch.randn(3, 8, 2, generator=gen)
    weights = torch.rand(3, 8, generator=gen)
    blocked = losses.umap_all_pairs_loss(losses.pairwise_squared_distances(heads, tails),
                                         1.58, 0.9, 0.5, weights)
    each = [losses.umap_all_pairs_loss(losses.pairwise_squared_distances(heads[i], tails[i]),
                                       1.58, 0.9, 0.5, weights[i]) for i in range(3)]
    assert blocked.item() == pytest.approx(torch.stack(each).mean().item(), rel=1e-5)
    d2 = losses.pairwise_squared_distances(heads, tails)
    np.testing.assert_allclose(d2[1].numpy(), torch.cdist(heads[1], tails[1]).pow(2).numpy(),
                               rtol=1e-4, atol=1e-5)
