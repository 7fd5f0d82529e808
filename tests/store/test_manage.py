"""`layerkit store ls | rm | gc | df`. Sizes are Docker's layer sizes computed
here with tarfile from the stored blobs; sharing is by chain_id (OCI
config.md), as `docker system df -v` counts it — without docker's hidden
intermediate images, so an image whose newest history entry made no layer
keeps its unique size (docker/cli#5012)."""
import collections
import json

import pytest

from conftest import PyStore, lkutil, run, small, snapshot

REF = {"base": "localhost/corpus/base:1.0", "runtime": "localhost/corpus/runtime:1.0", "app": "localhost/corpus/app:1.0"}


@pytest.fixture
def full(corpus, st):
    for n in ("base", "runtime", "app"):
        st.ok("load", "-q", small(corpus, n)[1])
    return st


def py_images(root):
    """[(ref, manifest digest, config, [(chain_id, size, blob digest, blob size)])] from the files alone."""
    s = PyStore(root)
    out = []
    for e in s.entries():
        man = s.manifest(e)
        cfg = s.config(man)
        chains = lkutil.chain_ids(cfg["rootfs"]["diff_ids"])
        layers = [(c, s.layer_size(l["digest"]), l["digest"], l["size"]) for c, l in zip(chains, man["layers"])]
        ref = (e.get("annotations") or {}).get("org.opencontainers.image.ref.name", "")
        out.append((ref, e["digest"], man["config"]["digest"], cfg, layers))
    return out


def py_df(root):
    imgs = py_images(root)
    per_manifest = {m: layers for _, m, _, _, layers in imgs}
    users = collections.Counter(c for layers in per_manifest.values() for c in {c for c, *_ in layers})
    rows = []
    for ref, m, cid, cfg, layers in imgs:
        size = sum(s for _, s, *_ in layers)
        shared = sum(s for c, s, *_ in layers if users[c] > 1)
        rows.append({"Reference": ref, "Id": cid, "ManifestDigest": m, "Layers": len(layers), "Size": size,
                     "SharedSize": shared, "UniqueSize": size - shared, "BlobBytes": sum(b for *_, b in layers)})
    chain_size = {c: s for layers in per_manifest.values() for c, s, *_ in layers}
    return rows, {"DistinctImages": len(per_manifest), "DistinctLayers": len(chain_size),
                  "ContentSize": sum(chain_size.values()),
                  "TotalSize": sum(sum(s for _, s, *_ in layers) for layers in per_manifest.values())}


def test_ls(corpus, full):
    rows = full.ok("ls", "--json").json()
    want = []
    for ref, m, cid, cfg, layers in py_images(full.path):
        repo, tag = ref.rsplit(":", 1)
        want.append({"Repository": repo, "Tag": tag, "ID": cid[7:19], "Id": cid, "Digest": m,
                     "CreatedAt": cfg["created"], "Size": sum(s for _, s, *_ in layers), "Layers": len(layers),
                     "Reference": ref})
    want.sort(key=lambda r: lkutil.parse_rfc3339(r["CreatedAt"]), reverse=True)
    assert [{k: r[k] for k in want[0]} for r in rows] == want
    # the table: docker images' columns
    r = full.ok("ls")
    lines = r.out.splitlines()
    assert lines[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    assert [l.split()[:3] for l in lines[1:]] == [[w["Repository"], w["Tag"], w["ID"]] for w in want]
    assert [l.split()[-1] for l in lines[1:]] == [lkutil.human_size(w["Size"]) for w in want]
    assert full.ok("ls", "-q").lines() == [w["ID"] for w in want]
    assert full.ok("ls", "-q", "--no-trunc").lines() == [w["Id"] for w in want]


def test_ls_of_a_store_not_created_yet(st, tmp_path):
    """The default store not created yet lists nothing, as a fresh engine does;
    a --store path that does not exist is an error (a typo, most likely).
    Neither creates anything."""
    env = {"XDG_DATA_HOME": str(tmp_path / "xdg")}
    for sub in ("ls", "df"):
        r = run("store", sub, "--json", env=env)
        assert r.rc == 0, r
        assert r.json() == [] if sub == "ls" else r.json()["Images"] == []
        r = st.run(sub)
        assert r.rc == 2 and r.err.rstrip().endswith("[not_found]") and str(st.path) in r.err, r
    assert not st.path.exists() and not (tmp_path / "xdg").exists()


def test_df(corpus, full):
    got = full.ok("df", "--json").json()
    rows, totals = py_df(full.path)
    assert [{k: r[k] for k in rows[0]} for r in got["Images"]] == rows
    for k, v in totals.items():
        assert got[k] == v, k
    blobs = PyStore(full.path).all_blobs()
    assert (got["Blobs"], got["BlobBytes"]) == (len(blobs), sum(blobs.values()))
    assert (got["UnreferencedBlobs"], got["TempFiles"]) == (0, 0)


def test_df_unique_size_survives_an_empty_newest_history_entry(corpus, full):
    """app's newest history entries (ENV, EXPOSE, HEALTHCHECK, USER, CMD) made no
    layer; docker would show UNIQUE SIZE 0B (its hidden intermediate image shares
    every layer). Here app's unique size is its own 4 layers."""
    cfg = PyStore(full.path).config(PyStore(full.path).manifest(REF["app"]))
    assert cfg["history"][-1].get("empty_layer") is True
    got = {r["Reference"]: r for r in full.ok("df", "--json").json()["Images"]}
    s = PyStore(full.path)
    own = sum(s.layer_size(l["digest"]) for l in s.manifest(REF["app"])["layers"][3:])
    assert own > 0
    assert got[REF["app"]]["UniqueSize"] == own
    assert got[REF["base"]]["UniqueSize"] == 0  # all of base is in runtime and app too


def test_df_table(full):
    r = full.ok("df")
    lines = r.out.splitlines()
    assert lines[0] == "Images space usage:"
    assert lines[2].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE", "SHARED", "SIZE", "UNIQUE",
                                "SIZE", "BLOBS"]
    rows, totals = py_df(full.path)
    for line, row in zip(lines[3:6], rows):
        cells = line.split()
        assert cells[:3] == [row["Reference"].rsplit(":", 1)[0], "1.0", row["Id"][7:19]]
        assert cells[-4:] == [lkutil.human_size(row[k]) for k in ("Size", "SharedSize", "UniqueSize", "BlobBytes")]
    assert "%s with each layer once" % lkutil.human_size(totals["ContentSize"]) in r.out


