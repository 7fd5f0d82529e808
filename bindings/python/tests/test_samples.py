"""The repository's samples (base, runtime FROM base, app FROM runtime), read
through the binding, against samples/expected.json (skopeo, sha256sum) and
what Python's tarfile/hashlib/json read from the same files."""
import json

import pytest

import layerkit
import oracle

FILES = ["base.docker-archive.tar", "runtime.docker-archive.tar", "app.docker-archive.tar", "app.oci-archive.tar"]
CHAIN = ["base.docker-archive.tar", "runtime.docker-archive.tar", "app.docker-archive.tar"]


def layer_tar(path, layer):
    """The uncompressed tar stream of one layer, read with tarfile."""
    return oracle.decompress(oracle.read_member(path, layer["member"]))


@pytest.fixture(params=FILES)
def sample(request, samples, samples_expected):
    """(path, expected entry, config dict read with tarfile)."""
    path = samples / request.param
    exp = samples_expected[request.param]
    config = json.loads(oracle.read_member(path, exp["config_member"]))
    return path, exp, config


def test_the_archive_file_is_the_one_described(sample):
    path, exp, _ = sample
    assert oracle.sha256_file(path) == "sha256:" + exp["file_sha256"]


def test_open_lists_the_image_and_its_facts(sample):
    path, exp, config = sample
    with layerkit.Archive(path) as a:
        assert a.format == exp["format"]
        assert a.warnings == []
        assert len(a.images) == 1
        img = a.images[0]
        assert img.id == exp["id"]
        assert exp["ref"] in img.references
        assert img.diff_ids == exp["diff_ids"]
        assert img.layer_count == len(exp["layers"])
        assert img.history_count == exp["history_count"]
        assert img.complete and not img.legacy_v1 and img.missing_count == 0
        # The config blob as stored: its digest is the image ID.
        raw = oracle.read_member(path, exp["config_member"])
        assert img.config_json == raw
        assert oracle.sha256(img.config_json) == exp["id"]
        assert img.config == config
        c = config["config"]
        assert img.created == config["created"]
        assert img.os == config["os"] and img.architecture == config["architecture"]
        assert img.env == c.get("Env", [])
        assert img.cmd == (c.get("Cmd") or [])
        assert img.entrypoint == (c.get("Entrypoint") or [])
        assert img.labels == (c.get("Labels") or {})
        assert sorted(img.exposed_ports) == sorted((c.get("ExposedPorts") or {}).keys())
        assert img.working_dir == c.get("WorkingDir", "")
        assert img.user == c.get("User", "")
        assert img.healthcheck == ((c.get("Healthcheck") or {}).get("Test") or [])
        assert img.info.id == exp["id"] and img.info.layer_count == len(exp["layers"])
        if "manifest_digest" in exp:
            assert img.manifest_digest == exp["manifest_digest"]
            assert oracle.sha256(img.manifest_json) == exp["manifest_digest"]
            assert [l["digest"] for l in img.manifest["layers"]] == [l["digest"] for l in exp["layers"]]
        else:
            assert img.manifest_json == b"" and img.manifest is None


def test_layers_without_reading(sample):
    path, exp, _ = sample
    with layerkit.Archive(path) as a:
        layers = list(a.images[0].layers())
    assert [l.index for l in layers] == list(range(len(exp["layers"])))
    assert [l.member for l in layers] == [l["member"] for l in exp["layers"]]
    assert [l.diff_id for l in layers] == exp["diff_ids"]
    assert [l.chain_id for l in layers] == oracle.chain_ids(exp["diff_ids"])
    for l in layers:
        assert l.present and not l.foreign and l.urls == ()
        assert l.compression == "" and l.uncompressed_bytes is None and l.content_bytes is None


def test_layers_with_sizes(sample):
    path, exp, _ = sample
    with layerkit.Archive(path) as a:
        layers = list(a.images[0].layers(read_sizes=True))
    assert len(layers) == len(exp["layers"])
    for l, e in zip(layers, exp["layers"]):
        blob = oracle.read_member(path, e["member"])
        tar = oracle.decompress(blob)
        assert l.digest == e["digest"] == oracle.sha256(blob)
        assert l.blob_bytes == e["bytes"] == len(blob)
        assert l.compression == ("gzip" if e["gzip"] else "none") == oracle.compression_of(blob)
        assert l.uncompressed_bytes == len(tar)
        assert oracle.sha256(tar) == l.diff_id
        assert l.content_bytes == oracle.docker_layer_size(tar)


def test_history_rows_newest_first(sample):
    path, exp, config = sample
    with layerkit.Archive(path) as a:
        rows = a.images[0].history()
    want = oracle.history_rows(config)
    assert len(rows) == len(want) == exp["history_count"]
    assert sum(r.empty_layer for r in rows) == exp["empty_layers"]
    assert rows[0].id == exp["id"]
    assert all(r.id == "<missing>" for r in rows[1:])
    for r, w in zip(rows, want):
        assert (r.created, r.created_by, r.comment, r.empty_layer) == \
            (w["created"], w["created_by"], w["comment"], w["empty_layer"])
        assert r.created_unix == oracle.parse_rfc3339(w["created"])
        assert r.layer_index == w["layer_index"]
        assert r.match == layerkit.MATCH_OK
        if w["layer_index"] is None:
            assert r.content_bytes == 0 and r.diff_id == "" and r.chain_id == ""
        else:
            layer = exp["layers"][w["layer_index"]]
            assert r.diff_id == exp["diff_ids"][w["layer_index"]]
            assert r.chain_id == oracle.chain_ids(exp["diff_ids"])[w["layer_index"]]
            assert r.content_bytes == oracle.docker_layer_size(layer_tar(path, layer))


