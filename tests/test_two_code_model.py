"""Two-code models (``two_code=TwoCode(...)``): a d-D code the decoder reads and a 2-D
map of it; their public surface, files and errors, beside one-code models."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from pumap_core import Conv, ModelFileError, ParametricUMAP, TwoCode, persistence
from pumap_core.data import Dataset
from pumap_core.features import (
    direction_scales,
    direction_strengths,
    feature_vectors,
    interpolate_codes,
    rank_directions,
    shift_codes,
)
from pumap_core.presets import FACE_CODE, preset_for


def colour_images(n: int = 160, size: int = 16, seed: int = 0) -> tuple[np.ndarray, pd.DataFrame]:
    """Random-coloured blobs; "Bright" brightens the whole image, "Red" the red channel."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] / size
    cy, cx = rng.uniform(0.2, 0.8, (2, n, 1, 1))
    blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 0.03)[..., None]
    img = 0.3 * rng.uniform(0, 1, (n, 1, 1, 3)) + 0.4 * blob * rng.uniform(0.3, 1, (n, 1, 1, 3))
    attrs = pd.DataFrame({"Bright": rng.integers(0, 2, n), "Red": rng.integers(0, 2, n)})
    img = img + 0.25 * attrs["Bright"].to_numpy()[:, None, None, None]
    img[..., 0] += 0.3 * attrs["Red"].to_numpy()[:, None, None]
    return (np.clip(img, 0, 1) * 255).astype(np.uint8), attrs


@pytest.fixture(scope="module")
def faces():
    return colour_images()


@pytest.fixture(scope="module")
def two_code(faces):
    images, _ = faces
    return ParametricUMAP(two_code=TwoCode(6), reconstruction=True, n_epochs=2, batch_size=64,
                          negatives="in_batch", code_umap_weight=0.1, random_state=0,
                          device="cpu").fit(images)


@pytest.fixture(scope="module")
def one_code(small_digits):
    X, _ = small_digits
    return ParametricUMAP(reconstruction=True, n_epochs=2, random_state=0, device="cpu").fit(X)


def test_two_code_surface_shapes(two_code, faces):
    images, _ = faces
    m = two_code
    assert m.has_two_codes and m.code_width == 6
    Z, C = m.transform(images[:7]), m.encode(images[:7])
    assert Z.shape == (7, 2) and C.shape == (7, 6)
    assert m.embedding_.shape == (len(images), 2) and m.codes_.shape == (len(images), 6)
    np.testing.assert_allclose(m.encode(images), m.codes_, atol=1e-5)
    assert m.decode(C).shape == (7, 16, 16, 3)
    assert m.inverse_transform(Z).shape == (7, 16, 16, 3)
    assert m.codes_at(Z).shape == (7, 6)
    # the map is a function of the code: the map head applied to the codes
    with torch.no_grad():
        again = m.encoder_.map_head(torch.from_numpy(C)).numpy()
    np.testing.assert_allclose(again, Z, atol=1e-5)


def test_codes_at_a_training_point_is_its_code(two_code):
    m = two_code
    got = m.codes_at(m.embedding_[:20])
    # a point may sit almost on top of another one, so compare most, not all
    close = np.linalg.norm(got - m.codes_[:20], axis=1) < 0.05 * np.linalg.norm(m.codes_[:20], axis=1)
    assert close.mean() >= 0.8
    far = m.codes_at(np.array([[1e4, 1e4]], np.float32))
    nearest = np.argmin(np.linalg.norm(m.embedding_ - 1e4, axis=1))
    np.testing.assert_allclose(far[0], m.codes_[nearest], atol=1e-5)


def test_codes_at_with_reference_rows(two_code, faces):
    images, _ = faces
    ref = two_code.codes_at(two_code.embedding_[:3], X=images)
    np.testing.assert_allclose(ref, two_code.codes_at(two_code.embedding_[:3]), atol=1e-4)


def test_one_code_model_keeps_its_meaning(one_code, small_digits):
    X, _ = small_digits
    m = one_code
    assert not m.has_two_codes and m.code_width == 2
    np.testing.assert_array_equal(m.encode(X[:5]), m.transform(X[:5]))
    Z = m.transform(X[:5])
    np.testing.assert_array_equal(m.decode(Z), m.inverse_transform(Z))
    np.testing.assert_array_equal(m.codes_at(Z), Z)
    assert m.codes_ is m.embedding_


