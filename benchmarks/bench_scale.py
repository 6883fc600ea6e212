"""How cost grows with rows: fit time and peak memory from 100k to 1M rows, transform
in-process vs a 2-worker Dask cluster, data-parallel fit with 2 processes vs 1, and the
app's frame, brush and click at a million points.

    python -m benchmarks.scale_data --rows 1000000 --out /tmp/scale-1m   # the data, once
    python -m benchmarks.bench_scale --data /tmp/scale-1m

Each fit runs in a fresh process (its peak RSS is its own), beside PCA on the same
rows and umap-learn at the sizes ``--umap-max`` allows. Quality is trustworthiness
on 10,000 random training rows. Writes ``benchmarks/results/scale_latest.md`` and
``scale_loglog.png``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from harness.report import markdown_table

RESULTS = Path(__file__).resolve().parent / "results"
QUALITY_ROWS = 10_000


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _quality_rows(n: int) -> np.ndarray:
    return np.sort(np.random.default_rng(0).choice(n, min(n, QUALITY_ROWS), replace=False))


def _load(data: str, n: int):
    from pumap_core.data import load

    return load(data, limit=n)


def child_fit(data: str, n: int, out: str, n_epochs: int | None) -> dict:
    """One fit in this (fresh) process: load, graph, training; timings and peak RSS."""
    from pumap_core import ParametricUMAP
    from pumap_core.eval.metrics import trustworthiness
    from pumap_core.graph import build_graph

    t0 = time.perf_counter()
    ds = _load(data, n)
    t1 = time.perf_counter()
    model = ParametricUMAP(n_epochs=n_epochs, random_state=0)
    graph = build_graph(ds.X, model.n_neighbors, model.metric, random_state=0)
    t2 = time.perf_counter()
    model.fit(ds.X, graph=graph)
    t3 = time.perf_counter()
    model.save(out)
    rows = _quality_rows(n)
    trust = trustworthiness(ds.X[rows], model.transform(ds.X[rows]))
    return {"rows": n, "load_s": t1 - t0, "graph_s": t2 - t1, "train_s": t3 - t2,
            "fit_s": t3 - t1, "epochs": model.n_epochs_, "peak_rss_mb": _peak_rss_mb(),
            "trust": trust}


def child_pca(data: str, n: int) -> dict:
    from sklearn.decomposition import PCA

    from pumap_core.eval.metrics import trustworthiness

    ds = _load(data, n)
    t0 = time.perf_counter()
    Z = PCA(2, random_state=0).fit_transform(ds.X)
    t1 = time.perf_counter()
    rows = _quality_rows(n)
    return {"rows": n, "fit_s": t1 - t0, "peak_rss_mb": _peak_rss_mb(),
            "trust": trustworthiness(ds.X[rows], Z[rows])}


def child_umap(data: str, n: int) -> dict:
    import umap

    from pumap_core.eval.metrics import trustworthiness

    ds = _load(data, n)
    t0 = time.perf_counter()
    Z = umap.UMAP(random_state=0, n_jobs=1).fit_transform(ds.X)
    t1 = time.perf_counter()
    rows = _quality_rows(n)
    return {"rows": n, "fit_s": t1 - t0, "peak_rss_mb": _peak_rss_mb(),
            "trust": trustworthiness(ds.X[rows], Z[rows])}


def child_ddp(data: str, n: int, nproc: int, n_epochs: int, out: str) -> dict:
    """A fit of ``n_epochs`` (equal edges whatever ``nproc``) on a graph built beforehand."""
    from pumap_core import ParametricUMAP
    from pumap_core.eval.metrics import trustworthiness
    from pumap_core.graph import build_graph
    from pumap_core.model.data_parallel import fit_data_parallel

    ds = _load(data, n)
    params = {"n_epochs": n_epochs, "random_state": 0}
    graph = build_graph(ds.X, 15, "euclidean", random_state=0)
    t0 = time.perf_counter()
    fit_data_parallel(params, ds.X, nproc=nproc, out=out, graph=graph)
    t1 = time.perf_counter()
    rows = _quality_rows(n)
    model = ParametricUMAP.load(out)
    return {"nproc": nproc, "rows": n, "train_s": t1 - t0,
            "trust": trustworthiness(ds.X[rows], model.transform(ds.X[rows]))}


def child_app(data: str, model: str, parts: str) -> dict:
    """The dashboard at the largest size: the map of ``model`` over all rows, and the
    Dask map of ``transform --workers``'s parts (:mod:`benchmarks.app_scale`)."""
    from benchmarks import app_scale

    rows = app_scale.in_memory(app_scale.concatenated(Path(data)), Path(model))
    return {"rows": rows + app_scale.dask_map(Path(parts))}


