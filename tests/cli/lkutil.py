"""Independent re-implementations used as oracles by the CLI tests.

Nothing here calls layerkit. Everything is Python's standard library
(tarfile, json, hashlib, gzip, lzma, bz2) or a peer command-line tool (zstd),
following the public specs and the Go code the docker CLI runs:

* OCI image-spec config.md (ChainID), image-layout.md, image-index.md;
* docker/go-units size.go (HumanSizeWithPrecision) and duration.go
  (HumanDuration);
* docker/cli formatter/displayutils.go (Ellipsis), formatter.go (tables are
  text/tabwriter with minwidth 10, tabwidth 1, padding 3, padchar ' ');
* moby pkg/directory (Docker's layer size: apparent bytes of the extracted
  layer, a symlink counting its target's length, hard links counted once,
  directories 0).
"""
import bz2
import calendar
import datetime
import gzip
import hashlib
import io
import json
import lzma
import os
import pathlib
import posixpath
import re
import shutil
import subprocess
import tarfile
import unicodedata

# ---------------------------------------------------------------------------
# digests, compression


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


def compress_file(src, dst, tool):
    """Compresses a file as a whole with a peer CLI: gzip, zstd, xz or bzip2."""
    cmd = {"gzip": ["gzip", "-n", "-c"], "zstd": ["zstd", "-q", "-c"], "xz": ["xz", "-c"], "bzip2": ["bzip2", "-c"]}[tool]
    with open(src, "rb") as i, open(dst, "wb") as o:
        subprocess.run(cmd, stdin=i, stdout=o, check=True)
    return dst


# ---------------------------------------------------------------------------
# Docker's layer size (moby pkg/directory over the extracted layer)


def _norm(name: str) -> str:
    name = name.lstrip("/")
    while name.startswith("./"):
        name = name[2:]
    name = posixpath.normpath(name) if name else "."
    return name


def docker_layer_size(tar_stream: bytes) -> int:
    """Sum over the layer's entries (the last entry of a path wins):
    regular file -> its size, symlink -> len(target), hard link -> 0,
    directory / device / fifo -> 0."""
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
    """OCI config.md: ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))."""
    out = []
    for d in diff_ids:
        out.append(d if not out else sha256((out[-1] + " " + d).encode()))
    return out


# ---------------------------------------------------------------------------
# go-units and docker/cli text


def human_size(size) -> str:
    """go-units HumanSizeWithPrecision(size, 3): decimal units, %.3g."""
    units = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
    size = float(size)
    i = 0
    while size >= 1000.0 and i < len(units) - 1:
        size /= 1000.0
        i += 1
    return "%.3g%s" % (size, units[i])


def human_duration(seconds: float) -> str:
    """go-units HumanDuration as the docker CLI vendors it today
    (docker/cli vendor/github.com/docker/go-units/duration.go): seconds and
    minutes truncate; hours, days, weeks, months and years round to the nearest
    unit with roundDuration(d, unit) = int(d/unit + 0.5)."""
    def rnd(unit):
        return int(seconds / unit + 0.5)
    if int(seconds) < 1:
        return "Less than a second"
    if int(seconds) == 1:
        return "1 second"
    if int(seconds) < 60:
        return "%d seconds" % int(seconds)
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return "%d minutes" % minutes
    hours = rnd(3600)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return "%d hours" % hours
    day = 86400
    if seconds < 14 * day:
        return "%d days" % rnd(day)
    if seconds < 60 * day:
        return "%d weeks" % rnd(7 * day)
    if seconds < 730 * day:
        return "%d months" % rnd(30 * day)
    return "%d years" % rnd(365 * day)


_RFC3339 = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def parse_rfc3339(s: str):
    """Unix seconds (fraction dropped, as Go's Time.Unix()), or None."""
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


def go_rfc3339_utc(unix: int) -> str:
    """Go time.Unix(unix, 0).UTC().Format(time.RFC3339)."""
    dt = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=unix)
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second)


def history_created_since(unix, now) -> str:
    """docker history CREATED (human): N/A up to 2000-01-01, else HumanDuration + ' ago'."""
    if unix is None or unix <= 946684800:
        return "N/A"
    return human_duration(now - unix) + " ago"


