// invoke_ns: send one message from a child to its parent over a POSIX
// message queue, in the same IPC namespace or across the boundary.
//
// Demonstrates CLONE_NEWIPC with POSIX message queues (mq_overview(7)): a
// queue is found by its name in the mqueue filesystem of the caller's IPC
// namespace, and each IPC namespace has its own. With `-i no` the child finds
// the parent's queue and the message arrives; with `-i yes` the child cannot
// even find it. `-p`, `-m`, `-u` and `-n` add the other namespaces.
//
// Follows Nigel Brown's windsock.io namespaces series (invoke_ns), then goes
// further: the parent answers as soon as the child gives up instead of
// waiting out its timeout, a stale queue is never delivered, the queue is
// removed on every path, and the child can run a COMMAND afterwards.

#include "message_queue.hpp"

#include "nslab/child.hpp"
#include "nslab/cli.hpp"
#include "nslab/deadline.hpp"
#include "nslab/error.hpp"
#include "nslab/exit_status.hpp"
#include "nslab/hostname.hpp"
#include "nslab/narrator.hpp"
#include "nslab/signals.hpp"
#include "nslab/supervise.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fmt/core.h>
#include <fmt/format.h>
#include <optional>
#include <poll.h>
#include <sched.h>
#include <string>
#include <sys/mount.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

using nslab::Narrator;

constexpr std::string_view kProgram = "invoke_ns";
/// The exit status when -i was given and no message arrived.
constexpr int kExitNoMessage = 1;
/// How long a PID 1, which ignores signals it has no handler for, may take
/// to stop after a signal before it is killed (see stop_grace()).
constexpr std::chrono::milliseconds kPidOneGrace{2000};

constexpr std::string_view kUsage =
    R"(Usage: invoke_ns [-h] [-v] [-p] [-m] [-u HOSTNAME] [-n] [-i yes|no]
                 [-t SECONDS] [-q /NAME] [--] [COMMAND [ARG...]]

Starts a child in new namespaces. With -i, the parent creates a POSIX message
queue, the child reads one line from stdin and sends it there by the queue's
name, and the parent prints it. With -i no the message arrives; with -i yes
the child is in a new IPC namespace and cannot even find the queue. Then the
child runs COMMAND, if one is given, or exits.

Options:
  -p, --pid               new PID namespace
  -m, --mount             new mount namespace with private mounts; with -p too,
                          a fresh /proc is mounted inside (the host's is untouched)
  -u, --uts=HOSTNAME      new UTS namespace with this hostname
  -n, --net               new network namespace: only lo, which starts down
  -i, --ipc=yes|no        exchange a message; yes also makes a new IPC namespace
  -t, --timeout=SECONDS   how long the parent waits for the message (default 60)
  -q, --queue=/NAME       the queue's name (default /ipc_namespace); use a
                          different -q for runs at the same time
  -v, --verbose           show every step and the namespace ids of both sides
  -h, --help              show this help and exit

A message longer than 80 characters is cut to 80.

Exit status:
  0    the message arrived (or -i was not given) and the child exited with 0
  1    -i was given and no message arrived: the child could not open the
       queue, had no line to send, exited first, or -t ran out
  125  invoke_ns itself failed (bad usage or a setup step)
  126  COMMAND could not be executed
  127  COMMAND was not found
  otherwise COMMAND's own exit status, or 128+N if a signal N ended it
)";

/// What the command line asked for.
struct Options {
  bool verbose = false;
  int clone_flags = 0;                 ///< The CLONE_NEW* flags for the child.
  std::optional<std::string> hostname; ///< -u
  bool exchange = false;               ///< -i was given.
  std::chrono::seconds timeout{60};    ///< -t
  std::string queue_name = "/ipc_namespace";
  std::vector<std::string> command; ///< May be empty: the child just exits.
};

bool parse_yes_no(std::string_view text, std::string_view option) {
  if (text == "yes" || text == "no") {
    return text == "yes";
  }
  throw nslab::UsageError(fmt::format("{}: expected yes or no, got '{}'", option, text));
}

