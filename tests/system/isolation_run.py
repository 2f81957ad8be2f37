"""isolation_run.py - one small harness run for test_isolation.py (not a test
itself): Redis, a backend, a director and a proxy, a login through the proxy;
then, once the file WAIT_FOR exists in SYNCDIR (another run got that far), a
fresh proxy and logins through both; everything stopped.  Writes NAME.up when
its first login worked, NAME.done when stopped, and NAME.json: the logins,
the passdb module each proxy saw, the one this process sees, and timestamps.

usage: isolation_run.py NAME BACKEND_IP PROXY_IP PROXY2_IP SYNCDIR WAIT_FOR
"""

import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import clients  # noqa: E402
import harness  # noqa: E402

WAIT_TIMEOUT = 60.0
LOGIN_TIMEOUT = 15.0


def mark(syncdir, name, text=""):
    tmp = os.path.join(syncdir, ".%s.tmp" % name)
    harness.write(tmp, text)
    os.rename(tmp, os.path.join(syncdir, name))


def wait_for(path):
    deadline = time.monotonic() + WAIT_TIMEOUT
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise harness.ServiceError("%s did not appear within %ds" % (path, WAIT_TIMEOUT))
        time.sleep(0.1)


def login(proxy, user):
    """IMAP login until the director's table has the backend; its name."""
    deadline = time.monotonic() + LOGIN_TIMEOUT
    while True:
        try:
            return clients.imap_login(proxy.imap, user)
        except clients.LoginFailed:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def module_seen_by(pid):
    """SHA-256 of the passdb module in the auth module dir as process PID
    sees it (its mount namespace), None if there is none."""
    path = "/proc/%d/root%s/%s" % (pid, harness.AUTHDB_DIR, harness.AUTHDB_NAME)
    try:
        return harness.file_sha256(path)
    except OSError:
        return None


def start_backend_director(env, name, backend_ip):
    redis = env.add(harness.RedisServer(env)).start()
    be = env.add(harness.DovecotBackend(env, "be-" + name, backend_ip)).start()
    d = env.add(harness.Director(env, "d-" + name, redis)).start()
    r = subprocess.run([harness.hbctl_binary(), "-c", d.conf_path, "backend", "add", be.name,
                        be.ip, "--imap-port", str(be.imap_port), "--lmtp-port",
                        str(be.lmtp_port)], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise harness.ServiceError("hbctl backend add: %s%s" % (r.stdout, r.stderr))
    return d


def run(env, res, name, ips, syncdir, wait_name):
    user = "iso-%s@example.com" % name
    d = start_backend_director(env, name, ips[0])
    p1 = env.add(harness.DovecotProxy(env, "p-" + name, ips[1], d.socket)).start()
    res["logins"].append(login(p1, user))
    res["proxy_modules"].append(module_seen_by(p1.proc.pid))
    res["up_at"] = time.time()
    mark(syncdir, name + ".up")
    wait_for(os.path.join(syncdir, wait_name))
    res["resumed_at"] = time.time()
    p2 = env.add(harness.DovecotProxy(env, "p2-" + name, ips[2], d.socket)).start()
    res["logins"].append(login(p2, user))
    res["logins"].append(login(p1, user))
    res["proxy_modules"].append(module_seen_by(p2.proc.pid))


def main():
    name, backend_ip, proxy_ip, proxy2_ip, syncdir, wait_name = sys.argv[1:7]
    signal.signal(signal.SIGTERM, lambda s, f: (_ for _ in ()).throw(KeyboardInterrupt()))
    res = {"name": name, "logins": [], "proxy_modules": [], "errors": [],
           "own_module": module_seen_by(os.getpid())}
    env = harness.Env()
    try:
        run(env, res, name, (backend_ip, proxy_ip, proxy2_ip), syncdir, wait_name)
    except (harness.ServiceError, clients.LoginFailed, AssertionError, OSError,
            KeyboardInterrupt) as e:
        res["errors"].append("%s: %s" % (type(e).__name__, e))
    finally:
        left, errors = env.stop_all()
        res["errors"] += ["stop: %s" % e for e in errors]
        res["left"] = left
        env.cleanup(keep=bool(res["errors"] or left))
        res["stopped_at"] = time.time()
        res["root"] = env.root
        mark(syncdir, name + ".json", json.dumps(res))
        mark(syncdir, name + ".done")
    if res["errors"] or res["left"]:
        print("isolation_run %s failed: %s" % (name, json.dumps(res, indent=1)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
