"""A store opened with create that no write has initialised yet (directory
absent, empty, or holding only layerkit's private .layerkit/) is an empty
store: gc, verify and rm answer as for a store without images. A load that
fails writes no layout file (oci-layout, index.json are written only when a
load commits), so a failed first load leaves at most .layerkit/.

Expected values come from outside layerkit: directory listings (os.listdir),
the corpus's hostile archives, and the store files read with json."""
import json
import os
import pathlib
import signal
import sys

import pytest

import lkutil
from conftest import CLI, SOURCE_DIR, run, small, store_cmd


# ---------------------------------------------------------------------------
# The library through the Python binding (`layerkit.Store(path)` opens with
# create, as lk_store_open(dir, 1, ...) does).


@pytest.fixture
def lkpy(monkeypatch):
    lib = os.environ.get("LAYERKIT_LIBRARY") or str(pathlib.Path(CLI).resolve().parents[1] / "capi" / "liblayerkit.so")
    if not os.path.exists(lib):
        pytest.skip("needs the built liblayerkit (set $LAYERKIT_LIBRARY)")
    if lkutil.sanitized_build(pathlib.Path(lib).resolve().parents[1]):
        pytest.skip("a sanitizer build: Python cannot load an instrumented library (runs in the plain build)")
    monkeypatch.setenv("LAYERKIT_LIBRARY", lib)
    monkeypatch.syspath_prepend(str(SOURCE_DIR / "bindings" / "python"))
    for m in [m for m in sys.modules if m == "layerkit" or m.startswith("layerkit.")]:
        monkeypatch.delitem(sys.modules, m)
    import layerkit
    return layerkit


def listing(p):
    p = pathlib.Path(p)
    return sorted(os.listdir(p)) if p.exists() else None


def not_created_stores(tmp_path):
    absent = tmp_path / "absent"
    empty = tmp_path / "empty"
    empty.mkdir()
    private = tmp_path / "private"
    (private / ".layerkit" / "tmp").mkdir(parents=True)
    return [absent, empty, private]


def test_gc_verify_rm_of_a_store_not_created_yet(lkpy, tmp_path):
    for path in not_created_stores(tmp_path):
        before = listing(path)
        with lkpy.Store(path) as s:
            r = s.gc()
            assert (r["Blobs"], r["TempFiles"], r["BytesRemoved"]) == ([], [], 0), (path, r)
            ok, rep = s.verify()
            assert ok and rep["Problems"] == [] and rep["Leftovers"] == [], (path, rep)
            assert (rep["Images"], rep["Blobs"]) == (0, 0)
            with pytest.raises(lkpy.NotFoundError) as e:
                s.remove(["a:1"])
            assert "no image" in str(e.value) and "index.json" not in str(e.value), (path, e.value)
            assert s.images() == []
        # No layout file appears; an absent or empty directory is left as it was.
        after = listing(path)
        assert after == before or (before == [".layerkit"] and after == [".layerkit"]), (path, after)


def test_rm_of_a_store_not_created_yet_is_the_usual_not_found(lkpy, corpus, tmp_path):
    """The same error a store without that image gives."""
    with lkpy.Store(tmp_path / "loaded") as s:
        s.load(small(corpus, "base")[1])
        with pytest.raises(lkpy.NotFoundError) as loaded:
            s.remove(["a:1"])
    with lkpy.Store(tmp_path / "new") as s:
        with pytest.raises(lkpy.NotFoundError) as new:
            s.remove(["a:1"])
    assert str(loaded.value).split(" in store ")[0] == str(new.value).split(" in store ")[0]


def test_gc_sweeps_leftovers_of_a_store_not_created_yet(lkpy, tmp_path):
    """Mark and sweep with an empty root set: an interrupted write's temporary
    file is a leftover, which verify reports (still OK) and gc removes."""
    store = tmp_path / "s"
    (store / ".layerkit" / "tmp").mkdir(parents=True)
    (store / ".layerkit" / "tmp" / "blob-interrupted").write_bytes(b"x" * 10)
    with lkpy.Store(store) as s:
        ok, rep = s.verify()
        assert ok and rep["Problems"] == [] and len(rep["Leftovers"]) == 1, rep
        assert s.gc(dry_run=True)["TempFiles"] == [{"Path": ".layerkit/tmp/blob-interrupted", "Size": 10}]
        assert os.listdir(store / ".layerkit" / "tmp") == ["blob-interrupted"]
        r = s.gc()
        assert r["TempFiles"] == [{"Path": ".layerkit/tmp/blob-interrupted", "Size": 10}] and r["BytesRemoved"] == 10
    assert os.listdir(store / ".layerkit" / "tmp") == []
    assert "oci-layout" not in os.listdir(store) and "index.json" not in os.listdir(store)


