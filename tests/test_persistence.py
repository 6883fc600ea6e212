import json
import pickle

import numpy as np
import pytest
import torch

from pumap_core import ModelFileError, ParametricUMAP
from pumap_core.persistence import FORMAT_VERSION


@pytest.fixture(scope="module")
def fitted(small_digits):
    X, _ = small_digits
    return ParametricUMAP(reconstruction=True, n_epochs=4, random_state=0).fit(X)


def test_save_load_is_bit_identical(fitted, small_digits, tmp_path):
    X, _ = small_digits
    path = tmp_path / "model.pumap"
    fitted.save(path)
    loaded = ParametricUMAP.load(path)
    np.testing.assert_array_equal(loaded.transform(X), fitted.transform(X))
    Z = fitted.transform(X[:5])
    np.testing.assert_array_equal(loaded.inverse_transform(Z), fitted.inverse_transform(Z))
    assert loaded.get_params()["min_dist"] == fitted.min_dist
    assert loaded.loss_history_ == fitted.loss_history_
    np.testing.assert_array_equal(loaded.embedding_, fitted.embedding_)


def test_graph_is_optional_in_the_file(fitted, tmp_path):
    fitted.save(tmp_path / "g.pumap", include_graph=True)
    loaded = ParametricUMAP.load(tmp_path / "g.pumap")
    np.testing.assert_array_equal(loaded.graph_.edges.weight, fitted.graph_.edges.weight)
    np.testing.assert_array_equal(loaded.graph_.knn_indices, fitted.graph_.knn_indices)


def test_custom_encoder_must_be_passed_back(small_digits, tmp_path):
    X, _ = small_digits
    net = torch.nn.Sequential(torch.nn.Linear(64, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    model = ParametricUMAP(encoder=net, n_epochs=2, random_state=0).fit(X)
    model.save(tmp_path / "c.pumap")
    with pytest.raises(ModelFileError, match="custom encoder"):
        ParametricUMAP.load(tmp_path / "c.pumap")
    fresh = torch.nn.Sequential(torch.nn.Linear(64, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    loaded = ParametricUMAP.load(tmp_path / "c.pumap", encoder=fresh)
    np.testing.assert_array_equal(loaded.transform(X), model.transform(X))


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_missing_empty_truncated_and_foreign_files(fitted, tmp_path):
    good = tmp_path / "good.pumap"
    fitted.save(good)
    raw = good.read_bytes()
    cases = {
        tmp_path / "missing.pumap": "not found",
        _write(tmp_path / "empty.pumap", b""): "empty",
        _write(tmp_path / "trunc.pumap", raw[: len(raw) // 2]): "corrupt|truncated",
        _write(tmp_path / "tiny.pumap", raw[:5]): "truncated",
        _write(tmp_path / "text.pumap", b"hello, this is not a model at all"): "not a pumap model",
        tmp_path: "folder",
    }
    for path, message in cases.items():
        with pytest.raises(ModelFileError, match=message):
            ParametricUMAP.load(path)


def test_foreign_safetensors_and_newer_version(tmp_path, fitted):
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(2)}, tmp_path / "other.safetensors")
    with pytest.raises(ModelFileError, match="not a pumap model"):
        ParametricUMAP.load(tmp_path / "other.safetensors")
    save_file({"w": torch.zeros(2)}, tmp_path / "newer.pumap",
              metadata={"format": "pumap-model", "format_version": str(FORMAT_VERSION + 1),
                        "config": json.dumps({})})
    with pytest.raises(ModelFileError, match="newer"):
        ParametricUMAP.load(tmp_path / "newer.pumap")


class _Boom:
    def __reduce__(self):
        return (open, ("/tmp/pumap_pickle_was_executed", "w"))


def test_pickles_are_refused_without_being_executed(tmp_path):
    import os

    marker = "/tmp/pumap_pickle_was_executed"
    if os.path.exists(marker):
        os.unlink(marker)
    (tmp_path / "evil.pumap").write_bytes(pickle.dumps(_Boom()))
    torch.save({"evil": _Boom()}, tmp_path / "evil.pt")
    for name in ("evil.pumap", "evil.pt"):
        with pytest.raises(ModelFileError, match="pickle"):
            ParametricUMAP.load(tmp_path / name)
    assert not os.path.exists(marker)


def test_corrupt_weights_do_not_fit(fitted, tmp_path):
    from safetensors.torch import load_file, save_file

    good = tmp_path / "good.pumap"
    fitted.save(good)
    from safetensors import safe_open

    with safe_open(str(good), "pt") as fh:
        metadata = fh.metadata()
    tensors = load_file(str(good))
    key = next(k for k in tensors if k.startswith("encoder."))
    tensors[key] = torch.zeros(3, 3)
    save_file(tensors, tmp_path / "bad.pumap", metadata=metadata)
    with pytest.raises(ModelFileError, match="do not fit"):
        ParametricUMAP.load(tmp_path / "bad.pumap")


def test_export_onnx_runs_the_real_encoder(fitted, small_digits, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    X, _ = small_digits
    fitted.export_onnx(tmp_path / "enc.onnx")
    session = ort.InferenceSession(str(tmp_path / "enc.onnx"))
    (Z,) = session.run(None, {"x": X[:37]})
    np.testing.assert_allclose(Z, fitted.transform(X[:37]), atol=1e-4)


def test_a_model_whose_header_length_starts_with_the_pickle_byte_loads(tmp_path):
    """safetensors' first byte is its header length's low byte; 0x80 is not a pickle there."""
    from pumap_core.persistence import load_model, save_model

    tensors = {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)}
    for pad in range(300):
        path = save_model(tmp_path / "m.pumap", tensors, {"note": "x" * pad})
        if path.read_bytes()[:1] == b"\x80":
            break
    else:
        pytest.fail("no padding gave a header length whose low byte is 0x80")
    loaded, config = load_model(path)
    assert torch.equal(loaded["w"], tensors["w"]) and config["note"] == "x" * pad
