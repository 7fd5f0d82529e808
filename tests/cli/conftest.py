"""Shared fixtures for the CLI tests.

LAYERKIT_CLI is the built `layerkit` binary (set by meson); the shared corpus
is $LAYERKIT_CORPUS or ../shared/corpus beside the source tree. Tests that need
the corpus use the `corpus` fixture, which skips (saying so) when it is absent.
"""
import json
import os
import pathlib
import subprocess

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("LAYERKIT_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
CLI = os.environ.get("LAYERKIT_CLI", str(SOURCE_DIR / "build" / "examples" / "layerkit"))


def corpus_dir():
    env = os.environ.get("LAYERKIT_CORPUS")
    p = pathlib.Path(env) if env else SOURCE_DIR.parent / "shared" / "corpus"
    return p if (p / "expected").is_dir() else None


@pytest.fixture
def corpus():
    p = corpus_dir()
    if p is None:
        pytest.skip("needs the shared corpus (../shared/corpus or $LAYERKIT_CORPUS)")
    return p


@pytest.fixture
def samples():
    return SOURCE_DIR / "samples"


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)


def run(*args, env=None, cwd=None):
    """Runs the CLI; returns Result(rc, out, err)."""
    e = dict(os.environ)
    e["TZ"] = "UTC"  # expected times are computed in UTC; pass env={"TZ": ...} to test another zone
    if env:
        e.update(env)
    proc = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, env=e, timeout=300,
                          cwd=cwd)
    return Result(proc)


@pytest.fixture
def cli():
    return run


# ---------------------------------------------------------------------------
# Helpers shared by the test modules (oracles live in lkutil.py).

import sys  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

SAMPLE_NAMES = ("base", "runtime", "app")


def load_expected(corpus, name):
    """The corpus's ground truth for one archive: (dict, absolute archive path)."""
    d = json.loads((corpus / "expected" / (name + ".json")).read_text())
    return d, corpus / d["path"]


@pytest.fixture
def expected(corpus):
    return lambda name: load_expected(corpus, name)


@pytest.fixture(scope="session")
def samples_expected():
    """samples/expected.json, keyed by file name."""
    d = json.loads((SOURCE_DIR / "samples" / "expected.json").read_text())
    return {i["file"]: i for i in d["images"]}
