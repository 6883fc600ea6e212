"""Why steering a face changes more than the attribute, and which directions change less.

    python -m experiments.steering [--minutes 4] [--data DIR] [--model FILE]

The app's sliders push a clicked face's code along an attribute's latent
direction (paper §5.4.2: least squares of the codes on the attributes). At ±2
standard deviations people saw Smiling and Eyeglasses darken the skin until the
face read as another person, and Eyeglasses −2 wash it to white. This trains
the app's face model (``harness.faces``: CelebA at 32×32, 7,000 faces, 1,000 held
out) for a few minutes, fits the directions several ways and measures, on
held-out faces shifted by −2 / +2 sd:

- **rise**: the judge's (logistic regression on real faces, ``harness.face_judge``)
  score for the attribute at +2 minus at −2: the change wanted;
- **lightness**: mean |change| of the face's grey level (centre of the image, 0–255)
  between −2 and +2: lighting and skin tone, the change not wanted;
- **tone**: mean |change| of red minus blue there (skin colour);
- **others**: mean |change| of the judge's scores of the other attributes;
- **kept**: share of ±2 decodes still nearer their own original than the average face.

Ways to fit the directions:

- ``ols``: one least-squares fit on all 40 attributes (what the app did);
- ``ols6``: on the six attributes the sliders show first, alone;
- ``marginal``: each attribute alone (mean code with it minus without it);
- ``ols+light``: all 40 attributes plus the face's lightness and tone (measured on the
  real images, ``pumap_core.features.image_lightness``) as covariates held fixed;
- ``ols+light, unit``: the same, each direction's step normalised by the codes'
  spread along it after removing lighting and tone.

Writes ``experiments/results/steering.md`` and ``steering_grid.png``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from harness.face_judge import ATTRIBUTES, AttributeClassifier, identity_kept
from harness.faces import load_faces, train_face_model
from harness.paths import EXPERIMENT_RESULTS, data_dir
from harness.report import markdown_table
from pumap_core.features import (
    direction_scales,
    feature_vectors,
    image_lightness,
    shift_codes,
    without_covariates,
)

SHIFT = 2.0  # the sliders' end, in standard deviations of the codes


def directions(codes: np.ndarray, attrs: pd.DataFrame, light: pd.DataFrame) -> dict:
    """Each way's (directions, slider scales) on the training codes."""
    out = {}
    w = feature_vectors(codes, attrs)
    out["ols"] = (w, direction_scales(codes, w))
    w6 = feature_vectors(codes, attrs[list(ATTRIBUTES)])
    out["ols6"] = (w6, direction_scales(codes, w6))
    wm = feature_vectors(codes, attrs, method="marginal")
    out["marginal"] = (wm, direction_scales(codes, wm))
    wl = feature_vectors(codes, attrs, covariates=light)
    out["ols+light"] = (wl, direction_scales(codes, wl))
    out["ols+light, unit"] = (wl, unit_scales(codes, wl, light))
    return out


def unit_scales(codes: np.ndarray, w: pd.DataFrame, light: pd.DataFrame) -> pd.Series:
    """Slider units from the codes' spread along each direction once lighting and tone
    are regressed out of the codes (lighting no longer inflates the unit)."""
    return direction_scales(without_covariates(codes, light), w)


