"""Format detection from content: misleading names, whole-archive compression
by the gzip/zstd/xz/bzip2 CLIs, OCI layouts as directories and as tars made by
GNU tar, bsdtar and Python's tarfile, and copies made by skopeo, whose own
reading (`skopeo inspect`) is the reference."""
import json
import shutil
import subprocess
import tarfile

import pytest

from lkutil import compress_file, copytree, read_images, sha256, tar_dir


def summary(js):
    """What must not depend on the container: per image, the ID, diff_ids, and
    each layer's blob digest / diff_id / size."""
    return [(g["Id"], g["RootFS"]["Layers"], [(l["Digest"], l["DiffID"], l["Size"], l["ContentSize"])
                                               for l in g["Layers"]]) for g in js]


def inspect(cli, path):
    r = cli("inspect", path)
    assert r.rc == 0, r.err
    return r.json()


@pytest.mark.parametrize("src,fmt", [("app.docker-archive.tar", "docker-archive"),
                                     ("app.oci-archive.tar", "oci-archive")])
@pytest.mark.parametrize("new_name", ["image", "image.json", "image.tar.gz", "image.zst", "image.oci", ".hidden"])
def test_misleading_names(cli, samples, samples_expected, tmp_path, src, fmt, new_name):
    dst = tmp_path / new_name
    shutil.copyfile(samples / src, dst)
    js = inspect(cli, dst)
    assert summary(js) == summary(inspect(cli, samples / src))
    assert js[0]["Id"] == samples_expected[src]["id"]
    assert js[0]["Archive"]["Format"] == fmt
    assert cli("verify", dst).rc == 0


@pytest.mark.parametrize("tool,ext", [("gzip", "gz"), ("zstd", "zst"), ("xz", "xz"), ("bzip2", "bz2")])
@pytest.mark.parametrize("src", ["base.docker-archive.tar", "app.docker-archive.tar", "app.oci-archive.tar"])
def test_whole_archive_compression(cli, samples, samples_expected, tmp_path, tool, ext, src):
    plain = inspect(cli, samples / src)
    for name in ("x.tar." + ext, "x.tar"):  # right and wrong extension
        dst = compress_file(samples / src, tmp_path / name, tool)
        js = inspect(cli, dst)
        assert summary(js) == summary(plain)
        assert js[0]["Id"] == samples_expected[src]["id"]
        assert [l["Digest"] for l in js[0]["Layers"]] == [l["digest"] for l in samples_expected[src]["layers"]]
        assert js[0]["Archive"]["Format"] == plain[0]["Archive"]["Format"]
    v = cli("verify", "--json", dst)
    assert v.rc == 0, v.out + v.err
    h = cli("history", "--json", dst)
    assert h.json() == cli("history", "--json", samples / src).json()


def test_corpus_tar_gz_equals_tar(cli, expected):
    _, gz = expected("app.podman.docker-archive.tar.gz")
    _, plain = expected("app.podman.docker-archive")
    assert summary(inspect(cli, gz)) == summary(inspect(cli, plain))


def _extract(src, dst):
    dst.mkdir()
    with tarfile.open(src) as tf:
        for m in tf:
            if m.isdir():
                (dst / m.name).mkdir(parents=True, exist_ok=True)
            elif m.isreg():
                p = dst / m.name
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_bytes(tf.extractfile(m).read())
    return dst


def _python_tar(src_dir, dst, prefix=""):
    with tarfile.open(dst, "w") as tf:
        for p in sorted(src_dir.rglob("*")):
            tf.add(p, arcname=prefix + p.relative_to(src_dir).as_posix(), recursive=False)
    return dst


def test_oci_layout_dir_vs_tars(cli, samples, samples_expected, tmp_path):
    lay = _extract(samples / "app.oci-archive.tar", tmp_path / "lay")
    ref = inspect(cli, lay)
    assert ref[0]["Archive"]["Format"] == "oci-layout"
    assert ref[0]["Id"] == samples_expected["app.oci-archive.tar"]["id"]
    variants = {
        "gnu.tar": tar_dir(lay, tmp_path / "gnu.tar"),
        "gnu-dot.tar": tar_dir(lay, tmp_path / "gnu-dot.tar", dot_prefix=True),
        "py.tar": _python_tar(lay, tmp_path / "py.tar"),
        "py-dot.tar": _python_tar(lay, tmp_path / "py-dot.tar", prefix="./"),
    }
    subprocess.run(["bsdtar", "-C", str(lay), "-cf", str(tmp_path / "bsd.tar"), "."], check=True)
    variants["bsd.tar"] = tmp_path / "bsd.tar"
    subprocess.run(["tar", "--format=ustar", "-C", str(lay), "-cf", str(tmp_path / "ustar.tar"), "."], check=True)
    variants["ustar.tar"] = tmp_path / "ustar.tar"
    with tarfile.open(variants["gnu-dot.tar"]) as tf:
        assert all(n == "." or n.startswith("./") for n in tf.getnames())
    for name, path in variants.items():
        js = inspect(cli, path)
        assert summary(js) == summary(ref), name
        assert js[0]["Archive"]["Format"] == "oci-archive", name
        assert js[0]["Manifest"]["Digest"] == ref[0]["Manifest"]["Digest"] == \
            samples_expected["app.oci-archive.tar"]["manifest_digest"], name
        assert cli("verify", path).rc == 0, name


