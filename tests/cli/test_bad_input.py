"""Bad and hostile input: each is exit status 2 with a message that names the
member or the problem and ends with the error code in brackets (error.hpp's
Errc names). Inputs are built here with Python's tarfile/json, so that what
is wrong with them is known exactly; limits are those options.hpp documents
(manifest.json 1 MiB as containers/image, JSON depth 64)."""
import json
import random
import pathlib
import shutil
import tarfile

import pytest

from lkutil import OciLayout, jdump, make_config, read_images, sha256, tar_bytes

COMMANDS = ["images", "inspect", "history", "verify", "dedup"]


def code_of(err):
    last = err.strip().splitlines()[-1]
    assert last.startswith("layerkit: "), err
    assert last.endswith("]"), err
    return last[last.rindex("[") + 1:-1]


LAYER = tar_bytes([("etc/", {"type": "dir"}), ("etc/hello", b"hello\n")])


def docker_archive(path, manifest, extra=()):
    """A docker-archive whose manifest.json is `manifest` (bytes or JSON value)."""
    cfg = jdump(make_config([sha256(LAYER)]))
    entries = [(sha256(cfg)[7:] + ".json", cfg), *extra]
    body = manifest if isinstance(manifest, bytes) else jdump(manifest)
    entries.append(("manifest.json", body))
    pathlib.Path(path).write_bytes(tar_bytes(entries))
    return sha256(cfg)[7:] + ".json"


def one_image(cfg_name, layers):
    return [{"Config": cfg_name, "RepoTags": ["bad/x:1"], "Layers": layers}]


def cfg_name():
    return sha256(jdump(make_config([sha256(LAYER)])))[7:] + ".json"


# ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_nonexistent_path(cli, tmp_path, command):
    p = tmp_path / "no" / "such.tar"
    r = cli(command, p)
    assert r.rc == 2
    assert str(p) in r.err
    assert code_of(r.err) == "not_found"
    assert r.out == ""


def test_empty_file(cli, tmp_path):
    p = tmp_path / "empty.tar"
    p.write_bytes(b"")
    for command in COMMANDS:
        r = cli(command, p)
        assert r.rc == 2, command
        assert code_of(r.err) == "format_unknown"
        assert "empty" in r.err


@pytest.mark.parametrize("content", [b"hello world\n", b"{\"not\": \"an archive\"}\n", b"\x00" * 100,
                                     random.Random(7).randbytes(4096)], ids=["text", "json", "zeros", "noise"])
def test_not_an_archive(cli, tmp_path, content):
    p = tmp_path / "text.tar"
    p.write_bytes(content)
    r = cli("inspect", p)
    assert r.rc == 2
    assert code_of(r.err) in ("format_unknown", "truncated", "malformed")
    assert str(p) in r.err


def test_directory_that_is_no_layout(cli, tmp_path):
    d = tmp_path / "dir"
    d.mkdir()
    (d / "readme.txt").write_text("nothing here")
    r = cli("inspect", d)
    assert r.rc == 2
    assert code_of(r.err) == "format_unknown"


def test_layer_tar_has_no_image(cli, tmp_path):
    """A lone layer tar (archive.hpp: format layer-tar, no images, one loose layer)."""
    p = tmp_path / "layer.tar"
    p.write_bytes(LAYER)
    r = cli("inspect", p)
    assert r.rc == 0, r.err
    assert r.json() == []
    r = cli("history", p)
    assert r.rc == 2
    assert code_of(r.err) == "not_found"
    assert "no image" in r.err
    assert cli("images", "-q", p).out == ""
    r = cli("ls", p)
    assert r.rc == 0, r.err
    assert r.out.splitlines()[0] == "layer 0  %s (a lone layer tar)" % p


@pytest.mark.parametrize("name", ["ext.moby.tarsum-46af0962-layer", "ext.regclient.layer-wh"])
def test_corpus_layer_tars(cli, expected, name):
    exp, path = expected(name)
    assert exp["format"] == "layer-tar"
    r = cli("inspect", path)
    assert (r.rc, r.out.strip()) == (0, "[]"), r.err
    assert code_of(cli("history", path).err) == "not_found"


def test_manifest_null(cli, tmp_path):
    p = tmp_path / "null.tar"
    docker_archive(p, b"null")
    for command in COMMANDS:
        r = cli(command, p)
        assert r.rc == 2, command
        assert code_of(r.err) == "malformed"
        assert "manifest.json" in r.err and "null" in r.err


def test_manifest_object(cli, tmp_path):
    p = tmp_path / "obj.tar"
    docker_archive(p, b"{}")
    r = cli("inspect", p)
    assert r.rc == 2
    assert code_of(r.err) == "malformed"
    assert "manifest.json" in r.err


@pytest.mark.parametrize("body", [b"[", b"[{\"Config\": 1}]", b"[{\"Config\": \"x.json\", \"Layers\": \"a\"}]",
                                  b"\xff\xfe[]"])
