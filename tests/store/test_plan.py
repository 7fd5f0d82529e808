"""`layerkit store plan`: an offline `docker pull`. The classic scenario —
runtime against a store holding base: the base layers "Already exists";
app against a store holding runtime: 3 exist, 4 to pull — with the sharing
taken from the corpus's expected JSON (diff_ids, chain_ids computed here)."""
import pytest

from conftest import PyStore, large_archive, lkutil, small


def expected_plan(image, store_chain_ids, store_digests):
    """The plan docker's rules give: by chain_id for the status, by blob digest beside it."""
    chains = lkutil.chain_ids(image["config_diff_ids"])
    layers = []
    for i, (l, c) in enumerate(zip(image["layers"], chains)):
        layers.append({"Index": i, "DiffID": l["diff_id"], "Digest": l["digest"], "ChainID": c, "Size": l["size"],
                       "Status": "Already exists" if c in store_chain_ids else "Pull",
                       "ExistsByChainID": c in store_chain_ids, "ExistsByDigest": l["digest"] in store_digests})
    present = sum(l["Size"] for l in layers if l["ExistsByChainID"])
    transfer = sum(l["Size"] for l in layers if not l["ExistsByChainID"])
    # what a load writes: each layer blob the store lacks by digest, once
    write = {l["Digest"]: l["Size"] for l in layers if not l["ExistsByDigest"]}
    return layers, present, transfer, len(write), sum(write.values())


def store_facts(images):
    chains, digests = set(), set()
    for img in images:
        chains.update(lkutil.chain_ids(img["config_diff_ids"]))
        digests.update(l["digest"] for l in img["layers"])
    return chains, digests


def check_plan(got, image, loaded_images):
    layers, present, transfer, write_blobs, write_bytes = expected_plan(image, *store_facts(loaded_images))
    assert got["Image"] == (image.get("repo_tags") or [image.get("ref_name")])[0]
    assert got["Id"] == image["config_digest"]
    assert got["Layers"] == layers
    assert (got["PresentBytes"], got["TransferBytes"]) == (present, transfer)
    assert (got["WriteBlobs"], got["WriteBytes"]) == (write_blobs, write_bytes)


def test_classic_scenario(corpus, st):
    base, base_path = small(corpus, "base")
    runtime, runtime_path = small(corpus, "runtime")
    app, app_path = small(corpus, "app")
    st.ok("load", base_path)
    # runtime against {base}: layers 0 and 1 already exist, layer 2 is pulled
    got = st.ok("plan", "--json", runtime_path).json()
    assert [l["Status"] for l in got["Layers"]] == ["Already exists", "Already exists", "Pull"]
    check_plan(got, runtime["images"][0], [base["images"][0]])
    st.ok("load", runtime_path)
    # app against {base, runtime}: 3 exist, 4 to pull
    got = st.ok("plan", "--json", app_path).json()
    assert [l["Status"] for l in got["Layers"]] == ["Already exists"] * 3 + ["Pull"] * 4
    check_plan(got, app["images"][0], [base["images"][0], runtime["images"][0]])


def test_app_against_runtime_only(corpus, st):
    runtime, runtime_path = small(corpus, "runtime")
    app, app_path = small(corpus, "app")
    st.ok("load", runtime_path)
    got = st.ok("plan", "--json", app_path).json()
    assert sum(l["ExistsByChainID"] for l in got["Layers"]) == 3
    assert sum(not l["ExistsByChainID"] for l in got["Layers"]) == 4
    check_plan(got, app["images"][0], [runtime["images"][0]])


def test_table_output(corpus, st):
    runtime, runtime_path = small(corpus, "runtime")
    st.ok("load", small(corpus, "base")[1])
    r = st.ok("plan", runtime_path)
    img = runtime["images"][0]
    rows = [["LAYER", "DIGEST", "DIFF ID", "SIZE", "STATUS", "BY DIGEST"]]
    for i, l in enumerate(img["layers"]):
        rows.append([str(i), l["digest"].split(":")[1][:12], l["diff_id"].split(":")[1][:12],
                     lkutil.human_size(l["size"]), "Already exists" if i < 2 else "Pull", "yes" if i < 2 else "no"])
    lines = r.out.splitlines(keepends=True)
    assert lines[0] == "%s (%s) against store %s\n" % (img["repo_tags"][0], img["config_digest"][7:19], st.path)
    assert "".join(lines[1:5]) == lkutil.tabwriter(rows)
    present = img["layers"][0]["size"] + img["layers"][1]["size"]
    assert lines[5:] == ["Already exists: 2 layers, %s\n" % lkutil.human_size(present),
                         "To pull:        1 layer, %s\n" % lkutil.human_size(img["layers"][2]["size"])]


def test_chain_id_and_digest_disagree(corpus, st):
    """The store holds runtime as podman's uncompressed docker-archive; the app
    of the OCI archive has gzip blobs: Docker's layer store has its 3 lower
    layers (same chain_ids), containerd's content store has none of the blobs."""
    runtime, runtime_path = small(corpus, "runtime")
    app, app_path = small(corpus, "app", "podman.oci-archive")
    st.ok("load", runtime_path)
    got = st.ok("plan", "--json", app_path).json()
    assert [l["ExistsByChainID"] for l in got["Layers"]] == [True] * 3 + [False] * 4
    assert [l["ExistsByDigest"] for l in got["Layers"]] == [False] * 7
    check_plan(got, app["images"][0], [runtime["images"][0]])


