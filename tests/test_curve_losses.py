import numpy as np
import pytest
import torch

from pumap_core.training import losses
from pumap_core.training.curve import find_ab_params


@pytest.mark.parametrize("min_dist,spread", [(0.0, 1.0), (0.1, 1.0), (0.5, 1.0), (0.25, 2.0)])
def test_ab_params_equal_umap_learn(min_dist, spread):
    umap_ = pytest.importorskip("umap.umap_")
    ref = umap_.find_ab_params(spread, min_dist)
    np.testing.assert_allclose(find_ab_params(min_dist, spread), ref, rtol=1e-3)


def test_ab_params_reject_nonsense():
    with pytest.raises(ValueError, match="min_dist"):
        find_ab_params(2.0, 1.0)
    with pytest.raises(ValueError, match="spread"):
        find_ab_params(0.1, 0.0)


def test_cross_entropy_is_exact_eq_2_8():
    a, b = 1.58, 0.9
    d2_pos = torch.tensor([0.3, 2.0])
    d2_neg = torch.tensor([0.5, 4.0, 9.0, 0.01])
    q = lambda d2: 1.0 / (1.0 + a * d2 ** b)  # noqa: E731
    expected = (-torch.log(q(d2_pos)).sum() - 2.0 * torch.log(1 - q(d2_neg)).sum()) / 2
    got = losses.umap_batch_loss(d2_pos, d2_neg, a, b, repulsion_strength=2.0)
    assert torch.allclose(got, expected, rtol=1e-5)
    # repulsion is not capped at log 2 (umap-learn's logit bug): near points repel strongly
    assert losses.umap_batch_loss(torch.tensor([1.0]), torch.tensor([1e-4]), a, b) > 3 * np.log(2)


def test_cross_entropy_has_finite_gradients_at_zero_distance():
    z = torch.zeros(4, 2, requires_grad=True)
    d2 = losses.squared_distances(z[:2], z[2:])
    loss = losses.umap_batch_loss(d2, d2, 1.58, 0.9)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(z.grad).all()


def test_global_correlation_loss_is_minus_pearson():
    x = torch.randn(50, 5)
    loss = losses.global_correlation_loss(x[:25], x[25:], x[:25] * 3, x[25:] * 3)
    assert loss.item() == pytest.approx(-1.0, abs=1e-5)


def test_reconstruction_and_classifier_losses():
    x = torch.rand(8, 4)
    assert losses.reconstruction_loss(x, x, "mse").item() == 0
    assert losses.reconstruction_loss(x, x, "bce").item() > 0
    with pytest.raises(ValueError, match="mse"):
        losses.reconstruction_loss(x, x, "l1")
    logits = torch.tensor([[5.0, 0.0], [0.0, 5.0], [9.0, -9.0]])
    masked = losses.classifier_loss(logits, torch.tensor([0, 1, -1]))
    assert masked.item() == pytest.approx(losses.classifier_loss(logits[:2], torch.tensor([0, 1])).item())
    assert losses.classifier_loss(logits, torch.tensor([-1, -1, -1])).item() == 0


def test_pairwise_squared_distances_match_cdist_and_have_finite_gradients():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(40, 2, generator=g) * 5, torch.randn(30, 2, generator=g) * 5
    b[0] = a[0]  # one pair at distance zero, where a square root's gradient would be infinite
    a.requires_grad_(True)
    d2 = losses.pairwise_squared_distances(a, b)
    assert torch.allclose(d2, torch.cdist(a, b).pow(2), atol=1e-4)
    losses.umap_batch_loss(d2.diagonal()[:30], d2, 1.58, 0.9).backward()
    assert torch.isfinite(a.grad).all()


def test_adam_is_fused_where_torch_can_and_steps_like_plain_adam():
    from pumap_core.training.optimizer import adam

    torch.manual_seed(0)
    fused_net, plain_net = torch.nn.Linear(5, 3), torch.nn.Linear(5, 3)
    plain_net.load_state_dict(fused_net.state_dict())
    fused, plain = adam(fused_net.parameters(), 1e-2), torch.optim.Adam(plain_net.parameters(), lr=1e-2)
    x = torch.randn(16, 5)
    for net, opt in ((fused_net, fused), (plain_net, plain)):
        for _ in range(5):
            opt.zero_grad()
            net(x).pow(2).sum().backward()
            opt.step()
    major, minor = (int(v) for v in torch.__version__.split(".")[:2])
    assert bool(fused.defaults["fused"]) == ((major, minor) >= (2, 4))  # CPU fusion from 2.4
    for p, q in zip(fused_net.parameters(), plain_net.parameters(), strict=True):
        assert torch.allclose(p, q, atol=1e-6)


def test_all_pairs_loss_equals_the_batch_loss_on_its_diagonal_and_matrix():
    g = torch.Generator().manual_seed(1)
    d2 = torch.rand(16, 16, generator=g) * 4
    w = torch.rand(16, generator=g)
    expected = losses.umap_batch_loss(d2.diagonal(), d2, 1.58, 0.9, 0.3, w)
    assert torch.allclose(losses.umap_all_pairs_loss(d2, 1.58, 0.9, 0.3, w), expected)
