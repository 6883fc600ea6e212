"""Training-only augmentation (pumap_core.nets.augment) and the estimator's umap_weight."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pumap_core import ParametricUMAP
from pumap_core.nets import ClassifierHead, MLPEncoder
from pumap_core.nets.augment import Augmented, GaussianNoise, ImageJitter
from pumap_core.nets.classifier import encode_with_features


def _blobs(n: int = 8, shape=(8, 8)) -> torch.Tensor:
    """Flat images with a bright square off the centre (so any shift shows)."""
    x = torch.zeros(n, *shape)
    x[:, 2:5, 3:6] = 1.0
    return x.reshape(n, -1)


def test_jitter_moves_pixels_in_training_mode_and_keeps_shape():
    x = _blobs()
    out = ImageJitter((8, 8), max_shift=2, seed=0)(x)
    assert out.shape == x.shape
    moved = (out - x).abs().sum(1)
    assert (moved > 0.5).sum() >= 6  # almost every image is shifted by a visible amount
    # a translation moves mass around, it does not create it (square stays inside)
    assert torch.allclose(out.sum(1), x.sum(1), atol=1.5)


def test_shifts_are_whole_pixels_within_range_and_cover_it():
    img = torch.zeros(1, 7, 7)
    img[0, 3, 3] = 1.0
    jitter = ImageJitter((7, 7), max_shift=2, seed=0)
    seen = set()
    for _ in range(200):
        out = jitter(img.reshape(1, -1)).reshape(7, 7)
        (r, c), = torch.nonzero(out).tolist()
        assert out.sum() == 1.0 and abs(r - 3) <= 2 and abs(c - 3) <= 2
        seen.add((r, c))
    assert len(seen) == 25  # every offset in [-2, 2]² occurs


def test_jitter_colour_images_keep_channels_apart():
    x = torch.zeros(4, 6, 6, 3)
    x[..., 1] = 1.0  # only the green channel lit
    out = ImageJitter((6, 6, 3), max_shift=1, max_rotation=10, max_scale=0.1, seed=1)(
        x.reshape(4, -1)).reshape(4, 6, 6, 3)
    assert out[..., 0].abs().max() == 0 and out[..., 2].abs().max() == 0
    assert out[..., 1].sum() > 0


def test_zero_jitter_is_identity():
    x = torch.rand(5, 64)
    assert torch.allclose(ImageJitter((8, 8), max_shift=0, seed=0)(x), x, atol=1e-5)


def test_augmented_is_identity_in_eval_mode():
    torch.manual_seed(0)
    enc = MLPEncoder(64, 2)
    wrapped = Augmented(enc, ImageJitter((8, 8), max_shift=2, seed=0))
    x = _blobs()
    wrapped.eval()
    assert torch.equal(wrapped(x), enc(x))
    wrapped.train()
    assert not torch.allclose(wrapped(x), enc(x))


def test_augmentation_is_seeded():
    x = _blobs()
    a, b = ImageJitter((8, 8), seed=3), ImageJitter((8, 8), seed=3)
    assert torch.equal(a(x), b(x))
    assert torch.equal(a(x), b(x))  # the streams stay in step
    assert not torch.equal(ImageJitter((8, 8), seed=4)(x), ImageJitter((8, 8), seed=3)(x))
    n1, n2 = GaussianNoise(0.1, seed=0), GaussianNoise(0.1, seed=0)
    assert torch.equal(n1(x), n2(x)) and not torch.equal(n1(x), x)


def test_bad_augmentation_settings_are_rejected():
    with pytest.raises(ValueError):
        ImageJitter((64,))
    with pytest.raises(ValueError):
        ImageJitter((8, 8), max_shift=-1)
    with pytest.raises(ValueError):
        ImageJitter((8, 8), max_shift=1.5)
    with pytest.raises(ValueError):
        ImageJitter((8, 8), max_scale=1.0)
    with pytest.raises(ValueError):
        GaussianNoise(-0.1)


def test_wrapper_exposes_the_hidden_layer_for_the_classifier_head():
    torch.manual_seed(0)
    enc = MLPEncoder(64, 2, hidden=(16, 12))
    wrapped = Augmented(enc, ImageJitter((8, 8), seed=0)).eval()
    x = torch.rand(3, 64)
    z, h = encode_with_features(wrapped, x)
    assert h is not None and h.shape == (3, 12) and wrapped.n_hidden_features == 12
    assert torch.allclose(z, enc(x))
    # the output layer is shared, not copied into a second state_dict entry
    assert not any(k.startswith("out.") for k in wrapped.state_dict())


def _labelled_digits(digits, per_class: int = 10):
    X, y = digits
    labels = np.full(len(y), -1)
    picked = np.concatenate([np.flatnonzero(y == c)[:per_class] for c in range(10)])
    labels[picked] = y[picked]
    return X, y, labels, picked


def test_augmented_encoder_fits_predicts_and_reloads(digits, tmp_path):
    X, y, labels, _ = _labelled_digits(digits)
    X, y, labels = X[:500], y[:500], labels[:500]

    def wrapped():
        return Augmented(MLPEncoder(64, 2), ImageJitter((8, 8), max_shift=1, seed=0))

    model = ParametricUMAP(encoder=wrapped(), n_epochs=2, random_state=0).fit(X, labels)
    assert isinstance(model.classifier_, ClassifierHead)
    assert model.classifier_.n_inputs == 100  # branches off the MLP's hidden layer
    # eval-mode embedding: transform is deterministic and equals the fitted embedding
    assert np.allclose(model.transform(X), model.embedding_, atol=1e-5)
    assert np.array_equal(model.transform(X[:50]), model.transform(X[:50]))
    path = tmp_path / "aug.safetensors"
    model.save(path)
    loaded = ParametricUMAP.load(path, encoder=wrapped(), device="cpu")
    assert np.allclose(loaded.transform(X[:50]), model.transform(X[:50]), atol=1e-5)
    assert np.array_equal(loaded.predict(X[:50]), model.predict(X[:50]))


def test_umap_weight_zero_trains_the_classifier_alone(digits):
    X, y, labels, picked = _labelled_digits(digits)
    model = ParametricUMAP(umap_weight=0.0, n_epochs=3, random_state=0).fit(X, labels)
    assert all("umap" not in h and "classifier" in h for h in model.loss_history_)
    assert np.mean(model.predict(X[picked]) == y[picked]) > 0.9  # it did learn the labels
    both = ParametricUMAP(n_epochs=1, random_state=0).fit(X[:300], labels[:300])
    assert "umap" in both.loss_history_[-1]


def test_umap_weight_is_validated_and_stored(digits, tmp_path):
    X, _ = digits
    with pytest.raises(ValueError, match="umap_weight"):
        ParametricUMAP(umap_weight=-1.0).fit(X[:100])
    with pytest.raises(ValueError, match="zero"):  # nothing left to train
        ParametricUMAP(umap_weight=0.0, n_epochs=1).fit(X[:100])
    model = ParametricUMAP(umap_weight=0.5, n_epochs=1, random_state=0).fit(X[:200])
    model.save(tmp_path / "m.safetensors")
    assert ParametricUMAP.load(tmp_path / "m.safetensors").umap_weight == 0.5