def char_width_ellipsis(ch) -> int:
    """golang.org/x/text/width: W and F are 2 columns, everything else 1."""
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def ellipsis(s: str, max_width: int) -> str:
    """docker/cli formatter.Ellipsis."""
    if max_width <= 0:
        return ""
    if max_width == 1:
        return s[:1]
    if len(s.encode()) == len(s):
        return s if len(s) <= max_width else s[: max_width - 1] + "\u2026"
    widths = []
    total = 0
    for ch in s:
        total += char_width_ellipsis(ch)
        widths.append(total)
    if total <= max_width:
        return s
    for i in range(len(widths) - 1):
        if widths[i] <= max_width - 1 and widths[i + 1] > max_width - 1:
            return s[: i + 1] + "\u2026"
    return s


def cell_width(s: str) -> int:
    """go-runewidth (non-CJK): combining marks and controls 0, W/F 2, others 1."""
    w = 0
    for ch in s:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Cc", "Cf", "Mn", "Me"):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


def tabwriter(rows, minwidth=10, padding=3) -> str:
    """Go text/tabwriter (flags 0, padchar ' ') fed the way docker's table
    formatter feeds it: each row is its cells joined by tabs plus a newline.
    A tab or newline inside a cell therefore splits it, as in docker. Port of
    Writer.format / writeLines: the last cell of a line is never padded; a
    column's width is max(minwidth, widest cell + padding) over each block of
    consecutive lines that have that column."""
    text = "".join("\t".join(r) + "\n" for r in rows)
    lines = [l.split("\t") for l in text.split("\n")]
    # text ends with a newline: the final (empty) line holds one empty cell
    out = []
    widths = []

    def write_lines(l0, l1):
        for i in range(l0, l1):
            line = lines[i]
            s = ""
            for j, c in enumerate(line):
                s += c
                if j < len(widths):
                    s += " " * (widths[j] - cell_width(c))
            out.append(s + ("\n" if i + 1 < len(lines) else ""))

    def fmt(l0, l1):
        column = len(widths)
        this = l0
        while this < l1:
            line = lines[this]
            if column >= len(line) - 1:
                this += 1
                continue
            write_lines(l0, this)
            l0 = this
            width = minwidth
            while this < l1:
                line = lines[this]
                if column >= len(line) - 1:
                    break
                width = max(width, cell_width(line[column]) + padding)
                this += 1
            widths.append(width)
            fmt(l0, this)
            widths.pop()
            l0 = this
        write_lines(l0, l1)

    fmt(0, len(lines))
    return "".join(out)


def split_columns(header: str, line: str, names):
    """Cuts a table line at the display columns where `names` start in the header."""
    starts = [header.index(n) for n in names]
    # header is ASCII: index == display column
    cells = []
    chars = list(line)
    col = 0
    pos = []
    for ch in chars:
        pos.append(col)
        col += cell_width(ch)
    pos.append(col)

    def cut(a, b):
        return "".join(ch for ch, p in zip(chars, pos) if p >= a and (b is None or p < b))

    for i, a in enumerate(starts):
        b = starts[i + 1] if i + 1 < len(starts) else None
        cells.append(cut(a, b).rstrip(" "))
    return cells


# ---------------------------------------------------------------------------
# reading archives independently (tarfile / os / json)


class Members:
    """Random access to the members of a tar (optionally compressed as a whole)
    or of a directory, resolving tar symlinks the way a reader must."""

    def __init__(self, path):
        self.path = pathlib.Path(path)
        self.files = {}
        self.links = {}
        if self.path.is_dir():
            for p in self.path.rglob("*"):
                if p.is_file():
                    self.files[p.relative_to(self.path).as_posix()] = None
        else:
            raw = decompress(self.path.read_bytes())
            with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tf:
                for m in tf:
                    name = _norm(m.name)
                    if m.isreg():
                        self.files[name] = tf.extractfile(m).read()
                    elif m.issym():
                        self.links[name] = posixpath.normpath(posixpath.join(posixpath.dirname(name), m.linkname))
                    elif m.islnk():
                        self.links[name] = _norm(m.linkname)

    def names(self):
        return sorted(set(self.files) | set(self.links))

    def has(self, name):
        name = _norm(name)
        for _ in range(10):
            if name in self.files:
                return True
            if name not in self.links:
                return False
            name = self.links[name]
        return False

    def read(self, name) -> bytes:
        name = _norm(name)
        for _ in range(10):
            if name in self.files:
                data = self.files[name]
                return (self.path / name).read_bytes() if data is None else data
            name = self.links[name]
        raise KeyError(name)


