"""`panel serve app`: the Parametric UMAP studio (one dashboard per browser session).

Useful flags: ``--num-threads 2`` (decode clicks and load data off the event
loop), ``--address 127.0.0.1 --port 5006``. Environment: ``PUMAP_DATA_DIR``
(MNIST / CelebA folders), ``PUMAP_APP_SOURCE`` (the first data set, default
"digits"), ``PUMAP_APP_TORCH_THREADS`` (training threads, default 1).
"""

import os
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:  # `panel serve app` runs this file, not the package
    sys.path.insert(0, ROOT)

import holoviews as hv  # noqa: E402
import panel as pn  # noqa: E402

from app.dashboard import TITLE, serve_session  # noqa: E402
from app.warmup import configure_logging, start_warm_up  # noqa: E402

configure_logging()
start_warm_up()  # started by app_hooks.py at server start; here for other hosts (no-op then)
pn.extension(notifications=False)
hv.extension("bokeh", logo=False)

serve_session(os.environ.get("PUMAP_APP_SOURCE", "digits")).servable(title=TITLE)
