/// \file
/// \brief Reading what the host shows of a run: files and their lines and
/// words.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nslab::testing {

/// A list of lines or words.
using Words = std::vector<std::string>;

/// The whole contents of \p path; empty when it cannot be read.
[[nodiscard]] std::string read_file(const std::string& path);

/// Replaces the contents of \p path with \p text; throws nslab::Error when
/// that fails, so a set-up step that did not happen never passes unseen.
void write_file(const std::string& path, std::string_view text);

/// \p text cut at its newlines, which are left out.
[[nodiscard]] Words lines(std::string_view text);

/// \p text cut at any white space, which is left out.
[[nodiscard]] Words words(std::string_view text);

} // namespace nslab::testing
