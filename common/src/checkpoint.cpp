#include "nslab/checkpoint.hpp"

#include "nslab/exit_status.hpp"
#include "nslab/userns_policy.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <new>
#include <poll.h>
#include <unistd.h>

namespace nslab {
namespace {

constexpr char kGoByte = 'G';

/// The wire format of one failure report: fixed-size, so one write(2) sends
/// it whole and one read(2) receives it whole.
struct FailureRecord {
  int errnum;
  int exit_code;
  char call[64];
  char message[1024];
};
static_assert(sizeof(FailureRecord) <= PIPE_BUF, "a report must be written atomically");

template <std::size_t N>
void copy_truncated(char (&destination)[N], const std::string& source) {
  const std::size_t length = std::min(source.size(), N - 1);
  std::memcpy(destination, source.data(), length);
  destination[length] = '\0';
}

} // namespace

Checkpoint::Checkpoint() : pipe_(make_pipe()) {}

// [checkpoint-wait]
Checkpoint::Outcome Checkpoint::wait() {
  // BEGIN EXERCISE part2.checkpoint-wait
  // STUB: // TODO(part2.checkpoint-wait): close this copy of the write end (pipe_.write_end.reset()),
  // STUB: // then read one byte from pipe_.read_end with read_retrying (read(2), retried on EINTR)
  // STUB: // and nslab::check. End-of-file (0 bytes): kParentDied. After the byte, poll(2) the
  // STUB: // read end with timeout 0: POLLHUP (no writer left) means the parent died after all,
  // STUB: // else kReleased. See pipe(7) and poll(2).
  // STUB: nslab::not_implemented("part2.checkpoint-wait");
  pipe_.write_end.reset();
  char byte = 0;
  const long got = read_retrying(pipe_.read_end.get(), &byte, 1);
  check(got, "read", "checkpoint pipe");
  if (got == 0) {
    pipe_.read_end.reset();
    return Outcome::kParentDied; // end-of-file with no byte
  }
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
  check(::write(pipe_.write_end.get(), &kGoByte, 1), "write",
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

ErrorChannel::ErrorChannel() : pipe_(make_pipe()) {}

int ErrorChannel::report_failures(const std::function<int()>& child_steps) noexcept {
  pipe_.read_end.reset();
  try {
    return child_steps();
  } catch (const ExecError& error) {
    send({error.code().value(), error.exit_code(), error.call(), error.what()});
    return error.exit_code();
  } catch (const Error& error) {
    send({error.code().value(), kExitSetupFailed, error.call(), error.what()});
  } catch (const std::bad_alloc&) {
    send({ENOMEM, kExitSetupFailed, "", "out of memory"});
  } catch (const std::exception& error) {
    send({0, kExitSetupFailed, "", error.what()});
  } catch (...) {
    send({0, kExitSetupFailed, "", "unknown error in the child"});
  }
  return kExitSetupFailed;
}

void ErrorChannel::send(const ChildFailure& failure) noexcept {
  FailureRecord record{};
  record.errnum = failure.errnum;
  record.exit_code = failure.exit_code;
  copy_truncated(record.call, failure.call);
  copy_truncated(record.message, failure.message);
  // Best effort: if the parent is gone there is nobody left to tell.
  [[maybe_unused]] const ssize_t ignored = ::write(pipe_.write_end.get(), &record, sizeof record);
}

void ErrorChannel::close_write_end() noexcept { pipe_.write_end.reset(); }

std::optional<ChildFailure> ErrorChannel::receive() {
  close_write_end();
  FailureRecord record{};
  const long got = check(read_retrying(pipe_.read_end.get(), &record, sizeof record), "read",
                         "error channel");
  pipe_.read_end.reset();
  if (got != static_cast<long>(sizeof record)) {
    return std::nullopt; // end-of-file: the child exec'd or exited quietly
  }
  ChildFailure failure{record.errnum, record.exit_code, record.call, record.message};
  // Told here, in the parent, so that every program shows it under the
  // child's error line without a word of its own.
  if (const std::string hint = apparmor_userns_hint(failure.errnum); !hint.empty()) {
    failure.message += "\n" + hint;
  }
  return failure;
}

} // namespace nslab