def test_two_code_mlp_with_projection(small_digits):
    X, _ = small_digits
    wide = np.repeat(X, 4, axis=1)  # 256 features: an input projection is used
    m = ParametricUMAP(two_code=TwoCode(5), reconstruction=True, n_epochs=2, random_state=0,
                       device="cpu").fit(wide)
    assert m.transform(wide[:3]).shape == (3, 2) and m.encode(wide[:3]).shape == (3, 5)
    assert m.decode(m.encode(wide[:3])).shape == (3, 256)


def test_save_load_two_code_exactly(two_code, faces, tmp_path):
    images, _ = faces
    path = tmp_path / "faces.pumap"
    two_code.save(path)
    loaded = ParametricUMAP.load(path, device="cpu")
    assert loaded.has_two_codes and loaded.two_code == two_code.two_code
    assert loaded.code_umap_weight_ == 0.1
    np.testing.assert_array_equal(loaded.transform(images), two_code.transform(images))
    np.testing.assert_array_equal(loaded.encode(images), two_code.encode(images))
    np.testing.assert_array_equal(loaded.codes_, two_code.codes_)
    C = two_code.encode(images[:4])
    np.testing.assert_array_equal(loaded.decode(C), two_code.decode(C))
    Z = two_code.transform(images[:4])
    np.testing.assert_array_equal(loaded.inverse_transform(Z), two_code.inverse_transform(Z))
    _, config = persistence.load_model(path)
    assert config["networks"]["encoder"]["type"] == "code_map_encoder"
    with open(path, "rb") as fh:
        assert b'"format_version":"3"' in fh.read(20000).replace(b" ", b"")


def test_one_code_files_stay_format_1(one_code, tmp_path):
    path = tmp_path / "one.pumap"
    one_code.save(path)
    _, config = persistence.load_model(path)
    assert "two_code" not in config["params"] and "code_umap_weight" not in config["params"]
    with open(path, "rb") as fh:
        assert b'"format_version":"1"' in fh.read(20000).replace(b" ", b"")


def test_custom_code_network_must_be_passed_back(small_digits, tmp_path):
    X, _ = small_digits

    def net():
        torch.manual_seed(1)
        return torch.nn.Sequential(torch.nn.Linear(64, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))

    code_net = net()
    m = ParametricUMAP(encoder=code_net, two_code=TwoCode(4), reconstruction=True, n_epochs=2,
                       random_state=0, device="cpu").fit(X)
    m.save(tmp_path / "c.pumap")
    with pytest.raises(ModelFileError, match="custom code network"):
        ParametricUMAP.load(tmp_path / "c.pumap")
    fresh = net()
    loaded = ParametricUMAP.load(tmp_path / "c.pumap", encoder=fresh, device="cpu")
    np.testing.assert_array_equal(loaded.encode(X), m.encode(X))
    np.testing.assert_array_equal(loaded.transform(X), m.transform(X))


# ---------------------------------------------------------------- errors
def test_decode_with_codes_of_the_wrong_width(two_code, one_code):
    with pytest.raises(ValueError, match="codes have 2 columns.*code has 6.*codes_at"):
        two_code.decode(np.zeros((1, 2), np.float32))
    with pytest.raises(ValueError, match="codes have 6 columns.*latent space has 2"):
        one_code.decode(np.zeros((1, 6), np.float32))
    with pytest.raises(ValueError, match="points have 6 columns.*map has 2"):
        two_code.inverse_transform(np.zeros((1, 6), np.float32))


def test_face_model_on_images_of_another_size_or_channel_count(two_code, faces):
    images, _ = faces
    bigger = np.repeat(np.repeat(images[:3], 2, axis=1), 2, axis=2)  # 32×32×3
    for method in (two_code.transform, two_code.encode, two_code.check_input):
        with pytest.raises(ValueError, match="32×32×3.*16×16×3"):
            method(bigger)
    with pytest.raises(ValueError, match="16×16×1.*16×16×3"):
        two_code.encode(images[:3, :, :, :1])
    with pytest.raises(ValueError, match="700 features.*768 features.*16×16×3 images"):
        two_code.transform(images[:3].reshape(3, -1)[:, :700])


def test_two_code_settings_are_checked(small_digits):
    X, _ = small_digits
    with pytest.raises(ValueError, match="two_code.code_components"):
        ParametricUMAP(two_code=TwoCode(0)).fit(X)
    with pytest.raises(ValueError, match="two_code.map_grad"):
        ParametricUMAP(two_code=TwoCode(4, map_grad=2.0)).fit(X)
    with pytest.raises(ValueError, match="two_code.map_batch_size"):
        ParametricUMAP(two_code=TwoCode(4, map_batch_size=0)).fit(X)
    with pytest.raises(ValueError, match="code_umap_weight"):
        ParametricUMAP(two_code=TwoCode(4), code_umap_weight=-1).fit(X)
    with pytest.raises(ValueError, match="two_code must be a TwoCode"):
        ParametricUMAP(two_code=4).fit(X)


