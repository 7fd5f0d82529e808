"""Nothing lost: a load killed with SIGKILL at any moment leaves a store that
verify finds consistent (at most leftovers: temporary files, unreferenced
blobs, which gc removes), and loading again succeeds. Deterministic kill
points come from LAYERKIT_STORE_CRASH_AT (the CLI kills itself at the N-th
durability point); the large-image tests also kill from outside at points
spread over the load's duration."""
import os
import signal
import subprocess
import time

import pytest

from conftest import CLI, PyStore, large_archive, small, snapshot, store_cmd

POINTS = ["staged:1", "staged:2", "staged:3", "committed:1", "committed:2", "committed:3", "index-written:1",
          "index-renamed:1"]


def verify_consistent(store):
    r = store_cmd(store, "verify", "--json")
    assert r.rc == 0, r
    j = r.json()
    assert j["OK"] is True and j["Problems"] == [], j
    for l in j["Leftovers"]:
        assert l.startswith(".layerkit/tmp/") or "unreferenced blob" in l or "record of an absent blob" in l, l
    return j


def load_with_crash(store, archive, point):
    r = store_cmd(store, "load", archive, env={"LAYERKIT_STORE_CRASH_AT": point})
    return r


def clean_reference(tmp_path, archives):
    ref = tmp_path / "reference"
    for a in archives:
        assert store_cmd(ref, "load", a).rc == 0
    return ref


def blobs_and_index(store):
    s = PyStore(store)
    return sorted(s.all_blobs()), sorted(e["digest"] for e in s.entries()), s.refs()


def crash_cycle(tmp_path, first, second):
    """Store {first}; load second killed at every point; verify; load again; gc;
    the result equals a store loaded without a crash."""
    ref = clean_reference(tmp_path, [first, second])
    for point in POINTS:
        store = tmp_path / ("crash-" + point.replace(":", "-"))
        assert store_cmd(store, "load", "-q", first).rc == 0
        r = load_with_crash(store, second, point)
        if r.rc == 0:
            # fewer durability points than N of this kind: nothing to kill
            assert point.split(":")[0] in ("staged", "committed"), (point, r)
        else:
            assert r.rc == -signal.SIGKILL, (point, r)
        verify_consistent(store)
        r = store_cmd(store, "load", second)
        assert r.rc == 0, (point, r)
        assert "Loaded image:" in r.out
        verify_consistent(store)
        assert store_cmd(store, "gc").rc == 0
        j = verify_consistent(store)
        assert j["Leftovers"] == [], (point, j["Leftovers"])
        assert blobs_and_index(store) == blobs_and_index(ref), point


def test_crash_points_small(corpus, tmp_path):
    crash_cycle(tmp_path, small(corpus, "base")[1], small(corpus, "runtime")[1])


def test_crash_points_large(large, tmp_path):
    crash_cycle(tmp_path, large_archive(large, "base")[1], large_archive(large, "app")[1])


def test_kill_from_outside_large(large, tmp_path):
    """SIGKILL from another process at moments spread over a large load."""
    base = large_archive(large, "base")[1]
    app = large_archive(large, "app")[1]
    ref = clean_reference(tmp_path, [base, app])
    # how long a load takes here
    probe = tmp_path / "probe"
    assert store_cmd(probe, "load", "-q", base).rc == 0
    t0 = time.monotonic()
    assert store_cmd(probe, "load", "-q", app).rc == 0
    duration = time.monotonic() - t0
    store = tmp_path / "killed"
    assert store_cmd(store, "load", "-q", base).rc == 0
    killed = 0
    for k in range(1, 9):
        delay = duration * k / 9
        p = subprocess.Popen([CLI, "store", "load", "--store", str(store), str(app)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        time.sleep(delay)
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
            killed += 1
        p.wait()
        verify_consistent(store)
    r = store_cmd(store, "load", app)
    assert r.rc == 0, r
    assert store_cmd(store, "gc").rc == 0
    assert verify_consistent(store)["Leftovers"] == []
    assert blobs_and_index(store) == blobs_and_index(ref)
    assert killed >= 1


def test_verify_waits_for_a_running_load(large, tmp_path):
    """verify takes the store exclusively: it waits for the load and then finds
    no leftovers (the load's temporary files are gone)."""
    store = tmp_path / "s"
    p = subprocess.Popen([CLI, "store", "load", "-q", "--store", str(store), str(large_archive(large, "app")[1])],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (store / ".layerkit" / "lock").exists() and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    j = verify_consistent(store)
    out, err = p.communicate()
    assert p.returncode == 0, err
    assert j["Leftovers"] == []
    assert PyStore(store).refs() == ["localhost/large/app:1.0"]
