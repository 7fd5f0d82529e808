"""Two processes loading into one store at once lose nothing: each blob write
is atomic, and index.json is read, changed and replaced under a lock. gc
waits for running loads instead of removing their blobs."""
import subprocess
import time

import pytest

from conftest import CLI, PyStore, large_archive, small, store_cmd


def load_all_at_once(store, archives):
    procs = [subprocess.Popen([CLI, "store", "load", "--store", str(store), str(a)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for a in archives]
    results = [p.communicate() + (p.returncode,) for p in procs]
    for out, err, rc in results:
        assert rc == 0, err
        assert "Loaded image:" in out
    return results


def check(store, refs):
    assert sorted(PyStore(store).refs()) == sorted(refs)
    r = store_cmd(store, "verify", "--json")
    assert r.rc == 0, r
    assert r.json()["Leftovers"] == []


def test_concurrent_loads_small(corpus, tmp_path):
    names = ["base", "runtime", "app"]
    archives = [small(corpus, n)[1] for n in names]
    refs = ["localhost/corpus/%s:1.0" % n for n in names]
    for round_ in range(10):
        store = tmp_path / ("s%d" % round_)
        # every image twice, all at once, into a store that does not exist yet
        load_all_at_once(store, archives + archives)
        check(store, refs)
        # and a second wave into the now existing store, with skopeo's OCI copies
        oci = small(corpus, "all", "skopeo.oci-layout")[1]
        load_all_at_once(store, [oci, oci] + archives)
        check(store, refs + ["corpus/base:1.0", "corpus/runtime:1.0", "corpus/app:1.0"])


def test_concurrent_loads_large(large, tmp_path):
    names = ["base", "runtime", "app"]
    archives = [large_archive(large, n)[1] for n in names]
    store = tmp_path / "s"
    load_all_at_once(store, archives)
    check(store, ["localhost/large/%s:1.0" % n for n in names])


def test_gc_waits_for_a_load(large, tmp_path):
    store = tmp_path / "s"
    assert store_cmd(store, "load", "-q", large_archive(large, "base")[1]).rc == 0
    p = subprocess.Popen([CLI, "store", "load", "-q", "--store", str(store), str(large_archive(large, "app")[1])],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.05)
    g = store_cmd(store, "gc", "--json")
    out, err = p.communicate()
    assert p.returncode == 0, err
    assert g.rc == 0, g
    # gc removed nothing the load wrote: the store is whole
    check(store, ["localhost/large/base:1.0", "localhost/large/app:1.0"])
