"""`layerkit history` against the image configs (read by Python or by the
corpus's peer tools) and Docker's rules for each column.

Sizes are Docker's layer sizes computed here with tarfile over each layer blob
(lkutil.docker_layer_size); text follows docker/cli and go-units, re-implemented
in lkutil.py.
"""
import json
import time

import pytest

from conftest import SAMPLE_NAMES
from lkutil import (chain_ids, decompress, docker_layer_size, ellipsis, go_rfc3339_utc, human_duration, human_size,
                    parse_rfc3339, read_images, sha256, split_columns, tabwriter, tar_bytes, write_docker_archive)

ZERO_TIME = -62135596800  # Go's zero time.Time, what the daemon reports for an unset "created"

CORPUS_HISTORY = [
    "base.podman.docker-archive",
    "runtime.podman.docker-archive",
    "app.podman.docker-archive",
    "app.skopeo.docker-archive",
    "app.podman.docker-archive.tar.gz",
    "app.podman.oci-archive",
    "app.skopeo-zstd.oci-layout",
    "base.skopeo-uncompressed.oci-layout",
    "base.skopeo.docker-dir",
    "ext.dive.test-docker-image",
    "ext.dive.test-kaniko-image",
    "ext.dive.test-oci-zstd-image",
    "ext.ggcr.hello-world-v25",
    "ext.ggcr.mutate.whiteout_dir",
    "ext.ggcr.mutate.overwritten_file",
]


def expected_rows(history, image_id, sizes):
    """docker history rows, newest first, from config history (oldest first)."""
    rows = []
    li = 0
    for h in history:
        if h.get("empty_layer"):
            size, idx = 0, None
        else:
            size, idx = sizes[li], li
            li += 1
        t = parse_rfc3339(h.get("created", ""))
        rows.append({
            "CreatedBy": h.get("created_by", ""),
            "Comment": h.get("comment", ""),
            "Size": size,
            "unix": t,
            "CreatedAt": go_rfc3339_utc(t if t is not None else ZERO_TIME),
            "layer": idx,
        })
    rows.reverse()
    for i, r in enumerate(rows):
        r["ID"] = image_id if i == 0 else "<missing>"
    return rows


def sample_case(samples, name):
    path = samples / ("%s.docker-archive.tar" % name)
    (img,) = read_images(path)
    return path, img


def corpus_case(expected, name):
    exp, path = expected(name)
    (img,) = [i for i in read_images(path) if i.id == exp["images"][0]["config_digest"]]
    e = exp["images"][0]
    # the Python reader sees the same blobs as the peer tools did
    assert [sha256(img.blob(i)) for i in range(img.layer_count)] == [l["digest"] for l in e["layers"]]
    return path, img, e


# ---------------------------------------------------------------------------
# --json


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_history_json_samples(cli, samples, samples_expected, name):
    path, img = sample_case(samples, name)
    assert img.id == samples_expected[path.name]["id"]
    assert len(img.history) == samples_expected[path.name]["history_count"]
    rows = cli("history", "--json", path)
    assert rows.rc == 0, rows.err
    got = rows.json()
    want = expected_rows(img.history, img.id, img.layer_sizes())
    assert [r["ID"] for r in got] == [w["ID"] for w in want]
    assert [r["CreatedBy"] for r in got] == [w["CreatedBy"] for w in want]
    assert [r["Comment"] for r in got] == [w["Comment"] for w in want]
    assert [r["Size"] for r in got] == [w["Size"] for w in want]
    assert [r["CreatedAt"] for r in got] == [w["CreatedAt"] for w in want]
    assert sum(1 for w in want if w["layer"] is None) == samples_expected[path.name]["empty_layers"]


@pytest.mark.parametrize("name", CORPUS_HISTORY)
def test_history_json_corpus(cli, expected, name):
    path, img, e = corpus_case(expected, name)
    r = cli("history", "--json", path)
    assert r.rc == 0, r.err
    got = r.json()
    want = expected_rows(e["history"], e["config_digest"], img.layer_sizes())
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert (g["ID"], g["CreatedBy"], g["Comment"], g["Size"], g["CreatedAt"]) == (
            w["ID"], w["CreatedBy"], w["Comment"], w["Size"], w["CreatedAt"])
    # every empty_layer row is 0 bytes, and the non-empty ones are the layers, top first
    assert [g["Size"] for g, w in zip(got, want) if w["layer"] is None] == [0] * sum(w["layer"] is None for w in want)


