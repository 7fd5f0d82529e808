"""`layerkit inspect` against the corpus's expected JSON (peer tools' readings)
and samples/expected.json."""
import pytest

from conftest import SAMPLE_NAMES
from lkutil import chain_ids, decompress, docker_layer_size, read_images, sha256

CORPUS_INSPECT = [
    "base.podman.docker-archive",
    "app.podman.docker-archive",
    "app.skopeo.docker-archive",
    "app.podman.docker-archive.tar.gz",
    "app.podman.oci-archive",
    "app.skopeo-zstd.oci-layout",
    "all.skopeo.oci-layout",
    "base.skopeo-uncompressed.oci-layout",
    "base.skopeo.docker-dir",
    "base+runtime+app.podman-multi.docker-archive",
    "ext.dive.test-docker-image",
    "ext.dive.test-kaniko-image",
    "ext.dive.test-oci-gzip-image",
    "ext.dive.test-oci-zstd-image",
    "ext.ggcr.hello-world-v25",
    "ext.ggcr.test_bundle",
    "ext.containers-image.almostempty",
]


def by_id(objs):
    out = {}
    for o in objs:
        out.setdefault(o["Id"], []).append(o)
    return out


@pytest.mark.parametrize("name", CORPUS_INSPECT)
def test_inspect_corpus(cli, expected, name):
    exp, path = expected(name)
    r = cli("inspect", path)
    assert r.rc == 0, r.err
    got = r.json()
    assert isinstance(got, list)
    assert len(got) == len(exp["images"])
    py = {i.id: i for i in read_images(path)}
    for e, g in zip(exp["images"], got):
        assert g["Id"] == e["config_digest"]
        assert g["RootFS"]["Type"] == "layers"
        assert g["RootFS"]["Layers"] == e["config_diff_ids"]
        assert g["Architecture"] == e["architecture"]
        assert g["Os"] == e["os"]
        assert g["Created"] == e["created"]
        for key in ("Env", "Cmd", "Labels", "Entrypoint", "WorkingDir", "User"):
            if key in e["config"]:
                assert g["Config"][key] == e["config"][key], key
        if "ExposedPorts" in e["config"]:
            assert sorted(g["Config"]["ExposedPorts"]) == sorted(e["config"]["ExposedPorts"])
        if "repo_tags" in e:
            assert g["RepoTags"] == (e["repo_tags"] or [])
        if e.get("manifest_digest") and g.get("Manifest"):
            assert g["Manifest"]["Digest"] == e["manifest_digest"]
        assert g["Archive"]["Format"] == exp["format"]

        chains = chain_ids(e["config_diff_ids"])
        sizes = py[e["config_digest"]].layer_sizes()
        assert len(g["Layers"]) == len(e["layers"])
        for i, (gl, el) in enumerate(zip(g["Layers"], e["layers"])):
            assert gl["Digest"] == el["digest"]
            assert gl["Size"] == el["size"]
            assert gl["DiffID"] == el["diff_id"]
            assert gl["UncompressedSize"] == el["uncompressed_size"]
            assert gl["Compression"] == el["compression"]
            assert gl["ChainID"] == chains[i]
            assert gl["ContentSize"] == sizes[i]
            assert gl["Present"] is True
            if "media_type" in el:
                assert gl["MediaType"] == el["media_type"]
        assert g["Size"] == sum(sizes)
        # docker image inspect's Comment: the comment of the newest history entry
        # (real Docker shows "buildkit.dockerfile.v0" for buildkit images)
        assert g["Comment"] == (e["history"][-1].get("comment", "") if e["history"] else "")


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_inspect_samples(cli, samples, samples_expected, name):
    path = samples / ("%s.docker-archive.tar" % name)
    exp = samples_expected[path.name]
    (img,) = read_images(path)
    r = cli("inspect", "--json", path)
    assert r.rc == 0, r.err
    (g,) = r.json()
    assert g["Id"] == exp["id"] == img.id
    assert g["RepoTags"] == [exp["ref"]]
    assert g["RootFS"]["Layers"] == exp["diff_ids"]
    assert g["Config"]["Env"] == img.config["config"]["Env"]
    assert g["Config"]["Cmd"] == img.config["config"]["Cmd"]
    assert g["Config"]["Labels"] == img.config["config"]["Labels"]
    assert g["Architecture"] == img.config["architecture"]
    assert g["Os"] == img.config["os"]
    assert g["Archive"] == {"Path": str(path), "Format": "docker-archive"}
    for i, (gl, el) in enumerate(zip(g["Layers"], exp["layers"])):
        blob = img.blob(i)
        assert gl["Digest"] == el["digest"] == sha256(blob)
        assert gl["Size"] == el["bytes"] == len(blob)
        assert gl["DiffID"] == exp["diff_ids"][i]
        assert gl["UncompressedSize"] == len(decompress(blob))
        assert gl["ContentSize"] == docker_layer_size(decompress(blob))
    assert len(g["Layers"]) == len(exp["layers"])


