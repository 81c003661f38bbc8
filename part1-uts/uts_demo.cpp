// uts-demo: the UTS namespace, the simplest namespace there is.
//
// Demonstrates clone(2) with CLONE_NEWUTS: the child gets its own copy of
// the hostname, changes it, and runs COMMAND (a shell by default) so you can
// look around. The host's hostname never changes. This follows the first
// example in Jean-Tiare Le Bigot's "Introduction to Linux namespaces".
//
// Usage: uts-demo [-h] [-v] [-n HOSTNAME] [--] [COMMAND [ARG...]]

#include "nslab/child.hpp"
#include "nslab/cli.hpp"
#include "nslab/hostname.hpp"
#include "nslab/narrator.hpp"
#include "nslab/supervise.hpp"

#include <fmt/core.h>
#include <getopt.h>
#include <sched.h>
#include <unistd.h>

namespace {

constexpr std::string_view kProgram = "uts-demo";
constexpr std::string_view kUsage =
    R"(Usage: uts-demo [-h] [-v] [-n HOSTNAME] [--] [COMMAND [ARG...]]

Runs COMMAND (default: /bin/bash, or /bin/sh) in a new UTS namespace whose
hostname is HOSTNAME. The host's hostname is not changed.

Options:
  -n, --hostname NAME  hostname inside the namespace (default "In Namespace")
  -v, --verbose        show both hostnames and the namespace table
  -h, --help           show this help and exit

Exit status: COMMAND's own; 128+N if it was killed by signal N;
125 if uts-demo itself failed; 126 if COMMAND could not be executed;
127 if COMMAND was not found.
)";

struct Options {
  std::string hostname = "In Namespace";
  bool verbose = false;
  std::vector<std::string> command;
};

Options parse_options(int argc, char** argv) {
  static const option long_options[] = {{"hostname", required_argument, nullptr, 'n'},
                                        {"verbose", no_argument, nullptr, 'v'},
                                        {"help", no_argument, nullptr, 'h'},
                                        {nullptr, 0, nullptr, 0}};
  Options options;
  const int first_word =
      nslab::parse_options(argc, argv, "+:hvn:", long_options, [&](int option, const char* value) {
        switch (option) {
        case 'v':
          options.verbose = true;
          break;
        case 'n':
          nslab::validate_hostname(value, "-n");
          options.hostname = value;
          break;
        }
      });
  options.command = nslab::command_or_shell(argc, argv, first_word);
  return options;
}

// [child]
// Runs in the child, inside the new UTS namespace.
int child_main(const Options& options, const nslab::Narrator& narrator) {
  // BEGIN EXERCISE part1.sethostname
  // STUB: // TODO(part1.sethostname): set this UTS namespace's hostname to options.hostname.
  // STUB: // Use nslab::set_hostname (common/include/nslab/hostname.hpp), which calls
  // STUB: // sethostname(2) and throws nslab::Error when it fails; see uts_namespaces(7).
  // STUB: nslab::not_implemented("part1.sethostname", options);
  nslab::set_hostname(options.hostname);
  // END EXERCISE part1.sethostname
  narrator.child("my hostname is now \"{}\"", nslab::current_hostname());
  // No new PID namespace here, so getppid() names the parent as /proc sees it.
  narrator.namespaces(::getppid(), ::getpid());
  nslab::exec_command(options.command);
}
// [child]

// [run]
int run(const Options& options) {
  const nslab::Narrator narrator(options.verbose);
  nslab::SignalFd signals;
  narrator.parent("my hostname is \"{}\"; starting a child in a new UTS namespace",
                  nslab::current_hostname());
  nslab::Child child =
      nslab::clone_child(CLONE_NEWUTS, [&] { return child_main(options, narrator); });
  const nslab::ExitStatus status = nslab::wait_forwarding_signals(child, signals);
  narrator.parent("child {}; my hostname is still \"{}\"", status.describe(),
                  nslab::current_hostname());
  return status.shell_status();
}
// [run]

} // namespace

int main(int argc, char** argv) {
  return nslab::run_main(kProgram, kUsage, [&] { return run(parse_options(argc, argv)); });
}
