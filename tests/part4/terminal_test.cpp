// part4: isolate's terminal, checked from the invoker's side of a real
// pseudo-terminal. The test plays the invoker's terminal emulator: it holds
// the pty's master (keyboard and screen) and starts isolate as a session
// leader on the other end, as a login shell's job would run.
//
// Each check runs as root and rootless (as nobody when the test itself is
// root, as Command::rootless does; as the test's own user otherwise).
#include "harness.hpp"
#include "nslab/error.hpp"
#include "private_rootfs.hpp"
#include "why.hpp"

#include <algorithm>
#include <csignal>
#include <fcntl.h>
#include <fmt/core.h>
#include <fmt/format.h>
#include <fstream>
#include <gtest/gtest.h>
#include <memory>
#include <optional>
#include <ostream>
#include <poll.h>
#include <pty.h>
#include <sstream>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

namespace {

using namespace nslab::testing;
using namespace std::chrono_literals;
using Words = std::vector<std::string>;
using nslab::UniqueFd;

/// Who runs isolate: the test's own user (root, as the suite normally
/// runs), or nobody, the way Command::rootless does it.
enum class Invoker { kRoot, kRootless };

std::string invoker_name(const ::testing::TestParamInfo<Invoker>& info) {
  return info.param == Invoker::kRoot ? "Root" : "Rootless";
}

/// How GoogleTest names the parameter in test listings.
void PrintTo(Invoker invoker, std::ostream* out) {
  *out << (invoker == Invoker::kRoot ? "root" : "nobody");
}

Words isolate_argv(Words arguments) {
  arguments.insert(arguments.begin(), program("isolate"));
  return arguments;
}

/// How a pseudo-terminal is set up, field by field, for comparisons that
/// say what differs.
std::string describe(const termios& mode) {
  std::string text = fmt::format("iflag {:o} oflag {:o} cflag {:o} lflag {:o} cc", mode.c_iflag,
                                 mode.c_oflag, mode.c_cflag, mode.c_lflag);
  for (const cc_t control : mode.c_cc) {
    text += fmt::format(" {}", control);
  }
  return text;
}

/// Bytes waiting to be read on \p terminal: what its session's shell would
/// read next. In canonical mode only whole lines count.
int waiting_input(int terminal) {
  int bytes = -1;
  nslab::check(::ioctl(terminal, FIONREAD, &bytes), "ioctl", "FIONREAD");
  return bytes;
}

/// isolate running on the test's pseudo-terminal.
class OnTerminal {
public:
  /// Where isolate's stdin and stdout go; stderr is always the terminal.
  enum class Stdio {
    kTerminal,     ///< both the terminal
    kNullInput,    ///< stdin from /dev/null
    kSmallPipeOut, ///< stdout a pipe that holds one page: the screen is read from it
  };

  /// Starts \p argv as \p invoker, as a session leader with the pty's
  /// terminal as its controlling terminal; the window is 24x80.
  OnTerminal(const Words& argv, Invoker invoker, Stdio stdio = Stdio::kTerminal) {
    int keyboard = -1;
    int terminal = -1;
    winsize size{};
    size.ws_row = 24;
    size.ws_col = 80;
    nslab::check(::openpty(&keyboard, &terminal, nullptr, nullptr, &size), "openpty");
    keyboard_.reset(keyboard);
    terminal_.reset(terminal);
    for (const int fd : {keyboard, terminal}) {
      nslab::check(::fcntl(fd, F_SETFD, FD_CLOEXEC), "fcntl", "FD_CLOEXEC");
    }
    nslab::check(::fcntl(keyboard, F_SETFL, O_NONBLOCK), "fcntl", "O_NONBLOCK");
    mode_before_ = mode();
    screen_source_ = keyboard;
    start(argv, invoker == Invoker::kRootless && can_become_nobody(), stdio);
  }
  OnTerminal(const OnTerminal&) = delete;
  OnTerminal& operator=(const OnTerminal&) = delete;
  ~OnTerminal() {
    if (!reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  /// Types \p keys on the terminal's keyboard.
  void type(std::string_view keys) {
    ASSERT_EQ(::write(keyboard_.get(), keys.data(), keys.size()),
              static_cast<ssize_t>(keys.size()));
  }

  /// Reads the screen until \p text appears after what earlier calls
  /// matched; false if \p timeout passes or isolate exits first.
  [[nodiscard]] bool wait_for(std::string_view text, std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (const auto found = screen_.find(text, matched_); found != std::string::npos) {
        matched_ = found + text.size();
        return true;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms || !read_screen(left)) {
        return false;
      }
    }
  }

  /// Waits (within \p timeout) for isolate to exit, reading the screen all
  /// along; its shell status, or nothing on a timeout.
  [[nodiscard]] std::optional<int> finish(std::chrono::milliseconds timeout = 10'000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        while (read_screen(0ms)) {
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      (void)read_screen(50ms); // bounded: the exit is checked again after at most 50 ms
    }
    return std::nullopt;
  }

