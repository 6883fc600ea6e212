"""Settings by kind of data: ``preset_for(dataset)`` → ``ParametricUMAP`` keyword arguments.

The app calls it when a data set is chosen; ``experiments/faces_model.py`` and
``benchmarks/bench_faces.py`` train with the same settings.

Colour images (CelebA's faces, loaded at ``FACE_IMAGE_SIZE``) get the *face
model*: a two-code model (``two_code=TwoCode(FACE_CODE, ...)``) whose conv encoder
and decoder form an autoencoder with a 16-D bottleneck, and whose 2-D map
is a small head on those codes trained on UMAP's graph at the same time.
Everything else gets ``{}`` (the estimator's defaults, today's behaviour).
"""

from __future__ import annotations

from typing import Any

from .model.specs import Conv, TwoCode

#: CelebA is loaded at this size (pixels a side) for the face model: 3,072
#: features, quick to train and to decode on a laptop CPU.
FACE_IMAGE_SIZE = 32
#: Width of the face model's code (what the decoder reads).
FACE_CODE = 16
#: Rows the face model's schedule is sized for (the epochs scale with 1/rows).
FACE_ROWS = 7000

#: The face model's convolutions: whitened PCA plus conv nets that start at zero, so
#: the decodes are PCA-16's faces from the first step.
FACE_NETS = Conv(widths=(16, 32, 64), pca_start=True)

#: The face model's settings (see the user guide, "Faces: a code and a map").
FACE_SETTINGS: dict[str, Any] = {
    "n_components": 2,
    # the map head is trained with the code, then alone on the final codes: ~45 map-stage
    # epochs fit in 90 s on two busy cores (3×256 head, 512-edge batches)
    "two_code": TwoCode(code_components=FACE_CODE, map_grad=0.0, map_epochs=40),
    "reconstruction": True,
    "reconstruction_loss": "mse",
    "reconstruction_weight": 50.0,
    # UMAP's loss on the codes too, at a modest weight: attribute directions then move
    # decodes visibly while identity holds. Its effect grows with training: in 5
    # minutes on two cores (~2,200 steps) 0.3 made Eyeglasses/Wearing_Hat shifts leave
    # the person (identity kept .65); in 2 busy minutes (~500 steps) 0.1 was too weak
    # (Eyeglasses rise .23): benchmarks/results/faces_design.md.
    "code_umap_weight": 0.1,
    "encoder": FACE_NETS,
    "decoder": FACE_NETS,
    "negatives": "in_batch",
    "batch_size": 64,
    "learning_rate": 1e-3,
    "n_neighbors": 15,
    # exact kNN as one chunked matrix product: ~10 s for 7,000 faces of 3,072
    # pixels, where "auto" picks NN-descent (over a minute with its compilation)
    "knn_method": "exact",
}


def is_face_like(dataset) -> bool:
    """Colour images (h × w × 3), as CelebA loads: what the face model is for."""
    shape = getattr(dataset, "image_shape", None)
    return shape is not None and len(shape) == 3 and shape[2] == 3


def face_epochs(n_rows: int, epochs_at_face_rows: int = 3) -> int:
    """Epochs for ``n_rows`` faces so that training takes about as long as
    ``epochs_at_face_rows`` epochs of ``FACE_ROWS`` faces (one epoch samples
    each edge about once, so its cost grows with the rows)."""
    return max(1, round(epochs_at_face_rows * FACE_ROWS / max(int(n_rows), 1)))


def preset_for(dataset) -> dict[str, Any]:
    """``ParametricUMAP`` keyword arguments suited to a loaded
    :class:`pumap_core.data.Dataset`.

    Colour images: the face model (``FACE_SETTINGS`` with epochs sized to the
    number of rows: 3 joint epochs of 7,000 faces, ~790 steps each at ~0.09 s
    on two busy cores, then ``two_code.map_epochs`` of the map alone — about 5 minutes;
    decodes are PCA-16's faces from the first step, so recognisable at once).
    Anything else: ``{}``.
    """
    if not is_face_like(dataset):
        return {}
    return {**FACE_SETTINGS, "n_epochs": face_epochs(len(dataset))}
