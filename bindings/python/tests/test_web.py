"""What web frameworks rely on, without any framework: the guard reads any
header mapping (a dict, an object with ``items()`` as werkzeug's headers,
Django's ``request.META``), every exception names its HTTP status, and the
library is found in the order the README gives."""

from __future__ import annotations

import os
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import support  # noqa: F401  (puts the package on the path)
from support import EngineTest

import authkv
from authkv import _ffi, errors


class HeaderItems:
    """Like werkzeug's ``Headers``: ``items()``, no ``Mapping`` base, and a
    name may repeat."""

    def __init__(self, *pairs):
        self.pairs = pairs

    def items(self):
        return iter(self.pairs)


class GuardHeaderMappings(EngineTest):
    options = {"stateful_domains": ["spa.test"]}

    def setUp(self) -> None:
        super().setUp()
        self.token = self.engine.create_token(9, "cli", ["orders:read"]).plain_text
        self.user = self.engine.login(self.engine.create_session("", "").id, 42)

    def test_django_meta_keys_are_read_as_their_headers(self):
        meta = {
            "REQUEST_METHOD": "POST",
            "wsgi.input": object(),  # not a header; ignored
            "CONTENT_LENGTH": "0",
            "HTTP_COOKIE": f"authkv_session={self.user.id}",
            "HTTP_REFERER": "https://spa.test/page",
            "HTTP_X_CSRF_TOKEN": self.user.csrf_token,
        }
        self.assertEqual(self.engine.authenticate("POST", meta).user_id, 42)
        with self.assertRaises(authkv.CsrfMismatch):
            self.engine.authenticate("POST", {**meta, "HTTP_X_CSRF_TOKEN": "x" * 40})
        bearer = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}
        self.assertEqual(self.engine.authenticate("GET", bearer).user_id, 9)

    def test_an_object_with_items_is_read_like_a_mapping(self):
        headers = HeaderItems(
            ("Accept", "text/html"),
            ("Accept", "application/json"),  # repeats of unread headers are fine
            ("Authorization", f"Bearer {self.token}"),
        )
        self.assertEqual(self.engine.authenticate("GET", headers).user_id, 9)

    def test_a_read_header_given_twice_is_refused(self):
        for headers in (
            HeaderItems(("Cookie", "a=1"), ("Cookie", "b=2")),
            {"Authorization": "Bearer a", "HTTP_AUTHORIZATION": "Bearer b"},
        ):
            with self.assertRaises(ValueError):
                self.engine.authenticate("GET", headers)

    def test_something_that_is_not_a_mapping_is_a_type_error(self):
        for headers in ("Authorization: Bearer x", [("Authorization", "Bearer x")], None):
            with self.assertRaises(TypeError):
                self.engine.authenticate("GET", headers)


class HttpStatuses(unittest.TestCase):
    def test_every_exception_has_the_http_status_a_response_needs(self):
        expected = {
            errors.InvalidArgument: 400,
            errors.PayloadTooLarge: 413,
            errors.NotFound: 404,
            errors.Conflict: 409,
            errors.CsrfMismatch: 419,
            errors.Unauthenticated: 401,
            errors.Forbidden: 403,
            errors.Throttled: 429,
            errors.AlreadyExists: 409,
            errors.InvalidCredentials: 401,
            errors.TheftDetected: 401,
            errors.Unavailable: 503,
            errors.ConfirmationRequired: 423,
            errors.RateLimited: 429,
            errors.QuotaExhausted: 429,
        }
        for status, error_class in errors.BY_STATUS.items():
            with self.subTest(error=error_class.__name__):
                error = errors.error_for(status, "m")
                self.assertEqual(error.http_status, expected.get(error_class, 500))
        self.assertEqual(errors.error_for(999, "m").http_status, 500)


class LibrarySearchOrder(unittest.TestCase):
    def setUp(self) -> None:
        self._dir = tempfile.TemporaryDirectory()
        self.package = Path(self._dir.name) / "site-packages" / "authkv"
        self.package.mkdir(parents=True)

    def tearDown(self) -> None:
        self._dir.cleanup()

    def library_path(self, environ: dict) -> str:
        with mock.patch.object(_ffi, "PACKAGE_DIR", self.package), mock.patch.dict(
            os.environ, environ, clear=True
        ), mock.patch("ctypes.util.find_library", return_value="libauthkv.so.0"):
            return _ffi.library_path()

    def test_authkv_library_first_then_the_bundled_copy_then_the_system(self):
        self.assertEqual(self.library_path({}), "libauthkv.so.0")
        bundled = self.package / "libauthkv.so"
        bundled.touch()
        self.assertEqual(self.library_path({}), str(bundled))
        self.assertEqual(self.library_path({"AUTHKV_LIBRARY": "/opt/x.so"}), "/opt/x.so")


if __name__ == "__main__":
    unittest.main()
