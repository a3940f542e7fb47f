"""Shared by the tests: the package from this source tree, the header, and
engines on a manual clock in scratch directories."""

from __future__ import annotations

import os
import re
import sys
import tempfile
import unittest
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]  # bindings/python
REPO = PROJECT.parents[1]
HEADER = REPO / "include" / "authkv.h"
sys.path.insert(0, str(PROJECT))

import authkv  # noqa: E402  (after the path is set)

T0 = 1_700_000_000

#: Options every test engine uses: a manual clock at T0, no fsync, and
#: argon2 costs low enough for a test.
FAST = dict(
    manual_clock=True,
    manual_clock_start=T0,
    durable_commits=False,
    argon2_m_cost=64,
    argon2_t_cost=1,
    argon2_p_cost=1,
)


def header_text() -> str:
    return HEADER.read_text(encoding="utf-8")


def header_macros() -> dict:
    """``AUTHKV_*`` macros with integer values (expressions evaluated)."""
    macros = {}
    for name, value in re.findall(r"^#define (AUTHKV_\w+) (.+)$", header_text(), re.M):
        if name == "AUTHKV_H":
            continue
        macros[name] = eval(value, {}, dict(macros))  # the header's own arithmetic
    return macros


def header_functions() -> dict:
    """Function name -> parameter list text, for every declaration."""
    text = re.sub(r"/\*.*?\*/", "", header_text(), flags=re.S)
    found = {}
    for name, params in re.findall(r"\b(authkv_\w+)\(([^)]*)\);", text):
        found[name] = params.strip()
    return found


class EngineTest(unittest.TestCase):
    """A test with a scratch directory and an engine opened in it."""

    options: dict = {}

    def setUp(self) -> None:
        self._dir = tempfile.TemporaryDirectory()
        self.dir = Path(self._dir.name)
        self.path = str(self.dir / "test.redb")
        self.engine = authkv.Engine(self.path, **{**FAST, **self.options})

    def tearDown(self) -> None:
        self.engine.close()
        self._dir.cleanup()

    def assertConsistent(self) -> None:
        self.assertEqual(self.engine.verify(), [])


def child_env() -> dict:
    """The environment a child Python needs to import this package."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT), env.get("PYTHONPATH")]))
    return env
