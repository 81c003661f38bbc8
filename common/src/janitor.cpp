#include "nslab/janitor.hpp"

#include "nslab/error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <new>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nslab {
namespace {

/// What the janitor sends first: whether create succeeded, and if not, why.
/// The handle's bytes follow when it did.
struct CreateReport {
  int errnum = 0; ///< 0 when the resource exists.
  char call[32] = {};
  char object[256] = {};
};

template <std::size_t N>
void copy_truncated(char (&destination)[N], const std::string& source) {
  const std::size_t length = std::min(source.size(), N - 1);
  std::memcpy(destination, source.data(), length);
  destination[length] = '\0';
}

/// Sends all of \p bytes; MSG_NOSIGNAL, because a peer that died must not
/// kill the sender with SIGPIPE: the janitor still has its work to do.
bool send_all(int socket, std::span<const std::byte> bytes) noexcept {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(socket, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) {
      continue;
    }
    if (sent <= 0) {
      return false;
    }
    bytes = bytes.subspan(static_cast<std::size_t>(sent));
  }
  return true;
}

/// Receives exactly \p bytes; false at an early end-of-file.
bool receive_all(int socket, std::span<std::byte> bytes) {
  while (!bytes.empty()) {
    const long got = check(read_retrying(socket, bytes.data(), bytes.size()), "read", "janitor");
    if (got == 0) {
      return false;
    }
    bytes = bytes.subspan(static_cast<std::size_t>(got));
  }
  return true;
}

/// In the janitor: closes every descriptor but \p fd and puts /dev/null on
/// 0, 1 and 2. It must not hold the parent's other pipes open (a checkpoint
/// or error channel would then never report end-of-file), nor its terminal.
void keep_only(int fd) noexcept {
  try {
    close_descriptors_except(0, fd);
  } catch (const Error&) {
    // A janitor that holds a copy too many still does its one job.
  }
  for (int standard = 0; standard < 3; ++standard) {
    ::open("/dev/null", O_RDWR); // takes the lowest free number: 0, 1, 2
  }
}

/// In the janitor: runs \p create and reports the outcome on \p socket.
/// True when the resource exists.
bool create_and_report(int socket, std::span<const std::byte> handle,
                       const std::function<void()>& create) noexcept {
  CreateReport report;
  try {
    create();
  } catch (const Error& error) {
    report.errnum = error.code().value();
    copy_truncated(report.call, error.call());
    copy_truncated(report.object, error.object());
  } catch (const std::bad_alloc&) {
    report.errnum = ENOMEM;
    copy_truncated(report.call, "janitor");
  } catch (...) {
    report.errnum = EIO;
    copy_truncated(report.call, "janitor");
  }
  const bool sent = send_all(socket, std::as_bytes(std::span(&report, 1)));
  if (report.errnum != 0) {
    return false;
  }
  // A parent that died before reading this still leaves the janitor to
  // remove what it made: the send fails, the wait below sees end-of-file.
  if (sent) {
    send_all(socket, handle);
  }
  return true;
}

/// The janitor's whole life; never returns into the parent's code.
[[noreturn]] void run_janitor(int socket, std::span<const std::byte> handle,
                              const std::function<void()>& create,
                              const std::function<void()>& remove) noexcept {
  ::setsid();
  keep_only(socket);
  if (create_and_report(socket, handle, create)) {
    char byte = 0;
    if (read_retrying(socket, &byte, 1) <= 0) {
      try {
        remove(); // end-of-file without a dismissal: the parent died
      } catch (...) {
        // Whatever happens, this copy of the parent's code must go no further.
      }
    }
  }
  ::_exit(0);
}

} // namespace

// [janitor]
JanitorProcess::JanitorProcess(std::span<std::byte> handle, const std::function<void()>& create,
                               const std::function<void()>& remove) {
  int ends[2];
  check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends), "socketpair", "janitor");
  UniqueFd ours(ends[0]);
  UniqueFd theirs(ends[1]);
  pid_ = check(::fork(), "fork", "janitor");
  if (pid_ == 0) {
    run_janitor(theirs.get(), handle, create, remove);
  }
  theirs.reset();
  socket_ = std::move(ours);
  CreateReport report;
  const bool complete = receive_all(socket_.get(), std::as_writable_bytes(std::span(&report, 1))) &&
                        (report.errnum != 0 || receive_all(socket_.get(), handle));
  if (!complete || report.errnum != 0) {
    dismiss(); // nothing exists that it would have to remove
    throw Error(complete ? report.errnum : EIO, complete ? report.call : "janitor",
                complete ? report.object : "ended without a report");
  }
}
// [janitor]

void JanitorProcess::dismiss() noexcept {
  if (!socket_.valid()) {
    return;
  }
  const char done = 'D';
  [[maybe_unused]] const ssize_t ignored = ::send(socket_.get(), &done, 1, MSG_NOSIGNAL);
  socket_.reset();
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

} // namespace nslab
