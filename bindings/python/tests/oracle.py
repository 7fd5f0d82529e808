"""Independent oracles for the binding's tests: nothing here calls layerkit.

Only Python's standard library (tarfile, hashlib, json, gzip, lzma, bz2) and,
for zstd blobs, the zstd command-line tool, following the public specs:
OCI image-spec config.md (ChainID), image-layout.md; moby pkg/directory
(Docker's layer size: apparent bytes of the extracted layer, a symlink counting
its target's length, hard links counted once, directories 0).
"""
import bz2
import calendar
import gzip
import hashlib
import io
import json
import lzma
import os
import posixpath
import re
import shutil
import subprocess
import tarfile


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def compression_of(data: bytes) -> str:
    if data[:2] == b"\x1f\x8b":
        return "gzip"
    if data[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if data[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if data[:3] == b"BZh":
        return "bzip2"
    return "none"


def have_zstd() -> bool:
    return shutil.which("zstd") is not None


def decompress(data: bytes) -> bytes:
    """The tar stream inside a (possibly) compressed blob."""
    kind = compression_of(data)
    if kind == "gzip":
        return gzip.decompress(data)
    if kind == "zstd":
        return subprocess.run(["zstd", "-dc"], input=data, capture_output=True, check=True).stdout
    if kind == "xz":
        return lzma.decompress(data)
    if kind == "bzip2":
        return bz2.decompress(data)
    return data


def _norm(name: str) -> str:
    name = name.lstrip("/")
    while name.startswith("./"):
        name = name[2:]
    return posixpath.normpath(name) if name else "."


def docker_layer_size(tar_stream: bytes) -> int:
    """regular file -> its size, symlink -> len(target), hard link / dir / device -> 0;
    the last entry of a path wins."""
    sizes = {}
    with tarfile.open(fileobj=io.BytesIO(tar_stream), mode="r:") as tf:
        for m in tf:
            if m.isreg():
                s = m.size
            elif m.issym():
                s = len(m.linkname.encode())
            else:
                s = 0
            sizes[_norm(m.name)] = s
    return sum(sizes.values())


def chain_ids(diff_ids):
    """ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))."""
    out = []
    for d in diff_ids:
        out.append(d if not out else sha256((out[-1] + " " + d).encode()))
    return out


_RFC3339 = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def parse_rfc3339(s):
    """Unix seconds (fraction dropped), or None."""
    m = _RFC3339.match(s or "")
    if not m:
        return None
    y, mo, d, h, mi, se = (int(x) for x in m.groups()[:6])
    t = calendar.timegm((y, mo, d, h, mi, se, 0, 0, 0))
    z = m.group(8)
    if z != "Z":
        sign = 1 if z[0] == "+" else -1
        t -= sign * (int(z[1:3]) * 3600 + int(z[4:6]) * 60)
    return t


# ---------------------------------------------------------------------------
# Reading archives with tarfile (the outer tar may be compressed as a whole)


def read_member(archive_path, name, _hops=0) -> bytes:
    """The bytes of one member of a tar archive or a file of a layout directory,
    following symbolic-link members (podman's legacy <v1>/layer.tar links)."""
    archive_path = str(archive_path)
    if os.path.isdir(archive_path):
        with open(os.path.join(archive_path, name), "rb") as f:
            return f.read()
    with tarfile.open(archive_path, "r:*") as tf:
        m = tf.getmember(name)
        if m.issym() and _hops < 8:
            return read_member(archive_path, posixpath.normpath(posixpath.join(posixpath.dirname(name), m.linkname)),
                               _hops + 1)
        return tf.extractfile(m).read()


def member_data_offsets(tar_path):
    """{name: (offset of the data in the file, size)} of an uncompressed tar."""
    with tarfile.open(str(tar_path), "r:") as tf:
        return {m.name: (m.offset_data, m.size) for m in tf if m.isreg()}


def history_rows(config: dict):
    """docker history's rows, newest first, from an image config: dicts with
    created, created_by, comment, empty_layer, layer_index (None for empty)."""
    rows, layer = [], 0
    for h in config.get("history") or []:
        empty = bool(h.get("empty_layer"))
        rows.append({"created": h.get("created", ""), "created_by": h.get("created_by", ""),
                     "comment": h.get("comment", ""), "empty_layer": empty,
                     "layer_index": None if empty else layer})
        if not empty:
            layer += 1
    return rows[::-1]


def load_json(data: bytes):
    return json.loads(data.decode("utf-8"))
