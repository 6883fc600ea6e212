"""Image sets in the app: time to a map, time to the end of a default run, and decodes.

``python -m benchmarks.bench_app --image-sets`` opens three image sets made from the
CelebA copy, as ``images.npy`` files a person would open by path, in the dashboard's
own objects (SessionState, a rendered scatter, the inspector), presses Train with
the app's defaults and measures:

- what the app says before Train (the run plan's expected length) and the choice
  of networks it made from their measured step costs;
- Train → the first map on the plot, and → the end of the default run;
- the held-out decode error (faces after the training rows) against PCA with as
  many components as the model's code, fitted on the training rows.

``--image-choices`` also reruns the comparison behind the MLP-residual model's
learning rate. Results: ``benchmarks/results/image_sets.md``.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np

#: (name, images, side, grey): Olivetti-like, a mid-sized colour set, CelebA at the face size
SETS = (("400 grey 64×64", 400, 64, True), ("2,000 colour 64×64", 2000, 64, False),
        ("7,000 colour 32×32", 7000, 32, False))
#: held-out faces per set (the ones after its training rows)
HELD_OUT = 500


def held_out_mse(model, train: np.ndarray, test: np.ndarray) -> tuple[float, float]:
    """(model, PCA) mean squared error per value of decoding ``test`` from its codes; PCA
    has as many components as the model's code and is fitted on ``train``."""
    from sklearn.decomposition import PCA

    Xtr = train.reshape(len(train), -1) / 255.0
    Xte = test.reshape(len(test), -1) / 255.0
    decoded = model.decode(model.encode(test)).reshape(len(test), -1)
    pca = PCA(model.code_width, random_state=0).fit(Xtr)
    return (float(((decoded - Xte) ** 2).mean()),
            float(((pca.inverse_transform(pca.transform(Xte)) - Xte) ** 2).mean()))


def run_set(name: str, n: int, side: int, grey: bool, folder: Path, limit: float) -> dict:
    from app.views.inspector import InspectPanel
    from benchmarks.bench_app import session, wait_frame
    from harness.image_sets import celeba_images, write_image_set

    images = celeba_images(n + HELD_OUT, side, grey)
    path = write_image_set(folder / name.split()[0].replace(",", ""), images[:n])
    from app.state import SessionState

    c = SessionState()
    t0 = time.perf_counter()
    c.load(str(path), wait=True)
    c.worker._graph_thread.join()  # the graph and the run plan, made as the data load
    ready = time.perf_counter() - t0
    c.poll()
    plan = c.plan
    views = [session(c), InspectPanel(state=c)]
    t0 = time.perf_counter()
    c.train()
    first = wait_frame(c, 600)
    while c.worker.phase in ("training", "stopping") and time.perf_counter() - t0 < limit:
        c.poll()
        time.sleep(0.25)
    total = time.perf_counter() - t0
    c.poll()
    model, phase = c.worker.model, c.worker.phase
    mse, pca_mse = held_out_mse(model, images[:n], images[n:])
    c.close()
    del views
    return {"set": name, "network": plan.network, "expected_s": plan.seconds,
            "plan": plan.describe(), "ready_s": ready, "first_map_s": first, "run_s": total,
            "finished": phase == "done", "ratio_to_expected": total / plan.seconds,
            "mse": mse, "pca_mse": pca_mse, "code": model.code_width,
            "steps": plan.steps + plan.map_steps,
            "step_costs": {k: round(v, 4) for k, v in plan.measured.items()
                           if k.endswith(" step")}}


def learning_rate_choice(minutes: float = 0.8) -> list[dict]:
    """The MLP-residual model on 400 grey 64×64 faces at two learning rates, for the same
    time: held-out MSE against PCA's."""
    import torch

    from harness.faces import fit_in_budget
    from harness.image_sets import celeba_images
    from pumap_core import ParametricUMAP
    from pumap_core.run_plan import image_settings

    torch.set_num_threads(1)
    images = celeba_images(400 + HELD_OUT, 64, grey=True)
    rows = []
    for lr in (1e-3, 3e-4):
        settings = image_settings("pca_mlp")
        model = ParametricUMAP(**{**settings, "learning_rate": lr,
                                  "two_code": settings["two_code"].replace(map_epochs=0)},
                               random_state=0)
        timing = fit_in_budget(model, images[:400], minutes, report=None)
        mse, pca_mse = held_out_mse(model, images[:400], images[400:])
        rows.append({"learning_rate": lr, "steps": timing["steps"], "mse": mse,
                     "pca_mse": pca_mse})
    return rows


def report(rows: list[dict], choices: list[dict], load: tuple[float, float]) -> str:
    import datetime
    import platform

    when = datetime.datetime.now(datetime.timezone.utc)
    threads = os.environ.get("PUMAP_APP_TORCH_THREADS", "1")
    lines = [
        "# App: image sets at a sane cost", "",
        f"{when:%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores shared with other jobs (load {load[0]:.1f} at the start, "
        f"{load[1]:.1f} at the end), {threads} training thread(s) as the app runs them; "
        "`python -m benchmarks.bench_app --image-sets"
        + (" --image-choices" if choices else "") + "`.", "",
        "Each set is an `images.npy` of CelebA faces opened by path in the dashboard's own "
        f"objects; held-out: the {HELD_OUT} faces after the training rows.", "",
        "| set | networks (by measured step cost) | said before Train | Train → map | "
        "Train → end of run | end ÷ said | held-out MSE (PCA, same width) |",
        "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['set']} | `{r['network']}`, 16-D code; step costs {r['step_costs']} | "
            f"{r['plan']} | {r['first_map_s']:.1f} s | {r['run_s']:.0f} s"
            f"{'' if r['finished'] else ' (not finished)'} | {r['ratio_to_expected']:.2f} | "
            f"{r['mse']:.4f} ({r['pca_mse']:.4f} PCA-{r['code']}, "
            f"{r['mse'] / r['pca_mse']:.2f}×) |")
    lines += ["", "Load and prepare (data, neighbour graph, run plan) before Train: "
              + ", ".join(f"{r['set']} {r['ready_s']:.1f} s" for r in rows) + "."]
    if choices:
        lines += ["", "## The MLP-residual model's learning rate", "",
                  "400 grey 64×64 faces, the same seconds of training each "
                  "(`harness.faces.fit_in_budget`, one thread):", "",
                  "| learning rate | steps | held-out MSE | PCA-16 | ratio |", "|---|---|---|---|---|"]
        lines += [f"| {c['learning_rate']:g} | {c['steps']:,} | {c['mse']:.4f} | "
                  f"{c['pca_mse']:.4f} | {c['mse'] / c['pca_mse']:.2f} |" for c in choices]
    return "\n".join(lines) + "\n"


def run(limit: float = 900.0, choices: bool = False) -> str:
    """Measure every set of :data:`SETS`; print and save the table."""
    from harness.image_sets import has_celeba
    from harness.paths import BENCHMARK_RESULTS, data_dir

    if not has_celeba():
        raise SystemExit(f"CelebA not found under {data_dir()} (set PUMAP_DATA_DIR)")
    load0 = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, n, side, grey in SETS:
            print(f"{name} …", flush=True)
            rows.append(run_set(name, n, side, grey, Path(tmp), limit))
            print(rows[-1], flush=True)
    picked = learning_rate_choice() if choices else []
    text = report(rows, picked, (load0, os.getloadavg()[0]))
    print(text)
    (BENCHMARK_RESULTS / "image_sets.md").write_text(text)
    return text
