#!/usr/bin/env python3
"""tools/starter.py on small C++ files: each student version must compile
with the project's warnings as errors and fail with "not implemented".

Usage: starter_unit_test.py [unittest options]

These cover the shapes the labs' exercises can take (a region inside a body
that holds the only return, a region around whole definitions, a helper only
the removed code called, literals full of braces) faster than building the
whole starter tree, which the `starter` test does.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import starter  # noqa: E402  (tools/ is not a package)

# The flags of nslab_warnings in the top-level CMakeLists.txt, as errors.
WARNINGS = ["-Wall", "-Wextra", "-Wpedantic", "-Wshadow", "-Wconversion", "-Wsign-conversion",
            "-Wnon-virtual-dtor", "-Wold-style-cast", "-Wcast-align", "-Wimplicit-fallthrough",
            "-Wformat=2", "-Werror"]

IN_BODY = textwrap.dedent(r'''
    #include <string>
    constexpr const char* kUsage = R"(usage: { not a brace } "quoted")";
    namespace {
    int twice(int value) { return value * 2; }
    } // namespace

    int answer(int input, char unused_elsewhere) {
      const int limit = 10'000;
      const char brace = '{';
      // BEGIN EXERCISE part9.answer: return twice the input, below the limit
      // [answer]
      if (unused_elsewhere == brace) {
        return limit;
      }
      return twice(input) % limit;
      // [answer]
      // END EXERCISE part9.answer
    }

    int main() {
      try {
        return answer(21, 'x') + static_cast<int>(std::string(kUsage).size());
      } catch (const std::exception& error) {
        std::string message = error.what();
        return message == "not implemented: part9.answer" ? 42 : 1;
      }
    }
''')

AROUND_DEFINITIONS = textwrap.dedent('''
    #include <stdexcept>
    #include <string_view>

    class Socket {
    public:
      int send(std::string_view name, int flags, int = 0);
    };

    namespace {
    int checksum(std::string_view text) { return static_cast<int>(text.size()); }
    } // namespace

    // BEGIN EXERCISE part9.socket
    /// Sends \\p name; the comment stays for the student.
    int Socket::send(std::string_view name, int flags, int) {
      // [send]
      return checksum(name) + flags;
      // [send]
    }

    static void log(std::string_view) {}
    // END EXERCISE part9.socket

    int main() {
      Socket socket;
      try {
        log("x");
        return socket.send("abc", 1);
      } catch (const std::logic_error&) {
        return 42;
      }
    }
''')


def student_version(source: str) -> str:
    text, regions = starter.strip_exercises(source, "example.cpp")
    assert regions, "no regions found"
    return text


def compile_and_run(text: str) -> tuple[int, str]:
    with tempfile.TemporaryDirectory(prefix="nslab-starter-unit-") as directory:
        source, program = Path(directory) / "example.cpp", Path(directory) / "example"
        source.write_text(text)
        built = subprocess.run(["g++", "-std=c++20", *WARNINGS, "-I", str(ROOT / "common" / "include"),
                                str(source), "-o", str(program)], capture_output=True, text=True)
        if built.returncode != 0:
            return -1, built.stderr
        ran = subprocess.run([str(program)], capture_output=True, text=True, timeout=10)
        return ran.returncode, ran.stderr


class StarterTest(unittest.TestCase):
    def test_the_reference_examples_compile_as_they_are(self):
        for source in (IN_BODY, AROUND_DEFINITIONS):
            code, errors = compile_and_run(source)
            self.assertNotEqual(code, -1, errors)
            self.assertNotEqual(code, 42)

    def test_region_in_a_body_becomes_todo_and_stub_that_throws(self):
        text = student_version(IN_BODY)
        self.assertIn("// TODO(part9.answer): return twice the input, below the limit", text)
        self.assertIn('nslab::not_implemented("part9.answer", input, unused_elsewhere, brace, limit, twice);',
                      text)
        self.assertNotIn("% limit", text)
        self.assertNotIn("EXERCISE", text)
        self.assertEqual(text.count("// [answer]"), 2, "the \\snippet markers stay")
        self.assertIn('#include "nslab/exercise.hpp"', text)
        code, errors = compile_and_run(text)
        self.assertEqual(code, 42, errors)

    def test_region_around_definitions_keeps_signatures_and_comments(self):
        text = student_version(AROUND_DEFINITIONS)
        self.assertIn("/// Sends \\p name; the comment stays for the student.", text)
        self.assertIn("int Socket::send(std::string_view name, int flags, int) {", text)
        self.assertIn('nslab::not_implemented("part9.socket", name, flags, checksum);', text)
        self.assertIn('static void log(std::string_view) {\n  // TODO(part9.socket)', text)
        self.assertEqual(text.count("// [send]"), 2)
        code, errors = compile_and_run(text)
        self.assertEqual(code, 42, errors)

    def test_a_region_without_hint_gets_a_generic_todo(self):
        source = ("void f() {\n  // BEGIN EXERCISE part3.x\n  int y = 0;\n  (void)y;\n"
                  "  // END EXERCISE part3.x\n}\n")
        self.assertIn("// TODO(part3.x): write this exercise; the part3 tutorial page says what it must do",
                      student_version(source))

    def test_malformed_markers_are_errors_with_file_and_line(self):
        cases = {
            "no END": "void f() {\n// BEGIN EXERCISE part1.a\n}\n",
            "END without BEGIN": "void f() {\n// END EXERCISE part1.a\n}\n",
            "nested": "void f() {\n// BEGIN EXERCISE part1.a\n// BEGIN EXERCISE part1.b\n"
                      "// END EXERCISE part1.b\n// END EXERCISE part1.a\n}\n",
            "other name": "void f() {\n// BEGIN EXERCISE part1.a\n// END EXERCISE part1.b\n}\n",
            "bad name": "void f() {\n// BEGIN EXERCISE sethostname\n// END EXERCISE sethostname\n}\n",
            "typo": "void f() {\n// BEGIN EXERCISES part1.a\n}\n",
            "not code": "// BEGIN EXERCISE part1.a\nint x = 1;\n// END EXERCISE part1.a\n",
        }
        for case, source in cases.items():
            with self.subTest(case), self.assertRaisesRegex(starter.MarkerError, r"^example\.cpp:\d+: "):
                starter.strip_exercises(source, "example.cpp")

    def test_doxygen_filter_drops_only_the_marker_lines(self):
        self.assertEqual(starter.without_markers(IN_BODY).count("\n"), IN_BODY.count("\n") - 2)
        self.assertNotIn("EXERCISE", starter.without_markers(IN_BODY))
        self.assertIn("// [answer]", starter.without_markers(IN_BODY))


if __name__ == "__main__":
    unittest.main(verbosity=2)
