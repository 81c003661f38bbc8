#include "nslab/child.hpp"
#include "nslab/userns_policy.hpp"

#include "nslab/deadline.hpp"
#include "nslab/error.hpp"
#include "nslab/signals.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

namespace nslab {
namespace {

// [clone-stack]
/// An mmap'd stack for the child with an inaccessible guard page below it, so
/// an overflow faults at once instead of silently overwriting other memory.
class ChildStack {
public:
  ChildStack() {
    void* memory = ::mmap(nullptr, kGuardSize + kChildStackSize, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (memory == MAP_FAILED) {
      throw_errno("mmap", "child stack");
    }
    base_ = static_cast<char*>(memory);
    if (::mprotect(base_, kGuardSize, PROT_NONE) != 0) {
      const int saved = errno;
      ::munmap(base_, kGuardSize + kChildStackSize);
      throw Error(saved, "mprotect", "stack guard page");
    }
  }
  ChildStack(const ChildStack&) = delete;
  ChildStack& operator=(const ChildStack&) = delete;
  // The child has its own copy of this memory (no CLONE_VM), so the parent
  // may unmap its copy as soon as clone(2) has returned.
  ~ChildStack() { ::munmap(base_, kGuardSize + kChildStackSize); }

  /// Stacks grow down on every architecture Linux runs namespaces on, so
  /// clone(2) wants the highest address, not the lowest.
  [[nodiscard]] void* top() const noexcept { return base_ + kGuardSize + kChildStackSize; }
  /// The lowest usable address, above the guard page.
  [[nodiscard]] void* bottom() const noexcept { return base_ + kGuardSize; }

private:
  static constexpr std::size_t kGuardSize = 4096;
  char* base_ = nullptr;
};
// [clone-stack]

struct ChildStart {
  std::function<int()>* main;
  Checkpoint* checkpoint; ///< null for Start::kAtOnce
  ErrorChannel* errors;
  pid_t parent;
  bool new_pid_namespace;
  void* stack_bottom;
};

/// AddressSanitizer tracks which memory is the stack. After clone(2) the
/// child runs on a stack ASan has never heard of, and an exception thrown
/// there leaves stale poison behind that shows up as false reports
/// (google/sanitizers issue 189). Its fiber interface announces the switch.
void announce_stack_to_sanitizer([[maybe_unused]] const ChildStart& start) {
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_start_switch_fiber(nullptr, start.stack_bottom, kChildStackSize);
  __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
#endif
}

int child_trampoline(void* argument) {
  const auto* start = static_cast<ChildStart*>(argument);
  announce_stack_to_sanitizer(*start);
  // [parent-death]
  // If the parent dies, so do we: nothing is left running on the host.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The parent may have died before prctl took effect. Outside a new PID
  // namespace getppid() shows that; inside one it is always 0, and the
  // checkpoint tells the child instead (see Checkpoint::wait).
  if (!start->new_pid_namespace && ::getppid() != start->parent) {
    ::_exit(kExitSetupFailed);
  }
  // [parent-death]
  // [child-lifecycle]
  // Everything from here on reports its failure to the parent.
  const int status = start->errors->report_failures([start]() -> int {
    if (start->checkpoint != nullptr &&
        start->checkpoint->wait() == Checkpoint::Outcome::kParentDied) {
      return kExitSetupFailed; // nobody finished our setup: run nothing
    }
    return (*start->main)();
  });
  // [child-lifecycle]
  // _exit, not exit: the child must not run the static destructors and
  // atexit handlers it copied from the parent. Its own output still needs
  // flushing; the parent's was flushed before clone.
  std::fflush(nullptr);
  ::_exit(status);
}

} // namespace

void send_signal_to(int pidfd, int signal) {
  // glibc 2.36 has no wrapper for pidfd_send_signal(2).
  if (::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0) != 0 && errno != ESRCH) {
    throw_errno("pidfd_send_signal", fmt::format("pidfd {}", pidfd));
  }
}

Child::~Child() {
  if (!status_ && pidfd_.valid()) {
    try {
      kill_and_wait();
    } catch (const Error&) {
      // Nothing more can be done from a destructor; the pidfd still closes.
    }
  }
}

void Child::release() { checkpoint_.value().release(); }

void Child::wait_for_exec() {
  if (const auto reported = errors_.receive()) {
    wait(); // it exits right after sending
    reported->raise();
  }
}

ExitStatus Child::wait() {
  if (status_) {
    return *status_;
  }
  siginfo_t info{};
  int result;
  do {
    result = ::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED);
  } while (result < 0 && errno == EINTR);
  check(result, "waitid", std::to_string(pid_));
  status_ = ExitStatus::from_siginfo(info);
  return *status_;
}

std::optional<ExitStatus> Child::wait_for(std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  pollfd exited{pidfd_.get(), POLLIN, 0};
  int ready;
  // A signal handler may interrupt poll; wait out the rest of the time.
  while ((ready = ::poll(&exited, 1, poll_timeout(deadline))) < 0 && errno == EINTR) {
  }
  check(ready, "poll", "child pidfd");
  if (ready == 0) {
    return std::nullopt;
  }
  return wait();
}

void Child::send_signal(int signal) { send_signal_to(pidfd_.get(), signal); }

ExitStatus Child::kill_and_wait() {
  send_signal(SIGKILL);
  return wait();
}

Error namespace_error(int errnum, std::string call, int namespace_flags) {
  // Under Ubuntu's AppArmor restriction `unshare -Ur` would not help: there
  // the plain error goes up, and run_main adds that hint instead.
  if (errnum == EPERM && (namespace_flags & CLONE_NEWUSER) == 0 &&
      apparmor_userns_hint(EPERM).empty()) {
    // The usual first error of an ordinary user; say what to do about it.
    return Error(EPERM, std::move(call), "",
                 "Operation not permitted (new namespaces need root; as an ordinary user, "
                 "put 'unshare -Ur' in front of the command)");
  }
  return Error(errnum, std::move(call));
}

// [clone-call]
Child clone_child(int namespace_flags, std::function<int()> child_main, Start start) {
  ChildStack stack;
  std::optional<Checkpoint> checkpoint;
  if (start == Start::kWhenReleased) {
    checkpoint.emplace();
  }
  ErrorChannel errors;
  ChildStart child_start{&child_main, checkpoint ? &*checkpoint : nullptr,   &errors,
                         ::getpid(),  (namespace_flags & CLONE_NEWPID) != 0, stack.bottom()};
  // Anything still in a stdio buffer would be copied into the child and
  // printed twice, once by each process.
  std::fflush(nullptr);
  int pidfd = -1;
  const pid_t pid = ::clone(child_trampoline, stack.top(), namespace_flags | CLONE_PIDFD | SIGCHLD,
                            &child_start, &pidfd);
  if (pid == -1) {
    throw namespace_error(errno, "clone", namespace_flags);
  }
  // Only the child reports: end-of-file then means it exec'd or exited.
  errors.close_write_end();
  return Child(pid, UniqueFd(pidfd), std::move(checkpoint), std::move(errors));
}
// [clone-call]

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