  /// Waits (within 5 s) until there is something to read, without reading it.
  [[nodiscard]] bool output_waiting() const {
    pollfd readable{screen_source_, POLLIN, 0};
    return ::poll(&readable, 1, 5000) == 1;
  }

  /// With Stdio::kSmallPipeOut, what isolate wrote to the terminal itself
  /// (its stderr), for a failure message: read until 100 ms pass quietly.
  [[nodiscard]] std::string terminal_text() const {
    std::string text;
    char buffer[4096];
    pollfd readable{keyboard_.get(), POLLIN, 0};
    for (ssize_t got = 1; got > 0 && ::poll(&readable, 1, 100) == 1;) {
      got = ::read(keyboard_.get(), buffer, sizeof buffer);
      text.append(buffer, static_cast<std::size_t>(std::max<ssize_t>(got, 0)));
    }
    return text;
  }

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] int terminal() const noexcept { return terminal_.get(); }
  [[nodiscard]] const std::string& screen() const noexcept { return screen_; }
  [[nodiscard]] termios mode() const {
    termios mode{};
    nslab::check(::tcgetattr(terminal_.get(), &mode), "tcgetattr");
    return mode;
  }
  [[nodiscard]] const termios& mode_before() const noexcept { return mode_before_; }

  /// The container's PID 1 as the host sees it: isolate's only child.
  [[nodiscard]] pid_t container_pid() const {
    const std::vector<pid_t> children = children_of(pid_);
    return children.size() == 1 ? children.front() : -1;
  }

private:
  void start(const Words& argv, bool as_nobody, Stdio stdio) {
    std::vector<char*> words;
    for (const std::string& word : argv) {
      words.push_back(const_cast<char*>(word.c_str()));
    }
    words.push_back(nullptr);
    UniqueFd null(stdio == Stdio::kNullInput
                      ? nslab::check(::open("/dev/null", O_RDONLY | O_CLOEXEC), "open", "/dev/null")
                      : -1);
    nslab::Pipe output;
    if (stdio == Stdio::kSmallPipeOut) {
      output = nslab::make_pipe();
      nslab::check(::fcntl(output.read_end.get(), F_SETPIPE_SZ, 4096), "fcntl", "F_SETPIPE_SZ");
      nslab::check(::fcntl(output.read_end.get(), F_SETFL, O_NONBLOCK), "fcntl", "O_NONBLOCK");
      screen_source_ = output.read_end.get();
    }
    pid_ = nslab::check(::fork(), "fork");
    if (pid_ == 0) {
      // Like a login: a session of its own, with this terminal controlling it.
      ::setsid();
      ::ioctl(terminal_.get(), TIOCSCTTY, 0);
      ::dup2(null.valid() ? null.get() : terminal_.get(), STDIN_FILENO);
      ::dup2(output.write_end.valid() ? output.write_end.get() : terminal_.get(), STDOUT_FILENO);
      ::dup2(terminal_.get(), STDERR_FILENO);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (as_nobody && !become_nobody()) {
        ::_exit(125);
      }
      ::execvp(words[0], words.data());
      ::_exit(127);
    }
    pipe_out_ = std::move(output.read_end);
  }

