/// \file
/// \brief The sentence a student reads when a check fails.
///
/// For a failed check, `./lab grade` and Gradescope show only the line of its
/// failure message that starts with `Why: `, and the indented lines under it
/// (the program's stderr). GoogleTest's own text, which quotes C++
/// expressions, is left for `./lab grade -v`. So every graded assertion
/// streams one of these:
///
///     EXPECT_EQ(r.out, "nslab-box\n") << printed(r, "nslab-box");
///     // Why: uts-demo -n nslab-box -- hostname printed "In Namespace", expected "nslab-box"
///     //   uts-demo: ... (its stderr, if any)
#pragma once

#include "harness.hpp"

#include <string>
#include <string_view>

namespace nslab::testing {

/// `Why: SENTENCE`, on a line of its own.
[[nodiscard]] std::string why(std::string_view sentence);

/// `Why: COMMAND WHAT`, then the program's stderr indented under it: COMMAND
/// is what ran, as a student would type it (program names without their
/// build directory).
[[nodiscard]] std::string why(const Result& r, std::string_view what);

/// `Why: SENTENCE, after COMMAND`, then the program's stderr indented under
/// it: for what a check saw from the host after \p r ran.
[[nodiscard]] std::string after(const Result& r, std::string_view sentence);

/// \p text in double quotes, one line (newlines as `\n`), cut at 120 bytes.
[[nodiscard]] std::string in_quotes(std::string_view text);

/// `COMMAND exited with status 125, expected 0` (or "was killed by ...").
[[nodiscard]] std::string exited(const Result& r, int expected);

/// `COMMAND printed "...", expected "..."`, about stdout without its final newline.
[[nodiscard]] std::string printed(const Result& r, std::string_view expected);

/// `COMMAND did not print "..."`: stdout should have contained \p expected.
[[nodiscard]] std::string lacks(const Result& r, std::string_view expected);

/// `COMMAND printed "...", which it must not`: stdout should not have
/// contained \p unwanted.
[[nodiscard]] std::string must_not_print(const Result& r, std::string_view unwanted);

/// `COMMAND did not say "..." on stderr`: stderr should have contained \p expected.
[[nodiscard]] std::string did_not_say(const Result& r, std::string_view expected);

/// For a started program that never printed \p text: waits for it to end
/// (within its timeout), then says so, with its output and stderr.
[[nodiscard]] std::string never_printed(Running& running, std::string_view text);

/// Like never_printed(), for a program that must go on running: says what
/// it printed so far, and its stderr, without waiting for it to end.
[[nodiscard]] std::string has_not_printed(const Running& running, std::string_view text);

/// `COMMAND wrote "..." to stderr, expected "..."`.
[[nodiscard]] std::string complained(const Result& r, std::string_view expected);

} // namespace nslab::testing
