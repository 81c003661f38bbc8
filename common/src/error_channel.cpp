#include "nslab/error_channel.hpp"

#include "nslab/exit_status.hpp"
#include "nslab/userns_policy.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <new>
#include <unistd.h>

namespace nslab {
namespace {

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