  /// Appends what the screen shows within \p timeout; false if nothing came.
  bool read_screen(std::chrono::milliseconds timeout) {
    pollfd readable{screen_source_, POLLIN, 0};
    if (::poll(&readable, 1, static_cast<int>(timeout.count())) <= 0) {
      return false;
    }
    char buffer[4096];
    const ssize_t got = ::read(screen_source_, buffer, sizeof buffer);
    if (got <= 0) {
      return false;
    }
    screen_.append(buffer, static_cast<std::size_t>(got));
    return true;
  }

  UniqueFd keyboard_; ///< the master: what is typed goes in, the screen comes out
  UniqueFd terminal_; ///< the invoker's terminal, isolate's controlling one
  UniqueFd pipe_out_; ///< with Stdio::kSmallPipeOut: the screen
  int screen_source_ = -1;
  termios mode_before_{};
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::string screen_;
  std::size_t matched_ = 0;
};

void expect_same_mode(const termios& before, const termios& after) {
  EXPECT_EQ(describe(after), describe(before))
      << why("the invoker's terminal mode was not restored");
}

/// `Why: WHAT; the terminal ends with "..."`: for a check of what isolate
/// showed on the invoker's terminal.
std::string on_screen(const OnTerminal& run, std::string_view what) {
  const std::string& screen = run.screen();
  const std::size_t shown = std::min<std::size_t>(screen.size(), 120);
  return why(fmt::format("{}; the terminal ends with {}", what,
                         in_quotes(screen.substr(screen.size() - shown))));
}

class Terminal : public ::testing::TestWithParam<Invoker> {
protected:
  /// isolate on the test's terminal, as this run's invoker.
  [[nodiscard]] std::unique_ptr<OnTerminal> isolate_on_terminal(
      Words arguments, OnTerminal::Stdio stdio = OnTerminal::Stdio::kTerminal) const {
    return std::make_unique<OnTerminal>(isolate_argv(std::move(arguments)), GetParam(), stdio);
  }
  /// isolate with piped stdio, as this run's invoker.
  [[nodiscard]] Command isolate_command(Words arguments) const {
    Command command{isolate_argv(std::move(arguments))};
    command.root_in_user_namespace = false; // isolate makes its own
    command.rootless = GetParam() == Invoker::kRootless;
    return command;
  }
};

INSTANTIATE_TEST_SUITE_P(As, Terminal, ::testing::Values(Invoker::kRoot, Invoker::kRootless),
                         invoker_name);

/// What the attack tries to type: a command for the shell that reads next.
constexpr std::string_view kTypedCommand = "echo PWNED-BY-THE-CONTAINER\n";

// [tiocsti-test]
// Issue 9, item 4: with the invoker's terminal as its controlling terminal,
// the container could push "commands" into its input queue, which the
// invoker's shell would read and run after isolate exits.
TEST_P(Terminal, TiocstiTypesNothingIntoTheInvokersTerminal) {
  // Without seccomp, which refuses TIOCSTI as well: here the terminal's own
  // rule is what stops it.
  const PrivateRootfs rootfs(GetParam() == Invoker::kRootless);
  const auto on_terminal =
      isolate_on_terminal({"--no-tty", "--seccomp=unconfined", "-r", rootfs.path(), "nslab-probe",
                           "tiocsti", std::string(kTypedCommand)});
  OnTerminal& run = *on_terminal;
  const std::optional<int> status = run.finish();
  ASSERT_TRUE(status) << on_screen(run, "the attacker did not end");
  EXPECT_EQ(*status, 1) << on_screen(run, "the attack was not refused");
  EXPECT_NE(run.screen().find("refused EPERM"), std::string::npos)
      << on_screen(run, "TIOCSTI was not refused with EPERM");
  EXPECT_EQ(waiting_input(run.terminal()), 0) << why("typed into the invoker's terminal");
  EXPECT_EQ(run.screen().find("PWNED"), std::string::npos)
      << why("echoed by the invoker's terminal");
}
// [tiocsti-test]

