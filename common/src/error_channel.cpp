#include "nslab/error_channel.hpp"

#include "nslab/exit_status.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <new>
#include <string_view>
#include <unistd.h>

namespace nslab {
namespace {

/// The wire format of one failure report: fixed-size, so one write(2) sends
/// it whole and one read(2) receives it whole.
struct FailureRecord {
  int errnum;
  bool exec_failed;
  char call[64];
  char object[1536];
  char reason[2048];
};
static_assert(sizeof(FailureRecord) <= PIPE_BUF, "a report must be written atomically");

template <std::size_t N>
void copy_truncated(char (&destination)[N], std::string_view source) noexcept {
  const std::size_t length = std::min(source.size(), N - 1);
  std::memcpy(destination, source.data(), length);
  destination[length] = '\0';
}

FailureRecord record_of(const Error& error) noexcept {
  FailureRecord record{};
  record.errnum = error.code().value();
  record.exec_failed = dynamic_cast<const ExecError*>(&error) != nullptr;
  copy_truncated(record.call, error.call());
  copy_truncated(record.object, error.object());
  copy_truncated(record.reason, error.reason());
  return record;
}

/// A record with a reason alone, made without allocating: it also reports
/// running out of memory.
FailureRecord reason_only(int errnum, std::string_view reason) noexcept {
  FailureRecord record{};
  record.errnum = errnum;
  copy_truncated(record.reason, reason);
  return record;
}

/// Child side: sends \p record. Best effort: if the parent is gone there is
/// nobody left to tell.
void send(int fd, const FailureRecord& record) noexcept {
  [[maybe_unused]] const ssize_t ignored = ::write(fd, &record, sizeof record);
}

} // namespace

std::string ChildFailure::message() const { return Error(errnum, call, object, reason).what(); }

void ChildFailure::raise() const {
  if (exec_failed) {
    throw ExecError(errnum, object, reason);
  }
  throw Error(errnum, call, object, reason);
}

ErrorChannel::ErrorChannel() : pipe_(make_pipe()) {}

int ErrorChannel::report_failures(const std::function<int()>& child_steps) noexcept {
  pipe_.read_end.reset();
  const int fd = pipe_.write_end.get();
  // An Error goes over as its fields; any other exception (a stub's
  // NotImplemented, say) as its text alone.
  try {
    return child_steps();
  } catch (const Error& error) {
    send(fd, record_of(error));
    return error.exit_code();
  } catch (const std::bad_alloc&) {
    send(fd, reason_only(ENOMEM, "out of memory"));
  } catch (const std::exception& error) {
    send(fd, reason_only(0, error.what()));
  } catch (...) {
    send(fd, reason_only(0, "unknown error in the child"));
  }
  return kExitSetupFailed;
}

void ErrorChannel::close_write_end() noexcept { pipe_.write_end.reset(); }

std::optional<ChildFailure> ErrorChannel::receive() {
  if (!pipe_.read_end.valid()) {
    return std::nullopt; // received already
  }
  FailureRecord record{};
  const long got =
      check(read_retrying(pipe_.read_end.get(), &record, sizeof record), "read", "error channel");
  pipe_.read_end.reset();
  if (got != static_cast<long>(sizeof record)) {
    return std::nullopt; // end-of-file: the child exec'd or exited quietly
  }
  return ChildFailure{record.call, record.object, record.errnum, record.reason, record.exec_failed};
}

} // namespace nslab
