"""Arrays and tables: .npy, .npz, .csv, .parquet, .h5ad."""

import sys

import numpy as np
import pandas as pd
import pytest

from pumap_core.data import DataError, load


def _table(n=6):
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "f1": rng.normal(size=n), "f2": rng.integers(0, 5, n),
        "class": ["x", "y"] * (n // 2), "batch": ["a"] * n,
    })


def test_csv_splits_label_features_and_metadata(tmp_path):
    df = _table()
    df.to_csv(tmp_path / "t.csv", index=False)
    ds = load(tmp_path / "t.csv")
    np.testing.assert_allclose(ds.X, df[["f1", "f2"]].to_numpy(), rtol=1e-6)
    assert ds.labels.tolist() == [0, 1] * 3 and ds.label_names == ["x", "y"]
    assert list(ds.attributes.columns) == ["batch"]
    assert ds.X.dtype == np.float32 and ds.name == "t"


def test_integer_labels_keep_their_values_as_codes(tmp_path):
    pd.DataFrame({"a": [1.0, 2.0, 3.0], "label": [7, 2, 7]}).to_csv(tmp_path / "t.csv", index=False)
    ds = load(tmp_path / "t.csv")
    assert ds.labels.tolist() == [7, 2, 7] and len(ds.label_names) == 8


def test_explicit_label_and_feature_columns_and_no_label(tmp_path):
    _table().to_parquet(tmp_path / "t.parquet")
    ds = load(tmp_path / "t.parquet", label_column="batch", feature_columns=["f1"])
    assert ds.X.shape == (6, 1) and ds.label_names == ["a"]
    assert list(ds.attributes.columns) == ["f2", "class"]
    assert load(tmp_path / "t.parquet", label_column=None).labels is None
    with pytest.raises(DataError, match="no column 'nope'"):
        load(tmp_path / "t.parquet", label_column="nope")


def test_tsv_and_limit(tmp_path):
    _table().to_csv(tmp_path / "t.tsv", sep="\t", index=False)
    assert load(tmp_path / "t.tsv", limit=4).X.shape == (4, 2)


def test_nan_in_a_feature_column_is_named(tmp_path):
    df = _table()
    df.loc[3, "f2"] = np.nan
    df.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(DataError, match=r"t.csv: NaN or inf in column\(s\) f2 \(first at row 3\)"):
        load(tmp_path / "t.csv")


def test_inf_in_parquet(tmp_path):
    df = _table()
    df.loc[0, "f1"] = np.inf
    df.to_parquet(tmp_path / "t.parquet")
    with pytest.raises(DataError, match="f1"):
        load(tmp_path / "t.parquet")


def test_no_numeric_columns(tmp_path):
    pd.DataFrame({"a": ["x", "y"], "label": [0, 1]}).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(DataError, match="no numeric feature columns"):
        load(tmp_path / "t.csv")


def test_empty_and_header_only_csv(tmp_path):
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(DataError, match="e.csv: empty file"):
        load(tmp_path / "e.csv")
    (tmp_path / "h.csv").write_text("a,b\n")
    with pytest.raises(DataError, match="no rows"):
        load(tmp_path / "h.csv")


def test_npy_table_and_images(tmp_path):
    X = np.arange(12, dtype=np.float64).reshape(4, 3)
    np.save(tmp_path / "x.npy", X)
    np.testing.assert_array_equal(load(tmp_path / "x.npy").X, X)
    imgs = np.random.default_rng(0).integers(0, 256, (5, 4, 4), dtype=np.uint8)
    np.save(tmp_path / "i.npy", imgs)
    ds = load(tmp_path / "i.npy", limit=2)
    np.testing.assert_array_equal(ds.images, imgs[:2])
    rgb = np.random.default_rng(1).random((3, 2, 2, 3))
    np.save(tmp_path / "rgb.npy", rgb)
    ds = load(tmp_path / "rgb.npy")
    assert ds.image_shape == (2, 2, 3)
    np.testing.assert_allclose(ds.X, rgb.reshape(3, -1), rtol=1e-6)


@pytest.mark.parametrize(
    "arr, message",
    [
        (np.zeros(4), "expected a 2-D table or images"),
        (np.array([[1.0, np.nan]]), "NaN or inf in column 1"),
        (np.full((2, 3, 3), 300.0), r"\[0, 1\] or \[0, 255\]"),
    ],
)
def test_bad_npy_arrays(tmp_path, arr, message):
    np.save(tmp_path / "a.npy", arr)
    with pytest.raises(DataError, match=message):
        load(tmp_path / "a.npy")


