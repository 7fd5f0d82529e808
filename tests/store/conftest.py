"""Shared fixtures for the `layerkit store` tests.

LAYERKIT_CLI is the built `layerkit` binary (set by meson). The shared corpus
is $LAYERKIT_CORPUS or ../shared/corpus beside the source tree; the large
images are $LAYERKIT_LARGE (the folder make-large.sh writes: archives/,
expected/). Tests needing either skip, saying so, when it is absent.

Every value a test asserts comes from outside layerkit: the corpus's expected
JSON (made by skopeo, podman, sha256sum, tar), skopeo and umoci, or Python's
own hashlib / tarfile (tests/cli/lkutil.py).
"""
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
SOURCE_DIR = pathlib.Path(os.environ.get("LAYERKIT_SOURCE_DIR", HERE.parents[1]))
CLI = os.environ.get("LAYERKIT_CLI", str(SOURCE_DIR / "build" / "examples" / "layerkit"))

sys.path.insert(0, str(SOURCE_DIR / "tests" / "cli"))
import lkutil  # noqa: E402  (the oracles shared with the CLI tests)

SMALL = ("base", "runtime", "app")


def corpus_dir():
    env = os.environ.get("LAYERKIT_CORPUS")
    p = pathlib.Path(env) if env else SOURCE_DIR.parent / "shared" / "corpus"
    return p if (p / "expected").is_dir() else None


def large_dir():
    env = os.environ.get("LAYERKIT_LARGE")
    if not env:
        return None
    p = pathlib.Path(env)
    return p if (p / "archives").is_dir() and (p / "expected").is_dir() else None


@pytest.fixture
def corpus():
    p = corpus_dir()
    if p is None:
        pytest.skip("needs the shared corpus (../shared/corpus or $LAYERKIT_CORPUS)")
    return p


@pytest.fixture
def large():
    p = large_dir()
    if p is None:
        pytest.skip("needs the large images: set $LAYERKIT_LARGE to the folder make-large.sh wrote")
    return p


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)

    def lines(self):
        return self.out.splitlines()

    def __repr__(self):
        return "rc=%d\nstdout:\n%s\nstderr:\n%s" % (self.rc, self.out, self.err)


def run(*args, env=None, timeout=600, prefix=()):
    e = dict(os.environ)
    e["TZ"] = "UTC"
    e.pop("LAYERKIT_STORE_CRASH_AT", None)
    if env:
        e.update(env)
    proc = subprocess.run([*prefix, CLI, *map(str, args)], capture_output=True, text=True, env=e, timeout=timeout)
    return Result(proc)


@pytest.fixture
def lk():
    return run


def store_cmd(store, *args, **kw):
    """`layerkit store SUB --store STORE ARGS...`"""
    sub, *rest = args
    return run("store", sub, "--store", store, *rest, **kw)


@pytest.fixture
def st(tmp_path):
    """A fresh store path and a runner bound to it: st.run("load", archive)."""

    class S:
        path = tmp_path / "store"

        def run(self, *args, **kw):
            return store_cmd(self.path, *args, **kw)

        def ok(self, *args, **kw):
            r = store_cmd(self.path, *args, **kw)
            assert r.rc == 0, r
            return r

    return S()


def small(corpus, name, fmt="podman.docker-archive"):
    """(expected dict, archive path) of a small corpus archive."""
    d = json.loads((corpus / "expected" / ("%s.%s.json" % (name, fmt))).read_text())
    return d, corpus / d["path"]


def large_archive(large, name, fmt="podman.docker-archive"):
    d = json.loads((large / "expected" / ("large.%s.%s.json" % (name, fmt))).read_text())
    return d, large / d["path"]


# ---------------------------------------------------------------------------
# Reading a store with Python only


def sha256_file(p):
    return lkutil.sha256_file(p)


def snapshot(root):
    """{relative path: sha256 of the file} for every file under root."""
    root = pathlib.Path(root)
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            out[p.relative_to(root).as_posix()] = sha256_file(p)
        elif p.is_dir():
            out[p.relative_to(root).as_posix() + "/"] = None
    return out


class PyStore:
    """An OCI layout read with json + hashlib."""

    def __init__(self, root):
        self.root = pathlib.Path(root)
        self.index = json.loads((self.root / "index.json").read_text())

    def blob_path(self, digest):
        alg, hexd = digest.split(":")
        return self.root / "blobs" / alg / hexd

    def blob(self, digest):
        data = self.blob_path(digest).read_bytes()
        assert lkutil.sha256(data) == digest, "blob %s does not hash to its name" % digest
        return data

    def entries(self):
        return self.index.get("manifests") or []

    def refs(self):
        return [(e.get("annotations") or {}).get("org.opencontainers.image.ref.name") for e in self.entries()]

    def entry(self, ref):
        hits = [e for e in self.entries() if (e.get("annotations") or {}).get("org.opencontainers.image.ref.name") == ref]
        assert len(hits) == 1, (ref, self.entries())
        return hits[0]

    def manifest(self, ref_or_desc):
        e = self.entry(ref_or_desc) if isinstance(ref_or_desc, str) else ref_or_desc
        return json.loads(self.blob(e["digest"]))

    def config(self, manifest):
        return json.loads(self.blob(manifest["config"]["digest"]))

    def layer_size(self, digest, _cache={}):
        """Docker's layer size from the blob (tarfile), cached per blob path."""
        p = self.blob_path(digest)
        key = (str(p), p.stat().st_mtime_ns)
        if key not in _cache:
            _cache[key] = lkutil.docker_layer_size(lkutil.decompress(p.read_bytes()))
        return _cache[key]

    def all_blobs(self):
        out = {}
        for alg in (self.root / "blobs").iterdir():
            for f in alg.iterdir():
                out[alg.name + ":" + f.name] = f.stat().st_size
        return out


def skopeo():
    if shutil.which("skopeo") is None:
        pytest.skip("needs skopeo")
    return "skopeo"


def sh(*cmd, check=True, **kw):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s\n%s" % (cmd, p.returncode, p.stdout, p.stderr))
    return p


def docker_load_lines(expected_image, existing=()):
    """The lines `layerkit store load` prints for one image, as docker load does:
    per layer '<diff_id 12 hex>: Loading layer  <size>' or ': Already exists'."""
    lines = []
    for i, l in enumerate(expected_image["layers"]):
        hexd = l["diff_id"].split(":")[1][:12]
        if i in existing:
            lines.append("%s: Already exists" % hexd)
        else:
            lines.append("%s: Loading layer  %s" % (hexd, lkutil.human_size(l["size"])))
    return lines
