// The contract all four programs share (GUIDE.md, "One contract for all four
// programs"), checked once here rather than graded again in every lab: the
// code behind it is the common library's, not the student's.
//   -h/--help             usage on stdout, status 0
//   a bad option          one line naming it, then the Try line, status 125
//   a non-executable file status 126, one line
//   a missing command     status 127, one line
#include "harness.hpp"
#include "why.hpp"

#include <cctype>
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using namespace nslab::testing;

/// A program, and what its command line needs before COMMAND.
struct Program {
  std::string name;
  std::vector<std::string> before_command; ///< options that make the run quick
  std::string input;                       ///< stdin (invoke_ns sends it on)
  bool makes_own_user_namespace = false;   ///< isolate: run as the caller
};

/// uts-demo -> UtsDemo, for the tests' names.
std::string camel_case(const std::string& name) {
  std::string camel;
  bool word_start = true;
  for (const char c : name) {
    const bool letter = std::isalnum(static_cast<unsigned char>(c)) != 0;
    if (letter) {
      camel += word_start ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    }
    word_start = !letter;
  }
  return camel;
}

class Contract : public ::testing::TestWithParam<Program> {
protected:
  /// Runs the program with \p arguments after its own options.
  [[nodiscard]] Result run_with(const std::vector<std::string>& arguments,
                                bool options = true) const {
    const Program& p = GetParam();
    std::vector<std::string> argv = {program(p.name)};
    if (options) {
      argv.insert(argv.end(), p.before_command.begin(), p.before_command.end());
    }
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    Command command(argv, p.input);
    command.root_in_user_namespace = !p.makes_own_user_namespace;
    return run(command);
  }

  /// True when \p r's stderr is exactly one line starting with \p start.
  static bool one_line_starting(const Result& r, const std::string& start) {
    return r.err.starts_with(start) && r.err.find('\n') == r.err.size() - 1;
  }
};

TEST_P(Contract, HelpGoesToStdoutAndExits0) {
  const Result r = run_with({"--help"}, false);
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  const std::string usage = "Usage: " + GetParam().name;
  EXPECT_TRUE(r.out.starts_with(usage)) << printed(r, usage + " ...");
  EXPECT_EQ(r.err, "") << complained(r, "");
}

TEST_P(Contract, BadOptionGives125AndOneLineWithTheTryLine) {
  const Result r = run_with({"--bogus", "true"}, false);
  const std::string& name = GetParam().name;
  EXPECT_EQ(r.code(), 125) << exited(r, 125);
  const std::string expected =
      name + ": unrecognized option '--bogus'\nTry '" + name + " --help' for more information.\n";
  EXPECT_EQ(r.err, expected) << complained(r, expected);
  EXPECT_EQ(r.out, "") << printed(r, "");
}

TEST_P(Contract, NonExecutableCommandGives126) {
  const Result r = run_with({"/etc/passwd"}); // in isolate's rootfs too, mode 0644
  EXPECT_EQ(r.code(), 126) << exited(r, 126);
  const std::string expected = GetParam().name + ": exec(/etc/passwd): Permission denied\n";
  EXPECT_EQ(r.err, expected) << complained(r, expected);
}

TEST_P(Contract, MissingCommandGives127WithOneLine) {
  const Result r = run_with({"nslab-no-such-command"});
  EXPECT_EQ(r.code(), 127) << exited(r, 127);
  // isolate adds, on the same line, what its rootfs has instead.
  const std::string start =
      GetParam().name + ": exec(nslab-no-such-command): No such file or directory";
  EXPECT_TRUE(one_line_starting(r, start)) << complained(r, start + "...");
}

INSTANTIATE_TEST_SUITE_P(
    Programs, Contract,
    ::testing::Values(Program{"uts-demo", {}, {}}, Program{"ipc-checkpoint", {"-d", "0"}, {}},
                      // A queue of this test process's own: the default name
                      // would clash with a run of invoke_ns in a test beside it.
                      Program{
                          "invoke_ns",
                          {"-i", "no", "-q", fmt::format("/nslab-contract-{}", ::getpid()), "--"},
                          "hi\n"},
                      Program{"isolate", {}, {}, true}),
    [](const ::testing::TestParamInfo<Program>& tested) { return camel_case(tested.param.name); });

} // namespace
