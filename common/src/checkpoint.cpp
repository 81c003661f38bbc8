#include "nslab/checkpoint.hpp"

#include "nslab/error.hpp"

#include <poll.h>
#include <unistd.h>

namespace nslab {
namespace {

constexpr char kGoByte = 'G';

} // namespace

Checkpoint::Checkpoint() : pipe_(make_pipe()) {}

Checkpoint::Outcome Checkpoint::wait() {
  pipe_.write_end.reset();
  char byte = 0;
  const long got = read_retrying(pipe_.read_end.get(), &byte, 1);
  check(got, "read", "checkpoint pipe");
  if (got == 0) {
    pipe_.read_end.reset();
    return Outcome::kParentDied; // end-of-file with no byte
  }
  // [checkpoint-lifeline]
  // The byte stays in the pipe even if the parent died right after writing
  // it. If it died before clone_child armed our parent-death signal, no
  // signal comes, and in a new PID namespace getppid() is 0 and cannot tell.
  // So the parent keeps its write end open while it lives, and poll(2)
  // reports POLLHUP once no writer is left. A parent that dies after this
  // check is covered by the signal, one that died before by the hang-up.
  pollfd lifeline{pipe_.read_end.get(), POLLIN, 0};
  check(::poll(&lifeline, 1, 0), "poll", "checkpoint pipe");
  pipe_.read_end.reset();
  return (lifeline.revents & POLLHUP) != 0 ? Outcome::kParentDied : Outcome::kReleased;
  // [checkpoint-lifeline]
}

void Checkpoint::release() {
  pipe_.read_end.reset();
  // With SIGPIPE ignored (see run_main), a child that is already gone makes
  // this fail with EPIPE instead of killing the parent without a word.
  check(::write(pipe_.write_end.get(), &kGoByte, 1), "write", "checkpoint pipe; the child is gone");
  // The write end stays open: it is the lifeline the child checks after
  // reading the byte (see wait()). It closes when this object goes away, or
  // when the kernel closes it for a parent that died.
}

} // namespace nslab
