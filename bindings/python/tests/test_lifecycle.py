"""Handles are always freed: close(), the with statement, or garbage collection."""
import gc

import pytest

import layerkit


def test_with_closes_even_on_error(samples):
    with pytest.raises(KeyError):
        with layerkit.Archive(samples / "base.docker-archive.tar") as a:
            raise KeyError("inside")
    assert a.closed and not a._finalizer.alive


def test_garbage_collection_frees_the_handle(samples):
    a = layerkit.Archive(samples / "base.docker-archive.tar")
    fin = a._finalizer
    assert fin.alive
    del a
    gc.collect()
    assert not fin.alive


def test_an_image_keeps_its_archive_alive(samples, samples_expected):
    exp = samples_expected["runtime.docker-archive.tar"]
    img = layerkit.Archive(samples / exp["file"]).images[0]
    gc.collect()
    assert img.archive._finalizer.alive
    assert [l.diff_id for l in img.layers()] == exp["diff_ids"]
    assert img.history()[0].id == exp["id"]
    fin = img.archive._finalizer
    del img
    gc.collect()
    assert not fin.alive


def test_results_outlive_the_archive(samples, samples_expected):
    exp = samples_expected["app.docker-archive.tar"]
    with layerkit.Archive(samples / exp["file"]) as a:
        img = a.images[0]
        layers = list(img.layers(read_sizes=True))
        rows = img.history()
        report = a.verify()
        doc = a.inspect()
    assert [l.diff_id for l in layers] == exp["diff_ids"]
    assert rows[0].id == exp["id"] and report.ok and doc[0]["Id"] == exp["id"]
    assert "layerkit.Image" in repr(img) and exp["ref"] in repr(img)
