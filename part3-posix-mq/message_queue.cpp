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
#include <pwd.h>
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

std::optional<QueueIdentity> identity_of(mqd_t queue) {
  struct stat status {};
  if (::fstat(queue, &status) == -1) {
    return std::nullopt;
  }
  return QueueIdentity{status.st_dev, status.st_ino};
}

mq_attr article_attributes() {
  mq_attr attributes{};
  attributes.mq_maxmsg = std::min(kArticleCapacity, message_limit());
  attributes.mq_msgsize = kMessageSize;
  return attributes;
}

/// Runs in the janitor: makes queue \p name, which must not exist yet, and
/// says which inode it is. The janitor's descriptor closes again at once;
/// the queue stays until it is unlinked.
QueueIdentity create_exclusively(const std::string& name, mq_attr attributes) {
  const QueueDescriptor queue(nslab::check(
      ::mq_open(name.c_str(), O_RDONLY | O_NONBLOCK | O_CREAT | O_EXCL, 0600, &attributes),
      "mq_open", name));
  const std::optional<QueueIdentity> identity = identity_of(queue.get());
  if (!identity) {
    const int errnum = errno;
    ::mq_unlink(name.c_str());
    throw nslab::Error(errnum, "fstat", name);
  }
  return *identity;
}

/// "uid 1000 (alice)", or just "uid 1000" for a uid with no name.
std::string describe_owner(uid_t uid) {
  const passwd* user = ::getpwuid(uid);
  return user ? fmt::format("uid {} ({})", uid, user->pw_name) : fmt::format("uid {}", uid);
}

// [stale-queue]
/// A queue named \p name that is already there was left by a run that was
/// killed (SIGKILL cannot be caught), maybe with messages in it: opening it
/// would deliver them, so it goes. But only our own: root may unlink any
/// queue, and one of another user's, with its unread messages, is not ours
/// to remove. Returns true when a stale queue was removed.
bool remove_stale_queue(const std::string& name) {
  const mqd_t stale = ::mq_open(name.c_str(), O_RDONLY | O_NONBLOCK);
  if (stale == -1 && errno == ENOENT) {
    return false;
  }
  if (stale == -1 && errno == EACCES) {
    throw nslab::Error(EACCES, "mq_open", name,
                       "a queue of this name belongs to another user; choose another -q");
  }
  const QueueDescriptor queue(nslab::check(stale, "mq_open", name));
  struct stat status {};
  nslab::check(::fstat(queue.get(), &status), "fstat", name);
  if (status.st_uid != ::geteuid()) {
    throw nslab::Error(
        0, "mq_open", name,
        fmt::format("a queue of this name belongs to {}, not to us; choose another -q",
                    describe_owner(status.st_uid)));
  }
  nslab::check(::mq_unlink(name.c_str()), "mq_unlink", name);
  return true;
}
// [stale-queue]

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
        "{}: a queue name is a slash and 1 to {} more characters with no slash, got '{}'", option,
        NAME_MAX, name));
  }
}

// [owned-queue]
OwnedQueue::OwnedQueue(std::string name)
    : name_(std::move(name)), replaced_stale_(remove_stale_queue(name_)),
      attributes_(article_attributes()),
      janitor_([&] { return create_exclusively(name_, attributes_); },
               [name = name_](const QueueIdentity& ours) { unlink_if_still_ours(name, ours); }) {
  // The janitor made the queue; this process opens its own descriptor by
  // name, and makes sure that the name still leads to the same queue.
  descriptor_ = ::mq_open(name_.c_str(), O_RDONLY | O_NONBLOCK);
  if (descriptor_ != -1 && identity_of(descriptor_) == janitor_.handle()) {
    return;
  }
  const int errnum = errno;
  // No destructor runs for an object whose constructor throws: clean up here.
  unlink_if_still_ours(name_, janitor_.handle());
  if (descriptor_ == -1) {
    throw nslab::Error(errnum, "mq_open", name_);
  }
  ::mq_close(descriptor_);
  throw nslab::Error(0, "mq_open", name_, "another run replaced the queue as it was made");
}

OwnedQueue::~OwnedQueue() {
  if (descriptor_ != -1) {
    unlink_if_still_ours(name_, janitor_.handle()); // before the close: see there
    ::mq_close(descriptor_);
  }
  janitor_.dismiss();
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
