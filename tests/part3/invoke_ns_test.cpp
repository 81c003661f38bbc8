// Lab 3 checks: invoke_ns sends a message over a POSIX message queue when the
// child shares the parent's IPC namespace, and cannot when it has its own.
// Every check looks from outside: the program's output and exit status, the
// queue as mq_open(3) sees it from the test process, the host's hostname and
// mount table, and the processes left behind.

#include "harness.hpp"
#include "text.hpp"
#include "why.hpp"

#include "nslab/hostname.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <mqueue.h>
#include <set>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace nslab::testing;

/// True when the test process can open queue \p name: in the host's IPC
/// namespace, where invoke_ns's parent creates it.
bool queue_exists(const std::string& name) {
  const mqd_t queue = ::mq_open(name.c_str(), O_RDONLY);
  if (queue == -1) {
    const int error = errno;
    EXPECT_EQ(error, ENOENT) << why(fmt::format(
        "mq_open({}) from the host failed with {}, expected ENOENT", name, std::strerror(error)));
    return false;
  }
  ::mq_close(queue);
  return true;
}

/// Leaves a queue behind as a crashed run would: with a message still in it.
void leave_stale_queue(const std::string& name, const std::string& message) {
  mq_attr attributes{};
  attributes.mq_maxmsg = 1;
  attributes.mq_msgsize = 81;
  const mqd_t queue = ::mq_open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600, &attributes);
  ASSERT_NE(queue, -1) << why(
      fmt::format("the test could not make queue {}: {}", name, std::strerror(errno)));
  ASSERT_EQ(::mq_send(queue, message.data(), message.size(), 0), 0)
      << why(fmt::format("the test could not send to {}: {}", name, std::strerror(errno)));
  ::mq_close(queue);
}

/// The mqueue inode that \p name refers to now, or 0 when there is no such
/// queue: which queue holds the name, not just whether one does.
ino_t queue_inode(const std::string& name) {
  const mqd_t queue = ::mq_open(name.c_str(), O_RDONLY | O_NONBLOCK);
  if (queue == -1) {
    return 0;
  }
  struct stat status {};
  EXPECT_EQ(::fstat(queue, &status), 0) << std::strerror(errno);
  ::mq_close(queue);
  return status.st_ino;
}

bool has_line(const std::string& text, const std::string& wanted) {
  for (const std::string& line : lines(text)) {
    if (line == wanted) {
      return true;
    }
  }
  return false;
}

/// Every test gets its own queue name, so the suite can run in parallel, and
/// afterwards that queue must be gone from the host.
class InvokeNs : public ::testing::Test {
protected:
  void TearDown() override {
    // Processes first: after a SIGKILL, the janitor unlinks the queue and
    // exits, and this waits for exactly that.
    EXPECT_TRUE(nslab::testing::leftover_processes().empty())
        << why("a process of the run was still running on the host after invoke_ns ended");
    EXPECT_FALSE(queue_exists(queue_))
        << why(fmt::format("invoke_ns left the queue {} behind on the host", queue_));
  }

  /// invoke_ns -q QUEUE ARGS..., with \p input on stdin.
  [[nodiscard]] Command command(std::vector<std::string> arguments, std::string input = {}) const {
    std::vector<std::string> argv = {nslab::testing::program("invoke_ns"), "-q", queue_};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    return Command{argv, std::move(input)};
  }

  [[nodiscard]] Result invoke(std::vector<std::string> arguments, std::string input = {}) const {
    return nslab::testing::run(command(std::move(arguments), std::move(input)));
  }

  std::string queue_ = nslab::testing::unique_name("/nslab-mq");
};

TEST_F(InvokeNs, SharedIpcNamespaceDeliversTheExactMessage) {
  const Result r = invoke({"-i", "no"}, "hello across namespaces\n");
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_EQ(r.out, "Message received: hello across namespaces\n")
      << printed(r, "Message received: hello across namespaces\n");
  EXPECT_EQ(r.err, "") << complained(r, "");
}

