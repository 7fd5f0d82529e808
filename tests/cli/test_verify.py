"""`layerkit verify`: exit 0 and no problem on archives the peer tools verified
(skopeo copy checks every digest), and exactly the damage done on hostile
copies, whose expected and actual digests come from the corpus or from
hashlib over the damaged bytes."""
import io
import json
import shutil
import subprocess
import tarfile

import pytest

from conftest import SAMPLE_NAMES
from lkutil import OciLayout, jdump, make_config, read_images, sha256, tar_bytes

GOOD_CORPUS = [
    "base.podman.docker-archive",
    "app.podman.docker-archive",
    "app.skopeo.docker-archive",
    "app.podman.docker-archive.tar.gz",
    "base+runtime+app.podman-multi.docker-archive",
    "app.podman.oci-archive",
    "all.skopeo.oci-layout",
    "app.skopeo-zstd.oci-layout",
    "base.skopeo-uncompressed.oci-layout",
    "base.skopeo.docker-dir",
    "ext.dive.test-docker-image",
    "ext.dive.test-kaniko-image",
    "ext.dive.test-oci-gzip-image",
    "ext.dive.test-oci-zstd-image",
    "ext.ggcr.hello-world-v25",
    "ext.ggcr.test_image_1.tar.gz",
]


def check_shape(js):
    assert set(js) >= {"OK", "Images", "Problems"}
    for im in js["Images"]:
        assert set(im) >= {"Ref", "Id", "Layers"}
        for l in im["Layers"]:
            assert set(l) >= {"Index", "Digest", "DiffID", "OK"}
    for p in js["Problems"]:
        assert set(p) >= {"Image", "Layer", "Member", "Kind", "Expected", "Actual"}


@pytest.mark.parametrize("name", GOOD_CORPUS)
def test_verify_good_corpus(cli, expected, name):
    exp, path = expected(name)
    for im in exp["images"]:
        assert im.get("skopeo_copy_check", {"ok": True})["ok"] is True
        assert im.get("diff_ids_match_config", True) is True
    r = cli("verify", "--json", path)
    assert r.rc == 0, r.out + r.err
    js = r.json()
    check_shape(js)
    assert js["OK"] is True
    assert js["Problems"] == []
    assert [im["Id"] for im in js["Images"]] == [e["config_digest"] for e in exp["images"]]
    for im, e in zip(js["Images"], exp["images"]):
        assert [l["Index"] for l in im["Layers"]] == list(range(len(e["layers"])))
        assert [l["Digest"] for l in im["Layers"]] == [l["digest"] for l in e["layers"]]
        assert [l["DiffID"] for l in im["Layers"]] == [l["diff_id"] for l in e["layers"]]
        assert all(l["OK"] is True for l in im["Layers"])
    # the text form says so too
    t = cli("verify", path)
    assert t.rc == 0
    assert t.out.rstrip().endswith("%s: verified" % path)


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_verify_good_samples(cli, samples, samples_expected, name):
    path = samples / ("%s.docker-archive.tar" % name)
    exp = samples_expected[path.name]
    r = cli("verify", "--json", path)
    assert r.rc == 0, r.out + r.err
    js = r.json()
    assert js["OK"] is True and js["Problems"] == []
    (im,) = js["Images"]
    assert im["Ref"] == exp["ref"] and im["Id"] == exp["id"]
    assert [l["DiffID"] for l in im["Layers"]] == exp["diff_ids"]
    assert [l["Digest"] for l in im["Layers"]] == [l["digest"] for l in exp["layers"]]


def test_verify_several_archives(cli, samples):
    paths = [samples / "base.docker-archive.tar", samples / "app.oci-archive.tar"]
    r = cli("verify", "--json", *paths)
    assert r.rc == 0, r.err
    js = r.json()
    assert isinstance(js, list) and len(js) == 2
    assert all(j["OK"] for j in js)


# ---------------------------------------------------------------------------
# the corpus's hostile archives


