"""Several processes on one file: children of fork() get the engine
reopened for them, separate processes see each other's writes at once,
``multiprocessing`` workers share a token's rate limit and quota exactly,
and an exclusive engine keeps every other process out."""

from __future__ import annotations

import ctypes
import json
import multiprocessing
import os
import subprocess
import sys
import textwrap
import threading
import time
import traceback
import unittest
import warnings

import support
from support import FAST, EngineTest

import authkv
from authkv import _ffi
from authkv.engine import _options

CHILDREN = 3
SESSIONS_PER_CHILD = 50
BROWSER = {"Origin": "http://localhost:3000"}


def in_child(body, fork=os.fork) -> int:
    """Fork with ``fork``, run ``body`` in the child and leave it with exit
    code 0 when it returned, 1 when it raised (the traceback on stderr).
    Returns the child's pid."""
    pid = fork()
    if pid == 0:
        code = 1
        try:
            body()
            code = 0
        except BaseException:  # noqa: BLE001 - reported through the exit code
            traceback.print_exc()
        finally:
            sys.stderr.flush()
            os._exit(code)
    return pid


def exit_code(pid: int, timeout: float = 120) -> int:
    """The child's exit code; "hung" when it has not exited in time (it is
    then killed)."""
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return "hung"
        time.sleep(0.002)


