/// \file
/// \brief Resources that are removed even when their owner is killed with SIGKILL.
#pragma once

#include "nslab/unique_fd.hpp"

#include <functional>
#include <span>
#include <sys/types.h>
#include <type_traits>

namespace nslab {

/// The part of Janitor that does not depend on what it makes: the helper
/// process and the socket to it.
class JanitorProcess {
public:
  /// Forks the janitor. In it, \p create fills \p handle (the janitor's own
  /// copy of it), and its bytes are sent back here, into this process's copy.
  /// Then the janitor waits, and runs \p remove if this process dies first.
  /// Throws nslab::Error when fork(2) or \p create fails.
  JanitorProcess(std::span<std::byte> handle, const std::function<void()>& create,
                 const std::function<void()>& remove);
  JanitorProcess(const JanitorProcess&) = delete;
  JanitorProcess& operator=(const JanitorProcess&) = delete;
  /// Dismisses the janitor if that has not happened yet.
  ~JanitorProcess() { dismiss(); }

  /// Tells the janitor its work is done and reaps it.
  void dismiss() noexcept;

private:
  pid_t pid_ = -1;
  UniqueFd socket_;
};

// [janitor-decl]
/// A resource that a small helper process, the janitor, creates and removes
/// again if this process dies without dismissing it.
///
/// System V queues and POSIX message queues outlive the process that made
/// them, and SIGKILL cannot be caught, so no destructor can remove them then.
/// A janitor forked *after* making the queue leaves a gap: killed in between,
/// the queue has nobody to remove it. Forked *before*, it would have to be
/// told what to remove, and the same gap opens between making the queue and
/// telling. So the janitor makes the resource itself: the resource never
/// exists without someone ready to remove it.
///
/// The janitor holds one end of a socket pair and nothing else of this
/// process's descriptors (it would otherwise keep a checkpoint or error
/// channel from reporting end-of-file), and sits in its own session, so
/// Ctrl-C at the terminal does not reach it. dismiss() tells it "all cleaned
/// up, go"; end-of-file instead means this process died, so it runs remove.
///
/// \tparam Handle what names the resource (an id, an inode): plain bytes,
/// copied from the janitor to this process.
template <typename Handle>
class Janitor {
  static_assert(std::is_trivially_copyable_v<Handle>, "a handle is sent as plain bytes");

public:
  /// Forks the janitor, which runs \p create and keeps \p remove for when
  /// this process dies. Throws nslab::Error when the fork or \p create fails
  /// (\p create throws nslab::Error; its errno, call and object come back).
  Janitor(const std::function<Handle()>& create, const std::function<void(const Handle&)>& remove)
      : process_(
            std::as_writable_bytes(std::span(&handle_, 1)), [&] { handle_ = create(); },
            [&] { remove(handle_); }) {}

  /// What create returned, in the janitor.
  [[nodiscard]] const Handle& handle() const noexcept { return handle_; }
  /// Tells the janitor its work is done and reaps it. Call it right after
  /// removing the resource yourself.
  void dismiss() noexcept { process_.dismiss(); }

private:
  Handle handle_{}; // before process_: the janitor fills it while process_ is made
  JanitorProcess process_;
};
// [janitor-decl]

} // namespace nslab