def test_corpus_oci_layout_as_tar(cli, expected, tmp_path):
    exp, lay = expected("app.skopeo-zstd.oci-layout")
    ref = inspect(cli, lay)
    t = tar_dir(lay, tmp_path / "zstd-layout.tar", dot_prefix=True)
    assert summary(inspect(cli, t)) == summary(ref)
    assert ref[0]["Id"] == exp["images"][0]["config_digest"]


def test_docker_dir_copy_has_no_name_dependence(cli, expected, tmp_path):
    exp, d = expected("base.skopeo.docker-dir")
    dst = copytree(d, tmp_path / "some.tar.gz")  # a directory named like a file
    js = inspect(cli, dst)
    assert js[0]["Archive"]["Format"] == "docker-dir"
    assert js[0]["Id"] == exp["images"][0]["config_digest"]
    assert summary(js) == summary(inspect(cli, d))


# ---------------------------------------------------------------------------
# skopeo


def skopeo(*args):
    r = subprocess.run(["skopeo", *args], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.fail("skopeo %s: %s" % (" ".join(args), r.stderr))
    return r.stdout


@pytest.fixture
def have_skopeo():
    if shutil.which("skopeo") is None:
        pytest.skip("needs skopeo")


def skopeo_facts(transport_ref):
    manifest = json.loads(skopeo("inspect", "--raw", transport_ref))
    config = json.loads(skopeo("inspect", "--config", "--raw", transport_ref))
    return manifest, config


def test_skopeo_oci_copy(cli, samples, tmp_path, have_skopeo):
    lay = tmp_path / "lay"
    skopeo("copy", "-q", "docker-archive:%s" % (samples / "app.docker-archive.tar"), "oci:%s:app" % lay)
    manifest, config = skopeo_facts("oci:%s:app" % lay)
    (g,) = inspect(cli, lay)
    assert g["Id"] == manifest["config"]["digest"]
    assert g["RootFS"]["Layers"] == config["rootfs"]["diff_ids"]
    assert [l["Digest"] for l in g["Layers"]] == [l["digest"] for l in manifest["layers"]]
    assert [l["Size"] for l in g["Layers"]] == [l["size"] for l in manifest["layers"]]
    assert [l["MediaType"] for l in g["Layers"]] == [l["mediaType"] for l in manifest["layers"]]
    assert g["RepoTags"] == ["app"] or g["RepoTags"] == []  # an OCI ref.name "app" is a tag, not a repo
    assert cli("verify", lay).rc == 0
    # and as a tar of that layout
    t = tar_dir(lay, tmp_path / "lay.tar", dot_prefix=True)
    assert summary(inspect(cli, t)) == summary([g])


def test_skopeo_dir_copy(cli, samples, samples_expected, tmp_path, have_skopeo):
    d = tmp_path / "d"
    skopeo("copy", "-q", "docker-archive:%s" % (samples / "app.docker-archive.tar"), "dir:%s" % d)
    manifest, config = skopeo_facts("dir:%s" % d)
    (g,) = inspect(cli, d)
    assert g["Archive"]["Format"] == "docker-dir"
    assert g["Id"] == manifest["config"]["digest"] == samples_expected["app.docker-archive.tar"]["id"]
    assert g["RootFS"]["Layers"] == config["rootfs"]["diff_ids"]
    assert [l["Digest"] for l in g["Layers"]] == [l["digest"] for l in manifest["layers"]]
    assert cli("verify", d).rc == 0
    # layers are plain tars though the manifest says .tar.gzip (skopeo's docker-archive source)
    assert [l["Compression"] for l in g["Layers"]] == ["none"] * len(manifest["layers"])


def test_skopeo_docker_archive_roundtrip(cli, samples, tmp_path, have_skopeo):
    lay = tmp_path / "lay"
    skopeo("copy", "-q", "docker-archive:%s" % (samples / "app.docker-archive.tar"), "oci:%s:app" % lay)
    out = tmp_path / "back.tar"
    skopeo("copy", "-q", "oci:%s:app" % lay, "docker-archive:%s:example.com/team/app:2.0" % out)
    manifest, config = skopeo_facts("docker-archive:%s" % out)
    (g,) = inspect(cli, out)
    assert g["Id"] == manifest["config"]["digest"]
    assert g["RootFS"]["Layers"] == config["rootfs"]["diff_ids"]
    assert g["RepoTags"] == ["example.com/team/app:2.0"]
    assert cli("verify", out).rc == 0


def test_skopeo_reads_zstd_docker_archive_like_layerkit(cli, samples, tmp_path, have_skopeo):
    """CATALOG.md: skopeo opens a zstd-compressed docker-archive."""
    z = compress_file(samples / "runtime.docker-archive.tar", tmp_path / "rt.tar.zst", "zstd")
    manifest, config = skopeo_facts("docker-archive:%s" % z)
    (g,) = inspect(cli, z)
    assert g["Id"] == manifest["config"]["digest"]
    assert g["RootFS"]["Layers"] == config["rootfs"]["diff_ids"]
    assert [l["Digest"] for l in g["Layers"]] == [l["digest"] for l in manifest["layers"]]


def test_python_reader_agrees_on_samples(samples, samples_expected):
    """The oracle itself: lkutil.read_images sees what samples/expected.json says."""
    for f, e in samples_expected.items():
        (img,) = read_images(samples / f)
        assert img.id == e["id"]
        assert img.diff_ids == e["diff_ids"]
        assert [sha256(img.blob(i)) for i in range(img.layer_count)] == [l["digest"] for l in e["layers"]]


# ---------------------------------------------------------------------------
# umoci


@pytest.fixture
def have_umoci():
    if shutil.which("umoci") is None:
        pytest.skip("needs umoci")


def umoci(*args):
    r = subprocess.run(["umoci", *map(str, args)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.fail("umoci %s: %s" % (" ".join(map(str, args)), r.stderr))
    return r.stdout


def test_umoci_layout(cli, tmp_path, have_umoci):
    """An image made by umoci (init/new/insert/config); `umoci stat --json` is the reference."""
    import os
    lay = tmp_path / "um"
    umoci("init", "--layout", lay)
    umoci("new", "--image", "%s:t" % lay)
    for i in range(3):
        d = tmp_path / ("in%d" % i)
        (d / "data").mkdir(parents=True)
        (d / "data" / ("f%d" % i)).write_bytes(b"x" * (100 * (i + 1)))
        os.symlink("f%d" % i, d / "data" / ("link%d" % i))
        umoci("insert", "--image", "%s:t" % lay, d, "/")
    umoci("config", "--image", "%s:t" % lay, "--config.cmd", "/bin/true", "--history.created_by", "configured")
    stat = json.loads(umoci("stat", "--image", "%s:t" % lay, "--json"))["history"]
    r = cli("history", "--layers", "--json", lay)
    assert r.rc == 0, r.err
    got = r.json()
    assert [g["CreatedBy"] for g in got] == [h["created_by"] for h in reversed(stat)]
    assert [g["DiffID"] for g in got] == [h["diff_id"] or None for h in reversed(stat)]
    assert [g["Digest"] for g in got] == [(h["layer"] or {}).get("digest") for h in reversed(stat)]
    assert [g["CompressedSize"] for g in got] == [(h["layer"] or {}).get("size") for h in reversed(stat)]
    # Docker sizes from the blobs umoci wrote
    (img,) = read_images(lay)
    sizes = img.layer_sizes()
    assert sizes == [100 + 2, 200 + 2, 300 + 2]
    assert [g["Size"] for g in got] == [0] + sizes[::-1]
    assert cli("verify", lay).rc == 0
    (g,) = inspect(cli, lay)
    assert g["Config"]["Cmd"] == ["/bin/true"]


# ---------------------------------------------------------------------------
# tar variants of docker-archives (oracle: Python's tarfile / gzip / zstd)


def _docker_archive_bytes(members, fmt=tarfile.PAX_FORMAT):
    from lkutil import tar_bytes
    return tar_bytes(members, fmt=fmt)


def _image_parts():
    from lkutil import jdump, make_config, tar_bytes
    layer = tar_bytes([("etc/", {"type": "dir"})] + [("etc/f%d" % i, (b"line %d\n" % i) * 50) for i in range(20)])
    cfg = jdump(make_config([sha256(layer)]))
    return layer, cfg, sha256(cfg)[7:] + ".json"


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT])
def test_long_member_names(cli, tmp_path, fmt):
    from lkutil import jdump
    layer, cfg, cname = _image_parts()
    long_name = "d" * 120 + "/" + "e" * 120 + "/layer.tar"
    p = tmp_path / "long.tar"
    p.write_bytes(_docker_archive_bytes([(cname, cfg), (long_name, layer), ("manifest.json", jdump(
        [{"Config": cname, "RepoTags": ["long:1"], "Layers": [long_name]}]))], fmt=fmt))
    js = cli("verify", "--json", p).json()
    assert js["OK"] is True
    assert js["Images"][0]["Layers"][0]["DiffID"] == sha256(layer)


def test_layer_through_hardlink(cli, tmp_path):
    from lkutil import jdump
    layer, cfg, cname = _image_parts()
    p = tmp_path / "hl.tar"
    p.write_bytes(_docker_archive_bytes([(cname, cfg), ("a/layer.tar", layer),
                                         ("b/layer.tar", {"type": "lnk", "linkname": "a/layer.tar"}),
                                         ("manifest.json", jdump([{"Config": cname, "RepoTags": ["hl:1"],
                                                                   "Layers": ["b/layer.tar"]}]))]))
    js = cli("verify", "--json", p).json()
    assert js["OK"] is True
    assert js["Images"][0]["Layers"][0]["Digest"] == sha256(layer)


def test_last_manifest_json_wins(cli, tmp_path):
    """Two manifest.json members: tar semantics (GNU tar -x, Docker's load) keep the last."""
    from lkutil import jdump
    layer, cfg, cname = _image_parts()
    p = tmp_path / "dup.tar"
    p.write_bytes(_docker_archive_bytes([(cname, cfg), ("l.tar", layer),
                                         ("manifest.json", jdump([{"Config": cname, "RepoTags": ["first:1"],
                                                                   "Layers": ["l.tar"]}])),
                                         ("manifest.json", jdump([{"Config": cname, "RepoTags": ["second:1"],
                                                                   "Layers": ["l.tar"]}]))]))
    d = tmp_path / "x"
    d.mkdir()
    subprocess.run(["tar", "-C", str(d), "-xf", str(p)], check=True)
    want = json.loads((d / "manifest.json").read_text())[0]["RepoTags"]
    (g,) = inspect(cli, p)
    assert g["RepoTags"] == want == ["second:1"]


@pytest.mark.parametrize("kind", ["gzip", "zstd"])
def test_multi_member_compressed_layer(cli, tmp_path, kind):
    """A layer blob of two concatenated gzip members / zstd frames is one stream
    (RFC 1952 members; zstd frames): the diff_id is over the whole tar."""
    import gzip as gz
    from lkutil import OciLayout, decompress, docker_layer_size, jdump, make_config
    layer, _, _ = _image_parts()
    half = len(layer) // 2 + 7
    if kind == "gzip":
        blob = gz.compress(layer[:half], mtime=0) + gz.compress(layer[half:], mtime=0)
        mt = "application/vnd.oci.image.layer.v1.tar+gzip"
    else:
        z = lambda b: subprocess.run(["zstd", "-q", "-c"], input=b, capture_output=True, check=True).stdout
        blob = z(layer[:half]) + z(layer[half:])
        mt = "application/vnd.oci.image.layer.v1.tar+zstd"
    assert decompress(blob) == layer
    lay = OciLayout(tmp_path / "lay")
    cdesc = lay.blob(jdump(make_config([sha256(layer)])), "application/vnd.oci.image.config.v1+json")
    ldesc = lay.blob(blob, mt)
    man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": cdesc,
           "layers": [ldesc]}
    lay.index([lay.blob(jdump(man), man["mediaType"])])
    js = cli("verify", "--json", lay.root).json()
    assert js["OK"] is True, js
    assert js["Images"][0]["Layers"][0]["DiffID"] == sha256(layer)
    assert cli("history", "--json", lay.root).json()[0]["Size"] == docker_layer_size(layer)