def test_verify_flipped_byte(cli, expected):
    exp, path = expected("base.flipped-byte.docker-archive")
    e = exp["images"][0]
    r = cli("verify", "--json", path)
    assert r.rc == 1, r.err
    js = r.json()
    check_shape(js)
    assert js["OK"] is False
    (p,) = js["Problems"]
    assert p["Layer"] == 0
    assert p["Member"] == exp["manifest_json"][0]["Layers"][0]
    assert p["Expected"] == e["config_diff_ids"][0]
    assert p["Actual"] == e["layers"][0]["digest"]  # what sha256sum says of the damaged member
    assert p["Image"] == e["repo_tags"][0]
    assert [l["OK"] for l in js["Images"][0]["Layers"]] == [False, True]
    assert js["Images"][0]["Layers"][0]["Digest"] == e["layers"][0]["digest"]
    # text: one problem line, and the summary
    t = cli("verify", path)
    assert t.rc == 1
    lines = [l for l in t.out.splitlines() if l.startswith("problem")]
    assert len(lines) == 1
    assert e["layers"][0]["digest"] in lines[0] and e["config_diff_ids"][0] in lines[0]
    assert t.out.rstrip().endswith("1 problem")
    q = cli("verify", "-q", path)
    assert q.rc == 1
    assert [l for l in q.out.splitlines() if not l.startswith("problem")] == ["%s: 1 problem" % path]


def test_verify_missing_layer(cli, expected):
    exp, path = expected("base.missing-layer.docker-archive")
    gone = exp["manifest_json"][0]["Layers"][1]
    members = [m.split(" ", 2)[2] for m in exp["members"]]
    assert gone not in members
    r = cli("verify", "--json", path)
    assert r.rc == 1, r.err
    js = r.json()
    check_shape(js)
    assert js["OK"] is False
    (p,) = js["Problems"]
    assert p["Kind"] == "missing"
    assert p["Member"] == gone
    layers = js["Images"][0]["Layers"]
    assert [l["OK"] for l in layers] == [True, False]
    assert layers[0]["Digest"] == exp["images"][0]["layers"][0]["digest"]


def test_verify_missing_layer_names_index(cli, expected):
    exp, path = expected("base.missing-layer.docker-archive")
    (p,) = cli("verify", "--json", path).json()["Problems"]
    assert p["Layer"] == 1


def _truncated_member(path):
    """The member a sequential tar reader (Python's tarfile) is inside when the data ends."""
    import gzip
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        d = gzip.GzipFile(fileobj=io.BytesIO(raw))
        buf = bytearray()
        try:
            while True:
                chunk = d.read(65536)
                if not chunk:
                    break
                buf += chunk
        except EOFError:
            pass
        raw = bytes(buf)
    tf = tarfile.open(fileobj=io.BytesIO(raw), mode="r:")
    last = None
    try:
        for m in tf:
            last = m
            if m.offset_data + m.size > len(raw):
                return m.name
    except tarfile.ReadError:
        pass
    return last.name


@pytest.mark.parametrize("name", ["base.truncated.docker-archive", "app.truncated.docker-archive.tar.gz"])
@pytest.mark.parametrize("command", ["verify", "inspect", "images"])
def test_verify_truncated(cli, expected, name, command):
    exp, path = expected(name)
    assert exp["tar_ok"] is False
    member = _truncated_member(path)
    r = cli(command, path)
    assert r.rc == 2, r.out
    assert "truncated" in r.err
    assert member in r.err
    assert r.err.rstrip().endswith("[truncated]")


# ---------------------------------------------------------------------------
# damage done here


def _flip_in_layer(archive, member, tmp_path, out_name):
    """Copies a docker-archive and flips one byte inside a file body of `member`
    (a plain layer tar), leaving both tars structurally valid. Returns the new
    path and the damaged layer's sha256."""
    src = bytearray(archive.read_bytes())
    with tarfile.open(fileobj=io.BytesIO(bytes(src))) as tf:
        m = tf.getmember(member)
        layer = tf.extractfile(m).read()
        start = m.offset_data
    with tarfile.open(fileobj=io.BytesIO(layer)) as inner:
        f = next(x for x in inner if x.isreg() and x.size > 0)
        off = f.offset_data + f.size // 2
    src[start + off] ^= 0xFF
    damaged = bytes(src[start:start + len(layer)])
    dst = tmp_path / out_name
    dst.write_bytes(bytes(src))
    return dst, sha256(damaged)


