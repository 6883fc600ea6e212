"""Latent feature vectors (Sainburg et al. 2021, §5.4.2).

Fit ordinary least squares z ≈ [1, A]·W of the latent codes Z on an
attribute matrix A; row W_f is the direction in latent space along which
attribute f grows by one unit. Adding α·W_f to a code and decoding it
(``ParametricUMAP.inverse_transform``) shows the attribute added (α > 0) or
removed (α < 0). Pure numpy/pandas: decoding is the estimator's job.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .validation import check_array, check_same_rows


def _is_label_vector(attributes) -> bool:
    if isinstance(attributes, pd.DataFrame):
        return False
    return np.ndim(attributes) == 1


def attribute_design(attributes, label_names=None) -> pd.DataFrame:
    """The float design matrix A (without intercept) for an attribute table.

    Numeric and boolean columns are used as they are. Text and categorical
    columns are one-hot encoded against their first level ("col=value"
    columns), so that with the intercept the design stays full rank. A 1-D
    label vector becomes one column per class, named by ``label_names`` (or
    the label values); −1 and missing labels get all zeros.
    """
    if _is_label_vector(attributes):
        codes = pd.Series(np.asarray(attributes))
        if label_names is not None:
            names = [str(s) for s in label_names]
            c = codes.to_numpy()
            if c.dtype.kind not in "iu" or (c.size and c.max() >= len(names)):
                raise ValueError("labels must be integer codes below len(label_names)")
            cols = {nm: (c == i).astype(np.float64) for i, nm in enumerate(names)}
        else:
            valid = codes[codes.notna() & (codes.astype("object") != -1)]
            levels = sorted(valid.unique(), key=lambda v: (str(type(v)), v))
            cols = {str(v): (codes == v).to_numpy(dtype=np.float64) for v in levels}
        return pd.DataFrame(cols, index=pd.RangeIndex(len(codes)))
    if not isinstance(attributes, pd.DataFrame):
        raise TypeError(
            "attributes must be a pandas DataFrame or a 1-D label vector, "
            f"got {type(attributes).__name__} with {np.ndim(attributes)} dimensions"
        )
    parts = {}
    for col in attributes.columns:
        s = attributes[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            v = s.to_numpy(dtype=np.float64, na_value=np.nan)
            if not np.isfinite(v).all():
                raise ValueError(f"attribute column {col!r} has NaN or inf values")
            parts[str(col)] = v
        else:
            if s.isna().any():
                raise ValueError(f"attribute column {col!r} has missing values")
            levels = pd.Categorical(s).categories
            for lev in levels[1:]:
                parts[f"{col}={lev}"] = (s == lev).to_numpy(dtype=np.float64)
    return pd.DataFrame(parts, index=pd.RangeIndex(len(attributes)))


def image_lightness(images) -> pd.DataFrame:
    """How light each image is and its colour tone: the mean grey level and the mean red
    minus blue of the image's centre (its middle half, where a face is), standardised.

    Passed to :func:`feature_vectors` as ``covariates``, they keep lighting and skin
    tone out of the attribute directions: on CelebA, Smiling and Eyeglasses otherwise
    also darken the face (experiments/results/steering.md).
    """
    x = np.asarray(images, dtype=np.float32)
    if x.ndim not in (3, 4):
        raise ValueError(f"images must be n × h × w [× c], got shape {x.shape}")
    h, w = x.shape[1:3]
    centre = x[:, h // 4: h - h // 4, w // 4: w - w // 4]
    grey = centre.reshape(len(x), -1).mean(axis=1)
    columns = {"lightness": grey}
    if x.ndim == 4 and x.shape[3] >= 3:
        columns["tone"] = (centre[..., 0] - centre[..., 2]).reshape(len(x), -1).mean(axis=1)
    table = pd.DataFrame(columns)
    return (table - table.mean()) / table.std(ddof=0).replace(0.0, 1.0)


def without_covariates(Z, covariates: pd.DataFrame) -> np.ndarray:
    """``Z`` less what ``covariates`` explain of it (least squares, means kept): codes whose
    spread along a direction is no longer inflated by lighting, for :func:`direction_scales`
    of directions fitted with those covariates held fixed."""
    Z = check_array(Z, name="Z", dtype=np.float64, min_rows=2)
    C = attribute_design(covariates.reset_index(drop=True)).to_numpy()
    check_same_rows(len(C), len(Z), "covariates", "Z")
    C = C - C.mean(axis=0)
    coef, *_ = np.linalg.lstsq(C, Z - Z.mean(axis=0), rcond=None)
    return Z - C @ coef


def feature_vectors(Z, attributes, label_names=None, method: str = "ols",
                    covariates: pd.DataFrame | None = None) -> pd.DataFrame:
    """Latent direction of each attribute, by OLS of ``Z`` on ``[1, attributes]``.

    Parameters
    ----------
    Z : (n, k) latent codes.
    attributes : DataFrame of n rows (binary / numeric / categorical columns,
        see :func:`attribute_design`), or a 1-D label vector of length n.
    label_names : names of integer label codes (label vectors only).
    method : ``"ols"`` (default): one joint least-squares fit, so each row is
        the attribute's effect with the *other columns held fixed* (a partial
        effect; the paper's feature vectors).
    covariates : columns (n rows) held fixed in an ``"ols"`` fit but given no
        direction of their own: e.g. :func:`image_lightness`, so that an
        attribute's direction does not also carry lighting or skin tone. ``"marginal"``: each column on
        its own (simple regression; for a 0/1 column, the mean code of rows
        with it minus the mean code of rows without it, the classic
        "attribute vector" of generative models), which keeps whatever comes
        with the attribute in the data (for Young: smoother skin, and fewer
        men); larger, more visible changes for attributes that overlap.

    Returns
    -------
    DataFrame with one row per attribute (index: attribute name) and columns
    ``z0..z{k-1}``. ``.attrs`` holds ``intercept`` (list of k floats),
    ``dropped`` (constant columns left out, with a warning) and ``r2`` (per
    latent dimension). For a label vector each row is the class centroid
    minus the mean of the class centroids (the one-hot columns plus an
    intercept are collinear; this is the solution whose directions sum to 0).
    """
    Z = check_array(Z, name="Z", dtype=np.float64, min_rows=2)
    A = attribute_design(attributes, label_names)
    check_same_rows(len(A), len(Z), "attributes", "Z")
    held = []
    if covariates is not None and method == "ols" and not _is_label_vector(attributes):
        extra = attribute_design(covariates.reset_index(drop=True))
        check_same_rows(len(extra), len(Z), "covariates", "Z")
        held = [c for c in extra.columns if c not in A.columns]
        A = pd.concat([A, extra[held]], axis=1)
    if A.shape[1] == 0:
        raise ValueError("no attribute columns to fit")
    constant = [c for c in A.columns if np.ptp(A[c].to_numpy()) == 0]
    if constant:
        warnings.warn(
            f"feature_vectors: dropped constant attribute column(s) {constant}: "
            "they have no direction", stacklevel=2,
        )
        A = A.drop(columns=constant)
    if A.shape[1] == 0:
        raise ValueError(f"every attribute column is constant ({constant}); nothing to fit")
    if method not in ("ols", "marginal"):
        raise ValueError(f"method must be 'ols' or 'marginal', got {method!r}")
    columns = [f"z{j}" for j in range(Z.shape[1])]
    a = A.to_numpy()
    if method == "marginal" and not _is_label_vector(attributes):
        ac = a - a.mean(axis=0)
        W = (ac.T @ (Z - Z.mean(axis=0))) / (ac**2).sum(axis=0)[:, None]
        out = pd.DataFrame(W, index=pd.Index(A.columns, name="attribute"), columns=columns)
        out.attrs.update(intercept=Z.mean(axis=0).tolist(), dropped=constant, r2=None,
                         method="marginal")
        return out
    if _is_label_vector(attributes):
        rows = a.sum(axis=1) > 0  # unlabelled rows do not inform class centroids
        means = (a[rows].T @ Z[rows]) / a[rows].sum(axis=0)[:, None]
        intercept = means.mean(axis=0)
        W, fitted = means - intercept, means[np.argmax(a[rows], axis=1)]
        resid, Zfit = Z[rows] - fitted, Z[rows]
    else:
        design = np.column_stack([np.ones(len(a)), a])
        coef, _, rank, _ = np.linalg.lstsq(design, Z, rcond=None)
        if rank < design.shape[1]:
            warnings.warn(
                "feature_vectors: attribute columns are collinear; directions are the "
                "minimum-norm least-squares solution and not unique", stacklevel=2,
            )
        intercept, W = coef[0], coef[1:]
        resid, Zfit = Z - design @ coef, Z
    ss_tot = ((Zfit - Zfit.mean(axis=0)) ** 2).sum(axis=0)
    r2 = 1.0 - (resid**2).sum(axis=0) / np.where(ss_tot > 0, ss_tot, 1.0)
    out = pd.DataFrame(W, index=pd.Index(A.columns, name="attribute"), columns=columns)
    out.attrs.update(intercept=intercept.tolist(), dropped=constant, r2=r2.tolist(),
                     held_fixed=held)
    return out.drop(index=[h for h in held if h in out.index])


def shift_codes(Z, directions: pd.DataFrame, attribute: str, alpha=1.0) -> np.ndarray:
    """``Z + alpha * W[attribute]``: codes pushed along an attribute's direction.

    ``Z`` is one code (k,) or many (m, k). A scalar ``alpha`` returns the
    shape of ``Z``; a sequence of a alphas returns them stacked, ``(a, *Z.shape)``,
    ready to decode as a strip of images from "less" to "more".
    """
    if not isinstance(directions, pd.DataFrame):
        raise TypeError("directions must be the DataFrame returned by feature_vectors")
    if attribute not in directions.index:
        raise KeyError(f"no direction for {attribute!r}; have {list(directions.index)}")
    Z = np.asarray(Z)
    if Z.ndim not in (1, 2) or Z.dtype.kind not in "biuf":
        raise ValueError(f"Z must be a numeric code (k,) or codes (m, k), got shape {Z.shape}")
    w = directions.loc[attribute].to_numpy(dtype=np.float64)
    if Z.shape[-1] != w.shape[0]:
        raise ValueError(f"Z has {Z.shape[-1]} components but directions have {w.shape[0]}")
    dtype = Z.dtype if Z.dtype.kind == "f" else np.float64
    alphas = np.asarray(alpha, dtype=np.float64)
    if alphas.ndim > 1 or not np.isfinite(alphas).all():
        raise ValueError("alpha must be a finite scalar or 1-D sequence")
    if alphas.ndim == 0:
        return (Z + float(alphas) * w).astype(dtype)
    shifted = Z[None, ...] + alphas.reshape((-1,) + (1,) * Z.ndim) * w
    return shifted.astype(dtype)


def direction_scales(Z, directions: pd.DataFrame, n_std: float = 1.0) -> pd.Series:
    """``alpha_f`` such that ``alpha_f * W_f`` moves a code by ``n_std`` standard
    deviations of the codes ``Z`` projected on ``W_f``.

    OLS coefficients have very different lengths (a rare attribute such as
    Eyeglasses gets a long one), so equal ``alpha`` are unequal pushes; in
    these units a slider at 1 is "one typical spread of the data along this
    direction" for every attribute.
    """
    Z = check_array(Z, name="Z", dtype=np.float64, min_rows=2)
    W = directions.to_numpy(dtype=np.float64)
    if W.shape[1] != Z.shape[1]:
        raise ValueError(f"Z has {Z.shape[1]} components but directions have {W.shape[1]}")
    norms = np.linalg.norm(W, axis=1)
    safe = np.where(norms > 0, norms, 1.0)
    spread = (Z @ (W / safe[:, None]).T).std(axis=0)
    return pd.Series(np.where(norms > 0, n_std * spread / safe, 0.0), index=directions.index,
                     name="alpha")


def direction_strengths(model, codes, directions: pd.DataFrame, n_std: float = 1.0,
                        max_codes: int = 64, seed: int = 0) -> pd.Series:
    """How much each attribute's direction changes the decode, strongest first.

    For up to ``max_codes`` of ``codes`` (a random sample), decode the codes
    shifted by −``n_std`` and +``n_std`` standard deviations along each
    direction (:func:`direction_scales`, computed on all of ``codes``) and
    take the mean absolute difference of the two decodes, per pixel / feature
    (for images in [0, 1]: 0.1 ≈ 25 grey levels). ``model`` is anything with
    ``decode(codes)`` (a fitted :class:`~pumap_core.ParametricUMAP`).
    """
    Z = check_array(codes, name="codes", dtype=np.float64, min_rows=2)
    alphas = direction_scales(Z, directions, n_std)
    rng = np.random.default_rng(seed)
    sample = Z if len(Z) <= max_codes else Z[rng.choice(len(Z), max_codes, replace=False)]
    W = directions.to_numpy(dtype=np.float64)
    k = len(directions)
    shifts = (alphas.to_numpy()[:, None] * W)[:, None, :]  # k × 1 × d
    plus = (sample[None] + shifts).reshape(-1, Z.shape[1]).astype(np.float32)
    minus = (sample[None] - shifts).reshape(-1, Z.shape[1]).astype(np.float32)
    dp = np.asarray(model.decode(plus), dtype=np.float64).reshape(k, len(sample), -1)
    dm = np.asarray(model.decode(minus), dtype=np.float64).reshape(k, len(sample), -1)
    strength = np.abs(dp - dm).mean(axis=(1, 2))
    return pd.Series(strength, index=directions.index, name="strength").sort_values(
        ascending=False, kind="stable")


def rank_directions(model, codes, directions: pd.DataFrame, n_std: float = 1.0,
                    max_codes: int = 64) -> list[str]:
    """Attribute names ordered by how strongly their direction changes the decode
    (see :func:`direction_strengths`; that function also returns the strengths)."""
    return list(direction_strengths(model, codes, directions, n_std, max_codes).index)


def interpolate_codes(points, map_points, codes, k: int = 8,
                      bandwidth: float | None = None) -> np.ndarray:
    """Codes for arbitrary map points, from reference rows' map points and codes.

    Each point gets the average code of its ``k`` nearest reference points
    in the map, weighted by ``exp(−d² / 2h²) / d²`` (inverse-distance weights
    under a Gaussian window) and normalised over those ``k``. ``h``
    (``bandwidth``) defaults to the median distance from a reference point to
    its nearest other reference point. So a point on a reference point gets
    that row's code; one between points a blend of theirs; one far from
    every point the nearest point's code (the weights are normalised in log
    space, so they never all vanish).
    This is what a two-code ``ParametricUMAP.codes_at`` uses.
    """
    from scipy.spatial import cKDTree

    P = check_array(points, name="points", dtype=np.float64)
    M = check_array(map_points, name="map points", dtype=np.float64)
    C = check_array(codes, name="codes", dtype=np.float64)
    if P.shape[1] != M.shape[1]:
        raise ValueError(f"points {P.shape} and map points {M.shape} must have the same "
                         "number of columns")
    check_same_rows(len(C), len(M), "codes", "map points")
    tree = cKDTree(M)
    k = int(max(1, min(k, len(M))))
    if bandwidth is None:
        if len(M) > 1:
            d_nn, _ = tree.query(M[: min(len(M), 5000)], k=2)
            bandwidth = float(np.median(d_nn[:, 1]))
        bandwidth = bandwidth if bandwidth and bandwidth > 0 else 1.0
    dist, idx = tree.query(P, k=k)
    dist, idx = dist.reshape(len(P), k), idx.reshape(len(P), k)
    h = float(bandwidth)
    logw = -(dist**2) / (2.0 * h**2) - 2.0 * np.log(np.maximum(dist, 1e-4 * h))
    logw -= logw.max(axis=1, keepdims=True)
    w = np.exp(logw)
    w /= w.sum(axis=1, keepdims=True)
    out = np.einsum("mk,mkd->md", w, C[idx])
    return out.astype(np.float32)
