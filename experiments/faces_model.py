"""Train the app's face model on a CelebA-layout folder and save it.

    python -m experiments.faces_model --data DIR --out FILE [--minutes M]

``DIR`` holds ``img_align_celeba/*.jpg`` and ``list_attr_celeba.txt`` (or is
the folder above one that does, e.g. ``../shared/data``). The faces are
loaded at ``pumap_core.presets.FACE_IMAGE_SIZE`` (32×32 RGB) and a
``ParametricUMAP(**preset_for(faces))`` — the model the app trains when
CelebA is chosen — is fitted for about ``--minutes`` of wall time (default 5)
and saved to ``FILE`` (safetensors + JSON, loadable with
``ParametricUMAP.load`` or the app's Load model). Progress is printed.

The training code, with its time budget, is :mod:`harness.faces` (the faces
benchmark scores the same model).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from harness.faces import load_faces, train_face_model
from harness.threads import set_threads


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="CelebA-layout folder (or the folder holding celeba/)")
    p.add_argument("--out", required=True, type=Path, help="model file to write (.safetensors)")
    p.add_argument("--minutes", type=float, default=5.0,
                   help="training wall time (default 5; 0: the preset's epochs)")
    p.add_argument("--limit", type=int, default=None, help="use only the first N images")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2, help="torch, numba and BLAS threads (default 2)")
    a = p.parse_args(argv)

    set_threads(a.threads)
    t = time.perf_counter()
    ds = load_faces(a.data, a.limit)
    print(f"loaded {len(ds):,} faces at {ds.image_shape} from {ds.source} "
          f"in {time.perf_counter() - t:.1f} s", flush=True)
    minutes = a.minutes if a.minutes > 0 else None
    what = f"{minutes:.3g} min" if minutes else "preset epochs"
    print(f"training the face model ({what}, "
          f"{a.threads} threads) ...", flush=True)
    model, timings = train_face_model(ds.images, minutes, a.seed, dataset=ds)
    print(f"trained: {timings['train']:.0f} s of training ({timings['fit']:.0f} s with the graph), "
          f"{model.loss_history_[-1]['step'] if model.loss_history_ else 0:,} steps", flush=True)
    model.save(a.out)
    mse = float(((model.decode(model.encode(ds.images[:500])) - ds.images[:500] / 255.0) ** 2).mean())
    print(f"saved {a.out} ({a.out.stat().st_size / 1e6:.1f} MB); reconstruction MSE on "
          f"{min(500, len(ds))} training faces {mse:.4f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