// [parse-options]
Options parse_options(int argc, char** argv) {
  static const option kLongOptions[] = {
      {"help", no_argument, nullptr, 'h'},        {"verbose", no_argument, nullptr, 'v'},
      {"pid", no_argument, nullptr, 'p'},         {"mount", no_argument, nullptr, 'm'},
      {"uts", required_argument, nullptr, 'u'},   {"net", no_argument, nullptr, 'n'},
      {"ipc", required_argument, nullptr, 'i'},   {"timeout", required_argument, nullptr, 't'},
      {"queue", required_argument, nullptr, 'q'}, {nullptr, 0, nullptr, 0}};
  Options options;
  const int first_word = nslab::parse_options(
      argc, argv, "+:hvpmu:ni:t:q:", kLongOptions, [&](int option, const char* value) {
        switch (option) {
        case 'v':
          options.verbose = true;
          break;
        case 'p':
          options.clone_flags |= CLONE_NEWPID;
          break;
        case 'm':
          options.clone_flags |= CLONE_NEWNS;
          break;
        case 'n':
          options.clone_flags |= CLONE_NEWNET;
          break;
        case 'u':
          nslab::validate_hostname(value, "-u");
          options.hostname = value;
          options.clone_flags |= CLONE_NEWUTS;
          break;
        case 'i':
          options.exchange = true;
          options.clone_flags = parse_yes_no(value, "-i") ? options.clone_flags | CLONE_NEWIPC
                                                          : options.clone_flags & ~CLONE_NEWIPC;
          break;
        case 't':
          options.timeout = std::chrono::seconds{nslab::parse_number(value, "-t", 1, 86400)};
          break;
        case 'q':
          invoke_ns::validate_queue_name(value, "-q");
          options.queue_name = value;
          break;
        }
      });
  options.command.assign(argv + first_word, argv + argc);
  nslab::reject_empty_command(options.command);
  return options;
}
// [parse-options]

// [child-setup]
/// The child's namespace set-up, done after the parent has released it.
void set_up_namespaces(const Options& options, const Narrator& say) {
  if ((options.clone_flags & CLONE_NEWNS) != 0) {
    // The new mount namespace starts as a copy whose mounts may still be
    // shared with the host's (systemd makes / shared): a mount made here
    // would then appear there too. Private mounts keep changes inside.
    nslab::check(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "mount",
                 "/ as private");
    say.child("made every mount private");
    if ((options.clone_flags & CLONE_NEWPID) != 0) {
      // /proc shows the PID namespace of whoever mounted it, so the copy
      // inherited from the host still lists the host's processes.
      nslab::check(::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr),
                   "mount", "proc on /proc");
      say.child("mounted a fresh /proc; ps now shows only this PID namespace");
    }
  }
  if (options.hostname) {
    nslab::set_hostname(*options.hostname);
    say.child("hostname is now {}", *options.hostname);
  }
}
// [child-setup]

/// Reads one line from stdin without its newline, cut to kMaxMessageLength.
/// It reads a byte at a time so that the rest of stdin is left for COMMAND.
std::string read_message_line() {
  if (::isatty(STDIN_FILENO) == 1) {
    fmt::print("Message for the parent: ");
    std::fflush(stdout);
  }
  std::string line;
  std::size_t length = 0;
  char byte = 0;
  ssize_t got = 0;
  while ((got = nslab::check(::read(STDIN_FILENO, &byte, 1), "read", "stdin")) == 1 &&
         byte != '\n') {
    if (++length <= invoke_ns::kMaxMessageLength) {
      line.push_back(byte);
    }
  }
  if (got == 0 && length == 0) {
    throw nslab::Error(ENODATA, "read", "stdin"); // end-of-file before any line
  }
  if (length > invoke_ns::kMaxMessageLength) {
    fmt::print(stderr, "{}: warning: the message has {} characters; sending the first {}\n",
               kProgram, length, invoke_ns::kMaxMessageLength);
  }
  return line;
}

/// How the parent's wait for the message ended.
struct WaitOutcome {
  std::optional<std::string> message; ///< The message, when one arrived.
  int exit_status = nslab::kExitOk;   ///< Otherwise the status to exit with.
};

/// What the user should know about a failure the child reported.
std::string explain(const nslab::ChildFailure& failure, const Options& options) {
  if (failure.failed_at("mq_open", options.queue_name) && failure.errnum == ENOENT &&
      (options.clone_flags & CLONE_NEWIPC) != 0) {
    return fmt::format("{}: the child is in a new IPC namespace, which has its own queues",
                       failure.message());
  }
  if (failure.failed_at("read", "stdin") && failure.errnum == ENODATA) {
    return fmt::format("{}: stdin was empty, so the child had no message to send",
                       failure.message());
  }
  return failure.message();
}

