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