@pytest.mark.parametrize("present", ["oci-layout", "index.json"])
def test_a_damaged_store_keeps_its_errors(lkpy, tmp_path, present):
    """One of oci-layout / index.json without the other is a damaged store,
    not one not created yet."""
    store = tmp_path / "s"
    store.mkdir()
    content = {"oci-layout": {"imageLayoutVersion": "1.0.0"},
               "index.json": {"schemaVersion": 2, "manifests": []}}[present]
    (store / present).write_text(json.dumps(content))
    with lkpy.Store(store) as s:
        ok, rep = s.verify()
        assert not ok and rep["Problems"], rep
        if present == "oci-layout":
            with pytest.raises(lkpy.NotFoundError, match="index.json is absent"):
                s.gc()
            with pytest.raises(lkpy.NotFoundError, match="index.json is absent"):
                s.remove(["a:1"])


def test_without_create_a_store_not_created_yet_is_not_found(lkpy, tmp_path):
    for path in not_created_stores(tmp_path):
        with pytest.raises(lkpy.NotFoundError):
            lkpy.Store(path, create=False)


# ---------------------------------------------------------------------------
# A failed first load (the CLI)


def hostile(corpus, name):
    p = corpus / "hostile" / name
    if not p.exists():
        pytest.skip("needs the corpus's %s" % name)
    return p


@pytest.mark.parametrize("name", ["base.flipped-byte.docker-archive.tar", "base.missing-layer.docker-archive.tar"])
def test_a_failed_first_load_writes_no_layout(corpus, tmp_path, name):
    store = tmp_path / "new"
    r = store_cmd(store, "load", hostile(corpus, name))
    assert r.rc == 2, r
    assert os.listdir(store) == [".layerkit"]
    assert os.listdir(store / ".layerkit" / "tmp") == []
    # An explicit --store that no load created reads as an empty directory does.
    empty = tmp_path / "empty"
    empty.mkdir()
    for sub in ("ls", "df"):
        got, want = store_cmd(store, sub), store_cmd(empty, sub)
        assert (got.rc, got.err.replace(str(store), "S")) == (want.rc, want.err.replace(str(empty), "S")), (got, want)
    # A load that succeeds then creates it.
    r = store_cmd(store, "load", small(corpus, "base")[1])
    assert r.rc == 0, r
    assert {"oci-layout", "index.json", "blobs"} <= set(os.listdir(store))
    r = store_cmd(store, "verify", "--json")
    assert r.rc == 0 and r.json()["OK"] is True and r.json()["Leftovers"] == [], r


def test_a_failed_first_load_into_the_default_store(corpus, tmp_path):
    """The default store after a failed first load: ls and df see it empty."""
    env = {"XDG_DATA_HOME": str(tmp_path / "xdg")}
    r = run("store", "load", hostile(corpus, "base.flipped-byte.docker-archive.tar"), env=env)
    assert r.rc == 2, r
    assert os.listdir(tmp_path / "xdg" / "layerkit" / "store") == [".layerkit"]
    r = run("store", "ls", "--json", env=env)
    assert r.rc == 0 and r.json() == [], r
    r = run("store", "df", "--json", env=env)
    assert r.rc == 0 and r.json()["Images"] == [] and r.json()["Blobs"] == 0, r


def test_a_first_load_killed_before_commit_writes_no_layout(corpus, tmp_path):
    store = tmp_path / "s"
    r = store_cmd(store, "load", small(corpus, "base")[1], env={"LAYERKIT_STORE_CRASH_AT": "staged:1"})
    assert r.rc == -signal.SIGKILL, r
    assert os.listdir(store) == [".layerkit"]


def test_a_first_load_killed_after_a_blob_commit_leaves_a_consistent_store(corpus, tmp_path):
    """Blobs enter blobs/ only once the layout exists: verify finds an OCI
    layout with at most leftovers, gc removes them, loading again succeeds."""
    store = tmp_path / "s"
    r = store_cmd(store, "load", small(corpus, "base")[1], env={"LAYERKIT_STORE_CRASH_AT": "committed:1"})
    assert r.rc == -signal.SIGKILL, r
    assert {"oci-layout", "index.json", "blobs"} <= set(os.listdir(store))
    assert json.loads((store / "index.json").read_text())["manifests"] == []
    r = store_cmd(store, "verify", "--json")
    assert r.rc == 0 and r.json()["OK"] is True and r.json()["Problems"] == [], r
    assert store_cmd(store, "gc").rc == 0
    assert os.listdir(store / "blobs" / "sha256") == []
    assert store_cmd(store, "load", small(corpus, "base")[1]).rc == 0
    r = store_cmd(store, "verify", "--json")
    assert r.rc == 0 and r.json()["OK"] is True and r.json()["Leftovers"] == [], r
