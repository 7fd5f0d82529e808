"""Bad input: a hostile or corrupt archive changes nothing in the store and
gives the core's specific error; a damaged store (corrupt or missing blob,
truncated index.json, stray files) is reported by verify and never silently
used; a read-only store gives a clear error."""
import gzip
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import CLI, PyStore, lkutil, small, snapshot, store_cmd

HOSTILE = [
    # (file, the core's error code, words the message must hold)
    ("base.flipped-byte.docker-archive.tar", "digest_mismatch", ["614da0c96ae9", "hashes to", "nothing was loaded"]),
    ("base.truncated.docker-archive.tar", "truncated", ["614da0c96ae9"]),
    ("app.truncated.docker-archive.tar.gz", "truncated", []),
]


@pytest.fixture
def loaded(corpus, st):
    """A store holding the app of the OCI archive (gzip blobs: none of the
    podman docker-archives' blobs), so every hostile archive has work to do."""
    st.ok("load", "-q", small(corpus, "app", "podman.oci-archive")[1])
    return st


@pytest.mark.parametrize("name,code,words", HOSTILE)
def test_hostile_archive_changes_nothing(corpus, loaded, name, code, words):
    before = snapshot(loaded.path)
    r = loaded.run("load", corpus / "hostile" / name)
    assert r.rc == 2, r
    assert r.err.rstrip().endswith("[%s]" % code), r.err
    for w in words:
        assert w in r.err
    assert snapshot(loaded.path) == before


@pytest.mark.parametrize("sub", [["load", "ARCHIVE"], ["plan", "ARCHIVE"],
                                 ["save", "-o", "OUT", "--missing-from", "ARCHIVE", "localhost/corpus/app:1.0"]])
def test_limit_applies_to_the_archive(corpus, loaded, tmp_path, sub):
    """--limit reaches the archive a store command opens: its index.json is
    deeper than 1 level, so the open fails with the core's error."""
    archive = small(corpus, "app", "podman.oci-archive")[1]
    out = tmp_path / "out.tar"
    args = [str(out) if a == "OUT" else str(archive) if a == "ARCHIVE" else a for a in sub]
    before = snapshot(loaded.path)
    r = loaded.run(*args, "--limit", "json_depth=1")
    assert r.rc == 2, r
    assert r.err.rstrip().endswith("[limit_exceeded]") and "nesting" in r.err, r
    assert snapshot(loaded.path) == before
    assert not out.exists()
    # a later --limit wins: with the default depth it works
    loaded.ok(*args, "--limit", "json_depth=1", "--limit=json_depth=64")


@pytest.mark.parametrize("value,words", [("bogus=1", 'unknown limit "bogus"'), ("json_depth", "NAME=VALUE"),
                                         ("json_depth=x", "with a number"), ("json_depth=0", "out of range")])
def test_bad_limit_is_a_usage_error(corpus, loaded, value, words):
    before = snapshot(loaded.path)
    r = loaded.run("load", "--limit", value, small(corpus, "app", "podman.oci-archive")[1])
    assert r.rc == 2 and r.err.rstrip().endswith("[usage]") and words in r.err, r
    assert snapshot(loaded.path) == before


def test_missing_layer(corpus, loaded, tmp_path):
    """A layer absent from the archive fails the load into a store that lacks
    it; a store holding that layer's chain_id (here in gzip, from the OCI
    archive) takes it, as `docker load` does (it looks the chain_id up before
    it opens the layer file), which is what makes thin archives work."""
    hostile = corpus / "hostile" / "base.missing-layer.docker-archive.tar"
    fresh = tmp_path / "fresh"
    r = store_cmd(fresh, "load", hostile)
    assert r.rc == 2 and r.err.rstrip().endswith("[not_found]"), r
    assert "3268b8d04ee8" in r.err and "absent from the archive" in r.err
    assert not (fresh / "blobs").exists() or not any(p.is_file() for p in (fresh / "blobs").rglob("*"))
    r = loaded.run("load", hostile)
    assert r.rc == 0, r
    assert "3268b8d04ee8: Already exists" in r.out
    assert loaded.run("verify").rc == 0


