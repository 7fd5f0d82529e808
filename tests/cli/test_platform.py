"""--platform on OCI image indexes built here (OCI image-index.md: a nested
index whose descriptors carry `platform`), including a BuildKit attestation
manifest (platform unknown/unknown, annotation vnd.docker.reference.type =
attestation-manifest), and on the corpus's multi-platform layouts."""
import pytest

from lkutil import OciLayout, sha256, tar_bytes

INDEX_MT = "application/vnd.oci.image.index.v1+json"


def multi_platform(tmp_path, platforms, name="multi:1", attestation=True):
    """An OCI layout whose index.json names one image: a nested index with a
    manifest per platform (+ an attestation manifest). Returns (root, {platform: config digest})."""
    lay = OciLayout(tmp_path / "lay")
    descs, ids = [], {}
    for plat in platforms:
        os_, arch, *var = plat.split("/")
        layer = tar_bytes([("platform", plat.encode())])
        kw = {"variant": var[0]} if var else {}
        mdesc, cdig, _ = lay.image([layer], arch=arch, os_=os_, **kw)
        p = {"os": os_, "architecture": arch}
        if var:
            p["variant"] = var[0]
        descs.append(dict(mdesc, platform=p))
        ids[plat] = cdig
    if attestation:
        att = tar_bytes([("sbom.spdx.json", b"{}")])
        mdesc, cdig, _ = lay.image([att], arch="unknown", os_="unknown")
        descs.append(dict(mdesc, platform={"os": "unknown", "architecture": "unknown"},
                          annotations={"vnd.docker.reference.type": "attestation-manifest",
                                       "vnd.docker.reference.digest": descs[0]["digest"]}))
        ids["attestation"] = cdig
    inner = lay.index(descs, name=None)
    lay.index([lay.blob(inner, INDEX_MT, annotations={"org.opencontainers.image.ref.name": name})])
    return lay.root, ids


def image_ids(cli, *args):
    r = cli("inspect", *args)
    assert r.rc == 0, r.err
    return [g["Id"] for g in r.json()]


def test_default_is_linux_amd64(cli, tmp_path):
    root, ids = multi_platform(tmp_path, ["linux/amd64", "linux/arm64/v8"])
    assert image_ids(cli, root) == [ids["linux/amd64"]]
    (g,) = cli("inspect", root).json()
    assert (g["Os"], g["Architecture"]) == ("linux", "amd64")
    r = cli("images", "-q", root)
    assert r.out.splitlines() == [ids["linux/amd64"][7:19]]
    assert r.err == ""


def test_pick_arm64(cli, tmp_path):
    root, ids = multi_platform(tmp_path, ["linux/amd64", "linux/arm64/v8"])
    assert image_ids(cli, "--platform", "linux/arm64", root) == [ids["linux/arm64/v8"]]
    assert image_ids(cli, "--platform", "linux/arm64/v8", root) == [ids["linux/arm64/v8"]]
    assert image_ids(cli, "--platform=linux/arm64", root) == [ids["linux/arm64/v8"]]
    h = cli("history", "--json", "--platform", "linux/arm64", root)
    assert h.rc == 0, h.err
    assert h.json()[0]["ID"] == ids["linux/arm64/v8"]
    v = cli("verify", "--json", "--platform", "linux/arm64", root)
    assert v.rc == 0
    assert [i["Id"] for i in v.json()["Images"]] == [ids["linux/arm64/v8"]]


def test_no_such_platform(cli, tmp_path):
    root, ids = multi_platform(tmp_path, ["linux/amd64", "linux/arm64/v8"])
    r = cli("inspect", "--platform", "linux/s390x", root)
    assert r.rc == 0
    assert r.json() == []
    assert "warning" in r.err
    assert "linux/s390x" in r.err
    assert "linux/amd64" in r.err and "linux/arm64/v8" in r.err
    assert "unknown/unknown" not in r.err  # the attestation is no platform
    h = cli("history", "--platform", "linux/s390x", root)
    assert h.rc == 2


def test_ambiguous_platform(cli, tmp_path):
    root, ids = multi_platform(tmp_path, ["linux/arm/v6", "linux/arm/v7"], attestation=False)
    for command in ("inspect", "images", "history", "verify"):
        r = cli(command, "--platform", "linux/arm", root)
        assert r.rc == 2, command
        assert r.err.rstrip().endswith("[ambiguous]")
        assert "linux/arm/v6" in r.err and "linux/arm/v7" in r.err
    assert image_ids(cli, "--platform", "linux/arm/v7", root) == [ids["linux/arm/v7"]]
    assert image_ids(cli, "--platform", "linux/arm/v6", root) == [ids["linux/arm/v6"]]


