/// \file
/// \brief What the four programs share on the command line: the main wrapper
/// that turns errors into exit statuses, number parsing and the default shell.
#pragma once

#include "nslab/error.hpp"

#include <functional>
#include <getopt.h>
#include <string>
#include <string_view>
#include <vector>

namespace nslab {

/// Runs a program's \p body and turns what escapes it into the exit contract:
/// a UsageError prints `NAME: reason` and `Try 'NAME --help' for more
/// information.` to stderr; std::bad_alloc prints `NAME: out of memory`; any
/// other error prints `NAME: reason`. All of them exit 125, except an
/// ExecError (126 or 127), with control characters in the reason escaped so
/// that it stays one line.
/// HelpRequested prints \p usage to stdout and exits 0. Only `main` calls it.
[[nodiscard]] int run_main(std::string_view program_name, std::string_view usage,
                           const std::function<int()>& body);

/// \p text with newlines, tabs and other control characters written as
/// `\n`, `\t` and `\xNN`: user input echoed in an error stays on one line
/// and cannot move the terminal's cursor.
[[nodiscard]] std::string printable(std::string_view text);

/// Runs getopt_long(3) over \p argv and calls \p handle for each option with
/// its value (or nullptr). It throws HelpRequested for `-h`/`--help`, and a
/// UsageError for an unknown option or a missing or unwanted value, worded
/// like util-linux's and naming the option as the user typed it. A
/// UsageError from \p handle that starts with the option's short name (or
/// its long name, if it has no short one) gets the typed name instead.
/// \p short_options must start with `+:`: `+` stops at the first word that
/// is not an option, so COMMAND keeps its own options, and `:` reports a
/// missing value apart from an unknown option. Returns the index of the
/// first word after the options.
int parse_options(int argc, char** argv, const char* short_options, const option* long_options,
                  const std::function<void(int, const char*)>& handle);

/// The UsageError for getopt's `'?'` (unknown option, or a value given to an
/// option that takes none) or `':'` (missing value). Pass the result,
/// `optopt` as \p id, the word getopt was looking at and the long options.
[[nodiscard]] UsageError option_error(int getopt_result, int id, const char* word,
                                      const option* long_options);

/// Parses \p text as a whole number from \p min to \p max; otherwise throws a
/// UsageError that names \p option, for example `-d: expected ...`.
[[nodiscard]] long parse_number(std::string_view text, std::string_view option, long min, long max);

/// Throws a UsageError when \p command's first word is empty (`prog ''`),
/// which exec would only answer with "No such file or directory".
void reject_empty_command(const std::vector<std::string>& command);

/// The words after the options (`argv[first..argc)`), or the default shell
/// (`/bin/bash`, or `/bin/sh` where there is no bash) when there are none.
/// Throws a UsageError for an empty COMMAND (see reject_empty_command()).
[[nodiscard]] std::vector<std::string> command_or_shell(int argc, char** argv, int first);

} // namespace nslab