def measure(model, codes: np.ndarray, originals: np.ndarray, average: np.ndarray,
            judge: AttributeClassifier, w: pd.DataFrame, scales: pd.Series) -> pd.DataFrame:
    rows = {}
    for name in ATTRIBUTES:
        alpha = SHIFT * float(scales[name])
        shifted = shift_codes(codes, w, name, [-alpha, alpha]).reshape(-1, codes.shape[1])
        decoded = np.asarray(model.decode(shifted.astype(np.float32)))
        minus, plus = decoded.reshape(2, len(codes), *decoded.shape[1:])
        light_m, light_p = (face_light_raw(x) for x in (minus, plus))
        s_m, s_p = judge.predict_proba(minus), judge.predict_proba(plus)
        others = [c for c in s_m.columns if c != name]
        rows[name] = {
            "rise": float(s_p[name].mean() - s_m[name].mean()),
            "lightness": float(np.abs(light_p[0] - light_m[0]).mean()),
            "tone": float(np.abs(light_p[1] - light_m[1]).mean()),
            "others": float((s_p[others] - s_m[others]).abs().mean().mean()),
            "kept": float(np.mean([identity_kept(x, originals, average).mean()
                                   for x in (minus, plus)])),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def face_light_raw(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(grey level, red − blue) of each image's centre, in 0–255 units."""
    x = np.asarray(images, np.float32) * 255.0
    h, w = x.shape[1:3]
    c = x[:, h // 4: 3 * h // 4, w // 4: 3 * w // 4]
    return c.mean(axis=(1, 2, 3)), (c[..., 0] - c[..., 2]).mean(axis=(1, 2))


def grid(model, codes, table_ways: dict, path, n_faces: int = 4) -> None:
    """Rows: a held-out face shifted −2 / 0 / +2 along each attribute, one block per way."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ways = list(table_ways)
    fig, axes = plt.subplots(len(ways) * n_faces, 3 * len(ATTRIBUTES),
                             figsize=(3 * len(ATTRIBUTES) * 0.55, len(ways) * n_faces * 0.62))
    for wi, way in enumerate(ways):
        w, scales = table_ways[way]
        for fi in range(n_faces):
            for ai, name in enumerate(ATTRIBUTES):
                alpha = SHIFT * float(scales[name])
                z = shift_codes(codes[fi], w, name, [-alpha, 0.0, alpha]).astype(np.float32)
                for k, img in enumerate(np.asarray(model.decode(z))):
                    ax = axes[wi * n_faces + fi, 3 * ai + k]
                    ax.imshow(np.clip(img, 0, 1))
                    ax.set_xticks([])
                    ax.set_yticks([])
                    if wi == 0 and fi == 0 and k == 1:
                        ax.set_title(name, fontsize=7)
            axes[wi * n_faces + fi, 0].set_ylabel(way if fi == 0 else "", fontsize=6)
    fig.tight_layout(pad=0.1)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--minutes", type=float, default=4.0)
    p.add_argument("--data", default=None)
    p.add_argument("--model", default=None, help="a saved face model instead of training one")
    p.add_argument("--held-out", type=int, default=500)
    args = p.parse_args(argv)
    import torch

    from pumap_core import ParametricUMAP

    torch.set_num_threads(2)
    faces = load_faces(data_dir(args.data))
    n_train = len(faces) - 1000
    train, test = faces.images[:n_train], faces.images[n_train:n_train + args.held_out]
    attrs = (faces.attributes > 0).astype(np.int8)
    t0 = time.perf_counter()
    if args.model:
        model = ParametricUMAP.load(args.model)
    else:
        model, _ = train_face_model(train, minutes=args.minutes, report=None,
                                    dataset=faces.subset(np.arange(n_train)))
    trained_s = time.perf_counter() - t0
    codes = model.encode(train)
    held = model.encode(test)
    judge = AttributeClassifier().fit(train, attrs.iloc[:n_train][list(ATTRIBUTES)])
    ways = directions(codes, attrs.iloc[:n_train].reset_index(drop=True), image_lightness(train))
    average = train.mean(axis=0) / 255.0
    tables = {way: measure(model, held, test, average, judge, w, s)
              for way, (w, s) in ways.items()}
    summary = pd.DataFrame({way: t.mean() for way, t in tables.items()}).T
    text = ["# Steering faces: the attribute, and what else changes", "",
            f"`python -m experiments.steering --minutes {args.minutes:g}`: the app's face model "
            f"(CelebA 32×32, {n_train:,} faces, trained {trained_s:.0f} s on two shared cores), "
            f"{args.held_out} held-out faces shifted by −{SHIFT:g} and +{SHIFT:g} sd.", "",
            "Mean over Smiling, Eyeglasses, Male, Blond_Hair, Wearing_Hat, Young "
            "(rise: wanted; lightness, tone, others: unwanted; kept: identity):", "",
            markdown_table(summary, "directions", 3), ""]
    for way, t in tables.items():
        text += [f"## {way}", "", markdown_table(t, "attribute", 3), ""]
    EXPERIMENT_RESULTS.mkdir(exist_ok=True)
    (EXPERIMENT_RESULTS / "steering.md").write_text("\n".join(text))
    grid(model, held, ways, EXPERIMENT_RESULTS / "steering_grid.png")
    print("\n".join(text))


if __name__ == "__main__":
    main()
