"""The three commands, in process: ``fit``, ``transform`` and ``inverse``.

Each checks what it can before the long part (the output path, the device,
the model file, the data's width), then works under a progress bar and
writes its result whole or not at all (:mod:`.output`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from .columns import decoded_frame, embedding_frame
from .errors import CLIError
from .inputs import check_device, check_fits, load_model, model_input, read_codes, read_data
from .output import atomic_output, check_out, write_npy, write_parquet
from .progress import bar


def _report(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(text)


def in_chunks(fn: Callable[[np.ndarray], np.ndarray], rows: np.ndarray, batch: int,
              desc: str, progress: bool) -> np.ndarray:
    """``fn`` over ``rows`` a batch at a time, under a bar counting rows."""
    parts = []
    with bar(len(rows), desc, "row", progress) as pbar:
        for start in range(0, len(rows), batch):
            parts.append(fn(rows[start:start + batch]))
            pbar.update(len(parts[-1]))
    return np.concatenate(parts)


def estimator_params(args: argparse.Namespace) -> dict[str, Any]:
    """The estimator's constructor arguments from the command line."""
    from pumap_core import TwoCode

    if args.map_epochs and args.code_components is None:
        raise CLIError("--map-epochs trains the map of a two-code model: add --code-components")
    two_code = (TwoCode(code_components=args.code_components, map_epochs=args.map_epochs)
                if args.code_components is not None else None)
    return dict(
        n_components=args.n_components, n_neighbors=args.n_neighbors, min_dist=args.min_dist,
        spread=args.spread, metric=args.metric, n_epochs=args.n_epochs,
        batch_size=args.batch_size, learning_rate=args.learning_rate,
        init=None if args.init == "none" else args.init, encoder=args.encoder,
        global_correlation_weight=args.global_correlation_weight,
        reconstruction=args.reconstruction, two_code=two_code,
        random_state=args.random_state, device=args.device,
        verbose=not args.quiet)


def fit(args: argparse.Namespace) -> int:
    """Train on DATA and save the model (the estimator's own bar shows the training)."""
    from pumap_core import ParametricUMAP

    out = check_out(args.out)
    check_device(args.device)
    ds = read_data(args, progress=not args.quiet)
    if args.supervised and ds.labels is None:
        raise CLIError(f"{args.data}: --supervised needs labels, and these data have none "
                       "(see --label-column)")
    labels = ds.labels if args.supervised else None
    if args.nproc > 1:
        from pumap_core.model.data_parallel import fit_data_parallel

        with atomic_output(out) as tmp:
            fit_data_parallel(estimator_params(args), model_input(ds), args.nproc, tmp, labels,
                              include_graph=args.include_graph)
        _report(args, f"fitted {ds.n_samples} rows x {ds.n_features} features in "
                      f"{args.nproc} processes; model saved to {out}")
        return 0
    model = ParametricUMAP(**estimator_params(args))
    model.fit(model_input(ds), labels, input_scale=ds.scale)
    with atomic_output(out) as tmp:
        model.save(tmp, include_graph=args.include_graph)
    _report(args, f"fitted {ds.n_samples} rows x {ds.n_features} features "
                  f"({model.n_epochs_} epochs); model saved to {out}")
    return 0


def transform(args: argparse.Namespace) -> int:
    """Embed DATA and write one Parquet table (or, with Dask, a folder of parts)."""
    if args.workers or args.scheduler:
        from .dask_transform import dask_transform

        return dask_transform(args)
    out = check_out(args.out)
    model = load_model(args.model, args.device)
    ds = read_data(args, progress=not args.quiet)
    inputs = model_input(ds)
    check_fits(model, inputs, args.data)
    Z = in_chunks(lambda rows: model.transform(rows, chunk_size=args.chunk_size), inputs,
                  args.chunk_size, "transform", not args.quiet)
    _report_scaling(model, inputs)
    frame = embedding_frame(Z, 0, ds.labels, ds.label_names, ds.attributes)
    with atomic_output(out) as tmp:
        write_parquet(frame, tmp, not args.quiet)
    _report(args, f"embedded {len(frame)} rows into {Z.shape[1]} dimensions; wrote {out}")
    return 0


def _report_scaling(model: Any, inputs: np.ndarray) -> None:
    """On stderr: rows that arrived raw (``transform`` scaled them as the training rows
    were) and rows far outside the training range even so."""
    from pumap_core.scaling import InputScaling

    scaling = getattr(model, "input_scaling_", None) or InputScaling()
    scaled, n_scaled = scaling.apply(inputs.reshape(len(inputs), -1))
    n_far = scaling.far_outside(scaled)
    if n_scaled:
        print(f"note: {n_scaled} rows arrived as raw values and were scaled as the training "
              f"rows were ({scaling.describe()})", file=sys.stderr)
    if n_far:
        print(f"warning: {n_far} of {len(inputs)} rows lie far outside the training range "
              f"({scaling.describe()}); their places on the map mean little", file=sys.stderr)


def _decoder(model: Any, width: int, args: argparse.Namespace) -> Callable:
    """Map points go through ``inverse_transform``, a two-code model's codes through ``decode``."""
    if model.decoder_ is None:
        raise CLIError(f"{args.model}: this model has no decoder, so it cannot decode; "
                       "fit one with --reconstruction")
    if width == model.n_components:
        return lambda Z: model.inverse_transform(Z, chunk_size=args.chunk_size)
    if model.has_two_codes and width == model.code_width:
        return lambda C: model.decode(C, chunk_size=args.chunk_size)
    codes = f" or codes of {model.code_width}" if model.has_two_codes else ""
    raise CLIError(f"{args.codes}: {width} columns, but {args.model} decodes map points of "
                   f"{model.n_components}{codes}")


def inverse(args: argparse.Namespace) -> int:
    """Decode map points (or codes) and write the rows as Parquet, or .npy."""
    out = check_out(args.out)
    model = load_model(args.model, args.device)
    codes, rows = read_codes(args.codes)
    decode = _decoder(model, codes.shape[1], args)
    decoded = in_chunks(decode, codes, args.chunk_size, "decode", not args.quiet)
    with atomic_output(out) as tmp:
        if out.suffix.lower() == ".npy":
            write_npy(decoded, tmp)
        else:
            write_parquet(decoded_frame(rows, decoded), tmp, not args.quiet)
    _report(args, f"decoded {len(decoded)} rows; wrote {out}")
    return 0