def test_history_sizes_are_not_tar_sizes(cli, samples):
    """Docker's SIZE is the content, not the tar stream: 591 bytes of files in
    the 8704-byte tar of base's first layer (samples/README.md lists them)."""
    path, img = sample_case(samples, "base")
    readme_listing = [39, 166, 144, 115, 127]  # etc/group etc/os-release etc/passwd usr/bin/hello README
    got = cli("history", "--json", path).json()
    assert got[-1]["Size"] == sum(readme_listing) == docker_layer_size(img.blob(0))
    assert len(img.blob(0)) == 8704


# ---------------------------------------------------------------------------
# layer-size rules on generated layers


def _layer_with(entries):
    import io
    import tarfile
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=tarfile.GNU_FORMAT) as tf:
        for name, kind, data in entries:
            ti = tarfile.TarInfo(name)
            ti.mtime = 1704067200
            if kind == "file":
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
                continue
            ti.type = {"dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE, "lnk": tarfile.LNKTYPE,
                       "fifo": tarfile.FIFOTYPE, "chr": tarfile.CHRTYPE}[kind]
            ti.linkname = data or ""
            tf.addfile(ti)
    return bio.getvalue()


SIZE_CASES = {
    "rewritten": [("a", "file", b"x" * 100), ("a", "file", b"y" * 7)],
    "dot-prefix-rewritten": [("./a", "file", b"x" * 100), ("a", "file", b"y" * 7)],
    "file-then-symlink": [("a", "file", b"x" * 100), ("a", "sym", "target/that/is/long")],
    "symlink-then-file": [("a", "sym", "xxxxxxxxxx"), ("a", "file", b"y" * 7)],
    "hardlink": [("a", "file", b"x" * 100), ("b", "lnk", "a")],
    "specials": [("p", "fifo", None), ("c", "chr", None), ("d/", "dir", None)],
    "whiteouts": [(".wh.gone", "file", b""), ("d/.wh..wh..opq", "file", b""), ("d/f", "file", b"abc")],
    "long-names": [("L" * 200, "file", b"z" * 33), ("s", "sym", "T" * 150)],
    "utf8-symlink": [("s", "sym", "h\u00e9llo")],
    "dir-twice": [("d", "dir", None), ("d/", "dir", None), ("d/f", "file", b"1234")],
}


@pytest.mark.parametrize("case", sorted(SIZE_CASES))
def test_history_size_rules(cli, tmp_path, case):
    layer = _layer_with(SIZE_CASES[case])
    path = tmp_path / "img.tar"
    write_docker_archive(path, [{"tags": ["edge:1"], "layers": [layer]}])
    r = cli("history", "--json", path)
    assert r.rc == 0, r.err
    assert r.json()[0]["Size"] == docker_layer_size(layer)


def test_history_size_absolute_and_relative_name_are_one_path(cli, tmp_path):
    layer = _layer_with([("/abs", "file", b"q" * 10), ("abs", "file", b"r" * 3)])
    path = tmp_path / "img.tar"
    write_docker_archive(path, [{"tags": ["edge:1"], "layers": [layer]}])
    assert docker_layer_size(layer) == 3
    assert cli("history", "--json", path).json()[0]["Size"] == 3


# ---------------------------------------------------------------------------
# --layers


@pytest.mark.parametrize("name", ["app.podman.docker-archive", "app.podman.oci-archive", "app.skopeo-zstd.oci-layout",
                                  "ext.dive.test-kaniko-image", "base.skopeo.docker-dir"])
