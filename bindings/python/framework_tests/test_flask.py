"""Flask with authkv's session interface and ``abilities_required``,
driven by Flask's own test client."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

from flask import Flask, g, request, session

import authkv
from authkv.flask import AuthkvSessionInterface, abilities_required

FAST = dict(durable_commits=False, argon2_m_cost=64, argon2_t_cost=1, argon2_p_cost=1)


def make_app(engine: authkv.Engine) -> Flask:
    app = Flask(__name__)
    app.config.update(SESSION_COOKIE_NAME="app_session", SESSION_COOKIE_SAMESITE="Lax")
    app.session_interface = AuthkvSessionInterface(engine)

    @app.get("/visit")
    def visit():
        session["cart"] = 3
        return {}

    @app.post("/login")
    def login():
        user_id = engine.attempt(
            request.form["email"], request.form["password"], request.remote_addr or ""
        )
        session.login(user_id)
        return {"csrf": session.csrf_token}

    @app.post("/logout")
    @abilities_required()
    def logout():
        session.logout()
        return {}

    @app.get("/me")
    @abilities_required()
    def me():
        return {"user": g.authkv.user_id, "via": g.authkv.via, "cart": session.get("cart")}

    @app.get("/orders")
    @abilities_required("orders:read")
    def orders():
        return {"user": g.authkv.user_id, "abilities": list(g.authkv.abilities)}

    @app.post("/orders")
    @abilities_required("orders:write")
    def write_orders():
        return {"user": g.authkv.user_id}

    @app.get("/guard")
    def guard():
        """authkv's guard fed werkzeug's headers and the WSGI environ."""
        try:
            by_headers = engine.authenticate(request.method, request.headers)
            by_environ = engine.authenticate(request.method, request.environ)
        except authkv.AuthkvError as error:
            return {"message": error.message}, error.http_status
        return {"user": by_headers.user_id, "same": by_environ.user_id == by_headers.user_id}

    return app


class FlaskTest(unittest.TestCase):
    def setUp(self) -> None:
        self._dir = tempfile.TemporaryDirectory()
        self.engine = authkv.Engine(str(Path(self._dir.name) / "auth.redb"), **FAST)
        self.engine.set_password(42, "ada@example.com", "correct horse")
        self.client = make_app(self.engine).test_client()

    def tearDown(self) -> None:
        self.engine.close()
        self._dir.cleanup()

    def session_id(self) -> str:
        cookie = self.client.get_cookie("app_session")
        return cookie.value if cookie is not None else ""

    def log_in(self) -> str:
        """Logs Ada in; returns the session's CSRF token."""
        response = self.client.post(
            "/login", data={"email": "ada@example.com", "password": "correct horse"}
        )
        self.assertEqual(response.status_code, 200, response.data)
        return response.json["csrf"]


class FlaskSessions(FlaskTest):
    def test_login_rotates_the_id_and_the_session_persists_across_requests(self):
        self.client.get("/visit")
        visitor = self.session_id()
        self.assertEqual(len(visitor), 40)
        self.log_in()
        logged_in = self.session_id()
        self.assertNotEqual(logged_in, visitor)
        with self.assertRaises(authkv.NotFound):
            self.engine.load_session(visitor)
        self.assertEqual(self.engine.load_session(logged_in).user_id, 42)
        for _ in range(2):
            self.assertEqual(
                self.client.get("/me").json, {"user": 42, "via": "session", "cart": 3}
            )
        self.assertEqual(self.session_id(), logged_in)

    def test_the_cookie_holds_only_the_id_and_follows_flask_settings(self):
        response = self.client.get("/visit")
        set_cookie = response.headers["Set-Cookie"]
        self.assertTrue(set_cookie.startswith(f"app_session={self.session_id()};"))
        self.assertIn("HttpOnly", set_cookie)
        self.assertIn("SameSite=Lax", set_cookie)
        self.assertIn("Cookie", response.headers["Vary"])

    def test_logout_deletes_the_session_and_the_cookie(self):
        csrf = self.log_in()
        logged_in = self.session_id()
        response = self.client.post("/logout", headers={"X-CSRF-TOKEN": csrf})
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(self.session_id(), "")
        with self.assertRaises(authkv.NotFound):
            self.engine.load_session(logged_in)
        self.assertEqual(self.client.get("/me").status_code, 401)

    def test_a_session_revoked_in_authkv_is_401(self):
        self.log_in()
        self.engine.revoke_user_sessions(42)
        self.assertEqual(self.client.get("/me").status_code, 401)

    def test_a_visitor_without_data_gets_no_session(self):
        self.assertEqual(self.client.get("/me").status_code, 401)
        self.assertEqual(self.session_id(), "")
        self.assertEqual(self.engine.stats().sessions, 0)


