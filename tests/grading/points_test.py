#!/usr/bin/env python3
"""The points file agrees with the build and with the instructors page.

Usage: points_test.py --source-dir DIR --build-dir DIR

1. Every test of the build has points and every entry names a test
   (tools/grade.py --check-points), so a new or renamed test cannot slip
   through the grader as a silent zero.
2. The points table in docs/pages/instructors.md is the one the points file
   gives (tools/grade.py --points-table).
3. Every exercise of the tree belongs to a lab that has points.
4. The exercise markers cannot reach the tutorial pages: the Doxyfile's
   filter (sed) drops exactly the lines `tools/starter.py --doxygen-filter`
   drops, and nothing else.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tomllib
import unittest
from pathlib import Path

ARGUMENTS = argparse.Namespace()


def tool(name: str, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ARGUMENTS.source_dir / "tools" / name), *options],
                          capture_output=True, text=True, timeout=60)


class PointsTest(unittest.TestCase):
    def test_every_test_of_the_build_has_points_and_no_entry_is_stale(self):
        result = tool("grade.py", "--check-points", "--source-dir", str(ARGUMENTS.source_dir),
                      "--build-dir", str(ARGUMENTS.build_dir))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_the_instructors_page_shows_the_points_file(self):
        table = tool("grade.py", "--points-table", "--source-dir", str(ARGUMENTS.source_dir))
        self.assertEqual(table.returncode, 0, table.stderr)
        page = (ARGUMENTS.source_dir / "docs" / "pages" / "instructors.md").read_text()
        begin = page.index("<!-- BEGIN points-table")
        shown = page[page.index("\n", begin) + 1:page.index("<!-- END points-table -->")]
        self.assertEqual(shown, table.stdout,
                         "the table differs from tools/points.toml; regenerate it with "
                         "tools/grade.py --update-points")

    def test_every_exercise_belongs_to_a_graded_lab(self):
        listing = tool("starter.py", "--list", "--source-dir", str(ARGUMENTS.source_dir))
        self.assertEqual(listing.returncode, 0, listing.stderr)
        with (ARGUMENTS.source_dir / "tools" / "points.toml").open("rb") as file:
            labels = tomllib.load(file)
        for line in listing.stdout.splitlines():
            name = line.split()[0]
            lab = name.split(".")[0]
            self.assertGreater(sum(labels.get(lab, {}).values()), 0, f"{name}: lab {lab} has no points")

    def test_the_docs_never_show_an_exercise_marker(self):
        doxyfile = (ARGUMENTS.build_dir / "docs" / "Doxyfile").read_text()
        self.assertRegex(doxyfile, r"(?m)^FILTER_SOURCE_FILES\s*=\s*YES")
        filters = dict(re.findall(r'"\*(\.[a-z]+)=([^"]+)"', doxyfile))
        self.assertEqual(sorted(filters), [".cpp", ".hpp"], "FILTER_PATTERNS must cover *.cpp and *.hpp")
        listing = tool("starter.py", "--list", "--source-dir", str(ARGUMENTS.source_dir))
        files = {line.split()[1].rsplit(":", 1)[0] for line in listing.stdout.splitlines()}
        self.assertTrue(files, "no exercises found")
        for name in sorted(files):
            path = ARGUMENTS.source_dir / name
            expected = tool("starter.py", "--doxygen-filter", str(path))
            self.assertEqual(expected.returncode, 0, expected.stderr)
            self.assertNotIn("EXERCISE", expected.stdout, name)
            # Doxygen runs `<filter> <file>` through the shell (popen).
            filtered = subprocess.run(f"{filters[path.suffix]} '{path}'", shell=True,
                                      capture_output=True, text=True, timeout=10)
            self.assertEqual(filtered.stdout, expected.stdout, f"the Doxyfile's filter on {name}")

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--source-dir", type=Path, required=True)
    parser.add_argument("--build-dir", type=Path, required=True)
    ARGUMENTS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], "-v", *rest])