@pytest.mark.parametrize("links_first", [False, True])
@pytest.mark.parametrize("compress", [False, True])
def test_layers_named_through_legacy_symlinks(cli, samples, samples_expected, tmp_path, links_first, compress):
    """manifest.json naming podman's <v1 id>/layer.tar symlinks instead of the
    <diff_id>.tar files, manifest.json first, symlinks before or after their
    targets, the whole optionally gzip-compressed (read once, in order)."""
    import gzip as gz
    import io
    from lkutil import jdump
    src = tarfile.open(samples / "app.docker-archive.tar")
    members = [(m, src.extractfile(m).read() if m.isreg() else None) for m in src.getmembers()]
    man = json.loads(dict((m.name, d) for m, d in members)["manifest.json"])
    link_of = {m.linkname[3:]: m.name for m, _ in members if m.issym()}
    man[0]["Layers"] = [link_of[l] for l in man[0]["Layers"]]
    rest = [(m, d) for m, d in members if m.name != "manifest.json"]
    if links_first:
        rest = [x for x in rest if x[0].issym()] + [x for x in rest if not x[0].issym()]
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w") as tf:
        body = jdump(man)
        ti = tarfile.TarInfo("manifest.json")
        ti.size = len(body)
        tf.addfile(ti, io.BytesIO(body))
        for m, d in rest:
            tf.addfile(m, io.BytesIO(d) if d is not None else None)
    raw = bio.getvalue()
    p = tmp_path / "legacy.tar"
    p.write_bytes(gz.compress(raw) if compress else raw)
    js = cli("verify", "--json", p).json()
    assert js["OK"] is True
    assert [l["DiffID"] for l in js["Images"][0]["Layers"]] == samples_expected["app.docker-archive.tar"]["diff_ids"]
    assert cli("history", "--json", p).json() == cli("history", "--json", samples / "app.docker-archive.tar").json()