def test_history_layers_json_corpus(cli, expected, name):
    path, img, e = corpus_case(expected, name)
    r = cli("history", "--layers", "--json", path)
    assert r.rc == 0, r.err
    got = r.json()
    chains = chain_ids(e["config_diff_ids"])
    want = expected_rows(e["history"], e["config_digest"], img.layer_sizes())
    assert len(got) == len(want)
    for g, w in zip(got, want):
        i = w["layer"]
        if i is None:
            assert (g["DiffID"], g["Digest"], g["ChainID"], g["CompressedSize"], g["UncompressedSize"]) == (
                None, None, None, None, None)
            continue
        lay = e["layers"][i]
        assert g["LayerIndex"] == i
        assert g["DiffID"] == e["config_diff_ids"][i] == lay["diff_id"]
        assert g["Digest"] == lay["digest"]
        assert g["ChainID"] == chains[i]
        assert g["CompressedSize"] == lay["size"]
        assert g["UncompressedSize"] == lay["uncompressed_size"]


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_history_layers_json_samples(cli, samples, name):
    path, img = sample_case(samples, name)
    got = cli("history", "--layers", "--json", path).json()
    rows = [g for g in got if g["LayerIndex"] is not None]
    rows.sort(key=lambda g: g["LayerIndex"])
    assert [g["LayerIndex"] for g in rows] == list(range(img.layer_count))
    chains = chain_ids(img.diff_ids)
    for i, g in enumerate(rows):
        blob = img.blob(i)
        assert g["DiffID"] == img.diff_ids[i] == sha256(decompress(blob))
        assert g["Digest"] == sha256(blob)
        assert g["ChainID"] == chains[i]
        assert g["CompressedSize"] == len(blob)
        assert g["UncompressedSize"] == len(decompress(blob))


def test_history_chain_id_spec_example(cli, samples):
    """Chain IDs by the OCI config.md formula, spelled out for base's two layers."""
    path, img = sample_case(samples, "base")
    d0, d1 = img.diff_ids
    got = {g["LayerIndex"]: g["ChainID"] for g in cli("history", "--layers", "--json", path).json()}
    assert got[0] == d0
    assert got[1] == sha256((d0 + " " + d1).encode())


# ---------------------------------------------------------------------------
# the table


def _table_cells(out):
    lines = out.splitlines()
    names = ["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"]
    header = lines[0]
    assert header.split() == ["IMAGE", "CREATED", "CREATED", "BY", "SIZE", "COMMENT"]
    return [split_columns(header, l, names) for l in lines[1:]]


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_history_table_samples(cli, samples, name):
    path, img = sample_case(samples, name)
    r = cli("history", path)
    assert r.rc == 0, r.err
    want = expected_rows(img.history, img.id, img.layer_sizes())
    cells = _table_cells(r.out)
    assert len(cells) == len(want)
    for c, w in zip(cells, want):
        image_col, created, created_by, size, comment = c
        assert image_col == (w["ID"][7:19] if w["ID"] != "<missing>" else "<missing>")
        assert created_by == ellipsis(w["CreatedBy"].replace("\t", " "), 45).rstrip(" ")
        assert size == human_size(w["Size"])
        assert comment == w["Comment"].rstrip(" ")
        assert created.endswith(" ago")


@pytest.mark.parametrize("name", ["app.podman.docker-archive", "ext.dive.test-kaniko-image",
                                  "app.skopeo-zstd.oci-layout"])
def test_history_table_corpus(cli, expected, name):
    path, img, e = corpus_case(expected, name)
    r = cli("history", path)
    assert r.rc == 0, r.err
    want = expected_rows(e["history"], e["config_digest"], img.layer_sizes())
    cells = _table_cells(r.out)
    assert len(cells) == len(want)
    for c, w in zip(cells, want):
        assert c[0] == (w["ID"][7:19] if w["ID"] != "<missing>" else "<missing>")
        assert c[2] == ellipsis(w["CreatedBy"].replace("\t", " "), 45).rstrip(" ")
        assert c[3] == human_size(w["Size"])
        assert c[4] == w["Comment"].rstrip(" ")
        # docker prints N/A for times up to 2000-01-01 (kaniko writes the zero time)
        if w["unix"] is None or w["unix"] <= 946684800:
            assert c[1] == "N/A"
        else:
            assert c[1].endswith(" ago")


