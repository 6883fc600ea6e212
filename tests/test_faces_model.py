"""experiments/faces_model.py, harness/faces.py and benchmarks/bench_faces.py on a tiny
CelebA-layout folder of synthetic faces, in seconds (the real runs take minutes: docs/guide/faces.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmarks import bench_faces
from experiments import faces_model
from harness.faces import face_model, load_faces
from pumap_core import ParametricUMAP
from pumap_core.presets import FACE_CODE

ATTRS = ["Smiling", "Eyeglasses", "Male", "Blond_Hair", "Wearing_Hat", "Young", "Bald"]


def make_faces(root: Path, n: int = 60, size: int = 40, seed: int = 0) -> Path:
    """A CelebA layout: coloured blobs as JPEGs and a ±1 attribute file."""
    rng = np.random.default_rng(seed)
    (root / "img_align_celeba").mkdir(parents=True)
    yy, xx = np.mgrid[:size, :size] / size
    values = rng.choice([-1, 1], size=(n, len(ATTRS)))
    lines = [str(n), " ".join(ATTRS)]
    for i in range(n):
        cy, cx = rng.uniform(0.3, 0.7, 2)
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 0.05)[..., None]
        img = 0.3 * rng.uniform(0, 1, 3) + 0.5 * blob * rng.uniform(0.3, 1, 3)
        img = img + 0.2 * (values[i, 0] > 0)
        name = f"{i + 1:06d}.jpg"
        Image.fromarray((np.clip(img, 0, 1) * 255).astype(np.uint8)).save(
            root / "img_align_celeba" / name, quality=95)
        lines.append(name + " " + " ".join(f"{v:2d}" for v in values[i]))
    (root / "list_attr_celeba.txt").write_text("\n".join(lines) + "\n")
    return root


@pytest.fixture(scope="module")
def faces_dir(tmp_path_factory):
    return make_faces(tmp_path_factory.mktemp("celeba"))


def test_faces_model_script_trains_and_saves(faces_dir, tmp_path, capsys):
    out = tmp_path / "faces.safetensors"
    assert faces_model.main(["--data", str(faces_dir), "--out", str(out), "--minutes", "0.05",
                             "--threads", "1"]) == 0
    printed = capsys.readouterr().out
    assert "loaded 60 faces" in printed and "saved" in printed
    model = ParametricUMAP.load(out, device="cpu")
    assert model.has_two_codes and model.code_width == FACE_CODE
    assert model.image_shape_ == (32, 32, 3)
    assert model.n_epochs >= 1 and model.n_epochs < 10_000  # what ran, not the placeholder
    ds = load_faces(faces_dir)
    assert model.decode(model.encode(ds.images[:3])).shape == (3, 32, 32, 3)
    # the folder above celeba/ works too
    assert len(load_faces(faces_dir.parent, limit=5)) == 5 if (faces_dir.parent / "celeba").is_dir() \
        else True


def test_faces_model_refuses_grey_images(tmp_path):
    from pumap_core.data import Dataset

    grey = Dataset(images=np.zeros((20, 8, 8), np.uint8))
    with pytest.raises(ValueError, match="not colour images"):
        face_model(grey)


def test_bench_faces_quick(faces_dir, tmp_path, capsys):
    assert bench_faces.main(["--quick", "--data", str(faces_dir), "--out", str(tmp_path),
                             "--threads", "1"]) == 0
    text = (tmp_path / "faces_latest.md").read_text()
    for row in ("held-out MSE", "identity top-1", "attribute shift: Smiling",
                "attribute shift: Young", "identity kept at +1 sd", "training wall time",
                "map trustworthiness"):
        assert row in text
    assert (tmp_path / "faces_latest.csv").is_file()
    grid = Image.open(tmp_path / "faces_grid.png")
    assert grid.width > 14 * 64 and grid.height > 64
