"""The quickstart flows through the Python binding: sessions, tokens and
their rate limits and quotas, a password login with throttling,
remember-me rotation, the guard and its cookies."""

from __future__ import annotations

import runpy
import unittest

import support
from support import FAST, T0, EngineTest

import authkv

KNOWN_SECRET = "Xq7Lr2VbN9sKd4TfWm1Zc8Hy3Gp6Ju5Ae0RoBiYt6dfacdf5"


class SessionFlow(EngineTest):
    def test_create_save_login_rotate_and_logout(self):
        e = self.engine
        visitor = e.create_session("203.0.113.9", "Mozilla/5.0")
        self.assertEqual(len(visitor.id), 40)
        self.assertNotIn(visitor.id, repr(visitor))
        session = e.load_session(visitor.id)
        self.assertIsNone(session.user_id)
        self.assertEqual((session.payload, session.version), (b"", 0))
        self.assertEqual((session.ip, session.user_agent), ("203.0.113.9", "Mozilla/5.0"))
        self.assertEqual(session.created_at, T0)
        self.assertEqual(e.save_session(visitor.id, b"cart=3", expected_version=0), 1)
        with self.assertRaises(authkv.Conflict) as raised:
            e.save_session(visitor.id, b"cart=9", expected_version=0)
        self.assertEqual(raised.exception.status, 101)
        self.assertIn("expected version 0", raised.exception.message)

        user = e.login(visitor.id, 42)
        with self.assertRaises(authkv.NotFound):
            e.load_session(visitor.id)
        loaded = e.load_session(user.id)
        self.assertEqual((loaded.user_id, loaded.payload), (42, b"cart=3"))
        self.assertTrue(e.verify_csrf(user.id, user.csrf_token))
        self.assertFalse(e.verify_csrf(user.id, visitor.csrf_token))
        rotated = e.rotate_csrf(user.id)
        self.assertEqual(e.csrf_token(user.id), rotated)

        e.set_time(T0 + 10)
        phone = e.login(e.create_session("198.51.100.7", "Phone").id, 42)
        devices = e.user_sessions(42)
        self.assertEqual([d.user_agent for d in devices], ["Mozilla/5.0", "Phone"])
        self.assertEqual(devices[1].created_at, T0 + 10)
        e.revoke_session(devices[1].handle)
        with self.assertRaises(authkv.NotFound):
            e.load_session(phone.id)
        e.login(e.create_session("", "Tablet").id, 42)
        self.assertEqual(e.revoke_user_sessions(42, keep=user.id), 1)

        again = e.regenerate_session(user.id)
        self.assertEqual(e.load_session(again.id).user_id, 42)
        anonymous = e.invalidate_session(again.id)
        self.assertIsNone(e.load_session(anonymous.id).user_id)
        e.destroy_session(anonymous.id)
        with self.assertRaises(authkv.NotFound):
            e.destroy_session(anonymous.id)

    def test_touches_expiry_and_collection(self):
        e = self.engine
        s = e.create_session("192.0.2.1", "ua")
        e.set_time(T0 + 200)
        self.assertEqual(e.load_session(s.id).last_activity, T0 + 200)
        self.assertEqual(e.stats().touches_pending, 1)
        self.assertEqual(e.flush(), 1)
        e.set_time(T0 + 200 + 7201)
        report = e.gc()
        self.assertEqual(report.sessions_deleted, 1)
        self.assertEqual(e.stats().sessions, 0)
        self.assertConsistent()


