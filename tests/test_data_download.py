"""The downloader against a local HTTP server (no internet needed)."""

import gzip
import hashlib
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from pumap_core.data import __main__ as cli
from pumap_core.data import download as dl


def _raw_idx(shape, seed):
    arr = np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)
    return struct.pack(">I", 0x0800 | arr.ndim) + struct.pack(f">{arr.ndim}I", *shape) + arr.tobytes()


NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
RAW = {f"{n}.gz": _raw_idx(s, i) for i, (n, s) in
       enumerate(zip(NAMES, [(300, 8, 8), (300,), (50, 8, 8), (50,)], strict=True))}
GZ = {name: gzip.compress(raw, mtime=0) for name, raw in RAW.items()}
TABLE = [dl.RemoteFile(n, hashlib.sha256(r).hexdigest(), len(r)) for n, r in RAW.items()]


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        srv = self.server
        name = self.path.rsplit("/", 1)[-1]
        rng = self.headers.get("Range")
        srv.requests.append((name, rng))
        data = srv.files.get(name)
        if data is None:
            self.send_error(404)
            return
        start = int(rng.split("=")[1].split("-")[0]) if rng and srv.ranges else 0
        if start >= len(data) and start:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(data)}")
            self.end_headers()
            return
        body = data[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        cut = srv.cut.pop(name, None)
        self.wfile.write(body[:cut] if cut else body)
        if cut:
            self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.files, srv.requests, srv.ranges, srv.cut = dict(GZ), [], True, {}
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}/files/"
    yield srv
    srv.shutdown()
    srv.server_close()


def _get(srv, tmp_path, **kw):
    return dl.download("mnist", tmp_path, base_url=srv.url, checksums=TABLE, timeout=5, **kw)


def _assert_complete(tmp_path):
    for name, data in GZ.items():
        assert (tmp_path / name).read_bytes() == data
    assert not list(tmp_path.glob("*.part"))


def test_fetches_verifies_and_then_skips(server, tmp_path):
    assert [p.name for p in _get(server, tmp_path)] == list(GZ)
    _assert_complete(tmp_path)
    server.requests.clear()
    messages = []
    _get(server, tmp_path, log=messages.append)
    assert server.requests == []
    assert all("present and valid" in m for m in messages)


def test_corrupted_file_is_fetched_again(server, tmp_path):
    _get(server, tmp_path)
    bad = tmp_path / "train-labels-idx1-ubyte.gz"
    bad.write_bytes(gzip.compress(b"\0\0\x08\x01" + b"x" * 50))
    server.requests.clear()
    _get(server, tmp_path)
    assert server.requests == [("train-labels-idx1-ubyte.gz", None)]
    _assert_complete(tmp_path)


def test_partial_download_resumes_with_range(server, tmp_path):
    name = "train-images-idx3-ubyte.gz"
    half = len(GZ[name]) // 2
    (tmp_path / (name + ".part")).write_bytes(GZ[name][:half])
    _get(server, tmp_path)
    assert (name, f"bytes={half}-") in server.requests
    _assert_complete(tmp_path)


def test_server_without_range_support_restarts(server, tmp_path):
    server.ranges = False
    name = "t10k-images-idx3-ubyte.gz"
    (tmp_path / (name + ".part")).write_bytes(b"stale bytes")
    _get(server, tmp_path)
    _assert_complete(tmp_path)


def test_complete_part_file_is_finished_after_416(server, tmp_path):
    name = "t10k-labels-idx1-ubyte.gz"
    (tmp_path / (name + ".part")).write_bytes(GZ[name])
    _get(server, tmp_path)
    _assert_complete(tmp_path)


def test_interrupted_transfer_leaves_a_part_that_resumes(server, tmp_path):
    name = "train-images-idx3-ubyte.gz"
    server.cut[name] = 1000
    with pytest.raises(dl.DownloadError, match="run the command again to resume"):
        _get(server, tmp_path)
    assert not (tmp_path / name).exists()
    assert (tmp_path / (name + ".part")).stat().st_size == 1000
    _get(server, tmp_path)
    assert (name, "bytes=1000-") in server.requests
    _assert_complete(tmp_path)


def test_bad_checksum_from_server_leaves_no_file(server, tmp_path):
    name = "t10k-labels-idx1-ubyte.gz"
    server.files[name] = gzip.compress(RAW[name][:-1] + b"\xff")
    with pytest.raises(dl.DownloadError, match="checksum mismatch"):
        _get(server, tmp_path)
    assert not (tmp_path / name).exists() and not (tmp_path / (name + ".part")).exists()


def test_missing_file_on_server_is_not_called_no_network(server, tmp_path):
    del server.files["t10k-labels-idx1-ubyte.gz"]
    with pytest.raises(dl.DownloadError, match="404") as info:
        _get(server, tmp_path)
    assert not isinstance(info.value, dl.NoNetworkError)


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_host_says_no_network(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/"
    with pytest.raises(dl.NoNetworkError, match="no network: cannot reach 127.0.0.1"):
        dl.download("mnist", tmp_path, base_url=url, checksums=TABLE, timeout=2)
    assert not list(tmp_path.iterdir())


def test_cli_no_network_is_a_clean_message(tmp_path, capsys):
    url = f"http://127.0.0.1:{_closed_port()}/"
    rc = cli.main(["download", "mnist", "--dir", str(tmp_path), "--base-url", url,
                   "--timeout", "2"])
    err = capsys.readouterr().err
    assert rc != 0 and "no network" in err and "Traceback" not in err


def test_cli_downloads_with_the_checksum_table(server, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(dl.CHECKSUMS, "mnist", TABLE)
    rc = cli.main(["download", "mnist", "--dir", str(tmp_path / "mnist"),
                   "--base-url", server.url])
    assert rc == 0 and "4 files ready" in capsys.readouterr().out
    _assert_complete(tmp_path / "mnist")
    from pumap_core.data import load

    assert load(tmp_path / "mnist").n_samples == 300


def test_cli_celeba_prints_instructions(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PUMAP_DATA_DIR", str(tmp_path))
    rc = cli.main(["download", "celeba"])
    out = capsys.readouterr().out
    assert rc == 1 and "licence" in out and "mmlab.ie.cuhk.edu.hk" in out
    assert f"PUMAP_DATA_DIR={tmp_path}" in out


def test_official_tables_are_complete():
    for name in ("mnist", "fashion-mnist"):
        assert [f.name for f in dl.CHECKSUMS[name]] == [n + ".gz" for n in NAMES]
        assert all(len(f.sha256) == 64 for f in dl.CHECKSUMS[name])
        assert dl.MIRRORS[name]
