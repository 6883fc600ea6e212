"""Folders of .npy or Parquet shards: one Dataset, rows in natural name order."""

import numpy as np
import pandas as pd
import pytest

from pumap_core.data import DataError, load
from pumap_core.data.shards import load_shards, natural_key, shard_files


def _npy_shards(folder, blocks):
    folder.mkdir()
    for name, block in blocks.items():
        np.save(folder / name, block)
    return folder


def test_npy_shards_stack_in_natural_name_order(tmp_path):
    a, b, c = (np.full((n, 3), v, dtype=np.float32) for n, v in ((2, 0), (3, 1), (4, 2)))
    folder = _npy_shards(tmp_path / "s", {"part.0.npy": a, "part.2.npy": b, "part.10.npy": c})
    (folder / "_SUCCESS").write_text("")  # bookkeeping files are skipped
    ds = load(folder)
    np.testing.assert_array_equal(ds.X, np.concatenate([a, b, c]))
    assert ds.name == "s" and ds.labels is None
    assert load(folder, limit=4).X[:, 0].tolist() == [0, 0, 1, 1]
    assert sorted(["part.10", "part.2", "part.1"], key=natural_key) == ["part.1", "part.2", "part.10"]


def test_npy_shards_of_another_width_are_refused(tmp_path):
    folder = _npy_shards(tmp_path / "s", {"a.npy": np.zeros((2, 3)), "b.npy": np.zeros((2, 4))})
    with pytest.raises(DataError, match=r"b\.npy.*one width"):
        load(folder)


def test_parquet_shards_split_labels_features_and_attributes(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    df = pd.DataFrame({"f1": np.arange(6.0), "f2": np.arange(6.0) ** 2,
                       "class": list("xyzxyz"), "batch": list("aabbcc")})
    for i in range(3):
        df.iloc[2 * i:2 * i + 2].to_parquet(folder / f"part.{i}.parquet")
    ds = load(folder)
    np.testing.assert_array_equal(ds.X, df[["f1", "f2"]].to_numpy(np.float32))
    assert ds.labels.tolist() == [0, 1, 2, 0, 1, 2] and ds.label_names == ["x", "y", "z"]
    assert ds.attributes["batch"].tolist() == list("aabbcc")
    assert load_shards(folder, limit=3, label_column=None, progress=True).X.shape == (3, 2)


def test_parquet_shards_must_share_columns(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    pd.DataFrame({"a": [1.0, 2.0]}).to_parquet(folder / "0.parquet")
    pd.DataFrame({"b": [1.0, 2.0]}).to_parquet(folder / "1.parquet")
    with pytest.raises(DataError, match="differ from the first"):
        load(folder)


def test_what_is_not_a_shard_folder(tmp_path):
    mixed = _npy_shards(tmp_path / "m", {"a.npy": np.zeros((2, 2))})
    pd.DataFrame({"a": [1.0]}).to_parquet(mixed / "b.parquet")
    with pytest.raises(DataError, match="mixes"):
        load(mixed)
    other = _npy_shards(tmp_path / "o", {"a.npy": np.zeros((2, 2))})
    (other / "notes.txt").write_text("hello")
    assert shard_files(other) is None and shard_files(tmp_path / "missing") is None
