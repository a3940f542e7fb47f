"""The PostgreSQL backend from Python: two engines on one database, as two
hosts behind a load balancer would have. The database comes from
``AUTHKV_TEST_DATABASE`` (a connection string naming an empty schema),
which ``tests/python_binding.rs`` sets when the library under test has the
``postgres`` feature."""

from __future__ import annotations

import os
import unittest

from support import FAST, authkv

DATABASE = os.environ.get("AUTHKV_TEST_DATABASE")


@unittest.skipUnless(DATABASE, "AUTHKV_TEST_DATABASE names no database")
class TwoHosts(unittest.TestCase):
    def setUp(self):
        self.a = authkv.Engine(url=DATABASE, **FAST)
        self.b = authkv.Engine(url=DATABASE, **FAST)

    def tearDown(self):
        self.a.close()
        self.b.close()

    def test_a_logout_on_one_host_is_refused_by_the_other_at_once(self):
        session = self.a.login(self.a.create_session("10.0.0.1", "ua").id, 42)
        self.assertEqual(self.b.load_session(session.id).user_id, 42)
        self.assertEqual(self.b.load_session(session.id).user_id, 42)  # cached
        self.a.invalidate_session(session.id)
        with self.assertRaises(authkv.NotFound):
            self.b.load_session(session.id)

    def test_a_revoked_token_is_refused_by_the_other_host(self):
        token = self.a.create_token(7, "deploy", ["read"])
        self.assertIsNotNone(self.b.authenticate_token(token.plain_text))
        self.a.revoke_token(token.id)
        with self.assertRaises(authkv.Unauthenticated):
            self.b.authenticate_token(token.plain_text)


class Misuse(unittest.TestCase):
    def test_a_path_and_a_url_together_or_neither_are_refused(self):
        with self.assertRaises(authkv.InvalidArgument):
            authkv.Engine("x.redb", url="host=/nowhere")
        with self.assertRaises(authkv.InvalidArgument):
            authkv.Engine()

    @unittest.skipUnless(DATABASE, "the library may be built without PostgreSQL")
    def test_an_unreachable_server_is_unavailable_without_the_password(self):
        url = "postgresql://app:hunter2-secret@localhost/app?host=/nonexistent&port=1"
        with self.assertRaises(authkv.Unavailable) as raised:
            authkv.Engine(url=url)
        self.assertEqual(raised.exception.http_status, 503)
        self.assertNotIn("hunter2-secret", str(raised.exception))


if __name__ == "__main__":
    unittest.main()
