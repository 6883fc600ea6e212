"""The app at a million points: in-memory map (shade, lasso, click) and the Dask map of Parquet parts.

    python -m benchmarks.app_scale                 # data from /work/scale-1m (or $PUMAP_SCALE_DIR)
    python -m benchmarks.app_scale --prepare-only  # only make the inputs (cached under /tmp)

Inputs are made once and cached under ``$PUMAP_SCALE_CACHE`` (default
/tmp/pumap-app-scale): the shards concatenated into one Parquet file, a model
fitted for 2 epochs on 50,000 of the rows (what a user would load rather than
wait minutes for the graph of 1M), and that model's ``transform`` of all rows
written as 10 Parquet parts with ``umap_0``/``umap_1``/``label``/``label_name``,
the layout of the command line's ``transform --workers``. Figures are measured,
never asserted; the table goes to ``benchmarks/results/app_scale.md``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from harness.timing import repeat as repeat_calls

SOURCE = Path(os.environ.get("PUMAP_SCALE_DIR", "/work/scale-1m"))
CACHE = Path(os.environ.get("PUMAP_SCALE_CACHE", "/tmp/pumap-app-scale"))
RESULTS = Path(__file__).resolve().parent / "results" / "app_scale.md"
FIT_ROWS = 50_000
WIDTH, HEIGHT = 800, 600


def concatenated(source: Path = SOURCE) -> Path:
    """The shards as one Parquet file (what the app opens today)."""
    out = CACHE / "scale-1m.parquet"
    if not out.exists():
        import pyarrow as pa
        import pyarrow.parquet as pq

        CACHE.mkdir(parents=True, exist_ok=True)
        parts = sorted(source.glob("part-*.parquet"))
        table = pa.concat_tables([pq.read_table(p) for p in parts]).unify_dictionaries()
        pq.write_table(table, out.with_suffix(".tmp"))
        out.with_suffix(".tmp").rename(out)
    return out


def fitted_model(data: Path) -> Path:
    """A model fitted for 2 epochs on the first 50,000 rows, saved once."""
    out = CACHE / "scale-1m-50k.pumap.safetensors"
    if not out.exists():
        from pumap_core import ParametricUMAP
        from pumap_core.data import load

        ds = load(str(data), limit=FIT_ROWS)
        ParametricUMAP(n_epochs=2, random_state=0).fit(ds.X).save(str(out))
    return out


def transform_parts(data: Path, model_path: Path, n_parts: int = 10) -> Path:
    """The model's map of every row as ``n_parts`` Parquet parts (transform's output layout)."""
    out = CACHE / "scale-1m-umap"
    if not (out / f"part-{n_parts - 1:04d}.parquet").exists():
        from pumap_core import ParametricUMAP
        from pumap_core.data import load

        ds = load(str(data))
        z = ParametricUMAP.load(str(model_path), device="cpu").transform(ds.X)
        out.mkdir(parents=True, exist_ok=True)
        names = np.asarray(ds.label_names, dtype=object)
        table = pd.DataFrame({"row": np.arange(len(z)), "umap_0": z[:, 0], "umap_1": z[:, 1],
                              "label": ds.labels, "label_name": names[ds.labels]})
        for i, part in enumerate(np.array_split(np.arange(len(z)), n_parts)):
            table.iloc[part].to_parquet(out / f"part-{i:04d}.parquet", index=False)
    return out


def prepare() -> tuple[Path, Path, Path]:
    data = concatenated()
    model = fitted_model(data)
    return data, model, transform_parts(data, model)


def timed(fn: Callable[[], object], repeat: int = 5) -> tuple[float, object]:
    """Median seconds of ``repeat`` calls (the first one included), and the last result."""
    calls = repeat_calls(fn, repeat - 1)
    return statistics.median([calls.first_s, *calls.warm_s]), calls.result


def views(n: int = 6) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """The home view, then zooms and pans (what re-aggregates in the browser)."""
    out = [((-1.15, 1.15), (-1.15, 1.15))]
    for i in range(1, n):
        c, r = 0.1 * i - 0.3, 1.15 / (1 + 0.4 * i)
        out.append(((c - r, c + r), (-c - r * 0.75, -c + r * 0.75)))
    return out


def in_memory(data: Path, model_path: Path) -> list[tuple[str, str]]:
    """The app's session objects on the 1M rows with the 50k-row model loaded."""
    import holoviews as hv

    hv.extension("bokeh")
    from app.state import SessionState
    from app.views.scatter import ScatterView
    from app.views.selection import SelectionPanel
    from app.warmup import warm_up

    warm_up()
    rows: list[tuple[str, str]] = []
    state = SessionState()
    view = ScatterView(state=state)
    view.size.event(width=WIDTH, height=HEIGHT)
    panel = SelectionPanel(state=state)
    try:
        t0 = time.perf_counter()
        state.load(str(data), wait=True)
        state.poll()
        rows.append(("open 1M rows × 64 (Parquet, app load)", f"{time.perf_counter() - t0:.1f} s"))
        t0 = time.perf_counter()
        state.load_model_bytes(model_path.read_bytes(), model_path.name)
        rows.append(("load model + its map of 1M rows (transform, Frame)",
                     f"{time.perf_counter() - t0:.1f} s"))
        n = len(state.frame)
        seconds = []
        for x_range, y_range in views() * 2:
            view.ranges.event(x_range=x_range, y_range=y_range)  # renders, as a zoom does
            t0 = time.perf_counter()
            view.render()
            seconds.append(time.perf_counter() - t0)
        rows.append((f"frame {WIDTH}×{HEIGHT} at {n:,} points (zoom/pan)",
                     f"{statistics.median(seconds) * 1e3:.0f} ms · {1 / statistics.median(seconds):.1f} frames/s"))
        view.ranges.event(x_range=(-1.15, 1.15), y_range=(-1.15, 1.15))
        xs, ys = np.array([-0.6, 0.4, 0.5, -0.2, -0.7]), np.array([-0.5, -0.6, 0.3, 0.6, 0.1])
        t, sel = timed(lambda: state.select_polygon(xs, ys), 3)  # the panel and plot follow
        rows.append((f"lasso: {len(sel):,} selected (state + panel + re-shade)", f"{t * 1e3:.0f} ms"))
        t, sel = timed(lambda: state.select_box(-0.4, -0.4, 0.4, 0.4), 3)
        rows.append((f"box: {len(sel):,} selected (state + panel + re-shade)", f"{t * 1e3:.0f} ms"))
        t, _ = timed(lambda: panel._csv(), 1)
        rows.append((f"CSV of the {len(sel):,} selected rows", f"{t * 1e3:.0f} ms"))
        state.clear_selection()
        frame = state.frame
        t, _ = timed(lambda: frame.neighbours(0.05, 0.1, 32), 5)
        rows.append(("click's 32 nearest (windowed search, no KD-tree)", f"{t * 1e3:.1f} ms"))
        t, _ = timed(lambda: state.click_at(0.05, 0.1), 3)
        rows.append(("click (state.click_at: nearest row, its neighbours)", f"{t * 1e3:.0f} ms"))
        t, _ = timed(lambda: state.hover_at(0.2, -0.1), 5)
        rows.append(("hover (nearest within 0.03)", f"{t * 1e3:.1f} ms"))
    finally:
        state.close()
    return rows


