"""End to end: MNIST test rows as a flat uint8 .npy (0-255) placed on an MNIST map land in
their classes' clusters, as the built-in test split does: 1-NN agreement >= .9.

The map is trained on the first 3,000 MNIST rows (PUMAP_APP_MAX_ROWS); both sets of new
rows are the first 3,000 test rows. Their places are read back from the page's own
CSV export of a lasso around everything. Needs MNIST under $PUMAP_DATA_DIR.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from .conftest import lasso, served_page, shot, wait_status

pytestmark = [pytest.mark.browser, pytest.mark.timeout(480)]

MS = 1000
ROWS = 3000


@pytest.fixture(scope="module")
def mnist_dir():
    from harness.paths import data_dir

    path = data_dir() / "mnist"
    if not (path / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"MNIST not found under {path.parent} (set PUMAP_DATA_DIR)")
    return path


@pytest.fixture(scope="module")
def raw_rows(mnist_dir, tmp_path_factory):
    from pumap_core.data import load

    test = load("mnist-test", limit=ROWS, data_dir=mnist_dir.parent)
    path = tmp_path_factory.mktemp("rows") / "mnist-test-uint8.npy"
    np.save(path, test.images.reshape(ROWS, -1))  # flat uint8, 0..255, as people save them
    return path, test.labels


@pytest.fixture(scope="module")
def page(mnist_dir, browser):
    with served_page(browser, "server-mnist-rows.log", PUMAP_DATA_DIR=str(mnist_dir.parent),
                     PUMAP_APP_MAX_ROWS=str(ROWS)) as page:
        yield page


def placed(page, shot_name: str) -> pd.DataFrame:
    """The new rows' places, from the page's CSV of a lasso around the whole map."""
    lasso(page, 0.42)  # a square lasso over nearly the whole map
    shot(page, shot_name)
    page.locator(".selection-count .count-text").get_by_text("new").wait_for(timeout=30 * MS)
    with page.expect_download(timeout=60 * MS) as download:
        page.get_by_role("button", name="Export selection (CSV)").click()
    table = pd.read_csv(io.BytesIO(open(download.value.path(), "rb").read()))
    return table[table["new"]].sort_values("index")


def test_uint8_rows_land_in_their_classes_clusters(page, raw_rows):
    path, labels = raw_rows
    page.locator(".source-select select").select_option(label="MNIST (70,000 · 28×28)")
    page.get_by_text(f"MNIST: {ROWS:,} items").wait_for(timeout=120 * MS)
    page.locator(".epochs input").fill("10")
    page.locator(".epochs input").press("Enter")
    page.locator(".train button").click()
    wait_status(page, r"^Done", 240)
    page.locator(".add-source select").select_option(label="MNIST test (10,000)")
    # the choice and the click reach the server's thread pool as separate events: let the
    # choice land first, or the click may read the empty choice
    page.wait_for_timeout(500)
    page.locator(".add-data button").click()
    page.locator(".legend-pane").get_by_text(f"({ROWS:,})").wait_for(timeout=60 * MS)
    built_in = placed(page, "mnist-rows-built-in")
    page.locator(".clear-added button").click()
    page.locator(".add-path input").fill(str(path))
    page.wait_for_timeout(500)
    page.locator(".add-data button").click()
    page.locator(".notice").get_by_text("arrived as raw values").wait_for(timeout=60 * MS)
    raw = placed(page, "mnist-rows-uint8")
    assert len(raw) >= 0.75 * ROWS and len(built_in) >= 0.75 * ROWS  # inside the lasso
    from scipy.spatial import cKDTree

    rows = lambda t: t["index"].to_numpy() - ROWS  # noqa: E731 - new rows follow the map's
    a, b = built_in[["z0", "z1"]].to_numpy(), raw[["z0", "z1"]].to_numpy()
    _, nearest = cKDTree(a).query(b)  # each raw row's nearest built-in placement ...
    agreement = float((labels[rows(built_in)[nearest]] == labels[rows(raw)]).mean())
    assert agreement >= 0.9, agreement  # ... is of its class
