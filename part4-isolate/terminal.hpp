// The container's terminal. It always runs in a session of its own, so the
// invoker's terminal is never its controlling terminal: with a shared one,
// ioctl(TIOCSTI) could type commands into the invoker's shell. When asked
// for (stdin is a terminal, or --tty), it gets a pseudo-terminal of its own
// from its own devpts instance, and isolate relays between the two, like
// `docker run -it`.
#pragma once

#include "options.hpp"

#include "nslab/supervise.hpp"
#include "nslab/unique_fd.hpp"

#include <optional>
#include <string>
#include <sys/ioctl.h>
#include <termios.h>

namespace isolate {

/// What the container's terminal will be; decided before clone, so the
/// child's copy of memory already holds it.
struct TerminalPlan {
  bool pty = false;            ///< a pseudo-terminal of its own
  std::optional<winsize> size; ///< the invoker's window size, if it has one
};

/// Decides from \p choice and isolate's own stdin.
[[nodiscard]] TerminalPlan plan_terminal(TtyChoice choice);

/// Carries the pseudo-terminal's master from the child, which opens it in
/// its own devpts, to the parent, which relays: a socket pair, because only
/// a Unix socket can pass a descriptor (SCM_RIGHTS, see unix(7)).
class MasterHandoff {
public:
  /// Creates the pair (`SOCK_CLOEXEC`); make it before clone.
  MasterHandoff();
  /// Child side: sends \p master.
  void send(int master);
  /// Parent side: drops the child's end (call right after clone).
  void close_child_end() noexcept { child_end_.reset(); }
  /// Parent side: receives the master the child sent.
  [[nodiscard]] nslab::UniqueFd receive();

private:
  nslab::UniqueFd parent_end_;
  nslab::UniqueFd child_end_;
};

/// Child side, before exec: a new session and, with a pty, makes the new
/// pseudo-terminal its controlling terminal and stdin, stdout and stderr,
/// and sends the master through \p handoff. Needs /dev/pts mounted.
void take_terminal(const TerminalPlan& plan, MasterHandoff& handoff);

/// The invoker's terminal in raw mode, and its old mode back on destruction.
class RawMode {
public:
  /// Switches \p fd, a terminal, to raw mode.
  explicit RawMode(int fd);
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;
  /// Restores the mode from before.
  ~RawMode();

private:
  int fd_;
  termios saved_{};
};

/// Parent side: relays isolate's stdin to the container's terminal and the
/// terminal's output to isolate's stdout, and passes window size changes
/// on. Runs inside the wait loop (see nslab::wait_forwarding_signals).
class Relay final : public nslab::WaitCompanion {
public:
  /// Relays through \p master; puts isolate's stdin in raw mode if it is a terminal.
  explicit Relay(nslab::UniqueFd master);

  void watch(std::vector<pollfd>& watched) override;
  void serve(std::span<const pollfd> ready) override;
  void child_exited() override;

private:
  /// Bytes read from one descriptor and not yet written to the other.
  struct Flow {
    int from;
    int to;
    std::string pending;
    bool open = true; ///< false once `from` has ended
  };

  void read_input();
  /// True when it read something; false at EAGAIN or the end.
  bool read_output();
  void write_input();
  void write_output();
  void follow_window_size();

  nslab::UniqueFd master_;
  std::optional<RawMode> raw_;
  nslab::SignalFd window_changes_;
  Flow input_;  ///< stdin to the container's terminal
  Flow output_; ///< the container's terminal to stdout
  bool stdout_broken_ = false;
};

} // namespace isolate
