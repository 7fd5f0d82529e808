"""A `docker save` as Docker's containerd image store writes it: an OCI layout
whose index.json names an image index (one manifest per platform plus an
attestation manifest), where only the saved platform's blobs are present, with
gzip-compressed layer blobs, beside a manifest.json whose paths are
blobs/sha256/<hex> and which has LayerSources.

The fixture is built here from the sample app image; every expected value is
computed in this file with hashlib/gzip, never by layerkit."""
import gzip
import hashlib
import io
import json
import tarfile

import pytest


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def read_sample(samples):
    """Config bytes and layer tars of samples/app.docker-archive.tar, via its manifest.json."""
    with tarfile.open(samples / "app.docker-archive.tar") as t:
        manifest = json.load(t.extractfile("manifest.json"))[0]
        config = t.extractfile(manifest["Config"]).read()
        layers = [t.extractfile(t.getmember(p)).read() if not t.getmember(p).issym()
                  else t.extractfile(t.getmember(p).linkname.lstrip("./")).read()
                  for p in manifest["Layers"]]
    return config, layers


def descriptor(media_type, data, **extra):
    d = {"mediaType": media_type, "digest": sha(data), "size": len(data)}
    d.update(extra)
    return d


def build(samples, path, corrupt_layer=None):
    config, layers = read_sample(samples)
    blobs = {}
    gz = []
    for raw in layers:
        buf = io.BytesIO()
        with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as g:
            g.write(raw)
        gz.append(buf.getvalue())
    layer_descs = [descriptor("application/vnd.oci.image.layer.v1.tar+gzip", b) for b in gz]
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor("application/vnd.oci.image.config.v1+json", config),
        "layers": layer_descs,
    }).encode()
    attestation = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor("application/vnd.oci.image.config.v1+json", b"{}"),
        "layers": [descriptor("application/vnd.in-toto+json", b'{"predicate": {}}')],
    }).encode()
    absent_arm64 = b"arm64 manifest that this save does not contain"
    index = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            descriptor("application/vnd.oci.image.manifest.v1+json", manifest,
                       platform={"architecture": "amd64", "os": "linux"}),
            descriptor("application/vnd.oci.image.manifest.v1+json", absent_arm64,
                       platform={"architecture": "arm64", "os": "linux", "variant": "v8"}),
            descriptor("application/vnd.oci.image.manifest.v1+json", attestation,
                       platform={"architecture": "unknown", "os": "unknown"},
                       annotations={"vnd.docker.reference.type": "attestation-manifest",
                                    "vnd.docker.reference.digest": sha(manifest)}),
        ],
    }).encode()
    for b in [config, manifest, attestation, b"{}", b'{"predicate": {}}', index] + gz:
        blobs[sha(b)] = b
    if corrupt_layer is not None:
        bad = bytearray(gz[corrupt_layer])
        bad[len(bad) // 2] ^= 0xFF
        blobs[sha(gz[corrupt_layer])] = bytes(bad)
    diff_ids = [sha(raw) for raw in layers]
    index_json = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [descriptor("application/vnd.oci.image.index.v1+json", index, annotations={
            "io.containerd.image.name": "docker.io/library/sample-app:1.0",
            "org.opencontainers.image.ref.name": "1.0"})],
    }).encode()
    manifest_json = json.dumps([{
        "Config": "blobs/sha256/" + sha(config)[7:],
        "RepoTags": ["sample-app:1.0"],
        "Layers": ["blobs/sha256/" + sha(b)[7:] for b in gz],
        "LayerSources": {d: layer_descs[i] for i, d in enumerate(diff_ids)},
    }]).encode()
    with tarfile.open(path, "w") as t:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        for digest, data in sorted(blobs.items()):
            add("blobs/sha256/" + digest[7:], data)
        add("index.json", index_json)
        add("manifest.json", manifest_json)
        add("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
    return {"config": config, "manifest": manifest, "gz": gz, "diff_ids": diff_ids}


def test_containerd_store_save_reads_like_docker_load(cli, samples, tmp_path):
    path = tmp_path / "containerd-save.tar"
    exp = build(samples, path)
    r = cli("inspect", path)
    assert r.rc == 0, r.err
    (img,) = r.json()
    assert img["Id"] == sha(exp["config"])
    # manifest.json names it "sample-app:1.0", index.json "docker.io/library/sample-app:1.0":
    # one image, one name, as `docker inspect` shows it.
    assert img["RepoTags"] == ["sample-app:1.0"]
    assert img["Manifest"]["Digest"] == sha(exp["manifest"])
    assert [l["Digest"] for l in img["Layers"]] == [sha(b) for b in exp["gz"]]
    assert [l["Size"] for l in img["Layers"]] == [len(b) for b in exp["gz"]]
    assert [l["DiffID"] for l in img["Layers"]] == exp["diff_ids"]
    assert all(l["Compression"] == "gzip" for l in img["Layers"])
    assert img["RootFS"]["Layers"] == exp["diff_ids"]

    v = cli("verify", "--json", path)
    assert v.rc == 0, v.out
    assert v.json()["OK"] is True

    rows = cli("images", "--json", path).json()
    assert {(x["Repository"], x["Tag"]) for x in rows} >= {("sample-app", "1.0")}


def test_containerd_store_save_with_a_flipped_gzip_blob(cli, samples, tmp_path):
    path = tmp_path / "containerd-save-bad.tar"
    exp = build(samples, path, corrupt_layer=1)
    v = cli("verify", "--json", path)
    assert v.rc == 1
    rep = v.json()
    kinds = {(p["Kind"], p["Layer"]) for p in rep["Problems"]}
    # The stored blob no longer hashes to its name, and (almost surely) no
    # longer decompresses to the diff_id: both are reported, for layer 1 only.
    assert ("blob_digest", 1) in kinds
    assert all(layer == 1 for _, layer in kinds)
    blob = [p for p in rep["Problems"] if p["Kind"] == "blob_digest"][0]
    assert blob["Expected"] == sha(exp["gz"][1])
    assert blob["Member"] == "blobs/sha256/" + sha(exp["gz"][1])[7:]
