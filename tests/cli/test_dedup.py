"""`layerkit dedup` on the base / runtime / app chain: which layers the images
share (by chain_id and by diff_id, from the corpus's expected JSON and
samples/expected.json) and the byte counts, re-derived from per-layer Docker
sizes computed here with tarfile (`docker system df -v` semantics: SHARED SIZE
is the part of an image in layers another image also uses)."""
import pytest

from lkutil import chain_ids, human_size, read_images, split_columns, tar_bytes, write_docker_archive

CORPUS_CHAIN = ["base.podman.docker-archive", "runtime.podman.docker-archive", "app.podman.docker-archive"]


def expected_report(images):
    """images: list of (ref, id, diff_ids, sizes by diff_id). Returns the report docker's rules give."""
    by_chain = {}
    by_diff = {}
    order_chain, order_diff = [], []
    for ref, _id, diff_ids, size_of in images:
        for d, c in zip(diff_ids, chain_ids(diff_ids)):
            if c not in by_chain:
                by_chain[c] = {"DiffID": d, "ChainID": c, "Size": size_of[d], "Images": []}
                order_chain.append(c)
            if ref not in by_chain[c]["Images"]:
                by_chain[c]["Images"].append(ref)
            if d not in by_diff:
                by_diff[d] = {"DiffID": d, "Size": size_of[d], "Images": []}
                order_diff.append(d)
            if ref not in by_diff[d]["Images"]:
                by_diff[d]["Images"].append(ref)
    per_image = []
    for ref, _id, diff_ids, size_of in images:
        chains = chain_ids(diff_ids)
        size = sum(size_of[d] for d in diff_ids)
        shared = sum(size_of[d] for d, c in zip(diff_ids, chains) if len(by_chain[c]["Images"]) > 1)
        per_image.append({"Ref": ref, "Id": _id, "Size": size, "SharedSize": shared, "UniqueSize": size - shared,
                          "Layers": len(diff_ids)})
    total = sum(i["Size"] for i in per_image)
    unique = sum(by_chain[c]["Size"] for c in order_chain)
    return {"Images": per_image, "Layers": [by_chain[c] for c in order_chain],
            "DiffIDs": [by_diff[d] for d in order_diff], "TotalSize": total, "UniqueSize": unique,
            "SavedSize": total - unique}


def py_inputs(paths):
    out = []
    for p in paths:
        for img in read_images(p):
            sizes = dict(zip(img.diff_ids, img.layer_sizes()))
            out.append((img.tags[0], img.id, img.diff_ids, sizes))
    return out


def check_report(got, want):
    assert got["Images"] == want["Images"]
    assert [{k: l[k] for k in ("DiffID", "ChainID", "Size", "Images")} for l in got["Layers"]] == want["Layers"]
    assert [{k: l[k] for k in ("DiffID", "Size", "Images")} for l in got["DiffIDs"]] == want["DiffIDs"]
    for k in ("TotalSize", "UniqueSize", "SavedSize"):
        assert got[k] == want[k], k


def test_dedup_corpus_chain(cli, expected):
    exps = [expected(n) for n in CORPUS_CHAIN]
    paths = [p for _, p in exps]
    r = cli("dedup", "--json", *paths)
    assert r.rc == 0, r.err
    got = r.json()
    base, runtime, app = (e["images"][0] for e, _ in exps)
    refs = [base["repo_tags"][0], runtime["repo_tags"][0], app["repo_tags"][0]]
    # the sharing the catalog describes, by diff_id
    who = {l["DiffID"]: l["Images"] for l in got["DiffIDs"]}
    for d in base["config_diff_ids"]:
        assert who[d] == refs
    assert who[runtime["config_diff_ids"][2]] == refs[1:]
    for d in app["config_diff_ids"][3:]:
        assert who[d] == refs[2:]
    assert len(app["config_diff_ids"][3:]) == 4
    assert set(who) == set(app["config_diff_ids"])
    assert [i["Id"] for i in got["Images"]] == [base["config_digest"], runtime["config_digest"], app["config_digest"]]
    check_report(got, expected_report(py_inputs(paths)))