TEST_F(InvokeNs, NewIpcNamespaceCannotFindTheQueueAndAnswersAtOnce) {
  const Result r = invoke({"-i", "yes"}, "this must not cross\n");
  EXPECT_EQ(r.code(), 1) << exited(r, 1);
  EXPECT_NE(r.err.find("mq_open(" + queue_ + "): No such file or directory"), std::string::npos)
      << did_not_say(r, "mq_open(" + queue_ + "): No such file or directory");
  EXPECT_EQ(lines(r.err).size(), 1U)
      << why(r, "wrote more than one line to stderr, expected one clear message");
  EXPECT_EQ(r.out.find("this must not cross"), std::string::npos)
      << must_not_print(r, "this must not cross");
  // The spec asks for well under a second, against a default -t of 60 s.
  EXPECT_LT(r.elapsed, milliseconds{3000})
      << why(r, "took 3 s or more: the child should give up at once when the queue is missing");
}

TEST_F(InvokeNs, CombinedShortOptionsWork) {
  const Result r = invoke({"-vi", "no"}, "combined\n");
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_NE(r.out.find("Parent: created queue " + queue_), std::string::npos)
      << lacks(r, "Parent: created queue " + queue_);
  EXPECT_TRUE(has_line(r.out, "Message received: combined"))
      << lacks(r, "Message received: combined");
}

TEST_F(InvokeNs, SilentChildTimesOutAndIsStopped) {
  Command silent = command({"-i", "no", "-t", "1"});
  silent.close_stdin = false; // stdin stays open with no data: the child waits
  const Result r = nslab::testing::run(silent);
  EXPECT_EQ(r.code(), 1) << exited(r, 1);
  EXPECT_FALSE(r.timed_out) << exited(r, 1);
  EXPECT_GE(r.elapsed, milliseconds{900}) << why(r, "ended before -t 1 ran out");
  EXPECT_LT(r.elapsed, milliseconds{5000}) << why(r, "took 5 s or more: -t 1 was not honoured");
  EXPECT_NE(r.err.find("no message arrived within 1 s"), std::string::npos)
      << did_not_say(r, "no message arrived within 1 s");
}

TEST_F(InvokeNs, ChildDyingWithoutSendingEndsTheWaitAtOnce) {
  Command silent = command({"-v", "-i", "no"});
  silent.close_stdin = false;
  nslab::testing::Running running = nslab::testing::start(silent);
  ASSERT_TRUE(running.wait_for_output("Parent: waiting"))
      << never_printed(running, "Parent: waiting");
  const std::string marker = "Parent: started child ";
  const std::string& out = running.out_so_far();
  const std::size_t at = out.find(marker);
  ASSERT_NE(at, std::string::npos) << has_not_printed(running, marker);
  const pid_t child = std::stoi(out.substr(at + marker.size()));
  ASSERT_EQ(::kill(child, SIGKILL), 0)
      << why(fmt::format("the test could not kill the child {}: {}", child, std::strerror(errno)));
  const Result r = running.finish();
  EXPECT_EQ(r.code(), 1) << exited(r, 1);
  EXPECT_NE(r.err.find("the child ended (killed by SIGKILL) before sending"), std::string::npos)
      << did_not_say(r, "the child ended (killed by SIGKILL) before sending");
}

class InvokeNsSignal : public InvokeNs, public ::testing::WithParamInterface<int> {};

TEST_P(InvokeNsSignal, SignalWhileWaitingCleansUp) {
  Command silent = command({"-v", "-i", "no"});
  silent.close_stdin = false;
  silent.timeout = milliseconds{5000};
  nslab::testing::Running running = nslab::testing::start(silent);
  ASSERT_TRUE(running.wait_for_output("Parent: waiting"))
      << never_printed(running, "Parent: waiting");
  ASSERT_TRUE(queue_exists(queue_))
      << why(fmt::format("the queue {} was not on the host while the parent waited", queue_));
  running.send_signal(GetParam());
  const Result r = running.finish();
  EXPECT_FALSE(r.timed_out) << exited(r, 128 + GetParam());
  EXPECT_EQ(r.code(), 128 + GetParam()) << exited(r, 128 + GetParam());
  // TearDown checks that the queue is unlinked and the child is gone.
}

