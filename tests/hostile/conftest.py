"""Fixtures for the hostile-input suite.

The cases are generated once per session by make_hostile.build_all() into a
temporary directory (removed at the end; set LAYERKIT_HOSTILE_DIR to build
into, and keep, a directory of your choice). LAYERKIT_CLI is the `layerkit`
binary (default build/examples/layerkit); LAYERKIT_LIBRARY the shared library
the binding checks load (default build/capi/liblayerkit.so.0).
"""
import os
import pathlib
import shutil
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import make_hostile  # noqa: E402

SOURCE_DIR = make_hostile.SOURCE_DIR
CLI = os.environ.get("LAYERKIT_CLI", str(SOURCE_DIR / "build" / "examples" / "layerkit"))
LIBRARY = os.environ.get("LAYERKIT_LIBRARY", str(SOURCE_DIR / "build" / "capi" / "liblayerkit.so.0"))

_state = {}


def hostile_dir():
    if "dir" not in _state:
        keep = os.environ.get("LAYERKIT_HOSTILE_DIR")
        if keep:
            d = pathlib.Path(keep)
            d.mkdir(parents=True, exist_ok=True)
        else:
            d = pathlib.Path(tempfile.mkdtemp(prefix="layerkit-hostile-"))
            _state["remove"] = d
        _state["dir"] = d
    return _state["dir"]


def hostile_cases():
    """Every case, built (once) into hostile_dir()."""
    if "cases" not in _state:
        _state["cases"] = make_hostile.build_all(hostile_dir())
    return _state["cases"]


def pytest_sessionfinish(session, exitstatus):
    d = _state.get("remove")
    if d is not None:
        shutil.rmtree(d, ignore_errors=True)
