#include "nslab/cli.hpp"

#include "nslab/exit_status.hpp"
#include "nslab/signals.hpp"
#include "nslab/userns_policy.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fmt/core.h>
#include <fmt/format.h>
#include <new>
#include <unistd.h>

namespace nslab {

namespace {

// An EPERM under Ubuntu's AppArmor restriction gets its cause and fix on the
// next line, because "Operation not permitted" alone reads like a bug.
void print_apparmor_hint(int errnum) {
  if (const std::string hint = apparmor_userns_hint(errnum); !hint.empty()) {
    fmt::print(stderr, "{}\n", hint);
  }
}

/// The program's name, for the terminate handler, which can take no arguments.
std::string_view terminating_program = "nslab";
std::terminate_handler default_terminate = nullptr;

// [out-of-memory]
/// Throwing std::bad_alloc needs memory for the exception object itself.
/// When even libstdc++'s emergency pool for that is gone (it is allocated at
/// start-up, and a tiny `ulimit -v` leaves it empty), std::terminate is
/// called with no active exception. In these single-threaded programs that
/// happens only then, so it reads as what it is: out of memory. It must not
/// allocate, so it writes with write(2) and leaves with _exit.
[[noreturn]] void terminate_out_of_memory() noexcept {
  if (std::current_exception() == nullptr) {
    const auto say = [](std::string_view text) {
      [[maybe_unused]] const ssize_t ignored = ::write(STDERR_FILENO, text.data(), text.size());
    };
    say(terminating_program);
    say(": out of memory\n");
    ::_exit(kExitSetupFailed);
  }
  default_terminate(); // a real bug: keep the default report and abort
  std::abort();
}
// [out-of-memory]

} // namespace

int run_main(std::string_view program_name, std::string_view usage,
             const std::function<int()>& body) {
  ignore_broken_pipe_signal();
  terminating_program = program_name;
  default_terminate = std::set_terminate(terminate_out_of_memory);
  try {
    return body();
  } catch (const HelpRequested&) {
    fmt::print("{}", usage);
    return kExitOk;
  } catch (const UsageError& error) {
    // The reason and where to look, as util-linux and coreutils do; the
    // whole usage would bury the one line that matters.
    fmt::print(stderr, "{}: {}\nTry '{} --help' for more information.\n", program_name,
               printable(error.what()), program_name);
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "{}: out of memory\n", program_name);
  } catch (const Error& error) {
    fmt::print(stderr, "{}: {}\n", program_name, printable(error.what()));
    print_apparmor_hint(error.code().value());
    return error.exit_code(); // 126 or 127 for a command the child could not exec
  } catch (const std::exception& error) {
    fmt::print(stderr, "{}: {}\n", program_name, printable(error.what()));
  }
  return kExitSetupFailed;
}

std::string printable(std::string_view text) {
  std::string line;
  line.reserve(text.size());
  for (const char character : text) {
    const auto byte = static_cast<unsigned char>(character);
    if (byte == '\n') {
      line += "\\n";
    } else if (byte == '\t') {
      line += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      line += fmt::format("\\x{:02x}", byte);
    } else {
      line += character;
    }
  }
  return line;
}

