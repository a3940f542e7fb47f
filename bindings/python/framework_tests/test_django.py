"""Django with authkv's session engine and bearer-token middleware, driven
by Django's own test client: the session row, its rotations and the
token guard as a real Django project sees them."""

from __future__ import annotations

import json
import shutil
import tempfile
import unittest
from pathlib import Path

import django
from django.conf import settings

SCRATCH = Path(tempfile.mkdtemp(prefix="authkv-django-"))

settings.configure(
    DEBUG=False,
    SECRET_KEY="authkv-framework-tests",
    ALLOWED_HOSTS=["testserver"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "authkv.django.auth.BearerTokenMiddleware",
    ],
    DATABASES={
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(SCRATCH / "db.sqlite3")}
    },
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],  # fast, for tests
    USE_TZ=True,
    SESSION_ENGINE="authkv.django.session",
    SESSION_COOKIE_NAME="app_session",
    SESSION_COOKIE_AGE=3600,
    SESSION_COOKIE_SAMESITE="Strict",
    SESSION_COOKIE_SECURE=True,
    AUTHKV_DATABASE=str(SCRATCH / "auth.redb"),
    AUTHKV_OPTIONS={
        "durable_commits": False,
        "argon2_m_cost": 64,
        "argon2_t_cost": 1,
        "argon2_p_cost": 1,
    },
)
django.setup()

from django.contrib.auth import authenticate, get_user_model, login, logout  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.middleware.csrf import get_token  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import path  # noqa: E402

import authkv  # noqa: E402
from authkv.django import get_engine  # noqa: E402
from authkv.django.auth import abilities_required  # noqa: E402
from authkv.django.session import SessionStore  # noqa: E402


def visit(request: HttpRequest) -> JsonResponse:
    request.session["cart"] = 3
    return JsonResponse({"csrf": get_token(request)})


def do_login(request: HttpRequest) -> JsonResponse:
    user = authenticate(
        request, username=request.POST["username"], password=request.POST["password"]
    )
    if user is None:
        return JsonResponse({"message": "wrong"}, status=422)
    login(request, user)
    return JsonResponse({"user": user.pk})


def do_logout(request: HttpRequest) -> JsonResponse:
    logout(request)
    return JsonResponse({})


def me(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "user": request.user.pk if request.user.is_authenticated else None,
            "cart": request.session.get("cart"),
        }
    )


@abilities_required("orders:read")
def orders(request: HttpRequest) -> JsonResponse:
    principal = getattr(request, "authkv", None)
    return JsonResponse(
        {
            "user": request.user.username,
            "abilities": list(principal.abilities) if principal else ["*"],
            "method": request.method,
        }
    )


@abilities_required("orders:write")
def write_orders(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"user": request.user.username})


def guard(request: HttpRequest) -> JsonResponse:
    """authkv's guard fed Django's request.META directly."""
    try:
        who = get_engine().authenticate(request.method, request.META)
    except authkv.AuthkvError as error:
        return JsonResponse({"message": error.message}, status=error.http_status)
    return JsonResponse({"user": who.user_id, "via": who.via})


urlpatterns = [
    path("visit", visit),
    path("login", do_login),
    path("logout", do_logout),
    path("me", me),
    path("orders", orders),
    path("orders/write", write_orders),
    path("guard", guard),
]


def setUpModule() -> None:
    setup_test_environment()
    call_command("migrate", verbosity=0)


def tearDownModule() -> None:
    get_engine().close()
    shutil.rmtree(SCRATCH, ignore_errors=True)


class DjangoTest(unittest.TestCase):
    def setUp(self) -> None:
        self.engine = get_engine()
        model = get_user_model()
        model.objects.all().delete()
        self.ada = model.objects.create_user("ada", password="correct horse")
        self.client = Client()

    def session_id(self, response=None) -> str:
        cookies = response.cookies if response is not None else self.client.cookies
        return cookies["app_session"].value

    def log_in(self) -> str:
        self.client.get("/visit")
        response = self.client.post("/login", {"username": "ada", "password": "correct horse"})
        self.assertEqual(response.status_code, 200, response.content)
        return self.session_id(response)


