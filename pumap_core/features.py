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


def _check_Z(Z) -> np.ndarray:
    Z = np.asarray(Z)
    if Z.ndim != 2:
        raise ValueError(f"Z must be 2-D (n_samples, n_components), got shape {Z.shape}")
    if Z.dtype.kind not in "biuf":
        raise ValueError(f"Z must be numeric, got dtype {Z.dtype}")
    Z = Z.astype(np.float64)
    if not np.isfinite(Z).all():
        raise ValueError("Z contains NaN or inf")
    if len(Z) < 2:
        raise ValueError(f"need at least 2 samples to fit feature vectors, got {len(Z)}")
    return Z


def feature_vectors(Z, attributes, label_names=None) -> pd.DataFrame:
    """Latent direction of each attribute, by OLS of ``Z`` on ``[1, attributes]``.

    Parameters
    ----------
    Z : (n, k) latent codes.
    attributes : DataFrame of n rows (binary / numeric / categorical columns,
        see :func:`attribute_design`), or a 1-D label vector of length n.
    label_names : names of integer label codes (label vectors only).

    Returns
    -------
    DataFrame with one row per attribute (index: attribute name) and columns
    ``z0..z{k-1}``. ``.attrs`` holds ``intercept`` (list of k floats),
    ``dropped`` (constant columns left out, with a warning) and ``r2`` (per
    latent dimension). For a label vector each row is the class centroid
    minus the mean of the class centroids (the one-hot columns plus an
    intercept are collinear; this is the solution whose directions sum to 0).
    """
    Z = _check_Z(Z)
    A = attribute_design(attributes, label_names)
    if len(A) != len(Z):
        raise ValueError(f"attributes have {len(A)} rows but Z has {len(Z)}")
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
    columns = [f"z{j}" for j in range(Z.shape[1])]
    a = A.to_numpy()
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
    out.attrs.update(intercept=intercept.tolist(), dropped=constant, r2=r2.tolist())
    return out


def shift_codes(Z, directions: pd.DataFrame, attribute: str, alpha=1.0) -> np.ndarray:
    """``Z + alpha * W[attribute]``: codes pushed along an attribute's direction.

    ``Z`` is one code (k,) or many (m, k). A scalar ``alpha`` returns the
    shape of ``Z``; a sequence of a alphas returns them stacked, (a, *Z.shape),
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
