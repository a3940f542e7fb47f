"""Damaged files through the Python binding: each is ``authkv.Corrupt``,
never another record's data, and is left exactly as found."""

from __future__ import annotations

import os
import tempfile
import unittest

from support import FAST

import authkv

#: ``AUTHKV_CREATE_IF_MISSING_OR_EMPTY``: make a new database in an empty file.
CREATE_IF_MISSING_OR_EMPTY = 1


class DamagedFiles(unittest.TestCase):
    def setUp(self):
        self._dir = tempfile.TemporaryDirectory()
        self.dir = self._dir.name
        self.addCleanup(self._dir.cleanup)

    def path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    def test_an_empty_or_truncated_file_is_corrupt_and_left_as_found(self):
        whole_path = self.path("whole.redb")
        with authkv.Engine(whole_path, **FAST) as engine:
            for _ in range(20):
                engine.create_session("1.2.3.4", "ua")
        with open(whole_path, "rb") as f:
            whole = f.read()
        for cut in (0, 100, len(whole) // 2):
            path = self.path(f"cut-{cut}.redb")
            with open(path, "wb") as f:
                f.write(whole[:cut])
            with self.assertRaises(authkv.Corrupt, msg=f"cut at {cut}"):
                authkv.Engine(path, **FAST)
            with open(path, "rb") as f:
                self.assertEqual(f.read(), whole[:cut], f"cut at {cut}: changed")
        empty = self.path("empty.redb")
        open(empty, "wb").close()
        authkv.Engine(empty, create=CREATE_IF_MISSING_OR_EMPTY, **FAST).close()

    def test_a_flipped_byte_in_a_record_is_corrupt_never_other_data(self):
        path = self.path("flip.redb")
        payload = b"the payload of user 42: " + bytes(range(32, 127))
        with authkv.Engine(path, **FAST) as engine:
            session = engine.login(engine.create_session("1.2.3.4", "ua").id, 42)
            engine.save_session(session.id, payload)
        with open(path, "rb") as f:
            data = bytearray(f.read())
        start = data.find(payload)
        self.assertGreaterEqual(start, 0, "the payload is stored as written")
        while start >= 0:  # every copy redb keeps
            data[start + 30] ^= 0x01
            start = data.find(payload, start + 1)
        with open(path, "wb") as f:
            f.write(data)
        with authkv.Engine(path, **FAST) as engine:
            with self.assertRaises(authkv.Corrupt):
                engine.load_session(session.id)
            # From the first sign of damage the file is only read.
            with self.assertRaises(authkv.Corrupt):
                engine.create_session("1.2.3.4", "ua")


if __name__ == "__main__":
    unittest.main()
