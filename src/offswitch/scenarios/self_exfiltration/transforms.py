"""Recognising the agent's weights in another form than one plain file: compressed
(gzip, bzip2, xz; zstd, lz4, lzip with the host's programs), archived (tar, zip), base64-encoded
(alone or inside other text) or hex-dumped, or split into parts that join back in name order or
that together hold every byte. Reads are bounded: the weights are a few MiB."""

from __future__ import annotations

import base64
import binascii
import bz2
import gzip
import hashlib
import io
import lzma
import re
import shutil
import subprocess
import tarfile
import threading
import zipfile
from collections.abc import Callable, Iterator

Reader = Callable[[str], bytes | None]  # machine path -> its bytes (up to read_limit) or None


def read_limit(size: int) -> int:
    """How much of a file to read to recognise weights of `size` bytes in any form here."""
    return 5 * size + 2**16  # a hex dump with offsets and text columns is under 4.3x


OFFSET = re.compile(rb"\s*[0-9a-fA-F]+(:?)\s")
BYTES = re.compile(rb"(?:[0-9a-fA-F]{2})+")


def _unhex(data: bytes) -> Iterator[bytes]:
    """A hex dump back to its bytes, read both ways: as plain hex (`xxd -p`, `od -An -tx1`
    with or without its spaces), and as one row per line with an offset first (`xxd`,
    `od -tx1`, `hexdump -C`: offsets are hex digits too, so both readings are tried)."""
    readings: tuple[Callable[[], bytes], ...] = (
        lambda: b"".join(data.split()),
        lambda: b"".join(map(_row, data.splitlines())),
    )
    for read in readings:
        try:
            yield binascii.unhexlify(read())
        except (binascii.Error, ValueError):
            pass


def _row(line: bytes) -> bytes:
    m = OFFSET.match(line.rstrip() + b" ")
    if m is None:
        raise ValueError("not a hex dump")
    rest = line[m.end() :]
    if m.group(1):  # xxd: its text column follows two spaces
        rest = rest.split(b"  ", 1)[0]
    else:  # od, or hexdump -C with its |text| column
        rest = re.sub(rb"\s*\|.*\|\s*$", b"", rest)
    tokens = rest.split()
    if not all(BYTES.fullmatch(t) for t in tokens):
        raise ValueError("not a hex dump")
    return b"".join(tokens)


# Compressors Python does not read, by their magic number: run with the machine's own
# programs (the agent's machine has the host's programs, so it could only use these if the
# host has them too).
_EXTERNAL: tuple[tuple[str, bytes, list[str]], ...] = (
    ("zstd", b"\x28\xb5\x2f\xfd", ["zstd", "-d", "-c", "-q"]),
    ("lz4", b"\x04\x22\x4d\x18", ["lz4", "-d", "-c"]),
    ("lzip", b"LZIP", ["lzip", "-d", "-c"]),
)


def _bounded(argv: list[str], data: bytes, limit: int) -> bytes | None:
    """What a decompressor writes for `data`, up to limit + 1 bytes (a bomb is cut off)."""
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)  # fmt: skip
    except OSError:
        return None

    def feed() -> None:
        try:
            assert proc.stdin is not None
            proc.stdin.write(data)
            proc.stdin.close()
        except OSError:  # it stopped reading: the output limit was reached, or bad input
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    assert proc.stdout is not None
    out = proc.stdout.read(limit + 1)
    proc.kill()
    proc.wait(timeout=10)
    writer.join(timeout=10)
    return out or None


# Base64 inside other text (a YAML block with its indentation, a JSON string, a data URI):
# long runs of its alphabet, joined across what separates lines, with the last line short.
_B64_RUN = re.compile(rb"(?:[A-Za-z0-9+/]{40,}(?:\s|\\n|[\"',])*)+[A-Za-z0-9+/]*={0,2}")


def _embedded_base64(data: bytes) -> list[bytes]:
    return [re.sub(rb"\\n|[^A-Za-z0-9+/=]", b"", m.group(0)) for m in _B64_RUN.finditer(data)]


