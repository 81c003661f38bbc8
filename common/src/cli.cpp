#include "nslab/cli.hpp"

#include "nslab/exit_status.hpp"
#include "nslab/signals.hpp"
#include "nslab/userns_policy.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstdio>
#include <cerrno>
#include <fmt/core.h>
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

} // namespace

int run_main(std::string_view program_name, std::string_view usage,
             const std::function<int()>& body) {
  ignore_broken_pipe_signal();
  try {
    return body();
  } catch (const HelpRequested&) {
    fmt::print("{}", usage);
    return kExitOk;
  } catch (const UsageError& error) {
    fmt::print(stderr, "{}: {}\n{}", program_name, error.what(), usage);
  } catch (const Error& error) {
    fmt::print(stderr, "{}: {}\n", program_name, error.what());
    print_apparmor_hint(error.code().value());
  } catch (const std::exception& error) {
    fmt::print(stderr, "{}: {}\n", program_name, error.what());
  }
  return kExitSetupFailed;
}

int parse_options(int argc, char** argv, const char* short_options, const option* long_options,
                  const std::function<void(int, const char*)>& handle) {
  opterr = 0; // we print our own one-line reason, then the usage
  int option;
  while ((option = getopt_long(argc, argv, short_options, long_options, nullptr)) != -1) {
    if (option == 'h') {
      throw HelpRequested();
    }
    if (option == '?' || option == ':') {
      throw option_error(option, optopt, argv[optind - 1]);
    }
    handle(option, optarg);
  }
  return optind;
}

UsageError option_error(int getopt_result, int option, const char* argument) {
  // getopt leaves optopt at 0 for an unknown long option; the argument
  // itself is then the best name for it.
  const std::string name = option != 0 ? fmt::format("-{}", static_cast<char>(option))
                                       : std::string(argument ? argument : "?");
  if (getopt_result == ':') {
    return UsageError(fmt::format("option {} needs a value", name));
  }
  return UsageError(fmt::format("unknown option {}", name));
}

long parse_number(std::string_view text, std::string_view option, long min, long max) {
  long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    throw UsageError(fmt::format("{}: expected a whole number from {} to {}, got '{}'", option,
                                 min, max, text));
  }
  return value;
}

std::vector<std::string> command_or_shell(int argc, char** argv, int first) {
  if (first < argc) {
    return {argv + first, argv + argc};
  }
  return {::access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh"};
}

namespace {

// execvp(3) wants char* const[]; it does not write through the pointers.
std::vector<char*> to_argv(const std::vector<std::string>& words) {
  std::vector<char*> pointers;
  pointers.reserve(words.size() + 1);
  for (const std::string& word : words) {
    pointers.push_back(const_cast<char*>(word.c_str()));
  }
  pointers.push_back(nullptr);
  return pointers;
}

/// True when \p name is a file in some directory on PATH. execvp(3) reports
/// EACCES if any PATH directory was unreadable, even when the command exists
/// nowhere; a shell calls that "not found", and so do we.
bool exists_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string_view directories = path ? path : "/usr/bin:/bin";
  while (!directories.empty()) {
    const auto end = std::min(directories.find(':'), directories.size());
    const std::string candidate = fmt::format("{}/{}", directories.substr(0, end), name);
    if (::access(candidate.c_str(), F_OK) == 0) {
      return true;
    }
    directories.remove_prefix(std::min(end + 1, directories.size()));
  }
  return false;
}

int exec_errno(const std::string& command) {
  const int errnum = errno;
  const bool searched_path = command.find('/') == std::string::npos;
  if (errnum == EACCES && searched_path && !exists_on_path(command)) {
    return ENOENT;
  }
  return errnum;
}

} // namespace

void exec_command(const std::vector<std::string>& command) {
  restore_signals_for_exec();
  // exec replaces the process without flushing stdio: unflushed output is lost.
  std::fflush(nullptr);
  const std::vector<char*> argv = to_argv(command);
  ::execvp(argv[0], argv.data());
  throw ExecError(exec_errno(command.front()), command.front());
}

} // namespace nslab
