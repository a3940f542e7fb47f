"""Bad calls through the Python binding: wrong types and None are
TypeError before any call; out-of-range numbers, over-limit lengths,
invalid UTF-8 and malformed values are the library's refusals, each as its
exception with the status and the library's message; nothing is stored."""

from __future__ import annotations

import unittest

from support import FAST, EngineTest

import authkv
from authkv import errors

BAD_UTF8 = "\udcff"  # a lone surrogate: encodes to bytes that are not UTF-8


class WrongTypes(EngineTest):
    def test_wrong_types_and_none_are_type_errors(self):
        e = self.engine
        s = e.create_session("1.2.3.4", "ua")
        calls = [
            lambda: e.create_session(None, "ua"),
            lambda: e.create_session(b"1.2.3.4", "ua"),
            lambda: e.load_session(None),
            lambda: e.load_session(b"x" * 40),
            lambda: e.save_session(s.id, "text, not bytes"),
            lambda: e.save_session(s.id, None),
            lambda: e.login(s.id, "42"),
            lambda: e.login(s.id, True),
            lambda: e.login(s.id, None),
            lambda: e.create_token(9, None),
            lambda: e.create_token(9, "cli", "orders:read"),  # a str, not a list
            lambda: e.create_token(9, "cli", [b"orders:read"]),
            lambda: e.create_token(9, "cli", None),
            lambda: e.create_token(9, "cli", expires_at="soon"),
            lambda: e.create_token(9, "cli", rate_limit=(3, 60)),  # a tuple, not a RateLimit
            lambda: e.create_token(9, "cli", quota=5),
            lambda: e.create_token(9, "cli", rate_limit=authkv.RateLimit("3", 60)),
            lambda: e.create_token(9, "cli", quota=authkv.Quota(5, refill_interval=1.5)),
            lambda: e.set_token_limits(1, rate_limit=authkv.Quota(3)),
            lambda: e.set_token_limits("1"),
            lambda: e.token_limits(None),
            lambda: e.authenticate_token(None),
            lambda: e.set_password(42, "ada", None),
            lambda: e.attempt("ada", "pw", None),
            lambda: e.consume_remember_token(b"token"),
            lambda: e.change_password(42, "pw", revoke_tokens=1),
            lambda: e.authenticate(None, {}),
            lambda: e.authenticate("GET", [("Cookie", "a=1")]),
            lambda: e.authenticate("GET", {"Cookie": None}),
            lambda: e.authenticate("GET", {b"Cookie": "a=1"}),
            lambda: e.session_cookie(None),
            lambda: authkv.Engine(self.path, manual_clock="yes"),
            lambda: authkv.Engine(self.path, exclusive=1),
            lambda: authkv.Engine(self.path, token_prefix=None),
            lambda: authkv.Engine(self.path, no_such_option=1),
        ]
        for index, call in enumerate(calls):
            with self.subTest(call=index):
                with self.assertRaises(TypeError):
                    call()
        self.assertEqual(e.stats().sessions, 1)

    def test_numbers_out_of_range_are_refused_before_the_call(self):
        for call in (
            lambda: self.engine.login("A" * 40, -1),
            lambda: self.engine.create_token(2**64, "cli"),
            lambda: self.engine.set_time(-5),
            lambda: self.engine.create_token(9, "cli", rate_limit=authkv.RateLimit(-1, 60)),
            lambda: self.engine.set_token_limits(1, quota=authkv.Quota(2**64)),
        ):
            with self.assertRaises(authkv.InvalidArgument) as raised:
                call()
            self.assertEqual(raised.exception.status, 2)
            self.assertIsInstance(raised.exception, ValueError)

    def test_a_header_given_twice_in_two_cases_is_refused(self):
        with self.assertRaises(ValueError):
            self.engine.authenticate("GET", {"Cookie": "a=1", "cookie": "b=2"})


