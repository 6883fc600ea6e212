"""What the benchmark and experiment scripts share: data splits, thread limits,
timing, memory, the methods compared, scoring and result files.

``benchmarks/`` (us against peers) and ``experiments/`` (the paper's
experiments) both import from here and never from each other; run their
scripts from the repository root as ``python -m benchmarks.<name>`` or
``python -m experiments.<name>``.

Importing the harness lets idle OpenMP threads sleep instead of spin
(``OMP_WAIT_POLICY=PASSIVE``, unless already set). It must happen before
torch or numba start their thread pools, which is why it is done here, the
first first-party import of every script: on a two-core machine shared with
other work, spinning threads made our training ~8x slower at 2 torch threads
(40 s vs 5 s on digits, 20 epochs).
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
