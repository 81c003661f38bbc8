#include "nslab/hostname.hpp"

#include "nslab/error.hpp"

#include <fmt/core.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace nslab {

void validate_hostname(std::string_view name, std::string_view option) {
  if (name.empty() || name.size() > kMaxHostnameLength) {
    throw UsageError(fmt::format("{}: a hostname must be 1 to {} bytes, got {}", option,
                                 kMaxHostnameLength, name.size()));
  }
}

std::string current_hostname() {
  utsname names{};
  check(::uname(&names), "uname");
  return names.nodename;
}

void set_hostname(std::string_view name) {
  check(::sethostname(name.data(), name.size()), "sethostname", std::string(name));
}

} // namespace nslab
