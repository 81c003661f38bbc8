#include "nslab/cli.hpp"

#include "nslab/error.hpp"

#include <cerrno>
#include <gtest/gtest.h>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

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

/// Parses \p words (argv without argv[0]) as a program with -v, -d VALUE,
/// --share-ipc and --delay; returns the UsageError's text, or "" if none.
std::string usage_error_for(std::vector<std::string> words) {
  enum { kShareIpc = 1000, kShareNet };
  static const option kLongOptions[] = {{"delay", required_argument, nullptr, 'd'},
                                        {"share-ipc", no_argument, nullptr, kShareIpc},
                                        {"share-net", no_argument, nullptr, kShareNet},
                                        {"verbose", no_argument, nullptr, 'v'},
                                        {nullptr, 0, nullptr, 0}};
  words.insert(words.begin(), "prog");
  std::vector<char*> argv;
  for (std::string& word : words) {
    argv.push_back(word.data());
  }
  argv.push_back(nullptr);
  optind = 0; // getopt keeps state between calls; 0 starts it afresh
  try {
    (void)nslab::parse_options(static_cast<int>(words.size()), argv.data(), "+:vd:", kLongOptions,
                               [](int option, const char* value) {
                                 if (option == 'd') {
                                   (void)nslab::parse_number(value, "-d", 0, 9);
                                 }
                               });
  } catch (const nslab::UsageError& error) {
    return error.what();
  }
  return "";
}

// The wording of util-linux and coreutils (glibc's getopt), with the option
// named as it was typed, and never a raw byte.
TEST(ParseOptions, SaysWhatIsWrongNamingTheOptionAsTyped) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"-x"}, "invalid option -- 'x'"},
      {{"-vx"}, "invalid option -- 'x'"},
      {{"-\xc3\xa9"}, "invalid option '-\xc3\xa9'"},
      {{"-d"}, "option requires an argument -- 'd'"},
      {{"--delay"}, "option '--delay' requires an argument"},
      {{"--foo"}, "unrecognized option '--foo'"},
      {{"--foo=1"}, "unrecognized option '--foo=1'"},
      {{"--share-ipc=yes"}, "option '--share-ipc' doesn't allow an argument"},
      {{"--share-i=yes"}, "option '--share-i' doesn't allow an argument"},
      {{"--share"}, "option '--share' is ambiguous; possibilities: '--share-ipc' '--share-net'"},
      {{"-d", "12"}, "-d: expected a whole number from 0 to 9, got '12'"},
      {{"--delay=12"}, "--delay: expected a whole number from 0 to 9, got '12'"},
      {{"--del", "x"}, "--del: expected a whole number from 0 to 9, got 'x'"},
      {{"-vd12"}, "-d: expected a whole number from 0 to 9, got '12'"},
      {{"-v", "--share-ipc", "-d", "3", "--", "-x"}, ""},
  };
  for (const auto& [words, expected] : cases) {
    EXPECT_EQ(usage_error_for(words), expected) << "for " << ::testing::PrintToString(words);
  }
}

TEST(Printable, KeepsUserInputOnOneLine) {
  EXPECT_EQ(nslab::printable("a\nb\tc\x1b[2J\x7f é"), "a\\nb\\tc\\x1b[2J\\x7f é");
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
  const int usage_status = nslab::run_main(
      "prog", "Usage: prog\n", []() -> int { throw nslab::UsageError("invalid option -- 'x'"); });
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "prog: invalid option -- 'x'\nTry 'prog --help' for more information.\n");
  EXPECT_EQ(usage_status, 125);

  testing::internal::CaptureStderr();
  const int error_status = nslab::run_main(
      "prog", "Usage: prog\n", []() -> int { throw nslab::Error(EPERM, "sethostname", "a\nb"); });
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "prog: sethostname(a\\nb): Operation not permitted\n");
  EXPECT_EQ(error_status, 125);

  testing::internal::CaptureStderr();
  const int memory_status = nslab::run_main("prog", "", []() -> int { throw std::bad_alloc(); });
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "prog: out of memory\n");
  EXPECT_EQ(memory_status, 125);

  EXPECT_EQ(nslab::run_main("prog", "", [] { return 7; }), 7);
}

} // namespace