@pytest.mark.parametrize("k", [0, 2, 5])
def test_verify_flip_own_copy(cli, samples, tmp_path, k):
    (img,) = read_images(samples / "app.docker-archive.tar")
    manifest = json.loads(tarfile.open(samples / "app.docker-archive.tar").extractfile("manifest.json").read())
    member = manifest[0]["Layers"][k]
    path, actual = _flip_in_layer(samples / "app.docker-archive.tar", member, tmp_path, "flip.tar")
    r = cli("verify", "--json", path)
    assert r.rc == 1, r.err
    js = r.json()
    (p,) = js["Problems"]
    assert (p["Layer"], p["Member"], p["Expected"], p["Actual"]) == (k, member, img.diff_ids[k], actual)
    assert [l["OK"] for l in js["Images"][0]["Layers"]] == [i != k for i in range(6)]


def test_verify_flip_two_layers(cli, samples, tmp_path):
    src = samples / "runtime.docker-archive.tar"
    manifest = json.loads(tarfile.open(src).extractfile("manifest.json").read())
    p1, a0 = _flip_in_layer(src, manifest[0]["Layers"][0], tmp_path, "one.tar")
    p2, a2 = _flip_in_layer(p1, manifest[0]["Layers"][2], tmp_path, "two.tar")
    js = cli("verify", "--json", p2).json()
    got = sorted((p["Layer"], p["Actual"]) for p in js["Problems"])
    assert got == [(0, a0), (2, a2)]


def _oci(tmp_path, name="lay", gzip_layers=False, tag="t:1"):
    lay = OciLayout(tmp_path / name)
    layers = [tar_bytes([("a", b"A" * 100)]), tar_bytes([("b", b"B" * 100)])]
    mdesc, cdig, ldescs = lay.image(layers, gzip_layers=gzip_layers)
    if tag:
        mdesc = dict(mdesc, annotations={"org.opencontainers.image.ref.name": tag})
    lay.index([mdesc])
    return lay, mdesc, cdig, ldescs, layers


def test_verify_generated_oci_ok(cli, tmp_path):
    lay, mdesc, cdig, ldescs, layers = _oci(tmp_path, gzip_layers=True)
    js = cli("verify", "--json", lay.root).json()
    assert js["OK"] is True and js["Problems"] == []
    assert js["Images"][0]["Id"] == cdig
    assert [l["Digest"] for l in js["Images"][0]["Layers"]] == [d["digest"] for d in ldescs]
    assert [l["DiffID"] for l in js["Images"][0]["Layers"]] == [sha256(t) for t in layers]


def test_verify_config_flip_oci(cli, tmp_path):
    lay, mdesc, cdig, _, _ = _oci(tmp_path)
    p = lay.root / "blobs" / "sha256" / cdig.split(":")[1]
    body = p.read_bytes()
    damaged = body.replace(b"layer 0", b"layer X")  # still valid JSON
    assert damaged != body
    p.write_bytes(damaged)
    r = cli("verify", "--json", lay.root)
    assert r.rc == 1, r.err
    (pr,) = r.json()["Problems"]
    assert pr["Kind"] == "config_digest"
    assert (pr["Expected"], pr["Actual"]) == (cdig, sha256(damaged))
    assert pr["Member"] == "blobs/sha256/" + cdig.split(":")[1]


def test_verify_layer_flip_oci(cli, tmp_path):
    lay, mdesc, cdig, ldescs, layers = _oci(tmp_path)
    p = lay.root / "blobs" / "sha256" / ldescs[1]["digest"].split(":")[1]
    body = bytearray(p.read_bytes())
    body[512 + 50] ^= 0x01  # inside file "b"
    p.write_bytes(bytes(body))
    r = cli("verify", "--json", lay.root)
    assert r.rc == 1, r.err
    probs = r.json()["Problems"]
    assert probs and all(x["Layer"] == 1 for x in probs)
    assert any((x["Expected"], x["Actual"]) == (ldescs[1]["digest"], sha256(bytes(body))) for x in probs)
    assert [l["OK"] for l in r.json()["Images"][0]["Layers"]] == [True, False]