class TokenFlow(EngineTest):
    options = {"token_prefix": "akv_"}

    def test_create_authenticate_can_and_revoke(self):
        e = self.engine
        new = e.create_token(9, "cli", ["orders:read", "orders:write"])
        self.assertTrue(new.plain_text.startswith(f"{new.id}|akv_"))
        token = e.authenticate_token(new.plain_text)
        self.assertEqual((token.id, token.user_id), (new.id, 9))
        self.assertEqual(token.abilities, ("orders:read", "orders:write"))
        self.assertTrue(token.can("orders:read"))
        self.assertTrue(token.cant("orders:delete"))
        token.close()
        with self.assertRaises(ValueError):
            token.can("orders:read")

        expiring = e.create_token(9, "deploy", ["*"], expires_at=T0 + 100)
        e.set_time(T0 + 101)
        with self.assertRaises(authkv.Unauthenticated):
            e.authenticate_token(expiring.plain_text)
        listed = e.user_tokens(9)
        self.assertEqual([t.name for t in listed], ["cli", "deploy"])
        self.assertTrue(listed[1].expired and listed[1].expires_at == T0 + 100)
        self.assertEqual(listed[0].last_used_at, T0)
        self.assertEqual(e.prune_tokens(0), 1)
        e.revoke_token(new.id)
        with self.assertRaises(authkv.Unauthenticated):
            e.authenticate_token(new.plain_text)
        with self.assertRaises(authkv.NotFound):
            e.revoke_token(new.id)
        e.create_token(9, "a")
        self.assertEqual(e.revoke_user_tokens(9), 1)
        self.assertConsistent()

    def test_an_imported_sanctum_row_keeps_authenticating(self):
        import hashlib

        secret = "akv_" + KNOWN_SECRET
        digest = hashlib.sha256(secret.encode()).hexdigest()
        self.engine.import_sanctum_token(700, 3, "legacy", digest, ["read"], created_at=T0)
        token = self.engine.authenticate_token(f"700|{secret}")
        self.assertEqual((token.id, token.user_id, token.abilities), (700, 3, ("read",)))
        with self.assertRaises(authkv.AlreadyExists):
            self.engine.import_sanctum_token(700, 3, "again", digest)
        self.assertEqual(self.engine.create_token(3, "next").id, 701)


