"""The shared corpus through the binding: images, layers, history, verify and
dedup, against expected/<name>.json (values read back by skopeo, sha256sum,
tar, gzip/zstd -- see the corpus's CATALOG.md) and against Python's own
tarfile/hashlib reading of the same files. Skips, saying so, without the corpus."""
import json

import pytest

import layerkit
import oracle
from conftest import CORPUS_SKIP, corpus_dir, load_expected

ROOT = corpus_dir()
CHAIN = ["base.podman.docker-archive", "runtime.podman.docker-archive", "app.podman.docker-archive"]


def _archives():
    """Names of the non-hostile expected JSON files that describe image archives."""
    if ROOT is None:
        return [pytest.param(None, marks=pytest.mark.skip(reason=CORPUS_SKIP))]
    out = []
    for p in sorted((ROOT / "expected").glob("*.json")):
        e = json.loads(p.read_text(encoding="utf-8"))
        if e.get("hostile") or e["format"] == "layer-tar" or e.get("legacy_only"):
            continue
        out.append(p.stem)
    return out


def _index_path(ei):
    return ".".join(str(i) for i in ei.get("path") or [])


IMAGE_CONFIG_TYPES = ("application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json")


def _artifact(ei):
    """An OCI artifact: marked so, or a manifest whose config is not an image config."""
    return bool(ei.get("artifact")) or ei.get("config_media_type", IMAGE_CONFIG_TYPES[0]) not in IMAGE_CONFIG_TYPES


def _check_image(img, ei):
    if ei.get("config_descriptor"):
        assert img.id == ei["config_descriptor"]["digest"]
    else:
        assert img.id == ei["config_digest"]
    if "config_size" in ei:
        assert len(img.config_json) == ei["config_size"]
        assert oracle.sha256(img.config_json) == img.id
    if ei.get("repo_tags"):
        assert img.references[:len(ei["repo_tags"])] == ei["repo_tags"]
    if ei.get("ref_name"):
        assert ei["ref_name"] in img.references
    if ei.get("manifest_digest"):
        assert img.manifest_digest == ei["manifest_digest"]
        assert oracle.sha256(img.manifest_json) == ei["manifest_digest"]
    if _artifact(ei):
        assert img.artifact_type != ""
        return
    assert img.diff_ids == (ei["config_diff_ids"] or [])  # null: a config without rootfs.diff_ids
    assert img.created == ei.get("created", "")
    assert (img.os, img.architecture) == (ei.get("os", ""), ei.get("architecture", ""))
    if "num_layers" in ei:
        assert img.layer_count == ei["num_layers"]
    c = ei.get("config") or {}
    if "Env" in c:
        assert img.env == c["Env"]
    if isinstance(c.get("Cmd"), list):
        assert img.cmd == c["Cmd"]
    if isinstance(c.get("Entrypoint"), list):
        assert img.entrypoint == c["Entrypoint"]
    if "WorkingDir" in c:
        assert img.working_dir == c["WorkingDir"]
    if "User" in c:
        assert img.user == c["User"]
    if isinstance(c.get("Labels"), dict):
        assert img.labels == c["Labels"]
    if isinstance(c.get("ExposedPorts"), dict):
        assert sorted(img.exposed_ports) == sorted(c["ExposedPorts"])
    if isinstance(c.get("Healthcheck"), dict):
        assert img.healthcheck == c["Healthcheck"].get("Test", [])


