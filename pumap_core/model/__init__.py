"""The model stage: :class:`~pumap_core.model.estimator.ParametricUMAP` and what it
needs to turn parameters into a training run.

``estimator`` is the public class; ``params`` checks its parameters and
inputs before any expensive step; ``fitting`` builds the networks and the
training configuration its parameters describe.
"""
