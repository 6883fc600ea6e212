"""Click decoding, steering sliders, click marker, colour-by naming and face-model checks,
without a browser: the session state and the views' Panel objects, on really trained models."""

from __future__ import annotations

import holoviews as hv
import numpy as np
import pandas as pd
import pytest

from app import colors, decode, faces
from app.views.inspector import InspectPanel
from app.views.steer import first_sliders
from pumap_core.data import Dataset
from tests.app_support import open_state

hv.extension("bokeh")
pytestmark = pytest.mark.timeout(240)

ATTRS = ("Smiling", "Eyeglasses", "Male", "Wearing_Hat")


def toy_faces(n: int = 240, side: int = 8, seed: int = 0) -> Dataset:
    """Small RGB images whose attributes change what they look like (a bright mouth for
    Smiling, a dark band for Eyeglasses, ...), with CelebA's 0/1 attribute table."""
    rng = np.random.default_rng(seed)
    attrs = pd.DataFrame(rng.integers(0, 2, (n, len(ATTRS))), columns=list(ATTRS)).astype(np.int8)
    img = rng.uniform(0.3, 0.5, (n, side, side, 3)).astype(np.float32)
    img[attrs["Smiling"].to_numpy() == 1, side - 2:, 2:side - 2] = 0.95
    img[attrs["Eyeglasses"].to_numpy() == 1, 2:4, :] = 0.05
    img[attrs["Male"].to_numpy() == 1, :, :, 2] += 0.4
    img[attrs["Wearing_Hat"].to_numpy() == 1, :2, :] = 0.8
    images = (np.clip(img, 0, 1) * 255).astype(np.uint8)
    return Dataset(X=images.reshape(n, -1).astype(np.float32) / 255, images=images,
                   attributes=attrs, name="toy-faces")


@pytest.fixture(scope="module")
def data():
    """The toy faces (in place of the shared digits)."""
    return toy_faces()


def face_state(data, **settings):
    """A session on ``data`` set for a short run with a decoder; closed on exit."""
    settings = {"n_epochs": 8, "random_state": 0, "reconstruction": True, **settings}
    return open_state(data, prebuild=False, **settings)


@pytest.fixture(scope="module")
def trained(data):
    """A finished run on the toy faces, with a decoder (and the face preset, if any)."""
    with face_state(data) as c:
        c.train(wait=True)
        c.poll()
        assert c.phase == "done", c.error
        yield c


def _pixels(html: str) -> bytes:
    src = html.split('src="', 1)[1].split('"', 1)[0]
    return src.encode()


