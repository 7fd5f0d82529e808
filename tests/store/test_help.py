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
])
def test_usage_errors(args, words, tmp_path):
    r = run(*args, "--store", tmp_path / "s")
    assert r.rc == 2
    assert words in r.err


def test_default_store_location(tmp_path):
    """$XDG_DATA_HOME/layerkit/store, else ~/.local/share/layerkit/store."""
    r = run("store", "ls", "--json", env={"XDG_DATA_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path / "home")})
    assert r.rc == 0 and r.json() == []
    r = run("store", "verify", env={"XDG_DATA_HOME": str(tmp_path / "xdg")})
    assert r.rc == 2 and str(tmp_path / "xdg" / "layerkit" / "store") in r.err
    env = {"XDG_DATA_HOME": "", "HOME": str(tmp_path / "home")}
    r = run("store", "verify", env=env)
    assert r.rc == 2 and str(tmp_path / "home" / ".local" / "share" / "layerkit" / "store") in r.err
