#include "nslab/janitor.hpp"

#include "nslab/error.hpp"

#include <cerrno>
#include <sys/wait.h>
#include <unistd.h>

namespace nslab {

Janitor::Janitor(const std::function<void()>& cleanup) {
  Pipe pipe = make_pipe();
  pid_ = check(::fork(), "fork", "janitor");
  if (pid_ == 0) {
    ::setsid();
    pipe.write_end.reset();
    char byte = 0;
    ssize_t got;
    do {
      got = ::read(pipe.read_end.get(), &byte, 1);
    } while (got < 0 && errno == EINTR);
    if (got == 0) {
      cleanup(); // end-of-file without a dismissal: the parent died
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