def test_two_code_settings_are_not_ignored_on_a_one_code_model(small_digits):
    """Settings that only a two-code model reads fail on a one-code model, not silently."""
    X, _ = small_digits
    with pytest.raises(ValueError, match="code_umap_weight=0.1 weights .* two-code"):
        ParametricUMAP(code_umap_weight=0.1).fit(X)
    with pytest.warns(FutureWarning), pytest.raises(ValueError, match="map_epochs.*two-code"):
        ParametricUMAP(map_epochs=5).fit(X)


def test_deprecated_two_code_spelling_warns_and_trains_the_same_model(small_digits, tmp_path):
    X, _ = small_digits
    common = dict(reconstruction=True, n_epochs=1, random_state=0, device="cpu")
    with pytest.warns(FutureWarning, match="code_components=.*two_code=TwoCode"):
        old = ParametricUMAP(code_components=4, map_epochs=1, map_grad=0.5, **common).fit(X)
    new = ParametricUMAP(two_code=TwoCode(4, map_epochs=1, map_grad=0.5), **common).fit(X)
    np.testing.assert_array_equal(old.transform(X), new.transform(X))
    np.testing.assert_array_equal(old.encode(X), new.encode(X))
    old.save(tmp_path / "old.pumap")  # written in today's spelling: loads without a warning
    _, config = persistence.load_model(tmp_path / "old.pumap")
    assert "code_components" not in config["params"] and "two_code" in config["params"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = ParametricUMAP.load(tmp_path / "old.pumap", device="cpu")
    assert back.two_code == new.two_code
    with pytest.raises(ValueError, match="not both"):
        ParametricUMAP(code_components=4, two_code=TwoCode(4)).fit(X)


# --------------------------------------------------------- feature tools
def test_feature_vectors_and_shifts_work_on_codes(two_code, faces):
    _, attrs = faces
    W = feature_vectors(two_code.codes_, attrs)
    assert W.shape == (2, 6)
    moved = shift_codes(two_code.codes_[:3], W, "Bright", 1.0)
    assert two_code.decode(moved).shape == (3, 16, 16, 3)
    alphas = direction_scales(two_code.codes_, W, 1.0)
    proj = two_code.codes_ @ (W.loc["Red"].to_numpy() / np.linalg.norm(W.loc["Red"]))
    assert np.isclose(alphas["Red"] * np.linalg.norm(W.loc["Red"]), proj.std())


class LinearDecoder:
    """decode(c) = c @ B: the change along w is |w @ B| per unit."""

    def __init__(self, B):
        self.B = B

    def decode(self, codes):
        return np.asarray(codes) @ self.B


def test_rank_directions_orders_by_change_of_the_decode():
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(300, 3))
    B = np.diag([1.0, 5.0, 0.1])  # the second code dimension moves the output the most
    W = pd.DataFrame(np.eye(3), index=["a", "b", "c"], columns=["z0", "z1", "z2"])
    assert rank_directions(LinearDecoder(B), codes, W) == ["b", "a", "c"]
    s = direction_strengths(LinearDecoder(B), codes, W)
    assert list(s.index) == ["b", "a", "c"] and (s > 0).all()


def test_interpolate_codes():
    M = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [10.0, 10.0]])
    C = np.array([[0.0], [1.0], [2.0], [3.0]])
    on = interpolate_codes(M, M, C, k=3)
    np.testing.assert_allclose(on[:, 0], C[:, 0], atol=1e-3)
    middle = interpolate_codes([[0.5, 0.0]], M, C, k=2)
    np.testing.assert_allclose(middle, [[0.5]], atol=1e-6)
    far = interpolate_codes([[-100.0, -100.0]], M, C, k=4)
    np.testing.assert_allclose(far, [[0.0]], atol=1e-6)
    with pytest.raises(ValueError, match="codes has 2 rows but map points has 4"):
        interpolate_codes([[0.0, 0.0]], M, C[:2])


