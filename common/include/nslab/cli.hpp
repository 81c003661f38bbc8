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
/// a UsageError prints `NAME: reason` and then \p usage to stderr, and
/// any other error prints `NAME: reason`; both exit 125. HelpRequested prints
/// \p usage to stdout and exits 0. Only `main` calls it.
[[nodiscard]] int run_main(std::string_view program_name, std::string_view usage,
                           const std::function<int()>& body);

/// Runs getopt_long(3) over \p argv and calls \p handle for each option with
/// its value (or nullptr). It throws HelpRequested for `-h`/`--help`, and a
/// UsageError for an unknown option or a missing value.
/// \p short_options must start with `+:`: `+` stops at the first word that
/// is not an option, so COMMAND keeps its own options, and `:` reports a
/// missing value apart from an unknown option. Returns the index of the
/// first word after the options.
int parse_options(int argc, char** argv, const char* short_options, const option* long_options,
                  const std::function<void(int, const char*)>& handle);

/// The UsageError for getopt's `'?'` (unknown option) or `':'` (missing
/// argument) result. Pass the result, `optopt` and the argument getopt was
/// looking at (`argv[optind - 1]`).
[[nodiscard]] UsageError option_error(int getopt_result, int option, const char* argument);

/// Parses \p text as a whole number from \p min to \p max; otherwise throws a
/// UsageError that names \p option, for example `-d: expected ...`.
[[nodiscard]] long parse_number(std::string_view text, std::string_view option,
                                long min, long max);

/// The words after the options (`argv[first..argc)`), or the default shell
/// (`/bin/bash`, or `/bin/sh` where there is no bash) when there are none.
[[nodiscard]] std::vector<std::string> command_or_shell(int argc, char** argv, int first);

/// Replaces the process with \p command, searching the `PATH` of the current
/// environment, after restore_signals_for_exec(). Returns only by throwing
/// ExecError.
[[noreturn]] void exec_command(const std::vector<std::string>& command);

} // namespace nslab
