"""App benchmark: first frame on digits, frames/s at 70,000 points, click latency.

Runs the dashboard's own objects (SessionState, ScatterView rendered to a Bokeh
document, InspectPanel) in one process, exactly as a browser session uses
them, without the network and the browser:

    python -m benchmarks.bench_app                # MNIST 70,000 from PUMAP_DATA_DIR, else synthetic
    python -m benchmarks.bench_app --seconds 20 --synthetic
    python -m benchmarks.bench_app --sessions 8   # 8 Chromium sessions against one server
    python -m benchmarks.bench_app --time-to-map mnist-all   # Train -> first frame -> a formed map
    python -m benchmarks.bench_app --image-sets   # three image sets: map, run, decodes

``--time-to-map SOURCE`` loads SOURCE as the app does, waits for the graph the
app builds on load, presses Train with the app's defaults and reports the
seconds to the first frame and to a map whose trustworthiness on the first
10,000 rows reaches .94. ``--sessions N`` runs :mod:`benchmarks.app_sessions` instead and writes
``benchmarks/results/app_sessions_latest.md``.

"first frame": pressing Train on digits → the first embedding rasterized
into the plot's Bokeh model (graph, network build, first step, snapshot,
poll, datashade). "frames/s": frames rasterized into the plot per second
while training continues, with the app's 250 ms poll. "click": Tap → nearest
item, neighbours, decode, and the HTML with the images (server time).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import holoviews as hv
import numpy as np

from app.dashboard import POLL_MS
from app.state import FRAME_INTERVAL, SessionState
from app.views.inspector import InspectPanel
from app.views.scatter import ScatterView
from app.warmup import warm_up
from harness.memory import rss_mb
from harness.paths import BENCHMARK_RESULTS, data_dir

hv.extension("bokeh")


def session(state: SessionState) -> ScatterView:
    """A ScatterView whose plot is rendered, so every frame is really rasterized."""
    view = ScatterView(state=state)
    view.bokeh = hv.renderer("bokeh").get_plot(view.plot)
    return view


def wait_frame(c: SessionState, timeout: float) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if c.poll():
            return time.perf_counter() - t0
        time.sleep(0.02)
    raise TimeoutError("no frame")


def clicks(c: SessionState, n: int) -> tuple[list[float], list[float]]:
    """Server time of n clicks at random plot points: (decode + nearest, incl. images/HTML)."""
    rng = np.random.default_rng(0)
    server_ms, decode_ms = [], []
    for x, y in rng.uniform(-0.8, 0.8, size=(n, 2)):
        t = time.perf_counter()
        click = c.click_at(x, y)  # what the Tap stream calls; InspectPanel renders via its watcher
        server_ms.append((time.perf_counter() - t) * 1000)
        decode_ms.append(click.ms)
    return decode_ms, server_ms


def first_frame(epochs: int, n_clicks: int) -> dict:
    c = SessionState()
    t0 = time.perf_counter()
    c.load("digits", wait=True)
    c.worker._graph_thread.join()  # the app builds the default graph as the data loads
    prebuild = time.perf_counter() - t0
    c.poll()
    views = [session(c), InspectPanel(state=c)]
    c.n_epochs = epochs
    t0 = time.perf_counter()
    c.train()
    wait_frame(c, 60)
    first = time.perf_counter() - t0
    time.sleep(2.0)
    c.poll()
    decode_ms, server_ms = clicks(c, n_clicks)
    c.close()
    del views
    return {"digits: load + graph on load (s)": prebuild,
            "digits: Train -> first frame rendered (s)": first,
            "digits click: decode + nearest (ms, median)": statistics.median(decode_ms),
            "digits click: incl. images/HTML (ms, median)": statistics.median(server_ms),
            "digits click: incl. images/HTML (ms, p95)": float(np.percentile(server_ms, 95))}


#: a map counts as formed at this trustworthiness of the first 10,000 training rows
FORMED_TRUST = 0.94
#: seconds of training between two kept snapshots (each is scored after the run)
KEEP_EVERY = 2.5


def time_to_map(source: str, limit: float) -> dict:
    """Load ``source``, let the app build its graph, press Train with the app's defaults:
    seconds to the first frame and to a map whose trustworthiness (k=5, the first 10,000
    rows: MNIST's training digits) reaches :data:`FORMED_TRUST`. Snapshots are kept
    every :data:`KEEP_EVERY` s and scored after the run, so scoring takes no CPU from it."""
    from pumap_core.eval.metrics import trustworthiness

    os.environ.setdefault("PUMAP_DATA_DIR", str(data_dir()))  # where the app looks
    c = SessionState()
    t0 = time.perf_counter()
    c.load(source, wait=True)
    if c.worker.dataset is None:
        raise SystemExit(c.worker.error)
    c.worker._graph_thread.join()
    prebuild = time.perf_counter() - t0
    c.poll()  # the app's defaults for this data
    views = [session(c), InspectPanel(state=c)]
    kept: list[tuple[float, np.ndarray]] = []
    on_snapshot, started = c.worker._on_snapshot, [0.0]

    def keep(gen, snap):
        now = time.perf_counter() - started[0]
        if snap.embedding is not None and (not kept or now - kept[-1][0] >= KEEP_EVERY):
            kept.append((now, snap.embedding.copy()))
        on_snapshot(gen, snap)

    c.worker._on_snapshot = keep
    started[0] = time.perf_counter()
    c.train()
    first = wait_frame(c, 600)
    while c.worker.phase == "training" and time.perf_counter() - started[0] < limit:
        c.poll()
        time.sleep(POLL_MS / 1000)
    trained = time.perf_counter() - started[0]
    settings = {k: getattr(c, k) for k in ("reconstruction", "batch_size", "n_epochs")}
    X = c.worker.dataset.X[:10_000]
    c.close()
    del views
    formed, trust = float("nan"), float("nan")
    for at, Z in kept:  # in time order: the first snapshot over the bar is the answer
        trust = trustworthiness(X, Z[:10_000], k=5)
        if trust >= FORMED_TRUST:
            formed = at
            break
    return {f"{source}: load + graph on load (s)": prebuild,
            f"{source}: Train -> first frame (s)": first,
            f"{source}: Train -> map with trust >= {FORMED_TRUST} (s)": formed,
            f"{source}: trust of that map (or the last kept)": trust,
            f"{source}: training watched (s)": trained,
            f"{source}: app settings": str(settings)}


def big_dataset(synthetic: bool):
    from pumap_core.data import Dataset, available_datasets, load

    found = available_datasets()
    if not synthetic and "mnist" in found and "mnist-test" in found:
        return load("mnist-all")
    rng = np.random.default_rng(0)
    centers = rng.uniform(0, 1, size=(10, 784)).astype(np.float32)
    labels = rng.integers(0, 10, 70_000)
    X = np.clip(centers[labels] + rng.normal(0, 0.15, (70_000, 784)).astype(np.float32), 0, 1)
    return Dataset(X=X, labels=labels, name="synthetic-70k")


def frame_rate(ds, seconds: float, n_clicks: int, reconstruction: bool | None) -> dict:
    c = SessionState()
    c.worker.set_dataset(ds)
    c.poll()  # the app's defaults for this data (reconstruction off for large data)
    if reconstruction is not None:
        c.reconstruction = reconstruction
    views = [session(c), InspectPanel(state=c)]  # rendered on every frame / click, like a page
    c.n_epochs = 200  # keeps training during the measurement
    worker_cpu: list[tuple[float, float]] = []  # (wall, CPU) of the training thread per snapshot
    on_snapshot = c.worker._on_snapshot

    def timed(gen, snap):
        worker_cpu.append((time.perf_counter(), time.thread_time()))
        on_snapshot(gen, snap)

    c.worker._on_snapshot = timed
    t0 = time.perf_counter()
    c.train()
    graph_and_first = wait_frame(c, 900)
    rss0 = rss_mb()
    renders, render_cpu, steps0 = [], [], c.progress.step
    snaps0, mark = len(c.worker.losses()), len(worker_cpu)
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        tick, cpu = time.perf_counter(), time.thread_time()
        if c.poll():
            renders.append(time.perf_counter() - tick)
            render_cpu.append(time.thread_time() - cpu)
        time.sleep(max(0.0, POLL_MS / 1000 - (time.perf_counter() - tick)))
    span = time.perf_counter() - start
    rss_growth = rss_mb() - rss0
    steps = c.progress.step - steps0
    snaps = len(c.worker.losses()) - snaps0
    window = worker_cpu[mark:]
    train_wall = window[-1][0] - window[0][0] if len(window) > 1 else float("nan")
    train_cpu = window[-1][1] - window[0][1] if len(window) > 1 else float("nan")
    # On two cores of its own the training thread would run all the time and the page's
    # thread would render on the other core: the rate is set by whichever needs more CPU.
    projected = min(1 / statistics.median(render_cpu), (len(window) - 1) / train_cpu,
                    1 / FRAME_INTERVAL[-1][1], 1000 / POLL_MS) if render_cpu else float("nan")
    decode_ms, server_ms = clicks(c, n_clicks)
    c.close()
    del views
    return {
        "points": ds.n_samples,
        "reconstruction": c.reconstruction,
        "graph + first frame (s)": graph_and_first,
        "frames/s while training": len(renders) / span,
        "frame render median (ms)": 1000 * statistics.median(renders) if renders else float("nan"),
        "frame render CPU median (ms)": 1000 * statistics.median(render_cpu) if renders else 0,
        "training thread CPU share (%)": 100 * train_cpu / train_wall,
        "training CPU per snapshot (ms)": 1000 * train_cpu / max(len(window) - 1, 1),
        "projected frames/s, 2 dedicated cores": projected,
        "engine snapshots/s": snaps / span,
        "training steps/s meanwhile": steps / span,
        "memory growth over the window (MB)": rss_growth,
        "click: decode + nearest (ms, median)": statistics.median(decode_ms),
        "click: incl. images/HTML (ms, median)": statistics.median(server_ms),
        "click: incl. images/HTML (ms, p95)": float(np.percentile(server_ms, 95)),
        "70k model has a decoder (clicks decode)": c.worker.model.decoder_ is not None,
        "total (s)": time.perf_counter() - t0,
    }


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=15.0, help="frame-rate window")
    p.add_argument("--clicks", type=int, default=30)
    p.add_argument("--synthetic", action="store_true", help="synthetic 70,000×784 even if MNIST is here")
    p.add_argument("--first-epochs", type=int, default=50)
    p.add_argument("--reconstruction", choices=["default", "on", "off"], default="default",
                   help="decoder for the 70,000-point run (default: the app's choice)")
    p.add_argument("--time-to-map", metavar="SOURCE", default=None,
                   help="only time Train -> first frame -> formed map on SOURCE (e.g. mnist-all)")
    p.add_argument("--limit", type=float, default=120.0, help="seconds of training to watch")
    p.add_argument("--sessions", type=int, default=0,
                   help="open this many Chromium sessions against one server instead")
    p.add_argument("--epochs", type=int, default=20, help="digits epochs per session (--sessions)")
    p.add_argument("--image-sets", action="store_true",
                   help="time three image sets from map to the end of a default run "
                        "(benchmarks/image_sets.py)")
    p.add_argument("--start", action="store_true",
                   help="only digits: Train -> first frame, and the spectral start's solvers "
                        "(benchmarks/results/app_start.md)")
    p.add_argument("--image-choices", action="store_true",
                   help="with --image-sets: also the learning-rate comparison behind its model")
    args = p.parse_args(argv)
    if args.sessions:
        return sessions(args.sessions, args.epochs)
    import torch

    torch.set_num_threads(int(os.environ.get("PUMAP_APP_TORCH_THREADS", "1")))
    t = time.perf_counter()
    warm_up()  # the app does this when the server starts
    rows = {"warm-up at server start, datashader + torch (s)": time.perf_counter() - t}
    if args.time_to_map:
        return save_time_to_map(rows | time_to_map(args.time_to_map, args.limit), args)
    if args.start:
        return save_start(rows | first_frame(args.first_epochs, args.clicks) | spectral_solvers())
    if args.image_sets:
        from benchmarks import image_sets

        os.environ.setdefault("PUMAP_DATA_DIR", str(data_dir()))
        return image_sets.run(choices=args.image_choices)
    rows.update(first_frame(args.first_epochs, args.clicks))
    ds = big_dataset(args.synthetic)
    rows["data set"] = f"{ds.name} {ds.n_samples:,}×{ds.n_features}"
    recon = {"default": None, "on": True, "off": False}[args.reconstruction]
    rows.update(frame_rate(ds, args.seconds, args.clicks, recon))
    report(rows)


def report(rows: dict) -> str:
    width = max(map(len, rows))
    lines = [f"{'measure'.ljust(width)}  value", f"{'-' * width}  -----"]
    for k, v in rows.items():
        lines.append(f"{k.ljust(width)}  {v:.3f}" if isinstance(v, float) else f"{k.ljust(width)}  {v}")
    text = "\n".join(lines)
    print("\n" + text)
    return text


def save_time_to_map(rows: dict, args) -> None:
    """Print ``rows`` and keep them in ``benchmarks/results/app_time_to_map.md``."""
    import datetime
    import platform

    when = datetime.datetime.now(datetime.timezone.utc)
    threads = os.environ.get("PUMAP_APP_TORCH_THREADS", "1")
    text = (f"# App: Train -> first frame -> a formed map\n\n{when:%Y-%m-%d %H:%M} UTC, "
            f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"{threads} training thread(s) as the app runs them; "
            f"`python -m benchmarks.bench_app --time-to-map {args.time_to_map}`.\n\n"
            f"```\n{report(rows)}\n```\n")
    (BENCHMARK_RESULTS / "app_time_to_map.md").write_text(text)


def spectral_solvers() -> dict:
    """Seconds of digits' spectral start by the dense solver and by ARPACK (what the
    library uses above ``DENSE_EIGEN_ROWS``), in this process, after the app's warm-up."""
    import pumap_core.training.initialization as init
    from pumap_core.data import load_digits
    from pumap_core.graph import build_graph

    edges = build_graph(load_digits().X, 15).edges
    out = {}
    for name, rows in (("dense", 10**9), ("ARPACK", init.DENSE_EIGEN_ROWS)):
        saved, init.DENSE_EIGEN_ROWS = init.DENSE_EIGEN_ROWS, rows
        try:
            t = time.perf_counter()
            init.spectral_layout(edges, 2, 0)
            out[f"digits spectral start, {name} (s)"] = time.perf_counter() - t
        finally:
            init.DENSE_EIGEN_ROWS = saved
    return out