def test_dedup_corpus_multi_archive_same_as_three(cli, expected):
    _, multi = expected("base+runtime+app.podman-multi.docker-archive")
    paths = [expected(n)[1] for n in CORPUS_CHAIN]
    a = cli("dedup", "--json", multi).json()
    b = cli("dedup", "--json", *paths).json()
    for k in ("Images", "Layers", "DiffIDs", "TotalSize", "UniqueSize", "SavedSize"):
        assert a[k] == b[k], k


def test_dedup_corpus_across_formats(cli, expected):
    """The app image as docker-archive and as OCI: same diff_ids, so every layer is
    shared by diff_id; the image IDs (configs) differ (CATALOG.md)."""
    d_exp, d_path = expected("app.podman.docker-archive")
    o_exp, o_path = expected("app.skopeo-zstd.oci-layout")
    got = cli("dedup", "--json", d_path, o_path).json()
    assert [i["Id"] for i in got["Images"]] == [d_exp["images"][0]["config_digest"], o_exp["images"][0]["config_digest"]]
    assert len(got["DiffIDs"]) == 7
    assert all(len(l["Images"]) == 2 for l in got["DiffIDs"])
    assert got["UniqueSize"] == got["Images"][0]["Size"]
    assert got["SavedSize"] == got["Images"][1]["Size"]


def test_dedup_samples(cli, samples, samples_expected):
    paths = [samples / ("%s.docker-archive.tar" % n) for n in ("base", "runtime", "app")]
    r = cli("dedup", "--json", *paths)
    assert r.rc == 0, r.err
    got = r.json()
    exp = [samples_expected[p.name] for p in paths]
    refs = [e["ref"] for e in exp]
    who = {l["DiffID"]: l["Images"] for l in got["DiffIDs"]}
    assert [who[d] for d in exp[2]["diff_ids"]] == [refs, refs, refs[1:], refs[2:], refs[2:], refs[2:]]
    check_report(got, expected_report(py_inputs(paths)))


def test_dedup_samples_table(cli, samples):
    paths = [samples / ("%s.docker-archive.tar" % n) for n in ("base", "runtime", "app")]
    want = expected_report(py_inputs(paths))
    r = cli("dedup", *paths)
    assert r.rc == 0, r.err
    blocks = r.out.split("\n\n")
    lt = blocks[0].splitlines()
    cols = ["CHAIN ID", "DIFF ID", "SIZE", "IMAGES", "SHARED BY"]
    rows = [split_columns(lt[0], l, cols) for l in lt[1:]]
    assert rows == [[l["ChainID"][7:19], l["DiffID"][7:19], human_size(l["Size"]), str(len(l["Images"])),
                     ", ".join(l["Images"])] for l in want["Layers"]]
    it = blocks[1].splitlines()
    cols = ["IMAGE", "IMAGE ID", "LAYERS", "SIZE", "SHARED SIZE", "UNIQUE SIZE"]
    rows = [split_columns(it[0], l, cols) for l in it[1:]]
    assert rows == [[i["Ref"], i["Id"][7:19], str(i["Layers"]), human_size(i["Size"]), human_size(i["SharedSize"]),
                     human_size(i["UniqueSize"])] for i in want["Images"]]
    tail = blocks[2]
    assert "Total size (each image alone): %s" % human_size(want["TotalSize"]) in tail
    assert "Unique size (each layer once):  %s" % human_size(want["UniqueSize"]) in tail
    assert "Saved by sharing:               %s" % human_size(want["SavedSize"]) in tail


