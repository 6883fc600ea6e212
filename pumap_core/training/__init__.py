"""The training stage: the loop that fits the networks to the graph.

``loop`` runs the optimisation on sampled edges; ``losses`` are its terms,
``curve`` the low-dimensional similarity they use, ``initialization`` the
layout a warm start regresses onto, ``convergence`` when to stop, and
``live`` the controls and snapshots that cross between the loop's thread and
a user interface.
"""
