"""The ctypes declarations against the C header (include/layerkit/layerkit.h)
and the C compiler: every function is declared, every struct mirrored field
for field with the compiler's sizes and offsets; library lookup and the
version check at import."""
import ctypes
import os
import pathlib
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

import layerkit
from conftest import BINDING_DIR, SOURCE_DIR
from layerkit import _capi

HEADER = SOURCE_DIR / "include" / "layerkit" / "layerkit.h"
CC = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")


@pytest.fixture(scope="module")
def header():
    if not HEADER.is_file():
        pytest.skip("needs the source tree's include/layerkit/layerkit.h")
    text = HEADER.read_text(encoding="utf-8")
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)  # comments out
    text = re.sub(r"^\s*#.*$", "", text, flags=re.M)  # preprocessor lines out
    return text


def header_functions(text):
    """{name: (return type, [parameter declarations])} of every LK_API function."""
    out = {}
    for m in re.finditer(r"LK_API\s+([^;]*?)\b(lk_\w+)\s*\(([^)]*)\)\s*;", text, flags=re.S):
        ret = " ".join(m.group(1).split())
        params = [" ".join(p.split()) for p in m.group(3).split(",")]
        out[m.group(2)] = (ret, [] if params == ["void"] else params)
    return out


def header_structs(text):
    """{struct name: [field names in order]}."""
    out = {}
    for m in re.finditer(r"typedef struct (lk_\w+) \{(.*?)\} \1;", text, flags=re.S):
        fields = []
        for decl in m.group(2).split(";"):
            decl = " ".join(decl.split())
            if not decl:
                continue
            head, *more = [d.strip() for d in decl.split(",")]
            fields.append(re.search(r"(\w+)$", head).group(1))
            fields.extend(more)
        out[m.group(1)] = fields
    return out


def header_enum(text, name):
    body = re.search(r"typedef enum %s \{(.*?)\} %s;" % (name, name), text, flags=re.S).group(1)
    return {k: int(v) for k, v in re.findall(r"(LK_\w+)\s*=\s*(-?\d+)", body)}


def test_every_header_function_is_in_the_table(header):
    funcs = header_functions(header)
    table = {name: (restype, argtypes) for name, restype, argtypes in _capi.PROTOTYPES}
    assert len(funcs) > 40
    assert set(table) == set(funcs)
    assert len(table) == len(_capi.PROTOTYPES)  # no name twice
    for name, (ret, params) in funcs.items():
        restype, argtypes = table[name]
        assert len(argtypes) == len(params), name
        if ret == "void":
            assert restype is None, name
        elif ret == "lk_status" or ret == "int":
            assert restype is ctypes.c_int, name
        elif ret == "const char *":
            assert restype is ctypes.c_char_p, name
        else:  # pragma: no cover - a new kind of return type: declare it
            pytest.fail("%s returns %s" % (name, ret))
        for p, a in zip(params, argtypes):
            if p.startswith("lk_progress_fn"):
                assert a is _capi.lk_progress_fn, name
            elif "*" in p:
                assert issubclass(a, (ctypes._Pointer, ctypes.c_char_p, ctypes.c_void_p)), (name, p)
            else:
                assert a in (ctypes.c_int, ctypes.c_uint, ctypes.c_size_t), (name, p)
        declared = getattr(_capi.lib, name)
        assert declared.restype is restype and list(declared.argtypes) == list(argtypes)


def test_every_header_struct_is_mirrored(header):
    structs = header_structs(header)
    mirrors = {s.__name__: s for s in _capi.STRUCTS}
    assert set(structs) == set(mirrors)
    for name, fields in structs.items():
        assert [f for f, _ in mirrors[name]._fields_] == fields, name
        assert fields[0] == "size"
        v = _capi.new(mirrors[name])
        assert v.size == ctypes.sizeof(mirrors[name])


def test_enums_match_the_header(header):
    status = header_enum(header, "lk_status")
    assert {"LK_" + s.name: int(s) for s in layerkit.Status} == status
    lists = header_enum(header, "lk_string_list")
    assert {"LK_LIST_" + s.name: int(s) for s in layerkit.StringList} == lists