def test_npy_object_arrays_are_not_unpickled(tmp_path):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="object arrays"):
        load(tmp_path / "o.npy")


def test_truncated_npy(tmp_path):
    np.save(tmp_path / "t.npy", np.zeros((100, 10)))
    p = tmp_path / "t.npy"
    p.write_bytes(p.read_bytes()[:500])
    with pytest.raises(DataError, match="t.npy"):
        load(p)


def test_npz_with_labels_and_extra_columns(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.ones((3, 2)), y=np.array(["a", "b", "a"]),
             batch=np.array([1, 2, 3]), other=np.zeros((2, 2)))
    ds = load(tmp_path / "d.npz")
    assert ds.X.shape == (3, 2) and ds.label_names == ["a", "b"]
    assert list(ds.attributes.columns) == ["batch"]
    np.savez(tmp_path / "bad.npz", X=np.ones((3, 2)), labels=np.zeros(2))
    with pytest.raises(DataError, match="3 rows in 'X' but 2 in 'labels'"):
        load(tmp_path / "bad.npz")
    np.savez(tmp_path / "none.npz", a=np.ones(2), b=np.ones(2))
    with pytest.raises(DataError, match="no array named X"):
        load(tmp_path / "none.npz")


def test_h5ad_without_anndata_says_how_to_install(tmp_path, monkeypatch):
    p = tmp_path / "cells.h5ad"
    p.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    monkeypatch.setitem(sys.modules, "anndata", None)
    with pytest.raises(DataError, match="pip install anndata"):
        load(p)


def test_h5ad_with_anndata(tmp_path, monkeypatch):
    import anndata  # installed with the package: .h5ad files must open out of the box

    if hasattr(anndata.settings, "allow_write_nullable_strings"):  # pandas 3 strings
        monkeypatch.setattr(anndata.settings, "allow_write_nullable_strings", True)
    obs = pd.DataFrame({"cell_type": pd.Categorical(["t", "b", "t"]), "label": [0, 1, 0]},
                       index=pd.Index(["c1", "c2", "c3"], dtype=object))
    anndata.AnnData(X=np.eye(3, dtype=np.float32), obs=obs).write_h5ad(tmp_path / "c.h5ad")
    ds = load(tmp_path / "c.h5ad")
    assert ds.X.shape == (3, 3) and ds.labels.tolist() == [0, 1, 0]
    assert "cell_type" in ds.attributes.columns and list(ds.attributes.index) == ["c1", "c2", "c3"]
    assert load(tmp_path / "c.h5ad", limit=2, label_column="cell_type").label_names == ["b", "t"]


def test_h5ad_rows_keep_their_gene_names(tmp_path, monkeypatch):
    import anndata

    if hasattr(anndata.settings, "allow_write_nullable_strings"):  # pandas 3 strings
        monkeypatch.setattr(anndata.settings, "allow_write_nullable_strings", True)
    var = pd.DataFrame(index=pd.Index(["CD3E", "MS4A1", "NKG7"], dtype=object))
    anndata.AnnData(X=np.eye(3, dtype=np.float32), var=var).write_h5ad(tmp_path / "pbmc.h5ad")
    ds = load(tmp_path / "pbmc.h5ad")
    assert ds.feature_names == ["CD3E", "MS4A1", "NKG7"] and ds.name == "pbmc"


def test_labels_beside_an_array_and_a_name_from_its_folder(tmp_path):
    folder = tmp_path / "olivetti"
    folder.mkdir()
    np.save(folder / "images.npy", np.zeros((6, 8, 8), np.uint8))
    np.save(folder / "labels.npy", np.array([0, 0, 1, 1, 2, 2]))
    ds = load(folder / "images.npy")
    assert ds.name == "olivetti" and ds.labels.tolist() == [0, 0, 1, 1, 2, 2]
    assert load(folder / "images.npy", limit=3).labels.tolist() == [0, 0, 1]
    np.save(folder / "labels.npy", np.arange(5))  # not one per row: not its labels
    assert load(folder / "images.npy").labels is None
    np.save(tmp_path / "cells.npy", np.ones((4, 3), np.float32))
    assert load(tmp_path / "cells.npy").name == "cells"  # a telling name stays


def test_a_one_line_text_file_is_not_a_table(tmp_path):
    (tmp_path / "hostname").write_text("build-host-7\n")
    with pytest.raises(DataError, match="not a data table: one line"):
        load(tmp_path / "hostname")


def test_table_columns_name_the_features(tmp_path):
    (tmp_path / "t.csv").write_text("gene_a,gene_b,label\n1,2,x\n3,4,y\n")
    assert load(tmp_path / "t.csv").feature_names == ["gene_a", "gene_b"]
