#include "nslab/janitor.hpp"

#include "nslab/error.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nslab {
namespace {

/// In the janitor: closes every descriptor but \p fd and puts /dev/null on
/// 0, 1 and 2. It must not hold the parent's other pipes open (a checkpoint
/// or error channel would then never report end-of-file), nor its terminal.
void keep_only(int fd) noexcept {
  try {
    close_descriptors_except(0, fd);
  } catch (const Error&) {
    // Never unwind into the parent's code from here; a janitor that holds a
    // copy too many still does its one job.
  }
  for (int standard = 0; standard < 3; ++standard) {
    ::open("/dev/null", O_RDWR); // takes the lowest free number: 0, 1, 2
  }
}

} // namespace

Janitor::Janitor(const std::function<void()>& cleanup) {
  Pipe pipe = make_pipe();
  pid_ = check(::fork(), "fork", "janitor");
  if (pid_ == 0) {
    ::setsid();
    keep_only(pipe.read_end.get());
    char byte = 0;
    if (read_retrying(pipe.read_end.get(), &byte, 1) == 0) {
      try {
        cleanup(); // end-of-file without a dismissal: the parent died
      } catch (...) {
        // Whatever happens, this copy of the parent's code must go no further.
      }
    }
    ::_exit(0);
  }
  dismissal_ = std::move(pipe.write_end);
}

void Janitor::dismiss() noexcept {
  if (!dismissal_.valid()) {
    return;
  }
  const char done = 'D';
  [[maybe_unused]] const ssize_t ignored = ::write(dismissal_.get(), &done, 1);
  dismissal_.reset();
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

} // namespace nslab
