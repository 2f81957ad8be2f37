"""Configuration checks of the three daemons, like `postfix check`: `-t`
reports every problem of a file (not only the first), each as file:line,
for every class of error (unknown and duplicate keys, malformed lines,
listen addresses, Redis' host and socket, socket modes, socketmap_domains,
rules between values) and exits 1; the shipped files (conf.d/, with the
paths INSTALL has an operator fill in) pass; `-n` prints the settings that
differ from the defaults; `--version` and `-h`.  Only temp dirs: no service
is started.
"""

import os
import re
import shutil
import subprocess

import pytest

import admind_harness
import harness

SRCDIR = harness.SRCDIR
DAEMONS = ["director", "milter", "admind"]


def binary(which):
    return {"director": harness.director_binary, "milter": harness.milter_binary,
            "admind": admind_harness.admind_binary}[which]()


def run(which, *args):
    return subprocess.run([binary(which)] + list(args), capture_output=True, text=True,
                          timeout=60)


def package_version():
    """PACKAGE_VERSION of the build (hb-config-auto.h)."""
    with open(os.path.join(harness.build_dir(), "hb-config-auto.h")) as f:
        return re.search(r'#define PACKAGE_VERSION "([^"]+)"', f.read()).group(1)


def installed_copy(which, root):
    """conf.d/WHICH.conf as shipped, its /etc/hummingbird paths moved under
    ROOT, with the files INSTALL has the operator create there: the Redis
    password file (0600) and, for admind, its certificate and key."""
    etc = os.path.join(root, "etc")
    os.makedirs(os.path.join(etc, "redis"), exist_ok=True)
    with open(os.path.join(SRCDIR, "conf.d", which + ".conf")) as f:
        text = f.read().replace("/etc/hummingbird/", etc + "/")
    harness.write(os.path.join(etc, "redis", "hb-%s.password" % which), "s3cret-pw\n", 0o600)
    if which == "admind":
        pki = admind_harness.Pki(os.path.join(root, "pki"), ["127.0.0.1"], name="cfg")
        shutil.copy(pki.cert, os.path.join(etc, "admind.crt"))
        shutil.copy(pki.key, os.path.join(etc, "admind.key"))
        os.chmod(os.path.join(etc, "admind.key"), 0o600)
    return harness.write(os.path.join(etc, which + ".conf"), text, 0o640), text


@pytest.mark.parametrize("which", DAEMONS)
def test_shipped_file_passes_check_and_n_lists_its_settings(tmp_path, which):
    """The shipped WHICH.conf (plus INSTALL's files) passes -t, and -n prints
    exactly its settings that differ from the defaults, never a secret."""
    conf, text = installed_copy(which, str(tmp_path))
    r = run(which, "-t", "-c", conf)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == "%s: configuration OK" % conf and r.stderr == ""
    r = run(which, "-n", "-c", conf)
    assert r.returncode == 0 and r.stderr == "", r.stdout + r.stderr
    printed = r.stdout.splitlines()
    assert "redis_user = hb-%s" % which in printed, printed
    assert "s3cret-pw" not in r.stdout
    set_lines = [re.sub(r"\s*=\s*", " = ", line.strip()) for line in text.splitlines()
                 if line.strip() and not line.startswith("#")]
    for line in printed:
        assert line in set_lines, "%r is not a line of the file: %s" % (line, printed)


# (line, what the problem is about); the file below has one of each class
BAD_LINES = [
    ("redis_port = 6380", None),
    ("no_such_key = 1", "unknown setting 'no_such_key'"),
    ("just some words", "expected 'key = value'"),
    ("milter_listen = inet:abc@nowhere", "milter_listen: invalid value"),
    ("socketmap_listen = not-an-address", "socketmap_listen: invalid value"),
    ("director_listen = run/director.sock", "director_listen: invalid value"),
    ("metrics_listen = 127.0.0.1:70000", "metrics_listen: invalid value"),
    ("userdb_listen = 127.0.0.1:7305", "userdb_listen: invalid value"),
    ("admind_listen = localhost:7304", "admind_listen: invalid value"),
    ("milter_metrics_listen = /run/metrics.sock", "milter_metrics_listen: invalid value"),
    ("redis_host = not a host", "redis_host: invalid value"),
    ("redis_socket = redis.sock", "redis_socket: invalid value"),
    ("director_socket_mode = 01777", "director_socket_mode: 01777 is out of range"),
    ("userdb_socket_mode = 0980", "userdb_socket_mode: invalid value"),
    ("socketmap_domains = example.com, bad..example", "invalid domain 'bad..example'"),
    ("redis_port = 6381", "duplicate setting 'redis_port' (first set at line 1)"),
    ("health_interval = 1s", None),
    ("health_timeout = 20s", "health_timeout must not exceed 10 x health_interval"),
    ("admind_lockout = 1m", None),
    ("admind_lockout_max = 30s", "admind_lockout_max must be at least admind_lockout"),
]


