// Bad input, table-driven: every program, given input it cannot accept,
// answers with its exit status and one clear line, and changes nothing on
// the host. A usage error is util-linux's two lines: what is wrong, naming
// the option as it was typed, then `Try 'PROG --help' for more information.`
// (status 125). Any other failure is the one line alone.

#include "harness.hpp"
#include "host_state.hpp"
#include "text.hpp"

#include "nslab/hostname.hpp"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace {

using nslab::testing::Command;
using nslab::testing::HostState;
using nslab::testing::Result;

/// One bad invocation and what must come of it.
struct BadInput {
  std::vector<std::string> arguments; ///< after the program's path
  int status;                         ///< the exit status
  std::string says;                   ///< the first line, after "PROG: ", starts with this
  bool usage = true;                  ///< a usage error: the Try line follows
};

class BadInputTable : public ::testing::Test {
protected:
  void SetUp() override { before_ = HostState::now(); }

  void TearDown() override { EXPECT_EQ(nslab::testing::left_behind(before_), ""); }

  /// Runs \p program with each row of \p table and checks the answer.
  void check_all(const std::string& program, const std::vector<BadInput>& table,
                 bool makes_own_user_namespace = false) {
    for (const BadInput& row : table) {
      std::vector<std::string> argv = {nslab::testing::program(program)};
      argv.insert(argv.end(), row.arguments.begin(), row.arguments.end());
      Command command(argv, "hello\n");
      command.root_in_user_namespace = !makes_own_user_namespace;
      const Result r = nslab::testing::run(command);
      const std::vector<std::string> lines = nslab::testing::lines(r.err);
      const std::string case_name = ::testing::PrintToString(row.arguments);
      EXPECT_EQ(r.code(), row.status) << case_name << "\n" << r.describe();
      ASSERT_FALSE(lines.empty()) << case_name << ": no error line\n" << r.describe();
      EXPECT_EQ(lines.front().rfind(program + ": " + row.says, 0), 0u)
          << case_name << ": expected '" << program << ": " << row.says << "...'\n"
          << r.describe();
      if (row.usage) {
        EXPECT_EQ(lines.size(), 2u) << case_name << "\n" << r.describe();
        EXPECT_EQ(lines.back(), "Try '" + program + " --help' for more information.")
            << case_name << "\n"
            << r.describe();
        EXPECT_EQ(r.out, "") << case_name << ": a usage error runs nothing\n" << r.describe();
      } else {
        EXPECT_EQ(lines.size(), 1u) << case_name << "\n" << r.describe();
      }
      EXPECT_EQ(nslab::current_hostname(), before_.hostname) << case_name;
      ++runs_;
    }
  }

  HostState before_;
  int runs_ = 0;
};

const std::string kTooLongHostname(65, 'x');

TEST_F(BadInputTable, UtsDemo) {
  check_all("uts-demo",
            {
                {{"-x"}, 125, "invalid option -- 'x'"},
                {{"-vx"}, 125, "invalid option -- 'x'"},
                {{"-\xc3\xa9"}, 125, "invalid option '-\xc3\xa9'"},
                {{"--foo"}, 125, "unrecognized option '--foo'"},
                {{"--foo=bar", "true"}, 125, "unrecognized option '--foo=bar'"},
                {{"-n"}, 125, "option requires an argument -- 'n'"},
                {{"--hostname"}, 125, "option '--hostname' requires an argument"},
                {{"--verbose=yes"}, 125, "option '--verbose' doesn't allow an argument"},
                {{"--help=me"}, 125, "option '--help' doesn't allow an argument"},
                {{"-n", "", "true"}, 125, "-n: a hostname must be 1 to 64 bytes, got 0"},
                {{"--hostname", kTooLongHostname, "true"},
                 125,
                 "--hostname: a hostname must be 1 to 64 bytes, got 65"},
                {{"-n", "a\nb", "true"},
                 125,
                 "-n: a hostname may not contain control characters, got 'a\\nb'"},
                {{"--hostname=a\tb", "true"},
                 125,
                 "--hostname: a hostname may not contain control characters, got 'a\\tb'"},
                {{"-n", "\x1b[2J", "true"},
                 125,
                 "-n: a hostname may not contain control characters, got '\\x1b[2J'"},
                {{""}, 125, "COMMAND is empty"},
                {{"--", ""}, 125, "COMMAND is empty"},
            });
}

