"""--help of the main command and of each subcommand, and usage errors.

The options each help must mention are the ones README.md documents for every
subcommand (--json, --image, --platform, --help) plus those named in the brief
of each subcommand; each option is then also tried, to show it is accepted."""
import re

import pytest

from conftest import SOURCE_DIR

COMMON = ["--json", "--image", "--platform"]
SUBCOMMANDS = {
    "images": ["--json", "-q", "--quiet", "--no-trunc", "-a", "--all", "--image", "--platform", "--threads"],
    "inspect": ["--json", "--image", "--platform", "--threads"],
    "history": ["--json", "-H", "--human", "--no-trunc", "-q", "--quiet", "--layers", "--image", "--platform",
                "--threads"],
    "verify": ["--json", "-q", "--quiet", "--image", "--platform", "--threads"],
    "dedup": ["--json", "--image", "--platform", "--threads"],
    "ls": ["--json", "--layer", "--image", "--platform"],
}
for _opts in SUBCOMMANDS.values():
    _opts.append("--limit")  # README: every subcommand takes --limit NAME=VALUE
ALL_OPTIONS = sorted({o for opts in SUBCOMMANDS.values() for o in opts})


def readme_commands():
    text = (SOURCE_DIR / "README.md").read_text()
    return re.findall(r"^layerkit (\w+) +ARCHIVE", text, flags=re.M)


def test_readme_lists_the_subcommands():
    assert sorted(readme_commands()) == sorted(SUBCOMMANDS)


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["help"]])
def test_main_help(cli, args):
    r = cli(*args)
    assert r.rc == 0, r.err
    assert r.out.startswith("layerkit")
    for c in SUBCOMMANDS:
        assert re.search(r"^\s+%s\s" % c, r.out, flags=re.M), c
    for opt in COMMON + ["--help", "--version", "--threads"]:
        assert opt in r.out, opt
    assert "Exit status: 0 success, 1 verification failed, 2 bad input or usage." in r.out


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_subcommand_help(cli, command, flag):
    r = cli(command, flag)
    assert r.rc == 0, r.err
    assert r.out.startswith("Usage: layerkit %s " % command)
    for opt in SUBCOMMANDS[command]:
        assert re.search(r"(^|[\s,(])%s([\s=,]|$)" % re.escape(opt), r.out, flags=re.M), (command, opt)
    # help wins over missing arguments and goes to stdout only
    assert r.err == ""


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_help_subcommand_form(cli, command):
    assert cli("help", command).out == cli(command, "--help").out


def test_no_arguments_is_usage(cli):
    r = cli()
    assert r.rc == 2
    assert "Usage:" in r.err
    assert r.out == ""


def test_version(cli):
    r = cli("--version")
    assert r.rc == 0
    assert re.match(r"^layerkit \d+\.\d+", r.out)


@pytest.mark.parametrize("args", [["frobnicate", "x.tar"], ["image", "x.tar"], ["Images"]])
def test_unknown_command(cli, args):
    r = cli(*args)
    assert r.rc == 2
    assert "unknown command" in r.err
    assert r.out == ""


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_unknown_option(cli, samples, command):
    r = cli(command, "--frobnicate", samples / "base.docker-archive.tar")
    assert r.rc == 2
    assert "--frobnicate" in r.err
    assert r.out == ""


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_missing_archive(cli, command):
    r = cli(command)
    assert r.rc == 2
    assert "ARCHIVE" in r.err


@pytest.mark.parametrize("args", [["--image"], ["--platform"], ["--platform="], ["--platform", "bogus"], ["--platform", "linux"], ["--threads"], ["--threads", "many"],
                                  ["--threads", "-1"], ["--threads", "+1"], ["--human=maybe"], ["--no-trunc=maybe"],
                                  ["--limit", "json_depth=-1"]])
def test_bad_option_values(cli, samples, args):
    r = cli("history", samples / "base.docker-archive.tar", *args)
    assert r.rc == 2
    assert r.err.rstrip().endswith("[usage]"), r.err
    assert r.out == ""


@pytest.mark.parametrize("value", ["-1", "+0", "0x1", " 1", "99999999999999999999999"])
def test_layer_index_is_plain_digits(cli, samples, value):
    r = cli("ls", "--layer", value, samples / "base.docker-archive.tar")
    assert r.rc == 2
    assert "--layer: expected a layer index" in r.err and r.err.rstrip().endswith("[usage]"), r.err


@pytest.mark.parametrize("command,flag", [("images", "--no-trunc"), ("images", "-q"), ("images", "--all"),
                                          ("history", "--no-trunc"), ("history", "--layers"),
                                          ("history", "--quiet"), ("verify", "--quiet")])
def test_flags_take_false(cli, samples, command, flag):
    """docker's boolean flags take =false (`docker images --no-trunc=false`): the same as leaving them out."""
    path = samples / "app.docker-archive.tar"
    plain = cli(command, path)
    off = cli(command, flag + "=false", path)
    on = cli(command, flag + "=true", path)
    assert off.rc == plain.rc == on.rc == 0, off.err
    assert off.out == plain.out
    assert on.out == cli(command, flag, path).out


def test_boolean_value_needs_equals(cli, samples):
    r = cli("history", "-H", "false", samples / "base.docker-archive.tar")
    assert r.rc == 2
    assert "-H takes its value after '=': -H=false" in r.err, r.err


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_every_documented_option_is_accepted(cli, samples, command):
    path = samples / "base.docker-archive.tar"
    values = {"--image": "@0", "--platform": "linux/amd64", "--threads": "1", "--layer": "0",
              "--limit": "json_depth=64"}
    for opt in SUBCOMMANDS[command]:
        args = [opt] + ([values[opt]] if opt in values else [])
        if opt == "--human":
            args = [opt + "=false"]
        r = cli(command, *args, path)
        assert r.rc == 0, (opt, r.err)


def test_double_dash_ends_options(cli, samples, tmp_path):
    import shutil
    shutil.copyfile(samples / "base.docker-archive.tar", tmp_path / "-odd-name.tar")
    r = cli("images", "-q", "--", "-odd-name.tar", cwd=tmp_path)
    assert r.rc == 0, r.err
    r = cli("images", "-q", "-odd-name.tar", cwd=tmp_path)
    assert r.rc == 2


def test_short_human_with_value(cli, samples):
    path = samples / "base.docker-archive.tar"
    r = cli("history", "-H=false", path)
    assert r.rc == 0, r.err
    assert r.out == cli("history", "--human=false", path).out


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_options_a_command_does_not_take(cli, samples, command):
    """An option another subcommand takes is refused, not silently ignored."""
    values = {"--image": "@0", "--platform": "linux/amd64", "--threads": "1", "--layer": "0",
              "--limit": "json_depth=64"}
    for opt in ALL_OPTIONS:
        if opt in SUBCOMMANDS[command]:
            continue
        r = cli(command, opt, *([values[opt]] if opt in values else []), samples / "base.docker-archive.tar")
        assert r.rc == 2, (opt, r.err)
        assert "does not take %s " % opt in r.err and r.err.rstrip().endswith("[usage]"), r.err
        assert r.out == ""
