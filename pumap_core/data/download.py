"""Fetch the official MNIST / Fashion-MNIST files, verified, atomically, resumably.

Each file is checked against the sha256 and size of its *uncompressed*
content: mirrors recompress the ``.gz`` files (so their own checksums
differ) but the IDX bytes inside are the publishers'. A download goes to
``<name>.part`` and is renamed into place only once it verifies, so a
final file name never holds half a file; an interrupted ``.part`` is resumed
with an HTTP Range request when the server supports it. Standard library
only (urllib).
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RemoteFile:
    """One file to fetch: its name and the sha256/size of its uncompressed bytes."""

    name: str
    sha256: str
    size: int


def _four(digests: Sequence[str]) -> list[RemoteFile]:
    names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    sizes = [47040016, 60008, 7840016, 10008]
    return [RemoteFile(f"{n}.gz", d, s) for n, d, s in zip(names, digests, sizes, strict=True)]


#: Uncompressed sha256 of each file. MNIST: as listed with the team's reference
#: copies; Fashion-MNIST: computed from Debian's dataset-fashion-mnist package.
CHECKSUMS: dict[str, list[RemoteFile]] = {
    "mnist": _four([
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ]),
    "fashion-mnist": _four([
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ]),
}

#: Where to fetch, tried in order. The publishers' own pages come last for
#: MNIST because yann.lecun.com often refuses automated downloads.
MIRRORS: dict[str, list[str]] = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ],
    "fashion-mnist": [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ],
}

CELEBA_HELP = """\
CelebA cannot be downloaded by this tool: its licence (non-commercial research
only) forbids redistribution, so fetch it yourself from the authors' page:
  https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html
You need "Align&Cropped Images" (img_align_celeba.zip) and, from "Anno",
list_attr_celeba.txt. Lay them out as
  {root}/celeba/img_align_celeba/000001.jpg ...
  {root}/celeba/list_attr_celeba.txt
and set PUMAP_DATA_DIR={root} (or pass the folder to pumap_core.data.load).
Any subset of the images works; they are matched to attribute rows by name.
"""

_CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """A download failed; the message says why and what to do."""


class NoNetworkError(DownloadError):
    """No server could be reached at all."""


class _BadChecksum(Exception):
    def __init__(self, message: str, resumed: bool):
        super().__init__(message)
        self.resumed = resumed


class _Interrupted(OSError):
    """The server closed the connection before sending all it announced."""


def verify(path: str | Path, expected: RemoteFile) -> str | None:
    """None if ``path`` (gzip) holds the expected bytes, else the reason it does not."""
    h, n = hashlib.sha256(), 0
    try:
        with gzip.open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
                n += len(chunk)
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as e:
        return f"not a complete gzip file ({e})"
    if n != expected.size:
        return f"wrong size ({n} bytes uncompressed, expected {expected.size})"
    if h.hexdigest() != expected.sha256:
        return "checksum mismatch"
    return None


def _fetch(url: str, dest: Path, expected: RemoteFile, timeout: float, log) -> None:
    """Fetch ``url`` into ``dest`` via ``dest.part``, resuming that part if present."""
    part = dest.with_name(dest.name + ".part")
    offset = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": "pumap_core-download/1", "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        resp = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code != 416 or not offset:  # 416: the part may already be complete
            raise
        resp = None
    resumed = resp is None
    if resp is not None:
        with resp:
            resumed = bool(offset) and resp.status == 206 and resp.headers.get(
                "Content-Range", "").startswith(f"bytes {offset}-")
            if offset:
                log(f"  resuming at byte {offset}" if resumed else "  restarting (no resume)")
            announced, received = resp.length, 0
            with open(part, "ab" if resumed else "wb") as out:
                while chunk := resp.read(_CHUNK):
                    out.write(chunk)
                    received += len(chunk)
            if announced is not None and received < announced:
                raise _Interrupted(f"connection closed after {received} of {announced} bytes")
    reason = verify(part, expected)
    if reason is not None:
        part.unlink(missing_ok=True)
        raise _BadChecksum(f"{url}: {reason}", resumed)
    os.replace(part, dest)


def _is_unreachable(e: BaseException) -> bool:
    """True when the host could not be reached at all (DNS, refused, unreachable, timeout).

    urllib wraps failures of the connection phase in URLError; HTTP status
    errors and failures in the middle of a transfer are something else.
    """
    return (
        isinstance(e, urllib.error.URLError)
        and not isinstance(e, urllib.error.HTTPError)
        and isinstance(e.reason, OSError)
    ) or isinstance(e, TimeoutError)


def download(
    name: str,
    directory: str | Path,
    base_url: str | None = None,
    checksums: Sequence[RemoteFile] | None = None,
    timeout: float = 30.0,
    log: Callable[[str], None] | None = None,
) -> list[Path]:
    """Fetch data set ``name`` ("mnist" or "fashion-mnist") into ``directory``.

    Files already present and valid are kept; invalid ones are fetched again.
    ``base_url`` replaces the mirror list; ``checksums`` the expected files.
    Raises :class:`NoNetworkError` when no server can be reached and
    :class:`DownloadError` for other failures.
    """
    log = log or (lambda msg: None)
    if checksums is None:
        if name not in CHECKSUMS:
            raise DownloadError(f"unknown data set {name!r}; choose from {sorted(CHECKSUMS)}")
        checksums = CHECKSUMS[name]
    mirrors = [base_url] if base_url else MIRRORS.get(name, [])
    if not mirrors:
        raise DownloadError(f"no download address for {name!r}; pass base_url")
    directory = Path(directory).expanduser()
    directory.mkdir(parents=True, exist_ok=True)
    done = []
    for rf in checksums:
        dest = directory / rf.name
        if dest.exists():
            reason = verify(dest, rf)
            if reason is None:
                log(f"{rf.name}: present and valid, skipped")
                done.append(dest)
                continue
            log(f"{rf.name}: {reason}; fetching it again")
            dest.unlink()
        errors: list[BaseException] = []
        for base in mirrors:
            url = base.rstrip("/") + "/" + rf.name
            log(f"{rf.name}: fetching {url}")
            try:
                try:
                    _fetch(url, dest, rf, timeout, log)
                except _BadChecksum as e:
                    if not e.resumed:
                        raise
                    log(f"  {e}; the partial file was stale, fetching from scratch")
                    _fetch(url, dest, rf, timeout, log)
                break
            except (urllib.error.URLError, OSError, http.client.HTTPException,
                    _BadChecksum) as e:
                log(f"  failed: {getattr(e, 'reason', e)}")
                errors.append(e)
        else:
            hosts = ", ".join(sorted({m.split("/")[2] for m in mirrors if "//" in m}))
            if all(_is_unreachable(e) for e in errors):
                raise NoNetworkError(
                    f"no network: cannot reach {hosts} "
                    f"({getattr(errors[-1], 'reason', errors[-1])}); "
                    f"copy the files into {directory} by hand, or try again when online"
                )
            raise DownloadError(
                f"could not fetch {rf.name} from {hosts}: {errors[-1]}"
                + ("; run the command again to resume" if dest.with_name(rf.name + ".part").exists()
                   else "")
            )
        done.append(dest)
    return done
