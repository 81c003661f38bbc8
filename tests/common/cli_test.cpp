#include "nslab/cli.hpp"

#include "nslab/error.hpp"

#include <cerrno>
#include <gtest/gtest.h>
#include <stdexcept>

namespace {

TEST(ParseNumber, AcceptsWholeNumbersInRange) {
  EXPECT_EQ(nslab::parse_number("250", "-d", 0, 1000), 250);
  EXPECT_EQ(nslab::parse_number("0", "-d", 0, 1000), 0);
}

TEST(ParseNumber, RejectsWithTheOptionName) {
  for (const char* bad : {"", "abc", "12x", "-1", "1001", " 5"}) {
    try {
      (void)nslab::parse_number(bad, "-d", 0, 1000);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const nslab::UsageError& error) {
      EXPECT_EQ(std::string(error.what()).rfind("-d: ", 0), 0u) << error.what();
    }
  }
}

TEST(OptionError, SaysWhatIsWrong) {
  EXPECT_STREQ(nslab::option_error('?', 'x', "-x").what(), "unknown option -x");
  EXPECT_STREQ(nslab::option_error(':', 'd', "-d").what(), "option -d needs a value");
  EXPECT_STREQ(nslab::option_error('?', 0, "--bogus").what(), "unknown option --bogus");
}

TEST(CommandOrShell, DefaultsToAShell) {
  char name[] = "prog";
  char word[] = "ls";
  char* argv[] = {name, word, nullptr};
  EXPECT_EQ(nslab::command_or_shell(2, argv, 1), std::vector<std::string>{"ls"});
  const auto shell = nslab::command_or_shell(2, argv, 2);
  ASSERT_EQ(shell.size(), 1u);
  EXPECT_TRUE(shell[0] == "/bin/bash" || shell[0] == "/bin/sh") << shell[0];
}

TEST(RunMain, TurnsErrorsIntoOneLineAndStatus125) {
  testing::internal::CaptureStderr();
  const int usage_status = nslab::run_main("prog", "Usage: prog\n", []() -> int {
    throw nslab::UsageError("unknown option -x");
  });
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "prog: unknown option -x\nUsage: prog\n");
  EXPECT_EQ(usage_status, 125);

  testing::internal::CaptureStderr();
  const int error_status = nslab::run_main("prog", "Usage: prog\n", []() -> int {
    throw nslab::Error(EPERM, "sethostname", "box");
  });
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "prog: sethostname(box): Operation not permitted\n");
  EXPECT_EQ(error_status, 125);

  EXPECT_EQ(nslab::run_main("prog", "", [] { return 7; }), 7);
}

} // namespace