class TokenLimitsFlow(EngineTest):
    """Rate limits and quotas on the manual clock, so every wait is exact."""

    def bearer(self, token: authkv.NewToken) -> dict:
        return {"Authorization": f"Bearer {token.plain_text}"}

    def test_a_rate_limit_admits_max_per_window_then_names_the_rest_of_it(self):
        e = self.engine
        token = e.create_token(9, "api", ["orders:read"], rate_limit=authkv.RateLimit(3, 60))
        self.assertEqual(
            e.token_limits(token.id), authkv.TokenLimits(authkv.RateLimit(3, 60), None)
        )
        for _ in range(3):
            self.assertEqual(e.authenticate_token(token.plain_text).user_id, 9)
        e.set_time(T0 + 15)
        with self.assertRaises(authkv.RateLimited) as raised:
            e.authenticate_token(token.plain_text)
        error = raised.exception
        self.assertEqual((error.status, error.http_status, error.retry_after), (110, 429, 45))
        self.assertIn("retry in 45 s", error.message)
        # The guard refuses a bearer request the same way, before anything else.
        e.set_time(T0 + 59)
        with self.assertRaises(authkv.RateLimited) as raised:
            e.authenticate("GET", self.bearer(token))
        self.assertEqual(raised.exception.retry_after, 1)
        # A new window from T0 + 60.
        e.set_time(T0 + 60)
        self.assertEqual(e.authenticate("GET", self.bearer(token)).token_id, token.id)
        self.assertEqual(e.authenticate_token(token.plain_text).id, token.id)
        # A success leaves no wait behind for the next failure to misreport.
        with self.assertRaises(authkv.Unauthenticated):
            e.authenticate_token("1|not-a-token")
        self.assertConsistent()

    def test_a_quota_without_refill_runs_out_for_good(self):
        e = self.engine
        token = e.create_token(9, "metered", quota=authkv.Quota(5))
        self.assertEqual(e.token_limits(token.id).quota, authkv.Quota(5, 0, None))
        e.authenticate_token(token.plain_text)
        e.authenticate("GET", self.bearer(token))  # the guard counts too
        self.assertEqual(e.token_limits(token.id).quota.remaining, 3)
        for _ in range(3):
            e.authenticate_token(token.plain_text)
        self.assertEqual(e.token_limits(token.id).quota.remaining, 0)
        with self.assertRaises(authkv.QuotaExhausted) as raised:
            e.authenticate_token(token.plain_text)
        error = raised.exception
        self.assertEqual((error.status, error.http_status, error.retry_after), (111, 429, None))
        e.set_time(T0 + 365 * 86400)
        with self.assertRaises(authkv.QuotaExhausted) as raised:
            e.authenticate("GET", self.bearer(token))
        self.assertIsNone(raised.exception.retry_after)
        self.assertEqual(e.token_limits(token.id).quota.remaining, 0)

    def test_a_refilled_quota_names_the_wait_and_comes_back(self):
        e = self.engine
        quota = authkv.Quota(2, refill_amount=4, refill_interval=3600)
        token = e.create_token(9, "hourly", quota=quota)
        self.assertEqual(e.token_limits(token.id), authkv.TokenLimits(None, quota))
        for _ in range(2):
            e.authenticate_token(token.plain_text)
        with self.assertRaises(authkv.QuotaExhausted) as raised:
            e.authenticate_token(token.plain_text)
        self.assertEqual(raised.exception.retry_after, 3600)
        e.set_time(T0 + 600)
        with self.assertRaises(authkv.QuotaExhausted) as raised:
            e.authenticate_token(token.plain_text)
        self.assertEqual(raised.exception.retry_after, 3000)
        e.set_time(T0 + 3600)
        self.assertEqual(e.token_limits(token.id).quota.remaining, 4)
        for _ in range(4):
            e.authenticate_token(token.plain_text)
        with self.assertRaises(authkv.QuotaExhausted) as raised:
            e.authenticate_token(token.plain_text)
        self.assertEqual(raised.exception.retry_after, 3600)

    def test_the_rate_limit_is_checked_before_the_quota_is_spent(self):
        e = self.engine
        token = e.create_token(
            9, "both", rate_limit=authkv.RateLimit(2, 10), quota=authkv.Quota(3)
        )
        for _ in range(2):
            e.authenticate_token(token.plain_text)
        with self.assertRaises(authkv.RateLimited) as raised:
            e.authenticate_token(token.plain_text)
        self.assertEqual(raised.exception.retry_after, 10)
        self.assertEqual(e.token_limits(token.id).quota.remaining, 1)
        e.set_time(T0 + 10)
        e.authenticate_token(token.plain_text)
        with self.assertRaises(authkv.QuotaExhausted):
            e.authenticate_token(token.plain_text)

    def test_set_token_limits_adds_replaces_resets_and_removes(self):
        e = self.engine
        token = e.create_token(9, "later")
        self.assertIsNone(e.token_limits(token.id))
        self.assertIsNone(e.token_limits(999))  # no such token: no limits either
        e.set_token_limits(token.id, rate_limit=authkv.RateLimit(2, 60))
        for _ in range(2):
            e.authenticate_token(token.plain_text)
        with self.assertRaises(authkv.RateLimited):
            e.authenticate_token(token.plain_text)
        # Setting limits again starts the counts over.
        e.set_token_limits(token.id, rate_limit=authkv.RateLimit(2, 60))
        for _ in range(2):
            e.authenticate_token(token.plain_text)
        with self.assertRaises(authkv.RateLimited):
            e.authenticate_token(token.plain_text)

        e.set_token_limits(token.id, quota=authkv.Quota(1))
        self.assertEqual(e.token_limits(token.id), authkv.TokenLimits(None, authkv.Quota(1)))
        e.authenticate_token(token.plain_text)
        with self.assertRaises(authkv.QuotaExhausted):
            e.authenticate_token(token.plain_text)
        e.set_token_limits(token.id, quota=authkv.Quota(2))
        self.assertEqual(e.token_limits(token.id).quota.remaining, 2)

        e.set_token_limits(token.id)  # neither: unlimited
        self.assertIsNone(e.token_limits(token.id))
        for _ in range(10):
            e.authenticate_token(token.plain_text)
        e.revoke_token(token.id)
        self.assertIsNone(e.token_limits(token.id))
        self.assertConsistent()

    def test_each_thread_reads_the_wait_of_its_own_refusal(self):
        import threading

        e = self.engine
        # Token n waits 10 * (n + 1) s once over its limit: a wait read from
        # another thread's refusal would not match.
        tokens = [
            e.create_token(9, f"t{n}", rate_limit=authkv.RateLimit(1, 10 * (n + 1)))
            for n in range(6)
        ]
        for token in tokens:
            e.authenticate_token(token.plain_text)
        seen = {}

        def worker(n: int) -> None:
            waits = set()
            for _ in range(200):
                try:
                    e.authenticate_token(tokens[n].plain_text)
                except authkv.RateLimited as limited:
                    waits.add(limited.retry_after)
            seen[n] = waits

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(len(tokens))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(seen, {n: {10 * (n + 1)} for n in range(len(tokens))})