class FlaskCsrf(FlaskTest):
    def test_a_cookie_session_post_without_csrf_token_is_419(self):
        csrf = self.log_in()
        response = self.client.post("/orders")
        self.assertEqual(response.status_code, 419)
        self.assertEqual(response.status, "419 Page Expired")
        self.assertEqual(response.json, {"message": "CSRF token mismatch."})
        wrong = self.client.post("/orders", headers={"X-CSRF-TOKEN": "x" * 40})
        self.assertEqual(wrong.status_code, 419)

    def test_the_csrf_token_is_accepted_from_header_or_form(self):
        csrf = self.log_in()
        for sent in ({"headers": {"X-CSRF-TOKEN": csrf}}, {"headers": {"X-XSRF-TOKEN": csrf}},
                     {"data": {"_token": csrf}}):
            with self.subTest(sent=list(sent)):
                response = self.client.post("/orders", **sent)
                self.assertEqual(response.status_code, 200, response.data)
                self.assertEqual(response.json, {"user": 42})

    def test_a_bearer_post_needs_no_csrf_token(self):
        token = self.engine.create_token(7, "cli", ["orders:write"])
        response = self.client.post(
            "/orders", headers={"Authorization": f"Bearer {token.plain_text}"}
        )
        self.assertEqual(response.status_code, 200)


class FlaskTokens(FlaskTest):
    def bearer(self, token: str, method: str = "get", path: str = "/orders"):
        return getattr(self.client, method)(path, headers={"Authorization": f"Bearer {token}"})

    def test_a_token_with_the_ability_is_200(self):
        token = self.engine.create_token(7, "cli", ["orders:read"])
        response = self.bearer(token.plain_text)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json, {"user": 7, "abilities": ["orders:read"]})

    def test_a_missing_ability_is_403(self):
        token = self.engine.create_token(7, "cli", ["orders:read"])
        response = self.bearer(token.plain_text, "post")
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json, {"message": "Forbidden."})

    def test_a_bad_token_is_401(self):
        for token in ("1|not-a-real-token", "garbage"):
            response = self.bearer(token)
            self.assertEqual(response.status_code, 401)
            self.assertEqual(response.headers["WWW-Authenticate"], "Bearer")
        self.assertEqual(self.client.get("/orders").status_code, 401)

    def test_a_token_over_its_rate_limit_is_429_with_retry_after(self):
        token = self.engine.create_token(
            7, "cli", ["orders:read"], rate_limit=authkv.RateLimit(3, 60)
        )
        for _ in range(3):
            self.assertEqual(self.bearer(token.plain_text).status_code, 200)
        response = self.bearer(token.plain_text)
        self.assertEqual(response.status_code, 429)
        self.assertEqual(response.json, {"message": "Too Many Attempts."})
        # The system clock: the rest of the 60 s window, at least a second.
        self.assertIn(int(response.headers["Retry-After"]), range(1, 61))
        self.assertNotIn("WWW-Authenticate", response.headers)

    def test_a_used_up_quota_is_429_without_retry_after_when_it_never_refills(self):
        token = self.engine.create_token(7, "cli", ["orders:read"], quota=authkv.Quota(1))
        self.assertEqual(self.bearer(token.plain_text).status_code, 200)
        response = self.bearer(token.plain_text)
        self.assertEqual(response.status_code, 429)
        self.assertNotIn("Retry-After", response.headers)
        self.engine.set_token_limits(
            token.id, quota=authkv.Quota(0, refill_amount=10, refill_interval=3600)
        )
        response = self.bearer(token.plain_text)
        self.assertEqual(response.status_code, 429)
        self.assertIn(int(response.headers["Retry-After"]), range(3590, 3601))

    def test_the_guard_reads_werkzeug_headers_and_the_environ(self):
        token = self.engine.create_token(7, "cli", [])
        response = self.bearer(token.plain_text, path="/guard")
        self.assertEqual(response.json, {"user": 7, "same": True})
        self.assertEqual(self.client.get("/guard").status_code, 401)


if __name__ == "__main__":
    unittest.main()
