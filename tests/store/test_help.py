"""`layerkit store` help and usage errors (exit 2)."""
import pytest

from conftest import run

COMMANDS = ["load", "plan", "save", "ls", "rm", "gc", "df", "verify"]


def test_store_help():
    r = run("store", "--help")
    assert r.rc == 0
    for c in COMMANDS:
        assert "\n  %s " % c in r.out
    assert "--store DIR" in r.out and "XDG_DATA_HOME" in r.out
    assert "Exit status: 0 success, 1 verification failed, 2 bad input or usage." in r.out


@pytest.mark.parametrize("cmd", COMMANDS)
def test_subcommand_help(cmd):
    r = run("store", cmd, "--help")
    assert r.rc == 0
    assert r.out.startswith("Usage: layerkit store %s" % cmd)
    assert "--json" in r.out
    assert run("store", "help", cmd).out == r.out


@pytest.mark.parametrize("args,words", [
    (["store"], "Usage"),
    (["store", "frobnicate"], "unknown store command"),
    (["store", "ls", "--bogus"], "unknown option"),
    (["store", "load"], "needs an ARCHIVE"),
    (["store", "save", "x:1"], "-o OUTPUT"),
    (["store", "plan"], "exactly one ARCHIVE"),
    (["store", "rm"], "REF"),
    (["store", "verify", "--threads", "many"], "--threads"),
    (["store", "load", "--limit", "bogus=1", "x.tar"], "--limit: unknown limit"),
    (["store", "plan", "--limit", "json_depth", "x.tar"], "--limit: expected NAME=VALUE"),
    (["store", "load", "--platform", "bogus", "x.tar"], "--platform: platform \"bogus\""),
    (["store", "plan", "--platform=", "x.tar"], "--platform: platform \"\""),
])
def test_usage_errors(args, words, tmp_path):
    r = run(*args, "--store", tmp_path / "s")
    assert r.rc == 2
    assert words in r.err, r.err
    assert args == ["store"] or r.err.rstrip().endswith("[usage]"), r.err  # (bare `store` prints its help)


# What each subcommand takes beyond --help, --json and --store (short forms
# after a slash), and what its help must therefore list.
TAKES = {
    "load": ["-i/--input", "--image", "--platform", "-q/--quiet", "--limit"],
    "plan": ["--image", "--platform", "--no-trunc", "--limit"],
    "save": ["-o/--output", "--format", "--missing-from", "-q/--quiet", "--limit"],
    "ls": ["-q/--quiet", "--no-trunc", "--digests"],
    "rm": [],
    "gc": ["-n/--dry-run"],
    "df": ["-v/--verbose"],
    "verify": ["-q/--quiet", "--threads"],
}
# Every option `layerkit store` knows, with a valid value where it takes one.
ALL = {"-i/--input": "x.tar", "--image": "x", "--platform": "linux/amd64", "-q/--quiet": None, "--limit": "json_depth=8",
       "--no-trunc": None, "-o/--output": "x.tar", "--format": "oci-archive", "--missing-from": "x.tar",
       "--digests": None, "-n/--dry-run": None, "-v/--verbose": None, "--threads": "2"}


@pytest.mark.parametrize("cmd", COMMANDS)
def test_help_lists_what_the_command_takes(cmd):
    """The help's Options section names exactly the options the command takes."""
    import re
    out = run("store", cmd, "--help").out
    options = out[out.index("\nOptions:\n"):]
    listed = set(re.findall(r"^ {2}(-\w, )?(--[a-z-]+)", options, re.M))
    listed = {("%s/%s" % (s[:-2], l)) if s else l for s, l in listed} - {"--json", "--store"}
    assert listed == set(TAKES[cmd])


@pytest.mark.parametrize("cmd,opt", [(c, o) for c in COMMANDS for o in ALL if o not in TAKES[c]])
def test_options_a_command_does_not_take(cmd, opt, tmp_path):
    """Refused, as the archive commands refuse theirs: nothing is run."""
    for spelled in opt.split("/"):
        value = [] if ALL[opt] is None else [ALL[opt]]
        r = run("store", cmd, "--store", tmp_path / "s", spelled, *value)
        assert r.rc == 2, r
        assert r.err == "layerkit: store %s does not take %s (see `layerkit store %s --help`) [usage]\n" % (
            cmd, spelled, cmd), r
        assert r.out == "" and not (tmp_path / "s").exists()


def test_default_store_location(tmp_path):
    """$XDG_DATA_HOME/layerkit/store, else ~/.local/share/layerkit/store."""
    r = run("store", "ls", "--json", env={"XDG_DATA_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path / "home")})
    assert r.rc == 0 and r.json() == []
    r = run("store", "verify", env={"XDG_DATA_HOME": str(tmp_path / "xdg")})
    assert r.rc == 2 and str(tmp_path / "xdg" / "layerkit" / "store") in r.err
    env = {"XDG_DATA_HOME": "", "HOME": str(tmp_path / "home")}
    r = run("store", "verify", env=env)
    assert r.rc == 2 and str(tmp_path / "home" / ".local" / "share" / "layerkit" / "store") in r.err