// SIGKILL cannot be caught: there the janitor must unlink the queue.
INSTANTIATE_TEST_SUITE_P(Signals, InvokeNsSignal, ::testing::Values(SIGINT, SIGTERM, SIGKILL),
                         [](const auto& signal) {
                           return std::string(::sigabbrev_np(signal.param));
                         });

TEST_F(InvokeNs, StaleQueueIsNeverDelivered) {
  leave_stale_queue(queue_, "stale message from a crashed run");
  const Result r = invoke({"-v", "-i", "no"}, "fresh\n");
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_TRUE(has_line(r.out, "Message received: fresh")) << lacks(r, "Message received: fresh");
  EXPECT_EQ(r.out.find("stale message"), std::string::npos) << must_not_print(r, "stale message");
  EXPECT_NE(r.out.find("removed a stale queue"), std::string::npos)
      << lacks(r, "removed a stale queue");
}

// Root may unlink any queue; invoke_ns, even run by root, must not take
// another user's queue (and its unread message) for a stale one of its own.
TEST_F(InvokeNs, AnotherUsersQueueOfTheSameNameIsLeftAlone) {
  if (nslab::testing::runs_in_user_namespace()) {
    GTEST_SKIP() << "needs host root, to leave a queue as another user (nobody)";
  }
  const pid_t maker = ::fork();
  if (maker == 0) {
    // As nobody: the queue's owner is uid 65534.
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) {
      ::_exit(1);
    }
    leave_stale_queue(queue_, "nobody's unread message");
    ::_exit(::testing::Test::HasFailure() ? 1 : 0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(maker, &status, 0), maker);
  ASSERT_EQ(status, 0) << why("the test could not leave a queue as nobody");
  const ino_t theirs = queue_inode(queue_);
  const Result r = invoke({"-i", "no"}, "hi\n");
  const ino_t after = queue_inode(queue_);
  ::mq_unlink(queue_.c_str()); // TearDown checks that nothing else is left
  EXPECT_EQ(r.code(), 125) << exited(r, 125);
  EXPECT_EQ(lines(r.err).size(), 1U) << complained(r, "one line");
  EXPECT_NE(r.err.find("belongs to uid 65534"), std::string::npos)
      << did_not_say(r, "belongs to uid 65534");
  EXPECT_EQ(after, theirs) << why(r, "replaced the queue another user (nobody) had made");
}

// Two runs on one name: B removes A's waiting queue as if it were stale (by
// design: it cannot tell a live owner from a crashed one) and finishes. Then a
// third queue takes the name. When A ends, its destructor (stdin closed) or
// its janitor (SIGKILL) must see that the name is no longer A's queue.
class InvokeNsReplacedQueue : public InvokeNs, public ::testing::WithParamInterface<int> {};

TEST_P(InvokeNsReplacedQueue, FormerOwnerLeavesTheNameAlone) {
  Command first = command({"-v", "-i", "no"});
  first.close_stdin = false; // A's child waits for a line
  nslab::testing::Running a = nslab::testing::start(first);
  ASSERT_TRUE(a.wait_for_output("Parent: waiting")) << never_printed(a, "Parent: waiting");
  const Result b = invoke({"-v", "-i", "no"}, "from B\n");
  ASSERT_EQ(b.code(), 0) << exited(b, 0);
  ASSERT_NE(b.out.find("removed a stale queue"), std::string::npos)
      << lacks(b, "removed a stale queue");
  leave_stale_queue(queue_, "the third queue");
  const ino_t third = queue_inode(queue_);
  ASSERT_NE(third, 0U) << why("the test could not make the third queue");

  if (GetParam() == SIGKILL) {
    a.send_signal(SIGKILL);
  } else {
    a.close_stdin();
  }
  const Result r = a.finish();
  EXPECT_EQ(r.code(), GetParam() == SIGKILL ? 128 + SIGKILL : 1)
      << exited(r, GetParam() == SIGKILL ? 128 + SIGKILL : 1);
  // After SIGKILL the janitor works on its own: wait until it has exited.
  EXPECT_TRUE(nslab::testing::leftover_processes().empty())
      << why("a process of the first run was still running on the host after it ended");
  EXPECT_EQ(queue_inode(queue_), third)
      << why(r, "unlinked a queue that was no longer its own (another run had taken the name)");
  ::mq_unlink(queue_.c_str());
}