def _run_child(*args: str) -> dict:
    """Run ``child_<args[0]>`` in a fresh interpreter; its JSON result."""
    cmd = [sys.executable, "-m", "benchmarks.bench_scale", "--child", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _timed_command(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def transform_throughput(data: str, model: str, rows: int, workers: int, tmp: Path) -> dict:
    """``python -m pumap_core transform`` over the Parquet shards, in-process vs Dask."""
    import pandas as pd

    base = [sys.executable, "-m", "pumap_core", "transform", model, data]
    one = tmp / "one.parquet"
    t_one = _timed_command([*base, "--out", str(one)])
    many = tmp / "dask"
    t_dask = _timed_command([*base, "--out", str(many), "--workers", str(workers)])
    a, b = pd.read_parquet(one), pd.read_parquet(many)
    cols = [c for c in a.columns if c in b.columns and c.startswith(("x", "umap", "z"))]
    same = len(a) == len(b) and np.allclose(a[cols].to_numpy(), b[cols].to_numpy(), atol=1e-5)
    return {"rows": rows, "in_process_rows_s": rows / t_one, "dask_rows_s": rows / t_dask,
            "workers": workers, "same_rows": bool(same)}


def plot(fits: list[dict], pca: list[dict], umap: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(9, 3.6))
    n = [f["rows"] for f in fits]
    ax_t.loglog(n, [f["fit_s"] for f in fits], "o-", label="ours: graph + training")
    ax_t.loglog(n, [f["graph_s"] for f in fits], "s--", label="ours: graph")
    ax_t.loglog(n, [f["train_s"] for f in fits], "^--", label="ours: training")
    ax_t.loglog([p["rows"] for p in pca], [p["fit_s"] for p in pca], "x:", label="PCA")
    if umap:
        ax_t.loglog([u["rows"] for u in umap], [u["fit_s"] for u in umap], "D", label="umap-learn")
    ax_t.set(xlabel="rows", ylabel="seconds", title="fit time")
    ax_m.loglog(n, [f["peak_rss_mb"] for f in fits], "o-", label="ours")
    ax_m.loglog([p["rows"] for p in pca], [p["peak_rss_mb"] for p in pca], "x:", label="PCA")
    if umap:
        ax_m.loglog([u["rows"] for u in umap], [u["peak_rss_mb"] for u in umap], "D",
                    label="umap-learn")
    ax_m.set(xlabel="rows", ylabel="MB", title="peak resident memory")
    for ax in (ax_t, ax_m):
        ax.legend(fontsize=7)
        ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _cell(key: str, value) -> str:
    """Seconds to 0.1, rates and sizes with thousands separators, scores to 4 decimals."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        return str(value)
    if key.endswith("_rows_s"):
        return f"{value:,.0f}"
    if key.endswith("_s"):
        return f"{value:.1f}"
    if key == "trust":
        return f"{value:.4f}"
    return f"{value:,.0f}"


def _table(rows: list[dict], columns: dict[str, str]) -> str:
    """The ``columns`` (key -> heading) of ``rows`` as a Markdown table."""
    cells = [{heading: _cell(key, r.get(key, "—")) for key, heading in columns.items()}
             for r in rows]
    frame = pd.DataFrame(cells)
    return markdown_table(frame.set_index(frame.columns[0]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="a folder of Parquet shards (benchmarks.scale_data)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--umap-max", type=int, default=100_000,
                        help="run umap-learn at sizes up to this (it is the slow peer)")
    parser.add_argument("--ddp-rows", type=int, default=100_000)
    parser.add_argument("--ddp-epochs", type=int, default=3)
    parser.add_argument("--n-epochs", type=int, default=None, help="default: the estimator's")
    parser.add_argument("--out", default=str(RESULTS / "scale_latest.md"))
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        fn = {"fit": child_fit, "pca": child_pca, "umap": child_umap, "ddp": child_ddp,
              "app": child_app}[kind]
        typed = [int(v) if v.isdigit() else (None if v == "None" else v) for v in rest]
        print(json.dumps(fn(*typed)))
        return
    if not args.data:
        parser.error("--data is required (make it with python -m benchmarks.scale_data)")
    tmp = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        fits, pcas, umaps = [], [], []
        for n in sorted(args.sizes):
            model = str(tmp / f"model-{n}.pumap")
            fits.append(_run_child("fit", args.data, str(n), model, str(args.n_epochs)))
            pcas.append(_run_child("pca", args.data, str(n)))
            if n <= args.umap_max:
                umaps.append(_run_child("umap", args.data, str(n)))
            print(json.dumps(fits[-1]), flush=True)
        biggest = max(args.sizes)
        model = str(tmp / f"model-{biggest}.pumap")
        transform = transform_throughput(args.data, model, biggest, 2, tmp)
        ddp = [_run_child("ddp", args.data, str(args.ddp_rows), str(k), str(args.ddp_epochs),
                          str(tmp / f"ddp-{k}.pumap")) for k in (1, 2)]
        app = _run_child("app", args.data, model, str(tmp / "dask"))["rows"]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    raw = {"fits": fits, "pca": pcas, "umap": umaps, "transform": transform, "ddp": ddp,
           "app": app}
    out.with_suffix(".json").write_text(json.dumps(raw, indent=1))  # the figures, unrounded
    png = out.with_name("scale_loglog.png")
    plot(fits, pcas, umaps, png)
    report = [
        "# Scale: fit, transform, data-parallel fit and the app, by rows",
        "",
        f"`python -m benchmarks.bench_scale --data {args.data}` "
        f"(sizes {', '.join(f'{s:,}' for s in args.sizes)}; torch threads "
        f"{__import__('torch').get_num_threads()}).",
        "",
        "## Fit, each in a fresh process",
        _table(fits, {"rows": "rows", "graph_s": "graph s", "train_s": "training s",
                      "fit_s": "fit s", "epochs": "epochs", "peak_rss_mb": "peak RSS MB",
                      "trust": "trustworthiness"}),
        "",
        "Peers on the same rows:",
        "",
        _table([{"who": "PCA", **p} for p in pcas] + [{"who": "umap-learn", **u} for u in umaps],
               {"who": "method", "rows": "rows", "fit_s": "fit s", "peak_rss_mb": "peak RSS MB",
                "trust": "trustworthiness"}),
        "",
        f"![fit time and memory by rows]({png.name})",
        "",
        "## Transform over Parquet shards (`python -m pumap_core transform`, end to end)",
        _table([transform], {"rows": "rows", "in_process_rows_s": "in-process rows/s",
                             "dask_rows_s": "2-worker Dask rows/s", "same_rows": "same rows"}),
        "",
        f"## Data-parallel fit, {args.ddp_rows:,} rows, {args.ddp_epochs} epochs (equal edges)",
        _table(ddp, {"nproc": "processes", "train_s": "training s", "trust": "trustworthiness"}),
        "",
        f"## The app at {biggest:,} points",
        _table([{"measure": k, "result": v} for k, v in app], {"measure": "measure",
                                                              "result": "result"}),
        "",
    ]
    Path(args.out).write_text("\n".join(report))
    print("\n".join(report))


if __name__ == "__main__":
    main()
