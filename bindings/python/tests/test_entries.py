"""Layer entries (lk_layer_entries) against Python's tarfile reading of the
same layer members of the sample archives."""
import tarfile

import pytest

import layerkit


def tarfile_entries(archive_path, member):
    with tarfile.open(archive_path) as outer:
        m = outer.getmember(member)
        while m.issym():
            m = outer.getmember(m.linkname.lstrip("./"))
        with tarfile.open(fileobj=outer.extractfile(m)) as layer:
            return layer.getmembers()


TYPES = {tarfile.REGTYPE: "-", tarfile.AREGTYPE: "-", tarfile.DIRTYPE: "d", tarfile.SYMTYPE: "l",
         tarfile.LNKTYPE: "h", tarfile.CHRTYPE: "c", tarfile.BLKTYPE: "b", tarfile.FIFOTYPE: "p"}


@pytest.mark.parametrize("name", ["base", "runtime", "app"])
def test_entries_match_tarfile(samples, samples_expected, name):
    exp = samples_expected[name + ".docker-archive.tar"]
    with layerkit.Archive(samples / exp["file"]) as a:
        (img,) = a.images
        for i, layer in enumerate(exp["layers"]):
            got = img.entries(i)
            want = tarfile_entries(samples / exp["file"], layer["member"])
            assert [e.path.rstrip("/") for e in got] == [m.name.lstrip("./").rstrip("/") for m in want]
            for e, m in zip(got, want):
                assert e.type == TYPES[m.type]
                assert e.mode == m.mode & 0o7777
                assert (e.uid, e.gid) == (m.uid, m.gid)
                assert e.mtime == int(m.mtime)
                if m.isreg():
                    assert e.bytes == m.size
                if m.issym() or m.islnk():
                    assert e.link == m.linkname


def test_entries_bad_index(samples):
    with layerkit.Archive(samples / "base.docker-archive.tar") as a:
        with pytest.raises(layerkit.InvalidArgumentError):
            a.images[0].entries(99)
