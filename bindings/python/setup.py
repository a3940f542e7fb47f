"""The wheel build: the package plus ``libauthkv``, compiled from this
repository's crate, so that an installed ``authkv`` loads without
``AUTHKV_LIBRARY``.

``build_py`` runs ``cargo build --release --lib`` on ``../../Cargo.toml``
(``$CARGO`` names cargo; ``$CARGO_TARGET_DIR`` is honoured, so a checkout
that built before reuses its artefacts) and copies the cdylib cargo
reports into the package. The wheel is tagged for this platform
(``py3-none-<platform>``): any Python 3, this operating system and
processor only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools before 70.1 kept it in the wheel package
    from wheel.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
MANIFEST = HERE.parents[1] / "Cargo.toml"
LIBRARY_SUFFIXES = (".so", ".dylib", ".dll")


def build_library() -> Path:
    """Build the crate's cdylib and return the path cargo reports for it
    (which follows CARGO_TARGET_DIR and any cargo configuration)."""
    if not MANIFEST.is_file():
        raise SystemExit(
            f"authkv: the Rust crate is not at {MANIFEST}; build the package from a "
            "checkout of the repository (bindings/python)"
        )
    cargo = os.environ.get("CARGO", "cargo")
    command = [
        cargo,
        "build",
        "--release",
        "--lib",
        "--features",
        "postgres",
        "--manifest-path",
        str(MANIFEST),
        "--message-format=json-render-diagnostics",
    ]
    try:
        # Diagnostics and progress go to stderr, as in any cargo build.
        result = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    except FileNotFoundError:
        raise SystemExit(
            f"authkv: {cargo!r} not found; install Rust (https://rustup.rs) or set CARGO"
        ) from None
    for line in result.stdout.splitlines():
        message = json.loads(line) if line.startswith("{") else {}
        target = message.get("target", {})
        if (
            message.get("reason") == "compiler-artifact"
            and target.get("name") == "authkv"
            and "cdylib" in target.get("kind", ())
        ):
            for name in message["filenames"]:
                if name.endswith(LIBRARY_SUFFIXES):
                    return Path(name)
    raise SystemExit("authkv: cargo reported no cdylib for the authkv crate")


class BuildWithLibrary(build_py):
    """build_py that also puts the freshly built library in the package."""

    def run(self) -> None:
        package = Path(self.build_lib) / "authkv"
        # A stale build/ from an earlier layout would otherwise end up in
        # the wheel (bdist_wheel packs the whole directory).
        shutil.rmtree(package, ignore_errors=True)
        super().run()
        library = build_library()
        package.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(library, package / library.name)


class PlatformWheel(bdist_wheel):
    """A wheel for this platform only, since it carries a native library;
    still any Python 3, since ctypes loads it (no compiled extension)."""

    def finalize_options(self) -> None:
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self) -> tuple:
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(cmdclass={"build_py": BuildWithLibrary, "bdist_wheel": PlatformWheel})