def test_history_table_size_strings(cli, corpus, expected):
    """Spot values of the SIZE column, as docker prints them."""
    path, img, e = corpus_case(expected, "base.podman.docker-archive")
    sizes = [c[3] for c in _table_cells(cli("history", path).out)]
    assert sizes[-1] == "2.05MB" == human_size(img.layer_sizes()[0])
    assert sizes[0] == "0B"


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_history_table_not_human_exact(cli, samples, name):
    """--human=false: the whole table, byte for byte, as docker/cli's tabwriter lays it out."""
    path, img = sample_case(samples, name)
    want = expected_rows(img.history, img.id, img.layer_sizes())
    rows = [["IMAGE", "CREATED AT", "CREATED BY", "SIZE", "COMMENT"]]
    for w in want:
        rows.append([w["ID"][7:19] if w["ID"] != "<missing>" else "<missing>", w["CreatedAt"],
                     ellipsis(w["CreatedBy"].replace("\t", " "), 45), str(w["Size"]), w["Comment"]])
    r = cli("history", "--human=false", path)
    assert r.rc == 0, r.err
    assert r.out == tabwriter(rows)


def test_history_table_no_trunc_exact(cli, samples):
    path, img = sample_case(samples, "app")
    want = expected_rows(img.history, img.id, img.layer_sizes())
    rows = [["IMAGE", "CREATED AT", "CREATED BY", "SIZE", "COMMENT"]]
    for w in want:
        rows.append([w["ID"], w["CreatedAt"], w["CreatedBy"].replace("\t", " "), str(w["Size"]), w["Comment"]])
    r = cli("history", "--no-trunc", "--human=false", path)
    assert r.rc == 0, r.err
    assert r.out == tabwriter(rows)
    # and the long LABEL line appears whole
    assert any(len(w["CreatedBy"]) > 45 and w["CreatedBy"] in r.out for w in want)


def test_history_quiet(cli, samples):
    path, img = sample_case(samples, "app")
    r = cli("history", "-q", path)
    assert r.rc == 0, r.err
    n = len(img.history)
    assert r.out.splitlines() == [img.id[7:19]] + ["<missing>"] * (n - 1)
    r = cli("history", "-q", "--no-trunc", path)
    assert r.out.splitlines() == [img.id] + ["<missing>"] * (n - 1)


def _edge_archive(tmp_path, created_by_list):
    layer = tar_bytes([("f", b"hello")])
    hist = [{"created": "2024-01-01T00:00:00Z", "created_by": cb, "empty_layer": True} for cb in created_by_list]
    hist[0].pop("empty_layer")
    hist[0]["comment"] = "first\tcomment"
    path = tmp_path / "edge.tar"
    write_docker_archive(path, [{"tags": ["edge:1"], "layers": [layer], "history": hist}])
    return path, hist


CREATED_BY_EDGES = [
    "x" * 45,                                   # exactly 45: kept
    "y" * 46,                                   # 46: cut to 44 + …
    "RUN\tapt-get\tinstall\t-y\tsomething-long-enough-to-cut",  # tabs become spaces, then cut
    "RUN echo \u4f60\u597d\u4e16\u754c \u4f60\u597d\u4e16\u754c \u4f60\u597d\u4e16\u754c \u4f60\u597d\u4e16\u754c"
    " \u4f60\u597d\u4e16\u754c",               # wide runes count 2 columns
    "RUN echo caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00fcber \u00e7a \u00e0 la carte, d\u00e9j\u00e0 vu!",
    "RUN <<EOF\necho one\necho two\nEOF",     # buildkit heredoc: newlines reach the table as they are
    "",
]


def test_history_created_by_truncation_exact(cli, tmp_path):
    """CREATED BY through docker/cli's Ellipsis(…, 45) and the table writer, on
    generated history: ASCII at the limit, tabs, East Asian wide runes, Latin-1."""
    path, hist = _edge_archive(tmp_path, CREATED_BY_EDGES)
    r = cli("history", "--human=false", path)
    assert r.rc == 0, r.err
    (img,) = read_images(path)
    rows = [["IMAGE", "CREATED AT", "CREATED BY", "SIZE", "COMMENT"]]
    for i, h in enumerate(reversed(hist)):
        rows.append([img.id[7:19] if i == 0 else "<missing>", "2024-01-01T00:00:00Z",
                     ellipsis(h["created_by"].replace("\t", " "), 45),
                     "5" if "empty_layer" not in h else "0", h.get("comment", "")])
    assert r.out == tabwriter(rows)
    # the JSON keeps the text as stored
    got = cli("history", "--json", path).json()
    assert [g["CreatedBy"] for g in got] == [h["created_by"] for h in reversed(hist)]
    assert got[-1]["Comment"] == "first\tcomment"


