/// \file
/// \brief A move-only owner for a file descriptor.
#pragma once

#include <cstddef>
#include <utility>

namespace nslab {

/// Owns one file descriptor and closes it when destroyed.
///
/// There is deliberately no implicit conversion to `int`: every use of the raw
/// number is spelled `get()`, and giving up ownership is spelled `release()`,
/// whose result must be used, so a descriptor can never leak by accident.
class UniqueFd {
public:
  /// An empty owner (holds -1).
  UniqueFd() = default;
  /// Takes ownership of \p fd (which may be -1).
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  /// Moves ownership; \p other is left empty.
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  /// Closes what this owns, then takes \p other's descriptor.
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  /// Closes the descriptor, if any.
  ~UniqueFd() { reset(); }

  /// The raw descriptor, still owned by this object.
  [[nodiscard]] int get() const noexcept { return fd_; }
  /// True when a descriptor is held.
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  /// Gives up ownership and returns the descriptor; the caller must close it.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  /// Closes the held descriptor and takes \p fd instead.
  void reset(int fd = -1) noexcept;

private:
  int fd_ = -1;
};

/// The two ends of a pipe(2), both opened `O_CLOEXEC`.
struct Pipe {
  UniqueFd read_end;  ///< The end that read(2) drains.
  UniqueFd write_end; ///< The end that write(2) fills.
};

/// Creates a pipe with `O_CLOEXEC` on both ends; throws nslab::Error on failure.
Pipe make_pipe();

/// Closes every descriptor numbered \p first or above, except \p keep. For a
/// process that must hold nothing of its parent's open (a janitor, a PID 1).
/// Throws nslab::Error.
void close_descriptors_except(int first, int keep);

/// read(2), retried when a signal interrupts it before any data arrived.
/// Returns what read(2) returns: bytes read, 0 at end-of-file, -1 on error.
[[nodiscard]] long read_retrying(int fd, void* buffer, std::size_t size) noexcept;

} // namespace nslab
