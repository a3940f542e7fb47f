"""Eight Python threads share one engine: sessions, saves, logins, CSRF
checks, token authentication and the guard, all at once; afterwards the
file is consistent and every thread's work is there."""

from __future__ import annotations

import threading
import unittest

from support import EngineTest

import authkv

THREADS = 8
ROUNDS = 60


class SharedEngine(EngineTest):
    def test_eight_threads_share_one_engine_and_leave_it_consistent(self):
        e = self.engine
        shared = e.create_token(500, "shared", ["orders:read"])
        failures = []
        kept = {}

        def worker(n: int) -> None:
            try:
                user = 100 + n
                for round_ in range(ROUNDS):
                    token = e.authenticate_token(shared.plain_text)
                    assert token.user_id == 500 and token.can("orders:read")
                    s = e.create_session("192.0.2.1", f"worker {n}")
                    payload = f"t{n}-r{round_}".encode()
                    e.save_session(s.id, payload, expected_version=0)
                    assert e.load_session(s.id).payload == payload
                    s = e.login(s.id, user)
                    assert e.verify_csrf(s.id, s.csrf_token)
                    who = e.authenticate(
                        "POST",
                        {
                            "Cookie": f"authkv_session={s.id}",
                            "Origin": "http://localhost:3000",
                            "X-CSRF-TOKEN": s.csrf_token,
                        },
                    )
                    assert who.user_id == user and who.via == "session"
                    if round_ % 10 == 0:
                        own = e.create_token(user, "own", ["jobs:run"])
                        assert e.authenticate_token(own.plain_text).id == own.id
                        e.revoke_token(own.id)
                    if round_ % 2:
                        e.destroy_session(s.id)
                    else:
                        kept.setdefault(n, []).append(s.id)
                    if round_ % 15 == 0:
                        e.flush()
                        e.gc()
            except Exception as error:  # noqa: BLE001 - reported below
                failures.append((n, repr(error)))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(failures, [])
        e.flush()
        self.assertEqual(e.verify(), [])
        stats = e.stats()
        self.assertEqual(stats.sessions, THREADS * ROUNDS // 2)
        self.assertEqual(stats.tokens, 1)
        for n, ids in kept.items():
            self.assertEqual(len(e.user_sessions(100 + n)), len(ids))
        last = shared.plain_text[-1]
        forged = shared.plain_text[:-1] + ("1" if last == "0" else "0")
        with self.assertRaises(authkv.Unauthenticated):
            e.authenticate_token(forged)


if __name__ == "__main__":
    unittest.main()