class PasswordFlow(EngineTest):
    options = {"throttle_max_attempts": 3}

    def test_login_throttling_confirmation_and_change(self):
        e = self.engine
        e.set_password(42, "ada@example.com", "correct horse")
        with self.assertRaises(authkv.AlreadyExists):
            e.set_password(43, "ada@example.com", "x")
        self.assertEqual(e.attempt("ada@example.com", "correct horse", "192.0.2.5"), 42)
        for _ in range(3):
            with self.assertRaises(authkv.InvalidCredentials) as raised:
                e.attempt("ada@example.com", "wrong", "192.0.2.5")
            self.assertEqual(raised.exception.status, 107)
        with self.assertRaises(authkv.Throttled) as raised:
            e.attempt("ada@example.com", "correct horse", "192.0.2.5")
        self.assertEqual(raised.exception.retry_after, 60)
        self.assertEqual(e.attempt("ada@example.com", "correct horse", "192.0.2.6"), 42)
        e.set_time(T0 + 60)
        self.assertEqual(e.attempt("ada@example.com", "correct horse", "192.0.2.5"), 42)
        self.assertTrue(e.verify_password(42, "correct horse"))
        self.assertFalse(e.verify_password(42, "wrong"))

        here = e.login(e.create_session("192.0.2.5", "laptop").id, 42)
        there = e.login(e.create_session("192.0.2.6", "phone").id, 42)
        token = e.create_token(42, "app")
        e.change_password(42, "new battery", keep_session=here.id, revoke_tokens=True)
        self.assertEqual(e.load_session(here.id).user_id, 42)
        with self.assertRaises(authkv.NotFound):
            e.load_session(there.id)
        with self.assertRaises(authkv.Unauthenticated):
            e.authenticate_token(token.plain_text)
        self.assertEqual(e.attempt("ada@example.com", "new battery", "192.0.2.5"), 42)
        self.assertGreaterEqual(e.stats().password_verifications, 8)

    def test_remember_me_rotates_and_a_replay_is_theft(self):
        e = self.engine
        first = e.create_remember_token(42)
        user, second = e.consume_remember_token(first)
        self.assertEqual(user, 42)
        self.assertEqual(first[:16], second[:16])
        self.assertNotEqual(first, second)
        with self.assertRaises(authkv.TheftDetected) as raised:
            e.consume_remember_token(first)
        self.assertEqual((raised.exception.status, raised.exception.user_id), (108, 42))
        with self.assertRaises(authkv.Unauthenticated):
            e.consume_remember_token(second)
        e.create_remember_token(42)
        self.assertEqual(e.revoke_remember_tokens(42), 1)


