#include "nslab/unique_fd.hpp"

#include "nslab/error.hpp"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace nslab {

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) {
    // close(2) may fail with EINTR, but on Linux the descriptor is released
    // anyway, so retrying could close a descriptor another thread just got.
    ::close(fd_);
  }
  fd_ = fd;
}

void close_descriptors_except(int first, int keep) {
  if (keep > first) {
    check(::close_range(static_cast<unsigned>(first), static_cast<unsigned>(keep - 1), 0),
          "close_range");
  }
  check(::close_range(static_cast<unsigned>(keep + 1), ~0U, 0), "close_range");
}

long read_retrying(int fd, void* buffer, std::size_t size) noexcept {
  ssize_t got;
  do {
    got = ::read(fd, buffer, size);
  } while (got < 0 && errno == EINTR);
  return got;
}

Pipe make_pipe() {
  int ends[2];
  check(::pipe2(ends, O_CLOEXEC), "pipe2");
  return Pipe{UniqueFd(ends[0]), UniqueFd(ends[1])};
}

} // namespace nslab