def test_inspect_sample_oci_archive(cli, samples, samples_expected):
    path = samples / "app.oci-archive.tar"
    exp = samples_expected[path.name]
    (g,) = cli("inspect", path).json()
    assert g["Id"] == exp["id"]
    assert g["Manifest"]["Digest"] == exp["manifest_digest"]
    assert g["RootFS"]["Layers"] == exp["diff_ids"]
    assert [l["Digest"] for l in g["Layers"]] == [l["digest"] for l in exp["layers"]]
    assert [l["Size"] for l in g["Layers"]] == [l["bytes"] for l in exp["layers"]]
    assert [l["Compression"] for l in g["Layers"]] == ["gzip" if l["gzip"] else "none" for l in exp["layers"]]
    assert g["Archive"]["Format"] == "oci-archive"


def test_inspect_several_archives_one_array(cli, samples, samples_expected):
    paths = [samples / ("%s.docker-archive.tar" % n) for n in SAMPLE_NAMES]
    r = cli("inspect", *paths)
    assert r.rc == 0, r.err
    assert [g["Id"] for g in r.json()] == [samples_expected[p.name]["id"] for p in paths]


def test_inspect_image_option(cli, expected):
    exp, path = expected("base+runtime+app.podman-multi.docker-archive")
    for e in exp["images"]:
        for ref in (e["repo_tags"][0], e["config_digest"], e["config_digest"][7:19]):
            r = cli("inspect", "--image", ref, path)
            assert r.rc == 0, (ref, r.err)
            assert [g["Id"] for g in r.json()] == [e["config_digest"]]


def test_inspect_missing_layer_listed(cli, expected):
    exp, path = expected("base.missing-layer.docker-archive")
    r = cli("inspect", path)
    assert r.rc == 0, r.err
    (g,) = r.json()
    gone = exp["manifest_json"][0]["Layers"][1]
    assert [l["Present"] for l in g["Layers"]] == [True, False]
    assert [m["Member"] for m in g["Missing"]] == [gone]
    assert g["RootFS"]["Layers"] == exp["images"][0]["config_diff_ids"]


def test_inspect_foreign_layer(cli, expected):
    """go-containerregistry's foreign.tar: a Windows-style foreign layer with URLs."""
    exp, path = expected("ext.ggcr.foreign")
    r = cli("inspect", path)
    assert r.rc == 0, r.err
    (g,) = r.json()
    e = exp["images"][0]
    assert g["Id"] == e["config_digest"]
    assert g["RootFS"]["Layers"] == e["config_diff_ids"]
    srcs = e["layer_sources"]
    foreign = [l for l in g["Layers"] if l["Foreign"]]
    assert foreign, g["Layers"]
    for l in foreign:
        src = srcs[l["DiffID"]]
        assert l["Digest"] == src["digest"]
        assert l["Size"] == src["size"]
        assert l["URLs"] == src.get("urls", [])
        assert l["MediaType"] == src["mediaType"]


def test_inspect_legacy_pre_1_10(cli, expected):
    """Docker < 1.10 saves: no manifest.json; repositories names the top v1 ID,
    each <id>/json its parent. The peers' listing of each v1 layer is the truth."""
    exp, path = expected("ext.moby.emptyLayer")
    assert exp["has_manifest_json"] is False
    ((repo, tags),) = exp["repositories"].items()
    ((tag, top),) = tags.items()
    v1 = {l["id"]: l for l in exp["legacy_v1"]}
    chain = []
    cur = top
    while cur:
        chain.append(v1[cur])
        cur = v1[cur]["parent"]
    chain.reverse()
    r = cli("inspect", path)
    assert r.rc == 0, r.err
    (g,) = r.json()
    assert g["Id"] == "sha256:" + top
    assert g["RepoTags"] == ["%s:%s" % (repo, tag)]
    assert g["RootFS"]["Layers"] == [l["layer"]["diff_id"] for l in chain]
    assert [l["Digest"] for l in g["Layers"]] == [l["layer"]["digest"] for l in chain]
    assert [l["Size"] for l in g["Layers"]] == [l["layer"]["size"] for l in chain]
    assert g["Created"] == v1[top]["created"]
    h = cli("history", "--json", path).json()
    assert [x["CreatedBy"] for x in h] == [" ".join(l["created_by"] or []) for l in reversed(chain)]
    assert h[0]["ID"] == "sha256:" + top
    # Docker sizes from the peers' listings ("type size name"; this chain has only files and dirs)
    sizes = [sum(int(e.split(" ", 2)[1]) for e in l["layer"]["listing"] if e.startswith("- ")) for l in chain]
    assert [x["Size"] for x in h] == list(reversed(sizes)) == [4, 0, 0]
