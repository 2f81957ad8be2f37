"""test_harness.py - tests of the system-test harness itself: a service that
cannot come up fails at once with its own log, and stopping an environment
leaves no process behind.  Each test uses an environment of its own.
"""

import socket

import pytest

import clients
import harness


@pytest.fixture
def own_env():
    e = harness.Env()
    yield e
    left, errors = e.stop_all()
    e.cleanup(keep=bool(left or errors))
    assert not left and not errors, (left, errors)


def test_service_that_cannot_start_fails_with_its_log(own_env):
    """A service whose port is taken fails fast, and the error carries the service's log."""
    redis = own_env.add(harness.RedisServer(own_env, "redis-busy"))
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind((redis.host, redis.port))
    blocker.listen(1)
    try:
        with pytest.raises(harness.ServiceError) as err:
            redis.start()
    finally:
        blocker.close()
    text = str(err.value)
    assert "redis-busy" in text and redis.log_path in text
    assert "already in use" in text.lower(), text


def test_stopping_leaves_no_process_behind(own_env):
    """Stopping kills a Dovecot backend's whole process tree and its doveadm API worked while it ran."""
    be = own_env.add(harness.DovecotBackend(own_env, "be-solo", "127.0.0.5")).start()
    assert clients.imap_login(be.imap, "solo@example.com") == "be-solo"
    status, _ = be.api("who")
    assert status == 200
    master = be.proc.pid
    members = harness.session_members({master})
    assert len(members) > 3, members
    left, errors = own_env.stop_all()
    assert not left and not errors, (left, errors)
    assert not harness.pid_alive(master) or open("/proc/%d/stat" % master).read().split()[2] == "Z"
    assert not harness.session_members({pid for pid, _ in members})