class DjangoSessions(DjangoTest):
    def test_login_rotates_the_id_and_the_session_persists_across_requests(self):
        visitor = self.session_id(self.client.get("/visit"))
        self.assertEqual(len(visitor), 40)
        self.assertIsNone(self.engine.load_session(visitor).user_id)

        response = self.client.post("/login", {"username": "ada", "password": "correct horse"})
        logged_in = self.session_id(response)
        self.assertNotEqual(logged_in, visitor)
        with self.assertRaises(authkv.NotFound):
            self.engine.load_session(visitor)
        # The authkv row knows its user, so authkv's per-user calls see it.
        self.assertEqual(self.engine.load_session(logged_in).user_id, self.ada.pk)
        self.assertEqual(len(self.engine.user_sessions(self.ada.pk)), 1)

        for _ in range(2):
            self.assertEqual(self.client.get("/me").json(), {"user": self.ada.pk, "cart": 3})
        self.assertEqual(self.session_id(), logged_in)

    def test_the_session_cookie_follows_django_settings(self):
        cookie = self.client.get("/visit").cookies["app_session"]
        self.assertEqual(cookie["max-age"], 3600)
        self.assertEqual(cookie["samesite"], "Strict")
        self.assertTrue(cookie["secure"])
        self.assertTrue(cookie["httponly"])
        self.assertTrue(self.engine.session_cookie("x" * 40).startswith("app_session="))

    def test_logout_flushes_the_session(self):
        logged_in = self.log_in()
        response = self.client.post("/logout")
        self.assertEqual(response.cookies["app_session"].value, "")
        with self.assertRaises(authkv.NotFound):
            self.engine.load_session(logged_in)
        self.assertEqual(self.engine.user_sessions(self.ada.pk), [])
        self.assertEqual(self.client.get("/me").json(), {"user": None, "cart": None})

    def test_a_session_revoked_in_authkv_logs_the_browser_out(self):
        self.log_in()
        self.assertEqual(self.engine.revoke_user_sessions(self.ada.pk), 1)
        self.assertEqual(self.client.get("/me").json(), {"user": None, "cart": None})

    def test_an_unknown_cookie_starts_a_new_session_with_an_authkv_id(self):
        self.client.cookies["app_session"] = "made-up-by-the-client"
        issued = self.session_id(self.client.get("/visit"))
        self.assertNotEqual(issued, "made-up-by-the-client")
        self.assertEqual(self.engine.load_session(issued).user_id, None)

    def test_session_store_api(self):
        store = SessionStore()
        store["n"] = 1
        store.save()
        key = store.session_key
        self.assertTrue(store.exists(key))
        self.assertEqual(SessionStore(key)["n"], 1)
        store.cycle_key()
        self.assertNotEqual(store.session_key, key)
        self.assertFalse(store.exists(key))
        self.assertEqual(SessionStore(store.session_key)["n"], 1)
        store.flush()
        self.assertIsNone(store.session_key)
        SessionStore.clear_expired()


class DjangoCsrf(DjangoTest):
    def test_a_cookie_session_post_without_csrf_token_is_refused_by_django(self):
        self.client = Client(enforce_csrf_checks=True)
        csrf = self.client.get("/visit").json()["csrf"]
        response = self.client.post(
            "/login", {"username": "ada", "password": "correct horse"}
        )
        self.assertEqual(response.status_code, 403)
        response = self.client.post(
            "/login", {"username": "ada", "password": "correct horse", "csrfmiddlewaretoken": csrf}
        )
        self.assertEqual(response.status_code, 200)

    def test_a_bearer_post_needs_no_csrf_token(self):
        self.client = Client(enforce_csrf_checks=True)
        token = self.engine.create_token(self.ada.pk, "cli", ["orders:write"])
        response = self.client.post(
            "/orders/write", headers={"Authorization": f"Bearer {token.plain_text}"}
        )
        self.assertEqual(response.status_code, 200, response.content)


