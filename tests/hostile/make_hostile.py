#!/usr/bin/env python3
"""Hostile image archives, made from the repository's samples with standard
tools only: Python's tarfile, gzip, zlib, json, hashlib and struct, and the
`gzip`, `zstd` and `xz` command-line tools (whole-archive compression) and GNU
`tar` (sparse files).

    make_hostile.py OUTDIR

writes every case into OUTDIR plus OUTDIR/cases.json, one entry per case:

    {"name", "what", "file", "peer", "expected", "checks": [...]}

`what` says what is wrong with the input, `peer` what a peer tool does with it
(GNU tar, Python's tarfile, Go's archive/tar and encoding/json as Docker and
skopeo use them, `skopeo inspect docker-archive:`), `expected` is a one-line
summary of the outcome and `checks` the machine-readable expectations that
tests/hostile/test_hostile.py runs. One check:

    label        unique within the case ("verify", "ls", ...)
    args         the CLI arguments; the case's file is appended last
    binding      instead of args: {"limits": {...}} = verify through the Python
                 binding (bindings/python) with those lk_limits
    rc           the exit status
    code         the error code the last stderr line ends with ("[code]")
    err_contains / err_contains_any
                 substrings of stderr (all of them / at least one)
    problems     verify --json Problems, as a multiset, compared on the keys
                 given (Kind, Layer, Member, Expected, Actual, MessageContains)
    notes_contain   substrings that some verify --json Note must contain
    image_id     verify --json Images[0].Id
    json_equals  the whole stdout JSON
    json_at      [[key, ...], value]: stdout JSON at that path
    ls_like_python   {"layer": N, "tar": relative path of the layer tar}:
                 `ls --json` lists exactly what Python's tarfile reads
    max_rss_mb   peak resident memory of the CLI process
    bug          "BUG: ..." when layerkit fails this check today: the test
                 is then an expected failure (xfail, strict)

Everything is derived from samples/base.docker-archive.tar and
samples/app.oci-archive.tar (LAYERKIT_SOURCE_DIR, or this file's repository),
so no external data is needed. Importable: build_all(outdir) returns the list
written to cases.json.
"""
import copy
import gzip
import hashlib
import io
import json
import os
import pathlib
import shutil
import struct
import subprocess
import sys
import tarfile
import zlib

