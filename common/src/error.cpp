#include "nslab/error.hpp"

#include "nslab/exit_status.hpp"

#include <cerrno>
#include <fmt/core.h>

namespace nslab {
namespace {

std::string describe_step(const std::string& call, const std::string& object) {
  return object.empty() ? call : fmt::format("{}({})", call, object);
}

std::string join_nonempty(const std::string& step, const std::string& reason) {
  return step.empty() ? reason : fmt::format("{}: {}", step, reason);
}

} // namespace

Error::Error(int errnum, std::string call, std::string object, std::string reason)
    : std::system_error(errnum, std::generic_category()), call_(std::move(call)),
      object_(std::move(object)), reason_(reason.empty() ? code().message() : std::move(reason)),
      message_(join_nonempty(describe_step(call_, object_), reason_)) {}

int Error::exit_code() const noexcept { return kExitSetupFailed; }

void throw_errno(std::string call, std::string object) {
  throw Error(errno, std::move(call), std::move(object));
}

ExecError::ExecError(int errnum, const std::string& command, std::string reason)
    : Error(errnum, "exec", command, std::move(reason)) {}

int ExecError::exit_code() const noexcept { return exit_code_for_exec_errno(code().value()); }

} // namespace nslab
