#!/usr/bin/env python3
"""grade: build nslab, run its checks with ctest, and print a score per lab.

Points are in tools/points.toml, a table per ctest label (lab). The build goes
on past errors, so a lab that does not compile fails only its own checks. Each
result is read as data: ctest's JUnit file (status, output) and GoogleTest's
XML per test (BUILD/test-results/NAME.xml: failure messages, skip reason). A
failure shows its test's `Why:` sentence (tests/support/why.hpp), or "blocked
by partN.x" when a program stopped at that exercise's stub. A skip scores 0;
NSLAB_REQUIRE_PRIVS=1 (official grading) makes it a failure. Writes
Gradescope's results.json. Exit status: 0 at full marks; 1 below (or a
mismatch for --check-points); 2 when the grader cannot work.
"""

import argparse
import json
import os
import re
import shutil
import sys
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

from points import GraderError, list_tests, load_points, maintain_points, points_table, run

STUB = re.compile(r"not implemented: (part\d+\.[\w-]+)")
WHY = "Why: "  # how tests/support/why.hpp starts the sentence a student reads


def build(source: Path, build_dir: Path, jobs: int, say) -> str:
    """Configures if needed and builds everything it can; returns the log."""
    if not (build_dir / "CMakeCache.txt").exists() and (configured := run(
            ["cmake", "-S", str(source), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=RelWithDebInfo"])).returncode:
        raise GraderError("cmake cannot configure the tree:\n" + configured.stderr[-2000:])
    say("Building ...")
    # Keep going: a lab that does not compile leaves the others buildable and graded.
    keep_going = ["-k", "0"] if "Ninja" in (build_dir / "CMakeCache.txt").read_text() else ["-k"]
    built = run(["cmake", "--build", str(build_dir), "-j", str(jobs), "--", *keep_going])
    return built.stdout + built.stderr if built.returncode else ""


def unbuilt_labels(log: str, labels: list[str]) -> dict[str, str]:
    """{label: its first compiler errors} for each lab whose targets failed to
    build (make's `*** [DIR/CMakeFiles/TARGET.dir/...` or ninja's `FAILED:`
    lines); a failure outside the labs (common/, tests/support) fails them all."""
    failed = set()
    for directory, target in re.findall(r"(?:\*\*\* \[|FAILED: )(\S*?)/?CMakeFiles/([\w.-]+)\.dir/", log):
        lab = re.search(r"\bpart(\d+)", f"{directory} {target}")
        failed |= {f"part{lab[1]}"} if lab else set(labels)
    errors = [line for line in log.splitlines() if re.search(r"\berror\b", line)]
    return {label: "\n".join(e for e in errors if re.search(rf"\b{label}\b|part{label[4:]}-", e))[:1500]
            or "\n".join(errors)[:1500] for label in labels if label in failed}


@dataclass
class Outcome:
    name: str
    label: str
    points: float
    status: str  # OK, FAIL, SKIPPED, BLOCKED
    reason: str = ""
    output: str = ""
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return self.points if self.status == "OK" else 0


def gtest_report(path: Path) -> tuple[list[str], str]:
    """The failure messages and the skip reason in a test's GoogleTest XML."""
    cases = list(ElementTree.parse(path).getroot().iter("testcase")) if path.exists() else []
    failures = [f.get("message", "") for case in cases for f in case.iter("failure")]
    # Both start with "file:line"; a skip's message goes on with "Skipped".
    skip = "\n".join(s.get("message", "") for case in cases for s in case.iter("skipped"))
    return failures, " ".join(l for l in skip.splitlines()[1:] if l.strip() not in ("", "Skipped"))


def explain(failures: list[str], output: str, seconds: float) -> tuple[str, str]:
    """BLOCKED or FAIL, and the sentence (with the lines under it) a student reads."""
    stub = STUB.search("\n".join(failures) + output)
    if stub:
        return "BLOCKED", (f"blocked by {stub[1]}: the program stopped at that exercise's stub "
                           "(\"not implemented\"), so this check could not run")
    for lines in (failure.splitlines() for failure in failures):
        start = next((k for k, line in enumerate(lines) if line.startswith(WHY)), None)
        if start is not None:
            details = [line for line in lines[start + 1:] if line.startswith("  ")]
            return "FAIL", "\n".join([lines[start].removeprefix(WHY)] + details)
    if failures:
        where = failures[0].splitlines()[0].rsplit("/", 1)[-1]
        return "FAIL", f"a check at {where} failed (./lab grade -v shows GoogleTest's report)"
    return "FAIL", (f"ended after {seconds:.1f} s without a report: it crashed or ran out of time "
                    "(./lab grade -v shows its output)")


def run_tests(build_dir: Path, labels: list[str], jobs: int) -> dict[str, tuple]:
    """{name: (status, seconds, output)} from one ctest run over \\p labels."""
    junit, results = build_dir / "grade" / "ctest-junit.xml", build_dir / "test-results"
    junit.parent.mkdir(parents=True, exist_ok=True)
    junit.unlink(missing_ok=True)
    shutil.rmtree(results, ignore_errors=True)  # only this run's reports count
    run(["ctest", "--test-dir", str(build_dir), "-L", "^(" + "|".join(labels) + ")$", "-j", str(jobs),
         "--output-junit", str(junit)])
    if not junit.exists():
        raise GraderError("ctest wrote no JUnit file")
    return {case.get("name"): (case.get("status"), float(case.get("time") or 0), case.findtext("system-out") or "")
            for case in ElementTree.parse(junit).getroot().iter("testcase")}


def outcome(name: str, label: str, points: float, ran: tuple | None, results: Path) -> Outcome:
    if ran is None:
        return Outcome(name, label, points, "FAIL", "not run: no such test in this build")
    status, seconds, output = ran
    failures, skip = gtest_report(results / f"{name}.xml")
    if status == "run":
        state, reason = "OK", ""
    elif status == "notrun" and skip and os.environ.get("NSLAB_REQUIRE_PRIVS") == "1":
        state, reason = "FAIL", f"skipped, which NSLAB_REQUIRE_PRIVS=1 counts as a failure: {skip}"
    elif status == "notrun" and skip:
        state, reason = "SKIPPED", skip
    else:
        state, reason = explain(failures, output, seconds)
    return Outcome(name, label, points, state, reason, output, seconds)


def report(outcomes: list[Outcome], labels: list[str], settings: dict, verbose: bool) -> list[str]:
    lines = ["NSLAB_REQUIRE_PRIVS=1: official grading, so a skipped check is a failure."] \
        if os.environ.get("NSLAB_REQUIRE_PRIVS") == "1" else []
    for label in labels:
        mine = [o for o in outcomes if o.label == label]
        free = " (infrastructure: must pass, 0 points)" if label in settings.get("infrastructure", []) else ""
        lines.append(f"\n{label}{free}")
        for o in mine:
            reason = o.reason.splitlines() if o.status != "OK" else []
            lines.append(f"  {o.status:8} {o.score:>3g}/{o.points:<3g} {o.seconds:6.2f}s  "
                         f"{o.name.removeprefix(label + '.')}" + (f"  ({reason[0]})" if reason else ""))
            lines += [f"      {line}" for line in reason[1:]]
            if verbose and o.status != "OK" and o.output.strip():
                lines += [f"      | {line}" for line in o.output.strip().splitlines()[-60:]]
        lines.append(f"  {label}: {sum(o.score for o in mine):g}/{sum(o.points for o in mine):g}")
    skipped = [o for o in outcomes if o.status == "SKIPPED"]
    if skipped:
        lines.append(f"\n{len(skipped)} check(s) skipped, each scoring 0 (run as root for full marks):")
        lines += [f"  {o.name}: {o.reason}" for o in skipped]
    if any(o.status != "OK" for o in outcomes) and not verbose:
        lines.append("\n./lab grade -v shows each failed check's full output: its runs and GoogleTest's report.")
    lines.append(f"\nScore: {sum(o.score for o in outcomes):g}/{sum(o.points for o in outcomes):g}")
    return lines


def grade(arguments) -> int:
    started, (labels_points, settings) = time.monotonic(), load_points(arguments.points)
    labels = [l for l in labels_points if not arguments.part or l in (arguments.part, f"part{arguments.part}")]
    if not labels:
        raise GraderError(f"--part {arguments.part}: no such lab in the points file")
    print(f"grade: {arguments.source_dir} (build: {arguments.build_dir})", flush=True)
    log = build(arguments.source_dir, arguments.build_dir, arguments.jobs, lambda s: print(s, flush=True))
    unbuilt = unbuilt_labels(log, labels)
    if missing := [name for name, test_labels in list_tests(arguments.build_dir).items() for label in
                   set(test_labels) & set(labels) if name.removeprefix(label + ".") not in labels_points[label]]:
        raise GraderError(f"no points in {arguments.points} for: {', '.join(missing)} (--update-points)")
    ran = run_tests(arguments.build_dir, [l for l in labels if l not in unbuilt], arguments.jobs)
    outcomes = []
    for label in labels:
        errors = f"{label} did not build; the first errors:\n{unbuilt[label]}" if label in unbuilt else ""
        for test, value in labels_points[label].items():
            name = f"{label}.{test}"
            outcomes.append(Outcome(name, label, value, "FAIL", errors) if errors else
                            outcome(name, label, value, ran.get(name), arguments.build_dir / "test-results"))
    lines = report(outcomes, labels, settings, arguments.verbose)
    print("\n".join(lines))
    json_path = arguments.json or arguments.build_dir / "grade" / "results.json"
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps({
        "score": sum(o.score for o in outcomes),
        "execution_time": round(time.monotonic() - started, 2),
        "output": "\n".join(l for l in lines if re.match(r"^(\S|  part\d|\d)", l)),
        "tests": [{"name": o.name, "score": o.score, "max_score": o.points,
                   "status": "passed" if o.status == "OK" else "failed",
                   "output": "" if o.status == "OK" else f"{o.status}: {o.reason}"} for o in outcomes],
    }, indent=2) + "\n")
    print(f"Results for Gradescope: {json_path}")
    if arguments.autolab:
        print(json.dumps({"scores": {l: sum(o.score for o in outcomes if o.label == l) for l in labels
                                     if sum(labels_points[l].values()) > 0}}))
    return 0 if all(o.status == "OK" for o in outcomes) else 1


def skips(results: Path) -> int:
    """--skips: the skipped tests of the last ctest run, with their reasons."""
    found = [f"  {path.relative_to(results).with_suffix('')}: {gtest_report(path)[1]}"
             for path in sorted(results.rglob("*.xml")) if gtest_report(path)[1]]
    print(f"{len(found)} check(s) skipped:\n" + "\n".join(found) if found else "No check was skipped.")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="grade.py", description=__doc__.splitlines()[0])
    parser.add_argument("--part", metavar="N", help="grade only lab N (1-4)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="where to write results.json")
    parser.add_argument("--autolab", action="store_true", help="end with Autolab's scores line")
    parser.add_argument("-v", "--verbose", action="store_true", help="show each failed check's output")
    parser.add_argument("--source-dir", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--build-dir", type=Path, help="the build tree (default SOURCE/build)")
    parser.add_argument("--points", type=Path, help="the points file (default SOURCE/tools/points.toml)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--check-points", action="store_true", help="compare the points file with the build")
    only.add_argument("--update-points", action="store_true", help="make the points file match the build")
    only.add_argument("--points-table", action="store_true", help="print the instructors page's table")
    only.add_argument("--skips", action="store_true", help="list the last run's skips with their reasons")
    arguments = parser.parse_args(argv)
    arguments.source_dir = arguments.source_dir.resolve()
    arguments.build_dir = (arguments.build_dir or arguments.source_dir / "build").resolve()
    arguments.points = (arguments.points or arguments.source_dir / "tools" / "points.toml").resolve()
    try:
        if arguments.points_table:
            sys.stdout.write(points_table(*load_points(arguments.points)))
            return 0
        if arguments.skips:
            return skips(arguments.build_dir / "test-results")
        if arguments.check_points or arguments.update_points:
            return maintain_points(arguments)
        return grade(arguments)
    except GraderError as error:
        print(f"grade: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
