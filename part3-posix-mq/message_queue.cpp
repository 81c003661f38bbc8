#include "message_queue.hpp"

#include "nslab/error.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <fcntl.h>
#include <fmt/core.h>
#include <fstream>

namespace invoke_ns {
namespace {

/// The article's queue: 10 messages of 81 bytes (80 characters and the C
/// string's terminator).
constexpr long kArticleCapacity = 10;
constexpr long kMessageSize = kMaxMessageLength + 1;

/// `/proc/sys/fs/mqueue/msg_max`: without CAP_SYS_RESOURCE, a queue may not
/// hold more messages than this. 81 bytes is always within `msgsize_max`,
/// whose lowest allowed value is 128.
long message_limit() {
  std::ifstream file("/proc/sys/fs/mqueue/msg_max");
  long limit = kArticleCapacity;
  file >> limit;
  return limit;
}

mqd_t create_exclusively(const std::string& name, mq_attr& attributes) {
  return ::mq_open(name.c_str(), O_RDONLY | O_NONBLOCK | O_CREAT | O_EXCL, 0600, &attributes);
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
  janitor_.emplace([name = name_] { ::mq_unlink(name.c_str()); });
}

OwnedQueue::~OwnedQueue() {
  if (descriptor_ != -1) {
    ::mq_close(descriptor_);
    ::mq_unlink(name_.c_str());
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