class LibraryRefusals(EngineTest):
    options = {"max_payload": 64}

    def assertRefused(self, error, call, message=None):
        with self.assertRaises(error) as raised:
            call()
        self.assertTrue(raised.exception.message, "the library left a message")
        self.assertIs(errors.BY_STATUS[raised.exception.status], error)
        if message is not None:
            self.assertIn(message, raised.exception.message)
        return raised.exception

    def test_over_limit_malformed_and_invalid_utf8(self):
        e = self.engine
        s = e.create_session("1.2.3.4", "ua")
        token = e.create_token(9, "cli", ["read"])
        e.set_password(42, "ada", "pw")
        remember = e.create_remember_token(42)
        before = e.stats()

        self.assertRefused(authkv.InvalidArgument, lambda: e.create_session("1" * 46, "ua"), "46 bytes")
        self.assertRefused(authkv.InvalidArgument, lambda: e.create_session(BAD_UTF8, "ua"), "not valid UTF-8")
        self.assertRefused(authkv.PayloadTooLarge, lambda: e.save_session(s.id, b"p" * 65), "65 bytes")
        self.assertRefused(authkv.NotFound, lambda: e.load_session("short"), "malformed")
        self.assertRefused(authkv.NotFound, lambda: e.load_session("A" * 39 + BAD_UTF8))
        self.assertRefused(authkv.InvalidArgument, lambda: e.revoke_session("zz" + "0" * 62))
        self.assertRefused(authkv.InvalidArgument, lambda: e.revoke_user_sessions(42, keep="short"))
        self.assertRefused(authkv.InvalidArgument, lambda: e.create_token(9, "n" * 256), "255")
        self.assertRefused(authkv.InvalidArgument, lambda: e.create_token(9, ""), "empty")
        self.assertRefused(authkv.InvalidArgument, lambda: e.create_token(9, "cli", ["a"] * 65), "65 token abilities")
        self.assertRefused(authkv.InvalidArgument, lambda: e.create_token(9, "cli", ["a\nb"]), "newline")
        self.assertRefused(authkv.InvalidArgument, lambda: e.create_token(9, "cli", [""]), "abilities[0] is empty")
        self.assertRefused(authkv.InvalidArgument, lambda: e.create_token(9, BAD_UTF8))
        for bad in ("", "garbage", "0|" + "A" * 48, token.plain_text[:-1] + "x", "1" * 200, BAD_UTF8):
            self.assertRefused(authkv.Unauthenticated, lambda bad=bad: e.authenticate_token(bad))
        self.assertRefused(authkv.NotFound, lambda: e.revoke_token(999))
        self.assertRefused(authkv.InvalidArgument, lambda: e.import_sanctum_token(0, 1, "n", "0" * 64), "ids start at 1")
        self.assertRefused(authkv.InvalidArgument, lambda: e.import_sanctum_token(5, 1, "n", "zz"), "64 hex")
        self.assertRefused(authkv.AlreadyExists, lambda: e.import_sanctum_token(token.id, 1, "n", "0" * 64))
        self.assertRefused(authkv.InvalidArgument, lambda: e.set_password(42, "l" * 321, "pw"), "320")
        self.assertRefused(authkv.InvalidArgument, lambda: e.set_password(42, "ada", "p" * 4097), "4096")
        self.assertRefused(authkv.InvalidArgument, lambda: e.set_password(42, "", "pw"), "login must not be empty")
        self.assertRefused(authkv.AlreadyExists, lambda: e.set_password(43, "ada", "pw"))
        self.assertRefused(authkv.InvalidArgument, lambda: e.attempt("ada", "pw", "1" * 46), "46 bytes")
        self.assertRefused(authkv.InvalidArgument, lambda: e.attempt("ada", BAD_UTF8, "ip"))
        self.assertRefused(authkv.InvalidArgument, lambda: e.verify_password(42, ""))
        self.assertRefused(authkv.InvalidArgument, lambda: e.change_password(42, "new", keep_session="short"))
        self.assertRefused(authkv.NotFound, lambda: e.change_password(77, "new"), "user 77")
        for bad in ("", "x" * 57, remember[:-1], remember + "x", BAD_UTF8 * 57):
            self.assertRefused(authkv.Unauthenticated, lambda bad=bad: e.consume_remember_token(bad))
        self.assertRefused(authkv.InvalidArgument, lambda: e.authenticate("", {}), "method is empty")
        self.assertRefused(authkv.InvalidArgument, lambda: e.authenticate("GET", {"Authorization": "b" * 8193}), "8193")
        self.assertRefused(authkv.InvalidArgument, lambda: e.authenticate("GET", {"Referer": BAD_UTF8}), "request.referer")
        self.assertRefused(
            authkv.InvalidArgument,
            lambda: e.authenticate("GET", {"Cookie": "a=1;" * 129, "Origin": "http://localhost"}),
            "128 cookie pairs",
        )
        self.assertRefused(authkv.NotFound, lambda: e.session_cookie("short"))
        self.assertRefused(authkv.InvalidArgument, lambda: e.xsrf_cookie("x;" * 20), "csrf_token is malformed")
        self.assertRefused(authkv.Misuse, lambda: authkv.Engine(self.path, **FAST), "max_payload")
        system_clock = authkv.Engine(str(self.dir / "system.redb"))
        self.assertRefused(authkv.Misuse, lambda: system_clock.set_time(5), "system clock")
        system_clock.close()

        after = e.stats()
        self.assertEqual(after.write_commits, before.write_commits)
        self.assertEqual((after.tokens, after.credentials, after.remember_tokens), (1, 1, 1))
        self.assertConsistent()
        self.assertEqual(e.authenticate_token(token.plain_text).user_id, 9)
        self.assertEqual(e.consume_remember_token(remember)[0], 42)

    def test_limits_out_of_range_and_unknown_tokens_are_refused(self):
        e = self.engine
        token = e.create_token(9, "cli")
        before = e.stats()
        for limits, message in (
            ({"rate_limit": authkv.RateLimit(0, 60)}, "max must be at least 1"),
            ({"rate_limit": authkv.RateLimit(3, 0)}, "window"),
            ({"quota": authkv.Quota(5, refill_amount=0, refill_interval=60)}, "refill_amount"),
            ({"quota": authkv.Quota(5, 5, refill_interval=0)}, "refill_interval"),
        ):
            with self.subTest(limits=limits):
                self.assertRefused(
                    authkv.InvalidArgument, lambda: e.create_token(9, "x", **limits), message
                )
                self.assertRefused(
                    authkv.InvalidArgument, lambda: e.set_token_limits(token.id, **limits), message
                )
        self.assertRefused(
            authkv.NotFound, lambda: e.set_token_limits(999, quota=authkv.Quota(1)), "999"
        )
        self.assertRefused(authkv.NotFound, lambda: e.set_token_limits(999))
        after = e.stats()
        self.assertEqual((after.write_commits, after.tokens), (before.write_commits, 1))
        self.assertIsNone(e.token_limits(token.id))
        self.assertConsistent()

    def test_bad_options_name_their_field(self):
        fresh = str(self.dir / "fresh.redb")
        for options, message in (
            ({"token_prefix": "a b"}, "token_prefix"),
            ({"token_prefix": "p" * 33}, "at most 32 bytes"),
            ({"stateful_domains": ["ok.test", "https://bad.test"]}, "pattern #1"),
            ({"session_cookie": "bad name"}, "session_cookie"),
            ({"session_cookie": BAD_UTF8}, "opts.session_cookie is not valid UTF-8"),
            ({"cookie_same_site": 9}, "cookie_same_site"),
            ({"cookie_host_prefix": True, "cookie_domain": "example.com"}, "Domain"),
            ({"argon2_m_cost": 1}, "argon2"),
            ({"throttle_max_attempts": 0}, "throttle_max_attempts"),
            ({"idle_lifetime_secs": 0}, "idle_lifetime"),
        ):
            with self.subTest(options=options):
                with self.assertRaises(authkv.InvalidArgument) as raised:
                    authkv.Engine(fresh, **{**FAST, **options})
                self.assertIn(message, raised.exception.message)

    def test_a_closed_engine_refuses_every_call(self):
        self.engine.close()
        self.engine.close()  # idempotent
        with self.assertRaises(authkv.Closed) as raised:
            self.engine.create_session("1.2.3.4", "ua")
        self.assertEqual(raised.exception.status, 303)


if __name__ == "__main__":
    unittest.main()