def test_hostile_archive_into_a_new_store(corpus, st):
    r = st.run("load", corpus / "hostile" / "base.flipped-byte.docker-archive.tar")
    assert r.rc == 2 and "[digest_mismatch]" in r.err
    # at most an empty store was created: no blob, no reference
    assert not (st.path / "blobs").exists() or not any((st.path / "blobs").rglob("*"))
    if (st.path / "index.json").exists():
        assert PyStore(st.path).entries() == []


def write_oci(root, images):
    """images: list of (ref, [layer tar bytes], corrupt_layer_index or None)."""
    lay = lkutil.OciLayout(root)
    descs = []
    for ref, layers, bad in images:
        mdesc, _, ldescs = lay.image(layers)
        if bad is not None:  # same size, one byte flipped
            p = root / "blobs" / "sha256" / ldescs[bad]["digest"].split(":")[1]
            data = bytearray(p.read_bytes())
            data[len(data) // 2] ^= 0xFF
            p.write_bytes(bytes(data))
        mdesc["annotations"] = {"org.opencontainers.image.ref.name": ref}
        descs.append(mdesc)
    lay.index(descs)
    return root


def test_corrupt_second_image_loads_nothing(tmp_path, st):
    """All or nothing: the first image of the layout is fine, the second has a
    corrupt layer blob; the error names that blob and the store is unchanged."""
    st.ok("load", "-q", lkutil_tiny(tmp_path))
    good = lkutil.tar_bytes([("a.txt", b"a" * 2000)])
    bad = lkutil.tar_bytes([("b.txt", b"b" * 2000)])
    root = write_oci(tmp_path / "oci", [("good:1", [good], None), ("bad:1", [bad], 0)])
    bad_digest = json.loads((root / "blobs" / "sha256" / json.loads((root / "index.json").read_text())["manifests"][1][
        "digest"].split(":")[1]).read_text())["layers"][0]["digest"]
    before = snapshot(st.path)
    r = st.run("load", root)
    assert r.rc == 2, r
    assert bad_digest in r.err and "[digest_mismatch]" in r.err, r.err
    assert snapshot(st.path) == before


def lkutil_tiny(tmp_path):
    p = tmp_path / "tiny.tar"
    lkutil.write_docker_archive(p, [{"tags": ["tiny:1"], "layers": [lkutil.tar_bytes([("t", b"t")])]}])
    return p


def test_wrong_diff_id_is_named(tmp_path, st):
    layer = lkutil.tar_bytes([("x", b"x")])
    cfg = lkutil.make_config(["sha256:" + "ab" * 32])
    arch = tmp_path / "wrong-diff.tar"
    lkutil.write_docker_archive(arch, [{"tags": ["w:1"], "layers": [gzip.compress(layer, mtime=0)], "config": cfg}])
    r = st.run("load", arch)
    assert r.rc == 2 and "[digest_mismatch]" in r.err
    assert "diff_id" in r.err and "sha256:" + "ab" * 32 in r.err and lkutil.sha256(layer) in r.err


def test_corrupt_store_blob(corpus, st, tmp_path):
    exp, path = small(corpus, "runtime")
    st.ok("load", path)
    layer = exp["images"][0]["layers"][2]["digest"]
    blob = st.path / "blobs" / "sha256" / layer[7:]
    data = bytearray(blob.read_bytes())
    data[10000] ^= 0x01
    blob.write_bytes(bytes(data))
    r = st.run("verify")
    assert r.rc == 1, r
    assert "blobs/sha256/%s" % layer[7:] in r.out or layer in r.out
    j = st.run("verify", "--json").json()
    assert j["OK"] is False
    kinds = {p["Kind"] for p in j["Problems"]}
    assert "blob_digest" in kinds
    # save re-hashes and refuses, leaving no output
    out = tmp_path / "out.tar"
    r = st.run("save", "-o", out, "localhost/corpus/runtime:1.0")
    assert r.rc == 2 and "[digest_mismatch]" in r.err and layer in r.err
    assert not out.exists() and [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("fmt", ["podman.docker-archive", "podman.oci-archive"])
def test_one_flipped_byte_is_one_problem(corpus, st, fmt):
    """One flipped byte in a layer blob (uncompressed, or gzip: then it does not
    decompress either) is one defect: one blob_digest problem naming the blob,
    not a second one "against its name" nor a diff_id one for the same bytes."""
    exp, path = small(corpus, "runtime" if fmt == "podman.docker-archive" else "app", fmt)
    st.ok("load", "-q", path)
    layer = exp["images"][0]["layers"][2]["digest"]
    blob = st.path / "blobs" / "sha256" / layer[7:]
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0x01
    blob.write_bytes(bytes(data))
    actual = lkutil.sha256(bytes(data))
    assert actual != layer
    j = st.run("verify", "--json").json()
    assert j["OK"] is False
    assert [(p["Kind"], p["Path"], p["Expected"], p["Actual"]) for p in j["Problems"]] == [
        ("blob_digest", "blobs/sha256/" + layer[7:], layer, actual)], j["Problems"]
    r = st.run("verify")
    assert r.rc == 1, r
    problems = [l for l in r.lines() if l.startswith("problem ")]
    assert len(problems) == 1 and problems[0].startswith("problem [blob_digest]: ") and actual in problems[0], r
    assert r.lines()[-1].startswith("store %s: 1 problem (" % st.path), r


def test_shared_corrupt_blob_is_one_problem(corpus, st):
    """A corrupt layer blob two stored images share is one defect."""
    base, base_path = small(corpus, "base")
    runtime, runtime_path = small(corpus, "runtime")
    st.ok("load", "-q", base_path)
    st.ok("load", "-q", runtime_path)
    layer = base["images"][0]["layers"][0]["digest"]
    assert runtime["images"][0]["layers"][0]["digest"] == layer
    blob = st.path / "blobs" / "sha256" / layer[7:]
    data = bytearray(blob.read_bytes())
    data[100] ^= 0x01
    blob.write_bytes(bytes(data))
    j = st.run("verify", "--json").json()
    assert [(p["Kind"], p["Path"], p["Actual"]) for p in j["Problems"]] == [
        ("blob_digest", "blobs/sha256/" + layer[7:], lkutil.sha256(bytes(data)))], j["Problems"]


def test_truncated_store_blob_is_replaced_by_load(corpus, st):
    exp, path = small(corpus, "runtime")
    st.ok("load", path)
    layer = exp["images"][0]["layers"][2]["digest"]
    blob = st.path / "blobs" / "sha256" / layer[7:]
    blob.write_bytes(blob.read_bytes()[:1000])
    assert st.run("verify").rc == 1
    r = st.ok("load", path)
    assert "%s: Loading layer" % exp["images"][0]["layers"][2]["diff_id"][7:19] in r.out
    assert st.ok("verify").rc == 0


def test_missing_store_blob(corpus, st, tmp_path):
    exp, path = small(corpus, "runtime")
    st.ok("load", path)
    layer = exp["images"][0]["layers"][0]["digest"]
    (st.path / "blobs" / "sha256" / layer[7:]).unlink()
    j = st.run("verify", "--json").json()
    assert j["OK"] is False
    assert any(p["Kind"] == "missing" and layer in p["Message"] for p in j["Problems"]), j["Problems"]
    plan = st.ok("plan", "--json", path).json()
    assert plan["Layers"][0]["Status"] == "Pull" and plan["Layers"][0]["ExistsByDigest"] is False
    r = st.run("save", "-o", tmp_path / "x.tar", "localhost/corpus/runtime:1.0")
    assert r.rc == 2 and "[not_found]" in r.err and layer in r.err
    r = st.run("gc")
    assert r.rc == 0  # a missing layer hides nothing from the marking
    # loading again repairs it
    st.ok("load", path)
    assert st.ok("verify").rc == 0


def test_truncated_index_json(corpus, st):
    _, path = small(corpus, "base")
    st.ok("load", path)
    idx = st.path / "index.json"
    idx.write_bytes(idx.read_bytes()[:60])
    before = snapshot(st.path)
    r = st.run("verify")
    assert r.rc == 1 and "problem [index]" in r.out and "index.json" in r.out
    for args in (("ls",), ("df",), ("load", small(corpus, "runtime")[1]), ("gc",), ("rm", "x:1"),
                 ("save", "-o", st.path.parent / "x.tar", "localhost/corpus/base:1.0")):
        r = st.run(*args)
        assert r.rc == 2, (args, r)
        assert "index.json" in r.err and "verify" in r.err, (args, r.err)
    assert snapshot(st.path) == before  # nothing used it, nothing rewrote it


def test_corrupt_manifest_blob(corpus, st):
    _, path = small(corpus, "base")
    st.ok("load", path)
    m = PyStore(st.path).entry("localhost/corpus/base:1.0")["digest"]
    p = st.path / "blobs" / "sha256" / m[7:]
    p.write_bytes(p.read_bytes().replace(b"schemaVersion", b"schemaVersioN"))
    r = st.run("ls")
    assert r.rc == 2 and "[digest_mismatch]" in r.err and m[7:] in r.err
    j = st.run("verify", "--json").json()
    assert any(p["Kind"] == "manifest_digest" for p in j["Problems"]), j["Problems"]
    r = st.run("gc")
    assert r.rc == 2  # gc refuses to mark through a corrupt manifest
    # rm works on a damaged store, then gc cleans up
    st.ok("rm", "localhost/corpus/base:1.0")
    st.ok("gc")
    assert st.ok("verify").rc == 0


def test_stray_files(corpus, st):
    _, path = small(corpus, "base")
    st.ok("load", path)
    tmpf = st.path / ".layerkit" / "tmp" / "999-0123456789abcdef.blob"
    tmpf.write_bytes(b"half a blob")
    j = st.ok("verify", "--json").json()  # a leftover, not a problem
    assert j["OK"] is True
    assert any(".layerkit/tmp/999-0123456789abcdef.blob" in l for l in j["Leftovers"])
    r = st.ok("verify")
    assert "leftover: .layerkit/tmp/999-0123456789abcdef.blob" in r.out
    # a file under blobs/ whose name is not a digest is a problem
    (st.path / "blobs" / "sha256" / "not-a-digest.tmp").write_bytes(b"x")
    j = st.run("verify", "--json").json()
    assert j["OK"] is False
    assert [p["Kind"] for p in j["Problems"]] == ["stray"]
    assert "blobs/sha256/not-a-digest.tmp" in j["Problems"][0]["Path"]
    # a broken layer record
    rec = next((st.path / ".layerkit" / "layers" / "sha256").iterdir())
    rec.write_text("{")
    j = st.run("verify", "--json").json()
    assert "metadata" in [p["Kind"] for p in j["Problems"]]
    # ls and df ignore the broken record and still answer from the blob
    assert st.ok("ls", "--json").json()[0]["Size"] > 0


def test_not_a_store(tmp_path):
    d = tmp_path / "stuff"
    d.mkdir()
    (d / "notes.txt").write_text("mine")
    r = store_cmd(d, "load", tmp_path)
    assert r.rc == 2 and "neither empty nor an OCI image layout" in r.err
    assert sorted(p.name for p in d.iterdir()) == ["notes.txt"]
    r = store_cmd(tmp_path / "absent", "verify")
    assert r.rc == 2 and "does not exist" in r.err


def run_unprivileged(*args):
    """Runs the CLI as nobody when we are root (root writes anywhere)."""
    prefix = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("needs setpriv to drop root for the read-only test")
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    e = dict(os.environ, TZ="UTC")
    return subprocess.run([*prefix, CLI, *map(str, args)], capture_output=True, text=True, env=e, timeout=120)


def test_read_only_store(corpus):
    base = pathlib_tmp()
    try:
        store = base / "store"
        r = store_cmd(store, "load", small(corpus, "base")[1])
        assert r.rc == 0, r
        archive = base / "runtime.tar"
        shutil.copy(small(corpus, "runtime")[1], archive)
        for p in [base, *base.rglob("*")]:
            os.chmod(p, 0o555 if p.is_dir() else 0o444)
        probe = run_unprivileged("store", "ls", "--store", store)
        if probe.returncode != 0 and "Permission denied" in probe.stderr and "CLI" not in probe.stderr:
            pytest.skip("the unprivileged user cannot run the CLI here: " + probe.stderr.strip())
        assert probe.returncode == 0, probe.stderr  # reading needs no write access
        before = snapshot(store)
        r = run_unprivileged("store", "load", "--store", store, archive)
        assert r.returncode == 2, (r.stdout, r.stderr)
        assert "read-only" in r.stderr and "[io]" in r.stderr
        assert snapshot(store) == before
        r = run_unprivileged("store", "verify", "--store", store)
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        for p in [base, *base.rglob("*")]:
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        shutil.rmtree(base)


def pathlib_tmp():
    import pathlib

    d = pathlib.Path(tempfile.mkdtemp(prefix="lk-ro-"))
    os.chmod(d, 0o755)
    return d
