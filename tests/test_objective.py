"""The embedding objective: exact sums, the sampled estimate, and what it ranks."""

import numpy as np
import pytest

from pumap_core.eval.objective import sampled_objective, umap_cross_entropy
from pumap_core.graph import build_graph
from pumap_core.training.curve import find_ab_params


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 6, (4, 10))
    X = np.concatenate([c + rng.normal(0, 1, (60, 10)) for c in centres]).astype(np.float32)
    return X, build_graph(X, 10).edges


def brute_force(Z, edges, min_dist=0.1):
    a, b = find_ab_params(min_dist, 1.0)
    P = edges.to_sparse().toarray()
    d2 = ((Z[:, None] - Z[None]) ** 2).sum(-1)
    q = 1.0 / (1.0 + a * np.maximum(d2, 1e-8) ** b)
    off = ~np.eye(len(Z), dtype=bool)
    attraction = (P * -np.log(q))[off].sum()
    repulsion = ((1 - P) * -np.log1p(-np.minimum(q, 1 - 1e-15)))[off].sum()
    return attraction / len(Z), repulsion / len(Z)


def test_exact_equals_brute_force(blobs):
    X, edges = blobs
    Z = np.random.default_rng(1).normal(size=(len(X), 2))
    ce = umap_cross_entropy(Z, edges)
    att, rep = brute_force(Z, edges)
    assert ce.exact
    assert ce.attraction == pytest.approx(att, rel=1e-9)
    assert ce.repulsion == pytest.approx(rep, rel=1e-6)


def test_sampled_estimate_is_close_to_exact(blobs):
    X, edges = blobs
    Z = np.random.default_rng(2).normal(size=(len(X), 2))
    exact = umap_cross_entropy(Z, edges)
    sampled = umap_cross_entropy(Z, edges, exact_limit=10, n_pairs=400_000)
    assert not sampled.exact
    assert sampled.attraction == exact.attraction
    assert sampled.repulsion == pytest.approx(exact.repulsion, rel=0.02)


def test_structure_scores_lower_than_noise(blobs):
    X, edges = blobs
    rng = np.random.default_rng(3)
    labels = np.repeat(np.arange(4), 60)
    clustered = np.array([[0, 0], [20, 0], [0, 20], [20, 20]])[labels] + rng.normal(0, 1, (240, 2))
    shuffled = clustered[rng.permutation(240)]
    assert umap_cross_entropy(clustered, edges).total < umap_cross_entropy(shuffled, edges).total


def test_rejects_wrong_rows_and_nan(blobs):
    X, edges = blobs
    with pytest.raises(ValueError, match="n_vertices"):
        umap_cross_entropy(np.zeros((5, 2)), edges)
    Z = np.zeros((len(X), 2))
    Z[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        umap_cross_entropy(Z, edges)


def test_sampled_objective_matches_its_formula(blobs):
    """[Σ_edges p (−log q) + (m / n) Σ_i d_i Σ_{k≠i} (−log(1 − q_ik))] / n, by brute force."""
    X, edges = blobs
    Z = np.random.default_rng(4).normal(size=(len(X), 2))
    a, b = find_ab_params(0.1, 1.0)
    n = len(X)
    q = 1.0 / (1.0 + a * ((Z[:, None] - Z[None]) ** 2).sum(-1) ** b)
    attraction = -(edges.weight * np.log(q[edges.head, edges.tail])).sum()
    degree = np.bincount(edges.head, weights=edges.weight, minlength=n)
    repulsion = -np.log1p(-q + np.eye(n))  # the diagonal adds log 1 = 0
    expected = (attraction + 5 / n * (degree * repulsion.sum(1)).sum()) / n
    got = sampled_objective(Z, edges, 0.1, negative_sample_rate=5)
    assert got.total == pytest.approx(expected, rel=1e-6)
    assert got.repulsion < umap_cross_entropy(Z, edges).repulsion  # far less repulsion