def test_plan_says_what_a_load_writes(corpus, st):
    """The store holds the app of the OCI archive (gzip blobs). The same image as
    podman's docker-archive (uncompressed blobs) "Already exists" for a pull
    (by chain_id), but the store is keyed by blob digest: a load writes all 7
    layer blobs, and the plan says so, in text and JSON."""
    oci, oci_path = small(corpus, "app", "podman.oci-archive")
    app, app_path = small(corpus, "app")
    st.ok("load", "-q", oci_path)
    layers = app["images"][0]["layers"]
    blobs_before = PyStore(st.path).all_blobs()
    assert not any(l["digest"] in blobs_before for l in layers)
    write_bytes = sum({l["digest"]: l["size"] for l in layers}.values())
    got = st.ok("plan", "--json", app_path).json()
    assert [l["Status"] for l in got["Layers"]] == ["Already exists"] * 7
    assert got["TransferBytes"] == 0
    assert (got["WriteBlobs"], got["WriteBytes"]) == (len({l["digest"] for l in layers}), write_bytes)
    check_plan(got, app["images"][0], [oci["images"][0]])
    out = st.ok("plan", app_path).lines()
    assert out[-3:] == ["Already exists: 7 layers, %s" % lkutil.human_size(write_bytes),
                        "To pull:        0 layers, 0B",
                        "Load would write: 7 layer blobs, %s (the store has 7 of these layers as other blobs)"
                        % lkutil.human_size(write_bytes)]
    # the load writes exactly those layer blobs (and a manifest: not counted)
    st.ok("load", "-q", app_path)
    new = {d: n for d, n in PyStore(st.path).all_blobs().items() if d not in blobs_before}
    assert {d: n for d, n in new.items() if d in {l["digest"] for l in layers}} == {l["digest"]: l["size"] for l in layers}
    # now the store has the blobs too: nothing to write, no such line
    got = st.ok("plan", "--json", app_path).json()
    assert (got["WriteBlobs"], got["WriteBytes"]) == (0, 0)
    assert not any(l.startswith("Load would write") for l in st.ok("plan", app_path).lines())


def test_same_diff_id_elsewhere_is_another_layer(tmp_path, st):
    """A layer is its chain_id: the same diff_id on top of another base does not exist."""
    a = lkutil.tar_bytes([("a", b"a")])
    b = lkutil.tar_bytes([("b", b"b")])
    x = lkutil.tar_bytes([("x", b"x")])
    lkutil.write_docker_archive(tmp_path / "one.tar", [{"tags": ["one:1"], "layers": [a, x]}])
    lkutil.write_docker_archive(tmp_path / "two.tar", [{"tags": ["two:1"], "layers": [b, x]}])
    st.ok("load", tmp_path / "one.tar")
    got = st.ok("plan", "--json", tmp_path / "two.tar").json()
    assert [l["ExistsByChainID"] for l in got["Layers"]] == [False, False]
    assert [l["ExistsByDigest"] for l in got["Layers"]] == [False, True]
    assert [l["Status"] for l in got["Layers"]] == ["Pull", "Pull"]


def test_plan_against_a_store_not_created_yet(corpus, st):
    app, app_path = small(corpus, "app")
    got = st.ok("plan", "--json", app_path).json()
    assert [l["Status"] for l in got["Layers"]] == ["Pull"] * 7
    assert got["PresentBytes"] == 0
    assert got["TransferBytes"] == sum(l["size"] for l in app["images"][0]["layers"])
    assert not st.path.exists()  # plan never writes


def test_plan_needs_one_image(corpus, st):
    _, multi = small(corpus, "base+runtime+app", "podman-multi.docker-archive")
    r = st.run("plan", multi)
    assert r.rc == 2 and "--image" in r.err
    got = st.ok("plan", "--json", "--image", "localhost/corpus/app:1.0", multi).json()
    assert len(got["Layers"]) == 7


def test_large_classic_scenario(large, st):
    base, base_path = large_archive(large, "base")
    runtime, runtime_path = large_archive(large, "runtime")
    app, app_path = large_archive(large, "app")
    st.ok("load", base_path)
    got = st.ok("plan", "--json", runtime_path).json()
    n_base = len(base["images"][0]["layers"])
    assert [l["ExistsByChainID"] for l in got["Layers"]] == [True] * n_base + [False] * (
        len(runtime["images"][0]["layers"]) - n_base)
    check_plan(got, runtime["images"][0], [base["images"][0]])
    st.ok("load", runtime_path)
    got = st.ok("plan", "--json", app_path).json()
    check_plan(got, app["images"][0], [base["images"][0], runtime["images"][0]])
    assert sum(l["ExistsByChainID"] for l in got["Layers"]) == 3
    assert sum(not l["ExistsByChainID"] for l in got["Layers"]) == 4
