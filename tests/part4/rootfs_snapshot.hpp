// A cheap, strong picture of a directory tree: every path with its type,
// mode, owner, size, inode, mtime and ctime. Any write to a file's
// contents or metadata, and any entry added or removed, changes the ctime
// of the file or of its directory, which no system call can set back: two
// equal pictures mean an unchanged tree, without hashing 300 MB of it.
#pragma once

#include <filesystem>
#include <fmt/core.h>
#include <map>
#include <string>
#include <sys/stat.h>

namespace isolate_test {

using TreePicture = std::map<std::string, std::string>;

inline TreePicture picture_of(const std::string& root) {
  TreePicture picture;
  const auto add = [&](const std::filesystem::path& path) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) {
      picture[path.string()] = "unreadable";
      return;
    }
    picture[path.string()] = fmt::format(
        "mode {:o} owner {}:{} size {} inode {} mtime {}.{:09} ctime {}.{:09}", info.st_mode,
        info.st_uid, info.st_gid, info.st_size, info.st_ino, info.st_mtim.tv_sec,
        info.st_mtim.tv_nsec, info.st_ctim.tv_sec, info.st_ctim.tv_nsec);
  };
  add(root);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(
           root, std::filesystem::directory_options::none)) {
    add(entry.path());
  }
  return picture;
}

/// The first \p limit differences between two pictures, one per line.
inline std::string differences(const TreePicture& before, const TreePicture& after,
                               std::size_t limit = 10) {
  std::string text;
  std::size_t count = 0;
  const auto note = [&](const std::string& line) {
    if (count++ < limit) {
      text += line + "\n";
    }
  };
  for (const auto& [path, state] : before) {
    const auto found = after.find(path);
    if (found == after.end()) {
      note("removed: " + path);
    } else if (found->second != state) {
      note(fmt::format("changed: {}: {} -> {}", path, state, found->second));
    }
  }
  for (const auto& [path, state] : after) {
    if (!before.contains(path)) {
      note("added: " + path);
    }
  }
  if (count > limit) {
    text += fmt::format("... {} differences in all\n", count);
  }
  return text;
}

} // namespace isolate_test