def test_verify_size_mismatch_oci(cli, tmp_path):
    lay = OciLayout(tmp_path / "lay")
    layers = [tar_bytes([("a", b"A" * 100)]), tar_bytes([("b", b"B" * 100)])]
    mdesc, cdig, ldescs = lay.image(layers, gzip_layers=False)
    man = json.loads((lay.root / "blobs" / "sha256" / mdesc["digest"].split(":")[1]).read_bytes())
    man["layers"][1]["size"] += 1
    lay.index([lay.blob(jdump(man), mdesc["mediaType"])])
    r = cli("verify", "--json", lay.root)
    assert r.rc == 1, r.err
    (p,) = r.json()["Problems"]
    assert (p["Kind"], p["Layer"], p["Expected"], p["Actual"]) == ("size", 1, str(len(layers[1]) + 1),
                                                                   str(len(layers[1])))


def test_verify_manifest_digest_mismatch_oci(cli, tmp_path):
    lay, mdesc, cdig, _, _ = _oci(tmp_path)
    p = lay.root / "blobs" / "sha256" / mdesc["digest"].split(":")[1]
    damaged = p.read_bytes() + b"\n"
    p.write_bytes(damaged)
    r = cli("verify", "--json", lay.root)
    assert r.rc == 1, r.err
    kinds = {x["Kind"]: x for x in r.json()["Problems"]}
    assert kinds["manifest_digest"]["Expected"] == mdesc["digest"]
    assert kinds["manifest_digest"]["Actual"] == sha256(damaged)


def test_verify_count_mismatch_oci(cli, tmp_path):
    lay = OciLayout(tmp_path / "lay")
    layers = [tar_bytes([("a", b"A" * 100)]), tar_bytes([("b", b"B" * 100)])]
    cfg = make_config([sha256(layers[0])])  # one diff_id, one history entry, two layers
    mdesc, cdig, _ = lay.image(layers, gzip_layers=False, config=cfg)
    lay.index([mdesc])
    r = cli("verify", "--json", lay.root)
    assert r.rc == 1, r.err
    assert [x["Kind"] for x in r.json()["Problems"]] == ["count"]


def test_verify_problem_names_untagged_image_by_id(cli, tmp_path):
    lay, mdesc, cdig, _, _ = _oci(tmp_path, tag=None)
    p = lay.root / "blobs" / "sha256" / cdig.split(":")[1]
    p.write_bytes(p.read_bytes().replace(b"layer 0", b"layer X"))
    m = lay.root / "blobs" / "sha256" / mdesc["digest"].split(":")[1]
    m.write_bytes(m.read_bytes() + b" ")
    js = cli("verify", "--json", lay.root).json()
    assert js["Problems"]
    for pr in js["Problems"]:
        assert pr["Image"] == cdig[7:19], pr


def test_verify_image_option(cli, expected, tmp_path):
    """--image limits verification: a damaged layer in another image is not read."""
    exp, path = expected("base+runtime+app.podman-multi.docker-archive")
    app = exp["images"][2]
    app_only = app["layer_paths"][-1]
    damaged, actual = _flip_in_layer(path, app_only, tmp_path, "multi.tar")
    r = cli("verify", "--json", "--image", exp["images"][0]["repo_tags"][0], damaged)
    assert r.rc == 0, r.out
    assert [i["Id"] for i in r.json()["Images"]] == [exp["images"][0]["config_digest"]]
    r = cli("verify", "--json", damaged)
    assert r.rc == 1
    (p,) = r.json()["Problems"]
    assert (p["Layer"], p["Actual"], p["Expected"]) == (6, actual, app["config_diff_ids"][6])


