"""The classic-scenario examples (C over the ABI, C++, Go over cgo) print, for the three
samples, each layer by chain_id with the images that share it: the chain_ids
are computed here from samples/expected.json's diff_ids with the OCI image
spec's formula, and the sharing follows from them."""
import hashlib
import json
import pathlib
import re
import subprocess

import pytest

from conftest import CLI, SOURCE_DIR
from lkutil import sanitized_build

SAMPLES = ["base", "runtime", "app"]


def chain_ids(diff_ids):
    """image-spec config.md, "Layer ChainID": ChainID(L0) = DiffID(L0),
    ChainID(L0..n) = sha256(ChainID(L0..n-1) + " " + DiffID(Ln))."""
    out = []
    for d in diff_ids:
        out.append(d if not out else "sha256:" + hashlib.sha256(("%s %s" % (out[-1], d)).encode()).hexdigest())
    return out


def expected_sharing():
    exp = json.loads((SOURCE_DIR / "samples" / "expected.json").read_text())
    by_file = {i["file"]: i for i in exp["images"]}
    sharing = {}
    for s in SAMPLES:
        img = by_file["%s.docker-archive.tar" % s]
        for c in chain_ids(img["diff_ids"]):
            sharing.setdefault(c[7:19], []).append(img["ref"])
    return sharing


@pytest.mark.parametrize("program", ["classic", "classic-cpp"])
def test_classic_example_output(program):
    exe = pathlib.Path(CLI).parent / program
    if not exe.exists():
        pytest.skip("%s is not built beside the CLI" % program)
    archives = [SOURCE_DIR / "samples" / ("%s.docker-archive.tar" % s) for s in SAMPLES]
    r = subprocess.run([str(exe), *map(str, archives)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    got = {}
    for m in re.finditer(r"^  (?:sha256:)?([0-9a-f]{12})\s+\S+(?: B)?\s+in (\d+): (.*)$", r.stdout, flags=re.M):
        got[m.group(1)] = m.group(3).split()
        assert int(m.group(2)) == len(got[m.group(1)])
    assert got == expected_sharing(), r.stdout


def test_classic_go_example_output():
    import shutil

    if not shutil.which("go"):
        pytest.skip("go is not installed (Debian: golang-go)")
    build = pathlib.Path(CLI).resolve().parent.parent
    if not (build / "capi").is_dir():
        pytest.skip("the CLI is not in a meson build tree")
    if sanitized_build(build):
        pytest.skip("a sanitizer build: Go cannot load an instrumented library (the Go suites run in the plain build)")
    archives = [SOURCE_DIR / "samples" / ("%s.docker-archive.tar" % s) for s in SAMPLES]
    r = subprocess.run(["bash", str(SOURCE_DIR / "scripts" / "go-test.sh"), str(build), "examples",
                        *map(str, archives)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    got = {}
    for m in re.finditer(r"^  sha256:([0-9a-f]{12})\s+\d+ B\s+in (\d+): (.*)$", r.stdout, flags=re.M):
        got[m.group(1)] = m.group(3).split()
        assert int(m.group(2)) == len(got[m.group(1)])
    assert got == expected_sharing(), r.stdout
