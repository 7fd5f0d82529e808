"""examples/classic.py on the samples: its output against samples/expected.json
and what tarfile/hashlib compute from the same archives."""
import os
import subprocess
import sys

import pytest

import layerkit
import oracle
from conftest import BINDING_DIR, SOURCE_DIR

EXAMPLE = SOURCE_DIR / "examples" / "classic.py"
CHAIN = ["base.docker-archive.tar", "runtime.docker-archive.tar", "app.docker-archive.tar"]


def run(*args):
    env = dict(os.environ, PYTHONPATH=str(BINDING_DIR))
    env.setdefault("LAYERKIT_LIBRARY", layerkit.library_path)
    return subprocess.run([sys.executable, str(EXAMPLE), *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=120)


@pytest.fixture(autouse=True)
def need_example():
    if not EXAMPLE.is_file():
        pytest.skip("needs the source tree's examples/classic.py")


def test_classic_on_the_samples(samples, samples_expected):
    paths = [samples / f for f in CHAIN]
    r = run(*paths)
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    exps = [samples_expected[f] for f in CHAIN]

    # One block per archive: its line, its image line, one line per history entry.
    i = 0
    for path, e in zip(paths, exps):
        assert out[i] == "%s (docker-archive): 1 image(s)" % path
        assert out[i + 1] == "  image %s  id %s  linux/amd64  %d layers" % (e["ref"], e["id"][:19], len(e["layers"]))
        rows = out[i + 2:i + 2 + e["history_count"]]
        assert rows[0].split()[0] == e["id"][7:19]
        assert all(r.split()[0] == "<missing>" for r in rows[1:])
        assert sum(" 0 B " in r for r in rows) >= e["empty_layers"]
        i += 2 + e["history_count"]

    # The shared layers, by chain_id, with Docker's size and the images having each.
    assert out[i] == "" and out[i + 1] == "layers (by chain_id) and the images that share them:"
    size_of, having, chains = {}, {}, []
    for e in exps:
        chains.append(oracle.chain_ids(e["diff_ids"]))
        for layer, chain in zip(e["layers"], chains[-1]):
            tar = oracle.read_member(samples / e["file"], layer["member"])
            size_of[chain] = oracle.docker_layer_size(tar)
            having.setdefault(chain, []).append(e["ref"])
    lines = out[i + 2:i + 2 + len(size_of)]
    assert len(lines) == len(size_of) == 6
    for line in lines:
        chain19, size, b, _in, count, *refs = line.split()
        chain = next(c for c in size_of if c.startswith(chain19))
        assert int(size) == size_of[chain] and b == "B"
        assert int(count.rstrip(":")) == len(having[chain])
        assert sorted(refs) == sorted(having[chain])
    total = sum(size_of[c] for cs in chains for c in cs)
    unique = sum(size_of.values())
    assert out[i + 2 + len(size_of)] == "total %d B, unique %d B, saved by sharing %d B" % (
        total, unique, total - unique)


def test_classic_usage_and_bad_input(tmp_path):
    r = run()
    assert r.returncode == 2 and "usage" in r.stderr
    bad = tmp_path / "not-an-archive.txt"
    bad.write_text("hello\n")
    r = run(bad)
    assert r.returncode == 1
    assert str(bad) in r.stderr and "[format_unknown]" in r.stderr