@pytest.mark.parametrize("which", DAEMONS)
def test_check_reports_every_problem_with_file_and_line(tmp_path, which):
    """-t on a file with one error of each class exits 1 and names each at
    its file:line (a duplicate with both lines, a rule at the later line);
    the start refuses it with the first and the count of the others."""
    conf = harness.write(str(tmp_path / "bad.conf"),
                         "".join(line + "\n" for line, _ in BAD_LINES), 0o600)
    r = run(which, "-t", "-c", conf)
    assert r.returncode == 1, r.stdout + r.stderr
    problems = r.stderr.splitlines()
    expected = [(n, why) for n, (_, why) in enumerate(BAD_LINES, 1) if why is not None]
    assert len(problems) == len(expected), r.stderr
    for n, why in expected:
        prefix = "hummingbird-%s: %s:%d: " % (which, conf, n)
        assert any(p.startswith(prefix) and why in p for p in problems), (n, why, r.stderr)
    r = run(which, "-f", "-c", conf)
    assert r.returncode == 1
    assert r.stderr.startswith("hummingbird-%s: %s:2: unknown setting" % (which, conf))
    assert "(and %d more problems: check with -t)" % (len(expected) - 1) in r.stderr


@pytest.mark.parametrize("which", DAEMONS)
def test_duplicate_key_refused_even_with_the_same_value(tmp_path, which):
    """A key set twice is an error naming both lines, even with one value."""
    conf = harness.write(str(tmp_path / "dup.conf"),
                         "# one\nlog_level = info\n\nlog_level = info\n", 0o600)
    r = run(which, "-t", "-c", conf)
    assert r.returncode == 1
    assert r.stderr == ("hummingbird-%s: %s:4: duplicate setting 'log_level' "
                        "(first set at line 2)\n" % (which, conf)), r.stderr


@pytest.mark.parametrize("which", DAEMONS)
def test_n_prints_only_non_defaults_in_table_order(tmp_path, which):
    """-n -c FILE prints the non-default settings as key = value in table
    order (durations in their largest unit), nothing else, and exits 0."""
    conf = harness.write(str(tmp_path / "n.conf"),
                         "milter_fail = accept\nredis_port = 6379\nuser_expire = 3600s\n"
                         "redis_timeout = 1500ms\nredis_db = 3\nhealth_timeout = 2000ms\n",
                         0o600)
    r = run(which, "-n", "-c", conf)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ("redis_db = 3\nredis_timeout = 1500ms\nuser_expire = 1h\n"
                        "milter_fail = accept\n"), r.stdout
    empty = harness.write(str(tmp_path / "empty.conf"), "# defaults only\n", 0o600)
    r = run(which, "-n", "-c", empty)
    assert r.returncode == 0 and r.stdout == ""
    r = run(which, "-n", "-c", str(tmp_path / "absent.conf"))
    assert r.returncode == 1 and "absent.conf: cannot open" in r.stderr


@pytest.mark.parametrize("which", DAEMONS)
def test_version_and_usage(which):
    """--version prints "hummingbird-WHICH VERSION" and exits 0; -h lists
    -c, -f, -t, -n and --version; an unknown option exits 2."""
    r = run(which, "--version")
    assert r.returncode == 0 and r.stdout == "hummingbird-%s %s\n" % (
        which, package_version()), r.stdout + r.stderr
    r = run(which, "-h")
    assert r.returncode == 0
    for opt in ("-c FILE", "-f ", "-t ", "-n ", "--version"):
        assert opt in r.stdout, (opt, r.stdout)
    r = run(which, "--no-such-option")
    assert r.returncode == 2 and "usage:" in r.stderr


def test_director_check_reads_the_files_it_would_read_running(tmp_path):
    """director -t reads the doveadm API key file and, with doveadm_tls, the CA
    file: a missing key, a key others may read or a missing CA fails -t; an
    unreadable health login password only warns (the director would start
    with greeting-only probes)."""
    conf, text = installed_copy("director", str(tmp_path))
    key = os.path.join(str(tmp_path), "doveadm-api-key")

    def check(extra):
        harness.write(conf, text + extra, 0o640)
        return run("director", "-t", "-c", conf)

    r = check("doveadm_api_key_file = %s\n" % key)
    assert r.returncode == 1 and "doveadm_api_key_file" in r.stderr, r.stderr
    harness.write(key, "k3y\n", 0o644)
    r = check("doveadm_api_key_file = %s\n" % key)
    assert r.returncode == 1 and key in r.stderr, r.stderr
    os.chmod(key, 0o600)
    r = check("doveadm_api_key_file = %s\n" % key)
    assert r.returncode == 0, r.stderr
    assert "k3y" not in r.stdout + r.stderr
    r = check("doveadm_api_key_file = %s\ndoveadm_tls = yes\ndoveadm_ca_file = %s/none.pem\n"
              % (key, tmp_path))
    assert r.returncode == 1 and "doveadm_ca_file" in r.stderr, r.stderr
    r = check("health_login_user = probe@example.com\nhealth_login_password_file = %s/none\n"
              % tmp_path)
    assert r.returncode == 0 and "warning: health login disabled" in r.stderr, r.stderr
