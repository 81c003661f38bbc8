#include "nslab/checkpoint.hpp"

#include "nslab/exit_status.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
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
  // BEGIN EXERCISE part2.checkpoint-wait: close the write end, read one byte; a byte means released, end-of-file means the parent died
  pipe_.write_end.reset();
  char byte = 0;
  const long got = read_retrying(pipe_.read_end.get(), &byte, 1);
  check(got, "read", "checkpoint pipe");
  pipe_.read_end.reset();
  return got == 1 ? Outcome::kReleased : Outcome::kParentDied;
  // END EXERCISE part2.checkpoint-wait
}
// [checkpoint-wait]

// [checkpoint-release]
void Checkpoint::release() {
  // BEGIN EXERCISE part2.checkpoint-release: close the read end, write the go byte, close the write end
  pipe_.read_end.reset();
  // With SIGPIPE ignored (see run_main), a child that is already gone makes
  // this fail with EPIPE instead of killing the parent without a word.
  check(::write(pipe_.write_end.get(), &kGoByte, 1), "write",
        "checkpoint pipe; the child is gone");
  pipe_.write_end.reset();
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
  return ChildFailure{record.errnum, record.exit_code, record.call, record.message};
}

} // namespace nslab