@pytest.mark.skipif(CC is None, reason="needs a C compiler")
def test_struct_layout_matches_the_c_compiler(header, tmp_path):
    structs = header_structs(header)
    lines = []
    for name, fields in sorted(structs.items()):
        lines.append('  printf("%s sizeof %%zu\\n", sizeof(%s));' % (name, name))
        for f in fields:
            lines.append('  printf("%s %s %%zu\\n", offsetof(%s, %s));' % (name, f, name, f))
    (tmp_path / "layerkit").mkdir()
    (tmp_path / "layerkit" / "version.h").write_text(  # layout does not depend on it
        '#define LAYERKIT_VERSION_MAJOR 0\n#define LAYERKIT_VERSION_MINOR 0\n#define LAYERKIT_VERSION_PATCH 0\n'
        '#define LAYERKIT_VERSION_STRING "0.0.0"\n')
    src = tmp_path / "layout.c"
    src.write_text("#include <stddef.h>\n#include <stdio.h>\n#include <layerkit/layerkit.h>\nint main(void) {\n"
                   + "\n".join(lines) + "\n  return 0;\n}\n")
    exe = tmp_path / "layout"
    subprocess.run([CC, "-std=c99", "-I", str(tmp_path), "-I", str(HEADER.parent.parent), str(src), "-o", str(exe)],
                   check=True, capture_output=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.split("\n")
    mirrors = {s.__name__: s for s in _capi.STRUCTS}
    checked = 0
    for line in filter(None, out):
        name, field, value = line.split()
        s = mirrors[name]
        got = ctypes.sizeof(s) if field == "sizeof" else getattr(s, field).offset
        assert got == int(value), "%s.%s: ctypes %d, C %s" % (name, field, got, value)
        checked += 1
    assert checked == sum(len(f) + 1 for f in structs.values())


def test_version(header):
    meson = SOURCE_DIR / "meson.build"
    if meson.is_file():
        want = re.search(r"version:\s*'([\d.]+)'", meson.read_text()).group(1)
        assert layerkit.version == want
    major, minor, patch = (int(x) for x in layerkit.version.split("."))
    assert layerkit.version_number == major * 10000 + minor * 100 + patch
    assert major == layerkit.SUPPORTED_MAJOR


# ---------------------------------------------------------------------------
# Library lookup and the version check, in fresh interpreters.


def real_library():
    p = pathlib.Path(layerkit.library_path)
    return p.resolve() if p.is_file() else None


def run_import(pkg_parent, env_library):
    env = {k: v for k, v in os.environ.items() if k not in ("LAYERKIT_LIBRARY", "PYTHONPATH")}
    if env_library is not None:
        env["LAYERKIT_LIBRARY"] = str(env_library)
    code = "import layerkit, sys; sys.stdout.write(layerkit.library_path)"
    return subprocess.run([sys.executable, "-c", code], cwd=str(pkg_parent), env=dict(env, PYTHONPATH=str(pkg_parent)),
                          capture_output=True, text=True, timeout=60)


def copy_package(dst):
    shutil.copytree(BINDING_DIR / "layerkit", dst / "layerkit",
                    ignore=shutil.ignore_patterns("__pycache__", "liblayerkit*"))
    return dst / "layerkit"


def test_library_beside_the_package_wins(tmp_path):
    lib = real_library()
    if lib is None:
        pytest.skip("the library was loaded by name, not from a path")
    pkg = copy_package(tmp_path)
    os.symlink(lib, pkg / "liblayerkit.so.0")
    r = run_import(tmp_path, env_library=tmp_path / "not-there.so")
    assert r.returncode == 0, r.stderr
    assert r.stdout == str(pkg / "liblayerkit.so.0")


def test_layerkit_library_env(tmp_path):
    lib = real_library()
    if lib is None:
        pytest.skip("the library was loaded by name, not from a path")
    copy_package(tmp_path)
    r = run_import(tmp_path, env_library=lib)
    assert r.returncode == 0, r.stderr
    assert r.stdout == str(lib)
    r = run_import(tmp_path, env_library=tmp_path / "not-there.so")
    assert r.returncode != 0
    assert "ImportError" in r.stderr and "not-there.so" in r.stderr


@pytest.mark.skipif(CC is None, reason="needs a C compiler")
@pytest.mark.parametrize("number,text,expect", [
    (10000, "1.0.0", "supports 0.x"),        # another major version
    (100, "0.1.0", "lacks lk_last_error"),   # right version, but not layerkit's functions
])
def test_import_refuses_a_foreign_library(tmp_path, number, text, expect):
    src = tmp_path / "fake.c"
    src.write_text(textwrap.dedent("""
        int lk_version_number(void) { return %d; }
        const char *lk_version(void) { return "%s"; }
    """ % (number, text)))
    fake = tmp_path / "libfake.so"
    subprocess.run([CC, "-shared", "-fPIC", str(src), "-o", str(fake)], check=True, capture_output=True)
    copy_package(tmp_path)
    r = run_import(tmp_path, env_library=fake)
    assert r.returncode != 0
    assert "ImportError" in r.stderr and expect in r.stderr, r.stderr
