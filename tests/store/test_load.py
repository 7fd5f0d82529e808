"""`layerkit store load`: output like `docker load`, a store that is a valid OCI
image layout (checked with hashlib, skopeo and umoci), layer reuse, manifests
and configs preserved byte for byte, every input format."""
import gzip
import json
import shutil
import subprocess

import pytest

from conftest import CLI, PyStore, docker_load_lines, lkutil, sh, skopeo, small, snapshot

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"


def test_load_prints_like_docker_load(corpus, st):
    base, base_path = small(corpus, "base")
    runtime, runtime_path = small(corpus, "runtime")
    r = st.ok("load", base_path)
    img = base["images"][0]
    assert r.lines() == docker_load_lines(img) + ["Loaded image: " + img["repo_tags"][0]]
    # The base layers are shared: loading runtime copies only its own layer.
    r = st.ok("load", runtime_path)
    img = runtime["images"][0]
    assert r.lines() == docker_load_lines(img, existing={0, 1}) + ["Loaded image: " + img["repo_tags"][0]]
    # Loading again writes nothing at all.
    before = snapshot(st.path)
    r = st.ok("load", runtime_path)
    assert r.lines() == docker_load_lines(img, existing={0, 1, 2}) + ["Loaded image: " + img["repo_tags"][0]]
    assert snapshot(st.path) == before


def test_load_quiet_and_input_option(corpus, st):
    base, path = small(corpus, "base")
    r = st.ok("load", "-q", "-i", path)
    assert r.lines() == ["Loaded image: " + base["images"][0]["repo_tags"][0]]


