#include "nslab/hostname.hpp"

#include "nslab/cli.hpp"
#include "nslab/error.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/core.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace nslab {

void validate_hostname(std::string_view name, std::string_view option) {
  if (name.empty() || name.size() > kMaxHostnameLength) {
    throw UsageError(fmt::format("{}: a hostname must be 1 to {} bytes, got {}", option,
                                 kMaxHostnameLength, name.size()));
  }
  // The kernel takes any bytes, but a newline in the hostname would break
  // every prompt, log line and /etc/hosts entry that shows it.
  if (std::ranges::any_of(
          name, [](char byte) { return std::iscntrl(static_cast<unsigned char>(byte)) != 0; })) {
    throw UsageError(fmt::format("{}: a hostname may not contain control characters, got '{}'",
                                 option, printable(name)));
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
