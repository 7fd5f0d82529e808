"""The classic scenario end to end from the CLI, on the corpus's three
archives and on the large images: load base; plan runtime shows the base
layers "Already exists"; load runtime; plan app; save app thin against base;
skopeo reads the result; df shows the shared bytes."""
import json
import shutil

import pytest

from conftest import PyStore, lkutil, large_archive, sh, skopeo, small, store_cmd


def scenario(tmp_path, archives, expected, refs):
    """archives/expected/refs: dicts keyed base, runtime, app."""
    store = tmp_path / "store"
    run = lambda *a: store_cmd(store, *a)  # noqa: E731

    r = run("load", archives["base"])
    assert r.rc == 0, r
    assert r.lines()[-1] == "Loaded image: " + refs["base"]

    r = run("plan", archives["runtime"])
    assert r.rc == 0, r
    n_base = len(expected["base"]["layers"])
    n_runtime = len(expected["runtime"]["layers"])
    rows = r.lines()[2:2 + n_runtime]  # after the title and the table header
    assert [("Already exists" in row, "Pull" in row) for row in rows] == \
        [(True, False)] * n_base + [(False, True)] * (n_runtime - n_base), r.out

    r = run("load", archives["runtime"])
    assert r.rc == 0, r
    assert sum("Already exists" in line for line in r.lines()) == n_base

    j = run("plan", "--json", archives["app"]).json()
    assert [l["Status"] for l in j["Layers"]] == ["Already exists"] * 3 + ["Pull"] * 4

    # a store with only the base: the target of the thin archive
    target = tmp_path / "target"
    assert store_cmd(target, "load", "-q", archives["base"]).rc == 0
    assert run("load", "-q", archives["app"]).rc == 0
    thin_docker = tmp_path / "app-thin.tar"
    thin_oci = tmp_path / "app-thin.oci.tar"
    for out, fmt in ((thin_docker, "docker-archive"), (thin_oci, "oci-archive")):
        j = run("save", "--json", "--format", fmt, "-o", out, "--missing-from", target, refs["app"]).json()
        assert [l["Omitted"] for l in j["Images"][0]["Layers"]] == [True] * n_base + [False] * (7 - n_base)
    man_digest = PyStore(store).entry(refs["app"])["digest"]

    # skopeo reads the thin OCI archive: inspect, and a copy into a layout with the base
    skopeo()
    assert json.loads(sh("skopeo", "inspect", "oci-archive:%s" % thin_oci).stdout)["Digest"] == man_digest
    with_base = tmp_path / "with-base"
    shutil.copytree(target, with_base)
    sh("skopeo", "copy", "-q", "--preserve-digests", "oci-archive:%s" % thin_oci, "oci:%s:%s" % (with_base, refs["app"]))
    assert PyStore(with_base).entry(refs["app"])["digest"] == man_digest
    # the thin docker-archive loads into the target store
    r = store_cmd(target, "load", thin_docker)
    assert r.rc == 0, r
    assert store_cmd(target, "verify").rc == 0
    # and the full archive round-trips through skopeo
    full = tmp_path / "app.tar"
    assert run("save", "-o", full, refs["app"]).rc == 0
    dest = tmp_path / "skopeo-copy"
    sh("skopeo", "copy", "-q", "docker-archive:%s" % full, "oci:%s:x" % dest)
    got = PyStore(dest)
    assert got.config(got.manifest(got.entries()[0]))["rootfs"]["diff_ids"] == expected["app"]["config_diff_ids"]

    # df: the base's bytes are shared by all three images
    j = run("df", "--json").json()
    rows = {r["Reference"]: r for r in j["Images"]}
    s = PyStore(store)
    base_bytes = sum(s.layer_size(l["digest"]) for l in s.manifest(refs["base"])["layers"])
    runtime_bytes = sum(s.layer_size(l["digest"]) for l in s.manifest(refs["runtime"])["layers"])
    assert rows[refs["base"]]["SharedSize"] == base_bytes and rows[refs["base"]]["UniqueSize"] == 0
    assert rows[refs["runtime"]]["SharedSize"] == runtime_bytes
    assert rows[refs["app"]]["SharedSize"] == runtime_bytes
    assert rows[refs["app"]]["UniqueSize"] == rows[refs["app"]]["Size"] - runtime_bytes > 0
    assert j["ContentSize"] == rows[refs["app"]]["Size"]
    assert j["TotalSize"] - j["ContentSize"] == base_bytes + runtime_bytes
    assert store_cmd(store, "verify").rc == 0


def test_classic_scenario_small(corpus, tmp_path):
    exp = {n: small(corpus, n) for n in ("base", "runtime", "app")}
    scenario(tmp_path, {n: p for n, (_, p) in exp.items()}, {n: d["images"][0] for n, (d, _) in exp.items()},
             {n: d["images"][0]["repo_tags"][0] for n, (d, _) in exp.items()})


def test_classic_scenario_large(large, tmp_path):
    exp = {n: large_archive(large, n) for n in ("base", "runtime", "app")}
    scenario(tmp_path, {n: p for n, (_, p) in exp.items()}, {n: d["images"][0] for n, (d, _) in exp.items()},
             {n: d["images"][0]["repo_tags"][0] for n, (d, _) in exp.items()})
