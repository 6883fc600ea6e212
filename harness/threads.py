"""One thread limit for torch, numba and the BLAS pools of numpy/scipy."""

from __future__ import annotations


def set_threads(n: int) -> None:
    """Pin torch, numba and BLAS (via threadpoolctl) to ``n`` threads.

    Unlimited pools thrash a loaded two-core machine: scikit-learn's randomized
    PCA of 600 MNIST rows took 8 s instead of 0.1 s before the BLAS limit.
    TensorFlow's pools are set by its runner (:mod:`harness.keras_peer`).
    """
    import numba
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(n)
    numba.set_num_threads(max(1, min(n, numba.config.NUMBA_NUM_THREADS)))
    threadpool_limits(n)
