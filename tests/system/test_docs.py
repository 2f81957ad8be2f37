"""test_docs.py - the man pages and the bash completion say what the code
does: every setting of lib/hb-settings.c's table has an entry in
hummingbird.conf(5) with the table's default, every hbctl command and
subcommand of cli/main.c and cli/usage.c is in hbctl(8) and is completed by
conf.d/hbctl.bash-completion, and every page formats without a warning
from groff, man (lintian's command line) or lexgrog.  Needs no service;
everything it writes is in pytest's temp directory.
"""

import os
import re
import subprocess

import pytest

import harness

MAN_DIR = os.path.join(harness.SRCDIR, "docs", "man")
PAGES = ["hbctl.8", "hummingbird-director.8", "hummingbird-milter.8",
         "hummingbird-admind.8", "hummingbird.conf.5"]
COMPLETION = os.path.join(harness.SRCDIR, "conf.d", "hbctl.bash-completion")
# HB_CONFIG_DIR in the table's defaults, as the packages install it
CONFIG_DIR = "/etc/hummingbird"


def _read(*parts):
    with open(os.path.join(harness.SRCDIR, *parts), encoding="utf-8") as f:
        return f.read()


def _settings_table():
    """(key, default) of every row of setting_defs[] in lib/hb-settings.c."""
    src = _read("lib", "hb-settings.c")
    table = src[src.index("setting_defs[] = {"):]
    table = table[:table.index("\n};")]
    rows = []
    for m in re.finditer(r"^\s*([SDEC])\((\w+),(.*)\),?\s*$", table, re.M):
        macro, key, rest = m.groups()
        # the default is the first string literal (S: after the type, D:
        # after field and type, E and C: first); HB_CONFIG_DIR "x" joins
        lit = re.search(r'(HB_CONFIG_DIR\s*)?"([^"]*)"', rest)
        default = (CONFIG_DIR if lit.group(1) else "") + lit.group(2)
        rows.append((key, default))
    assert len(rows) > 70, "setting_defs[] not found or not parsed"
    return rows


def _render(page):
    """PAGE as plain text on one line (no formatting, blanks collapsed)."""
    out = subprocess.run(["groff", "-man", "-Tascii", "-P-cbou", os.path.join(MAN_DIR, page)],
                         check=True, capture_output=True, text=True).stdout
    return " ".join(out.split())


def _usage_commands():
    """{command: set of subcommands} from cli/usage.c's usage lines, plus
    the command groups cli/main.c dispatches."""
    usage = _read("cli", "usage.c")
    commands = {}
    for m in re.finditer(r'"(?:usage: |\s+)hbctl (\w+) ([a-z|]+)', usage):
        commands.setdefault(m.group(1), set()).update(m.group(2).split("|"))
    main = _read("cli", "main.c")
    for name in re.findall(r'\{ "(\w+)", (?:hbctl_cmd_\w+|NULL), hbctl_usage_\w+', main):
        commands.setdefault(name, set())
    assert {"backend", "user", "locks", "domain", "admin"} <= set(commands)
    return commands


def _complete(*words, env=None):
    """COMPREPLY of the completion for the command line WORDS (the last one
    being completed), and what bash wrote to stderr."""
    script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
              '_hbctl; printf "%s\\n" "${COMPREPLY[@]}"')
    res = subprocess.run(["bash", "-c", script, "bash", COMPLETION, "hbctl", *words],
                         capture_output=True, text=True, env=env, timeout=30)
    assert res.returncode == 0, res.stderr
    return [w for w in res.stdout.split("\n") if w], res.stderr


def test_every_setting_in_conf_page():
    """Every setting of lib/hb-settings.c's table has an entry in
    hummingbird.conf(5) that gives the table's default."""
    page = _read("docs", "man", "hummingbird.conf.5").replace("\\-", "-")
    entries = dict(re.findall(r'^\.BR (\w+) " \(.*?default (?:" (\S+) \)|empty\))', page, re.M))
    missing = [k for k, _ in _settings_table() if k not in entries]
    assert not missing, "settings without an entry in hummingbird.conf.5: %s" % missing
    wrong = ["%s: page %r, table %r" % (k, entries[k], d)
             for k, d in _settings_table() if entries[k] != d]
    assert not wrong, "defaults that differ: %s" % wrong


def test_every_hbctl_command_in_man_page():
    """Every hbctl command group and subcommand in cli/main.c and
    cli/usage.c, and the domain admin's login/whoami/passwd/logout, is
    described in hbctl(8)."""
    text = _render("hbctl.8")
    missing = []
    for cmd, subs in _usage_commands().items():
        if not re.search(r"(^| )%s( |$)" % cmd, text):
            missing.append(cmd)
        for sub in subs:
            # "backend drain|undrain NAME" names both
            if not re.search(r"\b%s (?:[a-z]+\|)*%s\b" % (cmd, sub), text):
                missing.append("%s %s" % (cmd, sub))
    for word in ("login", "logout", "whoami", "passwd", "--server", "--json", "--version"):
        if word not in text:
            missing.append(word)
    assert not missing, "not in hbctl.8: %s" % missing


