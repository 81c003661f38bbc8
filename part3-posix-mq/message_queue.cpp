#include "message_queue.hpp"

#include "nslab/error.hpp"
#include "nslab/unique_fd.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <climits>
#include <fcntl.h>
#include <fmt/core.h>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

namespace invoke_ns {
namespace {

/// The article's queue: 10 messages of 81 bytes (80 characters and the C
/// string's terminator).
constexpr long kArticleCapacity = 10;
constexpr long kMessageSize = kMaxMessageLength + 1;

/// `/proc/sys/fs/mqueue/msg_max`: without CAP_SYS_RESOURCE, a queue may not
/// hold more messages than this. 81 bytes is always within `msgsize_max`,
/// whose lowest allowed value is 128.
/// Falls back to the article's 10 if the file cannot be read.
long message_limit() {
  const nslab::UniqueFd file(::open("/proc/sys/fs/mqueue/msg_max", O_RDONLY | O_CLOEXEC));
  std::array<char, 32> text{};
  const ssize_t length = file.valid() ? ::read(file.get(), text.data(), text.size()) : -1;
  long limit = kArticleCapacity;
  if (length > 0) {
    std::from_chars(text.data(), text.data() + length, limit);
  }
  return limit;
}

mqd_t create_exclusively(const std::string& name, mq_attr& attributes) {
  return ::mq_open(name.c_str(), O_RDONLY | O_NONBLOCK | O_CREAT | O_EXCL, 0600, &attributes);
}

std::optional<QueueIdentity> identity_of(mqd_t queue) {
  struct stat status {};
  if (::fstat(queue, &status) == -1) {
    return std::nullopt;
  }
  return QueueIdentity{status.st_dev, status.st_ino};
}

/// Unlinks \p name only if it still refers to queue \p ours.
///
/// An inode number names one inode only while that inode lives. The
/// destructor checks while it still holds its descriptor, so its queue lives.
/// The janitor runs after the parent died, but the kernel numbers mqueue
/// inodes from a counter (get_next_ino) that repeats only after 2^32 inodes.
///
/// A small window remains between the check and mq_unlink(3): if another run
/// replaces the queue in between, its queue is unlinked. POSIX offers no
/// "unlink if still this one". Two runs given the same name at the same time
/// interfere anyway, by design: the second one removes the first one's queue
/// as if it were stale, because it cannot tell a live owner from a crashed one.
void unlink_if_still_ours(const std::string& name, const QueueIdentity& ours) noexcept {
  const mqd_t current = ::mq_open(name.c_str(), O_RDONLY | O_NONBLOCK);
  if (current == -1) {
    return; // gone already, or someone else's that we may not even read
  }
  const std::optional<QueueIdentity> found = identity_of(current);
  ::mq_close(current);
  if (found == ours) {
    ::mq_unlink(name.c_str());
  }
}

} // namespace

void validate_queue_name(std::string_view name, std::string_view option) {
  const std::string_view rest = name.substr(std::min<std::size_t>(1, name.size()));
  if (!name.starts_with('/') || rest.empty() || rest.size() > NAME_MAX ||
      rest.find('/') != std::string_view::npos || rest == "." || rest == "..") {
    throw nslab::UsageError(fmt::format(
        "{}: a queue name is a slash and 1 to {} more characters with no slash, got '{}'",
        option, NAME_MAX, name));
  }
}

// [owned-queue]
OwnedQueue::OwnedQueue(std::string name) : name_(std::move(name)) {
  attributes_.mq_maxmsg = std::min(kArticleCapacity, message_limit());
  attributes_.mq_msgsize = kMessageSize;
  descriptor_ = create_exclusively(name_, attributes_);
  if (descriptor_ == -1 && errno == EEXIST) {
    // A run that was killed (SIGKILL cannot be caught) left its queue behind,
    // maybe with messages in it. Opening it would deliver them; start afresh.
    nslab::check(::mq_unlink(name_.c_str()), "mq_unlink", name_);
    replaced_stale_ = true;
    descriptor_ = create_exclusively(name_, attributes_);
  }
  nslab::check(descriptor_, "mq_open", name_);
  try {
    const std::optional<QueueIdentity> identity = identity_of(descriptor_);
    if (!identity) {
      nslab::throw_errno("fstat", name_);
    }
    identity_ = *identity;
    janitor_.emplace([name = name_, ours = identity_] { unlink_if_still_ours(name, ours); });
  } catch (...) {
    // No destructor runs for an object whose constructor throws, so clean up
    // here. The queue was made a moment ago: its name is still ours.
    ::mq_close(descriptor_);
    ::mq_unlink(name_.c_str());
    throw;
  }
}

OwnedQueue::~OwnedQueue() {
  if (descriptor_ != -1) {
    unlink_if_still_ours(name_, identity_); // before the close: see there
    ::mq_close(descriptor_);
  }
  if (janitor_) {
    janitor_->dismiss();
  }
}
// [owned-queue]

// [try-receive]
std::optional<std::string> OwnedQueue::try_receive() {
  // mq_receive(3) refuses (EMSGSIZE) a buffer shorter than the queue's
  // mq_msgsize, even when the waiting message is shorter.
  std::string buffer(static_cast<std::size_t>(attributes_.mq_msgsize), '\0');
  const ssize_t length = ::mq_receive(descriptor_, buffer.data(), buffer.size(), nullptr);
  if (length == -1 && errno == EAGAIN) {
    return std::nullopt;
  }
  nslab::check(length, "mq_receive", name_);
  buffer.resize(static_cast<std::size_t>(length));
  return buffer;
}
// [try-receive]

void OwnedQueue::close_inherited_copy() noexcept {
  ::mq_close(descriptor_);
  descriptor_ = -1;
}

} // namespace invoke_ns
