"""Progress callbacks: values, cancellation (False -> CancelledError), an
exception raised inside the callback propagates after the C call, nothing
leaks, and the archive stays usable."""
import gc
import gzip
import os
import threading
import weakref

import pytest

import layerkit
import oracle

CHAIN = ["base.docker-archive.tar", "runtime.docker-archive.tar", "app.docker-archive.tar"]


@pytest.fixture
def gz_app(samples, tmp_path):
    """app.docker-archive.tar compressed as a whole: opening it is one progress-reporting pass."""
    p = tmp_path / "app.docker-archive.tar.gz"
    p.write_bytes(gzip.compress((samples / "app.docker-archive.tar").read_bytes(), mtime=0))
    return p


class Recorder:
    """A callable (done, total) -> result that records its calls; weak-referenceable."""

    def __init__(self, result=None, raise_=None, after=0):
        self.calls = []
        self.result = result
        self.raise_ = raise_
        self.after = after

    def __call__(self, done, total):
        self.calls.append((done, total))
        if len(self.calls) > self.after:
            if self.raise_ is not None:
                raise self.raise_
            return self.result
        return None


class Boom(Exception):
    pass


def open_fds():
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0


# ---------------------------------------------------------------------------
# The four operations that take a callback, each as f(progress) on fresh archives.


def op_open(samples, gz):
    return lambda progress: layerkit.Archive(gz, progress=progress).close()


def op_verify(samples, gz):
    def run(progress):
        with layerkit.Archive(samples / "app.docker-archive.tar") as a:
            a.verify(progress=progress)
    return run


def op_history(samples, gz):
    def run(progress):
        with layerkit.Archive(samples / "app.docker-archive.tar") as a:
            a.images[0].history(progress=progress)
    return run


def op_dedup(samples, gz):
    def run(progress):
        archives = [layerkit.Archive(samples / f) for f in CHAIN]
        try:
            layerkit.dedup([a.images[0] for a in archives], progress=progress)
        finally:
            for a in archives:
                a.close()
    return run


OPS = {"open": op_open, "verify": op_verify, "history": op_history, "dedup": op_dedup}


@pytest.mark.parametrize("name", sorted(OPS))
def test_false_cancels(name, samples, gz_app):
    run = OPS[name](samples, gz_app)
    rec = Recorder(result=False)
    with pytest.raises(layerkit.CancelledError) as e:
        run(rec)
    assert e.value.status == layerkit.Status.ECANCELLED == -12
    assert e.value.name == "cancelled" and e.value.message
    assert len(rec.calls) == 1  # not called again once it said stop


@pytest.mark.parametrize("name", sorted(OPS))
def test_none_and_true_continue(name, samples, gz_app):
    run = OPS[name](samples, gz_app)
    for result in (None, True, 1):
        rec = Recorder(result=result)
        run(rec)
        assert rec.calls


@pytest.mark.parametrize("name", sorted(OPS))
def test_an_exception_in_the_callback_propagates(name, samples, gz_app):
    run = OPS[name](samples, gz_app)
    boom = Boom("from the callback")
    rec = Recorder(raise_=boom, after=1)
    with pytest.raises(Boom) as e:
        run(rec)
    assert e.value is boom
    assert len(rec.calls) == 2
    # Its traceback still shows where it was raised.
    assert any(tb.name == "__call__" for tb in e.traceback)


def test_keyboard_interrupt_in_the_callback_propagates(samples):
    def stop(done, total):
        raise KeyboardInterrupt
    with layerkit.Archive(samples / "base.docker-archive.tar") as a:
        with pytest.raises(KeyboardInterrupt):
            a.verify(progress=stop)
        assert a.verify().ok  # still usable


@pytest.mark.parametrize("name", sorted(OPS))
def test_cancelling_leaks_nothing(name, samples, gz_app):
    run = OPS[name](samples, gz_app)
    run(None)  # warm up whatever is opened once per process
    gc.collect()
    fds = open_fds()
    refs = []
    for _ in range(25):
        for rec in (Recorder(result=False), Recorder(raise_=Boom())):
            refs.append(weakref.ref(rec))
            with pytest.raises((layerkit.CancelledError, Boom)):
                run(rec)
            del rec
    gc.collect()
    assert open_fds() == fds, "file descriptors leaked"
    assert all(r() is None for r in refs), "the binding keeps callbacks alive"


def test_cancelled_archive_stays_usable(samples, samples_expected):
    exp = samples_expected["app.docker-archive.tar"]
    with layerkit.Archive(samples / exp["file"]) as a:
        for _ in range(3):
            with pytest.raises(layerkit.CancelledError):
                a.verify(progress=lambda d, t: False)
            with pytest.raises(layerkit.CancelledError):
                a.images[0].history(progress=lambda d, t: False)
        assert a.verify().ok
        assert [r.id for r in a.images[0].history()][0] == exp["id"]


@pytest.mark.parametrize("threads", [1, 4])
def test_verify_progress_values(samples, samples_expected, threads):
    exp = samples_expected["app.docker-archive.tar"]
    total = sum(l["bytes"] for l in exp["layers"])  # every layer blob, read once
    assert total == sum(size for name, (_, size) in oracle.member_data_offsets(samples / exp["file"]).items()
                        if name in {l["member"] for l in exp["layers"]})
    inside = threading.Lock()
    overlaps = []
    calls = []

    def progress(done, total_):
        if not inside.acquire(blocking=False):
            overlaps.append((done, total_))
            return
        try:
            calls.append((done, total_, threading.get_ident()))
        finally:
            inside.release()

    with layerkit.Archive(samples / exp["file"]) as a:
        assert a.verify(threads=threads, progress=progress).ok
    assert not overlaps, "callbacks ran on two threads at once"
    assert calls
    assert all(t == total for _, t, _ in calls)
    assert all(0 <= d <= total for d, _, _ in calls)
    assert calls[-1][0] == total


def test_open_progress_counts_the_compressed_file(gz_app):
    rec = Recorder()
    with layerkit.Archive(gz_app, progress=rec) as a:
        assert a.images
    size = os.path.getsize(gz_app)
    assert rec.calls
    assert all(0 <= d <= t == size for d, t in rec.calls)
    assert rec.calls[-1][0] == size


def test_a_callback_may_not_reenter_its_archive(samples):
    with layerkit.Archive(samples / "base.docker-archive.tar") as a, \
            layerkit.Archive(samples / "runtime.docker-archive.tar") as other:
        seen = []

        def uses_other(done, total):
            seen.append(other.images[0].id)  # another archive: fine
            other.inspect()

        assert a.verify(progress=uses_other).ok and seen

        def reenters(done, total):
            a.inspect()

        with pytest.raises(RuntimeError, match="progress callback"):
            a.verify(progress=reenters)
        assert a.verify().ok


def test_threads_serialize_calls_on_one_archive(samples, samples_expected):
    exp = samples_expected["app.docker-archive.tar"]
    errors, results = [], []
    with layerkit.Archive(samples / exp["file"]) as a:
        def work():
            try:
                for _ in range(10):
                    results.append(a.images[0].history()[0].id)
                    results.append(a.verify(threads=2).ok)
            except BaseException as e:  # pragma: no cover - reported below
                errors.append(e)
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors
    assert results.count(exp["id"]) == 40 and results.count(True) == 40
