"""load(): built-in names, format detection by content, available_datasets()."""

import gzip
import struct

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from pumap_core.data import DataError, available_datasets, load, sources


def _idx(arr):
    arr = np.asarray(arr, dtype=np.uint8)
    head = struct.pack(">I", 0x0800 | arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return gzip.compress(head + arr.tobytes())


def _mnist(folder, splits=("train", "t10k")):
    folder.mkdir(parents=True)
    for s, n in (("train", 7), ("t10k", 3)):
        if s in splits:
            (folder / f"{s}-images-idx3-ubyte.gz").write_bytes(_idx(np.zeros((n, 2, 2))))
            (folder / f"{s}-labels-idx1-ubyte.gz").write_bytes(_idx(np.arange(n) % 10))


def _celeba(folder):
    (folder / "img_align_celeba").mkdir(parents=True)
    Image.new("RGB", (9, 11)).save(folder / "img_align_celeba" / "000001.jpg")
    (folder / "list_attr_celeba.txt").write_text("1\nSmiling Male\n000001.jpg  1 -1\n")


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No data anywhere but in tmp_path/root."""
    monkeypatch.delenv("PUMAP_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(sources, "DEBIAN_FASHION", tmp_path / "no-debian")
    return tmp_path / "root"


def test_digits_is_builtin_and_offline():
    ds = load("digits")
    assert ds.X.shape == (1797, 64) and ds.image_shape == (8, 8)
    assert ds.X.min() == 0 and ds.X.max() == 1 and ds.X.dtype == np.float32
    assert ds.label_names == [str(i) for i in range(10)] and ds.name == "digits"
    assert load("digits", limit=10).n_samples == 10


def test_available_datasets_finds_only_what_is_there(isolated):
    assert available_datasets() == {"digits": "digits"}
    _mnist(isolated / "mnist")
    _mnist(isolated / "fashion-mnist", splits=("t10k",))
    _celeba(isolated / "celeba")
    found = available_datasets(isolated)
    assert set(found) == {"digits", "mnist", "mnist-test", "fashion-mnist-test", "celeba"}
    for name, source in found.items():
        by_name, by_source = load(name, data_dir=isolated), load(source)
        assert by_name.n_samples == by_source.n_samples, name
    assert load("mnist-test", data_dir=isolated).n_samples == 3
    assert load("fashion-mnist-test", data_dir=isolated).label_names[0] == "T-shirt/top"


def test_env_var_and_split_all(isolated, monkeypatch):
    _mnist(isolated / "mnist")
    monkeypatch.setenv("PUMAP_DATA_DIR", str(isolated))
    assert "mnist" in available_datasets()
    ds = load("mnist", split="all")
    assert ds.n_samples == 10 and ds.name == "mnist"


def test_named_data_set_missing_says_how_to_get_it(isolated):
    with pytest.raises(DataError, match="download mnist"):
        load("mnist")
    with pytest.raises(DataError, match="celeba: data set not found"):
        load("celeba")


def test_format_is_detected_from_content_not_extension(tmp_path):
    pd.DataFrame({"a": [1.0, 2.0], "label": [0, 1]}).to_csv(tmp_path / "table.dat", index=False)
    assert load(tmp_path / "table.dat").labels.tolist() == [0, 1]
    with open(tmp_path / "arr.bin", "wb") as f:
        np.save(f, np.ones((3, 2)))
    assert load(tmp_path / "arr.bin").X.shape == (3, 2)
    pd.DataFrame({"a": [1.0]}).to_parquet(tmp_path / "looks.csv")
    assert load(tmp_path / "looks.csv").X.shape == (1, 1)


def test_unknown_format(tmp_path):
    p = tmp_path / "blob.npy"
    p.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataError, match="blob.npy: unknown format"):
        load(p)


def test_missing_path_and_single_image(tmp_path):
    with pytest.raises(DataError, match="no such file or folder"):
        load(tmp_path / "nothing.csv")
    with pytest.raises(DataError, match="built-in names"):
        load("mnst")
    Image.new("RGB", (4, 4)).save(tmp_path / "one.png")
    with pytest.raises(DataError, match="single image is not a data set"):
        load(tmp_path / "one.png")


def test_folder_without_data(tmp_path):
    (tmp_path / "notes.md").write_text("hello")
    with pytest.raises(DataError, match="no supported data in this folder"):
        load(tmp_path)


@pytest.mark.parametrize("limit", [0, -3, 2.5, True, "10"])
def test_limit_is_validated(limit):
    with pytest.raises(DataError, match="limit"):
        load("digits", limit=limit)


def test_split_is_validated():
    with pytest.raises(DataError, match="split"):
        load("digits", split="validation")


def test_unknown_option_is_a_type_error():
    with pytest.raises(TypeError):
        load("digits", colour="blue")