class PyImage:
    """One image as Python reads it from the archive."""

    def __init__(self, tags, config_bytes, layer_blobs, config_digest=None, manifest=None):
        self.tags = tags
        self.config_bytes = config_bytes
        self.config = json.loads(config_bytes)
        self.id = config_digest or sha256(config_bytes)
        self._blobs = layer_blobs  # callables returning the blob bytes
        self.manifest = manifest

    def blob(self, i) -> bytes:
        return self._blobs[i]()

    @property
    def layer_count(self):
        return len(self._blobs)

    @property
    def diff_ids(self):
        return self.config["rootfs"]["diff_ids"]

    @property
    def history(self):
        return self.config.get("history", [])

    def layer_sizes(self):
        """Docker's size of each layer, from the blobs."""
        return [docker_layer_size(decompress(self.blob(i))) for i in range(self.layer_count)]


def read_images(path):
    """Every image of a docker-archive, OCI layout/archive or docker-dir, in
    archive order (manifest.json order, or index.json order)."""
    m = Members(path)
    out = []
    if m.has("manifest.json"):
        mj = json.loads(m.read("manifest.json"))
        if isinstance(mj, dict):  # docker-dir: a registry manifest; blobs named by hex
            cfg = m.read(mj["config"]["digest"].split(":")[1])
            blobs = [lambda d=l["digest"]: m.read(d.split(":")[1]) for l in mj["layers"]]
            return [PyImage([], cfg, blobs, mj["config"]["digest"], mj)]
        for e in mj:
            cfg = m.read(e["Config"])
            blobs = [lambda p=p: m.read(p) for p in e["Layers"]]
            out.append(PyImage(e.get("RepoTags") or [], cfg, blobs))
        return out
    index = json.loads(m.read("index.json"))

    def blob(d):
        alg, hexd = d.split(":")
        return m.read("blobs/%s/%s" % (alg, hexd))

    def walk(idx):
        for desc in idx["manifests"]:
            mt = desc.get("mediaType", "")
            body = json.loads(blob(desc["digest"]))
            if "manifests" in body:
                walk(body)
                continue
            ref = (desc.get("annotations") or {}).get("org.opencontainers.image.ref.name")
            cfg = blob(body["config"]["digest"])
            blobs = [lambda d=l["digest"]: blob(d) for l in body["layers"]]
            out.append(PyImage([ref] if ref else [], cfg, blobs, body["config"]["digest"], body))

    walk(index)
    return out


# ---------------------------------------------------------------------------
# building fixtures


def tar_bytes(entries, fmt=tarfile.PAX_FORMAT) -> bytes:
    """entries: list of (name, bytes) for files, or (name, TarInfo-kwargs dict)
    with 'type' in {'dir','sym','lnk'} and 'linkname'."""
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=fmt) as tf:
        for name, spec in entries:
            ti = tarfile.TarInfo(name)
            ti.mtime = 1704067200
            if isinstance(spec, (bytes, bytearray)):
                ti.size = len(spec)
                ti.mode = 0o644
                tf.addfile(ti, io.BytesIO(spec))
                continue
            t = spec["type"]
            if t == "dir":
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
            elif t == "sym":
                ti.type = tarfile.SYMTYPE
                ti.linkname = spec["linkname"]
                ti.mode = 0o777
            elif t == "lnk":
                ti.type = tarfile.LNKTYPE
                ti.linkname = spec["linkname"]
            elif t == "fifo":
                ti.type = tarfile.FIFOTYPE
            tf.addfile(ti)
    return bio.getvalue()