def save_start(rows: dict) -> None:
    """Print ``rows`` and keep them in ``benchmarks/results/app_start.md``."""
    import datetime
    import platform

    when = datetime.datetime.now(datetime.timezone.utc)
    text = (f"# App: Train -> first frame on digits\n\n{when:%Y-%m-%d %H:%M} UTC, "
            f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores shared with "
            f"other jobs (load {os.getloadavg()[0]:.1f}); `python -m benchmarks.bench_app "
            f"--start`.\n\n```\n{report(rows)}\n```\n")
    (BENCHMARK_RESULTS / "app_start.md").write_text(text)


def sessions(n: int, epochs: int) -> None:
    import datetime
    import platform

    from benchmarks import app_sessions

    results = BENCHMARK_RESULTS
    load = os.getloadavg()[0]
    r = app_sessions.run(n, epochs, results / "app_sessions_server.log")
    when = datetime.datetime.now(datetime.timezone.utc)
    text = (f"# App: {n} sessions at once\n\n{when:%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} cores shared with other jobs (load {load:.1f} at start); "
            f"`python -m benchmarks.bench_app --sessions {n} --epochs {epochs}`.\n\n"
            + app_sessions.report(r))
    print(text)
    for name in (f"app_sessions_{when:%Y-%m-%d}.md", "app_sessions_latest.md"):
        (results / name).write_text(text)
    (results / "app_sessions_server.log").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