def test_verify_containers_image_size_and_diff_id(cli, expected):
    """containers/image's delete_image_only_one_image: skopeo copy fails with
    'Size mismatch ... expected 585, got 740' on the config, and the layer's
    diff_id does not match the config (expected JSON: diff_ids_match_config false)."""
    import re
    exp, path = expected("ext.containers-image.delete_image_only_one_image")
    e = exp["images"][0]
    m = re.search(r"Size mismatch when copying (sha256:\w+), expected (\d+), got (\d+)", e["skopeo_copy_check"]["error"])
    assert m
    assert e["diff_ids_match_config"] is False
    r = cli("verify", "--json", path)
    assert r.rc == 1, r.err
    probs = r.json()["Problems"]
    size = [p for p in probs if p["Kind"] == "size"]
    assert [(p["Member"], p["Expected"], p["Actual"]) for p in size] == [
        ("blobs/sha256/" + m.group(1)[7:], m.group(2), m.group(3))]
    diff = [p for p in probs if p["Kind"] == "diff_id"]
    assert [(p["Layer"], p["Expected"], p["Actual"]) for p in diff] == [
        (0, e["config_diff_ids"][0], e["layers"][0]["diff_id"])]
    assert len(probs) == 2


@pytest.mark.parametrize("name", ["ext.containers-image.two_images_manifest", "ext.containers-image.name_lookups",
                                  "ext.containers-image.manifest"])
def test_verify_index_without_blobs(cli, expected, name):
    exp, path = expected(name)
    digests = [e["descriptor"]["digest"] for e in exp["images"]]
    assert all(e["missing"] for e in exp["images"])
    r = cli("verify", "--json", path)
    assert r.rc == 1, r.err
    probs = r.json()["Problems"]
    assert [p["Kind"] for p in probs] == ["missing"] * len(digests)
    assert [p["Member"] for p in probs] == ["blobs/sha256/" + d[7:] for d in digests]


def test_verify_layer_through_legacy_symlink(cli, expected):
    """go-containerregistry's test_link.tar reaches a layer through
    <v1 id>/layer.tar -> ../<other>/layer.tar; the peers' hashes match the config
    (skopeo itself fails on the link: it takes the link's 0 size)."""
    exp, path = expected("ext.ggcr.test_link")
    assert all(e["diff_ids_match_config"] for e in exp["images"])
    r = cli("verify", "--json", path)
    assert r.rc == 0, r.out + r.err
    js = r.json()
    for im, e in zip(js["Images"], exp["images"]):
        assert [l["DiffID"] for l in im["Layers"]] == e["config_diff_ids"]


def test_verify_lone_layer_tar(cli, tmp_path):
    """A plain tar (no image) has no declared digests: verify reports the ones
    hashlib computes over the file and, for a gzip tar, over its contents; a
    cut-off tar is a "tar" problem, not "verified"."""
    import gzip
    import hashlib

    plain = tmp_path / "layer.tar"
    plain.write_bytes(tar_bytes([("etc/hostname", b"layerkit\n"), ("usr/bin/tool", b"#!/bin/sh\n")]))
    packed = tmp_path / "layer.tar.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes(), mtime=0))
    tar_digest = "sha256:" + hashlib.sha256(plain.read_bytes()).hexdigest()
    for path, digest in [(plain, tar_digest), (packed, "sha256:" + hashlib.sha256(packed.read_bytes()).hexdigest())]:
        r = cli("verify", "--json", path)
        assert r.rc == 0, r.err
        js = r.json()
        assert js["Archive"] == str(path) and js["Images"] == [] and js["Problems"] == []
        assert js["LoneLayer"] == {"Digest": digest, "DiffID": tar_digest, "OK": True}
        r = cli("verify", path)
        assert r.rc == 0 and r.out.rstrip().endswith("a complete layer tar, no image") and "verified" not in r.out
        assert tar_digest in r.out
    cut = tmp_path / "cut.tar"
    cut.write_bytes(plain.read_bytes()[:512 + 100])  # a header and part of a body
    r = cli("verify", "--json", cut)  # found while reading the headers at open, naming where
    assert r.rc == 2, r.err
    assert r.json()["Error"]["Code"] == "truncated" and "etc/hostname" in r.json()["Error"]["Message"]
    r = cli("history", plain)
    assert r.rc == 2 and "layerkit ls" in r.err and r.err.rstrip().endswith("[not_found]"), r.err