# ---------------------------------------------------------------- presets
def test_preset_for(faces, digits):
    images, attrs = faces
    face_kwargs = preset_for(Dataset(images=images, attributes=attrs, name="celeba"))
    assert face_kwargs["two_code"].code_components == FACE_CODE
    assert face_kwargs["n_components"] == 2
    assert face_kwargs["reconstruction"] and face_kwargs["n_epochs"] >= 1
    ParametricUMAP(**face_kwargs)  # every key is a constructor argument
    X, y = digits
    assert preset_for(Dataset(X=X, labels=y, name="digits")) == {}
    grey = (np.asarray(images).mean(-1)).astype(np.uint8)
    assert preset_for(Dataset(images=grey)) == {}


# ------------------------------------------------------ PCA-started nets
def test_pca_conv_nets_start_as_whitened_pca(faces):
    from sklearn.decomposition import PCA

    from pumap_core.nets.conv import PCAConvDecoder, PCAConvEncoder, pca_init

    images, _ = faces
    X = images.reshape(len(images), -1).astype(np.float32) / 255
    enc, dec = PCAConvEncoder((16, 16, 3), 5, widths=(8, 16)), PCAConvDecoder((16, 16, 3), 5, widths=(8, 16))
    parts = pca_init(X, 5, random_state=0)
    enc.init_pca(*parts)
    dec.init_pca(*parts)
    dec.eval()
    pca = PCA(5, whiten=True, svd_solver="randomized", random_state=0).fit(X)
    with torch.no_grad():
        codes = enc(torch.from_numpy(X)).numpy()
        back = dec(torch.from_numpy(codes)).numpy()
    np.testing.assert_allclose(np.abs(codes), np.abs(pca.transform(X)), atol=2e-3)
    np.testing.assert_allclose(back, np.clip(pca.inverse_transform(pca.transform(X)), 0, 1), atol=2e-3)


def test_pca_conv_two_code_model_saves_loads_and_refines_its_map(faces, tmp_path):
    images, _ = faces
    nets = Conv(widths=(8, 16), pca_start=True)
    m = ParametricUMAP(two_code=TwoCode(6, map_epochs=2, map_batch_size=256), reconstruction=True,
                       encoder=nets, decoder=nets, n_epochs=1, batch_size=64,
                       negatives="in_batch", random_state=0, device="cpu").fit(images)
    assert m.encoder_.code_net.widths == (8, 16)
    assert [h.get("stage") for h in m.loss_history_][-1] == "map"
    X = images.reshape(len(images), -1) / 255.0
    mse = float(((m.decode(m.encode(images)).reshape(len(images), -1) - X) ** 2).mean())
    assert mse < 0.02  # PCA-6 from the start, not a random decoder
    np.testing.assert_allclose(m.transform(images), m.embedding_, atol=1e-5)
    m.save(tmp_path / "p.pumap")
    loaded = ParametricUMAP.load(tmp_path / "p.pumap", device="cpu")
    assert loaded.encoder == nets and loaded.two_code.map_batch_size == 256
    np.testing.assert_array_equal(loaded.encode(images), m.encode(images))
    np.testing.assert_array_equal(loaded.decode(m.codes_[:3]), m.decode(m.codes_[:3]))
    before = m.transform(images)
    m.refine_map(1)
    assert not np.array_equal(before, m.transform(images))
    with pytest.raises(ValueError, match="needs the neighbour graph"):
        loaded.refine_map(1)


def test_marginal_feature_vectors_are_mean_differences():
    rng = np.random.default_rng(0)
    attrs = pd.DataFrame({"a": rng.integers(0, 2, 400), "b": rng.integers(0, 2, 400)})
    Z = rng.normal(size=(400, 3)) + np.outer(attrs["a"], [2.0, 0.0, -1.0])
    W = feature_vectors(Z, attrs, method="marginal")
    a = attrs["a"].to_numpy() == 1
    np.testing.assert_allclose(W.loc["a"], Z[a].mean(0) - Z[~a].mean(0), atol=1e-10)
    with pytest.raises(ValueError, match="method"):
        feature_vectors(Z, attrs, method="lasso")


def test_codes_at_while_fitting(faces):
    """A click during training (no codes_ yet) gets codes from the current networks."""
    images, _ = faces
    got = []
    model = ParametricUMAP(two_code=TwoCode(4), reconstruction=True, n_epochs=1, batch_size=64,
                           negatives="in_batch", random_state=0, device="cpu")

    def callback(snap):
        if not got and not snap.done:
            got.append(model.codes_at(np.zeros((2, 2), np.float32)))
            got.append(model.inverse_transform(np.zeros((1, 2), np.float32)))

    model.fit(images, callback=callback)
    assert got[0].shape == (2, 4) and got[1].shape == (1, 16, 16, 3)
    assert model._fitting_rows is None
