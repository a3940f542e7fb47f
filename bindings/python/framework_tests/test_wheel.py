"""The package as ``pip install bindings/python`` installed it: a
platform wheel that carries libauthkv, loaded without AUTHKV_LIBRARY."""

from __future__ import annotations

import importlib.metadata
import os
import sysconfig
import tempfile
import unittest
from pathlib import Path

import authkv
from authkv import _ffi

PACKAGE = Path(authkv.__file__).resolve().parent


class InstalledWheel(unittest.TestCase):
    def test_the_package_is_the_installed_one_not_the_source_tree(self):
        installed = {Path(sysconfig.get_paths()[k]).resolve() for k in ("purelib", "platlib")}
        self.assertIn(PACKAGE.parent, installed)

    def test_the_bundled_library_is_loaded_without_authkv_library(self):
        self.assertNotIn(_ffi.LIBRARY_ENV, os.environ)
        self.assertEqual(Path(_ffi.library_path()), PACKAGE / "libauthkv.so")
        self.assertEqual(authkv.library_version(), "0.1.0")
        with tempfile.TemporaryDirectory() as scratch:
            with authkv.Engine(Path(scratch) / "app.redb", durable_commits=False) as engine:
                visitor = engine.create_session("203.0.113.9", "Mozilla/5.0")
                self.assertIsNone(engine.load_session(visitor.id).user_id)

    def test_the_wheel_is_platform_specific_and_typed(self):
        wheel = importlib.metadata.distribution("authkv").read_text("WHEEL") or ""
        self.assertIn("Root-Is-Purelib: false", wheel)
        tags = [line.split(": ")[1] for line in wheel.splitlines() if line.startswith("Tag: ")]
        self.assertEqual(len(tags), 1)
        self.assertTrue(tags[0].startswith("py3-none-") and not tags[0].endswith("-any"), tags)
        self.assertTrue((PACKAGE / "py.typed").is_file())
        self.assertTrue((PACKAGE / "django" / "session.py").is_file())
        self.assertTrue((PACKAGE / "flask.py").is_file())


if __name__ == "__main__":
    unittest.main()
