"""test_apikey.py - system tests of the doveadm API key: the
backends run conf.d/dovecot-backend.conf.ext as shipped (harness.py, only
the key file's path and the port changed) with a key file that ends in a
newline, the directors and hbctl read the same file byte for byte, and a
key that does not match is reported loudly: by the director within seconds
of its start, per backend, with the likely cause, and by `hbctl status`.
Each test's docstring says on its first line what it proves; each repairs
what it breaks.
"""

import base64
import http.client
import json
import os
import re
import signal
import subprocess
import time

import harness
from cluster import PREFIX, user

INLINE_IP = "127.0.0.81"
API_FIELDS = ("doveadm_api", "doveadm_api_time", "doveadm_api_reason", "doveadm_api_by")


def _raw_api_status(be, key_bytes):
    """HTTP status of an empty command list sent with KEY_BYTES (HTTP/1.1
    without "Connection: close", as hbctl and the director send it: with it,
    Dovecot 2.3.19 never answers a refused key)."""
    auth = "X-Dovecot-API " + base64.b64encode(key_bytes).decode()
    conn = http.client.HTTPConnection(be.ip, be.doveadm_port, timeout=5)
    try:
        conn.request("POST", "/doveadm/v1", body="[]",
                     headers={"Authorization": auth, "Content-Type": "application/json"})
        return conn.getresponse().status
    finally:
        conn.close()


def _forget_api_reports(cluster, names):
    for name in names:
        cluster.redis("HDEL", PREFIX + "backend:" + name, *API_FIELDS)