def _without_end_marker(data):
    """`data` cut right after its last member's padded body (no end-of-archive
    marker), and that member's name, as Python's tarfile reads the stream."""
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        last = tf.getmembers()[-1]
    end = last.offset_data + -(-last.size // 512) * 512
    assert 0 < end < len(data) and not any(data[end:])  # only zero blocks were cut off
    return data[:end], last.name


def _gnu_tar_bytes(tmp_path):
    """A layer tar written by GNU tar (a directory and two files)."""
    src = tmp_path / "src"
    (src / "etc").mkdir(parents=True)
    (src / "etc" / "hostname").write_bytes(b"layerkit\n")
    (src / "etc" / "motd").write_bytes(b"x" * 700)
    out = tmp_path / "gnu.tar"
    subprocess.run(["tar", "cf", str(out), "-C", str(src), "--sort=name", "etc"], check=True)
    return out.read_bytes()


@pytest.mark.parametrize("writer", ["tarfile", "gnu-tar"])
def test_verify_lone_layer_tar_without_end_marker(cli, tmp_path, writer):
    """A tar cut exactly after a member's data reads to a clean end in
    libarchive, yet has no end-of-archive marker: verify reports it as a "tar"
    problem naming the file and the last member (exit 1), `ls` lists what is
    there and fails as truncated. One zero block (what GNU tar accepts with "A
    lone zero block") or two are a complete tar."""
    import gzip
    import hashlib

    if writer == "gnu-tar":
        if shutil.which("tar") is None:
            pytest.skip("needs GNU tar")
        whole = _gnu_tar_bytes(tmp_path)
    else:
        whole = tar_bytes([("etc/", {"type": "dir"}), ("etc/hostname", b"layerkit\n"), ("etc/motd", b"x" * 700)])
    cut_bytes, last = _without_end_marker(whole)
    with tarfile.open(fileobj=io.BytesIO(cut_bytes)) as tf:
        names = [m.name for m in tf.getmembers()]
    assert names[-1] == last == "etc/motd"
    cut_digest = "sha256:" + hashlib.sha256(cut_bytes).hexdigest()

    cut = tmp_path / "cut.tar"
    cut.write_bytes(cut_bytes)
    packed = tmp_path / "cut.tar.gz"
    packed.write_bytes(gzip.compress(cut_bytes, mtime=0))
    for path, digest in [(cut, cut_digest), (packed, "sha256:" + hashlib.sha256(packed.read_bytes()).hexdigest())]:
        r = cli("verify", "--json", path)
        assert r.rc == 1, r.out + r.err
        js = r.json()
        assert js["OK"] is False and js["Images"] == []
        assert js["LoneLayer"] == {"Digest": digest, "DiffID": cut_digest, "OK": False}
        (p,) = js["Problems"]
        assert p["Kind"] == "tar" and p["Layer"] == 0
        assert "end-of-archive marker" in p["Actual"] and last in p["Actual"]
        assert str(path) in p["Message"] and "end-of-archive marker" in p["Message"]
        r = cli("verify", path)
        assert r.rc == 1 and "a complete layer tar" not in r.out, r.out
        assert "problem [tar]" in r.out and last in r.out
        r = cli("ls", "--json", path)  # like tar -t: what is there, then the failure
        assert r.rc == 2
        assert [e["Path"].rstrip("/") for e in r.json()[0]["Entries"]] == names  # tarfile drops a dir's "/"
        assert r.err.rstrip().endswith("[truncated]") and "end-of-archive marker" in r.err and last in r.err

    for zero_blocks in (1, 2):
        ok = tmp_path / ("zeros%d.tar" % zero_blocks)
        ok.write_bytes(cut_bytes + bytes(512 * zero_blocks))
        r = cli("verify", "--json", ok)
        assert r.rc == 0, r.out + r.err
        assert r.json()["Problems"] == [] and r.json()["LoneLayer"]["OK"] is True
        r = cli("ls", "--json", ok)
        assert r.rc == 0, r.err
        assert [e["Path"].rstrip("/") for e in r.json()[0]["Entries"]] == names  # tarfile drops a dir's "/"


def test_verify_oci_archive_cut_to_a_lone_tar(cli, samples, tmp_path):
    """The first KiB of an oci-archive is a tar of its first members, without an
    end-of-archive marker: not a complete layer tar."""
    head = (samples / "app.oci-archive.tar").read_bytes()[:1024]
    with tarfile.open(fileobj=io.BytesIO(head)) as tf:
        members = tf.getmembers()
    last = members[-1]
    assert last.offset_data + -(-last.size // 512) * 512 == len(head)  # cut at a member's end
    p = tmp_path / "head.tar"
    p.write_bytes(head)
    r = cli("verify", "--json", p)
    assert r.rc == 1, r.out + r.err
    (prob,) = r.json()["Problems"]
    assert prob["Kind"] == "tar" and "end-of-archive marker" in prob["Message"] and last.name in prob["Message"]
    r = cli("ls", p)
    assert r.rc == 2 and r.err.rstrip().endswith("[truncated]")


def test_verify_image_layer_without_end_marker(cli, tmp_path):
    """Inside an image whose config names the cut tar's own diff_id, the
    digests check out: verify passes with a note; `ls` lists the layer as
    GNU tar does, warning about the marker. Empty layers (one or two zero blocks, or tarfile's
    10 KiB record of zeros) are complete tars."""
    whole = tar_bytes([("a", b"A" * 100), ("b", b"B" * 100)])
    cut_bytes, last = _without_end_marker(whole)
    empty = io.BytesIO()
    tarfile.open(fileobj=empty, mode="w").close()
    lay = OciLayout(tmp_path / "lay")
    layers = [bytes(512), bytes(1024), empty.getvalue(), tar_bytes([("c", b"C")]), cut_bytes]
    mdesc, cdig, ldescs = lay.image(layers, gzip_layers=False)
    lay.index([dict(mdesc, annotations={"org.opencontainers.image.ref.name": "t:1"})])
    r = cli("verify", "--json", lay.root)
    assert r.rc == 0, r.out + r.err
    js = r.json()
    assert js["Problems"] == []
    assert [l["DiffID"] for l in js["Images"][0]["Layers"]] == [sha256(t) for t in layers]
    (note,) = [n for n in js["Notes"] if "tar" in n]
    assert "layer 4" in note and "end-of-archive marker" in note and last in note
    for i in range(4):
        r = cli("ls", "--layer", i, lay.root)
        assert r.rc == 0, r.err
    r = cli("ls", "--json", "--layer", 4, lay.root)  # as GNU tar and Python's tarfile read it, with a warning
    assert r.rc == 0 and "end-of-archive marker" in r.err and last in r.err, r.err
    assert [e["Path"] for e in r.json()[0]["Entries"]] == ["a", "b"]


def test_verify_goes_on_past_an_archive_it_cannot_open(cli, samples, tmp_path):
    """Like `sha256sum -c` over several files: every archive gets an answer;
    the exit status is the worst (2: could not open > 1: mismatch > 0)."""
    good = samples / "base.docker-archive.tar"
    missing = tmp_path / "absent.tar"
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not an archive at all\n" * 40)
    r = cli("verify", "--json", missing, good, junk)
    assert r.rc == 2, r.err
    js = r.json()
    assert [j["Archive"] for j in js] == [str(missing), str(good), str(junk)]
    assert js[0] == {"Archive": str(missing), "OK": False,
                     "Error": {"Code": "not_found", "Message": js[0]["Error"]["Message"]}}
    assert str(missing) in js[0]["Error"]["Message"]
    assert js[1]["OK"] is True and len(js[1]["Images"]) == 1
    assert js[2]["OK"] is False and js[2]["Error"]["Code"] == "format_unknown"
    assert len(r.err.strip().splitlines()) == 2  # one line per archive that failed
    r = cli("verify", missing, good)
    assert r.rc == 2 and r.out.rstrip().endswith(str(good) + ": verified"), r.out
    # Alone, the unopenable archive still gets its JSON answer.
    r = cli("verify", "--json", missing)
    assert r.rc == 2 and r.json()["Error"]["Code"] == "not_found"