@pytest.mark.parametrize("name", _archives())
def test_archive_images_layers_and_history(name):
    exp = load_expected(ROOT, name)
    path = ROOT / exp["path"]
    with layerkit.Archive(path, platform="all") as a:
        assert a.format == exp["format"]
        assert len(a.images) == len(exp["images"])
        for img, ei in zip(a.images, exp["images"]):
            if _index_path(ei):
                assert img.index_path == _index_path(ei)
            _check_image(img, ei)
            if _artifact(ei):
                continue
            # History: the expected list is oldest first, docker history newest first.
            if isinstance(ei.get("history"), list):
                rows = img.history()
                assert img.history_count == len(ei["history"])
                # docker history adds a row per layer that no history entry made.
                extra = [r for r in rows if r.match == layerkit.MATCH_LAYER_WITHOUT_HISTORY]
                assert len(extra) == max(0, ei.get("num_layers", 0) - ei.get("history_nonempty_count", 0))
                rows = [r for r in rows if r.match != layerkit.MATCH_LAYER_WITHOUT_HISTORY]
                assert len(rows) == len(ei["history"])
                for row, h in zip(rows, ei["history"][::-1]):
                    assert row.created_by == h.get("created_by", "")
                    assert row.created == h.get("created", "")
                    assert row.comment == h.get("comment", "")
                    assert row.empty_layer == bool(h.get("empty_layer"))
                    if "layer_index" in h:
                        assert row.layer_index == h["layer_index"]
                        if ei.get("diff_ids_match_config"):
                            assert row.diff_id == h["layer_diff_id"]
            # Layers, with sizes read.
            layers = list(img.layers(read_sizes=True))
            assert len(layers) == len(ei["layers"])
            for k, (l, el) in enumerate(zip(layers, ei["layers"])):
                if el.get("missing"):
                    assert not l.present
                    continue
                assert l.present
                if ei.get("config_diff_ids"):
                    assert l.diff_id == ei["config_diff_ids"][k]  # the diff_id the config declares
                if ei.get("diff_ids_match_config"):
                    assert l.diff_id == el["diff_id"]  # ... and the one the bytes hash to
                assert l.uncompressed_bytes == el["uncompressed_size"]
                assert l.compression == el["compression"]
                if isinstance(el.get("media_type"), str):
                    assert l.media_type == el["media_type"]
                if "descriptor_digest" in el:
                    assert (l.digest, l.blob_bytes) == (el["descriptor_digest"], el["descriptor_size"])
                # The blob, read with tarfile at the member layerkit names: it is the expected blob.
                blob = oracle.read_member(path, l.member)
                assert oracle.sha256(blob) == el["digest"]
                if el.get("tar_ok") and (el["compression"] != "zstd" or oracle.have_zstd()):
                    assert l.content_bytes == oracle.docker_layer_size(oracle.decompress(blob))
        # verify agrees with the peer tools where they all passed.
        peers_ok = all(ei.get("skopeo_copy_check", {}).get("ok", True) and ei.get("diff_ids_match_config", True)
                       and ei.get("manifest_digest_ok", True) for ei in exp["images"])
        if peers_ok:
            report = a.verify()
            assert report.ok, report.problems


def test_shared_layers_across_the_chain(corpus):
    exps = [load_expected(corpus, n) for n in CHAIN]
    archives = [layerkit.Archive(corpus / e["path"]) for e in exps]
    try:
        result = layerkit.dedup([a.images[0] for a in archives])
    finally:
        for a in archives:
            a.close()
    # Oracle: for each layer, the chain images (of these three) sharing its diff_id.
    names = {e["name"]: e["images"][0]["repo_tags"][0] for e in exps}
    share, size_of = {}, {}
    for e in exps:
        ei = e["images"][0]
        chains = oracle.chain_ids(ei["config_diff_ids"])
        for chain, el in zip(chains, ei["layers"]):
            mine = {names[e["name"]]}
            others = {s.split(" [")[0] for s in el["shared_diff_id_with"]}
            share[chain] = mine | {names[n] for n in others if n in names}
            tar = oracle.read_member(corpus / e["path"], el["path"])
            assert oracle.sha256(tar) == el["digest"]
            size_of[chain] = oracle.docker_layer_size(tar)
    assert {l.chain_id: set(l.images) for l in result.layers} == share
    assert {l.chain_id: l.bytes for l in result.layers} == size_of
    per_image = {names[e["name"]]: sum(size_of[c] for c in oracle.chain_ids(e["images"][0]["config_diff_ids"]))
                 for e in exps}
    total, unique = sum(per_image.values()), sum(size_of.values())
    assert (result.totals.total_bytes, result.totals.unique_bytes, result.totals.saved_bytes) == \
        (total, unique, total - unique)
    assert {i.ref: i.bytes for i in result.images} == per_image


