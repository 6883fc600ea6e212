"""The data chooser's entries: the offline default plus whatever is found here."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

_TITLES = {
    "digits": "digits (1,797 · 8×8)",
    "mnist-all": "MNIST (70,000 · 28×28)",
    "mnist-test": "MNIST test (10,000)",
    "fashion-mnist-all": "Fashion-MNIST (70,000 · 28×28)",
    "fashion-mnist-test": "Fashion-MNIST test (10,000)",
    "celeba": "CelebA (faces, 40 attributes)",
}


#: what the built-in sets are called on the page (not "mnist-all")
_NAMES = {"digits": "digits", "mnist": "MNIST train", "mnist-all": "MNIST",
          "mnist-test": "MNIST test", "fashion-mnist": "Fashion-MNIST train",
          "fashion-mnist-all": "Fashion-MNIST", "fashion-mnist-test": "Fashion-MNIST test",
          "celeba": "CelebA"}


def display_name(source: str, loaded: str) -> str:
    """The page's name for a data set loaded from ``source`` (``loaded``: its own name)."""
    return _NAMES.get(source, loaded)


def available_sources() -> dict[str, str]:
    """Chooser label -> ``pumap_core.data.load`` source, digits first.

    MNIST-like sets are offered whole (train + test, 70,000) and as their
    10,000-image test split.
    """
    try:
        from pumap_core.data import available_datasets

        found = available_datasets()
    except Exception as e:  # noqa: BLE001 - the chooser must never break the page
        log.warning("available_datasets() failed: %s", e)
        found = {"digits": "digits"}
    names = ["digits"]
    for base in ("mnist", "fashion-mnist"):
        if base in found and f"{base}-test" in found:
            names.append(f"{base}-all")
        elif base in found:
            names.append(base)
        if f"{base}-test" in found:
            names.append(f"{base}-test")
    if "celeba" in found:
        names.append("celeba")
    return {_TITLES.get(n, n): n for n in names}