INSTANTIATE_TEST_SUITE_P(Endings, InvokeNsReplacedQueue, ::testing::Values(0, SIGKILL),
                         [](const auto& ending) {
                           return std::string(ending.param == 0 ? "StdinClosed" : "SIGKILL");
                         });

TEST_F(InvokeNs, QueueIsRemovedWhenTheJanitorCannotStart) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "LeakSanitizer starts a thread at exit, which RLIMIT_NPROC=1 forbids";
#endif
  // An RLIMIT_NPROC of 1 makes every fork fail, the janitor's first. The
  // host's root ignores that limit, so as root run invoke_ns as nobody, made
  // root of a user namespace of its own.
  std::vector<std::string> argv = {
      "prlimit", "--nproc=1", nslab::testing::program("invoke_ns"), "-q", queue_, "-i", "no"};
  if (!nslab::testing::runs_in_user_namespace()) {
    argv.insert(argv.begin(), {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                               "unshare", "-Ur"});
  }
  const Result r = nslab::testing::run(Command{argv, "hi\n"});
  EXPECT_EQ(r.code(), 125) << exited(r, 125);
  EXPECT_NE(r.err.find("fork(janitor)"), std::string::npos) << did_not_say(r, "fork(janitor)");
  // TearDown checks that the queue created before the fork is gone.
}

TEST_F(InvokeNs, MessageOfExactly80CharactersArrivesWhole) {
  const std::string line(80, 'x');
  const Result r = invoke({"-i", "no"}, line + "\n");
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_EQ(r.out, "Message received: " + line + "\n")
      << printed(r, "Message received: " + line + "\n");
  EXPECT_EQ(r.err, "") << complained(r, "");
}

TEST_F(InvokeNs, LongerMessageIsCutTo80WithAWarning) {
  const std::string line = std::string(80, 'a') + std::string(120, 'b');
  const Result r = invoke({"-i", "no"}, line + "\n");
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_EQ(r.out, "Message received: " + std::string(80, 'a') + "\n")
      << printed(r, "Message received: " + std::string(80, 'a') + "\n");
  EXPECT_NE(r.err.find("warning"), std::string::npos) << did_not_say(r, "warning");
  EXPECT_NE(r.err.find("200"), std::string::npos) << did_not_say(r, "200");
}

TEST_F(InvokeNs, EmptyStdinIsOneClearChildError) {
  const Result r = invoke({"-i", "no"}, "");
  EXPECT_EQ(r.code(), 1) << exited(r, 1);
  EXPECT_EQ(lines(r.err).size(), 1U) << complained(r, "one line");
  EXPECT_NE(r.err.find("stdin was empty"), std::string::npos) << did_not_say(r, "stdin was empty");
  EXPECT_EQ(r.out.find("Message received"), std::string::npos)
      << must_not_print(r, "Message received");
}

TEST_F(InvokeNs, CommandGetsTheRestOfStdinAndItsStatusPassesThrough) {
  const Result r = invoke({"-i", "no", "--", "sh", "-c", "cat; exit 7"}, "first\nsecond\n");
  EXPECT_EQ(r.code(), 7) << exited(r, 7);
  EXPECT_TRUE(has_line(r.out, "Message received: first")) << lacks(r, "Message received: first");
  EXPECT_TRUE(has_line(r.out, "second")) << lacks(r, "second");
}

