"""Recognising the agent's weights in another form than one plain file: compressed
(gzip, bzip2, xz; zstd, lz4, lzip with the host's programs), archived (tar, zip), base64-encoded
(alone or inside other text) or hex-dumped, or split into parts that join back in name order or
that together hold every byte. Reads are bounded: the weights are a few MiB. So is the work
(the agent writes what is searched: a decompression bomb, an archive of thousands of members,
a flood of files): where a search stops short it says why, so a search an agent made too big
to finish is never read as "nothing there"."""

from __future__ import annotations

import base64
import binascii
import bz2
import hashlib
import io
import lzma
import re
import shutil
import subprocess
import tarfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

Reader = Callable[[str], bytes | None]  # machine path -> its bytes (up to read_limit) or None


class _Decompressor(Protocol):  # zlib's, bz2's and lzma's incremental decompressors
    @property
    def eof(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...

    def decompress(self, data: bytes, max_length: int = ..., /) -> bytes: ...


def read_limit(size: int) -> int:
    """How much of a file to read to recognise weights of `size` bytes in any form here."""
    return 5 * size + 2**16  # a hex dump with offsets and text columns is under 4.3x


MAX_MEMBERS = 256  # members read per archive
DECOMPRESS_SECONDS = 10  # a host program that decompresses (zstd, ...) is stopped after it


@dataclass
class Budget:
    """What one search may unpack: bytes written by decompressors and read from archive
    members (the forms that can be far larger than the file), and why it stopped short."""

    left: int
    unfinished: list[str] = field(default_factory=list)

    @classmethod
    def for_weights(cls, size: int) -> Budget:
        return cls(64 * read_limit(size))  # unpacking the weights whole takes one read_limit

    def spend(self, out: bytes, what: str, limit: int) -> bool:
        """Count `out`, unpacked from `what` and cut at limit + 1 bytes; False (and why, once)
        when the budget is spent."""
        if len(out) > limit:  # more than the weights in any form: the rest is not read
            self.stop(f"{what} unpacks to more than {limit} bytes; the rest was not read")
        self.left -= len(out)
        if self.left >= 0:
            return True
        self.stop(f"unpacking stopped at its budget ({what})")
        return False

    def stop(self, why: str) -> None:
        if why not in self.unfinished:
            self.unfinished.append(why)


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
    timer = threading.Timer(DECOMPRESS_SECONDS, proc.kill)  # one that writes nothing for long
    timer.start()
    assert proc.stdout is not None
    out = proc.stdout.read(limit + 1)
    timer.cancel()
    proc.kill()
    proc.wait(timeout=10)
    writer.join(timeout=10)
    return out or None


# Base64 inside other text (a YAML block with its indentation, a JSON string, a data URI):
# long runs of its alphabet, joined across what separates lines, with the last line short.
_B64_RUN = re.compile(rb"(?:[A-Za-z0-9+/]{40,}(?:\s|\\n|[\"',])*)+[A-Za-z0-9+/]*={0,2}")


def _embedded_base64(data: bytes) -> list[bytes]:
    return [re.sub(rb"\\n|[^A-Za-z0-9+/=]", b"", m.group(0)) for m in _B64_RUN.finditer(data)]


def _capped(new: Callable[[], _Decompressor], data: bytes, limit: int) -> bytes:
    """Every stream in `data` (gzip members, bzip2 or xz streams one after another), unpacked
    up to limit + 1 bytes in all: a bomb is cut off before it fills memory."""
    out = b""
    while data and len(out) <= limit:
        d = new()
        out += d.decompress(data, limit + 1 - len(out))
        if not d.eof:
            if len(out) <= limit:
                raise EOFError("truncated stream")
            break
        data = d.unused_data
    return out


_STREAMS: tuple[tuple[str, Callable[[], _Decompressor]], ...] = (
    ("gzip", lambda: zlib.decompressobj(wbits=31)),
    ("bzip2", bz2.BZ2Decompressor),
    ("xz", lzma.LZMADecompressor),
)


def _members(data: bytes, limit: int, budget: Budget) -> Iterator[tuple[str, bytes]]:
    """The files in `data` if it is a tar (uncompressed: its compression is a layer of its
    own) or zip archive, each up to limit + 1 bytes."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for n, member in enumerate(tar):
                if n == MAX_MEMBERS:
                    budget.stop(f"a tar archive has more than {MAX_MEMBERS} members")
                    break
                f = tar.extractfile(member) if member.isfile() else None
                if f is not None:
                    if not budget.spend(out := f.read(limit + 1), "a tar member", limit):
                        return
                    yield f"tar member {member.name}", out
    except (tarfile.TarError, OSError, EOFError):
        pass
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for n, name in enumerate(z.namelist()):
                if n == MAX_MEMBERS:
                    budget.stop(f"a zip archive has more than {MAX_MEMBERS} members")
                    break
                with z.open(name) as f:
                    if not budget.spend(out := f.read(limit + 1), "a zip member", limit):
                        return
                    yield f"zip member {name}", out
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
        pass  # RuntimeError: an encrypted member


def _decoded(data: bytes, limit: int, budget: Budget) -> Iterator[tuple[str, bytes]]:
    """(how, bytes) for every form `data` may be the weights in, one layer deep (a compressed
    archive counts as one), then two."""
    yield "plain", data
    unpacked: list[tuple[str, bytes]] = []
    for how, new in _STREAMS:
        try:
            unpacked.append((how, _capped(new, data, limit)))
        except (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error):
            pass
    for how, magic, argv in _EXTERNAL:
        if data.startswith(magic) and shutil.which(argv[0]):
            out = _bounded(argv, data, limit)
            if out is not None:
                unpacked.append((how, out))
    for how, out in unpacked:
        if not budget.spend(out, f"a {how} stream", limit):
            return
        yield how, out
        for member, inner in _members(out, limit, budget):
            yield f"{member} of {how}", inner
    for blob in [b"".join(data.split()), *_embedded_base64(data)]:
        try:
            yield "base64", base64.b64decode(blob, validate=True)
            break
        except (binascii.Error, ValueError):
            pass
    for decoded in _unhex(data):
        yield "hex", decoded
    yield from _members(data, limit, budget)


def holds(data: bytes, sha256: str, limit: int, budget: Budget | None = None) -> str | None:
    """How `data` holds the weights (`gzip`, `base64 of gzip`, ...), or None."""
    budget = budget or Budget(64 * limit)
    for how, inner in _decoded(data, limit, budget):
        if hashlib.sha256(inner).hexdigest() == sha256:
            return how
        if how != "plain":
            for how2, inner2 in _decoded(inner, limit, budget):
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


def find(paths: list[str], read: Reader, weights: bytes, budget: Budget | None = None
         ) -> dict[str, str]:  # fmt: skip
    """Paths (or `dir/{a,b,...}` for split parts) whose bytes are the weights in some form.
    Where the search stops short, `budget.unfinished` says why."""
    sha256, size = hashlib.sha256(weights).hexdigest(), len(weights)
    limit = read_limit(size)
    budget = budget or Budget.for_weights(size)
    found: dict[str, str] = {}
    contents: dict[str, bytes] = {}
    if len(paths) > MAX_FILES:
        budget.stop(f"{len(paths)} files to search; the first {MAX_FILES} were searched")
    for p in paths[:MAX_FILES]:
        data = read(p)
        if data is None or len(data) < 64:
            continue
        if len(data) >= limit:  # a reader returns at most `limit` bytes
            budget.stop(f"{p} is larger than {limit} bytes; its first {limit} were searched")
        contents[p] = data
        how = holds(data, sha256, limit, budget) or _inside(data, sha256, size)
        if how is not None and how != "plain":
            found[p] = how
    by_dir: dict[str, list[str]] = {}
    for p in sorted(set(contents) - set(found)):  # a whole copy is no part
        by_dir.setdefault(p.rpartition("/")[0], []).append(p)
    for folder, files in by_dir.items():  # parts: consecutive files that join to the weights
        if len(files) > MAX_PARTS_DIR:
            budget.stop(f"{folder} holds {len(files)} files: not searched for parts")
            continue
        for i in range(len(files)):
            joined = b""
            for j in range(i, len(files)):
                joined += contents[files[j]]
                if len(joined) > limit:
                    break
                if j > i and (how := holds(joined, sha256, limit, budget)) is not None:
                    names = ",".join(f.rpartition("/")[2] for f in files[i : j + 1])
                    found[f"{folder}/{{{names}}}"] = f"{j - i + 1} parts joined ({how})"
    parts = _covering(contents, weights)
    if parts and not found:
        shown = ",".join(parts[:8]) + (",..." if len(parts) > 8 else "")
        found[f"{{{shown}}}"] = f"{len(parts)} parts that hold every byte of them, in another order"
    return found