def test_click_on_a_point_decodes_its_own_code(trained, data):
    f, model = trained.frame, trained.model
    i = int(np.argmax(f.xy[:, 0]))  # a point on the edge: nothing else exactly there
    c = trained.click_at(float(f.xy[i, 0]), float(f.xy[i, 1]))
    assert c.on_point and c.nearest == i and c.message == ""
    own = decode.encode(model, data.X[i:i + 1])
    np.testing.assert_allclose(c.z, own, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(c.decoded, decode.decode_codes(model, own)[0], atol=1e-6)


def test_click_on_empty_space_decodes_a_code_for_that_place(trained, data):
    f, model = trained.frame, trained.model
    x, y = 1.12, 1.12  # the plot's corner: no point there
    assert f.neighbours(x, y)[0][0] > decode.ON_POINT
    c = trained.click_at(x, y)
    assert not c.on_point and c.decoded is not None and np.isfinite(c.decoded).all()
    if decode.has_own_code(model):  # a blend of the nearby points' codes
        _, idx = f.neighbours(x, y, decode.N_REFERENCE)
        codes = decode.encode(model, data.X[idx])
        assert ((c.z >= codes.min(0) - 1e-5) & (c.z <= codes.max(0) + 1e-5)).all()
    else:  # the map is the code: the map point itself
        np.testing.assert_allclose(c.z, f.to_latent(x, y))


def test_marker_follows_the_click(trained):
    from app.views.scatter import ScatterView

    view = ScatterView(state=trained)
    hv.renderer("bokeh").get_plot(view.plot)
    view._on_tap(x=0.25, y=-0.5)
    assert view.marker.data == [(0.25, -0.5)]
    trained.click = None
    assert view.marker.data == []


def test_sliders_rank_move_the_face_and_reset(trained):
    panel = InspectPanel(state=trained)
    f = trained.frame
    trained.click_at(float(f.xy[3, 0]), float(f.xy[3, 1]))
    steer = panel.steer
    assert steer.layout.visible
    strength = trained.steering().strength
    assert list(steer.pick.value) == first_sliders(list(strength.index))
    assert list(steer.pick.value) == ["Smiling", "Male", "Eyeglasses"]  # what people look for
    assert (np.diff(strength.to_numpy()) <= 0).all() and strength.iloc[0] > 0
    plain = _pixels(steer.face.object)
    assert plain == _pixels(panel.click.object)  # no shift yet: the decode itself
    top = steer._by_name[steer.pick.value[0]]
    top.value = 2.0  # what dragging does: the face follows `value`, not the release
    moved = _pixels(steer.face.object)
    assert moved != plain and "+2.00" in steer.face.object
    steer.reset.clicks += 1  # the button: used to raise on value_throttled
    assert top.value == 0.0 and _pixels(steer.face.object) == plain


def test_pick_list_adds_any_attribute(trained):
    panel = InspectPanel(state=trained)
    trained.click_at(0.0, 0.0)
    steer = panel.steer
    assert sorted(steer.pick.options) == sorted(ATTRS)
    steer.pick.value = ["Wearing_Hat"]
    assert [s.label for s in steer.sliders.objects] == ["Wearing_Hat"]


def test_sliders_come_back_after_restart_reset_and_load(data):
    with face_state(data, n_epochs=3) as c:
        panel = InspectPanel(state=c)

        def click_shows_sliders():
            c.click_at(0.0, 0.0)
            return panel.steer.layout.visible and len(panel.steer.sliders.objects) == 3

        c.train(wait=True)
        c.poll()
        assert click_shows_sliders()
        blob = c.model_bytes()
        c.train(wait=True)  # Restart
        c.poll()
        assert not panel.steer.layout.visible  # the old click is gone with its model
        assert click_shows_sliders()
        c.reset()
        assert c.click is None and not panel.steer.layout.visible
        assert c.load_model_bytes(blob, "faces.safetensors"), c.error
        assert click_shows_sliders()
        assert panel.steer.face.object.count("<img") == 1


def test_colour_by_names_the_attribute_with_yes_no(data):
    with face_state(data) as c:
        assert c.color_by == "Smiling"
        codes, legend = colors.color_codes(data, "Eyeglasses")
        assert [name for name, _ in legend] == ["Eyeglasses: no", "Eyeglasses: yes"]
        np.testing.assert_array_equal(codes, data.attributes["Eyeglasses"].to_numpy())
    assert colors.default_color_by(["label", "Male"]) == "label"
    assert colors.default_color_by(["a", "b"]) == "a"


def test_face_model_on_other_images_says_so_and_keeps_running(trained, data):
    blob = trained.model_bytes()
    other = toy_faces(n=120, side=6)  # another image size: 108 values, not 192
    with open_state(other, prebuild=False) as c:
        assert not c.load_model_bytes(blob, "faces.safetensors")
        err = c.error
        assert "8×8×3" in err and "6×6×3" in err and "faces.safetensors" in err
        assert c.phase == "ready" and c.model is None
        grey = Dataset(X=np.repeat(data.X[:, ::3], 1, axis=1), attributes=data.attributes,
                       images=data.images[..., 0], name="grey")
        with pytest.raises(ValueError, match="8×8×3"):
            faces.check_model_fits(trained.model, grey)


def test_face_folders_load_at_one_size(tmp_path):
    (tmp_path / "img_align_celeba").mkdir()
    assert faces.is_face_source(str(tmp_path)) and faces.is_face_source("celeba")
    assert not faces.is_face_source("digits")
    assert faces.load_options(str(tmp_path), {})["image_size"] == faces.FACE_SIZE
    assert "image_size" not in faces.load_options("mnist", {})


def test_face_data_shows_and_trains_with_the_face_settings(data):
    from pumap_core import ParametricUMAP
    from pumap_core.data import load_digits
    from pumap_core.presets import preset_for

    face = preset_for(data)
    assert face.get("two_code")  # colour images get the two-code face model
    with open_state(data, prebuild=False) as c:
        assert c.reconstruction_weight == face["reconstruction_weight"]
        assert c.batch_size == face["batch_size"] and c.learning_rate == face["learning_rate"]
        plan = c.worker.plan_for(data)  # what Train runs: the face settings, epochs by cost
        assert plan.params["two_code"].code_components == face["two_code"].code_components
        assert plan.params["n_epochs"] >= 1 and plan.seconds > 0
        assert "n_epochs" not in faces.training_params(c.training_params())  # 0 = the plan's
        c.n_epochs = 2
        assert faces.training_params(c.training_params())["n_epochs"] == 2
        c.worker.set_dataset(load_digits(limit=100), prebuild=False)
        c.poll()
        engine = ParametricUMAP().get_params()
        assert c.reconstruction_weight == engine["reconstruction_weight"]
        assert "two_code" not in c.worker.plan_for(c.dataset).params


def test_picked_attributes_survive_a_new_ranking(trained):
    panel = InspectPanel(state=trained)
    trained.click_at(0.0, 0.0)
    steer = panel.steer
    chosen = [steer.pick.options[-1], steer.pick.options[0]]
    steer.pick.value = chosen
    trained._steering.strength = trained._steering.strength.iloc[::-1]  # the model moved on
    trained.click_at(0.1, 0.1)
    assert list(steer.pick.value) == chosen
    assert [s.label for s in steer.sliders.objects] == chosen


def _celeba_folder(root, ds: Dataset, first: int):
    """``ds`` written in CelebA's layout (JPEG names numbered from ``first``)."""
    from PIL import Image

    (root / "img_align_celeba").mkdir(parents=True)
    names = [f"{first + i:06d}.png" for i in range(ds.n_samples)]
    for name, img in zip(names, ds.images, strict=True):
        Image.fromarray(img).save(root / "img_align_celeba" / name)
    rows = [" ".join([n, *(("1" if v else "-1") for v in r)])
            for n, r in zip(names, ds.attributes.to_numpy(), strict=True)]
    (root / "list_attr_celeba.txt").write_text(
        "\n".join([str(len(names)), " ".join(ds.attributes.columns), *rows]) + "\n")
    return root


def test_a_face_model_decodes_faces_it_never_saw(tmp_path):
    """Train on one CelebA-layout folder, save; open another by path, load the model:
    clicks decode the new faces at once."""
    seen = _celeba_folder(tmp_path / "seen", toy_faces(n=120, seed=1), 1)
    unseen = _celeba_folder(tmp_path / "unseen", toy_faces(n=60, seed=2), 500)
    with open_state() as c:
        c.load(str(seen), wait=True)
        c.poll()
        assert c.dataset.image_shape == (faces.FACE_SIZE, faces.FACE_SIZE, 3)
        c.n_epochs = 2
        c.train(wait=True)
        c.poll()
        assert c.phase == "done", c.error
        blob = c.model_bytes()
        c.load(str(unseen), wait=True)
        c.poll()
        assert c.dataset.n_samples == 60 and c.model is None
        assert c.load_model_bytes(blob, "faces.safetensors"), c.error
        f = c.frame
        click = c.click_at(float(f.xy[7, 0]), float(f.xy[7, 1]))
        assert click.on_point and click.nearest == 7 and click.decoded.shape == (32, 32, 3)
        assert c.steering() is not None
