"""The image store through Python: the classic scenario on the samples, with
diff_ids from samples/expected.json (read back by peer tools)."""
import hashlib

import pytest

import layerkit


def test_classic_scenario(samples, samples_expected, tmp_path):
    exp = {k: v for k, v in samples_expected.items()}
    base, runtime, app = (samples / (n + ".docker-archive.tar") for n in ("base", "runtime", "app"))
    events = []
    with layerkit.Store(tmp_path / "store") as s:
        s.load(base, on_event=events.append)
        assert [e["Kind"] for e in events] == ["loading", "loading", "loaded"]
        assert [e["DiffID"] for e in events[:2]] == exp["base.docker-archive.tar"]["diff_ids"]
        with layerkit.Archive(runtime) as a:
            plan = s.plan(a)
        assert [l["Status"] for l in plan["Layers"]] == ["Already exists", "Already exists", "Pull"]
        assert [l["DiffID"] for l in plan["Layers"]] == exp["runtime.docker-archive.tar"]["diff_ids"]
        s.load(runtime)
        with layerkit.Archive(app) as a:
            plan = s.plan(a)
        assert [l["Status"] for l in plan["Layers"]].count("Already exists") == 3
        s.load(app)
        ok, report = s.verify()
        assert ok, report
        # Every blob file is named by its sha256 (hashlib).
        for blob in (tmp_path / "store" / "blobs" / "sha256").iterdir():
            assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name
        out = tmp_path / "app.tar"
        s.save("localhost/layerkit-sample/app:1.0", out)
        with layerkit.Archive(out) as a:
            assert a.images[0].id == exp["app.docker-archive.tar"]["id"]
        assert s.has_blob(exp["base.docker-archive.tar"]["layers"][0]["digest"])
        with pytest.raises(layerkit.InvalidDigestError):
            s.has_blob("sha256:../../x")


def test_missing_store_without_create(tmp_path):
    with pytest.raises(layerkit.NotFoundError):
        layerkit.Store(tmp_path / "absent", create=False)
