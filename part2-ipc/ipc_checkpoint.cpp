// ipc-checkpoint: the IPC namespace, and the checkpoint pipe.
//
// Demonstrates two things from Jean-Tiare Le Bigot's "Introduction to Linux
// namespaces":
//  1. CLONE_NEWIPC. Before cloning, the parent creates a System V message
//     queue, in an IPC namespace of its own (enter_own_ipc_namespace says
//     why). The child, in a new IPC namespace, cannot see it; with
//     --share-ipc it stays in the parent's namespace and can. This is the
//     `ipcmk -Q` / `ipcs -q` experiment, done for you.
//  2. The checkpoint. Real container runtimes must finish setting up a child
//     from the outside (user id maps, network links) before it runs anything.
//     The child blocks on a pipe until the parent writes "go", and it can tell
//     that apart from the parent dying (end-of-file, no byte).
//
// Usage: ipc-checkpoint [-h] [-v] [-d MILLISECONDS] [--share-ipc] [--] [COMMAND [ARG...]]

#include "checkpoint.hpp"

#include "nslab/child.hpp"
#include "nslab/cli.hpp"
#include "nslab/narrator.hpp"
#include "nslab/supervise.hpp"

#include <cerrno>
#include <csignal>
#include <fmt/core.h>
#include <getopt.h>
#include <optional>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/msg.h>
#include <unistd.h>

namespace {

constexpr std::string_view kProgram = "ipc-checkpoint";
constexpr std::string_view kUsage =
    R"(Usage: ipc-checkpoint [-h] [-v] [-d MILLISECONDS] [--share-ipc] [--] [COMMAND [ARG...]]

Moves into a new IPC namespace of its own and creates a System V message
queue there (the queue ends with the namespace, however the run ends). Then
starts a child in new UTS and IPC namespaces that waits on a checkpoint pipe
while the parent does its setup work. Once released, the child reports
whether it can see the parent's queue and runs COMMAND (default: /bin/bash,
or /bin/sh). COMMAND finds the queue id in $NSLAB_PARENT_QUEUE, so
`ipcs -q -i "$NSLAB_PARENT_QUEUE"` can check too.

Options:
  -d, --delay MILLISECONDS  length of the parent's setup work (default 1000)
      --share-ipc           keep the parent's IPC namespace, for comparison
  -v, --verbose             show each step and the namespace table
  -h, --help                show this help and exit

Exit status: COMMAND's own; 128+N if it (or the setup) was ended by signal N;
125 if ipc-checkpoint itself failed; 126 if COMMAND could not be executed;
127 if COMMAND was not found.
)";

struct Options {
  long delay_ms = 1000;
  bool share_ipc = false;
  bool verbose = false;
  std::vector<std::string> command;
};

Options parse_options(int argc, char** argv) {
  enum { kShareIpc = 1000 };
  static const option long_options[] = {{"delay", required_argument, nullptr, 'd'},
                                        {"share-ipc", no_argument, nullptr, kShareIpc},
                                        {"verbose", no_argument, nullptr, 'v'},
                                        {"help", no_argument, nullptr, 'h'},
                                        {nullptr, 0, nullptr, 0}};
  Options options;
  const int first_word =
      nslab::parse_options(argc, argv, "+:hvd:", long_options, [&](int option, const char* value) {
        switch (option) {
        case 'v':
          options.verbose = true;
          break;
        case 'd':
          options.delay_ms = nslab::parse_number(value, "-d", 0, 3'600'000);
          break;
        case kShareIpc:
          options.share_ipc = true;
          break;
        }
      });
  options.command = nslab::command_or_shell(argc, argv, first_word);
  return options;
}

// [queue]
/// Moves this process into a new IPC namespace that only it will be in
/// (with --share-ipc, also its child and whatever COMMAND starts).
///
/// System V objects outlive the process that made them: a queue made in the
/// host's IPC namespace would stay there after a SIGKILL, which no destructor
/// sees, for `ipcrm` to clean up. No object outlives its IPC namespace,
/// though, and the kernel destroys a namespace with its last process: here,
/// however the run ends, the queue goes with it.
void enter_own_ipc_namespace() {
  if (::unshare(CLONE_NEWIPC) == -1) {
    throw nslab::namespace_error(errno, "unshare", CLONE_NEWIPC);
  }
}

/// Makes the queue the child will look for, in this process's IPC namespace.
/// IPC_PRIVATE gives it a fresh id and no key, so it is nobody else's.
int make_queue() {
  return nslab::check(::msgget(IPC_PRIVATE, IPC_CREAT | 0600), "msgget", "IPC_PRIVATE");
}
// [queue]