@pytest.mark.parametrize("page", PAGES)
def test_man_page_formats_cleanly(page):
    """PAGE formats without a single warning from groff -ww, from man as
    lintian runs it, and lexgrog reads its NAME line; its .TH section is
    the file's."""
    path = os.path.join(MAN_DIR, page)
    res = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", path],
                         capture_output=True, text=True)
    assert res.returncode == 0 and res.stderr == "", res.stderr
    env = {"PATH": os.environ["PATH"], "LC_ALL": "C.UTF-8", "MANROFFSEQ": "", "MANWIDTH": "120"}
    res = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", path],
                         capture_output=True, text=True, env=env)
    assert res.returncode == 0 and res.stderr == "", res.stderr
    res = subprocess.run(["lexgrog", path], capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert re.search(r': "%s - \S' % re.escape(page.rsplit(".", 1)[0]), res.stdout), res.stdout
    th = re.search(r"^\.TH \S+ (\S+)", _read("docs", "man", page), re.M)
    assert th and th.group(1) == page.rsplit(".", 1)[1]


def test_completion_commands_and_subcommands():
    """The completion offers exactly the command groups hbctl dispatches and,
    for each, every subcommand its usage names; options and policy names
    follow the command being typed."""
    commands = _usage_commands()
    words, err = _complete("")
    assert set(words) == set(commands), words
    assert err == ""
    for cmd, subs in commands.items():
        if subs:
            words, _ = _complete(cmd, "")
            assert subs <= set(words), "%s: %s" % (cmd, words)
    words, _ = _complete("--json", "-c", "/nonexistent", "backend", "add", "b1", "192.0.2.1", "--d")
    assert words == ["--doveadm-port"]
    words, _ = _complete("locks", "--crit-")
    assert set(words) == {"--crit-locks", "--crit-waiters", "--crit-age", "--crit-wait-p99"}
    words, _ = _complete("doctor", "--role", "")
    assert words == ["auto", "backend", "proxy"]
    words, _ = _complete("caps", "set", "example.org", "max_")
    assert set(words) == {"max_msg_size=", "max_rcpt=", "max_users=", "max_aliases=", "max_quota="}
    words, _ = _complete("policy", "set", "example.org", "max_")
    assert set(words) == {"max_msg_size=", "max_rcpt="}
    # bash splits https://HOST:PORT at the colons
    words, _ = _complete("--server", "https", ":", "//a.example", ":", "7304", "--ca", "ca.pem", "")
    assert {"login", "logout", "whoami", "passwd"} <= set(words) and "backend" not in words


def test_completion_backend_names(tmp_path):
    """Backend names come from `hbctl backend list` with the -c file given,
    and the completion stays quiet and never runs hbctl when that file is
    unreadable or hbctl fails."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    marker = tmp_path / "ran"
    fake = bindir / "hbctl"
    fake.write_text("#!/bin/sh\n"
                    "echo \"$@\" >> '%s'\n"
                    "[ \"$2\" = '%s' ] || { echo 'hbctl: Redis down' >&2; exit 3; }\n"
                    "echo 'NAME             HOST            PORTS'\n"
                    "echo 'b1               192.0.2.1       143/110/24/587/4190/-'\n"
                    "echo 'b2               192.0.2.2       143/110/24/587/4190/-'\n"
                    % (marker, tmp_path / "good.conf"))
    fake.chmod(0o755)
    (tmp_path / "good.conf").write_text("")
    (tmp_path / "bad.conf").write_text("")
    env = dict(os.environ, PATH="%s:%s" % (bindir, os.environ["PATH"]))

    words, err = _complete("-c", str(tmp_path / "good.conf"), "backend", "drain", "", env=env)
    assert words == ["b1", "b2"] and err == ""
    words, _ = _complete("-c", str(tmp_path / "good.conf"), "user", "move", "a@example.org", "b2", env=env)
    assert words == ["b2"]
    assert marker.read_text().split("\n")[0] == "-c %s backend list" % (tmp_path / "good.conf")

    words, err = _complete("-c", str(tmp_path / "bad.conf"), "backend", "up", "", env=env)
    assert words == [] and err == ""
    marker.unlink()
    words, err = _complete("-c", str(tmp_path / "missing.conf"), "backend", "up", "", env=env)
    assert words == [] and err == "" and not marker.exists()
