"""Bokeh server hooks for `panel serve app`: set up logging and warm up once, at server start.

Without this the first browser session would import the app, compile
datashader's kernels and initialise torch while its page renders.
"""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:  # `panel serve app` loads this file, not the package
    sys.path.insert(0, ROOT)

from app.warmup import configure_logging, start_warm_up  # noqa: E402


def on_server_loaded(server_context) -> None:
    configure_logging()
    start_warm_up()
