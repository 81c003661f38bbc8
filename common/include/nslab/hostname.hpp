/// \file
/// \brief Reading and setting the hostname of the current UTS namespace.
#pragma once

#include <string>
#include <string_view>

namespace nslab {

/// The longest hostname the kernel accepts (`HOST_NAME_MAX`).
inline constexpr std::size_t kMaxHostnameLength = 64;

/// Throws a UsageError naming \p option when \p name is empty, longer
/// than kMaxHostnameLength bytes, or holds a control character (a newline). Call it while parsing, before any clone.
void validate_hostname(std::string_view name, std::string_view option);

/// The hostname of the caller's UTS namespace, from uname(2).
[[nodiscard]] std::string current_hostname();

/// Sets the hostname of the caller's UTS namespace; throws nslab::Error.
void set_hostname(std::string_view name);

} // namespace nslab