class DjangoTokens(DjangoTest):
    def bearer(self, path: str, token: str, method: str = "get"):
        return getattr(self.client, method)(path, headers={"Authorization": f"Bearer {token}"})

    def test_a_token_with_the_ability_is_the_user_with_its_abilities(self):
        token = self.engine.create_token(self.ada.pk, "cli", ["orders:read"])
        response = self.bearer("/orders", token.plain_text)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(
            response.json(), {"user": "ada", "abilities": ["orders:read"], "method": "GET"}
        )

    def test_a_missing_ability_is_403(self):
        token = self.engine.create_token(self.ada.pk, "cli", ["orders:read"])
        response = self.bearer("/orders/write", token.plain_text, "post")
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json(), {"message": "Forbidden."})

    def test_a_bad_token_is_401(self):
        for token in ("1|not-a-real-token", "garbage"):
            response = self.bearer("/me", token)
            self.assertEqual(response.status_code, 401)
            self.assertEqual(response["WWW-Authenticate"], "Bearer")

    def test_a_token_over_its_rate_limit_is_429_with_retry_after(self):
        token = self.engine.create_token(
            self.ada.pk, "cli", ["orders:read"], rate_limit=authkv.RateLimit(3, 60)
        )
        for _ in range(3):
            self.assertEqual(self.bearer("/orders", token.plain_text).status_code, 200)
        response = self.bearer("/orders", token.plain_text)
        self.assertEqual(response.status_code, 429)
        self.assertEqual(response.json(), {"message": "Too Many Attempts."})
        # The system clock: the rest of the 60 s window, at least a second.
        self.assertIn(int(response["Retry-After"]), range(1, 61))
        self.assertFalse(response.has_header("WWW-Authenticate"))

    def test_a_used_up_quota_is_429_without_retry_after_when_it_never_refills(self):
        token = self.engine.create_token(
            self.ada.pk, "cli", ["orders:read"], quota=authkv.Quota(1)
        )
        self.assertEqual(self.bearer("/orders", token.plain_text).status_code, 200)
        response = self.bearer("/orders", token.plain_text)
        self.assertEqual(response.status_code, 429)
        self.assertFalse(response.has_header("Retry-After"))
        self.engine.set_token_limits(
            token.id, quota=authkv.Quota(0, refill_amount=10, refill_interval=3600)
        )
        response = self.bearer("/orders", token.plain_text)
        self.assertEqual(response.status_code, 429)
        self.assertIn(int(response["Retry-After"]), range(3590, 3601))

    def test_a_token_of_a_deleted_user_is_401(self):
        token = self.engine.create_token(self.ada.pk, "cli", ["orders:read"])
        self.ada.delete()
        self.assertEqual(self.bearer("/orders", token.plain_text).status_code, 401)

    def test_a_logged_in_session_user_has_every_ability(self):
        self.log_in()
        self.assertEqual(self.client.get("/orders").json()["abilities"], ["*"])

    def test_no_user_at_all_is_401(self):
        self.assertEqual(self.client.get("/orders").status_code, 401)

    def test_the_guard_reads_request_meta(self):
        token = self.engine.create_token(self.ada.pk, "cli", [])
        response = self.bearer("/guard", token.plain_text)
        self.assertEqual(response.json(), {"user": self.ada.pk, "via": "token"})
        self.assertEqual(self.client.get("/guard").status_code, 401)
        # A first-party request: the engine reads Django's cookie name.
        self.log_in()
        response = self.client.get("/guard", headers={"Origin": "http://localhost:3000"})
        self.assertEqual(response.json(), {"user": self.ada.pk, "via": "session"})


if __name__ == "__main__":
    unittest.main()
