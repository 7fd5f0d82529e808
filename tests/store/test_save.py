"""`layerkit store save`: a docker-archive that Docker <= 24 and 25+ read
(manifest.json + repositories + an OCI layout), an OCI archive, an OCI
layout; thin archives (--missing-from). skopeo copies what layerkit writes
and the digests are compared; layerkit reads its own output back identically."""
import json
import os
import pathlib
import subprocess

import pytest

from conftest import CLI, PyStore, lkutil, sh, skopeo, small, snapshot

SAMPLES = pathlib.Path(__file__).resolve().parents[2] / "samples"
REF = {"base": "localhost/corpus/base:1.0", "runtime": "localhost/corpus/runtime:1.0", "app": "localhost/corpus/app:1.0"}


@pytest.fixture
def full(corpus, st):
    """A store holding base, runtime and app (podman docker-archives)."""
    for n in ("base", "runtime", "app"):
        st.ok("load", "-q", small(corpus, n)[1])
    return st


def members(path):
    return lkutil.Members(path)


def test_docker_archive_layout(corpus, full, tmp_path):
    exp, _ = small(corpus, "runtime")
    img = exp["images"][0]
    out = tmp_path / "rt.tar"
    full.ok("save", "-o", out, REF["runtime"])
    m = members(out)
    store = PyStore(full.path)
    man_digest = store.entry(REF["runtime"])["digest"]
    blob_names = ["blobs/sha256/" + d.split(":")[1] for d in
                  [l["digest"] for l in img["layers"]] + [img["config_digest"], man_digest]]
    assert sorted(m.files) == sorted(blob_names + ["index.json", "manifest.json", "oci-layout", "repositories"])
    for name in blob_names:  # every blob hashes to its name
        assert lkutil.sha256(m.read(name)) == "sha256:" + name.split("/")[-1]
    # manifest.json as Docker 25+ writes it
    (mj,) = json.loads(m.read("manifest.json"))
    assert mj["Config"] == "blobs/sha256/" + img["config_digest"].split(":")[1]
    assert mj["RepoTags"] == img["repo_tags"]
    assert mj["Layers"] == ["blobs/sha256/" + l["digest"].split(":")[1] for l in img["layers"]]
    assert mj["LayerSources"] == {l["diff_id"]: {"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                                 "size": l["size"], "digest": l["digest"]} for l in img["layers"]}
    # Docker <= 24's repositories: familiar name -> tag -> top layer
    assert json.loads(m.read("repositories")) == {"localhost/corpus/runtime": {"1.0": img["layers"][-1]["digest"][7:]}}
    # the OCI layout beside it
    assert json.loads(m.read("oci-layout")) == {"imageLayoutVersion": "1.0.0"}
    idx = json.loads(m.read("index.json"))
    (e,) = idx["manifests"]
    assert e["digest"] == man_digest
    assert e["annotations"]["io.containerd.image.name"] == REF["runtime"]
    assert m.read("blobs/sha256/" + man_digest[7:]) == store.blob(man_digest)


def test_skopeo_copies_the_docker_archive(corpus, full, tmp_path):
    """skopeo reads the docker-archive (manifest.json) and converts it to OCI:
    same diff_ids, same layer bytes, and the same OCI config skopeo made from
    podman's own image (the corpus's OCI layout)."""
    skopeo()
    exp, _ = small(corpus, "runtime")
    img = exp["images"][0]
    oci_exp, _ = small(corpus, "all", "skopeo.oci-layout")
    oci_img = [i for i in oci_exp["images"] if i["ref_name"] == "corpus/runtime:1.0"][0]
    out = tmp_path / "rt.tar"
    full.ok("save", "-o", out, REF["runtime"])
    insp = json.loads(sh("skopeo", "inspect", "docker-archive:%s" % out).stdout)
    assert insp["Layers"] == [l["digest"] for l in img["layers"]]
    dest = tmp_path / "copy"
    sh("skopeo", "copy", "-q", "docker-archive:%s" % out, "oci:%s:x" % dest)
    got = PyStore(dest)
    man = got.manifest(got.entries()[0])
    cfg = got.config(man)
    assert cfg["rootfs"]["diff_ids"] == img["config_diff_ids"]
    assert man["config"]["digest"] == oci_img["config_digest"]
    for l, d in zip(man["layers"], img["config_diff_ids"]):
        assert lkutil.sha256(lkutil.decompress(got.blob(l["digest"]))) == d


@pytest.mark.parametrize("fmt", ["oci-archive", "oci-layout"])
def test_skopeo_copies_oci_output_digest_for_digest(corpus, full, tmp_path, fmt):
    skopeo()
    out = tmp_path / ("app.oci.tar" if fmt == "oci-archive" else "app-layout")
    full.ok("save", "--format", fmt, "-o", out, REF["app"])
    man_digest = PyStore(full.path).entry(REF["app"])["digest"]
    src = ("oci-archive:%s" if fmt == "oci-archive" else "oci:%s:" + REF["app"]) % out
    dest = tmp_path / "copy"
    sh("skopeo", "copy", "-q", "--preserve-digests", src, "oci:%s:x" % dest)
    got = PyStore(dest)
    assert got.entries()[0]["digest"] == man_digest
    assert sorted(got.all_blobs()) == sorted(d for d in PyStore(full.path).all_blobs()
                                             if d in _reachable(PyStore(full.path), REF["app"]))
    assert json.loads(sh("skopeo", "inspect", src).stdout)["Digest"] == man_digest


def _reachable(s, ref):
    man = s.manifest(ref)
    return {s.entry(ref)["digest"], man["config"]["digest"], *[l["digest"] for l in man["layers"]]}


INSPECT_KEYS = ("Id", "RepoTags", "Created", "Architecture", "Os", "Size", "Config", "RootFS")
LAYER_KEYS = ("Digest", "DiffID", "ChainID", "Size", "UncompressedSize", "Present")


def inspect_view(lk, path):
    r = lk("inspect", path)
    assert r.rc == 0, r
    out = []
    for i in r.json():
        v = {k: i[k] for k in INSPECT_KEYS}
        v["Layers"] = [{k: l[k] for k in LAYER_KEYS} for l in i["Layers"]]
        out.append(v)
    return out


@pytest.mark.parametrize("fmt", ["docker-archive", "oci-archive", "oci-layout"])
def test_layerkit_reads_its_own_output_identically(corpus, full, tmp_path, lk, fmt):
    _, source = small(corpus, "app")
    out = tmp_path / ("out.tar" if fmt != "oci-layout" else "out")
    full.ok("save", "--format", fmt, "-o", out, REF["app"])
    assert inspect_view(lk, out) == inspect_view(lk, source)
    r = lk("verify", out)
    assert r.rc == 0, r
    # and loading it back gives the same manifest, byte for byte
    again = tmp_path / "again"
    r = lk("store", "load", "--store", again, "--json", out)
    assert r.rc == 0, r
    assert r.json()["Images"][0]["ManifestDigest"] == PyStore(full.path).entry(REF["app"])["digest"]
    assert r.json()["Images"][0]["ManifestSynthesized"] is False


def test_save_is_deterministic_and_writes_to_stdout(full, tmp_path):
    a, b = tmp_path / "a.tar", tmp_path / "b.tar"
    full.ok("save", "-o", a, REF["app"], REF["base"])
    full.ok("save", "-o", b, REF["app"], REF["base"])
    assert a.read_bytes() == b.read_bytes()
    with open(tmp_path / "c.tar", "wb") as f:
        p = subprocess.run([CLI, "store", "save", "--store", str(full.path), "-o", "-", REF["app"], REF["base"]],
                           stdout=f, stderr=subprocess.PIPE)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "c.tar").read_bytes() == a.read_bytes()
    assert [os.path.basename(p) for p in tmp_path.iterdir() if "tmp" in p.name] == []


def test_save_by_id_is_untagged(corpus, full, tmp_path):
    exp, _ = small(corpus, "base")
    out = tmp_path / "id.tar"
    full.ok("save", "-o", out, exp["images"][0]["config_digest"][7:19])
    m = members(out)
    (mj,) = json.loads(m.read("manifest.json"))
    assert mj["RepoTags"] is None
    assert "repositories" not in m.files
    (e,) = json.loads(m.read("index.json"))["manifests"]
    assert "annotations" not in e


def test_thin_archive_against_a_store(corpus, full, tmp_path, lk):
    """app thin against a store holding base: the base layers are left out,
    the manifest stays complete; it loads into that store (and only there)."""
    base, _ = small(corpus, "base")
    app, _ = small(corpus, "app")
    target = tmp_path / "target"
    r = lk("store", "load", "--store", target, small(corpus, "base")[1])
    assert r.rc == 0, r
    out = tmp_path / "thin.tar"
    j = full.ok("save", "--json", "-o", out, "--missing-from", target, REF["app"]).json()
    layers = app["images"][0]["layers"]
    assert [l["Omitted"] for l in j["Images"][0]["Layers"]] == [True] * 2 + [False] * 5
    assert j["BytesOmitted"] == layers[0]["size"] + layers[1]["size"]
    m = members(out)
    assert not any(m.has("blobs/sha256/" + l["digest"][7:]) for l in layers[:2])
    assert all(m.has("blobs/sha256/" + l["digest"][7:]) for l in layers[2:])
    (mj,) = json.loads(m.read("manifest.json"))
    assert len(mj["Layers"]) == 7  # complete manifest
    # it loads into the target, which then verifies
    before = snapshot(target)
    r = lk("store", "load", "--store", target, "--json", out)
    assert r.rc == 0, r
    assert [l["Status"] for l in r.json()["Images"][0]["Layers"]] == ["Already exists"] * 2 + ["Loading layer"] * 5
    assert lk("store", "verify", "--store", target).rc == 0
    # ... but not into a store without the base layers, which it leaves unchanged
    empty = tmp_path / "other"
    lkutil.write_docker_archive(tmp_path / "tiny.tar", [{"tags": ["tiny:1"], "layers": [lkutil.tar_bytes([("t", b"t")])]}])
    assert lk("store", "load", "--store", empty, tmp_path / "tiny.tar").rc == 0
    before = snapshot(empty)
    r = lk("store", "load", "--store", empty, out)
    assert r.rc == 2 and "absent from the archive" in r.err and "[not_found]" in r.err
    assert snapshot(empty) == before


def test_thin_oci_archive_is_read_by_skopeo(corpus, full, tmp_path, lk):
    """skopeo copies a thin OCI archive into a layout that has the missing blobs
    (it reuses a blob the destination has, by digest), digest for digest."""
    skopeo()
    target = tmp_path / "target"
    assert lk("store", "load", "--store", target, small(corpus, "runtime")[1]).rc == 0
    out = tmp_path / "thin.oci.tar"
    j = full.ok("save", "--json", "--format", "oci-archive", "-o", out, "--missing-from", target, REF["app"]).json()
    assert [l["Omitted"] for l in j["Images"][0]["Layers"]] == [True] * 3 + [False] * 4
    man_digest = PyStore(full.path).entry(REF["app"])["digest"]
    assert json.loads(sh("skopeo", "inspect", "oci-archive:%s" % out).stdout)["Digest"] == man_digest
    sh("skopeo", "copy", "-q", "--preserve-digests", "oci-archive:%s" % out, "oci:%s:%s" % (target, REF["app"]))
    assert PyStore(target).entry(REF["app"])["digest"] == man_digest
    assert lk("store", "verify", "--store", target).rc == 0


def test_thin_against_an_archive(corpus, full, tmp_path):
    base, base_path = small(corpus, "base")
    out = tmp_path / "thin.tar"
    j = full.ok("save", "--json", "-o", out, "--missing-from", base_path, REF["runtime"]).json()
    assert [l["Omitted"] for l in j["Images"][0]["Layers"]] == [True, True, False]
    # by digest for the OCI formats: the gzip blobs of the OCI archive are other blobs
    _, oci_app = small(corpus, "app", "podman.oci-archive")
    j = full.ok("save", "--json", "--format", "oci-archive", "-o", tmp_path / "x.tar", "--missing-from", oci_app,
                REF["runtime"]).json()
    assert [l["Omitted"] for l in j["Images"][0]["Layers"]] == [False] * 3
    j = full.ok("save", "--json", "-o", tmp_path / "y.tar", "--missing-from", oci_app, REF["runtime"]).json()
    assert [l["Omitted"] for l in j["Images"][0]["Layers"]] == [True] * 3  # by chain_id for docker-archive


def test_save_errors_leave_no_output(full, tmp_path):
    r = full.run("save", "-o", tmp_path / "x.tar", "nosuch:1")
    assert r.rc == 2 and "no image" in r.err
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    r = full.run("save", "--format", "oci", "-o", tmp_path / "full", REF["base"])
    assert r.rc == 2 and "not empty" in r.err
    r = full.run("save", "--format", "zip", "-o", tmp_path / "y", REF["base"])
    assert r.rc == 2
    r = full.run("save", REF["base"])
    assert r.rc == 2 and "-o" in r.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full", "store"]


def test_thin_archive_across_compressions(tmp_path, lk):
    """A store holding app in gzip (from an OCI archive) saves app thin for a
    store holding base uncompressed: `docker load` (and so the docker-archive
    thin save) goes by chain_id, so the base layers are left out although their
    blobs differ; the target store loads it, reusing its own base blobs."""
    samples = SAMPLES
    src, target = tmp_path / "src", tmp_path / "target"
    assert lk("store", "load", "--store", src, samples / "app.oci-archive.tar").rc == 0
    assert lk("store", "load", "--store", target, samples / "base.docker-archive.tar").rc == 0
    thin = tmp_path / "thin.tar"
    r = lk("store", "save", "--store", src, "-o", thin, "--missing-from", target, "localhost/layerkit-sample/app:1.0")
    assert r.rc == 0, r
    r = lk("store", "load", "--store", target, "--json", thin)
    assert r.rc == 0, r
    exp = json.loads((samples / "expected.json").read_text())
    oci = [i for i in exp["images"] if i["file"] == "app.oci-archive.tar"][0]
    (img,) = r.json()["Images"]
    assert [l["Status"] for l in img["Layers"]] == ["Already exists"] * 2 + ["Loading layer"] * 4
    assert img["Id"] == oci["id"]
    assert lk("store", "verify", "--store", target).rc == 0
    # The loaded image reads back with the sample's diff_ids (its base blobs are the uncompressed ones).
    r = lk("inspect", "--image", "localhost/layerkit-sample/app:1.0", target)
    assert r.rc == 0, r
    assert r.json()[0]["RootFS"]["Layers"] == oci["diff_ids"]


def test_save_refuses_a_terminal(tmp_path):
    """`-o -` onto a terminal is refused, as `docker save` refuses; nothing is written to it."""
    import pty

    master, slave = pty.openpty()
    try:
        proc = subprocess.run([CLI, "store", "save", "--store", str(tmp_path / "s"), "-o", "-", "any:1"],
                              stdout=slave, stderr=subprocess.PIPE, text=True, timeout=60)
        assert proc.returncode == 2, proc.stderr
        assert "terminal" in proc.stderr and proc.stderr.rstrip().endswith("[usage]")
        os.set_blocking(master, False)
        try:
            written = os.read(master, 4096)
        except BlockingIOError:
            written = b""
        assert written == b""
    finally:
        os.close(master)
        os.close(slave)
