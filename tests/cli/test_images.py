"""`layerkit images` against the corpus's expected JSON, samples/expected.json
and docker's `docker images` rules (one row per reference, newest first,
12-hex IMAGE ID, SIZE = sum of the layers' Docker sizes in decimal units)."""
import pytest

from conftest import SAMPLE_NAMES
from lkutil import (OciLayout, human_size, parse_rfc3339, read_images, split_columns, tar_bytes,
                    write_docker_archive)

COLUMNS = ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]


def table(out):
    lines = out.splitlines()
    assert lines[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    return [split_columns(lines[0], l, COLUMNS) for l in lines[1:]]


def split_ref(ref):
    """repo and tag of "name:tag" (a ':' before the last '/' is a registry port)."""
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        return ref[:colon], ref[colon + 1:]
    return ref, "<none>"


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_images_samples(cli, samples, samples_expected, name):
    path = samples / ("%s.docker-archive.tar" % name)
    (img,) = read_images(path)
    exp = samples_expected[path.name]
    r = cli("images", path)
    assert r.rc == 0, r.err
    rows = table(r.out)
    repo, tag = split_ref(exp["ref"])
    assert rows == [[repo, tag, exp["id"][7:19], rows[0][3], human_size(sum(img.layer_sizes()))]]
    assert rows[0][3].endswith(" ago")

    js = cli("images", "--json", path).json()
    assert len(js) == 1
    j = js[0]
    assert (j["Repository"], j["Tag"], j["ID"]) == (repo, tag, exp["id"][7:19])
    assert j["Size"] == sum(img.layer_sizes())
    assert parse_rfc3339(j["CreatedAt"]) == parse_rfc3339(img.config["created"])
    assert j["Archive"] == str(path)


def test_images_all_samples_newest_first(cli, samples, samples_expected):
    paths = [samples / f for f in ("base.docker-archive.tar", "app.oci-archive.tar", "runtime.docker-archive.tar",
                                   "app.docker-archive.tar")]
    r = cli("images", "--json", *paths)
    assert r.rc == 0, r.err
    got = r.json()
    assert sorted(j["ID"] for j in got) == sorted(samples_expected[p.name]["id"][7:19] for p in paths)
    times = [parse_rfc3339(j["CreatedAt"]) for j in got]
    assert times == sorted(times, reverse=True)


@pytest.mark.parametrize("name", ["app.podman.docker-archive", "app.skopeo.docker-archive", "app.podman.oci-archive",
                                  "all.skopeo.oci-layout", "base.skopeo-uncompressed.oci-layout",
                                  "ext.dive.test-docker-image", "ext.ggcr.mutate.whiteout_dir"])
def test_images_corpus_ids_and_sizes(cli, expected, name):
    exp, path = expected(name)
    imgs = {i.id: i for i in read_images(path)}
    r = cli("images", "--json", path)
    assert r.rc == 0, r.err
    got = r.json()
    want = {}
    for e in exp["images"]:
        want[e["config_digest"][7:19]] = sum(imgs[e["config_digest"]].layer_sizes())
    assert {j["ID"]: j["Size"] for j in got} == want
    table_rows = table(cli("images", path).out)
    assert sorted((row[2], row[4]) for row in table_rows) == sorted((k, human_size(v)) for k, v in want.items())


def test_images_multi_image_archive(cli, expected):
    exp, path = expected("base+runtime+app.podman-multi.docker-archive")
    r = cli("images", path)
    assert r.rc == 0, r.err
    rows = table(r.out)
    # newest first: by the configs' "created"
    ordered = sorted(exp["images"], key=lambda e: parse_rfc3339(e["created"]), reverse=True)
    assert [(row[0], row[1], row[2]) for row in rows] == [
        split_ref(e["repo_tags"][0]) + (e["config_digest"][7:19],) for e in ordered]
    # the table's SIZE column: base 2.05MB (its busybox + /etc layers)
    imgs = {i.id: i for i in read_images(path)}
    assert [row[4] for row in rows] == [human_size(sum(imgs[e["config_digest"]].layer_sizes())) for e in ordered]


def test_images_registry_port_in_name(cli, expected):
    exp, path = expected("ext.ggcr.mutate.whiteout_dir")
    rows = table(cli("images", path).out)
    assert exp["images"][0]["repo_tags"] == ["localhost:5000/whiteout:latest"]
    assert rows[0][:3] == ["localhost:5000/whiteout", "latest", exp["images"][0]["config_digest"][7:19]]


def test_images_untagged_corpus(cli, expected):
    """Docker 25+ saves RepoTags null for an image saved by ID."""
    exp, path = expected("ext.ggcr.hello-world-v25")
    assert exp["manifest_json"][0]["RepoTags"] is None
    rows = table(cli("images", path).out)
    assert rows[0][:3] == ["<none>", "<none>", exp["images"][0]["config_digest"][7:19]]
    j = cli("images", "--json", path).json()[0]
    assert (j["Repository"], j["Tag"]) == ("<none>", "<none>")


def test_images_untagged_generated(cli, tmp_path):
    lay = OciLayout(tmp_path / "lay")
    mdesc, cdig, _ = lay.image([tar_bytes([("f", b"abc")])])
    lay.index([mdesc])
    rows = table(cli("images", tmp_path / "lay").out)
    assert rows == [["<none>", "<none>", cdig[7:19], rows[0][3], "3B"]]

    path = tmp_path / "d.tar"
    ((cfg, _),) = write_docker_archive(path, [{"tags": [], "layers": [tar_bytes([("g", b"abcd")])]}])
    rows = table(cli("images", path).out)
    assert rows == [["<none>", "<none>", cfg[7:19], rows[0][3], "4B"]]


def test_images_one_row_per_reference(cli, tmp_path):
    path = tmp_path / "tags.tar"
    ((cfg, _),) = write_docker_archive(path, [{"tags": ["a/x:1", "a/x:latest", "b:2"],
                                               "layers": [tar_bytes([("f", b"x" * 1500)])]}])
    rows = table(cli("images", path).out)
    assert sorted((r[0], r[1], r[2], r[4]) for r in rows) == sorted(
        [("a/x", "1", cfg[7:19], "1.5kB"), ("a/x", "latest", cfg[7:19], "1.5kB"), ("b", "2", cfg[7:19], "1.5kB")])


def test_images_quiet_and_no_trunc(cli, samples, samples_expected):
    path = samples / "app.docker-archive.tar"
    exp = samples_expected[path.name]
    assert cli("images", "-q", path).out.splitlines() == [exp["id"][7:19]]
    assert cli("images", "-q", "--no-trunc", path).out.splitlines() == [exp["id"]]
    rows = table(cli("images", "--no-trunc", path).out)
    assert rows[0][2] == exp["id"]


def test_images_image_option(cli, expected):
    exp, path = expected("base+runtime+app.podman-multi.docker-archive")
    runtime = exp["images"][1]
    r = cli("images", "--json", "--image", runtime["repo_tags"][0], path)
    assert r.rc == 0, r.err
    assert [j["ID"] for j in r.json()] == [runtime["config_digest"][7:19]]
    r = cli("images", "--image", "no/such:tag", path)
    assert r.rc == 2
    assert r.err.rstrip().endswith("[not_found]")


def test_images_size_strings(cli, tmp_path):
    """SIZE cells for sizes around unit boundaries, against go-units' examples."""
    sizes = [0, 999, 1000, 1024, 999999, 1000000, 1234567]
    imgs = []
    for i, n in enumerate(sizes):
        imgs.append({"tags": ["size/%d:%d" % (i, n)], "layers": [tar_bytes([("f", b"\0" * n)])],
                     "created": "2024-01-01T00:00:%02dZ" % i})
    path = tmp_path / "sizes.tar"
    write_docker_archive(path, imgs)
    rows = {r[1]: r[4] for r in table(cli("images", path).out)}
    # go-units: HumanSize(1000) = "1kB", 1024 -> "1.02kB" at 3 digits, and %.3g
    # carries 999999 to "1e+03kB" without changing the unit
    assert rows == {"0": "0B", "999": "999B", "1000": "1kB", "1024": "1.02kB", "999999": "1e+03kB",
                    "1000000": "1MB", "1234567": "1.23MB"}
    assert all(rows[str(n)] == human_size(n) for n in sizes)


def test_images_created_go_units_examples(cli, tmp_path):
    """CREATED is go-units HumanDuration(now - created) + " ago"."""
    import time
    now = int(time.time())
    from lkutil import go_rfc3339_utc, human_duration
    ages = {"3 minutes": 180, "About an hour": 3600, "2 days": 2 * 86400, "2 weeks": 14 * 86400,
            "2 months": 60 * 86400, "24 months": 720 * 86400}
    imgs = [{"tags": ["age/x:%d" % a], "layers": [tar_bytes([("f", b"%d" % a)])], "created": go_rfc3339_utc(now - a)}
            for a in ages.values()]
    path = tmp_path / "aged.tar"
    write_docker_archive(path, imgs)
    rows = {r[1]: r[3] for r in table(cli("images", path).out)}
    assert rows == {str(a): t + " ago" for t, a in ages.items()}
    assert all(human_duration(a) == t for t, a in ages.items())


def test_images_created_rounds_years_like_the_docker_cli(cli, tmp_path):
    import time
    from lkutil import go_rfc3339_utc
    age = 2 * 365 * 86400 + 300 * 86400
    path = tmp_path / "old.tar"
    write_docker_archive(path, [{"tags": ["old:1"], "layers": [tar_bytes([("f", b"x")])],
                                 "created": go_rfc3339_utc(int(time.time()) - age)}])
    # docker/cli's go-units rounds: 2 years 300 days is "3 years".
    assert table(cli("images", path).out)[0][3] == "3 years ago"


@pytest.mark.parametrize("ref,index", [
    ("localhost/corpus/app:1.0", 2),              # as stored
    ("corpus/runtime:1.0", 1),                    # without the localhost/ prefix (archive.hpp)
    ("app:1.0", None),                            # docker.io/library/app, not localhost/corpus/app
    ("corpus/app", None),                         # means corpus/app:latest
    ("@0", 0), ("@2", 2), ("@3", None),
])
def test_images_image_reference_forms(cli, expected, ref, index):
    exp, path = expected("base+runtime+app.podman-multi.docker-archive")
    r = cli("images", "-q", "--no-trunc", "--image", ref, path)
    if index is None:
        assert r.rc == 2
        assert r.err.rstrip().endswith("[not_found]")
    else:
        assert r.rc == 0, r.err
        assert r.out.split() == [exp["images"][index]["config_digest"]]


@pytest.mark.parametrize("n", [4, 12, 64])
def test_images_image_id_prefix(cli, expected, n):
    exp, path = expected("base+runtime+app.podman-multi.docker-archive")
    for e in exp["images"]:
        hexid = e["config_digest"][7:]
        for ref in (hexid[:n], "sha256:" + hexid[:n]):
            r = cli("images", "-q", "--no-trunc", "--image", ref, path)
            assert r.rc == 0, r.err
            assert r.out.split() == [e["config_digest"]]


def test_image_over_several_archives(cli, samples, samples_expected):
    """--image over several archives: those without the image are passed over; none having it is not_found."""
    paths = [samples / "base.docker-archive.tar", samples / "app.docker-archive.tar"]
    app = samples_expected["app.docker-archive.tar"]
    for command in ("images", "inspect", "verify"):
        r = cli(command, "--json", "--image", app["ref"], *paths)
        assert r.rc == 0, (command, r.err)
        got = r.json()
        if command == "images":
            assert [j["ID"] for j in got] == [app["id"][7:19]]
        elif command == "inspect":
            assert [j["Id"] for j in got] == [app["id"]]
        else:
            assert [(j["Archive"], [i["Id"] for i in j["Images"]]) for j in got] == [(str(paths[1]), [app["id"]])]
        r = cli(command, "--image", "no-such:image", *paths)
        assert r.rc == 2
        assert 'no image "no-such:image" in any of the 2 archives [not_found]' in r.err, (command, r.err)
