#include "checkpoint.hpp"

#include "nslab/error.hpp"

#include <poll.h>
#include <unistd.h>

namespace ipc_checkpoint {
namespace {

constexpr char kGoByte = 'G';

} // namespace

Checkpoint::Checkpoint() : pipe_(nslab::make_pipe()) {}

// [checkpoint-wait]
Checkpoint::Outcome Checkpoint::wait() {
  // BEGIN EXERCISE part2.checkpoint-wait
  // STUB: // TODO(part2.checkpoint-wait): close this copy of the write end (pipe_.write_end.reset()),
  // STUB: // then read one byte from pipe_.read_end with nslab::read_retrying (read(2), retried
  // STUB: // on EINTR) and nslab::check. End-of-file (0 bytes): kParentDied. After the byte,
  // STUB: // poll(2) the read end with timeout 0: POLLHUP (no writer left) means the parent died
  // STUB: // after all, else kReleased. See pipe(7) and poll(2).
  // STUB: nslab::not_implemented("part2.checkpoint-wait");
  pipe_.write_end.reset();
  char byte = 0;
  const long got = nslab::read_retrying(pipe_.read_end.get(), &byte, 1);
  nslab::check(got, "read", "checkpoint pipe");
  if (got == 0) {
    pipe_.read_end.reset();
    return Outcome::kParentDied; // end-of-file with no byte
  }
  // The byte stays in the pipe even if the parent died right after writing
  // it. If it died before nslab::clone_child armed our parent-death signal, no
  // signal comes, and in a new PID namespace getppid() is 0 and cannot tell.
  // So the parent keeps its write end open while it lives, and poll(2)
  // reports POLLHUP once no writer is left. A parent that dies after this
  // check is covered by the signal, one that died before by the hang-up.
  pollfd lifeline{pipe_.read_end.get(), POLLIN, 0};
  nslab::check(::poll(&lifeline, 1, 0), "poll", "checkpoint pipe");
  pipe_.read_end.reset();
  return (lifeline.revents & POLLHUP) != 0 ? Outcome::kParentDied : Outcome::kReleased;
  // END EXERCISE part2.checkpoint-wait
}
// [checkpoint-wait]

// [checkpoint-release]
void Checkpoint::release() {
  // BEGIN EXERCISE part2.checkpoint-release
  // STUB: // TODO(part2.checkpoint-release): close the read end, write(2) the one byte kGoByte
  // STUB: // to pipe_.write_end (wrap the call in nslab::check), and keep the write end open:
  // STUB: // it is the lifeline wait() checks.
  // STUB: nslab::not_implemented("part2.checkpoint-release");
  pipe_.read_end.reset();
  // With SIGPIPE ignored (see run_main), a child that is already gone makes
  // this fail with EPIPE instead of killing the parent without a word.
  nslab::check(::write(pipe_.write_end.get(), &kGoByte, 1), "write",
               "checkpoint pipe; the child is gone");
  // The write end stays open: it is the lifeline the child checks after
  // reading the byte (see wait()). It closes when this object goes away, or
  // when the kernel closes it for a parent that died.
  // END EXERCISE part2.checkpoint-release
}
// [checkpoint-release]

void Checkpoint::abandon() noexcept {
  pipe_.read_end.reset();
  pipe_.write_end.reset();
}

} // namespace ipc_checkpoint