TEST_P(Terminal, TiocstiFromAPseudoTerminalReachesOnlyTheContainersOwn) {
  const PrivateRootfs rootfs(GetParam() == Invoker::kRootless);
  const auto on_terminal =
      isolate_on_terminal({"--seccomp=unconfined", "-r", rootfs.path(), "nslab-probe", "tiocsti",
                           std::string(kTypedCommand)});
  OnTerminal& run = *on_terminal;
  const std::optional<int> status = run.finish();
  ASSERT_TRUE(status) << on_screen(run, "the attacker did not end");
  // Its own terminal takes the text (and echoes it), as a keyboard would...
  EXPECT_EQ(*status, 0) << on_screen(run, "the attacker did not end with status 0");
  EXPECT_NE(run.screen().find(fmt::format("typed {}", kTypedCommand.size())), std::string::npos)
      << on_screen(run, "the container's own terminal did not take the typed text");
  // ...but nothing waits in the invoker's.
  EXPECT_EQ(waiting_input(run.terminal()), 0) << why("typed into the invoker's terminal");
  expect_same_mode(run.mode_before(), run.mode());
}

// [interactive-test]
TEST_P(Terminal, InteractiveShellHasJobControl) {
  const auto on_terminal = isolate_on_terminal({"-e", "PS1=box> ", "sh"});
  OnTerminal& run = *on_terminal;
  ASSERT_TRUE(run.wait_for("box> "))
      << on_screen(run, fmt::format("{} never appeared", in_quotes("box> ")));
  // isolate relays raw keys: the invoker's terminal is in raw mode now.
  EXPECT_EQ(run.mode().c_lflag & (ICANON | ECHO | ISIG), 0U);
  run.type("tty; stty size\n");
  EXPECT_TRUE(run.wait_for("/dev/pts/0\r\n24 80\r\n"))
      << on_screen(run, fmt::format("{} never appeared", in_quotes("/dev/pts/0\r\n24 80\r\n")));
  // The window size follows: the kernel sends isolate SIGWINCH.
  winsize size{};
  size.ws_row = 33;
  size.ws_col = 99;
  ASSERT_EQ(::ioctl(run.terminal(), TIOCSWINSZ, &size), 0);
  run.type("stty size\n");
  EXPECT_TRUE(run.wait_for("33 99\r\n"))
      << on_screen(run, fmt::format("{} never appeared", in_quotes("33 99\r\n")));
  // A background job that reads the terminal is stopped (SIGTTIN); fg
  // brings it back, and the line it then reads proves it has the terminal.
  // fg names the job before it hands over the terminal and continues it, so
  // what is typed next waits for cat (typed earlier, the shell's line editor
  // could have read it along with "fg"); cat echoes the line back.
  const auto bring_back_cat_and_type = [&run](const std::string& line) {
    run.type("fg\n");
    ASSERT_TRUE(run.wait_for("fg\r\ncat\r\n"))
        << on_screen(run, fmt::format("{} never appeared", in_quotes("fg\r\ncat\r\n")));
    run.type(line + "\n");
    EXPECT_TRUE(run.wait_for(line + "\r\n" + line + "\r\n")) << on_screen(
        run, fmt::format("{} never appeared", in_quotes(line + "\r\n" + line + "\r\n")));
  };
  run.type("cat &\n");
  ASSERT_TRUE(run.wait_for("box> "))
      << on_screen(run, fmt::format("{} never appeared", in_quotes("box> ")));
  bring_back_cat_and_type("first line");
  // Ctrl-Z stops the foreground job, not isolate.
  run.type("\x1a");
  EXPECT_TRUE(run.wait_for("Stopped"))
      << on_screen(run, fmt::format("{} never appeared", in_quotes("Stopped")));
  ASSERT_TRUE(run.wait_for("box> "))
      << on_screen(run, fmt::format("{} never appeared", in_quotes("box> ")));
  bring_back_cat_and_type("second line");
  // Ctrl-C ends the foreground job; the shell and isolate live on.
  run.type("\x03");
  ASSERT_TRUE(run.wait_for("box> "))
      << on_screen(run, fmt::format("{} never appeared", in_quotes("box> ")));
  run.type("echo $((6 * 7))\n");
  EXPECT_TRUE(run.wait_for("42\r\n"))
      << on_screen(run, fmt::format("{} never appeared", in_quotes("42\r\n")));
  run.type("exit 3\n");
  EXPECT_EQ(run.finish(), 3) << on_screen(run,
                                          fmt::format("isolate did not end with status {}", 3));
  expect_same_mode(run.mode_before(), run.mode());
}
// [interactive-test]

