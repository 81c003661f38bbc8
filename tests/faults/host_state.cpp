#include "host_state.hpp"
#include "text.hpp"

#include "nslab/hostname.hpp"

#include <algorithm>
#include <fcntl.h>
#include <initializer_list>
#include <string_view>
#include <filesystem>
#include <fstream>
#include <mqueue.h>
#include <sstream>
#include <thread>

namespace nslab::testing {
namespace {

std::set<std::string> sysv_queue_ids() {
  std::set<std::string> ids;
  std::istringstream table(read_file("/proc/sysvipc/msg"));
  std::string line;
  std::getline(table, line); // the header
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string key;
    std::string id;
    if (fields >> key >> id) {
      ids.insert(id);
    }
  }
  return ids;
}

std::set<std::string> entries_starting_with(const std::filesystem::path& directory,
                                            std::string_view prefix) {
  std::set<std::string> found;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(prefix)) {
      found.insert(entry.path().string());
    }
  }
  return found;
}

/// isolate names its cgroup isolate-PID: those starting with \p prefix, inside its own cgroup of each
/// hierarchy: the roots of the test's own cgroups are searched, one level of
/// hierarchies (v1) or none (v2).
std::set<std::string> isolate_cgroups(const std::string& prefix) {
  std::set<std::string> found;
  std::istringstream own(read_file("/proc/self/cgroup"));
  for (std::string line; std::getline(own, line);) {
    const auto path = line.substr(line.rfind(':') + 1);
    const auto first = line.find(':');
    const auto controllers = line.substr(first + 1, line.rfind(':') - first - 1);
    // v2 ("0::/path") lives at /sys/fs/cgroup itself; v1 at /sys/fs/cgroup/NAME.
    std::filesystem::path root = "/sys/fs/cgroup";
    if (!controllers.empty()) {
      const auto comma = controllers.find(',');
      std::string name = controllers.substr(0, comma);
      if (name.starts_with("name=")) {
        name = name.substr(5);
      }
      root /= name;
    }
    const auto inside = entries_starting_with(root / path.substr(1), prefix);
    found.insert(inside.begin(), inside.end());
  }
  return found;
}

/// The mount points of \p mountinfo that a leak of the labs could add to:
/// the host's own directories and the rootfs. Other mounts on a shared
/// machine (someone building elsewhere) are none of these checks' business.
std::set<std::string> watched_mounts(const std::string& mountinfo) {
  std::set<std::string> points;
  std::istringstream table(mountinfo);
  for (std::string line; std::getline(table, line);) {
    std::istringstream fields(line);
    std::string id, parent, device, root, point;
    fields >> id >> parent >> device >> root >> point;
    const bool watched = point == "/" ||
                         std::ranges::any_of(std::initializer_list<std::string_view>{
                                                 "/proc", "/sys", "/dev", "/tmp", "/run",
                                                 NSLAB_ISOLATE_ROOTFS},
                                             [&](std::string_view top) {
                                               return point.starts_with(top);
                                             });
    if (watched) {
      points.insert(line);
    }
  }
  return points;
}

/// The veth host ends (`nslPID`) whose isolate is gone. A link whose isolate
/// still runs belongs to a test running beside this one (ctest -j), not to
/// a killed run: isolate names the host end after its own pid.
std::set<std::string> links_of_dead_owners(const std::set<std::string>& links) {
  std::set<std::string> orphaned;
  for (const std::string& link : links) {
    const std::string owner = link.substr(link.rfind("nsl") + 3);
    if (!std::filesystem::exists("/proc/" + owner)) {
      orphaned.insert(link);
    }
  }
  return orphaned;
}

void describe_added(std::string& report, const char* kind, const std::set<std::string>& before,
                    const std::set<std::string>& after) {
  for (const std::string& name : after) {
    if (!before.contains(name)) {
      report += std::string(kind) + " " + name + " was left behind\n";
    }
  }
}

} // namespace

HostState HostState::now() {
  return {current_hostname(), sysv_queue_ids(), entries_starting_with("/sys/class/net", "nsl"),
          read_file("/proc/self/mountinfo")};
}

std::string added_since(const HostState& before, const HostState& after) {
  std::string report;
  if (after.hostname != before.hostname) {
    report += "the hostname changed to " + after.hostname + "\n";
  }
  describe_added(report, "System V queue", before.sysv_queues, after.sysv_queues);
  describe_added(report, "link", before.links, links_of_dead_owners(after.links));
  describe_added(report, "mount", watched_mounts(before.mounts), watched_mounts(after.mounts));
  return report;
}

std::string left_behind(const HostState& before, std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  std::string report = added_since(before, HostState::now());
  // Nothing to wait on: the kernel tells nobody when a queue or a link of
  // another test goes. So look again every few milliseconds, within the bound.
  while (!report.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
    report = added_since(before, HostState::now());
  }
  return report;
}

std::set<std::string> isolate_cgroups_of(int pid) {
  // isolate-12 must not match isolate-123: compare whole names.
  std::set<std::string> exact;
  const std::string name = "isolate-" + std::to_string(pid);
  for (const std::string& path : isolate_cgroups(name)) {
    if (std::filesystem::path(path).filename() == name) {
      exact.insert(path);
    }
  }
  return exact;
}

bool posix_queue_exists(const std::string& name) {
  const mqd_t queue = ::mq_open(name.c_str(), O_RDONLY);
  if (queue == -1) {
    return false;
  }
  ::mq_close(queue);
  return true;
}

} // namespace nslab::testing
