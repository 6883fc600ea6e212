"""``transform --workers N`` / ``--scheduler ADDRESS``: the encoder over Parquet partitions.

DATA (a Parquet file or a folder of Parquet shards) is read with
``dask.dataframe.read_parquet``; each partition is encoded where it lives and
written as one Parquet part of OUT. Each worker loads the model once, from
the MODEL file with the safe loader: a torch module is never pickled across.
The client only plans, collects the label values (a short list) and waits:
the data never pass through it. Rows keep DATA's order and get the same
``row`` numbers, label codes and columns as the in-process ``transform``.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .columns import embedding_frame
from .errors import CLIError
from .inputs import check_fits, feature_columns, label_column, load_model
from .output import atomic_output, check_out
from .progress import bar

INSTALL_HINT = 'pip install -e ".[scale]"'
#: A temporary column numbering the rows across partitions.
_ROW = "__pumap_row__"
_MODELS: dict[tuple, Any] = {}
_MODELS_LOCK = threading.Lock()


def _dask() -> tuple[Any, Any, Any]:
    """``(dask.dataframe, Client, LocalCluster)``, or how to install them."""
    try:
        import dask.dataframe as dd
        from distributed import Client, LocalCluster
    except ImportError:
        raise CLIError(f"--workers/--scheduler need Dask; install it with {INSTALL_HINT}") from None
    return dd, Client, LocalCluster


def worker_model(path: str, device: str) -> Any:
    """The model at ``path``, loaded once per process (again only if the file changes)."""
    stat = os.stat(path)
    key = (path, stat.st_mtime_ns, stat.st_size, device)
    with _MODELS_LOCK:
        if key not in _MODELS:
            _MODELS[key] = load_model(path, device)
        return _MODELS[key]


def parquet_files(data: str) -> list[str]:
    """DATA's Parquet files in row order, or an error saying Dask needs Parquet."""
    from pumap_core.data.shards import shard_files
    from pumap_core.data.sources import detect_format

    path = Path(data).expanduser().absolute()
    found = shard_files(path)
    if found is not None and found[0] == "parquet":
        return [str(p) for p in found[1]]
    if path.is_file() and detect_format(path) == "parquet":
        return [str(path)]
    if not path.exists():
        raise CLIError(f"{data}: no such file or folder")
    raise CLIError(f"{data}: --workers/--scheduler read DATA with Dask, which needs a Parquet "
                   "file or a folder of Parquet shards; drop the flag to transform other data")


@dataclass
class PartitionEncoder:
    """Encodes one partition into the rows ``transform`` writes (picklable: paths, no model)."""

    model_path: str
    device: str
    where: str
    features: list[str] | None
    chunk_size: int
    label: str | None = None
    label_values: pd.Index | None = None
    label_codes: np.ndarray | None = None
    label_names: list[str] | None = None
    empty: pd.DataFrame | None = None

    def __call__(self, df: pd.DataFrame) -> pd.DataFrame:
        if not len(df) and self.empty is not None:
            return self.empty
        from pumap_core.data.tables import table_to_dataset

        rows, labels = df[_ROW].to_numpy(), None
        if self.label is not None:
            found = self.label_values.get_indexer(df[self.label])
            labels = np.where(found >= 0, self.label_codes[found], -1)
        table = df.drop(columns=[_ROW] + ([self.label] if self.label else []))
        where = f"{self.where} (the part from row {rows[0]})"  # errors count rows in the part
        ds = table_to_dataset(table, where, label_column=None, feature_columns=self.features)
        Z = worker_model(self.model_path, self.device).transform(ds.X, chunk_size=self.chunk_size)
        return embedding_frame(Z, int(rows[0]), labels, self.label_names, ds.attributes)


def _label_encoding(ddf: Any, encoder: PartitionEncoder, where: str) -> None:
    """Label codes as the in-process load gives them, from the distinct values only."""
    from pumap_core.data.tables import encode_labels

    uniques = ddf[encoder.label].drop_duplicates(split_out=1).compute()  # no shuffle
    codes, names = encode_labels(uniques, f"{where} column {encoder.label!r}")
    encoder.label_values = pd.Index(uniques.to_numpy())
    encoder.label_codes, encoder.label_names = codes, names


def prepare(dd: Any, files: list[str], args: argparse.Namespace,
            model: Any) -> tuple[Any, PartitionEncoder]:
    """DATA as a lazy frame and its encoder; checks the label column and the width
    against the model from the files' schema alone, before any cluster starts."""
    from dask.dataframe.utils import meta_nonempty

    from pumap_core.data.tables import find_label_column, table_to_dataset

    where = str(args.data)
    ddf = dd.read_parquet(files)
    label = find_label_column(ddf._meta, label_column(args), where)
    encoder = PartitionEncoder(str(Path(args.model).expanduser().absolute()), args.device, where,
                               feature_columns(args), args.chunk_size, label)
    sample = meta_nonempty(ddf._meta).drop(columns=[label] if label else [])  # fake rows
    features = table_to_dataset(sample, where, label_column=None,
                                feature_columns=encoder.features).X
    check_fits(model, features, where)
    return ddf, encoder


def encode(ddf: Any, encoder: PartitionEncoder) -> Any:
    """The frame to write: DATA's rows numbered across partitions, then encoded.

    Runs on a client: the label values are collected (distinct values only)."""
    from dask.dataframe.utils import meta_nonempty

    if encoder.label is not None:
        _label_encoding(ddf, encoder, encoder.where)
    ddf = ddf.assign(**{_ROW: 1})
    ddf = ddf.assign(**{_ROW: ddf[_ROW].cumsum() - 1})
    encoder.empty = encoder(meta_nonempty(ddf._meta)).iloc[:0]
    return ddf.map_partitions(encoder, meta=encoder.empty)


@contextmanager
def _client(args: argparse.Namespace, Client: Any, LocalCluster: Any):
    if args.scheduler:
        try:
            client = Client(args.scheduler, timeout="10s")
        except (OSError, TimeoutError) as e:
            raise CLIError(f"cannot reach the Dask scheduler at {args.scheduler} ({e})") from None
        try:
            yield client
        finally:
            client.close()
        return
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def _write(client: Any, encoded: Any, folder: Path, progress: bool) -> None:
    """Write the parts on the workers; the bar counts the parts written."""
    future = client.compute(encoded.to_parquet(str(folder), write_index=False, compute=False))
    try:
        with bar(encoded.npartitions, "transform", "part", progress) as pbar:
            while not future.done():
                time.sleep(0.2)
                written = len(list(folder.glob("*.parquet")))
                if written > pbar.n:
                    pbar.update(written - pbar.n)
            future.result()  # raises what a worker raised
            pbar.update(encoded.npartitions - pbar.n)
    except BaseException:
        future.cancel()
        raise


def dask_transform(args: argparse.Namespace) -> int:
    """Encode Parquet DATA on a Dask cluster into a folder of Parquet parts."""
    dd, Client, LocalCluster = _dask()
    if args.limit is not None:
        raise CLIError("--limit is not supported with --workers/--scheduler")
    out = check_out(args.out, folder=True)
    files = parquet_files(args.data)
    model = load_model(args.model, args.device)  # a bad model fails here, not on a worker
    ddf, encoder = prepare(dd, files, args, model)
    with atomic_output(out, folder=True) as tmp:
        with _client(args, Client, LocalCluster) as client:
            encoded = encode(ddf, encoder)
            _write(client, encoded, tmp.absolute(), not args.quiet)
            n = encoded.npartitions
    if not args.quiet:
        print(f"embedded {args.data} on Dask into {n} Parquet parts; wrote {out}")
    return 0
