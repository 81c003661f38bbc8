#include "why.hpp"

#include <fmt/core.h>

namespace nslab::testing {
namespace {

constexpr std::string_view kInUserNamespace = "(in a new user namespace) ";
constexpr std::size_t kLongest = 120;
constexpr int kStderrLines = 8;

/// The command as a student would type it: no build directories, and not the
/// harness's own user namespace.
std::string typed(const Result& r) {
  std::string command = r.command;
  if (command.starts_with(kInUserNamespace)) {
    command.erase(0, kInUserNamespace.size());
  }
  for (const std::string& directory : {program(""), probe().substr(0, probe().rfind('/') + 1)}) {
    for (std::size_t at; (at = command.find(directory)) != std::string::npos;) {
      command.erase(at, directory.size());
    }
  }
  return command;
}

/// \p text, then up to kStderrLines of \p r's stderr indented under it.
std::string with_stderr(const Result& r, std::string text) {
  std::size_t start = 0;
  for (int shown = 0; start < r.err.size() && shown < kStderrLines; ++shown) {
    const std::size_t end = std::min(r.err.find('\n', start), r.err.size());
    text += fmt::format("  {}\n", std::string_view(r.err).substr(start, end - start));
    start = end + 1;
  }
  return text;
}

} // namespace

std::string why(std::string_view sentence) { return fmt::format("\nWhy: {}\n", sentence); }

std::string why(const Result& r, std::string_view what) {
  return with_stderr(r, fmt::format("\nWhy: {} {}\n", typed(r), what));
}

std::string after(const Result& r, std::string_view sentence) {
  return with_stderr(r, fmt::format("\nWhy: {}, after {}\n", sentence, typed(r)));
}

std::string in_quotes(std::string_view text) {
  if (text.ends_with('\n')) {
    text.remove_suffix(1);
  }
  std::string one_line;
  for (const char c : text.substr(0, kLongest)) {
    one_line += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return fmt::format("\"{}\"{}", one_line, text.size() > kLongest ? "..." : "");
}

std::string exited(const Result& r, int expected) {
  if (r.timed_out) {
    return why(r, "did not finish in time; the harness killed it");
  }
  return why(r, fmt::format("ended with status {} ({}), expected {}", r.code(), r.status.describe(),
                            expected));
}

std::string printed(const Result& r, std::string_view expected) {
  return why(r, fmt::format("printed {}, expected {}", in_quotes(r.out), in_quotes(expected)));
}

std::string lacks(const Result& r, std::string_view expected) {
  return why(r, fmt::format("did not print {}", in_quotes(expected)));
}

std::string must_not_print(const Result& r, std::string_view unwanted) {
  return why(r, fmt::format("printed {}, which it must not", in_quotes(unwanted)));
}

std::string did_not_say(const Result& r, std::string_view expected) {
  return why(r, fmt::format("did not say {} on stderr", in_quotes(expected)));
}

std::string never_printed(Running& running, std::string_view text) {
  const Result r = running.finish();
  return why(r, fmt::format("never printed {} (it printed {})", in_quotes(text), in_quotes(r.out)));
}

std::string has_not_printed(const Running& running, std::string_view text) {
  Result so_far;
  so_far.command = running.command();
  so_far.out = running.out_so_far();
  so_far.err = running.err_so_far();
  return why(so_far, fmt::format("has not printed {} (it printed {})", in_quotes(text),
                                 in_quotes(so_far.out)));
}

std::string complained(const Result& r, std::string_view expected) {
  return why(r,
             fmt::format("wrote {} to stderr, expected {}", in_quotes(r.err), in_quotes(expected)));
}

} // namespace nslab::testing