def test_docker_archive_retarred_with_dot_prefix(cli, samples, tmp_path):
    d = tmp_path / "x"
    d.mkdir()
    subprocess.run(["tar", "-C", str(d), "-xf", str(samples / "app.docker-archive.tar")], check=True)
    t = tmp_path / "dot.tar"
    subprocess.run(["tar", "-C", str(d), "-cf", str(t), "."], check=True)
    assert summary(inspect(cli, t)) == summary(inspect(cli, samples / "app.docker-archive.tar"))
    # and the unpacked directory itself
    assert summary(inspect(cli, d)) == summary(inspect(cli, samples / "app.docker-archive.tar"))


def test_archive_from_a_pipe(cli, samples, samples_expected, tmp_path):
    """`docker save app | layerkit images -`: standard input (a pipe) and a named
    pipe give what the file gives, plain or gzip-compressed; an empty pipe is
    format_unknown; a device is refused; a terminal on "-" is a usage error."""
    import gzip
    import os
    import pty
    import subprocess
    import threading

    from conftest import CLI

    path = samples / "app.docker-archive.tar"
    exp = samples_expected["app.docker-archive.tar"]
    data = path.read_bytes()
    for blob in (data, gzip.compress(data, mtime=0)):
        proc = subprocess.run([CLI, "history", "-q", "--no-trunc", "-"], input=blob, capture_output=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.decode().splitlines()[0] == exp["id"]
        proc = subprocess.run([CLI, "verify", "--json", "-"], input=blob, capture_output=True, timeout=60)
        assert proc.returncode == 0 and json.loads(proc.stdout)["Images"][0]["Id"] == exp["id"], proc.stderr
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(data))
    writer.start()
    r = cli("inspect", fifo)
    writer.join()
    assert r.rc == 0, r.err
    assert r.json()[0]["Id"] == exp["id"] and r.json()[0]["RootFS"]["Layers"] == exp["diff_ids"]
    proc = subprocess.run([CLI, "images", "-"], input=b"", capture_output=True, timeout=60)
    assert proc.returncode == 2 and b"[format_unknown]" in proc.stderr and b"empty stream" in proc.stderr
    proc = subprocess.run([CLI, "images", "-", "-"], input=data, capture_output=True, timeout=60)
    assert proc.returncode == 2 and b"can be given only once [usage]" in proc.stderr, proc.stderr
    r = cli("images", "/dev/null")
    assert r.rc == 2 and r.err.rstrip().endswith("[invalid_argument]")
    master, slave = pty.openpty()
    try:
        proc = subprocess.run([CLI, "images", "-"], stdin=slave, capture_output=True, timeout=60)
    finally:
        os.close(master)
        os.close(slave)
    assert proc.returncode == 2 and b"terminal" in proc.stderr and proc.stderr.rstrip().endswith(b"[usage]")