def test_store_is_an_oci_layout(corpus, st):
    """oci-layout, index.json with both reference annotations, blobs named by
    their sha256; a docker-archive gets a synthesized OCI manifest over its
    config bytes (image ID preserved) and its layer blobs as they were."""
    exp, path = small(corpus, "app")
    st.ok("load", path)
    s = PyStore(st.path)
    assert json.loads((st.path / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}
    assert s.index["schemaVersion"] == 2
    img = exp["images"][0]
    ref = img["repo_tags"][0]
    e = s.entry(ref)
    assert e["annotations"] == {"org.opencontainers.image.ref.name": ref, "io.containerd.image.name": ref}
    assert e["mediaType"] == OCI_MANIFEST
    assert e["platform"] == {"architecture": img["architecture"], "os": img["os"]}
    man = s.manifest(ref)
    assert man["schemaVersion"] == 2 and man["mediaType"] == OCI_MANIFEST
    assert man["config"] == {"mediaType": OCI_CONFIG, "digest": img["config_digest"], "size": img["config_size"]}
    assert [l["digest"] for l in man["layers"]] == [l["digest"] for l in img["layers"]]
    assert [l["size"] for l in man["layers"]] == [l["size"] for l in img["layers"]]
    assert {l["mediaType"] for l in man["layers"]} == {OCI_LAYER}  # podman's layers are plain tars
    # every blob file hashes to its name
    for d in s.all_blobs():
        s.blob(d)
    # the config is stored byte for byte: it is the archive's config member
    cfg_member = exp["manifest_json"][0]["Config"]
    assert s.blob(img["config_digest"]) == lkutil.Members(path).read(cfg_member)
    # layerkit's own records: diff_id and Docker's layer size per blob
    for l in img["layers"]:
        rec = json.loads((st.path / ".layerkit" / "layers" / "sha256" / l["digest"].split(":")[1]).read_text())
        assert rec["diffID"] == l["diff_id"]
        assert rec["contentSize"] == s.layer_size(l["digest"])


def test_same_archive_gives_same_manifest(corpus, tmp_path, lk):
    _, path = small(corpus, "runtime")
    digests = []
    for name in ("a", "b"):
        r = lk("store", "load", "--store", tmp_path / name, "--json", path)
        assert r.rc == 0, r
        digests.append(r.json()["Images"][0]["ManifestDigest"])
    assert digests[0] == digests[1]
    assert (tmp_path / "a" / "index.json").read_bytes() == (tmp_path / "b" / "index.json").read_bytes()


def test_load_json(corpus, st):
    exp, path = small(corpus, "runtime")
    st.ok("load", small(corpus, "base")[1])
    j = st.ok("load", "--json", path).json()
    img = exp["images"][0]
    assert j["Archive"] == str(path)
    (got,) = j["Images"]
    assert got["References"] == img["repo_tags"]
    assert got["Id"] == img["config_digest"]
    assert got["ManifestSynthesized"] is True
    assert got["ManifestDigest"] == lkutil.sha256(PyStore(st.path).blob(got["ManifestDigest"]))
    assert [(l["Index"], l["DiffID"], l["Digest"], l["Size"], l["Status"]) for l in got["Layers"]] == [
        (i, l["diff_id"], l["digest"], l["size"], "Already exists" if i < 2 else "Loading layer")
        for i, l in enumerate(img["layers"])
    ]
    # blobs written: runtime's layer, its config, its manifest
    assert j["BlobsWritten"] == 3
    assert j["BytesWritten"] == img["layers"][2]["size"] + img["config_size"] + len(
        PyStore(st.path).blob(got["ManifestDigest"]))
    assert j["BytesExisting"] == img["layers"][0]["size"] + img["layers"][1]["size"]


@pytest.mark.parametrize("fmt", ["podman.oci-archive", "skopeo-zstd.oci-layout"])
def test_oci_sources_keep_their_manifest(corpus, st, fmt):
    """An OCI source's manifest is stored byte for byte: its digest is the
    corpus's manifest digest, and its blobs keep their compression."""
    exp, path = small(corpus, "app", fmt)
    img = exp["images"][0]
    r = st.ok("load", "--json", path)
    (got,) = r.json()["Images"]
    assert got["ManifestDigest"] == img["manifest_digest"]
    assert got["ManifestSynthesized"] is False
    s = PyStore(st.path)
    man = s.manifest(s.entries()[0])
    assert [l["digest"] for l in man["layers"]] == [l["digest"] for l in img["layers"]]
    assert [l["Status"] for l in got["Layers"]] == ["Loading layer"] * 7
    ref = img["ref_name"]
    assert s.refs() == [ref]


def test_compressed_archive_is_read_once_and_loaded(corpus, st):
    exp, path = small(corpus, "app", "podman.docker-archive.tar.gz")
    plain, _ = small(corpus, "app")
    r = st.ok("load", path)
    img = plain["images"][0]
    assert r.lines() == docker_load_lines(img) + ["Loaded image: " + img["repo_tags"][0]]
    assert list((st.path / ".layerkit" / "tmp").iterdir()) == []  # the decompressed copy is gone
    assert st.ok("verify").rc == 0


def test_multi_image_archive(corpus, st):
    exp, path = small(corpus, "base+runtime+app", "podman-multi.docker-archive")
    j = st.ok("load", "--json", path).json()
    assert [i["References"] for i in j["Images"]] == [i["repo_tags"] for i in exp["images"]]
    statuses = [[l["Status"] for l in i["Layers"]] for i in j["Images"]]
    # an earlier image of the same load already wrote the shared layers
    assert statuses == [["Loading layer"] * 2, ["Already exists"] * 2 + ["Loading layer"],
                        ["Already exists"] * 3 + ["Loading layer"] * 4]
    assert sorted(PyStore(st.path).refs()) == sorted(i["repo_tags"][0] for i in exp["images"])


def test_load_one_image_of_several(corpus, st):
    exp, path = small(corpus, "base+runtime+app", "podman-multi.docker-archive")
    j = st.ok("load", "--json", "--image", "localhost/corpus/runtime:1.0", path).json()
    assert [i["References"] for i in j["Images"]] == [["localhost/corpus/runtime:1.0"]]
    assert PyStore(st.path).refs() == ["localhost/corpus/runtime:1.0"]


def test_untagged_image(corpus, st):
    exp, path = small(corpus, "base", "skopeo.docker-dir")
    r = st.ok("load", path)
    assert r.lines()[-1] == "Loaded image ID: " + exp["images"][0]["config_digest"]
    (e,) = PyStore(st.path).entries()
    assert "annotations" not in e
    # a later tagged load of the same manifest replaces the untagged entry
    tagged = st.ok("load", "--json", small(corpus, "base")[1]).json()
    assert len(PyStore(st.path).entries()) == 2  # docker-dir's manifest differs from the synthesized one
    assert tagged["Images"][0]["Id"] == exp["images"][0]["config_digest"]


def test_reference_moves_and_old_image_stays_untagged(corpus, st):
    """Loading another image under a reference the store has moves the
    reference; the old image stays, untagged, as `docker load` leaves it."""
    _, base = small(corpus, "base")
    _, runtime = small(corpus, "runtime")
    st.ok("load", base)
    old = PyStore(st.path).entry("localhost/corpus/base:1.0")["digest"]
    # a docker-archive naming runtime's image "localhost/corpus/base:1.0"
    m = lkutil.Members(runtime)
    mj = json.loads(m.read("manifest.json"))
    mj[0]["RepoTags"] = ["localhost/corpus/base:1.0"]
    tar = st.path.parent / "renamed.tar"
    entries = [(n, m.read(n)) for n in m.names() if m.has(n) and n in m.files and n != "manifest.json"]
    entries.append(("manifest.json", lkutil.jdump(mj)))
    tar.write_bytes(lkutil.tar_bytes(entries))
    r = st.ok("load", "--json", tar)
    s = PyStore(st.path)
    new = s.entry("localhost/corpus/base:1.0")["digest"]
    assert new != old
    untagged = [e for e in s.entries() if not e.get("annotations")]
    assert [e["digest"] for e in untagged] == [old]
    # The load says so, naming the manifest the reference left.
    assert r.json()["Images"][0]["MovedReferences"] == [{"Reference": "localhost/corpus/base:1.0",
                                                         "PreviousManifest": old}]
    r = st.ok("load", tar)  # again: nothing moves now
    assert "already exists, moving" not in r.out
    # Text, as docker load announces it: a third image takes the name.
    _, app = small(corpus, "app")
    m = lkutil.Members(app)
    mj = json.loads(m.read("manifest.json"))
    mj[0]["RepoTags"] = ["localhost/corpus/base:1.0"]
    entries = [(n, m.read(n)) for n in m.names() if m.has(n) and n in m.files and n != "manifest.json"]
    entries.append(("manifest.json", lkutil.jdump(mj)))
    tar.write_bytes(lkutil.tar_bytes(entries))
    r = st.ok("load", tar)
    line = "The image localhost/corpus/base:1.0 already exists, moving the name from the old one (manifest %s)" % new[7:19]
    assert line in r.out, r


def test_peers_read_the_store(corpus, st, tmp_path):
    """skopeo inspects and copies from the store; umoci lists and stats it."""
    skopeo()
    exp, path = small(corpus, "app")
    st.ok("load", path)
    img = exp["images"][0]
    ref = img["repo_tags"][0]
    man_digest = PyStore(st.path).entry(ref)["digest"]
    insp = json.loads(sh("skopeo", "inspect", "oci:%s:%s" % (st.path, ref)).stdout)
    assert insp["Digest"] == man_digest
    assert insp["Layers"] == [l["digest"] for l in img["layers"]]
    raw_cfg = json.loads(sh("skopeo", "inspect", "--config", "--raw", "oci:%s:%s" % (st.path, ref)).stdout)
    assert raw_cfg["rootfs"]["diff_ids"] == img["config_diff_ids"]
    # a full copy: skopeo verifies every blob it reads
    sh("skopeo", "copy", "-q", "--preserve-digests", "oci:%s:%s" % (st.path, ref), "oci:%s:x" % (tmp_path / "copy"))
    assert json.loads((tmp_path / "copy" / "index.json").read_text())["manifests"][0]["digest"] == man_digest
    if shutil.which("umoci"):
        assert ref in sh("umoci", "ls", "--layout", st.path).stdout.split()
        stat = sh("umoci", "stat", "--json", "--image", "%s:%s" % (st.path, ref)).stdout
        hist = json.loads(stat)["history"]
        assert len([h for h in hist if h.get("layer")]) == len(img["layers"])


def test_layerkit_reads_the_store_as_a_layout(corpus, st, lk):
    exp, path = small(corpus, "runtime")
    st.ok("load", path)
    r = lk("inspect", st.path)
    assert r.rc == 0, r
    (got,) = r.json()
    assert got["Id"] == exp["images"][0]["config_digest"]
    assert got["RootFS"]["Layers"] == exp["images"][0]["config_diff_ids"]
    r = lk("verify", st.path)
    assert r.rc == 0, r


def test_gzip_layers_in_a_docker_archive(tmp_path, st):
    """Layers are kept as the archive carries them: a gzip layer stays gzip,
    with the +gzip media type; its diff_id is checked after decompression."""
    layer = lkutil.tar_bytes([("hello.txt", b"hello\n"), ("dir", {"type": "dir"})])
    blob = gzip.compress(layer, mtime=0)
    arch = tmp_path / "gz.tar"
    (cfg_digest, (digest,)), = lkutil.write_docker_archive(arch, [{"tags": ["gz:1"], "layers": [blob]}])
    j = st.ok("load", "--json", arch).json()
    (l,) = j["Images"][0]["Layers"]
    assert l["Digest"] == lkutil.sha256(blob) and l["DiffID"] == lkutil.sha256(layer)
    man = PyStore(st.path).manifest("gz:1")
    assert man["layers"] == [{"mediaType": OCI_LAYER + "+gzip", "digest": lkutil.sha256(blob), "size": len(blob)}]
    entry = PyStore(st.path).entry("gz:1")
    assert entry["annotations"]["io.containerd.image.name"] == "docker.io/library/gz:1"


def every_archive(corpus):
    for f in sorted((corpus / "expected").glob("*.json")):
        d = json.loads(f.read_text())
        yield f.stem, d, corpus / d["path"]


def test_load_every_corpus_archive(corpus, st):
    """Every archive of the corpus either loads — OCI manifests keeping their
    digests — or fails with a specific code and changes nothing; afterwards the
    store verifies and holds nothing gc would remove."""
    allowed = {"unsupported", "not_found", "count_mismatch", "malformed", "size_mismatch", "digest_mismatch",
               "truncated"}
    loaded = 0
    for name, exp, path in every_archive(corpus):
        before = snapshot(st.path) if st.path.exists() else None
        r = st.run("load", "--json", path)
        if r.rc != 0:
            code = r.err.rstrip().rsplit("[", 1)[-1].rstrip("]")
            assert r.rc == 2 and code in allowed, (name, r)
            if before is not None:
                assert snapshot(st.path) == before, name
            continue
        loaded += 1
        got = r.json()
        if exp.get("format") in ("oci-layout", "oci-archive"):
            want = {i["manifest_digest"] for i in exp["images"] if i.get("manifest_digest")}
            assert {i["ManifestDigest"] for i in got["Images"]} <= want, name
    assert loaded >= 30
    j = st.ok("verify", "--json").json()
    assert j["OK"] and j["Leftovers"] == [], j
    assert st.ok("gc", "--dry-run", "--json").json()["Blobs"] == []


def test_load_from_standard_input(corpus, st):
    """`docker save app | layerkit store load -`: the same image as from the file."""
    exp, path = small(corpus, "app")
    proc = subprocess.run([CLI, "store", "load", "--store", str(st.path), "--json", "-"], input=path.read_bytes(),
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    (img,) = json.loads(proc.stdout)["Images"]
    assert img["Id"] == exp["images"][0]["image_id"]
    assert img["References"] == exp["images"][0]["repo_tags"]
    assert st.ok("verify").rc == 0
