#!/usr/bin/env python3
"""The grader's own checks: tools/grade.py run on a tiny fake project.

The fake project has no compiler step (project(... NONE)). Its "tests" run
fake_test.py, which prints like GoogleTest and writes GoogleTest's XML report
where gtest_discover_tests(XML_OUTPUT_DIR) puts it: a pass, a failure with a
`Why:` sentence, a skip with its reason, a program stopped at a stub. A custom
target fails to build like a compile error. Each check grades one such project
in a temporary directory and reads the report and results.json.
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

GRADE = Path(__file__).resolve().parents[2] / "tools" / "grade.py"

FAKE_TEST = r'''
import sys
from pathlib import Path
from xml.sax.saxutils import quoteattr
mode, name, results = sys.argv[1:]
messages = {
    "fail": ("failure", "fake_test.cpp:3\nExpected equality of these values:\n  r.out\n"
             "Why: uts-demo -n box -- hostname printed \"x\", expected \"box\"\n  uts-demo: a warning"),
    "cryptic": ("failure", "/src/tests/fake_test.cpp:7\nValue of: ok\n  Actual: false"),
    "stub": ("failure", "fake_test.cpp:5\nWhy: isolate true ended with status 125\n"
             "  isolate: not implemented: part4.pivot-root"),
    "skip": ("skipped", "fake_test.cpp:9\nSkipped\nneeds host root to create a veth pair"),
}
element = ""
if mode in messages:
    tag, text = messages[mode]
    element = f"<{tag} message={quoteattr(text)}/>"
    print(text)
path = Path(results) / f"{name}.xml"
path.parent.mkdir(parents=True, exist_ok=True)
path.write_text(f'<testsuites><testsuite><testcase name="{name}">{element}</testcase></testsuite></testsuites>')
print("[  SKIPPED ]" if mode == "skip" else "")
sys.exit(1 if mode in ("fail", "cryptic", "stub") else 0)
'''


def fake_project(root: Path, tests: dict[str, str], points: dict[str, dict[str, int]],
                 broken_part2: bool = False) -> None:
    """Writes a project whose ctest tests are \\p tests (name -> fake_test.py mode)."""
    (root / "fake_test.py").write_text(FAKE_TEST)
    lines = ["cmake_minimum_required(VERSION 3.25)", "project(fake NONE)", "enable_testing()"]
    if broken_part2:
        lines.append("add_subdirectory(part2-broken)")
        (root / "part2-broken").mkdir(parents=True)
        (root / "part2-broken" / "CMakeLists.txt").write_text(
            "add_custom_target(part2-program ALL COMMAND sh -c "
            "\"echo 'part2-broken/program.cpp:4:7: error: expected a boom' >&2; exit 1\")\n")
    for name, mode in tests.items():
        lines.append(f"add_test(NAME {name} COMMAND {sys.executable} {root}/fake_test.py {mode} {name} "
                     f"{root}/build/test-results)")
        lines.append(f"set_tests_properties({name} PROPERTIES LABELS {name.split('.')[0]} "
                     "SKIP_REGULAR_EXPRESSION \"\\\\[  SKIPPED \\\\]\")")
    (root / "CMakeLists.txt").write_text("\n".join(lines) + "\n")
    toml = ["[labels]", 'infrastructure = ["common"]', 'ungraded = ["grading"]']
    for label, entries in points.items():
        toml += ["", f"[{label}]"] + [f'"{test}" = {value}' for test, value in entries.items()]
    (root / "points.toml").write_text("\n".join(toml) + "\n")


class Graded:
    """One grader run: its exit status, its report and its results.json."""

    def __init__(self, root: Path, *options: str, env: dict[str, str] | None = None):
        environment = {k: v for k, v in os.environ.items() if k != "NSLAB_REQUIRE_PRIVS"} | (env or {})
        result = subprocess.run(
            [sys.executable, str(GRADE), "--source-dir", str(root), "--build-dir", str(root / "build"),
             "--points", str(root / "points.toml"), "--json", str(root / "results.json"), "--jobs", "2",
             *options], capture_output=True, text=True, env=environment, timeout=120)
        self.code, self.out, self.err = result.returncode, result.stdout, result.stderr
        results = root / "results.json"
        self.json = json.loads(results.read_text()) if results.exists() and self.code != 2 else {}

    def line(self, test: str) -> str:
        return next((l for l in self.out.splitlines() if l.split("  (")[0].endswith(" " + test)), "")

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
        fake_project(self.root, {"common.Library": "pass", "part1.A": "pass", "part1.B": "pass",
                                 "part2.C": "pass"},
                     {"common": {"Library": 0}, "part1": {"A": 2, "B": 1}, "part2": {"C": 3}})
        graded = Graded(self.root, "--autolab")
        self.assertEqual(graded.code, 0, graded.describe())
        self.assertIn("part1: 3/3", graded.out, graded.describe())
        self.assertIn("Score: 6/6", graded.out, graded.describe())
        self.assertRegex(graded.line("A"), r"^\s+OK\s+2/2\s+\d+\.\d\ds", graded.describe())
        self.assertEqual(json.loads(graded.out.splitlines()[-1]), {"scores": {"part1": 3, "part2": 3}})
        self.assertEqual(graded.json["score"], 6)
        self.assertEqual(graded.entry("part2.C"), {"name": "part2.C", "score": 3, "max_score": 3,
                                                    "status": "passed", "output": ""})

    def test_a_failure_shows_its_sentence_and_stderr_never_the_cpp_expression(self):
        fake_project(self.root, {"part1.Passes": "pass", "part1.Fails": "fail", "part1.Cryptic": "cryptic"},
                     {"part1": {"Passes": 1, "Fails": 2, "Cryptic": 1}})
        graded = Graded(self.root)
        self.assertEqual(graded.code, 1, graded.describe())
        self.assertIn("Score: 1/4", graded.out, graded.describe())
        sentence = 'uts-demo -n box -- hostname printed "x", expected "box"'
        self.assertRegex(graded.line("Fails"), r"^\s+FAIL\s+0/2 .*\(" + sentence, graded.describe())
        self.assertIn(f"{graded.line('Fails')}\n        uts-demo: a warning\n", graded.out)
        self.assertIn("a check at fake_test.cpp:7 failed", graded.line("Cryptic"))
        self.assertNotIn("Expected equality", graded.out)
        self.assertNotIn("Actual: false", graded.out)
        self.assertIn("./lab grade -v shows", graded.out)
        self.assertEqual(graded.entry("part1.Fails")["output"], f"FAIL: {sentence}\n  uts-demo: a warning")
        verbose = Graded(self.root, "-v")
        self.assertIn("| Expected equality of these values:", verbose.out, verbose.describe())

    def test_a_check_stopped_by_a_stub_is_blocked_by_that_exercise(self):
        fake_project(self.root, {"part4.Mounts": "stub"}, {"part4": {"Mounts": 2}})
        graded = Graded(self.root)
        self.assertRegex(graded.line("Mounts"), r"^\s+BLOCKED\s+0/2 .*\(blocked by part4\.pivot-root",
                         graded.describe())

    def test_a_skip_scores_zero_and_is_listed_with_its_reason_unless_privileges_are_required(self):
        fake_project(self.root, {"part1.Passes": "pass", "part1.Skips": "skip"},
                     {"part1": {"Passes": 1, "Skips": 4}})
        graded = Graded(self.root)
        self.assertEqual(graded.code, 1, graded.describe())
        self.assertRegex(graded.line("Skips"), r"^\s+SKIPPED\s+0/4 .*needs host root to create a veth pair")
        self.assertIn("1 check(s) skipped", graded.out)
        self.assertIn("  part1.Skips: needs host root to create a veth pair", graded.out)
        listed = Graded(self.root, "--skips")
        self.assertIn("part1.Skips: needs host root to create a veth pair", listed.out, listed.describe())
        official = Graded(self.root, env={"NSLAB_REQUIRE_PRIVS": "1"})
        self.assertIn("NSLAB_REQUIRE_PRIVS=1: official grading", official.out.split("\npart1")[0])
        self.assertRegex(official.line("Skips"), r"^\s+FAIL\s+0/4 .*counts as a failure: needs host root")

    def test_a_lab_that_does_not_build_fails_with_the_compiler_errors_and_others_still_run(self):
        fake_project(self.root, {"common.Library": "pass", "part1.A": "pass", "part2.B": "pass"},
                     {"common": {"Library": 0}, "part1": {"A": 1}, "part2": {"B": 5}}, broken_part2=True)
        graded = Graded(self.root)
        self.assertEqual(graded.code, 1, graded.describe())
        self.assertIn("Score: 1/6", graded.out, graded.describe())
        self.assertRegex(graded.line("A"), r"^\s+OK ", graded.describe())
        self.assertRegex(graded.line("B"), r"^\s+FAIL .*part2 did not build", graded.describe())
        self.assertIn("error: expected a boom", graded.entry("part2.B")["output"])

    def test_part_grades_one_lab_and_a_vanished_test_fails(self):
        fake_project(self.root, {"part1.A": "pass", "part2.B": "fail"},
                     {"part1": {"A": 1, "Renamed": 2}, "part2": {"B": 1}})
        graded = Graded(self.root, "--part", "1")
        self.assertEqual(graded.code, 1, graded.describe())
        self.assertIn("Score: 1/3", graded.out, graded.describe())
        self.assertNotIn("part2", graded.out, graded.describe())
        self.assertRegex(graded.line("Renamed"), r"^\s+FAIL\s+0/2 .*no such test", graded.describe())

    def test_points_must_follow_the_build(self):
        fake_project(self.root, {"common.Library": "pass", "part1.A": "pass", "part1.New": "pass"},
                     {"common": {"Library": 0}, "part1": {"A": 3, "Gone": 1}})
        refused = Graded(self.root, "--part", "1")  # configures and builds, then refuses
        self.assertEqual(refused.code, 2, refused.describe())
        self.assertIn("part1.New", refused.err)
        check = Graded(self.root, "--check-points")
        self.assertEqual(check.code, 1, check.describe())
        self.assertIn("no points for: part1.New", check.out)
        self.assertIn("does not exist: part1.Gone", check.out)
        self.assertEqual(Graded(self.root, "--update-points").code, 0)
        text = (self.root / "points.toml").read_text()
        self.assertIn('[part1]\n"A" = 3\n"New" = 1\n', text)
        self.assertNotIn("Gone", text)
        self.assertEqual(Graded(self.root).code, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
