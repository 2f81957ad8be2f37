"""conftest.py - pytest fixtures for the system tests: one throwaway
environment per session, the cluster in it, and a teardown that stops
everything and fails the run if any process survived or Dovecot's auth
module directory (which a real installation owns) changed in any way.
A failing test gets the directors' and proxies' logs.
"""

import os
import signal
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cluster as cluster_mod  # noqa: E402
import harness  # noqa: E402

_state = {"cluster": None}     # for the failure report hook

# the whole suite must end well within 20 minutes, even if something hangs;
# --long fault injection (10 000 kills, real stale waits) takes hours
LONG = os.environ.get("HB_LONG") == "1" or "--long" in sys.argv
SUITE_TIMEOUT = 6 * 3600 if LONG else 20 * 60


def _interrupt(signum, frame):
    # make finalizers run when make or CI terminates us, or time is up
    raise KeyboardInterrupt("signal %d (SIGALRM = suite took over %ds)"
                            % (signum, SUITE_TIMEOUT))


signal.signal(signal.SIGTERM, _interrupt)
signal.signal(signal.SIGALRM, _interrupt)
signal.alarm(SUITE_TIMEOUT)


def pytest_addoption(parser):
    # test_guard_faults.py: 10 000 kills, real stale-lock waits (or HB_LONG=1)
    parser.addoption("--long", action="store_true", default=False,
                     help="long fault-injection runs (also: HB_LONG=1)")


@pytest.fixture(scope="session", autouse=True)
def system_authdb_untouched():
    """The system's auth module directory is the same after the session as
    before it: names, sizes, mtimes, inodes, bytes (tests/authdb-ns.sh gives
    the proxies our module in a mount namespace instead)."""
    before = harness.dir_state(harness.AUTHDB_DIR)
    yield
    after = harness.dir_state(harness.AUTHDB_DIR)
    assert after == before, "the system's %s changed during the run: %s" % (
        harness.AUTHDB_DIR, harness.dir_changes(before, after))


@pytest.fixture(scope="session")
def env():
    e = harness.Env()
    yield e
    left, errors = e.stop_all()
    keep = bool(left or errors) or os.environ.get("HB_KEEP_TMP") == "1"
    e.cleanup(keep=keep)
    assert not errors, "errors while stopping services: %s" % errors
    assert not left, "processes survived teardown: %s (logs in %s)" % (left, e.root)


@pytest.fixture(scope="session")
def cluster(env):
    c = cluster_mod.Cluster(env)
    _state["cluster"] = c
    c.start()
    return c


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    c = _state["cluster"]
    if rep.failed and c is not None and c.directors:
        rep.sections.append(("service logs", c.director_logs()))