/// Answers a failure the child reported while the parent waited for its
/// message. A failed exchange step is the lesson of -i yes, not a broken
/// program: like every other way of getting no message, it is explained and
/// exits with 1. Any other failure, such as a set-up step, is invoke_ns's
/// own: thrown again, for run_main to report (125).
int no_message_because(const nslab::ChildFailure& failure, const Options& options) {
  const bool in_exchange = failure.failed_at("mq_open", options.queue_name) ||
                           failure.failed_at("mq_send", options.queue_name) ||
                           failure.failed_at("read", "stdin");
  if (!in_exchange) {
    failure.raise();
  }
  fmt::print(stderr, "{}: {}\n", kProgram, explain(failure, options));
  return kExitNoMessage;
}

// [send-by-name]
/// Child side: opens the queue by its NAME and sends \p message.
///
/// The child also holds a copy of the parent's queue descriptor, because
/// clone(2) copies the descriptor table, and mq_send(3) on that copy would
/// succeed in any IPC namespace: a descriptor refers to the queue itself, not
/// to a name. The demonstration would then prove nothing. Only looking the
/// name up goes through the mqueue filesystem of the child's IPC namespace,
/// which is exactly what CLONE_NEWIPC replaces.
void send_by_name(const std::string& name, const std::string& message, const Narrator& say) {
  // BEGIN EXERCISE part3.mq-send
  // STUB: // TODO(part3.mq-send): open the queue by its name with mq_open(3) (O_WRONLY), never the
  // STUB: // descriptor inherited from the parent, and send the message with mq_send(3); see
  // STUB: // mq_overview(7). Keep the descriptor in an invoke_ns::QueueDescriptor, wrap each call
  // STUB: // in nslab::check, and say each step with say.child(...).
  // STUB: nslab::not_implemented("part3.mq-send", name, message, say);
  // The owner closes the descriptor even when mq_send throws. COMMAND, run
  // later, would not inherit it anyway: the Linux kernel's mq_open makes every
  // queue descriptor close-on-exec, whether O_CLOEXEC is asked for or not.
  const invoke_ns::QueueDescriptor queue(
      nslab::check(::mq_open(name.c_str(), O_WRONLY), "mq_open", name));
  say.child("opened {} by name", name);
  nslab::check(::mq_send(queue.get(), message.data(), message.size(), 0), "mq_send", name);
  say.child("sent \"{}\"", message);
  // END EXERCISE part3.mq-send
}
// [send-by-name]