namespace {

/// The option getopt_long(3) stopped at, as the user typed it: `--net` for
/// `--net=x`, `-d` for `-d5` or `-vd`. \p word is the argument being parsed.
std::string typed_name(const char* word, int id) {
  const std::string_view text = word != nullptr ? word : "";
  if (text.starts_with("--")) {
    return std::string(text.substr(0, text.find('=')));
  }
  return fmt::format("-{}", static_cast<char>(id));
}

/// How option \p id is spelled in the program's own messages: `-d` when it has
/// a short form, else `--name`.
std::string own_name(int id, const char* short_options, const option* long_options) {
  if (id > 0 && id < 0x80 && std::isalnum(id) != 0 && std::strchr(short_options, id) != nullptr) {
    return fmt::format("-{}", static_cast<char>(id));
  }
  for (const option* entry = long_options; entry->name != nullptr; ++entry) {
    if (entry->flag == nullptr && entry->val == id) {
      return fmt::format("--{}", entry->name);
    }
  }
  return {};
}

/// The long options whose names start with \p prefix (`--` stripped).
std::vector<std::string> long_options_starting_with(std::string_view prefix,
                                                    const option* long_options) {
  std::vector<std::string> matches;
  for (const option* entry = long_options; entry->name != nullptr; ++entry) {
    if (std::string_view(entry->name).starts_with(prefix)) {
      matches.push_back(fmt::format("'--{}'", entry->name));
    }
  }
  return matches;
}

/// \p message with its leading option name \p own replaced by \p typed,
/// when it starts with \p own followed by `:` or a space; else unchanged.
std::string as_typed(std::string_view message, std::string_view own, std::string_view typed) {
  if (own.empty() || !message.starts_with(own) || message.size() == own.size() ||
      (message[own.size()] != ':' && message[own.size()] != ' ')) {
    return std::string(message);
  }
  return fmt::format("{}{}", typed, message.substr(own.size()));
}

} // namespace

// [usage-errors]
UsageError option_error(int getopt_result, int id, const char* word, const option* long_options) {
  const std::string_view text = word != nullptr ? word : "";
  if (text.starts_with("--")) {
    // getopt_long leaves optopt at 0 for a long option it does not know,
    // and at the option's value (not a character) for one it does: so the
    // name comes from the word itself.
    const std::string name = typed_name(word, id);
    if (getopt_result == ':') {
      return UsageError(fmt::format("option '{}' requires an argument", name));
    }
    if (id != 0) {
      return UsageError(fmt::format("option '{}' doesn't allow an argument", name));
    }
    const auto matches = long_options_starting_with(name.substr(2), long_options);
    if (matches.size() > 1) {
      return UsageError(fmt::format("option '{}' is ambiguous; possibilities: {}", name,
                                    fmt::join(matches, " ")));
    }
    return UsageError(fmt::format("unrecognized option '{}'", text));
  }
  const bool plain = id > 0x20 && id < 0x7f;
  if (getopt_result == ':') {
    return UsageError(fmt::format("option requires an argument -- '{}'", static_cast<char>(id)));
  }
  // A byte of a multi-byte character is no name to show: show the word.
  return plain ? UsageError(fmt::format("invalid option -- '{}'", static_cast<char>(id)))
               : UsageError(fmt::format("invalid option '{}'", text));
}

int parse_options(int argc, char** argv, const char* short_options, const option* long_options,
                  const std::function<void(int, const char*)>& handle) {
  opterr = 0; // we print our own line: getopt's would name argv[0], a path
  while (true) {
    // The word getopt is about to look at, for naming the option as typed
    // (an optind of 0 asks getopt to start afresh, at argv[1]).
    const int next = std::max(optind, 1);
    const char* word = next < argc ? argv[next] : nullptr;
    const int option = getopt_long(argc, argv, short_options, long_options, nullptr);
    if (option == -1) {
      return optind;
    }
    if (option == 'h') {
      throw HelpRequested();
    }
    if (option == '?' || option == ':') {
      throw option_error(option, optopt, word, long_options);
    }
    try {
      handle(option, optarg);
    } catch (const UsageError& error) {
      // The handler names the option its own way (`-d: ...`); the user may
      // have typed the other one (`--delay`).
      throw UsageError(as_typed(error.what(), own_name(option, short_options, long_options),
                                typed_name(word, option)));
    }
  }
}
// [usage-errors]

long parse_number(std::string_view text, std::string_view option, long min, long max) {
  long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    throw UsageError(
        fmt::format("{}: expected a whole number from {} to {}, got '{}'", option, min, max, text));
  }
  return value;
}

void reject_empty_command(const std::vector<std::string>& command) {
  if (!command.empty() && command.front().empty()) {
    throw UsageError("COMMAND is empty: name the program to run, for example sh");
  }
}

std::vector<std::string> command_or_shell(int argc, char** argv, int first) {
  if (first < argc) {
    std::vector<std::string> command(argv + first, argv + argc);
    reject_empty_command(command);
    return command;
  }
  return {::access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh"};
}

} // namespace nslab