def run_python(script: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``script`` in a new Python process that imports this package."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        env=support.child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def cookie(session_id: str) -> dict:
    return {**BROWSER, "Cookie": f"authkv_session={session_id}"}


@unittest.skipUnless(hasattr(os, "fork"), "needs fork()")
class ForkedChildren(EngineTest):
    def test_a_forked_child_reopens_the_engine_and_its_writes_reach_the_parent(self):
        e = self.engine
        parent = e.login(e.create_session("192.0.2.1", "parent").id, 42)

        def child(n: int) -> None:
            assert e.load_session(parent.id).user_id == 42
            for _ in range(SESSIONS_PER_CHILD):
                e.login(e.create_session("192.0.2.2", f"child {n}").id, 100 + n)

        pids = [in_child(lambda n=n: child(n)) for n in range(CHILDREN)]
        for _ in range(SESSIONS_PER_CHILD):  # the parent writes meanwhile
            e.login(e.create_session("192.0.2.3", "parent").id, 99)
        self.assertEqual([exit_code(pid) for pid in pids], [0] * CHILDREN)

        for n in range(CHILDREN):
            self.assertEqual(len(e.user_sessions(100 + n)), SESSIONS_PER_CHILD)
        self.assertEqual(len(e.user_sessions(99)), SESSIONS_PER_CHILD)
        self.assertConsistent()
        self.assertEqual(e.load_session(parent.id).user_id, 42)
        e.close()
        with authkv.Engine(self.path, **FAST) as again:
            self.assertEqual(again.verify(), [])
            self.assertEqual(again.stats().sessions, (CHILDREN + 1) * SESSIONS_PER_CHILD + 1)
            self.assertEqual(again.load_session(parent.id).user_id, 42)

    def test_the_library_refuses_an_inherited_handle_and_releases_it_harmlessly(self):
        # What the binding relies on, through a raw handle it does not track.
        lib = _ffi.load()
        path = os.fsencode(self.path)
        raw = ctypes.c_void_p()
        options = _options(FAST)
        self.assertEqual(lib.authkv_open(path, len(path), ctypes.byref(options), ctypes.byref(raw)), 0)
        parent = self.engine.create_session("192.0.2.1", "parent")

        def child() -> None:
            stats = _ffi.Stats()
            assert lib.authkv_stats(raw, ctypes.byref(stats)) == 5  # AUTHKV_MISUSE
            message = lib.authkv_last_error().decode()
            assert f"used in pid {os.getpid()}" in message, message
            assert "open it again in the child" in message, message
            assert lib.authkv_close(raw) == 0
            assert self.engine.load_session(parent.id).user_agent == "parent"

        self.assertEqual(exit_code(in_child(child)), 0)
        self.assertEqual(lib.authkv_close(raw), 0)
        self.assertEqual(self.engine.load_session(parent.id).user_agent, "parent")
        self.assertConsistent()

    def test_a_child_forked_without_pythons_hooks_reopens_at_its_first_call(self):
        # As uWSGI forks its workers by default: fork() from C, no at-fork hooks.
        e = self.engine
        parent = e.create_session("192.0.2.1", "parent")
        c_fork = ctypes.PyDLL(None).fork  # keeps the GIL across the call

        def child() -> None:
            assert e.load_session(parent.id).user_agent == "parent"
            e.login(e.create_session("192.0.2.2", "child").id, 7)

        self.assertEqual(exit_code(in_child(child, fork=c_fork)), 0)
        self.assertEqual(len(e.user_sessions(7)), 1)
        self.assertConsistent()

    def test_a_fork_while_other_threads_open_and_close_engines_never_hangs_the_child(self):
        # authkv_open and authkv_close hold the library's lock on its list of
        # open files; a fork in the middle would leave it locked for good.
        parent = self.engine.create_session("192.0.2.1", "parent")
        stop = threading.Event()

        def churn(n: int) -> None:
            while not stop.is_set():
                with authkv.Engine(str(self.dir / f"churn{n}.redb"), **FAST) as other:
                    other.stats()

        threads = [threading.Thread(target=churn, args=(n,)) for n in range(3)]
        for thread in threads:
            thread.start()
        try:
            with warnings.catch_warnings():  # Python 3.12+ warns of fork() with threads
                warnings.simplefilter("ignore", DeprecationWarning)
                for _ in range(30):
                    pid = in_child(lambda: self.engine.load_session(parent.id))
                    self.assertEqual(exit_code(pid, timeout=10), 0)
        finally:
            stop.set()
            for thread in threads:
                thread.join()

    def test_an_engine_closed_before_fork_stays_closed_in_the_child(self):
        closed = authkv.Engine(str(self.dir / "closed.redb"), **FAST)
        closed.close()

        def child() -> None:
            try:
                closed.stats()
            except authkv.Closed:
                pass
            else:
                raise AssertionError("a closed engine was reopened")
            self.engine.stats()

        self.assertEqual(exit_code(in_child(child)), 0)


@unittest.skipUnless(hasattr(os, "fork"), "needs fork()")
class ForkedExclusive(EngineTest):
    options = {"exclusive": True}

    def test_a_child_that_cannot_reopen_an_exclusive_engine_says_why_at_every_call(self):
        e = self.engine
        parent = e.create_session("192.0.2.1", "parent")

        def child() -> None:
            for call in (lambda: e.load_session(parent.id), e.stats):
                try:
                    call()
                except authkv.Locked as locked:
                    assert "after fork()" in locked.message, locked.message
                else:
                    raise AssertionError("the child used the parent's exclusive engine")
            e.close()
            try:
                e.stats()
            except authkv.Closed:
                pass
            else:
                raise AssertionError("a closed engine answered")

        self.assertEqual(exit_code(in_child(child)), 0)
        self.assertEqual(e.load_session(parent.id).user_agent, "parent")
        self.assertConsistent()


LIMIT_WORKERS = 4
LIMIT_TRIES = 5


def spend_tokens(engine, tokens, start, results) -> None:
    """A ``multiprocessing`` worker: waits for the others, then
    authenticates each of ``tokens`` ``LIMIT_TRIES`` times on the engine it
    inherited; puts what each attempt got, by token."""
    start.wait()
    seen = {plain: [] for plain in tokens}
    for _ in range(LIMIT_TRIES):
        for plain in tokens:
            try:
                engine.authenticate_token(plain)
                seen[plain].append("admitted")
            except (authkv.RateLimited, authkv.QuotaExhausted) as refused:
                seen[plain].append((type(refused).__name__, refused.retry_after))
    results.put(seen)


@unittest.skipUnless(hasattr(os, "fork"), "needs fork()")
class SharedTokenLimits(EngineTest):
    def test_multiprocessing_workers_on_one_file_admit_exactly_the_limits(self):
        e = self.engine
        rated = e.create_token(5, "rated", rate_limit=authkv.RateLimit(7, 60))
        metered = e.create_token(5, "metered", quota=authkv.Quota(5))
        tokens = [rated.plain_text, metered.plain_text]
        context = multiprocessing.get_context("fork")
        start = context.Event()
        results = context.SimpleQueue()
        workers = [
            context.Process(target=spend_tokens, args=(e, tokens, start, results))
            for _ in range(LIMIT_WORKERS)
        ]
        for worker in workers:
            worker.start()
        start.set()
        seen = [results.get() for _ in workers]
        for worker in workers:
            worker.join(120)
            self.assertEqual(worker.exitcode, 0)

        tries = LIMIT_WORKERS * LIMIT_TRIES
        for plain, limit, refusal in (
            (rated.plain_text, 7, ("RateLimited", 60)),  # the manual clock is at T0 everywhere
            (metered.plain_text, 5, ("QuotaExhausted", None)),
        ):
            outcomes = [outcome for report in seen for outcome in report[plain]]
            self.assertEqual(len(outcomes), tries)
            self.assertEqual(outcomes.count("admitted"), limit, outcomes)
            self.assertEqual(outcomes.count(refusal), tries - limit, outcomes)
        # The parent sees what the workers used.
        self.assertEqual(e.token_limits(metered.id).quota.remaining, 0)
        with self.assertRaises(authkv.RateLimited):
            e.authenticate_token(rated.plain_text)
        with self.assertRaises(authkv.QuotaExhausted):
            e.authenticate_token(metered.plain_text)
        self.assertConsistent()


OPEN_IN_CHILD = """
    import json, sys, authkv
    try:
        authkv.Engine(sys.argv[1], **json.loads(sys.argv[2])).close()
    except authkv.Locked as locked:
        print("Locked", locked.status, locked.message)
    else:
        print("opened")
"""


class SharedFile(EngineTest):
    def test_another_process_revokes_what_this_one_has_cached_and_the_next_call_sees_it(self):
        e = self.engine
        user = e.login(e.create_session("192.0.2.1", "laptop").id, 42)
        phone = e.login(e.create_session("192.0.2.2", "phone").id, 42)
        token = e.create_token(42, "cli", ["orders:read"])
        # Load everything once, so that it is in this process's caches.
        self.assertEqual(e.load_session(user.id).user_id, 42)
        self.assertEqual(e.authenticate("GET", cookie(user.id)).user_id, 42)
        self.assertEqual(e.load_session(phone.id).user_agent, "phone")
        self.assertEqual(e.authenticate_token(token.plain_text).user_id, 42)
        handles = {d.user_agent: d.handle for d in e.user_sessions(42)}

        child = run_python(
            """
            import json, sys, authkv
            path, options, sid, handle, token_id = sys.argv[1:]
            with authkv.Engine(path, **json.loads(options)) as e:
                e.destroy_session(sid)
                e.revoke_session(handle)
                e.revoke_token(int(token_id))
                print(e.login(e.create_session("192.0.2.9", "child").id, 7).id)
            """,
            self.path,
            json.dumps(FAST),
            user.id,
            handles["phone"],
            str(token.id),
        )
        self.assertEqual(child.returncode, 0, child.stderr)
        child_session = child.stdout.strip()

        with self.assertRaises(authkv.NotFound):
            e.load_session(user.id)
        with self.assertRaises(authkv.Unauthenticated):
            e.authenticate("GET", cookie(user.id))
        with self.assertRaises(authkv.NotFound):
            e.load_session(phone.id)
        with self.assertRaises(authkv.Unauthenticated):
            e.authenticate_token(token.plain_text)
        self.assertEqual(e.user_sessions(42), [])
        self.assertEqual(e.load_session(child_session).user_id, 7)
        self.assertConsistent()

    def test_another_process_may_not_take_a_shared_file_exclusively(self):
        child = run_python(OPEN_IN_CHILD, self.path, json.dumps({**FAST, "exclusive": True}))
        self.assertEqual(child.returncode, 0, child.stderr)
        self.assertIn("Locked 200", child.stdout)
        self.assertEqual(run_python(OPEN_IN_CHILD, self.path, json.dumps(FAST)).stdout.strip(), "opened")


class ExclusiveFile(EngineTest):
    options = {"exclusive": True}

    def test_an_exclusive_engine_makes_every_other_processs_open_fail_with_locked(self):
        for mode in ({}, {"exclusive": True}):
            with self.subTest(mode=mode):
                child = run_python(OPEN_IN_CHILD, self.path, json.dumps({**FAST, **mode}))
                self.assertEqual(child.returncode, 0, child.stderr)
                self.assertIn("Locked 200", child.stdout)
                self.assertIn("locked by another process", child.stdout)
        self.engine.close()
        child = run_python(OPEN_IN_CHILD, self.path, json.dumps(FAST))
        self.assertEqual(child.stdout.strip(), "opened", child.stderr)


if __name__ == "__main__":
    unittest.main()
