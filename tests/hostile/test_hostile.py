"""Hostile archives (issue 5, part 1): every case of make_hostile.py, each check
its own test. A check asserts one specific outcome: an exit status with the
error code and a message naming the member or problem, or verify's Problems
(Kind, Layer, Member, Expected, Actual), or what `ls --json` lists compared
with Python's tarfile, within a time limit (20 s) and, where it says so, a
peak resident memory limit. Checks that layerkit fails today carry "bug" in
cases.json and are strict expected failures: fixing the bug makes them pass
(XPASS), which fails the run until the marker goes.
"""
import json
import os
import pathlib
import subprocess
import sys
import tarfile
import tempfile
import time

import pytest

from conftest import CLI, LIBRARY, SOURCE_DIR, hostile_cases, hostile_dir
import make_hostile

TIMEOUT = 20  # seconds, per command


class Result:
    def __init__(self, rc, out, err, maxrss_kb, seconds):
        self.rc, self.out, self.err, self.maxrss_kb, self.seconds = rc, out, err, maxrss_kb, seconds

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return "rc=%s %.2fs maxrss=%dKB\nstderr: %s\nstdout: %s" % (self.rc, self.seconds, self.maxrss_kb,
                                                                    self.err[-2000:], self.out[:2000])


# Peak RSS: Linux keeps a process's high-water mark across execve, and a child
# that Python spawns (vfork) starts with the parent's, i.e. pytest's, RSS. So
# the CLI is started by a small interpreter (python -I -S, a few MB) that
# fork()s and execs it and reports the child's own ru_maxrss from wait4().
RSS_HELPER = r"""
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status) & 0xff)
"""


def run_measured(argv, env=None, timeout=TIMEOUT, measure_rss=False):
    """Runs argv with a time limit; returns Result (maxrss_kb is the child's own peak
    RSS when measure_rss, else 0)."""
    e = dict(os.environ, TZ="UTC")
    if env:
        e.update(env)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as rss:
        if measure_rss:
            argv = [sys.executable, "-I", "-S", "-c", RSS_HELPER, rss.name, *map(str, argv)]
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=e,
                                start_new_session=True)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
            pytest.fail("%s did not finish within %d s" % (" ".join(map(str, argv)), timeout))
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        maxrss = int(rss.read() or 0) if measure_rss else 0
        return Result(proc.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                      maxrss, seconds)


BINDING_SCRIPT = r"""
import json, sys
import layerkit
with layerkit.Archive(sys.argv[1], limits=json.loads(sys.argv[2])) as a:
    r = a.verify()
    print(json.dumps({"OK": r.ok, "Problems": [{k.capitalize(): v for k, v in dict(p).items()}
                                               for p in r.problems]}))
"""


def run_binding(path, limits):
    if not pathlib.Path(LIBRARY).exists():
        pytest.skip("needs the shared library (LAYERKIT_LIBRARY or build/capi/liblayerkit.so.0)")
    env = {"LAYERKIT_LIBRARY": LIBRARY, "PYTHONPATH": str(SOURCE_DIR / "bindings" / "python"),
           "PYTHONDONTWRITEBYTECODE": "1"}
    return run_measured([sys.executable, "-c", BINDING_SCRIPT, str(path), json.dumps(limits)], env=env)


# ---------------------------------------------------------------------------
# Python's reading of a layer, in `ls --json` terms (OCI layer.md)


def python_entries(path):
    out = []
    with tarfile.open(path) as tf:
        for m in tf:
            if m.isreg():
                t = "-"
            elif m.isdir():
                t = "d"
            elif m.issym():
                t = "l"
            elif m.islnk():
                t = "h"
            elif m.ischr():
                t = "c"
            elif m.isblk():
                t = "b"
            elif m.isfifo():
                t = "p"
            else:
                t = "?"
            base = m.name.rstrip("/").rsplit("/", 1)[-1]
            xattrs = {k[len("SCHILY.xattr."):]: v.encode("utf-8", "surrogateescape").hex()
                      for k, v in m.pax_headers.items() if k.startswith("SCHILY.xattr.")}
            out.append({
                "Path": m.name.rstrip("/"), "Type": t, "Mode": m.mode & 0o7777, "Uid": m.uid, "Gid": m.gid,
                "Uname": m.uname, "Gname": m.gname, "Size": m.size if t == "-" else 0, "Mtime": int(m.mtime),
                "Link": m.linkname if t in "lh" else "",
                "DevMajor": m.devmajor if t in "cb" else 0, "DevMinor": m.devminor if t in "cb" else 0,
                "Sparse": m.issparse(), "Xattrs": xattrs,
                "Whiteout": base.startswith(".wh.") and base != ".wh..wh..opq", "Opaque": base == ".wh..wh..opq",
            })
    return out


def layerkit_entries(js, layer):
    (lay,) = [l for l in js if l["Layer"] == layer]
    out = []
    for e in lay["Entries"]:
        e = dict(e)
        e["Path"] = e["Path"].rstrip("/")
        out.append(e)
    return out


# ---------------------------------------------------------------------------
# the checks