class GuardFlow(EngineTest):
    options = {"stateful_domains": ["spa.test"]}

    def test_a_stale_login_needs_the_password_again_before_a_sensitive_action(self):
        options = {**FAST, "stateful_domains": ["spa.test"], "idle_lifetime_secs": 86400}
        e = authkv.Engine(str(self.dir / "fresh.redb"), **options)
        self.addCleanup(e.close)
        e.set_password(42, "ada", "the right password")
        user = e.login(e.create_session("192.0.2.5", "browser").id, 42)
        browser = {"Cookie": f"authkv_session={user.id}", "Referer": "https://spa.test/x"}
        e.require_fresh(e.authenticate("GET", browser), 3 * 3600)
        self.assertTrue(e.is_fresh(user.id, 3 * 3600))
        e.set_time(T0 + 3 * 3600 + 1)
        self.assertFalse(e.is_fresh(user.id, 3 * 3600))
        with self.assertRaises(authkv.ConfirmationRequired) as raised:
            e.require_fresh(e.authenticate("GET", browser), 3 * 3600)
        self.assertEqual((raised.exception.status, raised.exception.http_status), (109, 423))
        with self.assertRaises(authkv.InvalidCredentials):
            e.confirm_password(user.id, "a wrong guess")
        e.confirm_password(user.id, "the right password")
        self.assertTrue(e.is_fresh(user.id, 3 * 3600))
        e.require_fresh(e.authenticate("GET", browser), 3 * 3600)

    def test_fetch_metadata_mode_passes_same_origin_writes_without_a_token(self):
        options = {**FAST, "stateful_domains": ["spa.test"], "csrf_mode": "fetch-metadata"}
        e = authkv.Engine(str(self.dir / "fetch.redb"), **options)
        self.addCleanup(e.close)
        user = e.login(e.create_session("192.0.2.5", "browser").id, 42)
        browser = {"Cookie": f"authkv_session={user.id}", "Referer": "https://spa.test/x"}
        same = {**browser, "Sec-Fetch-Site": "same-origin"}
        self.assertEqual(e.authenticate("POST", same).user_id, 42)
        with self.assertRaises(authkv.CsrfMismatch):
            e.authenticate("POST", {**browser, "Sec-Fetch-Site": "cross-site"})
        with self.assertRaises(authkv.CsrfMismatch):
            e.authenticate("POST", browser)  # neither header
        with self.assertRaises(ValueError):
            authkv.Engine(str(self.dir / "bad.redb"), csrf_mode="lenient")

    def test_session_csrf_bearer_abilities_and_cookies(self):
        e = self.engine
        user = e.login(e.create_session("192.0.2.5", "browser").id, 42)
        browser = {"Cookie": f"theme=dark; authkv_session={user.id}", "Referer": "https://spa.test/x"}
        who = e.authenticate("GET", browser)
        self.assertEqual((who.user_id, who.via, who.token_id), (42, "session", None))
        self.assertEqual(who.abilities, ("*",))
        self.assertEqual(who.session.csrf_token, user.csrf_token)
        with self.assertRaises(authkv.CsrfMismatch) as raised:
            e.authenticate("POST", browser)
        self.assertEqual(raised.exception.status, 102)
        self.assertEqual(
            e.authenticate("POST", {**browser, "x-xsrf-token": user.csrf_token}).user_id, 42
        )
        self.assertEqual(e.authenticate("POST", browser, form_token=user.csrf_token).user_id, 42)

        token = e.create_token(9, "cli", ["orders:read"])
        api = e.authenticate("DELETE", {"AUTHORIZATION": f"Bearer {token.plain_text}"})
        self.assertEqual((api.user_id, api.via, api.token_id), (9, "token", token.id))
        self.assertIsNone(api.session)
        api.require(all=["orders:read"])
        with self.assertRaises(authkv.Forbidden) as raised:
            api.require(all=["orders:read", "orders:write"])
        self.assertIn("missing ability orders:write", raised.exception.message)
        with self.assertRaises(authkv.Forbidden):
            api.require(any=["a", "b"])
        api.require(any=["a", "orders:read"])
        with self.assertRaises(authkv.Unauthenticated):
            e.authenticate("GET", {})

        cookie = e.session_cookie(user.id)
        self.assertEqual(
            cookie,
            f"authkv_session={user.id}; Path=/; Max-Age=7200; Secure; HttpOnly; SameSite=Lax",
        )
        sent_back = cookie.split(";")[0]
        self.assertEqual(
            e.authenticate("GET", {"cookie": sent_back, "origin": "https://spa.test"}).user_id, 42
        )
        self.assertNotIn("HttpOnly", e.xsrf_cookie(user.csrf_token))
        self.assertTrue(e.clear_session_cookie().startswith("authkv_session=; Path=/; Max-Age=0"))


class ReadmeExample(unittest.TestCase):
    def test_the_readme_example_runs(self):
        import contextlib
        import io
        import os
        import tempfile

        with tempfile.TemporaryDirectory() as scratch:
            here = os.getcwd()
            os.chdir(scratch)
            try:
                with contextlib.redirect_stdout(io.StringIO()) as out:
                    runpy.run_path(str(support.PROJECT / "tests" / "readme_example.py"))
            finally:
                os.chdir(here)
        self.assertIn("api: user 42 via token", out.getvalue())


if __name__ == "__main__":
    unittest.main()