# ---------------------------------------------------------------------------
# CREATED (go-units HumanDuration)

# Ages and the strings docker/go-units' own duration_test.go expects for them
# (only ages of a minute or more, so that a second passing cannot matter).
MIN, HOUR, DAY = 60, 3600, 86400
WEEK, MONTH, YEAR = 7 * DAY, 30 * DAY, 365 * DAY
GO_UNITS_EXAMPLES = [
    (3 * MIN, "3 minutes"), (35 * MIN, "35 minutes"), (35 * MIN + 40, "35 minutes"),
    (HOUR, "About an hour"), (HOUR + 29 * MIN, "About an hour"), (HOUR + 31 * MIN, "2 hours"),
    (3 * HOUR, "3 hours"), (3 * HOUR + 31 * MIN, "4 hours"), (24 * HOUR, "24 hours"), (DAY + 12 * HOUR, "36 hours"),
    (2 * DAY, "2 days"), (7 * DAY, "7 days"), (13 * DAY + 5 * HOUR, "13 days"), (2 * WEEK, "2 weeks"),
    (3 * WEEK, "3 weeks"), (4 * WEEK, "4 weeks"), (4 * WEEK + 3 * DAY, "4 weeks"), (MONTH, "4 weeks"),
    (MONTH + 2 * WEEK, "6 weeks"), (2 * MONTH, "2 months"), (2 * MONTH + 2 * WEEK, "2 months"),
    (3 * MONTH, "3 months"), (3 * MONTH + WEEK, "3 months"), (5 * MONTH + 2 * WEEK, "5 months"),
    (13 * MONTH, "13 months"), (23 * MONTH, "23 months"), (24 * MONTH, "24 months"),
    (24 * MONTH + 2 * WEEK, "2 years"), (3 * YEAR + 2 * MONTH, "3 years"),
]
# Ages where the docker CLI's go-units rounds to the nearest unit (older
# go-units releases truncated): docker/cli vendor/github.com/docker/go-units/duration.go.
GO_UNITS_ROUNDING = [
    (2 * WEEK + 4 * DAY, "3 weeks"),
    (13 * DAY + 13 * HOUR, "14 days"),
    (20 * DAY, "3 weeks"),
    (321 * DAY, "11 months"),
    (2 * YEAR + 300 * DAY, "3 years"),
    (3 * YEAR + 200 * DAY, "4 years"),
]


def _aged_archive(tmp_path, ages):
    now = int(time.time())
    layer = tar_bytes([("f", b"x")])
    ages = sorted(ages, reverse=True)
    hist = [{"created": go_rfc3339_utc(now - a), "created_by": "age %d" % a, "empty_layer": True} for a in ages]
    hist[-1].pop("empty_layer")
    path = tmp_path / "aged.tar"
    write_docker_archive(path, [{"tags": ["aged:1"], "layers": [layer], "history": hist,
                                 "created": go_rfc3339_utc(now - ages[-1])}])
    return path


def _created_column(cli, path):
    r = cli("history", path)
    assert r.rc == 0, r.err
    return {c[2]: c[1] for c in _table_cells(r.out)}


def test_history_created_since_go_units_examples(cli, tmp_path):
    for age, text in GO_UNITS_EXAMPLES:
        assert human_duration(age) == text  # the oracle agrees with go-units' tests
    path = _aged_archive(tmp_path, [a for a, _ in GO_UNITS_EXAMPLES])
    got = _created_column(cli, path)
    assert [(a, got["age %d" % a]) for a, _ in GO_UNITS_EXAMPLES] == [(a, t + " ago") for a, t in GO_UNITS_EXAMPLES]


@pytest.mark.parametrize("age,text", GO_UNITS_ROUNDING, ids=[t.replace(" ", "") + str(a) for a, t in
                                                              GO_UNITS_ROUNDING])
def test_history_created_since_rounds_like_the_docker_cli(cli, tmp_path, age, text):
    assert human_duration(age) == text
    path = _aged_archive(tmp_path, [age, 5 * MIN])
    assert _created_column(cli, path)["age %d" % age] == text + " ago"


