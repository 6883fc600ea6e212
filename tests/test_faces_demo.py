"""The faces demo (experiments/faces_demo.py) end to end on tiny data, in seconds.

The evaluation is checked against a model whose answer is known: a linear
"autoencoder" (PCA) on synthetic faces where attributes are a brightness and
a redness shift, so decoding +a along a feature vector must look brighter
(redder) to the judge, and the flipped directions must fail. The full CelebA
run is not part of the test suite (minutes of CPU).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from experiments import faces_demo
from experiments.faces_tools import SmallConvDecoder, SmallConvEncoder
from harness.face_judge import (
    AttributeClassifier,
    decode_shifts,
    downsample,
    shift_scores,
    shift_sizes,
)
from harness.figures import image_grid
from pumap_core.features import feature_vectors

ATTRS = ("Bright", "Red")


def synthetic_faces(n: int = 200, size: int = 16, seed: int = 0) -> faces_demo.Faces:
    """A random colour, a blob at a random place; "Bright" adds 0.25 to every pixel,
    "Red" 0.3 to the red channel."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] / size
    cy, cx = rng.uniform(0.2, 0.8, (2, n, 1, 1))
    blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 0.03)[..., None]
    img = 0.3 * rng.uniform(0, 1, (n, 1, 1, 3)) + 0.4 * blob * rng.uniform(0.3, 1, (n, 1, 1, 3))
    attrs = pd.DataFrame({a: rng.integers(0, 2, n) for a in ATTRS})
    img = img + 0.25 * attrs["Bright"].to_numpy()[:, None, None, None]
    img[..., 0] += 0.3 * attrs["Red"].to_numpy()[:, None, None]
    return faces_demo.Faces((np.clip(img, 0, 1) * 255).astype(np.uint8), attrs)


class PCAModel:
    """A linear autoencoder with ParametricUMAP's transform/inverse_transform."""

    def __init__(self, images: np.ndarray, k: int = 8) -> None:
        X = images.reshape(len(images), -1) / 255.0
        self.shape, self.mean = images.shape[1:], X.mean(0)
        self.V = np.linalg.svd(X - self.mean, full_matrices=False)[2][:k]

    def transform(self, images: np.ndarray) -> np.ndarray:
        return (images.reshape(len(images), -1) / 255.0 - self.mean) @ self.V.T

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        return np.clip(Z @ self.V + self.mean, 0, 1).reshape(-1, *self.shape)


@pytest.fixture(scope="module")
def known():
    faces = synthetic_faces()
    train, test = faces_demo.split(faces, 50, seed=0)
    model = PCAModel(train.images)
    Z = model.transform(train.images)
    directions = feature_vectors(Z, train.attributes)
    judge = AttributeClassifier(size=8).fit(train.images, train.attributes)
    return train, test, model, Z, directions, judge


def test_judge_learns_the_synthetic_attributes(known):
    train, test, *_, judge = known
    acc = judge.accuracy(test.images, test.attributes)
    assert list(acc.index) == list(ATTRS)
    assert (acc["accuracy"] > 0.9).all(), acc


def test_shift_sizes_are_n_std_of_the_projection(known):
    _, _, _, Z, directions, _ = known
    alphas = shift_sizes(Z, directions, 2.0)
    for name, w in directions.iterrows():
        w = w.to_numpy()
        spread = (Z @ (w / np.linalg.norm(w))).std()
        assert np.isclose(alphas[name] * np.linalg.norm(w), 2.0 * spread)


def test_decode_shifts_middle_is_the_plain_decode(known):
    _, test, model, _, directions, _ = known
    Z = model.transform(test.images[:5])
    out = decode_shifts(model, Z, directions, "Bright", 3.0)
    assert out.shape == (3, 5, 16, 16, 3)
    np.testing.assert_allclose(out[1], model.inverse_transform(Z), atol=1e-6)
    assert out[2].mean() > out[1].mean() > out[0].mean()  # brighter along +w_Bright


def test_shift_scores_rise_along_known_directions_and_fall_when_flipped(known):
    _, test, model, Z, directions, judge = known
    Z_test = model.transform(test.images)
    alphas = shift_sizes(Z, directions, 2.0)
    table = shift_scores(model, Z_test, directions, alphas, judge)
    assert table["passed"].all(), table
    assert (table["score_plus"] > table["score_zero"]).all()
    assert (table["score_zero"] > table["score_minus"]).all()
    assert (table["frac_up"] > 0.8).all()
    flipped = shift_scores(model, Z_test, -directions, alphas, judge)
    assert not flipped["passed"].any(), flipped
    np.testing.assert_allclose(flipped["score_plus"], table["score_minus"])