TEST_P(Terminal, ModeComesBackWhenTheContainerIsKilled) {
  const auto on_terminal = isolate_on_terminal({"-e", "PS1=box> ", "sh"});
  OnTerminal& run = *on_terminal;
  ASSERT_TRUE(run.wait_for("box> "))
      << on_screen(run, fmt::format("{} never appeared", in_quotes("box> ")));
  ASSERT_NE(describe(run.mode()), describe(run.mode_before())) << why("never in raw mode");
  const pid_t container = run.container_pid();
  ASSERT_GT(container, 0) << on_screen(run, "isolate has no container process");
  ASSERT_EQ(::kill(container, SIGKILL), 0);
  EXPECT_EQ(run.finish(), 128 + SIGKILL)
      << on_screen(run, fmt::format("isolate did not end with status {}", 128 + SIGKILL));
  expect_same_mode(run.mode_before(), run.mode());
}

TEST_P(Terminal, ModeComesBackWhenIsolateIsTerminated) {
  const auto on_terminal = isolate_on_terminal({"-e", "PS1=box> ", "sh"});
  OnTerminal& run = *on_terminal;
  ASSERT_TRUE(run.wait_for("box> "))
      << on_screen(run, fmt::format("{} never appeared", in_quotes("box> ")));
  ASSERT_NE(describe(run.mode()), describe(run.mode_before())) << why("never in raw mode");
  // An interactive shell ignores SIGTERM: isolate kills it after its grace.
  ASSERT_EQ(::kill(run.pid(), SIGTERM), 0);
  EXPECT_TRUE(run.finish().has_value()) << on_screen(run, "isolate did not end after SIGTERM");
  expect_same_mode(run.mode_before(), run.mode());
}

// [drain-test]
TEST_P(Terminal, LastOutputIsNotLostAtExit) {
  // isolate's stdout is a pipe that holds one page (4 kB), which the test
  // leaves unread until the container is gone. Of the 11 kB, isolate can
  // take in only what fits in the pipe and its own 4 kB buffer, so the
  // container finishes with the rest still waiting in its terminal (which
  // holds that much): isolate must drain it.
  const auto on_terminal =
      isolate_on_terminal({"sh", "-c", "head -c 11000 /dev/zero | tr '\\0' x; echo; echo the-end"},
                          OnTerminal::Stdio::kSmallPipeOut);
  OnTerminal& run = *on_terminal;
  ASSERT_TRUE(run.output_waiting()) << why("no output at all");
  const UniqueFd container = open_pidfd(run.container_pid());
  ASSERT_TRUE(container.valid()) << why("isolate started no container; it wrote " +
                                        in_quotes(run.terminal_text()) + " to the terminal");
  ASSERT_TRUE(wait_for_exit(container, 5s)) << why("the container never finished writing");
  EXPECT_EQ(run.finish(), 0) << on_screen(run, "isolate did not end with status 0");
  EXPECT_EQ(std::count(run.screen().begin(), run.screen().end(), 'x'), 11000)
      << on_screen(run, "fewer or more than the 11000 x the container wrote reached the terminal");
  EXPECT_NE(run.screen().find("x\r\nthe-end\r\n"), std::string::npos)
      << on_screen(run, "the container's last line never reached the terminal");
}
// [drain-test]

TEST_P(Terminal, NoTtyPassesTheTerminalStraightThroughWithoutControllingIt) {
  const auto on_terminal =
      isolate_on_terminal({"--no-tty", "sh", "-c", "tty; cut -d' ' -f6,7 /proc/self/stat"});
  OnTerminal& run = *on_terminal;
  EXPECT_EQ(run.finish(), 0) << on_screen(run,
                                          fmt::format("isolate did not end with status {}", 0));
  // stdin is the invoker's terminal, but not the controlling one: session
  // and tty_nr in /proc/self/stat say "my own session, no terminal".
  EXPECT_NE(run.screen().find("not a tty"), std::string::npos)
      << on_screen(run, fmt::format("{} never appeared", in_quotes("not a tty")));
  EXPECT_NE(run.screen().find("1 0"), std::string::npos)
      << on_screen(run, fmt::format("{} never appeared", in_quotes("1 0")));
}