def test_multi_image_archive_dedups_like_three_archives(corpus):
    exp = load_expected(corpus, "base+runtime+app.podman-multi.docker-archive")
    with layerkit.Archive(corpus / exp["path"]) as a:
        assert [i.id for i in a.images] == [ei["image_id"] for ei in exp["images"]]
        result = layerkit.dedup([(a, i) for i in range(len(a.images))])
    diff_sets = [set(ei["config_diff_ids"]) for ei in exp["images"]]
    assert result.totals.layer_count == len(set().union(*diff_sets))
    counts = sorted(len(l.images) for l in result.layers)
    assert counts == sorted(sum(d in s for s in diff_sets) for d in set().union(*diff_sets))


def test_foreign_layer_has_its_urls(corpus):
    exp = load_expected(corpus, "ext.ggcr.foreign")
    ei = exp["images"][0]
    sources = ei["layer_sources"]
    with layerkit.Archive(corpus / exp["path"]) as a:
        layers = list(a.images[0].layers())
    for l, diff in zip(layers, ei["config_diff_ids"]):
        if diff in sources:
            assert l.foreign
            assert list(l.urls) == sources[diff]["urls"]
            assert l.digest == sources[diff]["digest"]
        else:
            assert not l.foreign and l.urls == ()


# ---------------------------------------------------------------------------
# Hostile entries


def test_truncated_archive(corpus):
    exp = load_expected(corpus, "base.truncated.docker-archive")
    source = load_expected(corpus, exp["derived_from"])
    first_layer = source["manifest_json"][0]["Layers"][0]
    with pytest.raises(layerkit.TruncatedError) as e:
        layerkit.Archive(corpus / exp["path"])
    assert e.value.status == layerkit.Status.ETRUNCATED == -5
    assert e.value.name == "truncated"
    assert first_layer in e.value.message  # the member the cut falls in


def test_truncated_gzip_archive(corpus):
    exp = load_expected(corpus, "app.truncated.docker-archive.tar.gz")
    assert exp["outer_compression"] == "gzip"
    with pytest.raises(layerkit.TruncatedError) as e:
        layerkit.Archive(corpus / exp["path"])
    assert e.value.message


def test_flipped_byte_is_reported_for_that_layer_only(corpus):
    exp = load_expected(corpus, "base.flipped-byte.docker-archive")
    ei = exp["images"][0]
    with layerkit.Archive(corpus / exp["path"]) as a:
        report = a.verify()
    assert not report.ok
    assert report.problems, "verify must report the flipped layer"
    for p in report.problems:
        assert p["layer"] == 0
        assert p["member"] == ei["layer_paths"][0]
        assert p["kind"] in ("diff_id", "blob_digest")
        assert p["expected"] == ei["config_diff_ids"][0]
        assert p["actual"] == ei["layers"][0]["digest"]  # sha256sum of the damaged member
        assert p["image"] == ei["repo_tags"][0]
        assert ei["layers"][0]["digest"] in p["message"]
    doc = report.json()
    assert doc["OK"] is False and len(doc["Problems"]) == len(report.problems)


def test_missing_layer_is_absent_and_fails_verify(corpus):
    exp = load_expected(corpus, "base.missing-layer.docker-archive")
    ei = exp["images"][0]
    with layerkit.Archive(corpus / exp["path"]) as a:
        img = a.images[0]
        assert img.missing_count == 1
        assert [l.present for l in img.layers()] == [not el.get("missing") for el in ei["layers"]]
        report = a.verify()
    assert not report.ok
    assert [(p["kind"], p["member"]) for p in report.problems] == [("missing", ei["layer_paths"][1])]
    # The message names layer 1; lk_problem.layer is -1 (None) for "missing" in layerkit 0.1.0.
    p = report.problems[0]
    assert p["layer"] in (1, None) and "layer 1" in p["message"]


def test_null_manifest_is_malformed(corpus):
    exp = load_expected(corpus, "ext.ggcr.null_manifest")
    assert exp["manifest_json"] is None
    with pytest.raises(layerkit.MalformedError) as e:
        layerkit.Archive(corpus / exp["path"])
    assert "manifest.json" in e.value.message
