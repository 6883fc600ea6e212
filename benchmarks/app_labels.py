"""App: seconds from labelling a selection to the map coloured by the predictions it taught.

Runs the dashboard's own objects (SessionState and a ScatterView rendered to a Bokeh
document) as a browser session uses them, without the network and the browser:

    python -m benchmarks.app_labels                  # MNIST, 70,000 rows ("mnist-all")
    python -m benchmarks.app_labels --source digits  # seconds

Load the data, press Train (``--epochs`` epochs), then, as a person: brush the
``--boxes`` densest places of the map one after another, naming each by its rows'
majority label (what the simulated person of ``bench_labels`` does). Each labelling
continues training; the clock runs from the Label selection call to the first frame
drawn in "predicted class" colours whose predictions give at least 90 % of the
labelled rows their labels, with the page's 250 ms poll. Writes
``benchmarks/results/app_labels.md``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from app.dashboard import POLL_MS
from app.state import SessionState
from app.state_labels import PREDICTED
from app.warmup import warm_up
from benchmarks.bench_app import data_dir, session, wait_frame
from benchmarks.bench_labels import UPDATED, dense_boxes
from harness.machine import code_version
from harness.paths import BENCHMARK_RESULTS
from harness.report import TIMING_NOTE, markdown_table


def labelled_frame(c: SessionState, view, code: int, timeout: float) -> float:
    """Poll as the page does until a frame in predicted colours predicts class ``code`` and
    gives the labelled rows their labels; seconds from now."""
    t0, sent = time.perf_counter(), view.frames_sent
    labels = c.labels.codes
    labelled = np.flatnonzero(labels >= 0)
    while time.perf_counter() - t0 < timeout:
        c.poll()
        pred = c.predictions
        if pred is not None and c.color_by == PREDICTED and view.frames_sent > sent \
                and np.mean(pred.predicted[labelled] == labels[labelled]) >= UPDATED \
                and code in pred.classes:  # set by this poll, drawn by it too
            return time.perf_counter() - t0
        time.sleep(POLL_MS / 1000)
    raise TimeoutError(f"no frame with the labels of class {code} in {timeout:.0f} s")


def run(source: str, epochs: int, boxes: int, box_rows: int) -> tuple[list[dict], dict]:
    os.environ.setdefault("PUMAP_DATA_DIR", str(data_dir()))
    warm_up()  # as the server does before the first page
    c = SessionState()
    c.load(source, wait=True)
    if c.worker.dataset is None:
        raise SystemExit(c.worker.error)
    c.poll()
    view = session(c)
    c.n_epochs = epochs
    t0 = time.perf_counter()
    c.train()
    wait_frame(c, 900)
    c.worker.wait(3600)
    c.poll()
    facts = {"n": c.dataset.n_samples, "train_s": time.perf_counter() - t0}
    truth = c.dataset.labels
    rows = []
    for k, box in enumerate(dense_boxes(c.frame.train_z, boxes, box_rows)):
        name = str(np.bincount(truth[box]).argmax())
        c.selection = box
        t0 = time.perf_counter()
        c.label_selection(name)
        seconds = labelled_frame(c, view, c.labels.code_of(name), 120)
        rows.append({"selection": k + 1, "rows": len(box), "class": name,
                     "classes so far": len(c.labels.classes), "seconds": seconds,
                     "predict_proba s": c.predictions.seconds})
        print(f"box {k + 1}: {seconds:.2f} s", flush=True)
    c.close()
    return rows, facts


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--source", default="mnist-all")
    p.add_argument("--epochs", type=int, default=3, help="epochs of the first run")
    p.add_argument("--boxes", type=int, default=5)
    p.add_argument("--box-rows", type=int, default=30)
    a = p.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    rows, facts = run(a.source, a.epochs, a.boxes, a.box_rows)
    import pandas as pd

    frame = pd.DataFrame(rows).set_index("selection")
    seconds = [r["seconds"] for r in rows]
    command = "python -m benchmarks.app_labels" + (
        f" --source {a.source}" if a.source != "mnist-all" else "")
    text = "\n\n".join([
        "# App: labels to predicted colours", f"`{command}`", markdown_table(frame, digits=2),
        f"Median {statistics.median(seconds):.2f} s, longest {max(seconds):.2f} s (target: "
        "≤ 5 s on MNIST) from Label selection to a frame in predicted colours that gives "
        f"≥ {UPDATED:.0%} of the labelled rows their labels, on {facts['n']:,} rows after a "
        f"{a.epochs}-epoch run ({facts['train_s']:.0f} s); training on one thread, the page's "
        f"{POLL_MS} ms poll.", TIMING_NOTE, f"Code: commit {code_version()}."]) + "\n"
    stem = "app_labels" + ("" if a.source == "mnist-all" else f"_{a.source}")
    (BENCHMARK_RESULTS / f"{stem}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