def test_downsample_and_grid():
    imgs = np.arange(2 * 4 * 4 * 3, dtype=np.uint8).reshape(2, 4, 4, 3)
    d = downsample(imgs, 2)
    assert d.shape == (2, 12)
    assert np.isclose(d[0, 0], imgs[0, :2, :2, 0].mean() / 255)
    with pytest.raises(ValueError, match="block-averaged"):
        downsample(imgs, 3)
    grid = image_grid([[imgs[0], imgs[1]]] * 3, header=[("a", 1), ("b", 1)],
                      subheader=["x", "y"])
    assert grid.size[1] > 3 * 4 and grid.size[0] == 2 + 2 * (4 + 2)


@pytest.mark.parametrize("size", [16, 32, 64])
def test_small_nets_round_trip_shapes(size):
    import torch

    enc, dec = SmallConvEncoder((size, size, 3), 5), SmallConvDecoder((size, size, 3), 5)
    x = torch.rand(4, size * size * 3)
    with torch.no_grad():
        z = enc(x)
        y = dec(z)
    assert z.shape == (4, 5)
    assert y.shape == x.shape and float(y.min()) >= 0 and float(y.max()) <= 1


def _check_outputs(out: Path, table: pd.DataFrame, attrs, n_rows: int, size: int) -> None:
    assert list(table.index.get_level_values("attribute").unique()) == list(attrs)
    assert list(table.index.get_level_values("shift_std").unique()) == [1.0, 2.0]
    for col in ("accuracy", "alpha", "score_minus", "score_zero", "score_plus", "passed"):
        assert col in table.columns
    assert table[["score_minus", "score_zero", "score_plus"]].apply(
        lambda s: s.between(0, 1)).all().all()
    csv = pd.read_csv(out / "faces_shift.csv", index_col=["attribute", "shift_std"])
    assert csv.index.equals(table.index)
    with Image.open(out / "faces_grid.png") as grid:
        assert grid.size[0] > (1 + 3 * len(attrs)) * size
        assert grid.size[1] > n_rows * size
    with Image.open(out / "faces_reconstructions.png") as recon:
        assert recon.size[1] > 2 * size


@pytest.mark.parametrize("nets", ["builtin", "small"])
def test_demo_runs_end_to_end_on_synthetic_faces(tmp_path, nets):
    from pumap_core import ParametricUMAP

    faces = synthetic_faces()
    cfg = faces_demo.DemoConfig(out_dir=tmp_path, n_test=50, n_components=8, nets=nets,
                                attributes=ATTRS, n_grid_faces=3,
                                save_model=tmp_path / "faces.pumap")
    table = faces_demo.run(cfg, faces=faces)
    _check_outputs(tmp_path, table, ATTRS, 3, 16)
    assert set(cfg.timings) >= {"load", "fit", "judge", "evaluate", "total"}
    # brightness is the largest variation: one epoch decodes it along w_Bright
    assert table.loc["Bright", "passed"].all(), table
    assert (table["auc_decoded"] > 0.5).all()
    if nets == "builtin":  # built-in nets reload without code
        model = ParametricUMAP.load(tmp_path / "faces.pumap")
        assert model.transform(faces.images[:3]).shape == (3, 8)


def test_demo_on_a_few_real_faces(tmp_path, shared_data_dir):
    if not (shared_data_dir / "celeba").is_dir():
        pytest.skip(f"no celeba/ under {shared_data_dir}")
    attrs = ("Smiling", "Male")
    cfg = faces_demo.DemoConfig(data_dir=shared_data_dir, out_dir=tmp_path, n_images=200,
                                n_test=50, image_size=32, n_components=16, n_epochs=1,
                                attributes=attrs, n_grid_faces=2)
    table = faces_demo.run(cfg)
    _check_outputs(tmp_path, table, attrs, 2, 32)
    assert (table["accuracy"] > 0.5).all()


def test_cli_parses_and_rejects_unknown_nets():
    with pytest.raises(ValueError, match="nets"):
        faces_demo.make_model(faces_demo.DemoConfig(nets="tiny"), (16, 16, 3))
    with pytest.raises(SystemExit):
        faces_demo.main(["--nets", "tiny"])
