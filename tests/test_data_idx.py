"""MNIST-style IDX files: good layouts and every kind of broken file."""

import gzip
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pumap_core.data import DataError, load
from pumap_core.data.idx import read_idx


def idx_bytes(arr, magic=None):
    """IDX encoding of a uint8 array (``magic`` overrides the header)."""
    arr = np.asarray(arr, dtype=np.uint8)
    head = struct.pack(">I", 0x0800 | arr.ndim if magic is None else magic)
    return head + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.tobytes()


def write_idx(path, arr, gz=True, magic=None):
    data = idx_bytes(arr, magic)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def make_mnist(folder, n_train=12, n_test=5, gz=True, seed=0):
    """A folder in MNIST's four-file layout; returns the arrays written."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if gz else ""
    out = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        imgs = rng.integers(0, 256, (n, 4, 3), dtype=np.uint8)
        labs = rng.integers(0, 10, n, dtype=np.uint8)
        write_idx(folder / f"{split}-images-idx3-ubyte{ext}", imgs, gz)
        write_idx(folder / f"{split}-labels-idx1-ubyte{ext}", labs, gz)
        out[split] = (imgs, labs)
    return out


def test_folder_loads_train_split_by_default(tmp_path):
    arrays = make_mnist(tmp_path / "mnist")
    ds = load(tmp_path / "mnist")
    imgs, labs = arrays["train"]
    np.testing.assert_array_equal(ds.images, imgs)
    np.testing.assert_array_equal(ds.labels, labs)
    np.testing.assert_allclose(ds.X, imgs.reshape(len(imgs), -1) / 255.0, rtol=1e-6)
    assert ds.label_names == [str(i) for i in range(10)]
    assert ds.name == "mnist" and ds.image_shape == (4, 3)


def test_test_split_and_raw_uncompressed_files(tmp_path):
    arrays = make_mnist(tmp_path / "m", gz=False)
    ds = load(tmp_path / "m", split="test")
    np.testing.assert_array_equal(ds.images, arrays["t10k"][0])


def test_all_concatenates_with_split_column_and_limit_spans_splits(tmp_path):
    arrays = make_mnist(tmp_path / "m")
    ds = load(tmp_path / "m", split="all")
    assert ds.n_samples == 17
    assert ds.attributes["split"].tolist() == ["train"] * 12 + ["test"] * 5
    np.testing.assert_array_equal(ds.labels[12:], arrays["t10k"][1])
    ds = load(tmp_path / "m", split="all", limit=14)
    assert ds.attributes["split"].tolist() == ["train"] * 12 + ["test"] * 2


def test_limit_takes_the_first_rows(tmp_path):
    arrays = make_mnist(tmp_path / "m")
    ds = load(tmp_path / "m", limit=3)
    np.testing.assert_array_equal(ds.images, arrays["train"][0][:3])


def test_single_images_file_finds_its_labels(tmp_path):
    arrays = make_mnist(tmp_path / "m")
    ds = load(tmp_path / "m" / "t10k-images-idx3-ubyte.gz")
    np.testing.assert_array_equal(ds.labels, arrays["t10k"][1])
    assert ds.name == "m-test"


def test_images_file_without_labels_has_no_labels(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((3, 2, 2)))
    ds = load(tmp_path / "train-images-idx3-ubyte.gz")
    assert ds.labels is None and ds.n_samples == 3


def test_fashion_folder_gets_class_names(tmp_path):
    make_mnist(tmp_path / "fashion-mnist")
    assert load(tmp_path / "fashion-mnist").label_names[0] == "T-shirt/top"


def test_labels_file_alone_is_refused(tmp_path):
    make_mnist(tmp_path / "m")
    with pytest.raises(DataError, match="labels file"):
        load(tmp_path / "m" / "train-labels-idx1-ubyte.gz")


def test_missing_split_is_named(tmp_path):
    make_mnist(tmp_path / "m")
    for p in (tmp_path / "m").glob("t10k*"):
        p.unlink()
    with pytest.raises(DataError, match="no test images file"):
        load(tmp_path / "m", split="test")


def test_wrong_magic_number(tmp_path):
    p = write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((2, 2, 2)), magic=0x12345678)
    with pytest.raises(DataError, match=r"train-images.*wrong IDX magic number 0x12345678"):
        load(p)


def test_truncated_gzip(tmp_path):
    blob = gzip.compress(idx_bytes(np.arange(600).reshape(6, 10, 10) % 251))
    p = tmp_path / "train-images-idx3-ubyte.gz"
    p.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz.*truncated"):
        load(p)


def test_truncated_data(tmp_path):
    p = tmp_path / "train-images-idx3-ubyte"
    p.write_bytes(idx_bytes(np.zeros((5, 3, 3)))[:-4])
    with pytest.raises(DataError, match="truncated data"):
        load(p)


def test_trailing_bytes_are_corruption(tmp_path):
    p = tmp_path / "x-images-idx3-ubyte"
    p.write_bytes(idx_bytes(np.zeros((2, 3, 3))) + b"junk")
    with pytest.raises(DataError, match="trailing bytes"):
        read_idx(p)


def test_image_and_label_counts_disagree(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((5, 2, 2)))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(4))
    with pytest.raises(DataError, match="5 images .* but 4 labels"):
        load(tmp_path)


def test_empty_idx_file(tmp_path):
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"")
    with pytest.raises(DataError, match="empty file"):
        load(tmp_path / "train-images-idx3-ubyte")


def test_not_gzip_despite_name_is_read_raw_or_rejected(tmp_path):
    p = tmp_path / "train-images-idx3-ubyte.gz"
    p.write_bytes(b"<html>not found</html>")
    with pytest.raises(DataError, match="magic"):
        load(p)


@settings(max_examples=25, deadline=None)
@given(
    shape=st.tuples(st.integers(0, 5), st.integers(1, 4), st.integers(1, 4)),
    gz=st.booleans(),
    seed=st.integers(0, 2**16),
    limit=st.one_of(st.none(), st.integers(1, 6)),
)
def test_idx_round_trip(tmp_path_factory, shape, gz, seed, limit):
    arr = np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)
    p = write_idx(tmp_path_factory.mktemp("idx") / "a-images-idx3-ubyte", arr, gz)
    np.testing.assert_array_equal(read_idx(p, limit), arr[:limit])
