"""AppState: everything one browser session shows or chooses, as parameters.

Widgets edit it, views are functions of it, and :class:`app.controller.Controller`
moves results from the worker threads into it (only ever from the session's
own callbacks, never from a worker).
"""

from __future__ import annotations

import numpy as np
import param

from pumap_core import ParametricUMAP

#: the engine's own defaults: the app starts from the same settings as a script
ENGINE = ParametricUMAP().get_params()

#: Colour-by choice that means "the data set's labels".
LABEL = "label"


class AppState(param.Parameterized):
    # -- data ---------------------------------------------------------------
    source = param.String(default="digits", doc="Chosen built-in data set (a load() source).")
    sources = param.Dict(default={"digits (1,797 · 8×8)": "digits"},
                         doc="Chooser label -> load() source.")
    path = param.String(default="", doc="Free path to a file or folder.")
    dataset_info = param.String(default="", doc="One line about the loaded data.")
    loading = param.Boolean(default=False)

    # -- training settings (fixed for a run) -------------------------------
    n_neighbors = param.Integer(default=ENGINE["n_neighbors"], bounds=(2, 200))
    n_epochs = param.Integer(default=0, bounds=(0, 2000), doc="0 = automatic.")
    learning_rate = param.Number(default=ENGINE["learning_rate"], bounds=(1e-5, 1e-1))
    reconstruction = param.Boolean(default=True, doc="Train a decoder (click to decode).")
    batch_size = param.Integer(default=ENGINE["batch_size"], bounds=(64, 16384))
    random_state = param.Integer(default=None, allow_None=True)

    # -- live settings (reach the running loop at its next step) ------------
    min_dist = param.Number(default=ENGINE["min_dist"], bounds=(0.0, 1.0), step=0.01)
    global_weight = param.Number(default=ENGINE["global_correlation_weight"], bounds=(0.0, 1.0),
                                 step=0.01,
                                 doc="Weight of the global-structure loss.")
    recon_weight = param.Number(default=ENGINE["reconstruction_weight"], bounds=(0.0, 2.0),
                                step=0.05,
                                doc="Weight of the reconstruction loss (0 = decoder not trained).")

    # -- what the session shows ---------------------------------------------
    phase = param.String(default="empty")
    error = param.String(default="", doc="Last error, shown in the page.")
    notice = param.String(default="", doc="Last non-error message.")
    color_by = param.Selector(default=LABEL, objects=[LABEL])
    frame = param.Parameter(default=None, doc="The newest embedding frame (app.frame.Frame).")
    progress = param.Parameter(default=None, doc="app.session.Progress of the newest snapshot.")
    fps = param.Number(default=0.0, doc="Frames per second shown, over the last few seconds.")
    losses = param.List(default=[], doc="LossPoints so far.")
    quality = param.Dict(default={}, doc="trustworthiness, distance_correlation, step, n.")
    selection = param.Array(default=np.zeros(0, dtype=np.int64), doc="Selected row indices.")
    click = param.Parameter(default=None, doc="app.controller.Click of the last click.")
    hover = param.Integer(default=-1, doc="Row under the cursor, -1 for none.")

    def live_settings(self) -> dict[str, float]:
        """The settings the running loop accepts, under the engine's names."""
        return {"min_dist": self.min_dist, "global_correlation_weight": self.global_weight,
                "reconstruction_weight": self.recon_weight}

    def training_params(self) -> dict:
        """Keyword arguments for ``ParametricUMAP`` for a new run."""
        return {
            "n_neighbors": self.n_neighbors,
            "n_epochs": self.n_epochs or None,
            "learning_rate": self.learning_rate,
            "reconstruction": self.reconstruction,
            "batch_size": self.batch_size,
            "random_state": self.random_state,
            **self.live_settings(),
        }
