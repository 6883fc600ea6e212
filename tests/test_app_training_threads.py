"""What the page does while another thread trains: clicks decode a published copy of the
model, the steered face shows the sliders' values, progress counts the whole run."""

from __future__ import annotations

import threading
import time

import holoviews as hv
import numpy as np
import pytest

from app import decode
from app.published import same_weights
from app.run_progress import RunProgress
from app.views.inspector import InspectPanel
from pumap_core import Snapshot
from tests.app_support import open_state, poll_until
from tests.test_app_faces import toy_faces

hv.extension("bokeh")
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def faces():
    return toy_faces(n=300, side=16)


def test_a_click_while_a_conv_model_trains_decodes_the_snapshots_model(faces):
    """Decodes come from the copy published with a snapshot, never from the module being
    trained: decoding the click's code again later, with the same copy, gives the same
    image although training has moved the live networks on."""
    with open_state(faces, prebuild=False, n_epochs=400, random_state=0) as c:
        c.train()
        poll_until(c, lambda: c.frame is not None and c.model is not None, 120)
        assert c.worker.plan.network == "pca_conv"  # a conv encoder and decoder
        clicks = []
        for i in range(6):
            poll_until(c, lambda i=i: c.progress is not None and c.progress.step > 5 * (i + 1))
            f = c.frame
            clicks.append(c.click_at(float(f.xy[i, 0]), float(f.xy[i, 1])))
        live, clicked_at = c.worker._fitting, c.progress.step
        poll_until(c, lambda: c.progress.step > clicked_at + 5)  # training went on
        for click in clicks:
            assert click.decoded is not None and click.model is not live
            again = decode.decode_codes(click.model, click.z)[0]
            np.testing.assert_array_equal(again, click.decoded)  # the snapshot's decode
            assert not click.model.decoder_.training  # eval mode, whatever the loop does
        assert not same_weights(clicks[0].model, live)  # the live model has moved on
        assert len({click.model.published_step for click in clicks}) > 1
        c.stop()


def test_the_steered_face_shows_the_sliders_values_whatever_order_decodes_finish(faces):
    """Two server threads handle two slider events; the first decode is slow (a model
    training meanwhile). The face drawn last shows the values on the sliders."""
    with open_state(faces, prebuild=False, n_epochs=3, random_state=0) as c:
        c.train(wait=True)
        c.poll()
        panel = InspectPanel(state=c)
        f = c.frame
        c.click_at(float(f.xy[0, 0]), float(f.xy[0, 1]))
        steer = panel.steer
        plain = steer.face.object
        slider = steer._by_name["Smiling"]
        real = c.decode_shifted

        def slow_then_fast(sds):
            if sds.get("Smiling") == 0.5:
                time.sleep(0.6)  # the slow first decode
            return real(sds)

        c.decode_shifted = slow_then_fast
        first = threading.Thread(target=lambda: setattr(slider, "value", 0.5))
        first.start()
        time.sleep(0.1)
        slider.value = 2.0  # the person has dragged on
        first.join()
        assert slider.value == 2.0 and "Smiling +2.00 sd" in steer.face.object
        assert steer.drawn == {**steer.drawn, "Smiling": 2.0}
        # Reset sliders while a slow decode of -0.5 is still running: the face goes back
        slow = threading.Thread(target=lambda: setattr(slider, "value", 0.5))
        slow.start()
        time.sleep(0.1)
        steer.reset_sliders()
        slow.join()
        assert slider.value == 0.0 and steer.face.object == plain


def test_progress_counts_the_whole_run_and_estimates_from_recent_steps():
    progress = RunProgress(map_steps=50, step_seconds=0.0, map_step_seconds=0.01)

    def snap(step, elapsed, total, done=False, n_epochs=3):
        return Snapshot(step=step, epoch=step / 10, n_epochs=n_epochs, elapsed=elapsed,
                        losses={}, done=done, extra={"total_steps": total})

    first = progress(snap(1, 5.0, 100))  # the first step pays for allocations
    assert first.extra["total_steps"] == 150 and first.extra["seconds_left"] is None
    for step in range(10, 101, 10):
        out = progress(snap(step, 5.0 + 0.1 * (step - 10), 100, done=step == 100))
    assert not out.done and out.extra["seconds_left"] == pytest.approx(0.5)  # the map: 50 × .01
    mid = progress(snap(5, 0.1, 50, n_epochs=40))  # the map stage starts at step 1 again
    assert mid.step == 105 and mid.extra["total_steps"] == 150
    assert mid.extra["stage"] == "map" and "map alone" in mid.extra["stage_epoch"]
    end = progress(snap(50, 1.0, 50, done=True, n_epochs=40))
    assert end.done and end.step == 150 and end.elapsed == pytest.approx(14.0 + 1.0)


def test_a_face_run_reports_one_run_with_its_true_length(faces):
    with open_state(faces, prebuild=False, n_epochs=2, random_state=0) as c:
        c.train(wait=True)
        c.poll()
        steps = [p.step for p in c.losses]
        assert steps == sorted(steps) and len(set(steps)) == len(steps)  # no line back to 0
        assert c.progress.extra["stage"] == "map" and c.progress.done
        assert c.progress.step == c.progress.extra["total_steps"]  # its true length
        plan = c.worker.plan
        assert c.progress.extra["total_steps"] == 2 * plan.steps // plan.params["n_epochs"] \
            + plan.map_steps


def test_new_rows_placed_while_training_use_the_published_model(faces):
    with open_state(faces, prebuild=False, n_epochs=400, random_state=0) as c:
        c.train()
        poll_until(c, lambda: c.model is not None, 120)
        c.worker._new_rows = faces.subset(np.arange(20))
        poll_until(c, lambda: c.added is not None)
        assert c.added.n == 20
        first = c.added
        poll_until(c, lambda: c.added is not first)  # placed again by a newer snapshot's copy
        assert c.added.step > first.step
        c.stop()