TEST_F(BadInputTable, IpcCheckpoint) {
  check_all(
      "ipc-checkpoint",
      {
          {{"-x"}, 125, "invalid option -- 'x'"},
          {{"--foo"}, 125, "unrecognized option '--foo'"},
          {{"--share-ipc=yes"}, 125, "option '--share-ipc' doesn't allow an argument"},
          {{"--share=yes"}, 125, "option '--share' doesn't allow an argument"},
          {{"--v=1"}, 125, "option '--v' doesn't allow an argument"},
          {{"-d"}, 125, "option requires an argument -- 'd'"},
          {{"--delay"}, 125, "option '--delay' requires an argument"},
          {{"-d", "abc"}, 125, "-d: expected a whole number from 0 to 3600000, got 'abc'"},
          {{"--delay=-1"}, 125, "--delay: expected a whole number from 0 to 3600000, got '-1'"},
          {{"-d", "3600001"}, 125, "-d: expected a whole number"},
          {{"-d", ""}, 125, "-d: expected a whole number"},
          {{"-d", "1", ""}, 125, "COMMAND is empty"},
          {{"-d", "1\n2"}, 125, "-d: expected a whole number from 0 to 3600000, got '1\\n2'"},
      });
}

TEST_F(BadInputTable, InvokeNs) {
  const std::string queue = nslab::testing::unique_name("/nslab-bad");
  check_all(
      "invoke_ns",
      {
          {{"-x"}, 125, "invalid option -- 'x'"},
          {{"--foo"}, 125, "unrecognized option '--foo'"},
          {{"--pid=yes"}, 125, "option '--pid' doesn't allow an argument"},
          {{"--net=1"}, 125, "option '--net' doesn't allow an argument"},
          {{"-i"}, 125, "option requires an argument -- 'i'"},
          {{"--ipc"}, 125, "option '--ipc' requires an argument"},
          {{"--queue"}, 125, "option '--queue' requires an argument"},
          {{"-i", "maybe"}, 125, "-i: expected yes or no, got 'maybe'"},
          {{"--ipc=maybe"}, 125, "--ipc: expected yes or no, got 'maybe'"},
          {{"-t", "0", "-i", "no"}, 125, "-t: expected a whole number from 1 to 86400, got '0'"},
          {{"--timeout=86401"}, 125, "--timeout: expected a whole number from 1 to 86400"},
          {{"-q", "noslash", "-i", "no"}, 125, "-q: a queue name is a slash"},
          {{"--queue=/a/b"}, 125, "--queue: a queue name is a slash"},
          {{"-q", "/"}, 125, "-q: a queue name is a slash"},
          {{"-u", ""}, 125, "-u: a hostname must be 1 to 64 bytes, got 0"},
          {{"--uts=a\nb"}, 125, "--uts: a hostname may not contain control characters"},
          {{"-q", queue, "--", ""}, 125, "COMMAND is empty"},
          {{"-q", queue, "nslab-no-such-command"},
           127,
           "exec(nslab-no-such-command): No such file or directory",
           false},
      });
  EXPECT_FALSE(nslab::testing::posix_queue_exists(queue));
}

TEST_F(BadInputTable, Isolate) {
  check_all(
      "isolate",
      {
          {{"-x", "true"}, 125, "invalid option -- 'x'"},
          {{"--foo", "true"}, 125, "unrecognized option '--foo'"},
          {{"--init=yes", "true"}, 125, "option '--init' doesn't allow an argument"},
          {{"--read-only=yes", "true"}, 125, "option '--read-only' doesn't allow an argument"},
          {{"--net"}, 125, "option '--net' requires an argument"},
          {{"--ip"}, 125, "option '--ip' requires an argument"},
          {{"-H"}, 125, "option requires an argument -- 'H'"},
          {{"--net", "bogus", "true"}, 125, "--net: unknown mode 'bogus'"},
          {{"--net=bogus", "true"}, 125, "--net: unknown mode 'bogus'"},
          {{"-H", "a\nb", "true"},
           125,
           "-H: a hostname may not contain control characters, got 'a\\nb'"},
          {{"--hostname", "", "true"}, 125, "--hostname: a hostname must be 1 to 64 bytes"},
          {{"-e", "NOEQUALS", "true"}, 125, "-e: expected NAME=VALUE, got 'NOEQUALS'"},
          {{"--env", "=x", "true"}, 125, "--env: expected NAME=VALUE, got '=x'"},
          {{"--pids", "0", "true"}, 125, "--pids: "},
          {{"--memory", "lots", "true"}, 125, "--memory: "},
          {{"--cpus", "abc", "true"}, 125, "--cpus: "},
          {{"--cap-add", "NOT_A_CAPABILITY", "true"}, 125, "--cap-add: "},
          {{"--seccomp", "bogus", "true"}, 125, "--seccomp: "},
          {{}, 125, "no COMMAND given"},
          {{""}, 125, "COMMAND is empty"},
          {{"-r", "/nslab-no-such-rootfs", "true"},
           125,
           "rootfs(/nslab-no-such-rootfs): No such file or directory",
           false},
          {{"bash"}, 127, "exec(bash): No such file or directory (the rootfs ", false},
      },
      true);
}

} // namespace
