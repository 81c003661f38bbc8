#!/usr/bin/env python3
"""The grader's own checks: tools/grade.py run on a tiny fake project.

The fake project has no compiler step (project(... NONE)): its "tests" are
shell commands that pass, fail like GoogleTest, skip like GTEST_SKIP, and a
custom target that fails to build like a compile error. Each check builds
one in a temporary directory, grades it, and reads the report and the
results.json, the way an instructor would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

GRADE = Path(__file__).resolve().parents[2] / "tools" / "grade.py"

PASS = 'sh -c "echo fine"'
FAIL = ("sh -c \"echo '[ RUN      ] Fake.Fails'; echo 'fake_test.cpp:3: Failure'; "
        "echo 'Expected equality of these values: 1 and 2'; echo '[  FAILED  ] Fake.Fails'; exit 1\"")
SKIP = ("sh -c \"echo '[ RUN      ] Fake.Skips'; echo 'fake_test.cpp:9: Skipped'; "
        "echo 'needs host root to create a veth pair'; echo; echo '[  SKIPPED ] Fake.Skips'\"")


def fake_project(root: Path, tests: dict[str, str], points: dict[str, dict[str, int]],
                 broken_part2: bool = False) -> None:
    """Writes a project whose ctest tests are \\p tests (name -> command)."""
    lines = ["cmake_minimum_required(VERSION 3.25)", "project(fake NONE)", "enable_testing()"]
    if broken_part2:
        lines.append("add_subdirectory(part2-broken)")
        (root / "part2-broken").mkdir(parents=True)
        (root / "part2-broken" / "CMakeLists.txt").write_text(
            "add_custom_target(part2-program ALL COMMAND sh -c "
            "\"echo 'part2-broken/program.cpp:4:7: error: expected a boom' >&2; exit 1\")\n")
    for name, command in tests.items():
        label = name.split(".")[0]
        lines.append(f"add_test(NAME {name} COMMAND {command})")
        lines.append(f"set_tests_properties({name} PROPERTIES LABELS {label} "
                     "SKIP_REGULAR_EXPRESSION \"\\\\[  SKIPPED \\\\]\")")
    (root / "CMakeLists.txt").write_text("\n".join(lines) + "\n")
    toml = ['[labels]', 'infrastructure = ["common"]', 'ungraded = ["grading"]']
    for label, entries in points.items():
        toml.append(f"[{label}]")
        toml += [f'"{test}" = {value}' for test, value in entries.items()]
    (root / "points.toml").write_text("\n".join(toml) + "\n")


class Graded:
    """One grader run: its exit status, its report and its results.json."""

    def __init__(self, root: Path, *options: str, env: dict[str, str] | None = None):
        environment = {k: v for k, v in os.environ.items() if k != "NSLAB_REQUIRE_PRIVS"}
        environment.update(env or {})
        result = subprocess.run(
            [sys.executable, str(GRADE), "--source-dir", str(root), "--build-dir", str(root / "build"),
             "--points", str(root / "points.toml"), "--json", str(root / "results.json"), "--jobs", "2",
             *options], capture_output=True, text=True, env=environment, timeout=120)
        self.code = result.returncode
        self.out = result.stdout
        self.err = result.stderr
        results = root / "results.json"
        self.json = json.loads(results.read_text()) if results.exists() and self.code != 2 else {}

    def line(self, test: str) -> str:
        found = [line for line in self.out.splitlines() if line.rstrip().split("  (")[0].endswith(" " + test)]
        return found[0] if found else ""

    def entry(self, name: str) -> dict:
        return next(t for t in self.json["tests"] if t["name"] == name)

    def describe(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out}--- stderr\n{self.err}"


class GraderTest(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.TemporaryDirectory(prefix="nslab-grader-test-")
        self.root = Path(self.directory.name)

    def tearDown(self):
        self.directory.cleanup()

    def test_full_marks_exit_zero_and_report_every_format(self):
        fake_project(self.root, {"common.Library": PASS, "part1.A": PASS, "part1.B": PASS, "part2.C": PASS},
                     {"common": {"Library": 0}, "part1": {"A": 2, "B": 1}, "part2": {"C": 3}})
        graded = Graded(self.root, "--autolab")
        self.assertEqual(graded.code, 0, graded.describe())
        self.assertIn("Score: 6/6", graded.out, graded.describe())
        self.assertIn("part1: 3/3", graded.out, graded.describe())
        self.assertRegex(graded.line("A"), r"^\s+OK\s+2/2\s+\d+\.\d\ds", graded.describe())
        self.assertEqual(json.loads(graded.out.splitlines()[-1]), {"scores": {"part1": 3, "part2": 3}})
        self.assertEqual(graded.json["score"], 6)
        self.assertEqual(graded.entry("part2.C"), {"name": "part2.C", "score": 3, "max_score": 3,
                                                    "status": "passed", "output": ""})

    def test_failure_and_skip_score_zero_and_say_why(self):
        fake_project(self.root, {"common.Library": PASS, "part1.Passes": PASS, "part1.Fails": FAIL,
                                 "part1.Skips": SKIP},
                     {"common": {"Library": 0}, "part1": {"Passes": 1, "Fails": 2, "Skips": 4}})
        graded = Graded(self.root)
        self.assertEqual(graded.code, 1, graded.describe())
        self.assertIn("Score: 1/7", graded.out, graded.describe())
        self.assertRegex(graded.line("Fails"), r"^\s+FAIL\s+0/2 .*Expected equality of these values: 1 and 2",
                         graded.describe())
        self.assertRegex(graded.line("Skips"), r"^\s+SKIPPED\s+0/4 .*needs host root to create a veth pair",
                         graded.describe())
        self.assertIn("Expected equality of these values: 1 and 2", graded.entry("part1.Fails")["output"])
        self.assertNotIn("[==========]", graded.entry("part1.Fails")["output"])
        self.assertEqual(graded.entry("part1.Skips")["score"], 0)
        self.assertIn("needs host root", graded.entry("part1.Skips")["output"])

    def test_require_privs_reports_a_skip_as_a_failure(self):
        fake_project(self.root, {"part1.Passes": PASS, "part1.Skips": SKIP},
                     {"part1": {"Passes": 1, "Skips": 1}})
        graded = Graded(self.root, env={"NSLAB_REQUIRE_PRIVS": "1"})
        self.assertEqual(graded.code, 1, graded.describe())
        self.assertIn("NSLAB_REQUIRE_PRIVS=1: official grading, so a skipped test is a failure",
                      graded.out.split("\npart1")[0], graded.describe())
        self.assertRegex(graded.line("Skips"), r"^\s+FAIL\s+0/1 .*counts as a failure: needs host root",
                         graded.describe())

    def test_a_lab_that_does_not_build_fails_with_the_compiler_errors_and_others_still_run(self):
        fake_project(self.root, {"common.Library": PASS, "part1.A": PASS, "part2.B": PASS},
                     {"common": {"Library": 0}, "part1": {"A": 1}, "part2": {"B": 5}}, broken_part2=True)
        graded = Graded(self.root)
        self.assertEqual(graded.code, 1, graded.describe())
        self.assertIn("Score: 1/6", graded.out, graded.describe())
        self.assertRegex(graded.line("A"), r"^\s+OK ", graded.describe())
        self.assertRegex(graded.line("B"), r"^\s+FAIL ", graded.describe())
        self.assertIn("error: expected a boom", graded.out, graded.describe())
        self.assertIn("error: expected a boom", graded.entry("part2.B")["output"])

    def test_a_test_without_points_is_a_grader_error(self):
        fake_project(self.root, {"part1.A": PASS, "part1.New": PASS}, {"part1": {"A": 1}})
        graded = Graded(self.root)
        self.assertEqual(graded.code, 2, graded.describe())
        self.assertIn("part1.New", graded.err, graded.describe())

    def test_a_test_that_vanished_fails(self):
        fake_project(self.root, {"part1.A": PASS}, {"part1": {"A": 1, "Renamed": 2}})
        graded = Graded(self.root)
        self.assertEqual(graded.code, 1, graded.describe())
        self.assertRegex(graded.line("Renamed"), r"^\s+FAIL\s+0/2 .*not found", graded.describe())

    def test_part_grades_one_lab_only(self):
        fake_project(self.root, {"part1.A": PASS, "part2.B": FAIL}, {"part1": {"A": 1}, "part2": {"B": 1}})
        graded = Graded(self.root, "--part", "1")
        self.assertEqual(graded.code, 0, graded.describe())
        self.assertIn("Score: 1/1", graded.out, graded.describe())
        self.assertNotIn("part2", graded.out, graded.describe())

    def test_check_and_update_points_follow_the_build(self):
        fake_project(self.root, {"common.Library": PASS, "part1.A": PASS, "part1.New": PASS},
                     {"common": {"Library": 0}, "part1": {"A": 3, "Gone": 1}})
        self.assertEqual(Graded(self.root, "--part", "1").code, 2)  # configures and builds, then refuses
        check = Graded(self.root, "--check-points")
        self.assertEqual(check.code, 1, check.describe())
        self.assertIn("no points for: part1.New", check.out)
        self.assertIn("does not exist: part1.Gone", check.out)
        self.assertEqual(Graded(self.root, "--update-points").code, 0)
        text = (self.root / "points.toml").read_text()
        self.assertIn('"A" = 3', text)
        self.assertIn('"New" = 1', text)
        self.assertNotIn("Gone", text)
        self.assertEqual(Graded(self.root, "--check-points").code, 0)
        self.assertEqual(Graded(self.root).code, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