def test_history_json(sample):
    path, exp, config = sample
    with layerkit.Archive(path) as a:
        rows = a.images[0].history_json(layers=True)
    want = oracle.history_rows(config)
    assert [r["CreatedBy"] for r in rows] == [w["created_by"] for w in want]
    assert rows[0]["ID"] == exp["id"]
    assert [r["DiffID"] for r in rows if r["DiffID"]] == exp["diff_ids"][::-1]


def test_verify_passes(sample):
    path, exp, _ = sample
    with layerkit.Archive(path) as a:
        report = a.verify()
        assert report.ok and bool(report)
        assert report.problems == []
        doc = report.json()
        assert doc["OK"] is True and doc["Problems"] == []
        assert [i["Id"] for i in doc["Images"]] == [exp["id"]]
        # One image, by Image, index or reference.
        for which in (a.images[0], 0, exp["id"][7:19], exp["ref"]):
            assert a.verify(image=which, threads=1).ok


def test_inspect(sample):
    path, exp, config = sample
    with layerkit.Archive(path) as a:
        docs = a.inspect()
        one = a.images[0].inspect()
    assert len(docs) == 1 and docs[0] == one
    assert one["Id"] == exp["id"]
    assert one["RootFS"]["Layers"] == exp["diff_ids"]
    assert one["Architecture"] == config["architecture"] and one["Os"] == config["os"]


def test_find_image(samples, samples_expected):
    exp = samples_expected["app.docker-archive.tar"]
    with layerkit.Archive(samples / "app.docker-archive.tar") as a:
        img = a.images[0]
        ref = exp["ref"]
        assert a.find_image(ref) is img
        assert a.find_image(ref.split("/", 1)[1]) is img  # without "localhost/"
        assert a.find_image(exp["id"]) is img
        assert a.find_image(exp["id"][7:19]) is img
        assert a.find_image("@0") is img
        with pytest.raises(layerkit.NotFoundError) as e:
            a.find_image("no-such/image:1.0")
        assert "no-such/image:1.0" in e.value.message
        assert e.value.status == layerkit.Status.ENOTFOUND and e.value.name == "not_found"
        with pytest.raises(layerkit.NotFoundError):
            a.find_image("@1")


def test_dedup_of_the_chain(samples, samples_expected):
    exps = [samples_expected[f] for f in CHAIN]
    # Oracle: the layers by chain_id, the images having each, Docker's size of each.
    size_of, images_of, diff_of = {}, {}, {}
    for e in exps:
        for layer, diff, chain in zip(e["layers"], e["diff_ids"], oracle.chain_ids(e["diff_ids"])):
            size_of.setdefault(chain, oracle.docker_layer_size(layer_tar(samples / e["file"], layer)))
            images_of.setdefault(chain, set()).add(e["ref"])
            diff_of[chain] = diff
    per_image = {e["ref"]: sum(size_of[c] for c in oracle.chain_ids(e["diff_ids"])) for e in exps}
    total, unique = sum(per_image.values()), sum(size_of.values())

    archives = [layerkit.Archive(samples / f) for f in CHAIN]
    try:
        result = layerkit.dedup([a.images[0] for a in archives])
    finally:
        for a in archives:
            a.close()
    assert result.totals == layerkit.DedupTotals(total_bytes=total, unique_bytes=unique, saved_bytes=total - unique,
                                                 image_count=3, layer_count=len(size_of))
    assert {l.chain_id for l in result.layers} == set(size_of)
    for l in result.layers:
        assert l.diff_id == diff_of[l.chain_id]
        assert l.bytes == size_of[l.chain_id]
        assert set(l.images) == images_of[l.chain_id]
    # The README's layer chain: base's 2 layers in all three, runtime's in two, app's 3 in one.
    assert sorted(len(l.images) for l in result.layers) == [1, 1, 1, 2, 3, 3]
    by_ref = {i.ref: i for i in result.images}
    assert set(by_ref) == set(per_image)
    for e in exps:
        i = by_ref[e["ref"]]
        chains = oracle.chain_ids(e["diff_ids"])
        assert i.id == e["id"] and i.layer_count == len(chains)
        assert i.bytes == per_image[e["ref"]]
        assert i.shared_bytes == sum(size_of[c] for c in chains if len(images_of[c]) > 1)
        assert i.unique_bytes == i.bytes - i.shared_bytes
    doc = result.json()
    assert (doc["TotalSize"], doc["UniqueSize"], doc["SavedSize"]) == (total, unique, total - unique)


def test_dedup_item_forms_and_names(samples, samples_expected):
    base, app = samples_expected["base.docker-archive.tar"], samples_expected["app.docker-archive.tar"]
    with layerkit.Archive(samples / base["file"]) as b, layerkit.Archive(samples / app["file"]) as a:
        result = layerkit.dedup([(b, 0, "base"), (a.images[0], "app")])
        assert [i.ref for i in result.images] == ["base", "app"]
        result = layerkit.dedup([(b, base["ref"]), a.images[0]])
        assert [i.id for i in result.images] == [base["id"], app["id"]]
        shared = [l for l in result.layers if len(l.images) == 2]
        assert [l.diff_id for l in shared] == base["diff_ids"]
        with pytest.raises(ValueError):
            layerkit.dedup([(b, a.images[0])])  # an image of another archive
        with pytest.raises(TypeError):
            layerkit.dedup(["base"])
        assert layerkit.dedup([]).totals.image_count == 0
