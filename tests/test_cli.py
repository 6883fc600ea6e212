"""python -m pumap_core: fit -> transform -> inverse, and one clear line (exit 2) on bad input."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from pumap_core import ParametricUMAP
from pumap_core.cli import main

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--n-epochs", "2", "--init", "none", "--random-state", "0", "--device", "cpu", "-q"]


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pumap_core", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def work(tmp_path_factory, small_digits):
    """300 digits as a labelled table, and a model with a decoder fitted on it by the CLI."""
    folder = tmp_path_factory.mktemp("cli")
    X, y = small_digits[0][:300], small_digits[1][:300]
    table = pd.DataFrame(X, columns=[f"p{j}" for j in range(64)])
    table["label"] = y
    table["name"] = [f"img{i}" for i in range(300)]
    table.to_parquet(folder / "digits.parquet")
    assert main(["fit", str(folder / "digits.parquet"), "--out", str(folder / "m.pumap"),
                 "--reconstruction", *FAST]) == 0
    return folder, X, y


def _transform(folder, out, *extra):
    return main(["transform", str(folder / "m.pumap"), str(folder / "digits.parquet"),
                 "--out", str(out), "-q", *extra])


def test_transform_writes_the_model_embedding_with_labels_and_attributes(work, tmp_path):
    folder, X, y = work
    assert _transform(folder, tmp_path / "e.parquet", "--chunk-size", "128") == 0
    assert _transform(folder, tmp_path / "old.parquet", "--batch-size", "128") == 0  # old name
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "old.parquet"),
                                  pd.read_parquet(tmp_path / "e.parquet"))
    out = pd.read_parquet(tmp_path / "e.parquet")
    assert list(out.columns) == ["row", "umap_0", "umap_1", "label", "label_name", "name"]
    model = ParametricUMAP.load(folder / "m.pumap", device="cpu")
    np.testing.assert_allclose(out[["umap_0", "umap_1"]].to_numpy(), model.transform(X),
                               rtol=1e-5, atol=1e-5)
    assert out["row"].tolist() == list(range(300)) and out["label"].tolist() == y.tolist()
    assert out["label_name"].tolist() == [str(v) for v in y]
    assert out["name"].tolist() == [f"img{i}" for i in range(300)]


def test_round_trip_through_python_m(work, tmp_path):
    folder, X, _ = work
    emb, dec, npy = tmp_path / "e.parquet", tmp_path / "d.parquet", tmp_path / "d.npy"
    done = _cli("transform", str(folder / "m.pumap"), str(folder / "digits.parquet"),
                "--out", str(emb))
    assert done.returncode == 0, done.stderr
    assert "embedded 300 rows" in done.stdout and "transform" in done.stderr  # the bar
    for out in (dec, npy):
        done = _cli("inverse", str(folder / "m.pumap"), str(emb), "--out", str(out), "-q")
        assert done.returncode == 0, done.stderr
    model = ParametricUMAP.load(folder / "m.pumap", device="cpu")
    expected = model.inverse_transform(model.transform(X))
    decoded = pd.read_parquet(dec)
    assert list(decoded.columns) == ["row"] + [f"x{j}" for j in range(64)]
    np.testing.assert_allclose(decoded.iloc[:, 1:].to_numpy(), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.load(npy), expected, rtol=1e-4, atol=1e-5)


def test_inverse_reads_plain_matrices(work, tmp_path):
    folder, _, _ = work
    Z = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)
    np.save(tmp_path / "z.npy", Z)
    pd.DataFrame(Z, columns=["a", "b"]).to_csv(tmp_path / "z.csv", index=False)
    for codes in ("z.npy", "z.csv"):
        assert main(["inverse", str(folder / "m.pumap"), str(tmp_path / codes),
                     "--out", str(tmp_path / f"{codes}.npy"), "-q"]) == 0
        assert np.load(tmp_path / f"{codes}.npy").shape == (5, 64)


def test_shard_folder_is_data(work, tmp_path):
    folder, X, _ = work
    (tmp_path / "shards").mkdir()
    for i in range(3):
        np.save(tmp_path / "shards" / f"part.{i}.npy", X[100 * i:100 * (i + 1)])
    assert main(["transform", str(folder / "m.pumap"), str(tmp_path / "shards"),
                 "--out", str(tmp_path / "e.parquet"), "-q"]) == 0
    out = pd.read_parquet(tmp_path / "e.parquet")
    assert list(out.columns) == ["row", "umap_0", "umap_1"] and len(out) == 300


def _error(capsys, argv) -> str:
    with pytest.raises(SystemExit) as stop:  # argparse exits by itself
        raise SystemExit(main(argv))
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_bad_inputs_exit_2_with_one_line(work, tmp_path, capsys):
    folder, X, _ = work
    model, data = str(folder / "m.pumap"), str(folder / "digits.parquet")
    out = str(tmp_path / "out.parquet")
    (tmp_path / "corrupt.pumap").write_bytes(b"\x00" * 7 + os.urandom(200))
    nan = pd.DataFrame(X[:20].copy())
    nan.iloc[3, 5] = np.nan
    nan.columns = [str(c) for c in nan.columns]
    nan.to_parquet(tmp_path / "nan.parquet")
    np.save(tmp_path / "narrow.npy", X[:20, :10])
    cases = {
        "no such file": ["transform", model, str(tmp_path / "missing.csv"), "--out", out],
        "model file not found": ["transform", str(tmp_path / "none.pumap"), data, "--out", out],
        "not a pumap model": ["transform", str(tmp_path / "corrupt.pumap"), data, "--out", out],
        "NaN": ["transform", model, str(tmp_path / "nan.parquet"), "--out", out],
        "10 features": ["transform", model, str(tmp_path / "narrow.npy"), "--out", out],
        "invalid choice: 'foo'": ["fit", data, "--out", out, "--metric", "foo"],
        "--n-neighbors": ["fit", data, "--out", out, "--n-neighbors", "1"],
        "--device": ["transform", model, data, "--out", out, "--device", "gpu"],
        "no decoder": ["inverse", str(tmp_path / "plain.pumap"), data, "--out", out],
        "3 columns": ["inverse", model, str(tmp_path / "z3.npy"), "--out", out],
        "is a folder": ["transform", model, data, "--out", str(tmp_path)],
        "add --code-components": ["fit", data, "--out", out, "--map-epochs", "3"],
    }
    ParametricUMAP(n_epochs=1, init=None, random_state=0, device="cpu").fit(
        X[:60]).save(tmp_path / "plain.pumap")
    np.save(tmp_path / "z3.npy", np.zeros((4, 3), np.float32))
    for needle, argv in cases.items():
        err = _error(capsys, [*argv, "-q"])
        assert needle in err, (needle, err)
    assert not Path(out).exists()


def test_bad_input_in_a_subprocess_has_no_traceback(work, tmp_path):
    folder, _, _ = work
    done = _cli("transform", str(folder / "m.pumap"), str(tmp_path / "nope.parquet"),
                "--out", str(tmp_path / "o.parquet"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "nope.parquet: no such file" in done.stderr


@pytest.mark.parametrize("failure", [KeyboardInterrupt, OSError])
@pytest.mark.parametrize("existed", [True, False])
def test_an_interrupted_write_leaves_no_partial_out(work, tmp_path, monkeypatch, capsys,
                                                    failure, existed):
    folder, _, _ = work
    out = tmp_path / "e.parquet"
    if existed:
        out.write_bytes(b"the previous result")
    calls = []
    write_table = pq.ParquetWriter.write_table

    def fail_midway(self, table, *a, **k):
        calls.append(len(table))
        if len(calls) == 2:
            raise failure("disk full")
        return write_table(self, table, *a, **k)

    monkeypatch.setattr("pumap_core.cli.output.ROW_GROUP", 100)
    monkeypatch.setattr(pq.ParquetWriter, "write_table", fail_midway)
    assert _transform(folder, out) == (130 if failure is KeyboardInterrupt else 2)
    assert len(calls) == 2  # the first row group was written before the failure
    assert sorted(p.name for p in tmp_path.iterdir()) == (["e.parquet"] if existed else [])
    if existed:
        assert out.read_bytes() == b"the previous result"
    assert ("interrupted" if failure is KeyboardInterrupt else "disk full") in capsys.readouterr().err


def test_a_successful_write_replaces_out(work, tmp_path):
    folder, _, _ = work
    out = tmp_path / "e.parquet"
    out.write_bytes(b"old")
    assert _transform(folder, out) == 0
    assert len(pd.read_parquet(out)) == 300 and [p.name for p in tmp_path.iterdir()] == ["e.parquet"]


def test_transform_scales_raw_pixels_as_fit_did_and_says_so(tmp_path, capsys):
    """A model fitted on uint8 images (scaled by 1/255) places a flat uint8 copy of
    them where it places the images; stderr says the rows were scaled."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (120, 8, 8), dtype=np.uint8)
    np.save(tmp_path / "images.npy", images)
    np.save(tmp_path / "flat.npy", images.reshape(120, -1).astype(np.float32))
    assert main(["fit", str(tmp_path / "images.npy"), "--out", str(tmp_path / "m.pumap"),
                 *FAST]) == 0
    for name in ("images", "flat"):
        assert main(["transform", str(tmp_path / "m.pumap"), str(tmp_path / f"{name}.npy"),
                     "--out", str(tmp_path / f"{name}.parquet"), "-q"]) == 0
    a, b = (pd.read_parquet(tmp_path / f"{n}.parquet")[["umap_0", "umap_1"]].to_numpy()
            for n in ("images", "flat"))
    np.testing.assert_allclose(a, b, atol=1e-5)
    assert "120 rows arrived as raw values and were scaled" in capsys.readouterr().err