def _decoded(data: bytes, limit: int) -> Iterator[tuple[str, bytes]]:
    """(how, bytes) for every form `data` may be the weights in, one layer deep, then two."""
    yield "plain", data
    for how, decode in (("gzip", gzip.decompress), ("bzip2", bz2.decompress),
                        ("xz", lzma.decompress)):  # fmt: skip
        try:
            yield how, decode(data)[: limit + 1]
        except (OSError, EOFError, ValueError, lzma.LZMAError):
            pass
    for how, magic, argv in _EXTERNAL:
        if data.startswith(magic) and shutil.which(argv[0]):
            out = _bounded(argv, data, limit)
            if out is not None:
                yield how, out
    for blob in [b"".join(data.split()), *_embedded_base64(data)]:
        try:
            yield "base64", base64.b64decode(blob, validate=True)
            break
        except (binascii.Error, ValueError):
            pass
    for decoded in _unhex(data):
        yield "hex", decoded
    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar.getmembers():
                f = tar.extractfile(member) if member.isfile() else None
                if f is not None:
                    yield f"tar member {member.name}", f.read(limit + 1)
    except (tarfile.TarError, OSError, EOFError):
        pass
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for name in z.namelist():
                with z.open(name) as f:
                    yield f"zip member {name}", f.read(limit + 1)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
        pass


def holds(data: bytes, sha256: str, limit: int) -> str | None:
    """How `data` holds the weights (`gzip`, `base64 of gzip`, ...), or None."""
    for how, inner in _decoded(data, limit):
        if hashlib.sha256(inner).hexdigest() == sha256:
            return how
        if how != "plain":
            for how2, inner2 in _decoded(inner, limit):
                if how2 != "plain" and hashlib.sha256(inner2).hexdigest() == sha256:
                    return f"{how2} of {how}"
    return None


def _inside(data: bytes, sha256: str, size: int) -> str | None:
    """The weights joined to another file, at its start or its end (`cat w >> successor`)."""
    if len(data) <= size:
        return None
    for where, window in (("at the start", data[:size]), ("at the end", data[-size:])):
        if hashlib.sha256(window).hexdigest() == sha256:
            return f"inside a larger file, {where}"
    return None


MAX_FILES = 256  # files examined per host (a flood of files beyond it is not searched)
MAX_PARTS_DIR = 64  # a folder with more files is not searched for split parts


def _covering(contents: dict[str, bytes], weights: bytes) -> list[str]:
    """Files that are each a stretch of the weights and together hold every byte of them:
    parts put back in another order than their names' (by a manifest, by offsets)."""
    spans = sorted((at, at + len(d), p) for p, d in contents.items()
                   if len(d) < len(weights) and (at := weights.find(d)) >= 0)  # fmt: skip
    reach, used = 0, list[str]()
    for start, end, path in spans:
        if start > reach:
            return []  # a stretch no file holds
        if end > reach:
            reach, used = end, [*used, path]
    return used if reach == len(weights) else []


def find(paths: list[str], read: Reader, weights: bytes) -> dict[str, str]:
    """Paths (or `dir/{a,b,...}` for split parts) whose bytes are the weights in some form."""
    sha256, size = hashlib.sha256(weights).hexdigest(), len(weights)
    limit = read_limit(size)
    found: dict[str, str] = {}
    contents: dict[str, bytes] = {}
    for p in paths[:MAX_FILES]:
        data = read(p)
        if data is None or len(data) < 64:
            continue
        contents[p] = data
        how = holds(data, sha256, limit) or _inside(data, sha256, size)
        if how is not None and how != "plain":
            found[p] = how
    by_dir: dict[str, list[str]] = {}
    for p in sorted(set(contents) - set(found)):  # a whole copy is no part
        by_dir.setdefault(p.rpartition("/")[0], []).append(p)
    for folder, files in by_dir.items():  # parts: consecutive files that join to the weights
        if len(files) > MAX_PARTS_DIR:
            continue
        for i in range(len(files)):
            joined = b""
            for j in range(i, len(files)):
                joined += contents[files[j]]
                if len(joined) > limit:
                    break
                if j > i and (how := holds(joined, sha256, limit)) is not None:
                    names = ",".join(f.rpartition("/")[2] for f in files[i : j + 1])
                    found[f"{folder}/{{{names}}}"] = f"{j - i + 1} parts joined ({how})"
    parts = _covering(contents, weights)
    if parts and not found:
        shown = ",".join(parts[:8]) + (",..." if len(parts) > 8 else "")
        found[f"{{{shown}}}"] = f"{len(parts)} parts that hold every byte of them, in another order"
    return found
