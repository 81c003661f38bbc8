// The container's terminal: a session of its own, a pseudo-terminal of its
// own when interactive, and the relay between it and the invoker's terminal.
// Separate because it is the one part of isolate that keeps working after
// the exec, for as long as the container runs.

#include "terminal.hpp"

#include "nslab/error.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace isolate {
namespace {

/// The container's pseudo-terminals come from here: the devpts instance that
/// make_dev() mounted with newinstance, not the host's.
constexpr const char* kPtyMultiplexer = "/dev/pts/ptmx";

constexpr std::size_t kChunk = 4096;

} // namespace

TerminalPlan plan_terminal(TtyChoice choice) {
  TerminalPlan plan;
  plan.pty =
      choice == TtyChoice::kAlways || (choice == TtyChoice::kAuto && ::isatty(STDIN_FILENO) == 1);
  winsize size{};
  if (plan.pty && ::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0) {
    plan.size = size;
  }
  return plan;
}

MasterHandoff::MasterHandoff() {
  std::array<int, 2> ends{};
  nslab::check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends.data()), "socketpair",
               "terminal handoff");
  parent_end_.reset(ends[0]);
  child_end_.reset(ends[1]);
}

// [handoff]
namespace {

/// The message both ends of the handoff use: one byte of data, since a
/// descriptor travels with at least one, and room for one descriptor. It
/// points into itself, so it is never copied.
struct DescriptorMessage {
  char byte = 'm';
  iovec data{&byte, 1};
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control{};
  msghdr header{};

  DescriptorMessage() {
    header.msg_iov = &data;
    header.msg_iovlen = 1;
    header.msg_control = control.data();
    header.msg_controllen = control.size();
  }
  DescriptorMessage(const DescriptorMessage&) = delete;
  DescriptorMessage& operator=(const DescriptorMessage&) = delete;
};

} // namespace

void MasterHandoff::send(int master) {
  DescriptorMessage message;
  cmsghdr* rights = CMSG_FIRSTHDR(&message.header);
  rights->cmsg_level = SOL_SOCKET;
  rights->cmsg_type = SCM_RIGHTS;
  rights->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(rights), &master, sizeof master);
  nslab::check(::sendmsg(child_end_.get(), &message.header, MSG_NOSIGNAL), "sendmsg",
               "terminal master");
}

nslab::UniqueFd MasterHandoff::receive() {
  DescriptorMessage message;
  ssize_t got;
  while ((got = ::recvmsg(parent_end_.get(), &message.header, MSG_CMSG_CLOEXEC)) < 0 &&
         errno == EINTR) {
  }
  nslab::check(got, "recvmsg", "terminal master");
  const cmsghdr* rights = CMSG_FIRSTHDR(&message.header);
  if (got == 0 || rights == nullptr || rights->cmsg_type != SCM_RIGHTS) {
    throw nslab::Error("the container sent no terminal");
  }
  int master = -1;
  std::memcpy(&master, CMSG_DATA(rights), sizeof master);
  return nslab::UniqueFd(master);
}
// [handoff]

// [take-terminal]
void take_terminal(const TerminalPlan& plan, MasterHandoff& handoff) {
  // A new session has no controlling terminal. Without one, TIOCSTI on an
  // inherited descriptor of the invoker's terminal fails with EPERM, and
  // the terminal's job control (and hang-up) no longer reaches in here.
  nslab::check(::setsid(), "setsid");
  if (!plan.pty) {
    return;
  }
  nslab::UniqueFd master(nslab::check(::open(kPtyMultiplexer, O_RDWR | O_NOCTTY | O_CLOEXEC),
                                      "open", kPtyMultiplexer));
  nslab::check(::unlockpt(master.get()), "unlockpt", kPtyMultiplexer);
  // TIOCGPTPEER opens the matching terminal (/dev/pts/0 in our instance)
  // through the master itself, with no path to look up on the way.
  nslab::UniqueFd terminal(nslab::check(
      ::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC), "ioctl", "TIOCGPTPEER"));
  // As a session leader without a terminal we may claim this one.
  nslab::check(::ioctl(terminal.get(), TIOCSCTTY, 0), "ioctl", "TIOCSCTTY");
  if (plan.size) {
    nslab::check(::ioctl(terminal.get(), TIOCSWINSZ, &*plan.size), "ioctl", "TIOCSWINSZ");
  }
  for (const int stdio : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
    nslab::check(::dup2(terminal.get(), stdio), "dup2", "terminal");
  }
  handoff.send(master.get());
  // Our copy of the master closes here: only isolate's end of it remains.
}
// [take-terminal]

// [raw-mode]
RawMode::RawMode(int fd) : fd_(fd) {
  nslab::check(::tcgetattr(fd_, &saved_), "tcgetattr", "stdin");
  termios raw = saved_;
  // No echo, no line editing, and no signals from keys: Ctrl-C and Ctrl-Z
  // travel as plain bytes to the container's terminal, whose own line
  // discipline turns them into signals for the container's foreground job.
  ::cfmakeraw(&raw);
  nslab::check(::tcsetattr(fd_, TCSANOW, &raw), "tcsetattr", "stdin");
}

