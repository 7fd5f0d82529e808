"""Small archives written with Python's tarfile/json/hashlib, for bad-input tests."""
import hashlib
import io
import json
import os
import tarfile


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tar_bytes(files) -> bytes:
    """An uncompressed tar of {name: bytes} regular files (fixed mtime)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = 1704067200
            tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def config_for(layers, **extra) -> bytes:
    cfg = {"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
           "config": {"Env": ["PATH=/bin"]},
           "rootfs": {"type": "layers", "diff_ids": [sha256(l) for l in layers]},
           "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "layer %d" % i} for i in range(len(layers))]}
    cfg.update(extra)
    return json.dumps(cfg, sort_keys=True).encode()


def write_docker_archive(path, images, raw_manifest=None):
    """images: [{"config": bytes, "tags": [...], "layers": [tar bytes], "layer_names": [...] (optional)}]."""
    members, manifest = {}, []
    for img in images:
        cfg_name = sha256(img["config"])[7:] + ".json"
        members[cfg_name] = img["config"]
        names = img.get("layer_names") or [sha256(l)[7:] + ".tar" for l in img["layers"]]
        for name, data in zip(names, img["layers"]):
            members.setdefault(name, data)
        manifest.append({"Config": cfg_name, "RepoTags": img.get("tags", []), "Layers": names})
    members["manifest.json"] = raw_manifest if raw_manifest is not None else json.dumps(manifest).encode()
    with open(path, "wb") as f:
        f.write(tar_bytes(members))
    return path


def write_oci_layout(directory, index, blobs):
    """An OCI image layout directory: oci-layout, index.json (a dict) and blobs {digest: bytes}."""
    os.makedirs(os.path.join(directory, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(directory, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion": "1.0.0"}')
    with open(os.path.join(directory, "index.json"), "w") as f:
        json.dump(index, f)
    for digest, data in blobs.items():
        with open(os.path.join(directory, "blobs", "sha256", digest.split(":", 1)[1]), "wb") as f:
            f.write(data)
    return directory


def ids_sharing_a_prefix(layers, prefix_len=4):
    """Two image configs whose digests (image IDs) share their first prefix_len hex digits."""
    seen = {}
    n = 0
    while True:
        cfg = config_for(layers, config={"Env": ["PATH=/bin"], "Labels": {"n": str(n)}})
        key = sha256(cfg)[7:7 + prefix_len]
        if key in seen:
            return seen[key], cfg
        seen[key] = cfg
        n += 1