// [wait-for-message]
/// Parent side: waits for the message, and stops as soon as it is clear that
/// none will come. poll(2) watches four descriptors at once: the queue, the
/// child's error report, the child's pidfd and the signals. A steady-clock
/// deadline, unlike mq_timedreceive(3)'s CLOCK_REALTIME one, does not move
/// when someone sets the clock.
WaitOutcome wait_for_message(invoke_ns::OwnedQueue& queue, nslab::Child& child,
                             nslab::SignalFd& signals, const Options& options,
                             const Narrator& say) {
  // BEGIN EXERCISE part3.mq-receive
  // STUB: // TODO(part3.mq-receive): until options.timeout passes, poll(2) four descriptors:
  // STUB: // queue.pollable_fd(), child.failure_fd(), child.pidfd() and signals.fd(); use
  // STUB: // nslab::poll_timeout for the time left. On every wake-up try queue.try_receive()
  // STUB: // (mq_receive(3)). A signal: child.kill_and_wait(), status 128+N. A failure the
  // STUB: // child reported (child.failure()): return no_message_because(...). The child
  // STUB: // exited, or the deadline passed: kExitNoMessage.
  // STUB: nslab::not_implemented("part3.mq-receive", queue, child, signals, options, say,
  // STUB:                        no_message_because);
  const auto deadline = nslab::SteadyClock::now() + options.timeout;
  while (true) {
    // The failure report's descriptor is -1 once read: poll(2) skips it.
    pollfd watched[] = {{queue.pollable_fd(), POLLIN, 0},
                        {child.failure_fd(), POLLIN, 0},
                        {child.pidfd(), POLLIN, 0},
                        {signals.fd(), POLLIN, 0}};
    const int ready = nslab::check(::poll(watched, 4, nslab::poll_timeout(deadline)), "poll");
    // Look in the queue on every wake-up: a child that sent and then exec'd
    // or exited wakes us through the other descriptors, but its message is
    // already there.
    if (auto message = queue.try_receive()) {
      return {std::move(message)};
    }
    if (const auto signal = signals.take()) {
      child.kill_and_wait();
      say.parent("caught SIG{}; stopped the child",
                 ::sigabbrev_np(static_cast<int>(signal->ssi_signo)));
      return {std::nullopt, nslab::kExitSignalBase + static_cast<int>(signal->ssi_signo)};
    }
    if (watched[1].revents != 0 || watched[2].revents != 0) {
      // The child wrote a report and exited, or closed the channel by
      // exec'ing or exiting: either way the read cannot block now.
      if (const auto failure = child.failure()) {
        child.wait();
        return {std::nullopt, no_message_because(*failure, options)};
      }
      if (watched[2].revents != 0) {
        const nslab::ExitStatus status = child.wait();
        fmt::print(stderr, "{}: the child ended ({}) before sending a message\n", kProgram,
                   status.describe());
        return {std::nullopt, kExitNoMessage};
      }
    }
    if (ready == 0) {
      child.kill_and_wait();
      fmt::print(stderr, "{}: no message arrived within {} s; stopped the child\n", kProgram,
                 options.timeout.count());
      return {std::nullopt, kExitNoMessage};
    }
  }
  // END EXERCISE part3.mq-receive
}
// [wait-for-message]

/// Everything the child does once released, in order; returns only when it
/// has no COMMAND.
int child_side(const Options& options, const Narrator& say, invoke_ns::OwnedQueue* queue) {
  set_up_namespaces(options, say);
  if (queue != nullptr) {
    queue->close_inherited_copy();
    send_by_name(queue->name(), read_message_line(), say);
  }
  if (options.command.empty()) {
    return nslab::kExitOk;
  }
  say.child("running {}", fmt::join(options.command, " "));
  nslab::exec_command(options.command);
}

/// With -p the child is PID 1, which ignores signals it has no handler for:
/// how long it may take to stop after one before it is killed.
std::optional<std::chrono::milliseconds> stop_grace(const Options& options) {
  if ((options.clone_flags & CLONE_NEWPID) == 0) {
    return std::nullopt;
  }
  return kPidOneGrace;
}

// [parent-main]
int run(const Options& options) {
  const Narrator say(options.verbose);
  // Block the termination signals first: from here on SIGINT or SIGTERM is
  // read in the poll loop, and the stack unwinds, closing and unlinking the
  // queue, instead of the process dying on the spot.
  nslab::SignalFd signals;
  std::optional<invoke_ns::OwnedQueue> queue;
  if (options.exchange) {
    queue.emplace(options.queue_name);
    if (queue->replaced_stale_queue()) {
      say.parent("removed a stale queue {} left by an earlier run", queue->name());
    }
    say.parent("created queue {}: {} messages of up to {} bytes", queue->name(),
               queue->attributes().mq_maxmsg, queue->attributes().mq_msgsize);
  }
  nslab::Child child = nslab::clone_child(
      options.clone_flags, [&] { return child_side(options, say, queue ? &*queue : nullptr); },
      nslab::Start::kWhenReleased);
  say.parent("started child {}", child.pid());
  say.namespaces(::getpid(), child.pid());
  child.release();
  if (queue) {
    say.parent("waiting up to {} s for a message on {}", options.timeout.count(), queue->name());
    const WaitOutcome outcome = wait_for_message(*queue, child, signals, options, say);
    if (!outcome.message) {
      return outcome.exit_status;
    }
    fmt::print("Message received: {}\n", *outcome.message);
    std::fflush(stdout);
  }
  const nslab::ExitStatus status =
      nslab::wait_forwarding_signals(child, signals, stop_grace(options));
  say.parent("the child {}", status.describe());
  return status.shell_status();
}
// [parent-main]

} // namespace

int main(int argc, char** argv) {
  return nslab::run_main(kProgram, kUsage, [&] { return run(parse_options(argc, argv)); });
}