def test_rm_and_gc(corpus, full):
    s0 = PyStore(full.path)
    base_manifest = s0.entry(REF["base"])["digest"]
    base_config = s0.manifest(REF["base"])["config"]["digest"]
    exp, _ = small(corpus, "base")
    r = full.ok("rm", REF["base"])
    assert r.lines() == ["Untagged: " + REF["base"], "Deleted: " + exp["images"][0]["config_digest"]]
    assert sorted(PyStore(full.path).refs()) == sorted([REF["runtime"], REF["app"]])
    assert base_manifest in PyStore(full.path).all_blobs()  # blobs stay until gc
    # gc: dry run first
    before = snapshot(full.path)
    j = full.ok("gc", "--dry-run", "--json").json()
    assert snapshot(full.path) == before
    assert sorted(b["Digest"] for b in j["Blobs"]) == sorted([base_manifest, base_config])
    # the base layers are kept: runtime and app use them
    j = full.ok("gc", "--json").json()
    assert sorted(b["Digest"] for b in j["Blobs"]) == sorted([base_manifest, base_config])
    blobs = PyStore(full.path).all_blobs()
    assert base_manifest not in blobs and base_config not in blobs
    assert j["BytesRemoved"] == sum(b["Size"] for b in j["Blobs"])
    assert full.ok("verify").rc == 0
    # rm by image ID prefix removes every reference of that image
    app_id = PyStore(full.path).manifest(REF["app"])["config"]["digest"]
    r = full.ok("rm", "--json", app_id[7:15])
    assert r.json() == {"Untagged": [REF["app"]], "Deleted": [app_id]}
    full.ok("rm", REF["runtime"])
    full.ok("gc")
    assert PyStore(full.path).all_blobs() == {}
    assert list((full.path / ".layerkit" / "layers" / "sha256").iterdir()) == []
    assert full.ok("verify").rc == 0


def test_rm_unknown_changes_nothing(full):
    before = snapshot(full.path)
    r = full.run("rm", REF["base"], "nosuch:1")
    assert r.rc == 2 and "no image" in r.err
    assert snapshot(full.path) == before


def test_rm_short_name(full):
    r = full.ok("rm", "corpus/app:1.0")  # without the localhost/ prefix, as layerkit images accepts
    assert r.lines()[0] == "Untagged: " + REF["app"]


def test_gc_removes_leftovers(full):
    tmp = full.path / ".layerkit" / "tmp" / "123-deadbeef.blob"
    tmp.write_bytes(b"partial")
    stray = full.path / "blobs" / "sha256" / ("0" * 64)
    stray.write_bytes(b"not referenced")
    j = full.ok("gc", "--json").json()
    assert [t["Path"] for t in j["TempFiles"]] == [".layerkit/tmp/123-deadbeef.blob"]
    assert [b["Path"] for b in j["Blobs"]] == ["blobs/sha256/" + "0" * 64]
    assert not tmp.exists() and not stray.exists()
    assert full.ok("verify", "--json").json()["Leftovers"] == []
