"""How good decoded faces are: a judge of attributes, shifts along feature vectors,
and whether a decode is still recognisably its own face.

- :class:`AttributeClassifier`: the judge. Logistic regression on REAL images
  at 16x16, so that it can later score decoded (blurry) faces: at 16x16 the
  decoder's blur is mostly below the pixel size, while hair colour, mouth,
  glasses band and jaw are still visible.
- :func:`shift_scores`: decode held-out codes shifted by -a, 0, +a along each
  latent feature vector and score the decodes with the judge.
- :func:`identity_top1`, :func:`identity_kept`: decodes compared with the
  originals at 16x16 grey.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pumap_core.features import direction_scales, shift_codes

#: The CelebA attributes the faces demo and the faces benchmark shift and judge by default.
ATTRIBUTES = ("Smiling", "Eyeglasses", "Male", "Blond_Hair", "Wearing_Hat", "Young")

# --------------------------------------------------------------- the judge
def downsample(images: np.ndarray, size: int = 16) -> np.ndarray:
    """n x h x w x c images (uint8 or floats in [0, 1]) -> n x (size*size*c) block means."""
    x = np.asarray(images, dtype=np.float32)
    if images.dtype == np.uint8:
        x = x / 255.0
    n, h, w, c = x.shape
    if h % size or w % size:
        raise ValueError(f"images of {h}x{w} cannot be block-averaged to {size}x{size}")
    return x.reshape(n, size, h // size, size, w // size, c).mean((2, 4)).reshape(n, -1)


class AttributeClassifier:
    """One logistic regression per attribute on standardised 16x16 pixels of real faces.

    ``class_weight="balanced"``: rare attributes (Eyeglasses ~7%) would
    otherwise score near 0 everywhere, hiding any shift.
    """

    def __init__(self, size: int = 16, C: float = 0.01) -> None:
        self.size, self.C = size, C

    def fit(self, images: np.ndarray, attributes: pd.DataFrame) -> AttributeClassifier:
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        F = downsample(images, self.size)
        self.scaler_ = StandardScaler().fit(F)
        F = self.scaler_.transform(F)
        self.models_ = {}
        for name in attributes.columns:
            y = attributes[name].to_numpy()
            if len(np.unique(y)) < 2:
                raise ValueError(f"attribute {name!r} has one value in the training set")
            self.models_[name] = LogisticRegression(
                C=self.C, max_iter=1000, class_weight="balanced").fit(F, y)
        return self

    def predict_proba(self, images: np.ndarray) -> pd.DataFrame:
        """P(attribute) for each image, one column per attribute."""
        F = self.scaler_.transform(downsample(images, self.size))
        return pd.DataFrame({k: m.predict_proba(F)[:, 1] for k, m in self.models_.items()})

    def accuracy(self, images: np.ndarray, attributes: pd.DataFrame) -> pd.DataFrame:
        """Accuracy, balanced accuracy (mean recall of both classes) and ROC AUC."""
        from sklearn.metrics import balanced_accuracy_score, roc_auc_score

        p = self.predict_proba(images)
        rows = {}
        for k in p.columns:
            y, score = attributes[k].to_numpy(), p[k].to_numpy()
            yhat = (score > 0.5).astype(int)
            rows[k] = {"accuracy": float((y == yhat).mean()),
                       "balanced_accuracy": float(balanced_accuracy_score(y, yhat)),
                       "auc": float(roc_auc_score(y, score)) if 0 < y.mean() < 1 else np.nan,
                       "positive_rate": float(y.mean())}
        return pd.DataFrame.from_dict(rows, orient="index")


# ------------------------------------------------------------------- shifts
def shift_sizes(Z: np.ndarray, directions: pd.DataFrame, n_std: float) -> pd.Series:
    """alpha_f so that alpha_f * w_f moves a code by ``n_std`` standard deviations of
    the training codes' projection on w_f: comparable strength for every attribute,
    whatever the length of its OLS coefficient (``pumap_core.features.direction_scales``)."""
    return direction_scales(Z, directions, n_std)


def _decode(model, codes: np.ndarray) -> np.ndarray:
    """Codes → images: ``decode`` where the model has it (two-code models need it),
    else ``inverse_transform`` (the PCA stand-ins of the tests)."""
    fn = getattr(model, "decode", None) or model.inverse_transform
    return np.asarray(fn(codes))


def decode_shifts(model, Z: np.ndarray, directions: pd.DataFrame, attribute: str,
                  alpha: float) -> np.ndarray:
    """Decoded images of codes ``Z`` shifted by -alpha, 0, +alpha along w_attribute:
    (3, m, h, w, c)."""
    shifted = shift_codes(Z, directions, attribute, [-alpha, 0.0, alpha])
    decoded = _decode(model, shifted.reshape(-1, Z.shape[1]).astype(np.float32))
    return decoded.reshape(3, Z.shape[0], *decoded.shape[1:])


def shift_scores(model, Z: np.ndarray, directions: pd.DataFrame, alphas: pd.Series,
                 judge: AttributeClassifier) -> pd.DataFrame:
    """Mean judge score of decodes at -alpha, 0, +alpha per attribute, and whether it rises.

    ``frac_up``: share of faces whose +alpha decode outscores its 0 decode and
    whose -alpha decode scores under it (per face, not only on average).
    """
    rows = {}
    for name in judge.models_:
        decoded = decode_shifts(model, Z, directions, name, float(alphas[name]))
        s = judge.predict_proba(decoded.reshape(-1, *decoded.shape[2:]))[name]
        minus, zero, plus = s.to_numpy().reshape(3, -1)
        rows[name] = {"alpha": float(alphas[name]), "score_minus": float(minus.mean()),
                      "score_zero": float(zero.mean()), "score_plus": float(plus.mean()),
                      "frac_up": float(((plus > zero) & (minus < zero)).mean()),
                      "passed": bool(plus.mean() > zero.mean() > minus.mean())}
    return pd.DataFrame.from_dict(rows, orient="index")


# ----------------------------------------------------------------- identity
def grey16(images: np.ndarray) -> np.ndarray:
    """n x h x w x c images (uint8 or [0, 1]) -> n x 256 grey 16x16 block means in [0, 1]:
    the space in which the benchmark compares decodes with originals."""
    x = downsample(images, 16).reshape(len(images), 16 * 16, -1)
    return x.mean(axis=2)


def identity_top1(decoded: np.ndarray, originals: np.ndarray) -> float:
    """Share of decodes whose nearest original (16x16 grey, Euclidean, among all
    ``originals``) is their own: row i of ``decoded`` belongs to row i of ``originals``."""
    dec, orig = grey16(decoded), grey16(originals)
    d2 = (dec**2).sum(1)[:, None] - 2 * dec @ orig.T + (orig**2).sum(1)[None, :]
    return float((d2.argmin(axis=1) == np.arange(len(dec))).mean())


def identity_kept(shifted: np.ndarray, originals: np.ndarray, average_face: np.ndarray) -> np.ndarray:
    """Per face: is the (shifted) decode nearer its own original than the average face
    is (16x16 grey)? ``average_face``: one image (h x w x c), e.g. the training mean."""
    moved, orig = grey16(shifted), grey16(originals)
    avg = grey16(np.asarray(average_face)[None])[0]
    return ((moved - orig) ** 2).sum(1) < ((avg[None] - orig) ** 2).sum(1)
