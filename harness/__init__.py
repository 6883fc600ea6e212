"""What the benchmark and experiment scripts share: data splits, thread limits,
timing, memory, the methods compared, scoring and result files.

``benchmarks/`` (us against peers) and ``experiments/`` (the paper's
experiments) both import from here and never from each other; run their
scripts from the repository root as ``python -m benchmarks.<name>`` or
``python -m experiments.<name>``.

Threads run as a user's process runs them: OpenMP's default wait policy. On a
quiet machine, sleeping idle threads (``OMP_WAIT_POLICY=PASSIVE``) made our digits
fit 2.2x slower (15.7 s vs 7.0 s, 54 epochs) and measured something no user of
the library or the app gets; on a machine shared with other jobs, spinning threads
can be slower instead. Set the variable yourself before a run to choose.
"""
