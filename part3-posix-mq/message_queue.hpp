/// \file
/// \brief The POSIX message queue that invoke_ns's parent owns: created fresh
/// before the clone, closed and unlinked on every way out.
#pragma once

#include "nslab/janitor.hpp"

#include <cstddef>
#include <mqueue.h>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace invoke_ns {

/// The longest message, in characters; longer lines are cut to this.
inline constexpr std::size_t kMaxMessageLength = 80;

/// Throws a UsageError naming \p option unless mq_open(3) would accept
/// \p name: a slash, then 1 to NAME_MAX characters with no further slash.
void validate_queue_name(std::string_view name, std::string_view option);

/// Which queue a descriptor refers to: on Linux a queue descriptor is a file
/// descriptor for an inode of the mqueue filesystem, and fstat(2) names it.
struct QueueIdentity {
  dev_t device = 0; ///< st_dev: the mqueue filesystem of one IPC namespace.
  ino_t inode = 0;  ///< st_ino: the queue within it.
  friend bool operator==(const QueueIdentity&, const QueueIdentity&) = default;
};

/// A queue descriptor opened by name, closed when the owner goes away.
class QueueDescriptor {
public:
  /// Takes ownership of \p descriptor (an mq_open(3) result other than -1).
  explicit QueueDescriptor(mqd_t descriptor) noexcept : descriptor_(descriptor) {}
  QueueDescriptor(const QueueDescriptor&) = delete;
  QueueDescriptor& operator=(const QueueDescriptor&) = delete;
  /// Closes the descriptor.
  ~QueueDescriptor() { ::mq_close(descriptor_); }
  /// The descriptor, still owned by this object.
  [[nodiscard]] mqd_t get() const noexcept { return descriptor_; }

private:
  mqd_t descriptor_;
};

/// A queue in the caller's IPC namespace that this object created and owns.
///
/// The destructor closes and unlinks it, so the queue disappears with the
/// parent on every path that unwinds the stack: normal exit, errors, and the
/// signals the parent turns into a normal return with SignalFd. A janitor
/// unlinks it if the parent is killed with SIGKILL. Both unlink the name only
/// while it still refers to this queue: another run given the same name may
/// have replaced it, and that queue is not ours to remove.
class OwnedQueue {
public:
  /// Creates queue \p name for reading, non-blocking, by way of a janitor. A
  /// queue of ours left with this name by a run that was killed is unlinked
  /// first, so its stale messages can never be delivered; another user's
  /// stays, and the constructor throws nslab::Error naming its owner.
  /// Throws nslab::Error when a step fails.
  explicit OwnedQueue(std::string name);
  OwnedQueue(const OwnedQueue&) = delete;
  OwnedQueue& operator=(const OwnedQueue&) = delete;
  /// Unlinks the queue if its name still refers to it, then closes it.
  ~OwnedQueue();

  /// The queue's name, for example `/ipc_namespace`.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /// True when a stale queue with the same name was removed first.
  [[nodiscard]] bool replaced_stale_queue() const noexcept { return replaced_stale_; }
  /// How many messages it holds at most, and how long each may be.
  [[nodiscard]] const mq_attr& attributes() const noexcept { return attributes_; }
  /// On Linux a queue descriptor is a file descriptor, so poll(2) can wait
  /// for a message together with the child's pidfd and the signals.
  [[nodiscard]] int pollable_fd() const noexcept { return descriptor_; }
  /// Takes one message if one is waiting; never blocks.
  [[nodiscard]] std::optional<std::string> try_receive();
  /// Child side: closes the copy of the descriptor that clone(2) gave the
  /// child, without unlinking the parent's queue.
  void close_inherited_copy() noexcept;

private:
  std::string name_;
  bool replaced_stale_ = false;
  mq_attr attributes_{};
  nslab::Janitor<QueueIdentity> janitor_; ///< made the queue; its handle says which
  mqd_t descriptor_ = -1;
};

} // namespace invoke_ns