def test_dedup_same_diff_id_other_position_is_another_layer(cli, tmp_path):
    """Docker's layer store keys layers by chain_id: the same tar on top of a
    different base is a different layer, though it has the same diff_id."""
    a = tar_bytes([("a", b"a" * 10)])
    b = tar_bytes([("b", b"b" * 20)])
    c = tar_bytes([("c", b"c" * 40)])
    path = tmp_path / "x.tar"
    write_docker_archive(path, [{"tags": ["one:1"], "layers": [a, c], "created": "2024-01-01T00:00:01Z"},
                                {"tags": ["two:1"], "layers": [b, c], "created": "2024-01-01T00:00:02Z"},
                                {"tags": ["three:1"], "layers": [a, c, b], "created": "2024-01-01T00:00:03Z"}])
    got = cli("dedup", "--json", path).json()
    want = expected_report(py_inputs([path]))
    check_report(got, want)
    # c is in all three by diff_id, but only one:1 and three:1 share its chain
    by_diff = {l["DiffID"]: l["Images"] for l in got["DiffIDs"]}
    assert len(by_diff) == 3
    assert sorted(len(l["Images"]) for l in got["Layers"]) == [1, 1, 1, 2, 2]
    assert got["Images"][0]["SharedSize"] == 50 and got["Images"][0]["UniqueSize"] == 0
    assert got["Images"][1]["SharedSize"] == 0


def test_dedup_image_option(cli, expected):
    _, multi = expected("base+runtime+app.podman-multi.docker-archive")
    exp, _ = expected("base+runtime+app.podman-multi.docker-archive")
    base = exp["images"][0]
    got = cli("dedup", "--json", "--image", base["repo_tags"][0], multi).json()
    assert [i["Id"] for i in got["Images"]] == [base["config_digest"]]
    assert got["SavedSize"] == 0


def _listing_size(listing):
    """Docker's layer size from a peer's `tar -tv` listing ("type size name")
    of a layer holding only files and directories."""
    assert all(e[0] in "-d" for e in listing)
    return sum(int(e.split(" ", 2)[1]) for e in listing if e.startswith("- "))


def test_dedup_layer_missing_from_one_archive(cli, expected):
    """A layer absent from one archive is sized from the archive that has it:
    each image's Size / SharedSize / UniqueSize are those it has alone, in
    either order, and nothing is noted as not counted. Alone, the damaged
    archive still counts the absent layer as 0 bytes, with a note."""
    m_exp, m_path = expected("base.missing-layer.docker-archive")
    c_exp, c_path = expected("base.podman.docker-archive")
    m_img, c_img = m_exp["images"][0], c_exp["images"][0]
    missing = [i for i, l in enumerate(m_img["layers"]) if l.get("missing")]
    assert missing == [1] and m_img["config_diff_ids"] == c_img["config_diff_ids"]
    diff_ids = c_img["config_diff_ids"]
    (py,) = py_inputs([c_path])
    sizes = py[3]  # by diff_id, from tarfile over the complete archive's layers
    absent = diff_ids[1]
    assert sizes[absent] == _listing_size(c_img["layers"][1]["listing"])
    assert sizes[absent] > 0

    alone = cli("dedup", "--json", c_path).json()
    assert alone["Images"][0]["Size"] == sum(sizes[d] for d in diff_ids)
    ref = c_img["repo_tags"][0]
    assert m_img["repo_tags"][0] == ref
    for order in ([m_path, c_path], [c_path, m_path]):
        r = cli("dedup", "--json", *order)
        assert r.rc == 0, r.err
        got = r.json()
        ids = [m_img["config_digest"] if p == m_path else c_img["config_digest"] for p in order]
        want = expected_report([(ref, ids[0], diff_ids, sizes), (ref + " (2)", ids[1], diff_ids, sizes)])
        check_report(got, want)
        assert [i["Size"] for i in got["Images"]] == [alone["Images"][0]["Size"]] * 2
        assert not any("not counted" in n for n in got["Notes"]), got["Notes"]

    got = cli("dedup", "--json", m_path).json()
    assert got["Images"][0]["Size"] == sizes[diff_ids[0]]
    assert [l["Size"] for l in got["Layers"]] == [sizes[diff_ids[0]], 0]
    (note,) = got["Notes"]
    assert str(m_path) in note and "layer 1" in note and "absent" in note