def dask_map(parts: Path) -> list[tuple[str, str]]:
    """The embedding table on Dask: open, frames, brushes and clicks over its parts."""
    from app.dask_map import DaskMap
    from app.views.shading import shade_table

    rows: list[tuple[str, str]] = []
    t0 = time.perf_counter()
    table = DaskMap.open(parts)
    rows.append((f"Dask map: open {table.n_rows:,} rows in {table.ddf.npartitions} parts "
                 "(extent, count, labels)", f"{time.perf_counter() - t0:.1f} s"))
    shade_table(table, (-1.15, 1.15), (-1.15, 1.15), 64, 48)  # compile
    seconds = []
    for x_range, y_range in views():
        t0 = time.perf_counter()
        shade_table(table, x_range, y_range, WIDTH, HEIGHT)
        seconds.append(time.perf_counter() - t0)
    t = statistics.median(seconds)
    rows.append((f"Dask map: frame {WIDTH}×{HEIGHT}", f"{t * 1e3:.0f} ms · {1 / t:.1f} frames/s"))
    t, brush = timed(lambda: table.brush_box(-0.4, -0.4, 0.4, 0.4), 3)
    rows.append((f"Dask map: box brush, {brush.count:,} rows (count, labels, 30 rows)",
                 f"{t * 1e3:.0f} ms"))
    xs, ys = [-0.6, 0.4, 0.5, -0.2, -0.7], [-0.5, -0.6, 0.3, 0.6, 0.1]
    t, lasso = timed(lambda: table.brush_polygon(xs, ys), 3)
    rows.append((f"Dask map: lasso brush, {lasso.count:,} rows", f"{t * 1e3:.0f} ms"))
    t, _ = timed(lambda: shade_table(table, (-1.15, 1.15), (-1.15, 1.15), WIDTH, HEIGHT,
                                     lasso.shape), 3)
    rows.append(("Dask map: frame with the lasso drawn", f"{t * 1e3:.0f} ms"))
    t, _ = timed(lambda: table.nearest(0.05, 0.1), 3)
    rows.append(("Dask map: click (per-part nearest, then the nearest)", f"{t * 1e3:.0f} ms"))
    return rows


def report(rows: list[tuple[str, str]], load: str) -> str:
    width = max(len(r[0]) for r in rows)
    lines = [f"{name:<{width}}  {value}" for name, value in rows]
    md = ["# The app at a million points", "",
          "`python -m benchmarks.app_scale` on /work/scale-1m (1,000,000 rows × 64, 20 labels); "
          "the map is a 2-epoch model fitted on 50,000 of the rows, then loaded in the app "
          "(no 1M graph). Medians; server-side times of the app's own objects, no browser.", "",
          f"Machine: {os.cpu_count()} cores; `uptime` load average {load} just before the run "
          "(the run itself adds about 1)"
          + (" — **busy** (shared with other jobs): figures are slower than on an idle machine."
             if float(load.split(",")[0]) > 0.5 * (os.cpu_count() or 1) else "."), "",
          "| measure | result |", "|---|---|", *[f"| {a} | {b} |" for a, b in rows], ""]
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text("\n".join(md))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepare-only", action="store_true")
    args = parser.parse_args()
    data, model, parts = prepare()
    if args.prepare_only:
        return
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    rows = in_memory(data, model) + dask_map(parts)
    print(report(rows, load))
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()
