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