def _status(cluster):
    text = cluster.hbctl_ok("status").stdout
    r = cluster.hbctl("status", json_out=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return text, json.loads(r.stdout)


def test_shipped_backend_snippet_with_newline_key_file_serves_director_and_hbctl(cluster):
    """With the shipped backend snippet and a key file ending in a newline, every director's key check, the census, a failover kick and `hbctl user kick` are accepted: no 401 anywhere."""
    env = cluster.env
    with open(env.api_key_file, "rb") as f:
        key = f.read()
    assert key.endswith(b"\n"), "the harness's key file must end in a newline"
    for name, be in cluster.backends.items():
        r = subprocess.run(["doveconf", "-c", be.conf_path, "-h", "doveadm_api_key"],
                           capture_output=True, text=True, timeout=30)
        assert r.stdout.strip() == "<" + env.api_key_file, (name, r.stdout, r.stderr)
        # Dovecot's <FILE keeps the newline: the key is every byte
        assert _raw_api_status(be, key) == 200, name
        assert _raw_api_status(be, key.rstrip(b"\n")) == 401, name

    # every director checked its key against every backend at start
    for d in cluster.directors:
        text = d.log_since()
        assert "it ends in a line break, which is part of the key" in text, text[-2000:]
        for name in cluster.backends:
            assert re.search(r"backend %s \(\S+\): doveadm API accepts the key" % name, text), (
                d.name, name, text[-3000:])
        assert "API key refused" not in text, text[-3000:]
        assert d.metric("hummingbird_doveadm_api_key_ok") == len(cluster.backends)
    for name in cluster.backends:
        assert cluster.backend_state(name).get("doveadm_api") == "ok", cluster.backend_state(name)

    u = user("keyok", 1)
    logs = {d.name: d.log_size() for d in cluster.directors}
    home, conn = cluster.imap(u, proxy=1, keep=True)
    be = cluster.backends[home]
    key_name = PREFIX + "backend:" + home
    try:
        # the census (every second on the lease holder) counts the session
        harness.wait_until(
            "the census to count the session on %s" % home,
            lambda: any((d.metric('hummingbird_census_sessions{backend="%s"}' % home) or 0) >= 1
                        for d in cluster.directors), 10)
        # a failover kick by the director: the backend fails its checks
        # while alive, its sessions are kicked through the API
        closed = harness.free_port(be.ip)
        cluster.redis("HSET", key_name, "imap_port", closed)
        assert conn.read_eof(20), "the director's failover kick left the session open"
        harness.wait_until(
            "the director to log the kick",
            lambda: "backend %s: sessions kicked" % home in
            "".join(d.log_since(logs[d.name]) for d in cluster.directors), 10)
    finally:
        conn.close()
        cluster.redis("HSET", key_name, "imap_port", be.imap_port)
        cluster.wait_health(home, "ok")
        cluster.wait_directors_see_all_up()
    text = "".join(d.log_since(logs[d.name]) for d in cluster.directors)
    assert "API key refused" not in text and "HTTP 401" not in text, text[-3000:]

    # hbctl reads the same file the same way
    _, conn = cluster.imap(u, proxy=0, keep=True)
    try:
        r = cluster.hbctl_ok("user", "kick", u)
        assert conn.read_eof(10), "session survived hbctl user kick: %s" % r.stdout
    finally:
        conn.close()


def _wrong_key_director(cluster, name, key_text):
    """A director started with a key file holding KEY_TEXT."""
    env = cluster.env
    d = harness.Director(env, name, cluster.redis)
    path = harness.write(os.path.join(d.dir, "wrong-api-key"), key_text, 0o600)
    with open(d.conf_path) as f:
        conf = f.read()
    conf = re.sub(r"(?m)^doveadm_api_key_file = .*$", "doveadm_api_key_file = " + path, conf)
    harness.write(d.conf_path, conf)
    return env.add(d), path


def test_director_with_a_mismatched_key_logs_it_at_start_and_hbctl_status_warns(cluster):
    """A director whose key file lacks the newline the backends' key has logs "doveadm API key refused" for every backend within seconds of its start, naming its file and the newline; `hbctl status` shows a warning per backend (text and --json)."""
    names = sorted(cluster.backends)
    d, path = _wrong_key_director(cluster, "dwrongkey", harness.API_KEY)  # no "\n"
    try:
        t0 = time.monotonic()
        d.start()
        for name in names:
            harness.wait_until(
                "dwrongkey to log the refusal by %s" % name,
                lambda: re.search(r"backend %s \(\S+\): doveadm API key refused \(HTTP 401\)"
                                  % name, d.log_since()), 10)
        took = time.monotonic() - t0
        text = d.log_since()
        assert took < 10, "refusals logged %.1fs after the start" % took
        lines = [line for line in text.splitlines() if "API key refused" in line]
        assert len(lines) == len(names), lines
        for line in lines:
            assert ": error: " in line and path in line, line
            assert "only with a trailing newline" in line, line
        assert d.metric("hummingbird_doveadm_api_key_ok") == 0

        harness.wait_until("the refusals in Redis", lambda: all(
            cluster.backend_state(n).get("doveadm_api") == "refused" for n in names), 5)
        out, doc = _status(cluster)
        warnings = [line for line in out.splitlines() if line.startswith("WARNING")]
        assert len(warnings) == len(names), out
        for name, line in zip(names, warnings):
            assert ("backend %s: doveadm API key refused (director dwrongkey" % name) in line, line
            assert "accepted with a trailing newline" in line, line
        refused = doc["doveadm_api_refused"]
        assert [e["name"] for e in refused] == names, doc
        assert all(e["director"] == "dwrongkey" and "HTTP 401" in e["reason"] for e in refused)
        # a director with the right key checks again (SIGHUP): its "ok"
        # does not hide the refusal
        good = cluster.directors[1]
        offset = good.log_size()
        good.signal(signal.SIGHUP)
        harness.wait_until("%s to check every backend again" % good.name, lambda: all(
            "backend %s (" % n in good.log_since(offset) for n in names), 10)
        time.sleep(0.5)   # its reports are on their way to Redis
        for n in names:
            state = cluster.backend_state(n)
            assert state.get("doveadm_api") == "refused", state
            assert state.get("doveadm_api_by") == "dwrongkey", state
    finally:
        d.stop()
        _forget_api_reports(cluster, names)
    out, doc = _status(cluster)
    assert "WARNING" not in out and doc["doveadm_api_refused"] == [], out


def test_backend_with_the_key_inline_is_refused_loudly_by_director_census_and_hbctl(cluster):
    """A backend with the key written inline (no newline) while the key file has one: the directors log the refusal naming the inline key as the cause, the census and `hbctl backend down` say "API key refused", and `hbctl status` warns."""
    env = cluster.env
    name = "bekeyinline"
    logs = {d.name: d.log_size() for d in cluster.directors}
    be = env.add(harness.DovecotBackend(env, name, INLINE_IP, inline_key=harness.API_KEY))
    be.start()
    try:
        cluster.hbctl_ok("backend", "add", name, be.ip, "--imap-port", be.imap_port,
                         "--pop3-port", be.pop3_port, "--lmtp-port", be.lmtp_port,
                         "--doveadm-port", be.doveadm_port, "--weight", 0)

        def director_text():
            return "".join(d.log_since(logs[d.name]) for d in cluster.directors)

        harness.wait_until("both directors to log the refusal", lambda: director_text().count(
            "backend %s (%s:%d): doveadm API key refused (HTTP 401)"
            % (name, be.ip, be.doveadm_port)) >= len(cluster.directors), 10)
        text = director_text()
        assert "its doveadm_api_key is written inline in dovecot.conf" in text, text[-3000:]
        harness.wait_until("the census to say API key refused", lambda: re.search(
            r"census of backend %s failed: doveadm API key refused \(HTTP 401\)" % name,
            director_text()), 10)

        out, doc = _status(cluster)
        assert re.search(r"(?m)^WARNING: backend %s: doveadm API key refused .*"
                         r"without the key file's trailing newline" % name, out), out
        assert [e["name"] for e in doc["doveadm_api_refused"]] == [name], doc

        r = cluster.hbctl("backend", "down", name)
        assert r.returncode != 0, r.stdout
        assert "doveadm API key refused (HTTP 401)" in r.stdout + r.stderr, r.stdout + r.stderr
    finally:
        cluster.hbctl("backend", "remove", name, "--force")
        be.stop()
    out, doc = _status(cluster)
    assert name not in out and doc["doveadm_api_refused"] == [], out
