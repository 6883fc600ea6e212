"""transform --workers / --scheduler: Dask over Parquet partitions equals the in-process
transform row for row, written as a folder of parts; without Dask, a clear install hint."""

import sys

import numpy as np
import pandas as pd
import pytest

from pumap_core import ParametricUMAP
from pumap_core.cli import main
from pumap_core.data.shards import natural_key

SPECIES = np.array(["oak", "elm", "ash", "fir"])


@pytest.fixture(scope="module")
def work(tmp_path_factory, small_digits):
    """A model, and 300 digits in 4 Parquet shards whose string labels differ by shard."""
    folder = tmp_path_factory.mktemp("dask")
    X = small_digits[0][:300]
    ParametricUMAP(n_epochs=1, init=None, random_state=0, device="cpu").fit(X).save(
        folder / "m.pumap")
    table = pd.DataFrame(X, columns=[f"p{j}" for j in range(64)])
    table["species"] = SPECIES[np.arange(300) * 4 // 300]  # shard i holds mostly one name
    table["note"] = [f"n{i}" for i in range(300)]
    (folder / "shards").mkdir()
    for i, start in enumerate((0, 70, 150, 220)):  # part.10 sorts after part.2
        end = (70, 150, 220, 300)[i]
        table.iloc[start:end].to_parquet(folder / "shards" / f"part.{(0, 1, 2, 10)[i]}.parquet")
    return folder


@pytest.fixture(scope="module")
def threads_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        yield cluster


def _transform(work, out, *extra):
    return main(["transform", str(work / "m.pumap"), str(work / "shards"), "--out", str(out),
                 "--label-column", "species", "-q", *extra])


def _parts(folder):
    files = sorted(folder.glob("*.parquet"), key=lambda p: natural_key(p.name))
    return files, pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def _same_rows(dask_out, in_process):
    pd.testing.assert_frame_equal(dask_out, in_process, check_dtype=False, rtol=1e-6, atol=1e-6)


@pytest.fixture(scope="module")
def in_process(work, tmp_path_factory):
    out = tmp_path_factory.mktemp("inproc") / "e.parquet"
    assert _transform(work, out) == 0
    frame = pd.read_parquet(out)
    assert frame["label_name"].tolist() == SPECIES[np.arange(300) * 4 // 300].tolist()
    return frame


def test_local_worker_processes_equal_in_process_row_for_row(work, in_process, tmp_path):
    pytest.importorskip("distributed")
    assert _transform(work, tmp_path / "out", "--workers", "2") == 0
    files, frame = _parts(tmp_path / "out")
    assert len(files) == 4
    _same_rows(frame, in_process)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporaries left


def test_scheduler_address_and_a_rerun_replaces_the_parts(work, in_process, tmp_path,
                                                          threads_cluster):
    out = tmp_path / "out"
    for _ in range(2):
        assert _transform(work, out, "--scheduler", threads_cluster.scheduler_address) == 0
    _same_rows(_parts(out)[1], in_process)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_bad_data_on_a_worker_exits_2_and_keeps_the_old_out(work, tmp_path, threads_cluster,
                                                           capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    frame = pd.read_parquet(work / "shards" / "part.0.parquet")
    frame.to_parquet(bad / "part.0.parquet")
    frame.iloc[5, 3] = np.nan
    frame.to_parquet(bad / "part.1.parquet")
    out = tmp_path / "out"
    out.mkdir()
    (out / "part.0.parquet").write_bytes(b"old")
    argv = ["transform", str(work / "m.pumap"), str(bad), "--out", str(out), "-q",
            "--scheduler", threads_cluster.scheduler_address]
    assert main(argv) == 2
    assert "NaN" in capsys.readouterr().err
    assert [p.read_bytes() for p in out.iterdir()] == [b"old"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad", "out"]


def test_dask_needs_parquet_and_says_so(work, tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.zeros((4, 64), np.float32))
    assert main(["transform", str(work / "m.pumap"), str(tmp_path / "x.npy"), "--out",
                 str(tmp_path / "o"), "--workers", "2", "-q"]) == 2
    assert "needs a Parquet file" in capsys.readouterr().err


def test_without_dask_the_flags_say_what_to_install(work, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    assert _transform(work, tmp_path / "o", "--workers", "2") == 2
    assert 'pip install -e ".[scale]"' in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