// [visibility]
// msgctl(IPC_STAT) on an id from another IPC namespace fails with EINVAL:
// the id means nothing in this namespace's table of queues.
bool queue_is_visible(int queue_id) {
  msqid_ds info{};
  return ::msgctl(queue_id, IPC_STAT, &info) == 0;
}
// [visibility]

int child_main(const Options& options, int queue_id, ipc_checkpoint::Checkpoint& checkpoint) {
  // [child-wait]
  if (checkpoint.wait() == ipc_checkpoint::Checkpoint::Outcome::kParentDied) {
    return nslab::kExitSetupFailed; // nobody finished our setup: run nothing
  }
  // [child-wait]
  const bool visible = queue_is_visible(queue_id);
  fmt::print(" Child: the parent's queue {} is {}\n", queue_id,
             visible ? "visible here: same IPC namespace" : "NOT visible here: new IPC namespace");
  nslab::check(::setenv("NSLAB_PARENT_QUEUE", std::to_string(queue_id).c_str(), 1), "setenv",
               "NSLAB_PARENT_QUEUE");
  nslab::exec_command(options.command);
}

/// Why the setup work ended early, if it did.
struct SetupInterrupted {
  std::optional<int> signal;              ///< The user interrupted it...
  std::optional<nslab::ExitStatus> child; ///< ...or the child died during it.
};

/// The parent's stand-in for real setup work (writing id maps, creating
/// links). It watches for the two things that end it early: a signal for
/// the parent, and the death of the child it is setting up.
std::optional<SetupInterrupted> do_setup_work(long delay_ms, nslab::SignalFd& signals,
                                              nslab::Child& child) {
  pollfd watched[] = {{signals.fd(), POLLIN, 0}, {child.pidfd(), POLLIN, 0}};
  if (nslab::check(::poll(watched, 2, static_cast<int>(delay_ms)), "poll") == 0) {
    return std::nullopt;
  }
  if (watched[1].revents != 0) {
    return SetupInterrupted{std::nullopt, child.wait()};
  }
  const auto signal = signals.take();
  return SetupInterrupted{static_cast<int>(signal ? signal->ssi_signo : SIGINT), std::nullopt};
}

/// Ends a run whose setup was interrupted: nothing is released, so COMMAND
/// never runs. Returns the exit status.
int give_up(const SetupInterrupted& interrupted, ipc_checkpoint::Checkpoint& checkpoint,
            nslab::Child& child, const nslab::Narrator& narrator) {
  if (interrupted.child) {
    child.wait_for_exec(); // if it said why it ended, this throws that
    fmt::print(stderr, "{}: the child ended ({}) during the setup\n", kProgram,
               interrupted.child->describe());
    return interrupted.child->shell_status();
  }
  narrator.parent("interrupted during setup; the child will never run COMMAND");
  checkpoint.abandon(); // the child reads end-of-file and exits
  child.wait();
  return nslab::kExitSignalBase + *interrupted.signal;
}

int run(const Options& options) {
  const nslab::Narrator narrator(options.verbose);
  nslab::SignalFd signals;
  enter_own_ipc_namespace();
  narrator.parent("moved into a new IPC namespace of its own");
  const int queue = make_queue();
  narrator.parent("created System V message queue {}", queue);
  // This part's own checkpoint (checkpoint.cpp), the one you write; parts 3
  // and 4 get the library's from clone_child instead.
  ipc_checkpoint::Checkpoint checkpoint;
  const int flags = CLONE_NEWUTS | (options.share_ipc ? 0 : CLONE_NEWIPC);
  nslab::Child child =
      nslab::clone_child(flags, [&] { return child_main(options, queue, checkpoint); });
  narrator.parent("child {} is waiting at the checkpoint", child.pid());
  narrator.namespaces(::getpid(), child.pid());
  narrator.parent("doing setup work for {} ms", options.delay_ms);
  // [release]
  if (const auto interrupted = do_setup_work(options.delay_ms, signals, child)) {
    return give_up(*interrupted, checkpoint, child, narrator);
  }
  fmt::print("Parent: setup done, releasing the child\n");
  std::fflush(stdout); // so this line comes before anything the child prints
  checkpoint.release();
  // [release]
  const nslab::ExitStatus status = nslab::wait_forwarding_signals(child, signals);
  narrator.parent("child {}; queue {} ends with this IPC namespace", status.describe(), queue);
  return status.shell_status();
}

} // namespace

int main(int argc, char** argv) {
  return nslab::run_main(kProgram, kUsage, [&] { return run(parse_options(argc, argv)); });
}