def test_manifest_invalid(cli, tmp_path, body):
    p = tmp_path / "bad.tar"
    docker_archive(p, body)
    r = cli("inspect", p)
    assert r.rc == 2
    assert code_of(r.err) == "malformed"
    assert "manifest.json" in r.err


def test_manifest_empty_list_history(cli, tmp_path):
    p = tmp_path / "zero.tar"
    docker_archive(p, b"[]")
    r = cli("history", p)
    assert r.rc == 2
    assert code_of(r.err) == "malformed"
    assert "no images" in r.err


@pytest.mark.parametrize("command", ["verify", "inspect"])
def test_manifest_empty_list_is_an_error(cli, tmp_path, command):
    p = tmp_path / "zero.tar"
    docker_archive(p, b"[]")
    r = cli(command, p)
    assert r.rc == 2


def test_layer_path_leaves_archive(cli, tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_bytes(LAYER)  # a valid layer, should it be read
    p = tmp_path / "a" / "b" / "passwd.tar"
    p.parent.mkdir(parents=True)
    docker_archive(p, one_image(cfg_name(), ["../../etc/passwd"]))
    for command in COMMANDS:
        r = cli(command, p)
        assert r.rc == 2, command
        assert code_of(r.err) == "unsafe_path"
        assert "../../etc/passwd" in r.err


def test_layer_path_leaves_directory_archive(cli, tmp_path, samples):
    """The same in an unpacked docker-archive directory, where the file exists."""
    d = tmp_path / "x" / "archive"
    d.mkdir(parents=True)
    with tarfile.open(samples / "base.docker-archive.tar") as tf:
        for m in tf:
            if m.isreg():
                (d / m.name).parent.mkdir(parents=True, exist_ok=True)
                (d / m.name).write_bytes(tf.extractfile(m).read())
    manifest = json.loads((d / "manifest.json").read_text())
    layer = manifest[0]["Layers"][1]
    shutil.move(str(d / layer), str(tmp_path / layer))
    manifest[0]["Layers"][1] = "../../" + layer
    (d / "manifest.json").write_text(json.dumps(manifest))
    assert (d / "../.." / layer).resolve().is_file()
    r = cli("verify", d)
    assert r.rc == 2
    assert code_of(r.err) == "unsafe_path"


def test_symlink_loop(cli, tmp_path):
    p = tmp_path / "loop.tar"
    docker_archive(p, one_image(cfg_name(), ["a"]),
                   extra=[("a", {"type": "sym", "linkname": "b"}), ("b", {"type": "sym", "linkname": "a"})])
    for command in ("inspect", "verify", "history"):
        r = cli(command, p)
        assert r.rc == 2, command
        assert code_of(r.err) == "unsafe_path"
        assert '"a"' in r.err


def test_self_symlink(cli, tmp_path):
    p = tmp_path / "self.tar"
    docker_archive(p, one_image(cfg_name(), ["a"]), extra=[("a", {"type": "sym", "linkname": "./a"})])
    r = cli("inspect", p)
    assert r.rc == 2
    assert code_of(r.err) == "unsafe_path"


def test_symlink_out_of_archive(cli, tmp_path):
    p = tmp_path / "out.tar"
    docker_archive(p, one_image(cfg_name(), ["l.tar"]), extra=[("l.tar", {"type": "sym", "linkname": "../../x"})])
    r = cli("inspect", p)
    assert r.rc == 2
    assert code_of(r.err) == "unsafe_path"
    assert "l.tar" in r.err and "../../x" in r.err


def test_hardlink_out_of_archive(cli, tmp_path):
    p = tmp_path / "hard.tar"
    docker_archive(p, one_image(cfg_name(), ["l.tar"]), extra=[("l.tar", {"type": "lnk", "linkname": "../x.tar"})])
    r = cli("inspect", p)
    assert r.rc == 2
    assert code_of(r.err) == "unsafe_path"


def test_absolute_symlink_is_never_followed(cli, tmp_path):
    """A link to an absolute path, whose target exists and holds the right layer:
    layerkit must not read it (the layer is not verified)."""
    outside = tmp_path / "outside.tar"
    outside.write_bytes(LAYER)
    p = tmp_path / "abs.tar"
    docker_archive(p, one_image(cfg_name(), ["l.tar"]), extra=[("l.tar", {"type": "sym", "linkname": str(outside)})])
    r = cli("verify", "--json", p)
    assert r.rc != 0
    if r.rc == 1:
        assert r.json()["Images"][0]["Layers"][0]["OK"] is False


def test_absolute_symlink_is_unsafe_path(cli, tmp_path):
    outside = tmp_path / "outside.tar"
    outside.write_bytes(LAYER)
    p = tmp_path / "abs.tar"
    docker_archive(p, one_image(cfg_name(), ["l.tar"]), extra=[("l.tar", {"type": "sym", "linkname": str(outside)})])
    r = cli("verify", p)
    assert r.rc == 2
    assert code_of(r.err) == "unsafe_path"


def test_manifest_json_over_1mib(cli, tmp_path):
    p = tmp_path / "big.tar"
    name = cfg_name()
    big = jdump([{"Config": name, "RepoTags": ["bad/x:1"], "Layers": ["l.tar"], "Pad": "x" * (2 << 20)}])
    assert len(big) > 2 << 20
    docker_archive(p, big, extra=[("l.tar", LAYER)])
    r = cli("inspect", p)
    assert r.rc == 2
    assert code_of(r.err) == "limit_exceeded"
    assert "manifest.json" in r.err and str(1 << 20) in r.err


def test_manifest_json_just_under_1mib_is_fine(cli, tmp_path):
    p = tmp_path / "fat.tar"
    name = cfg_name()
    body = jdump([{"Config": name, "RepoTags": ["bad/x:1"], "Layers": ["l.tar"], "Pad": ""}])
    pad = (1 << 20) - len(body)
    body = jdump([{"Config": name, "RepoTags": ["bad/x:1"], "Layers": ["l.tar"], "Pad": "x" * pad}])
    assert len(body) == 1 << 20
    docker_archive(p, body, extra=[("l.tar", LAYER)])
    r = cli("inspect", p)
    assert r.rc == 0, r.err
    assert r.json()[0]["RootFS"]["Layers"] == [sha256(LAYER)]


def test_config_nested_10000_deep(cli, tmp_path):
    deep = b'{"architecture":"amd64","os":"linux","x":' + b"[" * 10000 + b"]" * 10000 + b"}"
    name = sha256(deep)[7:] + ".json"
    p = tmp_path / "deep.tar"
    p.write_bytes(tar_bytes([(name, deep), ("l.tar", LAYER),
                             ("manifest.json", jdump([{"Config": name, "RepoTags": ["d:1"], "Layers": ["l.tar"]}]))]))
    r = cli("inspect", p)
    assert r.rc == 2
    assert code_of(r.err) == "limit_exceeded"
    assert name in r.err


def test_config_nested_within_limit(cli, tmp_path):
    cfg = make_config([sha256(LAYER)])
    cfg["config"]["Labels"] = {"deep": "x"}
    body = jdump(cfg)[:-1] + b',"x":' + b"[" * 50 + b"]" * 50 + b"}"
    json.loads(body)
    name = sha256(body)[7:] + ".json"
    p = tmp_path / "ok.tar"
    p.write_bytes(tar_bytes([(name, body), ("l.tar", LAYER),
                             ("manifest.json", jdump([{"Config": name, "RepoTags": ["d:1"], "Layers": ["l.tar"]}]))]))
    r = cli("inspect", p)
    assert r.rc == 0, r.err
    assert r.json()[0]["Id"] == sha256(body)


@pytest.mark.parametrize("digest,what", [
    ("sha256:../../etc", "sha256:../../etc"),
    ("sha256:" + "A" * 64, "sha256:" + "A" * 64),
    ("sha256:" + "a" * 63, "sha256:" + "a" * 63),
    ("sha256:" + "a" * 64 + "/x", "/x"),
    ("md5:../x", "md5:../x"),
    ("../../etc/passwd", "../../etc/passwd"),
])
def test_invalid_digest_in_index(cli, tmp_path, digest, what):
    lay = OciLayout(tmp_path / "lay")
    mdesc, _, _ = lay.image([LAYER])
    lay.index([dict(mdesc, digest=digest)])
    for command in ("inspect", "verify"):
        r = cli(command, lay.root)
        assert r.rc == 2, command
        assert code_of(r.err) == "invalid_digest"
        assert what in r.err
        assert "index.json" in r.err


def test_invalid_digest_in_manifest_layer(cli, tmp_path):
    lay = OciLayout(tmp_path / "lay")
    _, cdig, _ = lay.image([LAYER])
    man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cdig,
                      "size": (lay.root / "blobs" / "sha256" / cdig[7:]).stat().st_size},
           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:../../../etc/passwd",
                       "size": 1}]}
    lay.index([lay.blob(jdump(man), "application/vnd.oci.image.manifest.v1+json")])
    r = cli("inspect", lay.root)
    assert r.rc == 2
    assert code_of(r.err) == "invalid_digest"


def test_error_lines_are_one_per_failure(cli, tmp_path, samples):
    """A bad archive among good ones: the command fails with 2 and names the bad one."""
    bad = tmp_path / "bad.tar"
    docker_archive(bad, b"null")
    r = cli("inspect", samples / "base.docker-archive.tar", bad)
    assert r.rc == 2
    assert code_of(r.err) == "malformed"
    assert len(r.err.strip().splitlines()) == 1


def test_error_names_the_archive(cli, tmp_path, samples):
    bad = tmp_path / "bad.tar"
    docker_archive(bad, b"null")
    r = cli("inspect", samples / "base.docker-archive.tar", bad)
    assert r.rc == 2
    assert str(bad) in r.err


def test_python_reader_sees_layer(tmp_path):
    """The generated archives are what they claim (the oracle reads them)."""
    p = tmp_path / "ok.tar"
    docker_archive(p, one_image(cfg_name(), ["l.tar"]), extra=[("l.tar", LAYER)])
    (img,) = read_images(p)
    assert img.diff_ids == [sha256(LAYER)]
