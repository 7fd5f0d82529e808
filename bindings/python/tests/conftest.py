"""Fixtures for the Python binding's tests.

The library: $LAYERKIT_LIBRARY (e.g. <build>/capi/liblayerkit.so), else a
liblayerkit.so* beside the package, else the installed one (see ../README.md).
The package is imported from this checkout (bindings/python), unless
$LAYERKIT_PYTHONPATH names another directory holding it.

Data: the repository's samples/ (always present) and the shared corpus,
$LAYERKIT_CORPUS or ../shared/corpus beside the checkout; tests that need the
corpus skip, saying so, when it is absent.
"""
import json
import os
import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
BINDING_DIR = pathlib.Path(os.environ.get("LAYERKIT_PYTHONPATH", HERE.parent))
SOURCE_DIR = pathlib.Path(os.environ.get("LAYERKIT_SOURCE_DIR", HERE.parents[2]))

sys.path.insert(0, str(BINDING_DIR))
sys.path.insert(0, str(HERE))

try:
    import layerkit  # noqa: E402,F401
except ImportError as e:  # pragma: no cover - an environment problem, said plainly
    raise pytest.UsageError("cannot import the layerkit binding: %s\n(set LAYERKIT_LIBRARY to the built "
                            "liblayerkit.so, e.g. build/capi/liblayerkit.so)" % e)


def corpus_dir():
    env = os.environ.get("LAYERKIT_CORPUS")
    p = pathlib.Path(env) if env else SOURCE_DIR.parent / "shared" / "corpus"
    return p if (p / "expected").is_dir() else None


CORPUS_SKIP = "needs the shared corpus (../shared/corpus or $LAYERKIT_CORPUS)"


@pytest.fixture
def corpus():
    p = corpus_dir()
    if p is None:
        pytest.skip(CORPUS_SKIP)
    return p


def load_expected(root, name):
    with open(root / "expected" / (name + ".json"), encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="session")
def samples():
    return SOURCE_DIR / "samples"


@pytest.fixture(scope="session")
def samples_expected(samples):
    """samples/expected.json: facts read by skopeo/sha256sum, keyed by file name."""
    with open(samples / "expected.json", encoding="utf-8") as f:
        data = json.load(f)
    return {e["file"]: e for e in data["images"]}