TEST_F(InvokeNs, BadIpcValueGives125AndNamesTheOption) {
  const Result r = invoke({"-i", "maybe"}, "hi\n");
  EXPECT_EQ(r.code(), 125) << exited(r, 125);
  const std::vector<std::string> said = lines(r.err);
  const std::string expected = "invoke_ns: -i: expected yes or no, got 'maybe'\n"
                               "Try 'invoke_ns --help' for more information.\n";
  EXPECT_EQ(r.err, expected) << complained(r, expected);
  EXPECT_EQ(r.out, "") << printed(r, "");
}

class InvokeNsBadQueueName : public InvokeNs, public ::testing::WithParamInterface<const char*> {};

TEST_P(InvokeNsBadQueueName, Gives125) {
  const Result r = nslab::testing::run(
      Command{{nslab::testing::program("invoke_ns"), "-i", "no", "-q", GetParam()}, "hi\n"});
  EXPECT_EQ(r.code(), 125) << exited(r, 125);
  EXPECT_NE(r.err.find("-q"), std::string::npos) << did_not_say(r, "-q");
}

INSTANTIATE_TEST_SUITE_P(Names, InvokeNsBadQueueName,
                         ::testing::Values("no-slash", "/two/slashes", "/"), [](const auto& name) {
                           return std::string(name.index == 0   ? "NoLeadingSlash"
                                              : name.index == 1 ? "TwoSlashes"
                                                                : "SlashAlone");
                         });

TEST_F(InvokeNs, PidMountUtsLeaveTheHostUntouched) {
  const std::string host_name = nslab::current_hostname();
  const std::string host_mounts = read_file("/proc/self/mountinfo");
  const Result r =
      invoke({"-vpmu", "box", "-i", "no", "--", "sh", "-c", "echo $$; hostname"}, "hi\n");
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_TRUE(has_line(r.out, "1")) << why(r, "did not print 1: the shell was not PID 1");
  EXPECT_TRUE(has_line(r.out, "box")) << lacks(r, "box");
  EXPECT_EQ(nslab::current_hostname(), host_name) << why(
      r, "changed the host's hostname: -u did not give the child a UTS namespace of its own");
  EXPECT_EQ(read_file("/proc/self/mountinfo"), host_mounts)
      << why(r, "changed the host's mount table");
}

TEST_F(InvokeNs, FreshProcShowsOnlyTheNewPidNamespace) {
  const Result r = invoke({"-pm", "--", "ls", "/proc"});
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  std::set<long> pids;
  for (const std::string& entry : lines(r.out)) {
    if (!entry.empty() && entry.find_first_not_of("0123456789") == std::string::npos) {
      pids.insert(std::stol(entry));
    }
  }
  // ls itself is PID 1; a host /proc would list the host's many processes.
  EXPECT_EQ(pids, std::set<long>{1}) << why(
      r, "listed processes other than PID 1 in /proc: it is not the new PID namespace's /proc");
}

TEST_F(InvokeNs, NetworkNamespaceHasOnlyLoopback) {
  // /proc/net follows the reader's network namespace, whatever /proc is.
  const Result r = invoke({"-n", "--", "cat", "/proc/net/dev"});
  EXPECT_EQ(r.code(), 0) << exited(r, 0);
  std::vector<std::string> interfaces;
  for (const std::string& line : lines(r.out)) {
    const std::size_t colon = line.find(':');
    if (colon != std::string::npos && line.find('|') == std::string::npos) {
      const std::size_t start = line.find_first_not_of(' ');
      interfaces.push_back(line.substr(start, colon - start));
    }
  }
  EXPECT_EQ(interfaces, std::vector<std::string>{"lo"})
      << why(r, "showed interfaces other than lo: the network namespace is not new");
}

} // namespace
