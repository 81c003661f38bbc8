#!/usr/bin/env python3
"""tools/starter.py on a small C++ file: the student version compiles with the
project's warnings as errors and fails with "not implemented"; bad markers
are errors that name the file and line.

Usage: starter_unit_test.py [unittest options]
"""

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

EXAMPLE = textwrap.dedent('''\
    #include <string>
    namespace {
    int twice(int value) { return value * 2; }
    } // namespace

    int answer(int input) {
      // BEGIN EXERCISE part9.answer
      // STUB: // TODO(part9.answer): return twice the input
      // STUB: nslab::not_implemented("part9.answer", input,
      // STUB:                        twice);
      return twice(input);
      // END EXERCISE part9.answer
    }

    int main() {
      try {
        return answer(21);
      } catch (const std::exception& error) {
        return std::string(error.what()) == "not implemented: part9.answer" ? 43 : 1;
      }
    }
''')


def compile_and_run(text: str) -> tuple[int, str]:
    with tempfile.TemporaryDirectory(prefix="nslab-starter-unit-") as directory:
        source, program = Path(directory) / "example.cpp", Path(directory) / "example"
        source.write_text(text)
        built = subprocess.run(["g++", "-std=c++20", *WARNINGS, "-I", str(ROOT / "common" / "include"),
                                str(source), "-o", str(program)], capture_output=True, text=True)
        if built.returncode != 0:
            return -1, built.stderr
        return subprocess.run([str(program)], capture_output=True, text=True, timeout=10).returncode, ""


class StarterTest(unittest.TestCase):
    def test_the_reference_answers(self):
        self.assertEqual(compile_and_run(EXAMPLE), (42, ""))

    def test_the_region_becomes_its_stub_lines_which_compile_and_throw(self):
        lines, found = starter.student_lines(EXAMPLE, "example.cpp")
        text = starter.with_include(lines)
        self.assertEqual(found, [("part9.answer", "example.cpp", 7)])
        self.assertIn("  // TODO(part9.answer): return twice the input\n"
                      '  nslab::not_implemented("part9.answer", input,\n'
                      "                         twice);\n}\n", text)
        self.assertNotIn("EXERCISE", text)
        self.assertNotIn("STUB", text)
        self.assertTrue(text.startswith('#include "nslab/exercise.hpp"\n#include <string>'), text)
        self.assertEqual(compile_and_run(text), (43, ""))

    def test_malformed_markers_are_errors_with_file_and_line(self):
        stub = '// STUB: nslab::not_implemented("part1.a");\n'
        cases = {
            "no END": f"// BEGIN EXERCISE part1.a\n{stub}",
            "END without BEGIN": "// END EXERCISE part1.a\n",
            "nested": f"// BEGIN EXERCISE part1.a\n// BEGIN EXERCISE part1.b\n{stub}"
                      "// END EXERCISE part1.b\n// END EXERCISE part1.a\n",
            "other name": f"// BEGIN EXERCISE part1.a\n{stub}// END EXERCISE part1.b\n",
            "bad name": f"// BEGIN EXERCISE sethostname\n{stub}// END EXERCISE sethostname\n",
            "typo": "// BEGIN EXERCISES part1.a\n",
            "no stub": "// BEGIN EXERCISE part1.a\nint x;\n// END EXERCISE part1.a\n",
            "stub outside": stub,
        }
        for case, source in cases.items():
            with self.subTest(case), self.assertRaisesRegex(starter.MarkerError, r"^example\.cpp:\d*"):
                starter.student_lines(source, "example.cpp")

    def test_doxygen_filter_drops_only_the_marker_and_stub_lines(self):
        shown = subprocess.run([sys.executable, str(ROOT / "tools" / "starter.py"), "--doxygen-filter",
                                "/dev/stdin"], input=EXAMPLE, capture_output=True, text=True).stdout
        self.assertEqual(shown.count("\n"), EXAMPLE.count("\n") - 5)
        self.assertNotIn("EXERCISE", shown)
        self.assertIn("return twice(input);", shown)


if __name__ == "__main__":
    unittest.main(verbosity=2)
