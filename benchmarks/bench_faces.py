"""Faces benchmark: the app's face model on CelebA at 32×32 RGB, against its targets.

    python -m benchmarks.bench_faces [--minutes 5] [--data DIR] [--threads 2]

Trains with :mod:`harness.faces` (the app's preset, a time budget; the code
``experiments/faces_model.py`` trains with) on the 8,000 faces of
``$PUMAP_DATA_DIR/celeba`` (default ``../shared/data``), 1,000 of them held out, and reports on the held-out faces:

- held-out MSE: per pixel, in [0, 1] units, of decode(encode(x)), next to PCA
  with the same number of components as the code;
- identity: share of decodes whose nearest held-out original (16×16 grey) is
  their own, next to PCA-16 and PCA-2;
- attribute shift: for Smiling, Eyeglasses, Male, Blond_Hair, Wearing_Hat,
  Young, the mean score of a judge (logistic regression on *real* 16×16
  training faces) of decodes shifted by −1 sd / 0 / +1 sd along the
  attribute's feature vector (OLS of the training codes on the attributes);
- identity kept under a shift: at +1 sd, is the decode still nearer its own
  original than the average training face is;
- time: training wall time, and identity at probes during training (on 300
  held-out faces: how soon faces become recognisable);
- map quality: trustworthiness (k=5, pixels vs map) of the held-out faces'
  2-D map, next to umap-learn's ``transform`` of the same split.

Writes ``benchmarks/results/faces_latest.md`` (the table), ``faces_latest.csv``
(every number) and ``faces_grid.png`` (held-out originals, decodes and ±1 sd
shifts). ``--quick`` is a seconds-long smoke run on a few rows (the test uses it).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from harness.data import holdout
from harness.face_judge import (
    ATTRIBUTES,
    AttributeClassifier,
    decode_shifts,
    identity_kept,
    identity_top1,
    shift_scores,
)
from harness.faces import face_model, fit_in_budget, load_faces
from harness.figures import image_grid
from harness.methods import umap_learn
from harness.paths import BENCHMARK_RESULTS, data_dir
from harness.report import markdown_table
from harness.threads import set_threads
from pumap_core.eval.metrics import trustworthiness
from pumap_core.features import direction_scales, feature_vectors

#: The targets: identity top-1 and identity kept under a +1 sd shift (shares of held-out
#: faces), the judge's rise from −1 to +1 sd, and the map's trustworthiness gap to umap-learn.
TARGETS = {"identity": 0.85, "attribute_rise": 0.3, "identity_kept": 0.80, "trust_gap": 0.02}


class Probe:
    """During training: identity top-1 of a fixed set of held-out faces at given times."""

    def __init__(self, model, images: np.ndarray, at: list[float]) -> None:
        self.model, self.images, self.at = model, images, list(at)
        self.points: list[tuple[float, int, float]] = []

    def __call__(self, snap) -> None:
        if self.at and snap.elapsed >= self.at[0] and not snap.done:
            self.at.pop(0)
            decoded = self.model.decode(self.model.encode(self.images))
            self.points.append((snap.elapsed, snap.step, identity_top1(decoded, self.images)))


def pca_scores(train_flat: np.ndarray, test_flat: np.ndarray, test_images: np.ndarray,
               n: int, seed: int) -> tuple[float, float]:
    from sklearn.decomposition import PCA

    pca = PCA(n, svd_solver="randomized", random_state=seed).fit(train_flat)
    rec = pca.inverse_transform(pca.transform(test_flat))
    mse = float(((rec - test_flat) ** 2).mean())
    ident = identity_top1(np.clip(rec, 0, 1).reshape(test_images.shape), test_images)
    return mse, ident


def umap_learn_trust(train_flat, test_flat, seed: int, k: int = 5) -> tuple[float, float]:
    t = time.perf_counter()
    reducer = umap_learn(seed=seed).fit(train_flat)
    emb = reducer.transform(test_flat)
    return trustworthiness(test_flat, emb, k=k), time.perf_counter() - t


def run(args) -> dict:
    set_threads(args.threads)
    r: dict = {"started": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "threads": args.threads, "minutes": args.minutes}
    t = time.perf_counter()
    ds = load_faces(args.data, limit=args.n_images)
    n_test = min(args.n_test, len(ds) // 3) if args.quick else args.n_test
    if not 0 < n_test < len(ds) - 20:
        raise SystemExit(f"--n-test {n_test} leaves too few of the {len(ds)} faces to train on")
    train_idx, test_idx = (np.sort(rows) for rows in holdout(len(ds), n_test, args.seed))
    train, test = ds.subset(train_idx), ds.subset(test_idx)
    r.update(n_train=len(train), n_test=len(test), image_shape="×".join(map(str, ds.image_shape)),
             load_s=time.perf_counter() - t)
    print(f"{len(train):,} training and {len(test):,} held-out faces at {r['image_shape']}", flush=True)

    # -- train (the app's preset under a time budget)
    model = face_model(train, seed=args.seed, **(args.set or {}))
    r["overrides"] = " ".join(f"{k}={v}" for k, v in (args.set or {}).items())
    probe_at = [t for t in (15, 30, 60, 90, 120, 180, 240) if t < 60 * (args.minutes or 1e9)]
    probe = Probe(model, test.images[:300], probe_at)
    timings = fit_in_budget(model, train.images, args.minutes or None, callback=probe,
                            **({"map_share": args.map_share} if args.map_share is not None else {}))
    r["fit_s"], r["train_s"], r["map_s"] = timings["fit"], timings["train"], timings.get("map", 0.0)
    r["steps"], r["epochs"] = timings["steps"], timings["epochs"]
    r["probes"] = probe.points
    print(f"trained {r['train_s']:.0f} s ({r['fit_s']:.0f} s with the graph, then the map "
          f"{r['map_s']:.0f} s), {r['steps']:,} steps, {r['epochs']:.2f} epochs", flush=True)
    d = r["d"] = model.code_width

    # -- reconstruction and identity
    train_flat, test_flat = train.X, test.X
    codes = model.encode(test.images)
    decoded = model.decode(codes)
    r["mse"] = float(((decoded.reshape(len(test), -1) - test_flat) ** 2).mean())
    r["identity"] = identity_top1(decoded, test.images)
    r[f"pca{d}_mse"], r[f"pca{d}_identity"] = pca_scores(train_flat, test_flat, test.images, d, args.seed)
    if d != 16:
        r["pca16_mse"], r["pca16_identity"] = pca_scores(train_flat, test_flat, test.images, 16, args.seed)
    r["pca2_mse"], r["pca2_identity"] = pca_scores(train_flat, test_flat, test.images, 2, args.seed)

    # -- attribute shifts and identity under them
    attrs = [a for a in ATTRIBUTES if a in train.attributes.columns]
    tr_attr = train.attributes[attrs].reset_index(drop=True)
    te_attr = test.attributes[attrs].reset_index(drop=True)
    judge = AttributeClassifier().fit(train.images, tr_attr)
    acc = judge.accuracy(test.images, te_attr)
    directions = feature_vectors(model.codes_, tr_attr).loc[attrs]
    alphas = direction_scales(model.codes_, directions, 1.0)
    scores = shift_scores(model, codes, directions, alphas, judge)
    mean_face = train.images.astype(np.float32).mean(0) / 255.0
    kept = {}
    for a in attrs:
        plus = decode_shifts(model, codes, directions, a, float(alphas[a]))[2]
        kept[a] = float(identity_kept(plus, test.images, mean_face).mean())
    scores["identity_kept"] = pd.Series(kept)
    scores["judge_auc_real"] = acc["auc"]
    scores["rise"] = scores["score_plus"] - scores["score_minus"]
    r["shifts"] = scores
    r["identity_kept_all"] = float(np.mean(list(kept.values())))
    r["identity_kept_unshifted"] = float(identity_kept(decoded, test.images, mean_face).mean())

    # -- the map
    r["trust"] = trustworthiness(test_flat, model.transform(test.images), k=5)
    if args.umap:
        r["umap_trust"], r["umap_s"] = umap_learn_trust(train_flat, test_flat, args.seed)
    write_grid(args.out, model, test.images, codes, directions, alphas, decoded, attrs)
    return r


def write_grid(out: Path, model, images, codes, directions, alphas, decoded, attrs,
               n_faces: int = 8, scale: int = 2) -> Path:
    """Rows: held-out faces. Columns: original, decode, then −1 sd / +1 sd per attribute.
    Pixels are repeated ``scale`` times (32 px faces are hard to see)."""
    rows = np.arange(min(n_faces, len(codes)))
    strips = {a: decode_shifts(model, codes[rows], directions, a, float(alphas[a])) for a in attrs}

    def big(img):
        img = np.asarray(img)
        return img.repeat(scale, 0).repeat(scale, 1)

    cells = [[big(images[i]), big(decoded[i])] + [big(strips[a][k, j]) for a in attrs for k in (0, 2)]
             for j, i in enumerate(rows)]
    out.mkdir(parents=True, exist_ok=True)
    path = out / "faces_grid.png"
    image_grid(cells, header=[("held out", 1), ("decoded", 1)] + [(a, 2) for a in attrs],
               subheader=["", ""] + ["-1sd", "+1sd"] * len(attrs)).save(path, optimize=True)
    return path


def fmt(v, digits=3) -> str:
    if isinstance(v, str):
        return v
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "—"
    s = f"{v:.{digits}f}"
    return s[1:] if s.startswith("0.") else s.replace("-0.", "−.")


def table(r: dict) -> tuple[str, pd.DataFrame]:
    """The Markdown table (one row per measure, with its target and whether it is met)."""
    d = r["d"]
    rows = []

    def row(measure, ours, reference, target, met):
        rows.append({"measure": measure, "ours": ours, "reference": reference, "target": target,
                     "met": "yes" if met else "**no**"})

    pca_mse = r[f"pca{d}_mse"]
    row("held-out MSE (per pixel)", fmt(r["mse"], 4), f"PCA-{d} {fmt(pca_mse, 4)}",
        f"≤ PCA-{d}", r["mse"] <= pca_mse)
    row("identity top-1 (16×16 grey, among held-out)", fmt(r["identity"]),
        f"PCA-16 {fmt(r['pca16_identity'])}, PCA-2 {fmt(r['pca2_identity'])}",
        f"≥ {fmt(TARGETS['identity'], 2)}", r["identity"] >= TARGETS["identity"])
    for a, s in r["shifts"].iterrows():
        row(f"attribute shift: {a} (judge at −1 / 0 / +1 sd)",
            f"{fmt(s['score_minus'])} / {fmt(s['score_zero'])} / {fmt(s['score_plus'])} "
            f"(rise {fmt(s['rise'])})", f"judge AUC on real faces {fmt(s['judge_auc_real'])}",
            f"rise ≥ {fmt(TARGETS['attribute_rise'], 1)}", s["rise"] >= TARGETS["attribute_rise"])
    per = ", ".join(f"{a} {fmt(v, 2)}" for a, v in r["shifts"]["identity_kept"].items())
    row("identity kept at +1 sd (nearer own original than the average face)",
        fmt(r["identity_kept_all"]), f"unshifted decodes {fmt(r['identity_kept_unshifted'])}; {per}",
        f"≥ {TARGETS['identity_kept']:.0%}", r["identity_kept_all"] >= TARGETS["identity_kept"])
    probes = "; ".join(f"{fmt(i, 2)} at {t:.0f} s" for t, _, i in r["probes"])
    row(f"training wall time ({r['threads']} threads)", f"{r['train_s']:.0f} s "
        f"({r['steps']:,} joint steps, {r['epochs']:.1f} epochs, then the map alone "
        f"{r['map_s']:.0f} s; kNN graph, PCA and joint stage {r['fit_s']:.0f} s)",
        f"identity during training (300 faces): {probes or '—'}",
        "5 min; ~1 min to recognisable faces", r["train_s"] <= 330)
    umap = r.get("umap_trust")
    row("map trustworthiness (k=5, held-out)", fmt(r["trust"]),
        f"umap-learn transform {fmt(umap)}" if umap is not None else "umap-learn not run",
        f"within {TARGETS['trust_gap']:.2f}", umap is not None and r["trust"] >= umap - TARGETS["trust_gap"])
    frame = pd.DataFrame(rows)
    return markdown_table(frame.set_index("measure")), frame


def _setting(text: str) -> tuple[str, object]:
    import json

    name, _, value = text.partition("=")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=None, help="CelebA folder (default "
                   "$PUMAP_DATA_DIR/celeba, else ../shared/data/celeba)")
    p.add_argument("--minutes", type=float, default=5.0, help="training budget (0: preset epochs)")
    p.add_argument("--n-images", type=int, default=8000)
    p.add_argument("--n-test", type=int, default=1000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-umap", dest="umap", action="store_false", help="skip umap-learn")
    p.add_argument("--out", type=Path, default=BENCHMARK_RESULTS)
    p.add_argument("--name", default="faces_latest", help="stem of the .md/.csv written")
    p.add_argument("--set", type=_setting, action="append", metavar="NAME=VALUE",
                   help="override a preset setting (ablations), e.g. --set batch_size=32 "
                        "or --set two_code.map_epochs=20")
    p.add_argument("--map-share", type=float, default=None,
                   help="share of the budget for the map stage (default harness.faces.MAP_SHARE)")
    p.add_argument("--quick", action="store_true", help="smoke run: 300 faces, 5 s, no umap-learn")
    a = p.parse_args(argv)
    a.set = dict(a.set or [])
    if a.quick:
        a.n_images, a.n_test, a.minutes, a.umap = min(a.n_images, 300), 100, 5 / 60, False
    a.data = a.data or data_dir()
    r = run(a)
    text, frame = table(r)
    head = (f"Faces benchmark, {r['started']}: {r['n_train']:,} training / {r['n_test']:,} held-out "
            f"CelebA faces at {r['image_shape']}, {r['threads']} threads, "
            f"`python -m benchmarks.bench_faces --minutes {a.minutes:g}`"
            + "".join(f" --set {k}={v}" for k, v in a.set.items())
            + (" (--quick)" if a.quick else "") + ".")
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / f"{a.name}.md").write_text(f"{head}\n\n{text}\n\n![grid](faces_grid.png)\n")
    flat = {k: v for k, v in r.items() if not isinstance(v, (pd.DataFrame, list))}
    shifts = r["shifts"].add_prefix("shift_").stack()
    flat.update({f"{a}.{k}": v for (a, k), v in shifts.items()})
    flat["probes"] = "; ".join(f"{t:.0f}s step {s} identity {i:.3f}" for t, s, i in r["probes"])
    pd.Series(flat, name="value").to_csv(a.out / f"{a.name}.csv", header=True)
    print(head + "\n\n" + text, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