def test_history_created_before_2000_is_na(cli, tmp_path):
    layer = tar_bytes([("f", b"x")])
    hist = [{"created": "1999-12-31T23:59:59Z", "created_by": "old"},
            {"created": "0001-01-01T00:00:00Z", "created_by": "zero", "empty_layer": True},
            {"created_by": "unset", "empty_layer": True},
            {"created": "2000-01-01T00:00:00Z", "created_by": "y2k", "empty_layer": True}]
    path = tmp_path / "old.tar"
    write_docker_archive(path, [{"tags": ["old:1"], "layers": [layer], "history": hist}])
    got = _created_column(cli, path)
    assert got == {"old": "N/A", "zero": "N/A", "unset": "N/A", "y2k": "N/A"}
    js = {g["CreatedBy"]: g["CreatedAt"] for g in cli("history", "--json", path).json()}
    assert js["old"] == "1999-12-31T23:59:59Z"
    assert js["zero"] == "0001-01-01T00:00:00Z"


# ---------------------------------------------------------------------------
# choosing the image


def test_history_multi_image_needs_image(cli, expected):
    exp, path = expected("base+runtime+app.podman-multi.docker-archive")
    r = cli("history", path)
    assert r.rc == 2
    assert r.err.rstrip().endswith("[ambiguous]")
    for im in exp["images"]:
        assert im["repo_tags"][0] in r.err
    for im in exp["images"]:
        got = cli("history", "--json", "--image", im["repo_tags"][0], path)
        assert got.rc == 0, got.err
        rows = got.json()
        assert rows[0]["ID"] == im["config_digest"]
        assert [r["CreatedBy"] for r in rows] == [h["created_by"] for h in reversed(im["history"])]
    # by ID prefix and by position
    app = exp["images"][2]
    assert cli("history", "--json", "--image", app["config_digest"][7:19], path).json()[0]["ID"] == app["config_digest"]
    assert cli("history", "--json", "--image", "@0", path).json()[0]["ID"] == exp["images"][0]["config_digest"]


def test_history_takes_one_archive(cli, samples):
    r = cli("history", samples / "base.docker-archive.tar", samples / "app.docker-archive.tar")
    assert r.rc == 2
    assert "exactly one" in r.err


@pytest.mark.parametrize("tz", ["UTC", "Asia/Kolkata", "America/St_Johns", "Europe/Berlin"])
def test_history_created_at_local_zone(cli, samples, tz):
    """--human=false prints Go's time.Unix(t, 0).Format(time.RFC3339) in the local zone."""
    import datetime
    import zoneinfo
    try:
        zone = zoneinfo.ZoneInfo(tz)
    except zoneinfo.ZoneInfoNotFoundError:
        pytest.skip("needs tzdata for %s" % tz)
    path, img = sample_case(samples, "base")
    r = cli("history", "--human=false", "--no-trunc", path, env={"TZ": tz})
    assert r.rc == 0, r.err
    want = []
    for h in reversed(img.history):
        t = parse_rfc3339(h["created"])
        s = datetime.datetime.fromtimestamp(t, zone).isoformat()
        want.append(s.replace("+00:00", "Z"))
    header = r.out.splitlines()[0]
    got = [split_columns(header, l, ["IMAGE", "CREATED AT", "CREATED BY"])[1] for l in r.out.splitlines()[1:]]
    assert got == want


@pytest.mark.parametrize("fmt", [["--format=gnu"], ["--format=pax"], ["--format=pax", "--sparse-version=0.1"]])
def test_history_size_sparse_file(cli, tmp_path, fmt):
    """A sparse file (GNU tar --sparse) counts its apparent size, as lstat reports it."""
    import subprocess
    src = tmp_path / "src"
    src.mkdir()
    with open(src / "sparse", "wb") as f:
        f.seek(500000)
        f.write(b"abc")
        f.truncate(1000000)
    (src / "small").write_bytes(b"hi\n")
    layer_path = tmp_path / "layer.tar"
    subprocess.run(["tar", "--sparse", *fmt, "-C", str(src), "-cf", str(layer_path), "sparse", "small"], check=True)
    layer = layer_path.read_bytes()
    assert len(layer) < 100000  # the hole is not stored
    path = tmp_path / "img.tar"
    write_docker_archive(path, [{"tags": ["sparse:1"], "layers": [layer]}])
    assert docker_layer_size(layer) == (src / "sparse").stat().st_size + 3 == 1000003
    assert cli("history", "--json", path).json()[0]["Size"] == 1000003