SOURCE_DIR = pathlib.Path(os.environ.get("LAYERKIT_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
SAMPLES = SOURCE_DIR / "samples"
BASE = SAMPLES / "base.docker-archive.tar"
OCI = SAMPLES / "app.oci-archive.tar"

MTIME = 1704067200
END = b"\0" * 1024  # tar end-of-archive marker

# ---------------------------------------------------------------------------
# small helpers


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def jdump(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def pad512(data: bytes) -> bytes:
    return data + b"\0" * ((-len(data)) % 512)


def read_tar(path):
    """[(TarInfo, bytes or None)] of a tar file, in order."""
    out = []
    with tarfile.open(path) as tf:
        for m in tf:
            out.append((m, tf.extractfile(m).read() if m.isreg() else None))
    return out


def write_tar(path, members, fmt=tarfile.GNU_FORMAT):
    """Writes [(TarInfo, bytes or None)]; the TarInfo are copied, sizes set from the bytes."""
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=fmt) as tf:
        for ti, data in members:
            ti = copy.copy(ti)
            if data is not None:
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
            else:
                tf.addfile(ti)
    pathlib.Path(path).write_bytes(bio.getvalue())
    return path


def tinfo(name, type=tarfile.REGTYPE, mode=0o644, **kw):
    t = tarfile.TarInfo(name)
    t.type = type
    t.mode = mode
    t.mtime = MTIME
    for k, v in kw.items():
        setattr(t, k, v)
    return t


def tar_bytes(entries, fmt=tarfile.PAX_FORMAT) -> bytes:
    """entries: [(TarInfo, bytes or None)] -> a tar in memory."""
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=fmt) as tf:
        for ti, data in entries:
            if data is not None:
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
            else:
                tf.addfile(ti)
    return bio.getvalue()


def header_checksum(h: bytes) -> bytes:
    h = bytearray(h)
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def with_size_field(header: bytes, raw12: bytes) -> bytes:
    """A 512-byte tar header with its 12-byte size field replaced (checksum fixed)."""
    assert len(raw12) == 12
    h = bytearray(header)
    h[124:136] = raw12
    return header_checksum(bytes(h))


def pax_record(key: bytes, value: bytes) -> bytes:
    """One PAX extended header record: "<len> key=value\\n", len counting itself."""
    body = b" " + key + b"=" + value + b"\n"
    n = len(body)
    total = n + 1
    while len(str(total)) + n != total:
        total = len(str(total)) + n
    return str(total).encode() + body


def pax_header(records, name="PaxHeaders.0/entry") -> bytes:
    data = b"".join(records)
    t = tinfo(name, tarfile.XHDTYPE)
    t.size = len(data)
    return t.tobuf(tarfile.USTAR_FORMAT) + pad512(data)


def ustar_entry(name, size, body) -> bytes:
    t = tinfo(name)
    t.size = size
    return t.tobuf(tarfile.USTAR_FORMAT) + pad512(body)


def gnu_longname(name: bytes, kind=tarfile.GNUTYPE_LONGNAME) -> bytes:
    t = tinfo("././@LongLink", kind)
    t.size = len(name) + 1
    return t.tobuf(tarfile.GNU_FORMAT) + pad512(name + b"\0")


def gnu_entry(name, body, type=tarfile.REGTYPE, linkname="") -> bytes:
    t = tinfo(name, type, linkname=linkname)
    t.size = len(body)
    return t.tobuf(tarfile.GNU_FORMAT) + pad512(body)


def run_tool(cmd, src, dst):
    with open(src, "rb") as i, open(dst, "wb") as o:
        subprocess.run(cmd, stdin=i, stdout=o, check=True)
    return dst


# ---------------------------------------------------------------------------
# the samples


class Base:
    """samples/base.docker-archive.tar: podman's docker-archive, 2 uncompressed layers."""

    def __init__(self):
        self.raw = BASE.read_bytes()
        self.members = read_tar(BASE)
        self.data = {m.name: d for m, d in self.members}
        self.manifest = json.loads(self.data["manifest.json"])
        self.entry = self.manifest[0]
        self.config_name = self.entry["Config"]
        self.config_bytes = self.data[self.config_name]
        self.config = json.loads(self.config_bytes)
        self.image_id = sha256(self.config_bytes)
        self.tag = self.entry["RepoTags"][0]
        self.layer_names = list(self.entry["Layers"])
        self.layers = [self.data[n] for n in self.layer_names]
        self.diff_ids = list(self.config["rootfs"]["diff_ids"])
        # header offsets of every member, and where the data ends (the end-of-archive marker)
        self.offsets = [m.offset for m, _ in self.members]
        last = self.members[-1][0]
        self.data_end = last.offset_data + ((last.size + 511) // 512) * 512

    def member_at(self, offset):
        """The member whose header starts at `offset`."""
        return next(m for m, _ in self.members if m.offset == offset)

    def with_members(self, path, members):
        return write_tar(path, members)

    def replace(self, path, manifest=None, drop=(), add=(), data=None, rename=None):
        """A copy with manifest.json replaced (bytes or JSON value), members dropped,
        members added before the others, member data replaced ({name: bytes}) and
        members renamed ({old: new})."""
        out = list(add)
        for m, d in self.members:
            if m.name in drop:
                continue
            if data and m.name in data:
                d = data[m.name]
            if rename and m.name in rename:
                m = copy.copy(m)
                m.name = rename[m.name]
            if m.name == "manifest.json" and manifest is not None:
                d = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
            out.append((m, d))
        return write_tar(path, out)

    def with_config(self, path, config_bytes, layers=None):
        """A copy whose config is `config_bytes` (stored under its own digest name), and
        manifest.json's Layers `layers` if given. Returns the new config member name."""
        name = hashlib.sha256(config_bytes).hexdigest() + ".json"
        entry = dict(self.entry, Config=name)
        if layers is not None:
            entry["Layers"] = layers
        out = []
        for m, d in self.members:
            if m.name == self.config_name:
                m = copy.copy(m)
                m.name = name
                d = config_bytes
            elif m.name == "manifest.json":
                d = json.dumps([entry]).encode()
            out.append((m, d))
        write_tar(path, out)
        return name

    def with_layer1(self, path, layer: bytes, diff_id=None):
        """A copy whose second layer (index 1) is `layer`; the config's diff_id for it is
        `diff_id` (default: the sha256 of `layer`, i.e. `layer` is an uncompressed tar)."""
        cfg = copy.deepcopy(self.config)
        cfg["rootfs"]["diff_ids"][1] = diff_id or sha256(layer)
        cfg_bytes = json.dumps(cfg).encode()
        cfg_name = hashlib.sha256(cfg_bytes).hexdigest() + ".json"
        out = []
        for m, d in self.members:
            if m.name == self.config_name:
                m = copy.copy(m)
                m.name = cfg_name
                d = cfg_bytes
            elif m.name == self.layer_names[1]:
                d = layer
            elif m.name == "manifest.json":
                d = json.dumps([dict(self.entry, Config=cfg_name)]).encode()
            out.append((m, d))
        return write_tar(path, out)


class Oci:
    """samples/app.oci-archive.tar: an OCI archive, 6 gzip layers, one manifest."""

    def __init__(self):
        self.files = {}
        with tarfile.open(OCI) as tf:
            for m in tf:
                if m.isreg():
                    self.files[m.name] = tf.extractfile(m).read()
        self.index = json.loads(self.files["index.json"])
        self.mdesc = self.index["manifests"][0]
        self.manifest_bytes = self.blob(self.mdesc["digest"])
        self.manifest = json.loads(self.manifest_bytes)
        self.cdesc = self.manifest["config"]
        self.config_bytes = self.blob(self.cdesc["digest"])
        self.config = json.loads(self.config_bytes)
        self.ldescs = self.manifest["layers"]
        self.diff_ids = self.config["rootfs"]["diff_ids"]
        self.ref = self.mdesc["annotations"]["org.opencontainers.image.ref.name"]

    @staticmethod
    def member(digest):
        alg, enc = digest.split(":", 1)
        return "blobs/%s/%s" % (alg, enc)

    def blob(self, digest):
        return self.files[self.member(digest)]

    def copy_files(self):
        return dict(self.files)

    @staticmethod
    def put(files, data):
        d = sha256(data)
        files[Oci.member(d)] = data
        return d

    def with_manifest(self, files, manifest, index_extra=None):
        """Stores `manifest` (JSON value or bytes) as a blob and points index.json at it."""
        body = manifest if isinstance(manifest, bytes) else jdump(manifest)
        d = self.put(files, body)
        idx = copy.deepcopy(self.index)
        idx["manifests"][0]["digest"] = d
        idx["manifests"][0]["size"] = len(body)
        if index_extra:
            idx.update(index_extra)
        files["index.json"] = jdump(idx)
        return d

    @staticmethod
    def write(path, files):
        bio = io.BytesIO()
        with tarfile.open(fileobj=bio, mode="w", format=tarfile.PAX_FORMAT) as tf:
            for name in sorted(files):
                data = files[name]
                ti = tinfo(name)
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
        pathlib.Path(path).write_bytes(bio.getvalue())
        return path


_base = None
_oci = None


def base():
    global _base
    if _base is None:
        _base = Base()
    return _base


def oci():
    global _oci
    if _oci is None:
        _oci = Oci()
    return _oci


# ---------------------------------------------------------------------------
# the registry


CASES = []


_DECORATED = []


def case(name, what, peer=""):
    """Registers a builder (in _register_all's order, after the truncation cases)."""
    def deco(fn):
        _DECORATED.append((name, what, peer, fn))
        return fn
    return deco


def register(name, what, peer, fn):
    assert all(c["name"] != name for c in CASES), name
    CASES.append({"name": name, "what": what, "peer": peer, "build": fn})


def err(label, args, code, contains=(), any_of=(), bug=None, rc=2, **kw):
    c = {"label": label, "args": list(args), "rc": rc, "code": code, "err_contains": list(contains)}
    if any_of:
        c["err_contains_any"] = list(any_of)
    if bug:
        c["bug"] = bug
    c.update(kw)
    return c


def verify_problems(problems, label="verify", bug=None, **kw):
    c = {"label": label, "args": ["verify", "--json"], "rc": 1 if problems else 0, "problems": problems}
    if bug:
        c["bug"] = bug
    c.update(kw)
    return c


def problem(kind, layer, member, expected, actual, *contains):
    p = {"Kind": kind, "Layer": layer, "Member": member, "Expected": expected, "Actual": actual}
    if contains:
        p["MessageContains"] = list(contains)
    return p


def ok_verify(image_id=None, label="verify", **kw):
    c = {"label": label, "args": ["verify", "--json"], "rc": 0, "problems": []}
    if image_id:
        c["image_id"] = image_id
    c.update(kw)
    return c


# Bugs found by this suite and since fixed in layerkit; kept as names so the
# cases below read the same ("bug=None" = the check must pass).
BUG_HEADER_CUT = None     # a header cut now names the member before it and the offset
BUG_XZ_TRUNCATED = None   # a cut xz stream is now [truncated]
BUG_LS_BROKEN_TAR = None  # `ls` now lists what is there, then exits 2 with the code
BUG_LAYER_MSG = None      # a cut or undecodable layer now says what the decompressor says
BUG_PAX_LENIENT = None    # see the PAX cases: libarchive's reading (bsdtar's) is layerkit's


# ---------------------------------------------------------------------------
# 1. truncation


def _register_truncation():
    b = base()
    names = [m.name for m, _ in b.members]
    # (a) every member boundary: the prefix ends exactly where a header would start
    cuts = [(o, i) for i, o in enumerate(b.offsets)]
    cuts += [(b.data_end, len(b.members)), (b.data_end + 512, len(b.members))]  # no marker; half a marker
    for off, k in cuts:
        held = names[:k]
        if off == 0:
            def build(out, off=off):
                p = out / "trunc-boundary-0.tar"
                p.write_bytes(b"")
                return p, [err("inspect", ["inspect"], "format_unknown", ["empty"])]
            what = "empty file (the prefix of length 0)"
        elif "manifest.json" in held:
            def build(out, off=off):
                p = out / ("trunc-boundary-%d.tar" % off)
                p.write_bytes(b.raw[:off])
                return p, [ok_verify(b.image_id)]
            what = "prefix of %d bytes: members up to %s, no end-of-archive marker" % (off, held[-1])
        else:
            def build(out, off=off):
                p = out / ("trunc-boundary-%d.tar" % off)
                p.write_bytes(b.raw[:off])
                return p, [err("inspect", ["inspect"], "malformed", ["no manifest.json", "incomplete"]),
                           err("verify", ["verify"], "malformed", ["no manifest.json", "incomplete"])]
            what = ("prefix of %d bytes ending at the header of %s: a valid tar of image members without "
                    "manifest.json — an image archive cut short, not a layer tar" %
                    (off, names[k] if k < len(names) else "-"))
        register("trunc-boundary-%d" % off, what,
                 "GNU tar -tf, Python tarfile and Go archive/tar accept a tar that ends at a header boundary "
                 "without its end-of-archive marker; skopeo inspect then fails only for want of manifest.json "
                 "('loading tar component manifest.json: file does not exist')", build)

    # (b) inside a header
    for k in (1, 2, 9, 10):
        m = b.members[k][0]
        prev = b.members[k - 1][0].name
        for into in (100, 511):
            off = m.offset + into

            def build(out, off=off, m=m, prev=prev):
                p = out / ("trunc-in-header-%d.tar" % off)
                p.write_bytes(b.raw[:off])
                return p, [err("verify", ["verify"], "truncated", any_of=[m.name, prev, str(m.offset)],
                               bug=BUG_HEADER_CUT)]
            register("trunc-in-header-%d" % off, "cut %d bytes into the header of %s" % (into, m.name),
                     "Go archive/tar (Docker, skopeo): 'unexpected EOF' (skopeo: 'loading tar component "
                     "manifest.json: unexpected EOF'); libarchive: 'Truncated tar archive'; GNU tar and Python "
                     "tarfile silently stop", build)

    def build_first(out):
        p = out / "trunc-in-first-header.tar"
        p.write_bytes(b.raw[:100])
        return p, [err("verify", ["verify"], "format_unknown", ["not a tar"])]
    register("trunc-in-first-header", "the first 100 bytes: no complete tar header at all",
             "GNU tar: 'This does not look like a tar archive'; Python tarfile: 'truncated header'", build_first)

    def build_marker(out):
        p = out / "trunc-in-eof-marker.tar"
        p.write_bytes(b.raw[:b.data_end + 10])
        return p, [err("verify", ["verify"], "truncated")]
    register("trunc-in-eof-marker", "cut 10 bytes into the end-of-archive marker",
             "Go archive/tar: unexpected EOF; libarchive: truncated; GNU tar and Python accept", build_marker)

    # (c) inside a member body
    for k in (0, 1, 2, 5, 9, 10):
        m = b.members[k][0]
        if m.size < 2:
            continue
        off = m.offset_data + m.size // 2

        def build(out, off=off, m=m):
            p = out / ("trunc-in-body-%d.tar" % off)
            p.write_bytes(b.raw[:off])
            return p, [err("verify", ["verify"], "truncated", [m.name]),
                       err("inspect", ["inspect"], "truncated", [m.name])]
        register("trunc-in-body-%d" % off, "cut in the middle of the body of %s (%d of %d bytes)" %
                 (m.name, m.size // 2, m.size),
                 "GNU tar: 'Unexpected EOF in archive' (exit 2); skopeo: 'unexpected EOF'", build)

    # (d) the whole archive compressed, then cut
    tools = {"gzip": ["gzip", "-n", "-c"], "zstd": ["zstd", "-q", "-c"], "xz": ["xz", "-c"]}
    for comp, cmd in tools.items():
        for where in ("head", "half", "tail"):
            def build(out, comp=comp, cmd=cmd, where=where):
                if shutil.which(cmd[0]) is None:
                    p = out / ("trunc-%s-%s.missing-tool" % (comp, where))
                    p.write_bytes(b"")
                    return p, [{"label": "verify", "skip": "needs the %s command" % cmd[0]}]
                full = out / ("whole.%s" % comp)
                if not full.exists():
                    run_tool(cmd, BASE, full)
                data = full.read_bytes()
                cut = {"head": 20, "half": len(data) // 2, "tail": len(data) - 4}[where]
                p = out / ("trunc-%s-%s.tar.%s" % (comp, where, comp))
                p.write_bytes(data[:cut])
                return p, [err("verify", ["verify"], "truncated", [comp],
                               bug=BUG_XZ_TRUNCATED if comp == "xz" else None)]
            register("trunc-%s-%s" % (comp, where),
                     "base.docker-archive.tar compressed as a whole by the %s CLI, cut %s" %
                     (comp, {"head": "after 20 bytes", "half": "in the middle",
                             "tail": "4 bytes before the end (in the trailer)"}[where]),
                     "%s -t: 'unexpected end of file' / 'Unexpected end of input'" % comp, build)

    # (e) a gzip layer of an OCI archive cut short (descriptor unchanged)
    def build_oci_layer(out):
        o = oci()
        files = o.copy_files()
        d = o.ldescs[2]
        blob = o.blob(d["digest"])
        cut = blob[:len(blob) // 2]
        files[o.member(d["digest"])] = cut
        p = Oci.write(out / "trunc-oci-gzip-layer.tar", files)
        member = o.member(d["digest"])
        return p, [
            verify_problems([problem("blob_digest", 2, member, d["digest"], sha256(cut)),
                             problem("size", 2, member, str(d["size"]), str(len(cut))),
                             problem("unreadable", 2, member, o.diff_ids[2], "")]),
            verify_problems([problem("unreadable", 2, member, o.diff_ids[2], "")], label="verify-message",
                            problems_subset=True, unreadable_message_any=["truncat", "ends early", "unexpected end"],
                            bug=BUG_LAYER_MSG),
            err("ls", ["ls", "--layer", "2"], "truncated", [member], bug=BUG_LS_BROKEN_TAR, partial_output=True),
        ]
    register("trunc-oci-gzip-layer", "app.oci-archive.tar with layer 2's gzip blob cut to half its size",
             "gzip -t: 'unexpected end of file'; skopeo copy: digest and size mismatch", build_oci_layer)

    # (f) trailing garbage after the end-of-archive marker
    import random
    garbage = {"text": b"garbage!" * 1000, "random": random.Random(5).randbytes(5000), "zeros": b"\0" * 100000,
               "second-archive": None}
    for kind, g in garbage.items():
        def build(out, kind=kind, g=g):
            p = out / ("trailing-%s.tar" % kind)
            p.write_bytes(b.raw + (b.raw if g is None else g))
            return p, [ok_verify(b.image_id)]
        register("trailing-%s" % kind, "base.docker-archive.tar followed by %s after its end-of-archive marker" %
                 {"text": "8000 bytes of text", "random": "5000 random bytes", "zeros": "100000 zero bytes",
                  "second-archive": "a second copy of itself"}[kind],
                 "tar readers stop at the end-of-archive marker: GNU tar -tf, Python tarfile and "
                 "skopeo inspect all succeed", build)


# ---------------------------------------------------------------------------
# 2. flipped bytes, missing blobs, wrong sizes


def _flip_in_layer(layer: bytes) -> bytes:
    """Flips one byte in the middle of the first non-empty regular file of a layer tar."""
    with tarfile.open(fileobj=io.BytesIO(layer)) as tf:
        f = next(m for m in tf if m.isreg() and m.size > 0)
    out = bytearray(layer)
    out[f.offset_data + f.size // 2] ^= 0x20
    return bytes(out)


def _oci_with_new_manifest(name, mutate, out):
    o = oci()
    files = o.copy_files()
    man = copy.deepcopy(o.manifest)
    mutate(man, files)
    o.with_manifest(files, man)
    return Oci.write(out / (name + ".tar"), files)


@case("flip-layer-docker", "one byte flipped inside a file of layer 1 of base.docker-archive.tar",
      "skopeo copy / docker load: the layer no longer matches the config's diff_id")
def _(out):
    b = base()
    damaged = _flip_in_layer(b.layers[1])
    p = b.replace(out / "flip-layer-docker.tar", data={b.layer_names[1]: damaged})
    return p, [verify_problems([problem("diff_id", 1, b.layer_names[1], b.diff_ids[1], sha256(damaged))])]


@case("flip-config-docker", "one byte flipped in the config of base.docker-archive.tar "
      "(a docker-archive declares no config digest: the member name is not a digest declaration)",
      "skopeo inspect and docker load compute the image ID from the bytes and succeed with a new ID")
def _(out):
    b = base()
    damaged = b.config_bytes.replace(b"Text-only", b"Text-onlY", 1)
    assert damaged != b.config_bytes
    p = b.replace(out / "flip-config-docker.tar", data={b.config_name: damaged})
    return p, [ok_verify(sha256(damaged))]


@case("flip-layer-oci-gzip-header", "app.oci-archive.tar: a byte of layer 2's gzip header (MTIME) flipped: "
      "the blob no longer matches its digest, the tar inside is intact",
      "skopeo copy: 'Digest did not match, expected sha256:0ffe..., got sha256:...'")
def _(out):
    o = oci()
    files = o.copy_files()
    d = o.ldescs[2]
    blob = bytearray(o.blob(d["digest"]))
    blob[4] ^= 0x01
    files[o.member(d["digest"])] = bytes(blob)
    p = Oci.write(out / "flip-layer-oci-gzip-header.tar", files)
    return p, [verify_problems([problem("blob_digest", 2, o.member(d["digest"]), d["digest"], sha256(bytes(blob)))])]


@case("flip-layer-oci-deflate", "app.oci-archive.tar: layer 2's first deflate block header set to the "
      "reserved block type 3: the blob no longer matches its digest and cannot be decompressed",
      "gzip -t: 'invalid compressed data--format violated'")
def _(out):
    o = oci()
    files = o.copy_files()
    d = o.ldescs[2]
    blob = bytearray(o.blob(d["digest"]))
    assert blob[3] == 0  # no optional gzip header fields: deflate data starts at byte 10
    blob[10] |= 0x06
    member = o.member(d["digest"])
    files[member] = bytes(blob)
    p = Oci.write(out / "flip-layer-oci-deflate.tar", files)
    return p, [verify_problems([problem("blob_digest", 2, member, d["digest"], sha256(bytes(blob))),
                                problem("unreadable", 2, member, o.diff_ids[2], "")])]


@case("flip-config-oci", "app.oci-archive.tar: one byte of the config changed (still valid JSON)",
      "skopeo inspect --config: 'Download config.json digest sha256:... does not match expected sha256:...'")
def _(out):
    o = oci()
    files = o.copy_files()
    damaged = o.config_bytes.replace(b"Text-only", b"Text-onlY", 1)
    assert damaged != o.config_bytes
    member = o.member(o.cdesc["digest"])
    files[member] = damaged
    p = Oci.write(out / "flip-config-oci.tar", files)
    return p, [verify_problems([problem("config_digest", None, member, o.cdesc["digest"], sha256(damaged))])]


@case("flip-manifest-oci", "app.oci-archive.tar: one digit of the config size in the manifest changed "
      "(one byte flipped: the manifest no longer matches the index's digest, and declares a wrong config size)",
      "skopeo copy: 'Size mismatch when copying <config>, expected N+10, got N' (it reads the damaged "
      "manifest without checking its digest)")
def _(out):
    o = oci()
    files = o.copy_files()
    body = o.manifest_bytes
    old = b'"size":%d' % o.cdesc["size"]
    assert body.count(old) == 1
    new_size = o.cdesc["size"] + 10 if (o.cdesc["size"] // 10) % 10 != 9 else o.cdesc["size"] - 10
    damaged = body.replace(old, b'"size":%d' % new_size)
    assert len(damaged) == len(body)
    member = o.member(o.mdesc["digest"])
    files[member] = damaged
    p = Oci.write(out / "flip-manifest-oci.tar", files)
    return p, [verify_problems([
        problem("manifest_digest", None, member, o.mdesc["digest"], sha256(damaged)),
        problem("size", None, o.member(o.cdesc["digest"]), str(new_size), str(o.cdesc["size"]))])]


@case("missing-layer-docker", "base.docker-archive.tar without its layer 1 member",
      "skopeo inspect: 'Some layer tarfiles are missing in the tarball'")
def _(out):
    b = base()
    p = b.replace(out / "missing-layer-docker.tar", drop=[b.layer_names[1]])
    return p, [verify_problems([problem("missing", 1, b.layer_names[1], b.diff_ids[1], "")])]


@case("missing-config-docker", "base.docker-archive.tar without its config member",
      "skopeo inspect: 'loading tar component <config>: file does not exist'")
def _(out):
    b = base()
    p = b.replace(out / "missing-config-docker.tar", drop=[b.config_name])
    return p, [verify_problems([problem("missing", None, b.config_name, "", "")])]


@case("missing-layer-oci", "app.oci-archive.tar without layer 2's blob",
      "skopeo copy: 'reading blob sha256:...: open .../blobs/sha256/...: no such file or directory'")
def _(out):
    o = oci()
    files = o.copy_files()
    d = o.ldescs[2]
    del files[o.member(d["digest"])]
    p = Oci.write(out / "missing-layer-oci.tar", files)
    return p, [verify_problems([problem("missing", 2, o.member(d["digest"]), d["digest"], "")])]


@case("missing-config-oci", "app.oci-archive.tar without its config blob",
      "skopeo inspect --config: 'open .../blobs/sha256/<config>: no such file or directory'")
def _(out):
    o = oci()
    files = o.copy_files()
    del files[o.member(o.cdesc["digest"])]
    p = Oci.write(out / "missing-config-oci.tar", files)
    return p, [verify_problems([problem("missing", None, o.member(o.cdesc["digest"]), o.cdesc["digest"], "")])]


def _register_sizes():
    for delta in (7, -7):
        def build(out, delta=delta):
            o = oci()
            d = o.ldescs[2]

            def mutate(man, files):
                man["layers"][2]["size"] += delta
            p = _oci_with_new_manifest("size-layer%+d" % delta, mutate, out)
            return p, [verify_problems([problem("size", 2, o.member(d["digest"]), str(d["size"] + delta),
                                                str(d["size"]))])]
        register("size-layer%+d" % delta, "layer 2's descriptor size off by %+d" % delta,
                 "skopeo copy oci-archive: succeeds without noticing (it checks the config's size, not this "
                 "layer's); the descriptor is still wrong (OCI descriptor.md: size is the content's length)", build)

    def build_cfg(out):
        o = oci()

        def mutate(man, files):
            man["config"]["size"] += 1
        p = _oci_with_new_manifest("size-config", mutate, out)
        return p, [verify_problems([problem("size", None, o.member(o.cdesc["digest"]), str(o.cdesc["size"] + 1),
                                            str(o.cdesc["size"]))])]
    register("size-config", "the config descriptor's size off by +1",
             "skopeo copy: 'Size mismatch when copying sha256:..., expected N+1, got N'", build_cfg)

    def build_man(out):
        o = oci()
        files = o.copy_files()
        idx = copy.deepcopy(o.index)
        idx["manifests"][0]["size"] += 1
        files["index.json"] = jdump(idx)
        p = Oci.write(out / "size-manifest.tar", files)
        return p, [verify_problems([problem("size", None, o.member(o.mdesc["digest"]), str(o.mdesc["size"] + 1),
                                            str(o.mdesc["size"]))])]
    register("size-manifest", "index.json's manifest descriptor size off by +1",
             "skopeo copy succeeds without noticing; OCI descriptor.md: size is the content's length",
             build_man)


# ---------------------------------------------------------------------------
# 3. JSON: null, wrong types, duplicate keys, depth, size, numbers, both manifest and index


def _register_json():
    b = base()
    e = b.entry
    MALFORMED = [
        ("null", b"null", ["manifest.json", "null"]),
        ("empty-array", b"[]", ["manifest.json", "no images"]),
        ("object", b"{}", ["manifest.json", "an object"]),
        ("number", b"42", ["manifest.json", "a number"]),
        ("string", b'"manifest"', ["manifest.json", "a string"]),
        ("entry-null", b"[null]", ["manifest.json", "[0]", "null"]),
        ("entry-array", b"[[]]", ["manifest.json", "[0]", "an array"]),
        ("config-number", json.dumps([dict(e, Config=5)]).encode(), ["[0].Config", "a number"]),
        ("config-object", json.dumps([dict(e, Config={"a": 1})]).encode(), ["[0].Config", "an object"]),
        ("layers-string", json.dumps([dict(e, Layers=e["Layers"][0])]).encode(), ["[0].Layers", "a string"]),
        ("layers-number-element", json.dumps([dict(e, Layers=[e["Layers"][0], 7])]).encode(),
         ["[0].Layers[1]", "a number"]),
        ("repotags-string", json.dumps([dict(e, RepoTags="a:b")]).encode(), ["[0].RepoTags", "a string"]),
        ("not-json", b"[{", ["manifest.json"]),
    ]
    for name, body, contains in MALFORMED:
        def build(out, name=name, body=body, contains=contains):
            p = b.replace(out / ("json-manifest-%s.tar" % name), manifest=body)
            return p, [err("inspect", ["inspect"], "malformed", contains),
                       err("verify", ["verify"], "malformed", contains)]
        register("json-manifest-%s" % name, "manifest.json is %s" % body[:60].decode(errors="replace"),
                 "skopeo inspect: 'Unexpected tar manifest.json: expected 1 item, got 0' (null, []), or Go "
                 "encoding/json 'cannot unmarshal ...' for wrong types", build)

    def build_layers_null(out):
        p = b.replace(out / "json-manifest-layers-null.tar", manifest=[dict(e, Layers=None)])
        return p, [verify_problems([problem("count", None, b.config_name, "0 layers",
                                            "2 diff_ids, 2 non-empty history entries")])]
    register("json-manifest-layers-null", "manifest.json Layers: null (Go's encoding/json reads an empty list)",
             "skopeo inspect: 'Inconsistent layer count: 0 in manifest, 2 in config'", build_layers_null)

    def build_tags_null(out):
        p = b.replace(out / "json-manifest-repotags-null.tar", manifest=[dict(e, RepoTags=None)])
        return p, [ok_verify(b.image_id)]
    register("json-manifest-repotags-null", "manifest.json RepoTags: null (an untagged image, as Go reads it)",
             "skopeo inspect succeeds", build_tags_null)

    # duplicate keys: Go's encoding/json keeps the LAST value
    j = json.dumps(e)
    dups = {
        "config-last-good": ('[{"Config": "nonexistent.json", ' + j[1:] + "]",
                             lambda: [ok_verify(b.image_id)]),
        "config-last-bad": ("[" + j[:-1] + ', "Config": "nonexistent.json"}]',
                            lambda: [verify_problems([problem("missing", None, "nonexistent.json", "", "")])]),
        "repotags": ("[" + j[:-1] + ', "RepoTags": ["dup/last:2"]}]',
                     lambda: [{"label": "inspect", "args": ["inspect"], "rc": 0,
                               "json_at": [[0, "RepoTags"], ["dup/last:2"]]}]),
    }
    for name, (body, checks) in dups.items():
        def build(out, name=name, body=body, checks=checks):
            p = b.replace(out / ("json-dup-%s.tar" % name), manifest=body.encode())
            return p, checks()
        register("json-dup-%s" % name, "manifest.json with a duplicate key: %s" % body[:90],
                 "Go encoding/json (Docker, skopeo) keeps the last value; skopeo inspect follows it", build)

    cfg_json = json.dumps(b.config)
    bad_rootfs = json.dumps({"type": "layers", "diff_ids": ["sha256:" + "1" * 64, "sha256:" + "2" * 64]})

    def build_rootfs_good(out):
        body = ('{"rootfs": %s, ' % bad_rootfs + cfg_json[1:]).encode()
        p = out / "json-dup-rootfs-last-good.tar"
        b.with_config(p, body)
        return p, [ok_verify(sha256(body))]
    register("json-dup-rootfs-last-good", "config with two rootfs keys, the last one right",
             "Go encoding/json keeps the last value", build_rootfs_good)

    def build_rootfs_bad(out):
        body = (cfg_json[:-1] + ', "rootfs": %s}' % bad_rootfs).encode()
        p = out / "json-dup-rootfs-last-bad.tar"
        b.with_config(p, body)
        return p, [verify_problems([problem("diff_id", 0, b.layer_names[0], "sha256:" + "1" * 64, b.diff_ids[0]),
                                    problem("diff_id", 1, b.layer_names[1], "sha256:" + "2" * 64, b.diff_ids[1])])]
    register("json-dup-rootfs-last-bad", "config with two rootfs keys, the last one wrong",
             "Go encoding/json keeps the last value: docker load fails on the diff_ids", build_rootfs_bad)

    def build_arch(out):
        body = (cfg_json[:-1] + ', "architecture": "arm64"}').encode()
        p = out / "json-dup-architecture.tar"
        b.with_config(p, body)
        return p, [{"label": "inspect", "args": ["inspect"], "rc": 0, "json_at": [[0, "Architecture"], "arm64"]}]
    register("json-dup-architecture", "config with architecture amd64 and then arm64",
             "Go encoding/json keeps the last value", build_arch)

    # nesting
    deep = {
        "array": b"[" * 10000 + b"]" * 10000,
        "object": b'{"a":' * 10000 + b"1" + b"}" * 10000,
        "in-entry": b'[{"x":' + b"[" * 10000 + b"]" * 10000 + b"}]",
        "unclosed": b"[" * 10000,
        "65": b"[" * 65 + b"]" * 65,
    }
    for name, body in deep.items():
        def build(out, name=name, body=body):
            p = b.replace(out / ("json-deep-%s.tar" % name), manifest=body)
            return p, [err("inspect", ["inspect"], "limit_exceeded", ["manifest.json", "64"])]
        register("json-deep-%s" % name, "manifest.json nested %s deep (%s)" %
                 ("65" if name == "65" else "10,000", name),
                 "Go encoding/json accepts 10,000 levels and fails at 10,001 ('exceeded max depth'); "
                 "layerkit's documented limit is 64",
                 build)

    def build_deep_index(out):
        o = oci()
        files = o.copy_files()
        files["index.json"] = b'{"schemaVersion":2,"manifests":' + b"[" * 10000 + b"]" * 10000 + b"}"
        p = Oci.write(out / "json-deep-index.tar", files)
        return p, [err("inspect", ["inspect"], "limit_exceeded", ["index.json", "64"])]
    register("json-deep-index", "OCI index.json nested 10,000 deep", "layerkit's documented JSON depth limit is 64",
             build_deep_index)

    # a 100 MB JSON member, in an uncompressed and in a gzip-compressed archive
    def big_member_archive(path, name, size, first):
        with open(path, "wb") as f:
            for m, d in b.members:
                if m.name == name:
                    continue
                m = copy.copy(m)
                if d is not None:
                    m.size = len(d)
                f.write(m.tobuf(tarfile.GNU_FORMAT))
                if d is not None:
                    f.write(pad512(d))
            t = tinfo(name)
            t.size = size
            f.write(t.tobuf(tarfile.GNU_FORMAT))
            f.write(first)
            chunk = b" " * (1 << 20)
            left = size - len(first)
            while left > 0:
                n = min(left, len(chunk))
                f.write(chunk[:n])
                left -= n
            f.write(b"\0" * ((-size) % 512) + END)
        return path

    SIZE = 100 << 20
    # Peak RSS under 96 MB: reading the member whole would take over 100 MB (plain build: ~10 MB
    # used; AddressSanitizer build: ~70 MB).

    def build_big_manifest(out):
        p = big_member_archive(out / "json-100mb-manifest.tar", "manifest.json", SIZE, b"[")
        return p, [err("inspect", ["inspect"], "limit_exceeded", ["manifest.json", str(1 << 20)], max_rss_mb=96)]
    register("json-100mb-manifest", "manifest.json of 100 MiB ('[' and spaces) in an uncompressed archive",
             "skopeo inspect: 'exceeded maximum allowed size of 1048576 bytes'", build_big_manifest)

    def build_big_manifest_gz(out):
        if shutil.which("gzip") is None:
            p = out / "json-100mb-manifest-gzip.missing-tool"
            p.write_bytes(b"")
            return p, [{"label": "inspect", "skip": "needs the gzip command"}]
        raw = big_member_archive(out / "json-100mb-manifest-raw.tar", "manifest.json", SIZE, b"[")
        p = out / "json-100mb-manifest.tar.gz"
        run_tool(["gzip", "-1", "-n", "-c"], raw, p)
        raw.unlink()
        return p, [err("inspect", ["inspect"], "limit_exceeded", ["manifest.json", str(1 << 20)], max_rss_mb=96)]
    register("json-100mb-manifest-gzip", "the same, the archive gzip-compressed as a whole (read once, streamed)",
             "skopeo inspect: 'exceeded maximum allowed size of 1048576 bytes'", build_big_manifest_gz)

    def build_big_config(out):
        p = big_member_archive(out / "json-100mb-config.tar", b.config_name, SIZE, b"{")
        return p, [err("inspect", ["inspect"], "limit_exceeded", [b.config_name, str(4 << 20)], max_rss_mb=96)]
    register("json-100mb-config", "a config member of 100 MiB ('{' and spaces)",
             "containers/image caps a config at 4 MiB", build_big_config)

    # numbers in a descriptor size
    numbers = {
        "minus-1": (b"-1", "malformed", ["layers[2].size", "-1"]),
        "1e300": (b"1e300", "malformed", ["layers[2].size", "1e300"]),
        "2p64": (b"18446744073709551616", "malformed", ["layers[2].size"]),
        "2p63": (b"9223372036854775808", "malformed", ["layers[2].size", "9223372036854775808"]),
        "float": (b"481.0", "malformed", ["layers[2].size"]),
        "string": (b'"481"', "malformed", ["layers[2].size", "a string"]),
    }
    for name, (num, code, contains) in numbers.items():
        def build(out, name=name, num=num, code=code, contains=contains):
            o = oci()
            old = b'"size":%d' % o.ldescs[2]["size"]
            body = o.manifest_bytes.replace(old, b'"size":' + num, 1)
            assert body != o.manifest_bytes
            files = o.copy_files()
            o.with_manifest(files, body)
            p = Oci.write(out / ("json-size-%s.tar" % name), files)
            return p, [err("inspect", ["inspect"], code, ["manifest of", *contains]),
                       err("verify", ["verify"], code, contains)]
        register("json-size-%s" % name, "layer 2's descriptor size is %s" % num.decode(),
                 "Go encoding/json into an int64 size: %s" % {
                     "minus-1": "decodes -1, which containers/image takes for 'size unknown'; OCI descriptor.md "
                                "defines size as the byte count of the content, never negative",
                     "string": "'cannot unmarshal string into Go struct field ... of type int64'"}.get(
                     name, "'cannot unmarshal number %s into Go struct field ... of type int64'" % num.decode()),
                 build)

    for name, num, exp in (("2p63-minus-1", b"9223372036854775807", "9223372036854775807"), ("minus-0", b"-0", "0")):
        def build(out, name=name, num=num, exp=exp):
            o = oci()
            d = o.ldescs[2]
            body = o.manifest_bytes.replace(b'"size":%d' % d["size"], b'"size":' + num, 1)
            files = o.copy_files()
            o.with_manifest(files, body)
            p = Oci.write(out / ("json-size-%s.tar" % name), files)
            return p, [verify_problems([problem("size", 2, o.member(d["digest"]), exp, str(d["size"]))])]
        register("json-size-%s" % name, "layer 2's descriptor size is %s (a valid int64)" % num.decode(),
                 "Go encoding/json accepts it; skopeo copy: 'Size mismatch'", build)

    # both a manifest and an index
    def build_both_manifest(out):
        o = oci()

        def mutate(man, files):
            man["manifests"] = copy.deepcopy(o.index["manifests"])
        p = _oci_with_new_manifest("json-both-manifest", mutate, out)
        return p, [err("inspect", ["inspect"], "malformed", ["both an index", "manifest"])]
    register("json-both-manifest", "the manifest blob also has a manifests key (manifest and index at once)",
             "skopeo inspect: 'rejecting ambiguous manifest, unexpected fields [\"manifests\"]' "
             "(CVE-2021-41190: a document must not be both)", build_both_manifest)

    def build_both_index(out):
        o = oci()
        files = o.copy_files()
        idx = copy.deepcopy(o.index)
        idx["layers"] = o.ldescs
        idx["config"] = o.cdesc
        files["index.json"] = jdump(idx)
        p = Oci.write(out / "json-both-index.tar", files)
        return p, [ok_verify(o.cdesc["digest"])]
    register("json-both-index", "index.json also has layers and config keys: the layout's index.json is an "
             "image index by definition (image-layout.md), so they are unknown properties, ignored",
             "skopeo copy oci-archive: succeeds (containers/image reads index.json as an index); image-spec: "
             "unknown properties MUST NOT cause an error", build_both_index)


# ---------------------------------------------------------------------------
# 4. digests


SKOPEO_DIGEST = {
    "dotdot": "skopeo 1.x copy oci-archive: exits 0 on this one (observed); go-digest's Validate() rejects it",
    "empty": "skopeo copy: 'Can not check for a blob with unknown digest'",
    "no-colon": "skopeo copy fails",
}


def _register_digests():
    BAD = {
        "dotdot": "sha256:../../../../etc/passwd",
        "uppercase-hex": "sha256:" + "0FFEC8EB77BAB156C96117B81DE6E4D4D6C99DBBFD61EDA49D05642AD3231791",
        "short": "sha256:0ffec8eb",
        "long": "sha256:" + "a" * 65,
        "empty": "",
        "no-colon": "0ffec8eb77bab156c96117b81de6e4d4d6c99dbbfd61eda49d05642ad3231791",
        "uppercase-algorithm": "SHA256:" + "a" * 64,
        "slash-in-algorithm": "sha256/x:abc",
        "trailing-separator": "sha256+:abc",
        "space": "sha256: abc",
        "sha512-short": "sha512:" + "a" * 64,
    }
    for name, dg in BAD.items():
        def build(out, name=name, dg=dg):
            def mutate(man, files):
                man["layers"][2]["digest"] = dg
            p = _oci_with_new_manifest("digest-layer-%s" % name, mutate, out)
            return p, [err("inspect", ["inspect"], "invalid_digest", ["layers[2].digest", '"%s"' % dg[:80]]),
                       err("verify", ["verify"], "invalid_digest", ["layers[2].digest"])]
        register("digest-layer-%s" % name, "layer 2's descriptor digest is %r" % dg,
                 "OCI descriptor.md digest grammar. " + SKOPEO_DIGEST.get(
                     name, "skopeo copy oci-archive: 'unexpected digest reference ...: invalid checksum digest "
                     "format' (or '... length')"), build)

    def build_cfg(out):
        def mutate(man, files):
            man["config"]["digest"] = "sha256:../../x"
        p = _oci_with_new_manifest("digest-config-dotdot", mutate, out)
        return p, [err("inspect", ["inspect"], "invalid_digest", ["config.digest", "sha256:../../x"])]
    register("digest-config-dotdot", "the config descriptor's digest is sha256:../../x",
             "go-digest: 'invalid checksum digest format'", build_cfg)

    def build_index(out):
        o = oci()
        files = o.copy_files()
        idx = copy.deepcopy(o.index)
        idx["manifests"][0]["digest"] = "sha256:../../../etc/passwd"
        files["index.json"] = jdump(idx)
        p = Oci.write(out / "digest-index-dotdot.tar", files)
        return p, [err("inspect", ["inspect"], "invalid_digest", ["index.json", "sha256:../../../etc/passwd"])]
    register("digest-index-dotdot", "index.json's manifest digest is sha256:../../../etc/passwd",
             "go-digest: 'invalid checksum digest format'", build_index)

    def build_dir(out):
        """An OCI layout directory whose layer digest, used as a path, would reach a file
        outside the layout that holds exactly the right layer."""
        o = oci()
        root = out / "digest-dir-escape" / "layout"
        if root.parent.exists():
            shutil.rmtree(root.parent)
        files = o.copy_files()
        d = o.ldescs[2]
        blob = files.pop(o.member(d["digest"]))
        root.mkdir(parents=True)
        (root.parent / "stolen").write_bytes(blob)
        man = copy.deepcopy(o.manifest)
        man["layers"][2]["digest"] = "sha256:../../../stolen"
        o.with_manifest(files, man)
        for name, data in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
        assert (root / "blobs" / "sha256" / "../../../stolen").resolve().read_bytes() == blob
        return root, [err("verify", ["verify"], "invalid_digest", ["sha256:../../../stolen"])]
    register("digest-dir-escape", "an OCI layout directory: layer 2's digest sha256:../../../stolen names, as "
             "a path, a file outside the layout holding that very layer", "go-digest rejects the digest before "
             "any path is built", build_dir)

    # well-formed digests of algorithms layerkit does not compute: unverifiable (OCI descriptor.md)
    def unknown(name, alg, encoded_of, where):
        def build(out):
            o = oci()
            if where == "layer":
                d = o.ldescs[2]
                data = o.blob(d["digest"])
            else:
                d = o.cdesc
                data = o.config_bytes
            dg = "%s:%s" % (alg, encoded_of(data))

            def mutate(man, files):
                files[o.member(dg)] = data
                if where == "layer":
                    man["layers"][2]["digest"] = dg
                else:
                    man["config"]["digest"] = dg
            p = _oci_with_new_manifest("digest-unknown-%s" % name, mutate, out)
            if alg == "sha512":
                return p, [ok_verify()]
            return p, [verify_problems([problem("unverifiable", 2 if where == "layer" else None, o.member(dg), dg,
                                                "")])]
        register("digest-unknown-%s" % name, "the %s is named by a well-formed %s digest, and present" %
                 (where, alg),
                 "OCI descriptor.md: an implementation that does not support an algorithm cannot verify the "
                 "content (SHA-512 is registered and MAY be supported)", build)

    unknown("sha384-layer", "sha384", lambda b: hashlib.sha384(b).hexdigest(), "layer")
    unknown("sha384-config", "sha384", lambda b: hashlib.sha384(b).hexdigest(), "config")
    unknown("multihash-layer", "multihash+base58", lambda b: "QmRZxt2b1FVZPNqd8hsiykDL3TUBDTXPjDkuuNoJZgXSds",
            "layer")
    unknown("sha512-layer", "sha512", lambda b: hashlib.sha512(b).hexdigest(), "layer")

    def build_absent(out):
        o = oci()
        d = o.ldescs[2]
        dg = "sha384:" + hashlib.sha384(o.blob(d["digest"])).hexdigest()

        def mutate(man, files):
            man["layers"][2]["digest"] = dg
        p = _oci_with_new_manifest("digest-unknown-sha384-absent", mutate, out)
        return p, [verify_problems([problem("missing", 2, o.member(dg), dg, "")])]
    register("digest-unknown-sha384-absent", "layer 2 named by a sha384 digest whose blob is absent",
             "skopeo: blob not found", build_absent)


# ---------------------------------------------------------------------------
# 5. member paths


def _register_paths():
    b = base()
    L1 = b.layer_names[1]

    def manifest_with_layer1(path):
        return [dict(b.entry, Layers=[b.layer_names[0], path])]

    # unused members with hostile names: never joined to a path, so harmless
    for name, mpath in (("dotdot", "../evil.txt"), ("absolute", "/abs/evil.txt")):
        def build(out, name=name, mpath=mpath):
            p = b.replace(out / ("path-unused-%s.tar" % name), add=[(tinfo(mpath), b"evil")])
            return p, [ok_verify(b.image_id)]
        register("path-unused-%s" % name, "an extra, unreferenced member named %s" % mpath,
                 "skopeo inspect succeeds (it never extracts); docker load, which untars everything, refuses "
                 "('breakout')", build)

    RENAMES = [
        # (name, stored member name, manifest.json path, outcome)
        ("member-dotdot", "../" + L1, "../" + L1, "unsafe"),
        ("manifest-dotdot", L1, "../" + L1, "unsafe"),
        ("manifest-dotdot-deep", L1, "x/../../" + L1, "unsafe"),
        ("inner-dotdot", "x/../" + L1, "x/../" + L1, "ok"),
        ("absolute", "/" + L1, "/" + L1, "ok"),
        ("absolute-member", "/" + L1, L1, "ok"),
        ("absolute-manifest", L1, "/" + L1, "ok"),
        ("dot-slash", L1, "./" + L1, "ok"),
        ("backslash", "sub\\" + L1, "sub\\" + L1, "ok"),
        ("backslash-dotdot", "..\\" + L1, "..\\" + L1, "ok"),
        ("backslash-is-not-slash", "sub\\" + L1, "sub/" + L1, "missing"),
        ("empty", L1, "", "missing"),
    ]
    for name, stored, ref, outcome in RENAMES:
        def build(out, name=name, stored=stored, ref=ref, outcome=outcome):
            rename = {L1: stored} if stored != L1 else None
            p = b.replace(out / ("path-%s.tar" % name), manifest=manifest_with_layer1(ref), rename=rename)
            with tarfile.open(p) as tf:
                assert stored in tf.getnames(), stored
            if outcome == "unsafe":
                return p, [err("verify", ["verify"], "unsafe_path", ["manifest.json", "[0].Layers[1]", ref])]
            if outcome == "ok":
                return p, [ok_verify(b.image_id)]
            member = posix_norm(ref)
            return p, [verify_problems([problem("missing", 1, member, b.diff_ids[1], "")])]
        what = "layer 1 stored as member %r, manifest.json names %r" % (stored, ref)
        peer = {
            "unsafe": ("skopeo copy: 'Some layer tarfiles are missing in the tarball'" if stored == L1 else
                       "skopeo copy succeeds (it matches member names as strings and never extracts); docker "
                       "load extracts and refuses to leave its directory; README: '..' is unsafe_path"),
            "ok": "Docker joins manifest paths under the archive root (safePath) and untars '/x' as 'x': "
                  "the path stays inside; backslash is an ordinary character on Linux",
            "missing": "skopeo: 'Some layer tarfiles are missing in the tarball'",
        }[outcome]
        register("path-%s" % name, what, peer, build)

    # manifest.json entries naming symbolic links that leave the archive
    for name, target in (("relative", "../../etc/passwd"), ("absolute", "/etc/passwd")):
        def build(out, name=name, target=target):
            p = b.replace(out / ("path-symlink-%s.tar" % name), manifest=manifest_with_layer1("lnk"),
                          add=[(tinfo("lnk", tarfile.SYMTYPE, 0o777, linkname=target), None)])
            return p, [err("verify", ["verify"], "unsafe_path", ["lnk", target])]
        register("path-symlink-%s" % name, "manifest.json Layers[1] names a symlink member to %s" % target,
                 "skopeo copy: 'reading blob sha256:...: file does not exist'; README 'Untrusted input': links "
                 "are followed only inside the archive", build)

    # manifest.json entries naming non-regular members
    NONREG = [
        ("dir", "somedir", [(tinfo("somedir", tarfile.DIRTYPE, 0o755), None)], "somedir"),
        ("dir-slash", "somedir/", [(tinfo("somedir", tarfile.DIRTYPE, 0o755), None)], "somedir"),
        ("symlink-to-dir", "lnk", [(tinfo("somedir", tarfile.DIRTYPE, 0o755), None),
                                   (tinfo("lnk", tarfile.SYMTYPE, 0o777, linkname="somedir"), None)], "somedir"),
        ("chardev", "dev", [(tinfo("dev", tarfile.CHRTYPE, 0o666, devmajor=1, devminor=3), None)], "dev"),
        ("blockdev", "dev", [(tinfo("dev", tarfile.BLKTYPE, 0o660, devmajor=8, devminor=0), None)], "dev"),
        ("fifo", "fifo", [(tinfo("fifo", tarfile.FIFOTYPE), None)], "fifo"),
        ("symlink-to-chardev", "lnk", [(tinfo("dev", tarfile.CHRTYPE, 0o666, devmajor=1, devminor=3), None),
                                       (tinfo("lnk", tarfile.SYMTYPE, 0o777, linkname="dev"), None)], "dev"),
    ]
    for name, ref, add, target in NONREG:
        def build(out, name=name, ref=ref, add=add, target=target):
            p = b.replace(out / ("nonregular-layer-%s.tar" % name), manifest=manifest_with_layer1(ref), add=add)
            return p, [err("verify", ["verify"], "malformed", [target, "not a regular file"])]
        register("nonregular-layer-%s" % name, "manifest.json Layers[1] names %r, a %s" % (ref, name),
                 "skopeo copy: 'Error reading tar archive component %s: not a regular file'" %
                 (target + "/" if name.endswith("dir") or name == "dir-slash" else target), build)
    for name, add, target in (("dir", [(tinfo("somedir", tarfile.DIRTYPE, 0o755), None)], "somedir"),
                              ("chardev", [(tinfo("dev", tarfile.CHRTYPE, 0o666, devmajor=1, devminor=3), None)],
                               "dev")):
        def build(out, name=name, add=add, target=target):
            p = b.replace(out / ("nonregular-config-%s.tar" % name), manifest=[dict(b.entry, Config=target)],
                          add=add)
            return p, [err("inspect", ["inspect"], "malformed", [target, "not a regular file"])]
        register("nonregular-config-%s" % name, "manifest.json Config names a %s" % name,
                 "skopeo copy: 'loading tar component %s: Error reading tar archive component ...: not a "
                 "regular file'" % target, build)


def posix_norm(p):
    import posixpath
    p = p.lstrip("/")
    p = posixpath.normpath(p) if p else ""
    return "" if p == "." else p


# ---------------------------------------------------------------------------
# 6. counts


def _register_counts():
    b = base()
    nonempty = [h for h in b.config["history"] if not h.get("empty_layer")]
    assert len(nonempty) == 2
    COUNTS = {
        "extra-diff-id": (lambda c: c["rootfs"]["diff_ids"].append(b.diff_ids[0]), None, "2 layers",
                          "3 diff_ids, 2 non-empty history entries"),
        "fewer-diff-ids": (lambda c: c["rootfs"]["diff_ids"].pop(), None, "2 layers",
                           "1 diff_ids, 2 non-empty history entries"),
        "extra-history": (lambda c: c["history"].append({"created_by": "extra"}), None, "2 layers",
                          "2 diff_ids, 3 non-empty history entries"),
        "no-nonempty-history": (lambda c: c.__setitem__("history", [h for h in c["history"] if h.get("empty_layer")]),
                                None, "2 layers", "2 diff_ids, 0 non-empty history entries"),
        "extra-layer": (lambda c: None, b.layer_names + [b.layer_names[0]], "3 layers",
                        "2 diff_ids, 2 non-empty history entries"),
    }
    for name, (mut, layers, exp, act) in COUNTS.items():
        def build(out, name=name, mut=mut, layers=layers, exp=exp, act=act):
            c = copy.deepcopy(b.config)
            mut(c)
            p = out / ("count-%s.tar" % name)
            cfg_name = b.with_config(p, json.dumps(c).encode(), layers)
            return p, [verify_problems([problem("count", None, cfg_name, exp, act)])]
        register("count-%s" % name, "layers, diff_ids and non-empty history disagree: %s" % name,
                 "skopeo copy: 'Inconsistent layer count: N in manifest, M in config' (for diff_ids)", build)

    def build_nohist(out):
        c = copy.deepcopy(b.config)
        del c["history"]
        body = json.dumps(c).encode()
        p = out / "count-no-history.tar"
        b.with_config(p, body)
        return p, [ok_verify(sha256(body))]
    register("count-no-history", "a config without history (optional in OCI config.md): nothing to compare",
             "docker load accepts it", build_nohist)


# ---------------------------------------------------------------------------
# 7. bombs and decompression


def gzip_zero_bomb(head: bytes, mib: int) -> bytes:
    """A gzip stream of `head` + `mib` MiB of zeros, made by repeating one
    full-flushed deflate block (byte-aligned, no back references), so that a
    GiB costs no compression work."""
    co = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    zeros = b"\0" * (1 << 20)
    first = co.compress(head) + co.flush(zlib.Z_FULL_FLUSH)
    block = co.compress(zeros) + co.flush(zlib.Z_FULL_FLUSH)  # one MiB of zeros after a full flush
    again = co.compress(zeros) + co.flush(zlib.Z_FULL_FLUSH)
    assert again == block
    tail = co.flush(zlib.Z_FINISH)
    crc = zlib.crc32(head)
    for _ in range(mib + 1):
        crc = zlib.crc32(zeros, crc)
    size = len(head) + (mib + 1) * (1 << 20)
    return (b"\x1f\x8b\x08\x00\0\0\0\0\x02\xff" + first + block * (mib + 1) + tail +
            struct.pack("<II", crc & 0xffffffff, size & 0xffffffff))


def zstd_frame(blocks, window_log=17):
    """A zstd frame (no content size, no checksum) of (kind, data) blocks: ("raw", bytes)
    or ("rle", (byte, count)), with the window log written in the frame header."""
    out = bytearray(b"\x28\xb5\x2f\xfd")
    out.append(0x00)
    out.append((window_log - 10) << 3)
    flat = []
    for kind, data in blocks:
        if kind == "raw":
            for i in range(0, max(len(data), 1), 128 * 1024):
                flat.append((0, data[i:i + 128 * 1024]))
        else:
            byte, count = data
            while count > 0:
                n = min(count, 128 * 1024)
                flat.append((1, (byte, n)))
                count -= n
    for i, (t, d) in enumerate(flat):
        last = 1 if i == len(flat) - 1 else 0
        size = len(d) if t == 0 else d[1]
        out += struct.pack("<I", last | (t << 1) | (size << 3))[:3]
        out += d if t == 0 else bytes([d[0]])
    return bytes(out)


def _register_bombs():
    b = base()
    GIB = 1 << 30

    def zeros_tar_head(size):
        t = tinfo("zeros")
        t.size = size
        return t.tobuf(tarfile.GNU_FORMAT)

    def build_gzip(out):
        blob = gzip_zero_bomb(zeros_tar_head(GIB), 1024)
        p = b.with_layer1(out / "bomb-gzip.tar", blob, diff_id="sha256:" + "0" * 64)
        L1 = b.layer_names[1]
        return p, [verify_problems([problem("unreadable", 1, L1, "", "limit_exceeded", "ratio")], max_rss_mb=200),
                   err("ls", ["ls", "--layer", "1"], "limit_exceeded", [L1, "ratio"], max_rss_mb=200)]
    register("bomb-gzip", "layer 1 is a gzip stream (%s bytes) of a tar holding 1 GiB of zeros: the deflate "
             "maximum ratio, about 1030:1" % "~1 MiB",
             "Docker and containerd would decompress it all; layerkit's ratio cap (1000:1) stops it",
             build_gzip)

    def build_zstd(out):
        blob = zstd_frame([("raw", zeros_tar_head(4 * GIB)), ("rle", (0, 4 * GIB))])
        p = b.with_layer1(out / "bomb-zstd.tar", blob, diff_id="sha256:" + "0" * 64)
        L1 = b.layer_names[1]
        return p, [verify_problems([problem("unreadable", 1, L1, "", "limit_exceeded", "ratio")], max_rss_mb=200),
                   err("ls", ["ls", "--layer", "1"], "limit_exceeded", [L1, "ratio"], max_rss_mb=200)]
    register("bomb-zstd", "layer 1 is a zstd frame of RLE blocks (~130 KB) of a tar holding 4 GiB of zeros",
             "zstd -dc expands it to 4 GiB; layerkit's ratio cap stops it after a few MiB", build_zstd)

    def build_total(out):
        blob = gzip_zero_bomb(zeros_tar_head(8 << 20), 8)
        p = b.with_layer1(out / "bomb-total-bytes.tar", blob,
                          diff_id=sha256(gzip.decompress(blob)))
        L1 = b.layer_names[1]
        return p, [{"label": "binding", "binding": {"limits": {"layer_bytes": 1 << 20, "compression_ratio": 1000000}},
                    "problems": [problem("unreadable", 1, L1, "", "limit_exceeded", str(1 << 20))]},
                   {"label": "binding-default", "binding": {"limits": {"compression_ratio": 1000000}},
                    "problems": []}]
    register("bomb-total-bytes", "layer 1 decompresses to 9 MiB; opened through the Python binding with "
             "limits.layer_bytes = 1 MiB (the CLI has no option to change limits) and the ratio cap lifted",
             "containers/image has no such cap; layerkit's Limits.layer_bytes (default 1 TiB)", build_total)

    for wlog in (27, 31):
        def build(out, wlog=wlog):
            layer = b.layers[1]
            blob = zstd_frame([("raw", layer)], window_log=wlog)
            p = b.with_layer1(out / ("zstd-window-%d.tar" % wlog), blob, diff_id=b.diff_ids[1])
            L1 = b.layer_names[1]
            if wlog <= 27:
                # A 2^27 window is zstd's own default maximum: the decoder may
                # allocate it (128 MiB), but no more.
                return p, [ok_verify(max_rss_mb=200)]
            return p, [verify_problems([problem("unreadable", 1, L1, b.diff_ids[1], "")], max_rss_mb=100),
                       verify_problems([problem("unreadable", 1, L1, b.diff_ids[1], "")], label="verify-message",
                                       unreadable_message_any=["window", "memory"], bug=BUG_LAYER_MSG),
                       err("ls", ["ls", "--layer", "1"], "limit_exceeded", [L1], any_of=["window", "memory"],
                           bug=BUG_LS_BROKEN_TAR, max_rss_mb=100, partial_output=True)]
        register("zstd-window-%d" % wlog, "layer 1 is a zstd frame whose header asks for a 2^%d-byte window "
                 "(%s)" % (wlog, "the decoder's default maximum" if wlog == 27 else "2 GiB, as zstd --long=31"),
                 "zstd -dc: %s" % ("decodes it" if wlog == 27 else "'Frame requires too much memory for decoding' "
                                   "(use --long=31); klauspost/compress (containerd): ErrWindowSizeExceeded"),
                 build)

    def build_many_layer(out):
        empty = gzip.compress(b"", mtime=0)
        layer = b.layers[1]
        parts = [gzip.compress(layer[i:i + 512], mtime=0) for i in range(0, len(layer), 512)]
        per = 100000 // len(parts)
        blob = b"".join(empty * per + part for part in parts) + empty * (100000 - per * len(parts))
        p = b.with_layer1(out / "gzip-100k-members-layer.tar", blob, diff_id=b.diff_ids[1])
        (out / "gzip-100k-members-layer.layer.tar").write_bytes(layer)
        return p, [ok_verify(), {"label": "ls", "args": ["ls", "--json", "--layer", "1"], "rc": 0,
                                 "ls_like_python": {"layer": 1, "tar": "gzip-100k-members-layer.layer.tar"}}]
    register("gzip-100k-members-layer", "layer 1 is 100,000+ concatenated gzip members (most empty, the rest "
             "512-byte slices of the tar)", "gzip -d, Python gzip and Go's compress/gzip (multistream) read "
             "them all", build_many_layer)

    def build_many_outer(out):
        empty = gzip.compress(b"", mtime=0)
        parts = [gzip.compress(b.raw[i:i + 100], mtime=0) for i in range(0, len(b.raw), 100)]
        per = 100000 // len(parts)
        blob = b"".join(empty * per + part for part in parts) + empty * (100000 - per * len(parts))
        p = out / "gzip-100k-members-outer.tar.gz"
        p.write_bytes(blob)
        return p, [ok_verify(b.image_id)]
    register("gzip-100k-members-outer", "base.docker-archive.tar as 100,000+ concatenated gzip members",
             "gzip -dc | tar -t lists the 11 members", build_many_outer)


# ---------------------------------------------------------------------------
# 8. tar entries inside a layer


def _register_entries():
    b = base()
    L1 = b.layer_names[1]

    def listed(name, layer, what, peer, extra_checks=(), note=None):
        """layer 1 = `layer`; `ls --json` must list what Python's tarfile reads."""
        def build(out):
            p = b.with_layer1(out / ("tar-%s.tar" % name), layer)
            (out / ("tar-%s.layer.tar" % name)).write_bytes(layer)
            checks = [{"label": "ls", "args": ["ls", "--json", "--layer", "1"], "rc": 0,
                       "ls_like_python": {"layer": 1, "tar": "tar-%s.layer.tar" % name}}]
            v = ok_verify()
            if note:
                v["notes_contain"] = [L1, note]
            checks.append(v)
            return p, checks + list(extra_checks)
        register("tar-%s" % name, what, peer, build)

    def rejected(name, layer, what, peer, code, contains, bug, verify_bug=None):
        """layer 1 = `layer`, which no engine can extract: `ls` must fail with `code`;
        verify, whose digests all match, exits 0 and says in a Note that the layer
        is not a complete tar (the documented design: lib/verify.cpp, LayerScan::tar_ok)."""
        def build(out):
            p = b.with_layer1(out / ("tar-%s.tar" % name), layer)
            checks = [err("ls", ["ls", "--layer", "1"], code, [L1, *contains], bug=bug, partial_output=True)]
            v = ok_verify(label="verify-note")
            v["notes_contain"] = [L1, "not a complete tar"]
            if verify_bug:
                v["bug"] = verify_bug
            checks.append(v)
            return p, checks
        register("tar-%s" % name, what, peer, build)

    cap = bytes([1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff])
    special = tar_bytes([
        (tinfo("dev/", tarfile.DIRTYPE, 0o755), None),
        (tinfo("dev/null", tarfile.CHRTYPE, 0o666, devmajor=1, devminor=3), None),
        (tinfo("dev/sda", tarfile.BLKTYPE, 0o660, devmajor=8, devminor=0, gid=6, gname="disk"), None),
        (tinfo("dev/big", tarfile.CHRTYPE, 0o600, devmajor=4095, devminor=1048575), None),
        (tinfo("run/fifo", tarfile.FIFOTYPE, 0o644), None),
        (tinfo("usr/bin/su", tarfile.REGTYPE, 0o4755, uname="root"), b"#!/bin/sh\n"),
        (tinfo("usr/bin/wall", tarfile.REGTYPE, 0o2755, gid=5, gname="tty"), b"#!/bin/sh\n"),
        (tinfo("tmp/", tarfile.DIRTYPE, 0o1777), None),
        (tinfo("usr/bin/ping", tarfile.REGTYPE, 0o755, pax_headers={
            "SCHILY.xattr.security.capability": cap.decode("utf-8", "surrogateescape"),
            "SCHILY.xattr.user.comment": "h\u00e9llo"}), b"ping"),
        (tinfo("etc/motd", tarfile.REGTYPE, 0o644), b"first\n"),
        (tinfo("etc/motd", tarfile.REGTYPE, 0o600, uid=1000, gid=1000), b"second version\n"),
        (tinfo("etc/motd.hard", tarfile.LNKTYPE, 0o644, linkname="etc/motd"), None),
        (tinfo("etc/sym", tarfile.SYMTYPE, 0o777, linkname="../x"), None),
        (tinfo("etc/.wh.gone", tarfile.REGTYPE, 0o644), b""),
        (tinfo("opt/.wh..wh..opq", tarfile.REGTYPE, 0o644), b""),
    ])
    listed("special", special, "device nodes (c 1,3; b 8,0; c 4095,1048575), a FIFO, setuid/setgid/sticky modes, "
           "xattrs (a binary security.capability, a UTF-8 user.comment), the same path twice, a hard link, a "
           "symlink, whiteouts", "GNU tar -tv and Python tarfile list all of them; Docker applies them")

    # sparse files by GNU tar: old GNU 'S' entries and PAX 0.0 / 0.1 / 1.0
    for fmt, args in (("gnu", ["--format=gnu"]), ("pax-0.0", ["--format=posix", "--sparse-version=0.0"]),
                      ("pax-0.1", ["--format=posix", "--sparse-version=0.1"]),
                      ("pax-1.0", ["--format=posix", "--sparse-version=1.0"])):
        def build(out, fmt=fmt, args=args):
            if shutil.which("tar") is None:
                p = out / ("tar-sparse-%s.missing-tool" % fmt)
                p.write_bytes(b"")
                return p, [{"label": "ls", "skip": "needs GNU tar"}, {"label": "verify", "skip": "needs GNU tar"}]
            work = out / ("sparse-%s" % fmt)
            work.mkdir(exist_ok=True)
            f = work / "sparse.bin"
            with open(f, "wb") as fh:
                fh.truncate(4 << 20)
                fh.seek(1 << 20)
                fh.write(b"hello")
                fh.seek(3 << 20)
                fh.write(b"world")
            layer_path = out / ("tar-sparse-%s.layer.tar" % fmt)
            subprocess.run(["tar", "--sparse", *args, "--mtime=@%d" % MTIME, "--owner=0", "--group=0",
                            "--numeric-owner", "-C", str(work), "-cf", str(layer_path), "sparse.bin"], check=True)
            layer = layer_path.read_bytes()
            p = b.with_layer1(out / ("tar-sparse-%s.tar" % fmt), layer)
            with tarfile.open(layer_path) as tf:
                if not all(m.issparse() for m in tf.getmembers()):
                    why = "GNU tar made no sparse entry here (a filesystem without holes?)"
                    return p, [{"label": "ls", "skip": why}, {"label": "verify", "skip": why}]
            return p, [{"label": "ls", "args": ["ls", "--json", "--layer", "1"], "rc": 0,
                        "ls_like_python": {"layer": 1, "tar": layer_path.name}}, ok_verify()]
        register("tar-sparse-%s" % fmt, "a 4 MiB sparse file (two 5-byte islands) stored by GNU tar --sparse %s" %
                 " ".join(args), "GNU tar and Python tarfile restore the logical size", build)

    base_layer = tar_bytes([(tinfo("a.txt"), b"A" * 100), (tinfo("b.txt"), b"B" * 50)], tarfile.USTAR_FORMAT)

    listed("pax-size-wins", pax_header([pax_record(b"size", b"100")]) + ustar_entry("a.txt", 50, b"A" * 100) +
           ustar_entry("b.txt", 3, b"bbb") + END,
           "a PAX size=100 contradicting the ustar size 50 (the body is 100 bytes)",
           "POSIX pax: the extended header overrides the ustar field; GNU tar, Python and Go agree")
    listed("pax-size-duplicate", pax_header([pax_record(b"size", b"10"), pax_record(b"size", b"100")]) +
           ustar_entry("a.txt", 50, b"A" * 100) + ustar_entry("b.txt", 3, b"bbb") + END,
           "two PAX size records (10, then 100) for one entry", "the last record wins in GNU tar, Python and Go")
    listed("pax-path-wins", pax_header([pax_record(b"path", b"real/name.txt")]) +
           ustar_entry("ustar.txt", 3, b"aaa") + END, "a PAX path contradicting the ustar name",
           "POSIX pax: the extended header wins")
    listed("gnu-longname-512k", gnu_longname(b"d/" * (1 << 18) + b"f") + gnu_entry("short", b"aaa") + END,
           "a GNU long name of 512 KiB (under the 1 MiB that Go's archive/tar allows)",
           "GNU tar and Python list it")
    listed("pax-path-512k", pax_header([pax_record(b"path", b"p/" * (1 << 18) + b"f")]) +
           ustar_entry("a.txt", 3, b"aaa") + END, "a PAX path of 512 KiB", "GNU tar and Python list it")

    cut = b.layers[1]
    with tarfile.open(fileobj=io.BytesIO(cut)) as tf:
        members = tf.getmembers()
    boundary = members[-1].offset  # the last entry's header: a valid prefix without its end marker
    listed("layer-cut-at-header", cut[:boundary], "layer 1 cut where its last entry's header starts (no "
           "end-of-archive marker; config diff_id matches the cut bytes)",
           "GNU tar, Python tarfile and Go's archive/tar read it as a shorter, valid tar; so does layerkit, "
           "noting the missing end-of-archive marker in verify",
           note="end-of-archive marker")
    mid = members[-1].offset_data + max(1, members[-1].size // 2)
    rejected("layer-cut-in-body", cut[:mid], "layer 1 cut in the middle of its last file's body (config diff_id "
             "matches the cut bytes)", "GNU tar -t: 'Unexpected EOF in archive' (exit 2); Go archive/tar: "
             "unexpected EOF (docker load fails)", "truncated", [members[-1].name], BUG_LS_BROKEN_TAR)

    h = base_layer[:512]
    rejected("size-octal-8g", with_size_field(h, b"77777777777\0") + base_layer[512:],
             "an entry whose ustar size is 8 GiB - 1 (octal 77777777777) in a 2.5 KiB layer",
             "GNU tar: 'Unexpected EOF in archive'; Python: 'unexpected end of data'; Go: 'unexpected EOF'",
             "truncated", ["a.txt"], BUG_LS_BROKEN_TAR)
    rejected("size-base256-2p62", with_size_field(h, b"\x80" + (1 << 62).to_bytes(11, "big")) + base_layer[512:],
             "an entry whose size is 2^62 in base-256 (GNU binary) encoding",
             "GNU tar: 'Unexpected EOF in archive'; Python: 'unexpected end of data'", "truncated", ["a.txt"],
             BUG_LS_BROKEN_TAR)
    rejected("size-base256-negative", with_size_field(h, b"\xff" * 12) + base_layer[512:],
             "an entry whose size is -1 in base-256 encoding",
             "GNU tar: 'Archive value -1 is out of off_t range'; Go archive/tar: 'archive/tar: invalid tar "
             "header'", "malformed",
             ["at the first entry"], BUG_LS_BROKEN_TAR)
    rejected("pax-size-negative", pax_header([pax_record(b"size", b"-5")]) + ustar_entry("a.txt", 3, b"aaa") + END,
             "a PAX size=-5", "GNU tar: 'Extended header size=-5 is out of range'; Go: 'archive/tar: invalid tar "
             "header'", "malformed",
             ["at the first entry"], BUG_LS_BROKEN_TAR)
    rejected("pax-size-overflow", pax_header([pax_record(b"size", b"99999999999999999999999")]) +
             ustar_entry("a.txt", 3, b"aaa") + END, "a PAX size of 10^23",
             "GNU tar: 'out of range'; Go: 'archive/tar: invalid tar header'", "malformed", ["at the first entry"],
             BUG_LS_BROKEN_TAR)
    rejected("pax-record-16mib", pax_header([pax_record(b"comment", b"x" * (16 << 20))]) +
             ustar_entry("a.txt", 3, b"aaa") + END, "a PAX extended header of 16 MiB (one comment record)",
             "Go archive/tar: 'archive/tar: header field too long' (PAX headers are capped at 1 MiB); GNU tar "
             "and Python read it",
             "limit_exceeded", [], BUG_LS_BROKEN_TAR)
    rejected("pax-path-1mib", pax_header([pax_record(b"path", b"p/" * (1 << 19) + b"f")]) +
             ustar_entry("a.txt", 3, b"aaa") + END, "a PAX path over 1 MiB",
             "Go archive/tar: 'archive/tar: header field too long'", "limit_exceeded", [], BUG_LS_BROKEN_TAR)
    rejected("gnu-longname-1mib", gnu_longname(b"d/" * (1 << 19) + b"f") + gnu_entry("short", b"aaa") + END,
             "a GNU long name over 1 MiB", "Go archive/tar: 'archive/tar: header field too long'; GNU tar and "
             "Python list it",
             "limit_exceeded", [], BUG_LS_BROKEN_TAR)
    rejected("gnu-longname-4mib", gnu_longname(b"a" * (4 << 20)) + gnu_entry("short", b"aaa") + END,
             "a GNU long name of 4 MiB", "Go archive/tar: 'archive/tar: header field too long'", "limit_exceeded",
             [], BUG_LS_BROKEN_TAR)
    rejected("gnu-longlink-1mib", gnu_longname(b"t/" * (1 << 19) + b"x", tarfile.GNUTYPE_LONGLINK) +
             gnu_entry("sym", b"", tarfile.SYMTYPE, "short") + END, "a GNU long link target over 1 MiB",
             "Go archive/tar: 'archive/tar: header field too long'", "limit_exceeded", [], BUG_LS_BROKEN_TAR)
    # layerkit reads tar with libarchive, by policy (no tar parser of its own):
    # libarchive, like bsdtar, reads the leading digits of a PAX size and skips a
    # record whose length runs past its header. GNU tar and Go reject both.
    def lenient(name, layer, what, peer):
        def build(out):
            p = b.with_layer1(out / ("tar-%s.tar" % name), layer)
            return p, [{"label": "ls", "args": ["ls", "--layer", "1"], "rc": 0}, ok_verify(label="verify")]
        register("tar-%s" % name, what, peer, build)

    lenient("pax-size-garbage", pax_header([pax_record(b"size", b"12abc")]) + ustar_entry("a.txt", 3, b"aaa") + END,
            "a PAX size=12abc",
            "bsdtar -tv (libarchive): lists a.txt, size 12; GNU tar: 'Malformed extended header: invalid "
            "size=12abc'; Go: 'archive/tar: invalid tar header'")
    lenient("pax-bad-record-length", pax_header([b"999999 path=x\n"]) + ustar_entry("a.txt", 3, b"aaa") + END,
            "a PAX record whose length field (999999) runs past its header",
            "bsdtar -tv (libarchive): lists a.txt; GNU tar: 'Extended header length ... is out of range'; "
            "Go: 'archive/tar: invalid tar header'")


# ---------------------------------------------------------------------------


_registered = False


def _register_all():
    global _registered
    if _registered:
        return
    _registered = True
    _register_truncation()
    for name, what, peer, fn in _DECORATED:
        register(name, what, peer, fn)
    _register_sizes()
    _register_json()
    _register_digests()
    _register_paths()
    _register_counts()
    _register_bombs()
    _register_entries()


def summary(check):
    """One line: the expected outcome of one check."""
    what = " ".join(check.get("args", [])) or "python binding verify, limits %s" % check["binding"]["limits"]
    if check.get("code"):
        s = "exit %d [%s]" % (check["rc"], check["code"])
        names = check.get("err_contains", []) + (["one of %s" % check["err_contains_any"]]
                                                 if check.get("err_contains_any") else [])
        if names:
            s += ", message names %s" % ", ".join(n[:70] for n in names)
    elif "problems" in check:
        if check["problems"]:
            s = ("" if "binding" in check else "exit 1, ") + "problems " + "; ".join(
                "%s (layer %s, %s, expected %s, actual %s)" % (p["Kind"], "-" if p["Layer"] is None else p["Layer"],
                                                               p["Member"][:40] or '""',
                                                               (p["Expected"] or '""')[:24],
                                                               (p["Actual"] or '""')[:24])
                for p in check["problems"])
        else:
            s = "no problems" if "binding" in check else "exit 0, no problems"
        if check.get("image_id"):
            s += ", image ID %s" % check["image_id"][:19]
        if check.get("notes_contain"):
            s += ", a note saying %r" % check["notes_contain"][-1]
    elif "ls_like_python" in check:
        s = "exit 0, entries as Python's tarfile reads them"
    else:
        s = "exit %d" % check["rc"]
        if "json_equals" in check:
            s += ", prints %s" % json.dumps(check["json_equals"])
        if "json_at" in check:
            s += ", %s = %s" % tuple(json.dumps(x) for x in check["json_at"])
    if check.get("max_rss_mb"):
        s += ", peak RSS < %d MB" % check["max_rss_mb"]
    if check.get("bug"):
        s += " [xfail: %s]" % check["bug"]
    return "%s: %s" % (what, s)


def case_names():
    _register_all()
    return [c["name"] for c in CASES]


def build_case(c, outdir):
    outdir = pathlib.Path(outdir)
    path, checks = c["build"](outdir)
    rel = os.path.relpath(path, outdir)
    return {"name": c["name"], "what": c["what"], "file": rel, "peer": c["peer"],
            "expected": [summary(ch) for ch in checks], "checks": checks}


def build_all(outdir):
    """Writes every case into outdir and outdir/cases.json; returns the list."""
    _register_all()
    outdir = pathlib.Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    entries = [build_case(c, outdir) for c in CASES]
    (outdir / "cases.json").write_text(json.dumps(entries, indent=1) + "\n")
    return entries


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) == 2 else 2
    entries = build_all(argv[1])
    print("%d cases written to %s (cases.json lists them)" % (len(entries), argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
