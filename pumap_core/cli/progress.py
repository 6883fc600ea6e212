"""Progress bars on stderr, so that stdout stays free for results and pipes."""

from __future__ import annotations

import sys
from typing import Any


def bar(total: int | None, desc: str, unit: str, enabled: bool = True) -> Any:
    """A tqdm bar (a no-op one when ``enabled`` is false, e.g. ``--quiet``)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=not enabled,
                dynamic_ncols=True)