def code_of(err):
    lines = err.strip().splitlines()
    assert lines, "no error message"
    last = lines[-1]
    assert last.startswith("layerkit: "), err
    assert last.endswith("]") and "[" in last, err
    return last[last.rindex("[") + 1:-1]


def same_problem(want, got):
    return all(got.get(k) == v for k, v in want.items() if k != "MessageContains") and \
        all(s in got.get("Message", "") for s in want.get("MessageContains", []))


def check_problems(check, problems, r):
    want = check["problems"]
    left = list(problems)
    for w in want:
        match = next((g for g in left if same_problem(w, g)), None)
        assert match is not None, "expected problem %s not among %s\n%r" % (w, json.dumps(problems, indent=1), r)
        left.remove(match)
    if not check.get("problems_subset"):
        assert not left, "unexpected problems %s\n%r" % (json.dumps(left, indent=1), r)
    for p in problems:
        assert p["Image"] and p["Message"], p


def run_check(case, check):
    path = hostile_dir() / case["file"]
    if check.get("skip"):
        pytest.skip(check["skip"])
    if "binding" in check:
        r = run_binding(path, check["binding"]["limits"])
        if r.rc != 0 and "ASan runtime does not come first" in r.err:
            pytest.skip("the library is built with AddressSanitizer; Python cannot load it without LD_PRELOAD "
                        "(the binding suites are left out of the sanitizer run for the same reason)")
        assert r.rc == 0, r
    else:
        r = run_measured([CLI, *check["args"], str(path)], measure_rss=bool(check.get("max_rss_mb")))
        assert r.rc == check["rc"], r
    if check.get("code"):
        assert code_of(r.err) == check["code"], r
        assert str(path) in r.err, r  # the archive is named
        if not check.get("partial_output"):
            assert r.out == "", r
        assert len(r.err.strip().splitlines()) == 1, r
    for s in check.get("err_contains", []):
        assert s in r.err, "%r not in the message\n%r" % (s[:200], r)
    if check.get("err_contains_any"):
        assert any(s in r.err for s in check["err_contains_any"]), \
            "none of %s in the message\n%r" % ([s[:100] for s in check["err_contains_any"]], r)
    if "problems" in check:
        js = r.json()
        check_problems(check, js["Problems"], r)
        if not check.get("problems_subset"):
            assert js["OK"] is (not check["problems"]), r
        if check.get("unreadable_message_any"):
            msgs = [p["Message"].lower() for p in js["Problems"] if p["Kind"] == "unreadable"]
            assert msgs and all(any(s in m for s in check["unreadable_message_any"]) for m in msgs), \
                "unreadable problem does not say %s: %s" % (check["unreadable_message_any"], msgs)
        if check.get("image_id"):
            assert js["Images"][0]["Id"] == check["image_id"], r
        if check.get("notes_contain"):
            assert any(all(s in n for s in check["notes_contain"]) for n in js["Notes"]), \
                "no note with %s in %s" % (check["notes_contain"], js["Notes"])
    if "json_equals" in check:
        assert r.json() == check["json_equals"], r
    if "json_at" in check:
        keys, value = check["json_at"]
        v = r.json()
        for k in keys:
            v = v[k]
        assert v == value, r
    if "ls_like_python" in check:
        spec = check["ls_like_python"]
        got = layerkit_entries(r.json(), spec["layer"])
        want = python_entries(hostile_dir() / spec["tar"])
        assert len(got) == len(want), (got, want)
        for g, w in zip(got, want):
            assert g == w, "layerkit lists %s\nPython's tarfile reads %s" % (g, w)
    if check.get("max_rss_mb"):
        assert r.maxrss_kb < check["max_rss_mb"] * 1024, "peak RSS %d KB\n%r" % (r.maxrss_kb, r)


def _params():
    out = []
    for c in hostile_cases():
        for ch in c["checks"]:
            marks = []
            if ch.get("bug"):
                marks.append(pytest.mark.xfail(strict=True, reason=ch["bug"]))
            ident = c["name"] if len(c["checks"]) == 1 else "%s/%s" % (c["name"], ch["label"])
            out.append(pytest.param(c, ch, id=ident, marks=marks))
    return out


@pytest.mark.parametrize("case,check", _params())
def test_hostile(case, check):
    run_check(case, check)


# ---------------------------------------------------------------------------
# the generator itself


def test_cases_json_describes_every_case():
    d = hostile_dir()
    listed = json.loads((d / "cases.json").read_text())
    assert [c["name"] for c in listed] == make_hostile.case_names()
    labels_seen = set()
    for c in listed:
        assert c["what"] and c["peer"] and c["expected"], c["name"]
        assert (d / c["file"]).exists(), c["file"]
        labels = [ch["label"] for ch in c["checks"]]
        assert len(labels) == len(set(labels)), c["name"]
        labels_seen.update(labels)
        for ch in c["checks"]:
            assert ch.get("bug", "BUG: ").startswith("BUG: ")
    assert {"verify", "ls", "inspect"} <= labels_seen


def test_generator_runs_standalone():
    script = pathlib.Path(make_hostile.__file__)
    r = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 0 and "cases.json" in r.stdout, r.stderr
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 2
