"""The ctypes declarations match include/authkv.h: every exported function
has its restype and argtypes (with the header's number of parameters),
every struct its fields in order, every size constant its macro."""

from __future__ import annotations

import ctypes
import re
import unittest

import support  # noqa: F401  (puts the package on the path)
from support import header_functions, header_macros, header_text

from authkv import _ffi, errors


class SignatureTest(unittest.TestCase):
    def test_every_header_function_has_restype_and_argtypes(self):
        lib = _ffi.load()
        declared = header_functions()
        self.assertGreater(len(declared), 50)
        self.assertEqual(sorted(declared), sorted(_ffi.FUNCTIONS), "header and table differ")
        for name, params in declared.items():
            with self.subTest(function=name):
                function = getattr(lib, name)
                restype, argtypes = _ffi.FUNCTIONS[name]
                self.assertIs(function.restype, restype)
                self.assertIsNotNone(function.argtypes)
                self.assertEqual(list(function.argtypes), list(argtypes))
                count = 0 if params in ("", "void") else params.count(",") + 1
                self.assertEqual(len(function.argtypes), count, params)
                pointers = [("*" in p) for p in params.split(",")] if count else []
                for position, (is_pointer, argtype) in enumerate(zip(pointers, argtypes)):
                    ctypes_pointer = argtype in (ctypes.c_char_p, ctypes.c_void_p) or (
                        hasattr(argtype, "_type_") and not isinstance(argtype._type_, str)
                    )
                    self.assertEqual(is_pointer, ctypes_pointer, f"parameter {position}")
                void = re.search(rf"\bvoid {name}\(", header_text()) is not None
                self.assertEqual(restype is None, void)

    def test_structs_have_the_header_fields_in_order(self):
        text = re.sub(r"/\*.*?\*/", "", header_text(), flags=re.S)
        structs = {
            "authkv_options": _ffi.Options,
            "authkv_gc_report": _ffi.GcReport,
            "authkv_str": _ffi.Str,
            "authkv_bytes": _ffi.Str,
            "authkv_string": _ffi.String,
            "authkv_engine_stats": _ffi.Stats,
            "authkv_session": _ffi.Session,
            "authkv_session_info": _ffi.SessionInfo,
            "authkv_session_list": _ffi.SessionList,
            "authkv_abilities": _ffi.Abilities,
            "authkv_token": _ffi.Token,
            "authkv_token_info": _ffi.TokenInfo,
            "authkv_token_list": _ffi.TokenList,
            "authkv_token_limits": _ffi.TokenLimits,
            "authkv_request": _ffi.Request,
            "authkv_principal": _ffi.Principal,
        }
        found = dict(re.findall(r"typedef struct (\w+) \{(.*?)\} \1;", text, re.S))
        self.assertEqual(sorted(found), sorted(structs))
        for name, body in found.items():
            with self.subTest(struct=name):
                fields = re.findall(r"(\w+)(?:\[\w+\])?;", body)
                self.assertEqual([f for f, _ in structs[name]._fields_], fields)

    def test_sizes_and_constants_match_the_macros(self):
        macros = header_macros()
        self.assertEqual(_ffi.SESSION_ID_SIZE, macros["AUTHKV_SESSION_ID_SIZE"])
        self.assertEqual(_ffi.CSRF_TOKEN_SIZE, macros["AUTHKV_CSRF_TOKEN_SIZE"])
        self.assertEqual(_ffi.SESSION_HANDLE_SIZE, macros["AUTHKV_SESSION_HANDLE_SIZE"])
        self.assertEqual(_ffi.TOKEN_MAX_SIZE, macros["AUTHKV_TOKEN_MAX_SIZE"])
        self.assertEqual(_ffi.REMEMBER_TOKEN_SIZE, macros["AUTHKV_REMEMBER_TOKEN_SIZE"])
        self.assertEqual(_ffi.VIA_SESSION, macros["AUTHKV_VIA_SESSION"])
        self.assertEqual(_ffi.VIA_TOKEN, macros["AUTHKV_VIA_TOKEN"])
        for name, value in _ffi.SAME_SITE.items():
            self.assertEqual(value, macros[f"AUTHKV_SAME_SITE_{name.upper()}"])
        self.assertEqual(_ffi.load().authkv_version(), macros["AUTHKV_VERSION_NUMBER"])

    def test_every_status_has_its_exception(self):
        statuses = dict(
            (name, int(value))
            for name, value in re.findall(r"^\s+(AUTHKV_\w+) = (\d+),$", header_text(), re.M)
        )
        self.assertEqual(statuses["AUTHKV_INVALID_CREDENTIALS"], 107)
        self.assertEqual(statuses["AUTHKV_THEFT_DETECTED"], 108)
        self.assertEqual(statuses["AUTHKV_RATE_LIMITED"], 110)
        self.assertEqual(statuses["AUTHKV_QUOTA_EXHAUSTED"], 111)
        for name, value in statuses.items():
            if value == 0:
                continue
            with self.subTest(status=name):
                self.assertIn(value, errors.BY_STATUS)
                self.assertTrue(issubclass(errors.BY_STATUS[value], errors.AuthkvError))
        self.assertEqual(sorted(errors.BY_STATUS), sorted(v for v in statuses.values() if v))


if __name__ == "__main__":
    unittest.main()