def test_platform_all_lists_every_manifest(cli, tmp_path):
    root, ids = multi_platform(tmp_path, ["linux/amd64", "linux/arm64/v8"])
    got = image_ids(cli, "--platform", "all", root)
    assert sorted(got) == sorted(ids.values())
    assert len(got) == 3


def test_platform_normalised_arch_names(cli, tmp_path):
    """containerd normalises x86_64 to amd64 and aarch64 to arm64."""
    root, ids = multi_platform(tmp_path, ["linux/amd64", "linux/arm64/v8"])
    assert image_ids(cli, "--platform", "linux/x86_64", root) == [ids["linux/amd64"]]
    assert image_ids(cli, "--platform", "linux/aarch64", root) == [ids["linux/arm64/v8"]]


@pytest.mark.parametrize("bad", ["linux", "linux/", "/amd64", "linux/amd64/v1/extra"])
def test_platform_syntax(cli, tmp_path, bad):
    root, _ = multi_platform(tmp_path, ["linux/amd64"])
    r = cli("inspect", "--platform", bad, root)
    assert r.rc == 2
    assert r.out == ""


def test_single_platform_index_falls_back(cli, tmp_path):
    """archive.hpp: a default platform falls back to the only manifest (Docker's
    containerd store saves just the pulled platform)."""
    root, ids = multi_platform(tmp_path, ["linux/arm64/v8"], attestation=False)
    assert image_ids(cli, root) == [ids["linux/arm64/v8"]]
    r = cli("inspect", "--platform", "linux/amd64", root)
    assert r.json() == [] and "linux/arm64/v8" in r.err


def test_corpus_regclient_testrepo_all(cli, expected):
    exp, path = expected("ext.regclient.testrepo")
    every = image_ids(cli, "--platform", "all", path)
    assert set(every) >= {e["config_digest"] for e in exp["images"] if e.get("config_digest")}


@pytest.mark.parametrize("platform", ["linux/amd64", "linux/arm64"])
def test_corpus_regclient_testrepo_platforms(cli, expected, platform):
    exp, path = expected("ext.regclient.testrepo")
    arch = platform.split("/")[1]
    want = {e["config_digest"] for e in exp["images"]
            if e.get("platform") == {"architecture": arch, "os": "linux"}}
    assert len(want) >= 4
    r = cli("images", "--json", "--platform", platform, path)
    assert r.rc == 0, r.err
    got = {j["ID"] for j in r.json()}
    assert {w[7:19] for w in want} <= got


def test_corpus_single_arm64_image_default(cli, expected):
    """dive's OCI archives hold one linux/arm64 image: shown without --platform."""
    exp, path = expected("ext.dive.test-oci-gzip-image")
    assert exp["images"][0]["platform"]["architecture"] == "arm64"
    assert image_ids(cli, path) == [exp["images"][0]["config_digest"]]


def test_platform_ids_are_config_digests(tmp_path):
    """The oracle: the fixture's IDs are the sha256 of the config blobs on disk."""
    root, ids = multi_platform(tmp_path, ["linux/amd64", "linux/arm64/v8"])
    for d in ids.values():
        assert sha256((root / "blobs" / "sha256" / d[7:]).read_bytes()) == d


def test_docker_archive_platform_from_its_config(cli, samples, samples_expected):
    """A docker-archive names its platform in the image config only (the samples
    are linux/amd64, from podman): an explicit other --platform leaves the image
    out with a warning, as it does for a lone OCI manifest."""
    import json
    import tarfile

    path = samples / "base.docker-archive.tar"
    exp = samples_expected[path.name]
    with tarfile.open(path) as tf:
        config = json.load(tf.extractfile(exp["config_member"]))
    plat = "%s/%s" % (config["os"], config["architecture"])
    assert plat == "linux/amd64"
    assert image_ids(cli, "--platform", plat, path) == [exp["id"]]
    r = cli("inspect", "--platform", "linux/arm64", path)
    assert r.rc == 0 and r.json() == []
    assert "its platform linux/amd64 is not linux/arm64" in r.err, r.err
    r = cli("history", "--platform", "linux/arm64", path)
    assert r.rc == 2 and "no image for platform linux/arm64 [not_found]" in r.err, r.err
