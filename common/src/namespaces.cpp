#include "nslab/namespaces.hpp"

#include "nslab/error.hpp"

#include <algorithm>
#include <cerrno>
#include <fmt/core.h>
#include <sched.h>
#include <stdexcept>
#include <sys/stat.h>

namespace nslab {

// [namespace-kinds]
const std::array<NamespaceKind, 8> kNamespaceKinds = {{
    {"cgroup", CLONE_NEWCGROUP, "the cgroup root"},
    {"ipc", CLONE_NEWIPC, "System V IPC and POSIX message queues"},
    {"mnt", CLONE_NEWNS, "the mount table"},
    {"net", CLONE_NEWNET, "links, addresses, routes, ports"},
    {"pid", CLONE_NEWPID, "process ids"},
    // clone(2) cannot take CLONE_NEWTIME (its bit sits in the exit-signal
    // byte): only unshare(2) makes a time namespace.
    {"time", CLONE_NEWTIME, "boot and monotonic clocks"},
    {"user", CLONE_NEWUSER, "user and group ids, capabilities"},
    {"uts", CLONE_NEWUTS, "hostname and domain name"},
}};
// [namespace-kinds]

const NamespaceKind& namespace_kind(std::string_view name) {
  const auto found = std::find_if(kNamespaceKinds.begin(), kNamespaceKinds.end(),
                                  [&](const NamespaceKind& kind) { return kind.name == name; });
  if (found == kNamespaceKinds.end()) {
    throw std::out_of_range(fmt::format("no namespace kind named '{}'", name));
  }
  return *found;
}

NamespaceId namespace_id(pid_t pid, const NamespaceKind& kind) {
  const std::string path = fmt::format("/proc/{}/ns/{}", pid, kind.name);
  struct stat info {};
  check(::stat(path.c_str(), &info), "stat", path);
  return {info.st_dev, info.st_ino};
}

std::string namespace_table(pid_t parent, pid_t child) {
  std::string table = fmt::format("{:<8} {:>12} {:>12}  {:<7} {}\n", "ns", "parent", "child",
                                  "child's", "isolates");
  for (const NamespaceKind& kind : kNamespaceKinds) {
    try {
      const NamespaceId parent_id = namespace_id(parent, kind);
      const NamespaceId child_id = namespace_id(child, kind);
      // The inodes, as readlink shows them; the comparison takes the device too.
      table += fmt::format("{:<8} {:>12} {:>12}  {:<7} {}\n", kind.name, parent_id.inode,
                           child_id.inode, parent_id == child_id ? "shared" : "NEW", kind.isolates);
    } catch (const Error& error) {
      // An older kernel without this kind (for example time) has no file.
      if (error.code().value() != ENOENT) {
        throw;
      }
    }
  }
  return table;
}

} // namespace nslab