def jdump(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def make_config(diff_ids, history=None, arch="amd64", os_="linux", variant=None, created="2024-01-01T00:00:00Z",
                config=None):
    cfg = {
        "created": created,
        "architecture": arch,
        "os": os_,
        "config": config if config is not None else {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
        "history": history
        if history is not None
        else [{"created": created, "created_by": "layer %d" % i} for i in range(len(diff_ids))],
    }
    if variant:
        cfg["variant"] = variant
    return cfg


def write_docker_archive(path, images, extra_members=(), layer_name=lambda d: d.split(":")[1] + ".tar"):
    """images: list of dicts {tags, layers: [tar bytes], config (dict or bytes, optional), history}.
    Writes a podman-style docker-archive; returns [(config_digest, [layer digests])]."""
    members = {}
    manifest = []
    info = []
    for img in images:
        layers = img["layers"]
        diff_ids = [sha256(decompress(b)) for b in layers]
        cfg = img.get("config")
        if cfg is None:
            cfg = make_config(diff_ids, img.get("history"), created=img.get("created", "2024-01-01T00:00:00Z"))
        cfg_bytes = cfg if isinstance(cfg, bytes) else jdump(cfg)
        cfg_name = hashlib.sha256(cfg_bytes).hexdigest() + ".json"
        members[cfg_name] = cfg_bytes
        names = []
        for b in layers:
            n = layer_name(sha256(b))
            members[n] = b
            names.append(n)
        manifest.append({"Config": cfg_name, "RepoTags": img.get("tags", []), "Layers": names})
        info.append((sha256(cfg_bytes), [sha256(b) for b in layers]))
    entries = [(n, b) for n, b in members.items()]
    entries += list(extra_members)
    entries.append(("manifest.json", jdump(manifest)))
    pathlib.Path(path).write_bytes(tar_bytes(entries))
    return info


class OciLayout:
    """Writes an OCI image layout directory blob by blob."""

    def __init__(self, root):
        self.root = pathlib.Path(root)
        (self.root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (self.root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')

    def blob(self, data: bytes, media_type: str, **extra):
        d = sha256(data)
        (self.root / "blobs" / "sha256" / d.split(":")[1]).write_bytes(data)
        desc = {"mediaType": media_type, "digest": d, "size": len(data)}
        desc.update(extra)
        return desc

    def image(self, layers, config=None, gzip_layers=True, history=None, **cfg_kw):
        """Writes layers, config, manifest; returns (manifest descriptor, config digest, layer descriptors)."""
        descs = []
        diff_ids = []
        for tb in layers:
            diff_ids.append(sha256(tb))
            if gzip_layers:
                descs.append(self.blob(gzip.compress(tb, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip"))
            else:
                descs.append(self.blob(tb, "application/vnd.oci.image.layer.v1.tar"))
        cfg = config if config is not None else make_config(diff_ids, history, **cfg_kw)
        cfg_bytes = cfg if isinstance(cfg, bytes) else jdump(cfg)
        cdesc = self.blob(cfg_bytes, "application/vnd.oci.image.config.v1+json")
        man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": cdesc,
               "layers": descs}
        mdesc = self.blob(jdump(man), "application/vnd.oci.image.manifest.v1+json")
        return mdesc, cdesc["digest"], descs

    def index(self, manifests, name="index.json"):
        idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests}
        data = jdump(idx)
        if name:
            (self.root / name).write_bytes(data)
        return data


def tar_dir(src, dst, dot_prefix=False):
    """An oci-archive of a layout directory: GNU tar, members 'blobs/...' or './blobs/...'."""
    if dot_prefix:
        subprocess.run(["tar", "-C", str(src), "-cf", str(dst), "."], check=True)
    else:
        names = sorted(os.listdir(src))
        subprocess.run(["tar", "-C", str(src), "-cf", str(dst), *names], check=True)
    return dst


def copytree(src, dst):
    shutil.copytree(src, dst)
    for p in pathlib.Path(dst).rglob("*"):
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    os.chmod(dst, 0o755)
    return pathlib.Path(dst)


def sanitized_build(build_dir):
    """Whether the meson build in build_dir is instrumented (b_sanitize): its
    library then cannot be loaded into a plain Python or Go process."""
    info = pathlib.Path(build_dir) / "meson-info" / "intro-buildoptions.json"
    if not info.exists():
        return False
    opts = json.loads(info.read_text())
    return any(o["name"] == "b_sanitize" and o["value"] not in ("none", []) for o in opts)
