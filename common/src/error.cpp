#include "nslab/error.hpp"

#include "nslab/exit_status.hpp"

#include <cerrno>
#include <fmt/core.h>

namespace nslab {
namespace {

std::string describe_step(const std::string& call, const std::string& object) {
  return object.empty() ? call : fmt::format("{}({})", call, object);
}

} // namespace

Error::Error(int errnum, std::string call, std::string object)
    : std::system_error(errnum, std::generic_category(), describe_step(call, object)),
      call_(std::move(call)), object_(std::move(object)) {}

void throw_errno(std::string call, std::string object) {
  throw Error(errno, std::move(call), std::move(object));
}

ExecError::ExecError(int errnum, const std::string& command)
    : Error(errnum, "exec", command), exit_code_(exit_code_for_exec_errno(errnum)) {}

} // namespace nslab
