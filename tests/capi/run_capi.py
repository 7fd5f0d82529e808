#!/usr/bin/env python3
"""Runs test_capi on each sample archive with the values samples/expected.json
holds (read back from the archives by podman, skopeo and sha256sum)."""
import io
import json
import pathlib
import subprocess
import sys
import tarfile
import tempfile

exe, samples = sys.argv[1], pathlib.Path(sys.argv[2])
expected = json.loads((samples / "expected.json").read_text())
if sys.argv[3:] == ["--store"]:
    by_file = {i["file"]: i for i in expected["images"]}
    with tempfile.TemporaryDirectory() as scratch:
        args = [exe, scratch] + [str(samples / (n + ".docker-archive.tar")) for n in ("base", "runtime", "app")]
        args.append(",".join(by_file["app.docker-archive.tar"]["diff_ids"]))
        print("+", " ".join(args), flush=True)
        sys.exit(subprocess.run(args).returncode)
status = 0
for img in expected["images"]:
    if img["format"] != "docker-archive":
        continue
    # Entries of the bottom layer, as Python's tarfile lists them.
    with tarfile.open(samples / img["file"]) as t:
        member = t.getmember(img["layers"][0]["member"])
        layer_bytes = t.extractfile(member).read()
    with tarfile.open(fileobj=io.BytesIO(layer_bytes)) as layer:
        members = layer.getmembers()
    entries = len(members)
    # The same layer cut right after its last entry's padded data: no end-of-archive marker.
    end = members[-1].offset_data + -(-members[-1].size // 512) * 512
    assert end < len(layer_bytes) and not any(layer_bytes[end:])
    with tempfile.TemporaryDirectory() as scratch:
        pathlib.Path(scratch, "layer0.tar").write_bytes(layer_bytes)
        pathlib.Path(scratch, "layer0-cut.tar").write_bytes(layer_bytes[:end])
        args = [exe, str(samples / img["file"]), img["id"], ",".join(img["diff_ids"]),
                str(img["history_count"]), scratch, str(entries)]
        print("+", " ".join(args), flush=True)
        status |= subprocess.run(args).returncode
sys.exit(status)