// In a session of its own, the container is out of the reach of the
// invoker's Ctrl-C: the terminal signals isolate alone, which passes it on.
TEST_P(Terminal, NoTtyCtrlCStillReachesTheContainer) {
  const auto on_terminal = isolate_on_terminal({"--no-tty", "--init", "cat"});
  OnTerminal& run = *on_terminal;
  run.type("hello\n");
  ASSERT_TRUE(run.wait_for("hello\r\nhello\r\n")) << on_screen(run, "cat never echoed hello");
  run.type("\x03");
  EXPECT_EQ(run.finish(), 128 + SIGINT)
      << on_screen(run, fmt::format("isolate did not end with status {}", 128 + SIGINT));
}

TEST_P(Terminal, TtyGivesAPseudoTerminalEvenWithoutOne) {
  const auto on_terminal = isolate_on_terminal({"--tty", "tty"}, OnTerminal::Stdio::kNullInput);
  OnTerminal& run = *on_terminal;
  EXPECT_EQ(run.finish(), 0) << on_screen(run,
                                          fmt::format("isolate did not end with status {}", 0));
  EXPECT_NE(run.screen().find("/dev/pts/0"), std::string::npos)
      << on_screen(run, fmt::format("{} never appeared", in_quotes("/dev/pts/0")));
  // isolate's stdin is no terminal, so it leaves the invoker's mode alone.
  expect_same_mode(run.mode_before(), run.mode());
}

TEST_P(Terminal, TtyRelaysPipedInputAndEndsItWithEndOfFile) {
  Command command = isolate_command(
      {"--tty", "sh", "-c", "tty; while read line; do echo got $line; done; echo done"});
  command.input = "one\ntwo\n";
  const Result result = run(command);
  EXPECT_EQ(result.code(), 0) << exited(result, 0);
  EXPECT_NE(result.out.find("/dev/pts/0\r\n"), std::string::npos)
      << lacks(result, "/dev/pts/0\r\n");
  EXPECT_NE(result.out.find("got one\r\ngot two\r\ndone\r\n"), std::string::npos)
      << lacks(result, "got one\r\ngot two\r\ndone\r\n");
}

TEST_P(Terminal, WithoutATerminalTheContainerStillGetsItsOwnSession) {
  Command command = isolate_command({"sh", "-c", "echo ready; read line || true"});
  command.close_stdin = false;
  Running running = start(command);
  ASSERT_TRUE(running.wait_for_output("ready\n")) << never_printed(running, "ready\n");
  std::ifstream list(fmt::format("/proc/{0}/task/{0}/children", running.pid()));
  pid_t container = -1;
  ASSERT_TRUE(list >> container);
  // Field 6 of /proc/PID/stat is the session id, in the host's numbering.
  const auto session_of = [](pid_t pid) {
    std::ifstream stat(fmt::format("/proc/{}/stat", pid));
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::istringstream after_name(text.substr(text.rfind(')') + 2));
    std::string state;
    pid_t parent = 0;
    pid_t group = 0;
    pid_t session = 0;
    after_name >> state >> parent >> group >> session;
    return session;
  };
  EXPECT_EQ(session_of(container), container) << why("the container leads a session of its own");
  EXPECT_NE(session_of(container), session_of(running.pid()));
  running.close_stdin();
  EXPECT_EQ(running.finish().code(), 0);
}

TEST(TerminalOptions, TtyAndNoTtyExcludeEachOther) {
  Command command{isolate_argv({"--tty", "--no-tty", "true"})};
  command.root_in_user_namespace = false;
  const Result result = run(command);
  EXPECT_EQ(result.code(), 125) << exited(result, 125);
  EXPECT_NE(result.err.find("--no-tty: cannot be combined with --tty"), std::string::npos)
      << did_not_say(result, "--no-tty: cannot be combined with --tty");
}

} // namespace
