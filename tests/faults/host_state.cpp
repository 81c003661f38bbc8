#include "host_state.hpp"
#include "text.hpp"

#include "nslab/error.hpp"
#include "nslab/hostname.hpp"
#include "nslab/unique_fd.hpp"

#include <algorithm>
#include <fcntl.h>
#include <filesystem>
#include <initializer_list>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <mqueue.h>
#include <poll.h>
#include <sstream>
#include <string_view>
#include <sys/socket.h>
#include <unistd.h>

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
    const bool watched =
        point == "/" ||
        std::ranges::any_of(std::initializer_list<std::string_view>{"/proc", "/sys", "/dev", "/tmp",
                                                                    "/run", NSLAB_ISOLATE_ROOTFS},
                            [&](std::string_view top) { return point.starts_with(top); });
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

/// What the kernel announces of the host's state: links (rtnetlink's
/// RTMGRP_LINK, rtnetlink(7)) and changes to the mount table (POLLPRI on
/// mountinfo, proc(5)). Announcements made before it exists are not seen.
class HostChanges {
public:
  HostChanges()
      : links_(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE)),
        mounts_(::open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC)) {
    sockaddr_nl group{};
    group.nl_family = AF_NETLINK;
    group.nl_groups = RTMGRP_LINK;
    check(::bind(links_.get(), reinterpret_cast<const sockaddr*>(&group), sizeof group), "bind",
          "RTMGRP_LINK");
    check(mounts_.valid() ? 0 : -1, "open", "/proc/self/mountinfo");
  }

  /// Returns at the next announcement, or after \p timeout.
  void wait(std::chrono::milliseconds timeout) const {
    pollfd watched[] = {{links_.get(), POLLIN, 0}, {mounts_.get(), POLLPRI, 0}};
    ::poll(watched, 2, static_cast<int>(timeout.count()));
    char buffer[8192];
    while (::recv(links_.get(), buffer, sizeof buffer, 0) > 0) {
      // drain them: the next wait is for a new announcement
    }
    if (watched[1].revents != 0) {
      ::lseek(mounts_.get(), 0, SEEK_SET); // re-arms POLLPRI (proc(5))
      (void)!::read(mounts_.get(), buffer, sizeof buffer);
    }
  }

private:
  UniqueFd links_;
  UniqueFd mounts_;
};

/// True when every line of \p report is a link or a mount, which the kernel
/// announces when they go.
bool announced_only(const std::string& report) {
  const Words said = lines(report);
  return std::all_of(said.begin(), said.end(), [](const std::string& line) {
    return line.starts_with("link ") || line.starts_with("mount ");
  });
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
  const HostChanges changes; // before the first look, so that no change is missed
  std::string report = added_since(before, HostState::now());
  while (!report.empty() && std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    // Links and mounts are announced when they go; a System V queue or the
    // hostname is not, so with one of those in the report look again soon.
    changes.wait(announced_only(report) ? left : std::min(left, std::chrono::milliseconds{20}));
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