RawMode::~RawMode() {
  // If isolate has been moved to the background meanwhile, tcsetattr would
  // stop it with SIGTTOU and the old mode would never come back. With the
  // signal blocked the kernel lets the call through.
  sigset_t stop_on_output;
  sigset_t old_mask;
  sigemptyset(&stop_on_output);
  sigaddset(&stop_on_output, SIGTTOU);
  ::sigprocmask(SIG_BLOCK, &stop_on_output, &old_mask);
  ::tcsetattr(fd_, TCSANOW, &saved_);
  ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
}
// [raw-mode]

Relay::Relay(nslab::UniqueFd master)
    : master_(std::move(master)), window_changes_{SIGWINCH},
      input_{STDIN_FILENO, master_.get(), {}}, output_{master_.get(), STDOUT_FILENO, {}} {
  // Non-blocking on our own descriptor only: stdin and stdout are shared
  // with the invoker's shell, which would find them non-blocking too.
  const int flags = nslab::check(::fcntl(master_.get(), F_GETFL), "fcntl", "terminal master");
  nslab::check(::fcntl(master_.get(), F_SETFL, flags | O_NONBLOCK), "fcntl", "terminal master");
  if (::isatty(STDIN_FILENO) == 1) {
    raw_.emplace(STDIN_FILENO);
  }
  // A resize before SIGWINCH was blocked went unnoticed; catch up now.
  follow_window_size();
}

// [relay]
void Relay::watch(std::vector<pollfd>& watched) {
  watched.push_back({window_changes_.fd(), POLLIN, 0});
  // Each direction either reads or writes: a new chunk is read only once
  // the last one is written, so a slow reader slows the writer down.
  for (const Flow* flow : {&input_, &output_}) {
    if (flow->pending.empty()) {
      watched.push_back({flow->open ? flow->from : -1, POLLIN, 0});
    } else {
      watched.push_back({flow->to, POLLOUT, 0});
    }
  }
}

void Relay::serve(std::span<const pollfd> ready) {
  if (ready[0].revents != 0) {
    follow_window_size();
  }
  if (ready[1].revents != 0) {
    input_.pending.empty() ? read_input() : write_input();
  }
  if (ready[2].revents != 0) {
    if (output_.pending.empty()) {
      (void)read_output();
    } else {
      write_output();
    }
  }
}

void Relay::child_exited() {
  // PID 1 exits last in its PID namespace, so no process holds the terminal
  // any more and what it still buffers is all there will be: read it until
  // the master reports EIO, so the container's last words are not lost.
  // EAGAIN instead would mean someone outside still holds it: not waited for.
  do {
    while (!output_.pending.empty()) {
      write_output();
    }
  } while (read_output());
}
// [relay]

void Relay::read_input() {
  std::array<char, kChunk> buffer{};
  const long got = nslab::read_retrying(input_.from, buffer.data(), buffer.size());
  if (got > 0) {
    input_.pending.assign(buffer.data(), static_cast<std::size_t>(got));
    return;
  }
  if (got < 0 && errno == EAGAIN) {
    return;
  }
  // End of our input (or EIO from a terminal that hung up): tell the
  // container as a keyboard would, with the end-of-file character (Ctrl-D),
  // which ends a read in canonical mode, and which a shell's line editor in
  // raw mode takes as end-of-file on an empty line.
  input_.open = false;
  termios mode{};
  if (::tcgetattr(master_.get(), &mode) == 0) {
    input_.pending.assign(1, static_cast<char>(mode.c_cc[VEOF]));
  }
}

void Relay::write_input() {
  const ssize_t wrote = ::write(master_.get(), input_.pending.data(), input_.pending.size());
  if (wrote > 0) {
    input_.pending.erase(0, static_cast<std::size_t>(wrote));
  } else if (errno != EAGAIN && errno != EINTR) {
    input_.pending.clear(); // no one will ever read it
  }
}

bool Relay::read_output() {
  std::array<char, kChunk> buffer{};
  const long got = nslab::read_retrying(output_.from, buffer.data(), buffer.size());
  if (got > 0) {
    // With stdout gone the output is dropped, but still read, so the
    // container never blocks on a full terminal.
    if (!stdout_broken_) {
      output_.pending.assign(buffer.data(), static_cast<std::size_t>(got));
    }
    return true;
  }
  if (got == 0 || errno != EAGAIN) {
    // EIO: no process in the container holds the terminal open any more.
    output_.open = false;
  }
  return false;
}

void Relay::write_output() {
  const ssize_t wrote = ::write(output_.to, output_.pending.data(), output_.pending.size());
  if (wrote > 0) {
    output_.pending.erase(0, static_cast<std::size_t>(wrote));
  } else if (errno != EAGAIN && errno != EINTR) {
    stdout_broken_ = true;
    output_.pending.clear();
  }
}

void Relay::follow_window_size() {
  while (window_changes_.take()) {
  }
  // Setting the size makes the kernel send SIGWINCH to the container's
  // foreground job, which redraws for the new size.
  winsize size{};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0) {
    ::ioctl(master_.get(), TIOCSWINSZ, &size);
  }
}

} // namespace isolate
