// The user namespace: deciding the id maps, writing uid_map, setgroups and
// gid_map (or having newuidmap and newgidmap write them), and the child
// becoming root inside. Separate because the kernel's rules for those files
// (who may write what, in which order) are a topic of their own.

#include "user_namespace.hpp"

#include "subordinate_ids.hpp"

#include "nslab/cli.hpp"
#include "nslab/error.hpp"
#include "nslab/unique_fd.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <fcntl.h>
#include <fmt/core.h>
#include <pwd.h>
#include <string>
#include <sys/prctl.h>
#include <unistd.h>

namespace isolate {
namespace {

/// A map's lines joined with ", ", for an error message of one line.
std::string one_line(std::string_view map) {
  std::string line;
  for (const char c : map.substr(0, map.find_last_not_of('\n') + 1)) {
    line += c == '\n' ? std::string(", ") : std::string(1, c);
  }
  return line;
}

/// Writes \p text into the file \p name of the /proc/PID directory \p proc_dir.
/// The kernel wants each map in a single write(2).
void write_proc_file(const nslab::UniqueFd& proc_dir, pid_t pid, const char* name,
                     std::string_view text) {
  const std::string path = fmt::format("/proc/{}/{}", pid, name);
  const nslab::UniqueFd file(
      nslab::check(::openat(proc_dir.get(), name, O_WRONLY | O_CLOEXEC), "open", path));
  const ssize_t written = ::write(file.get(), text.data(), text.size());
  if (written == static_cast<ssize_t>(text.size())) {
    return;
  }
  if (written >= 0) {
    throw nslab::Error(EIO, "write", path); // a short write: the kernel took half a map
  }
  if (errno == EPERM && name != std::string_view("setgroups")) {
    // The kernel lets an unprivileged user map only its own ids; say so,
    // because "Operation not permitted" alone does not explain the fix.
    throw nslab::Error(EPERM, "write", fmt::format("{}, \"{}\"", path, one_line(text)),
                       "Operation not permitted (only root may map ids other than its own)");
  }
  nslab::throw_errno("write", path);
}

// [userns-map]
/// Writes the maps from isolate itself, through the child's /proc directory.
void write_id_maps(pid_t pid, const IdMaps& maps) {
  // One descriptor for the child's /proc directory, opened once: all three
  // writes then reach the same process, whatever happens to the path.
  const std::string proc_path = fmt::format("/proc/{}", pid);
  const nslab::UniqueFd proc_dir(
      nslab::check(::open(proc_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC), "open", proc_path));
  // BEGIN EXERCISE part4.userns-map
  // STUB: // TODO(part4.userns-map): write the child's maps; see user_namespaces(7). proc_dir,
  // STUB: // the child's /proc/PID directory, is already open: write_proc_file(proc_dir, pid,
  // STUB: // FILE, TEXT) writes one of its files, map_text(RANGES) makes a map's text. Write
  // STUB: // "uid_map" (maps.uids), then "setgroups" ("deny") if maps.deny_setgroups, then
  // STUB: // "gid_map" (maps.gids).
  // STUB: nslab::not_implemented("part4.userns-map", proc_dir, pid, maps, write_proc_file);
  write_proc_file(proc_dir, pid, "uid_map", map_text(maps.uids));
  // Rootless, setgroups must be denied before gid_map is written: the kernel
  // refuses the gid map otherwise. If the container could call setgroups(2),
  // it could drop a supplementary group that a file's permissions use to
  // keep its members *out* (mode 0705, say), and so gain access. Root may
  // leave it allowed, and must, for su and apt to drop their groups.
  if (maps.deny_setgroups) {
    write_proc_file(proc_dir, pid, "setgroups", "deny");
  }
  write_proc_file(proc_dir, pid, "gid_map", map_text(maps.gids));
  // END EXERCISE part4.userns-map
}
// [userns-map]

/// The text of a small file, "" when it cannot be read (/etc/subuid may not
/// exist). Plain read(2): iostreams would cost more than all the rest of
/// the planning.
std::string file_text(const char* path) {
  const nslab::UniqueFd file(::open(path, O_RDONLY | O_CLOEXEC));
  std::string text;
  char buffer[4096];
  for (ssize_t got = 0; file.get() >= 0 && (got = ::read(file.get(), buffer, sizeof buffer)) > 0;) {
    text.append(buffer, static_cast<std::size_t>(got));
  }
  return text;
}

/// How many ids from 0 on our own user namespace maps, at most 65536: all of
/// them for root on the host, fewer for root in a user namespace that
/// someone else made (`unshare -Ur isolate ...` maps just one).
unsigned long ids_held_from_zero(const char* map_path) {
  const std::string map = file_text(map_path);
  const char* next = map.data();
  const char* const end = map.data() + map.size();
  // The numbers are padded with spaces, three to a line. std::from_chars
  // rather than sscanf(3), whose first call alone takes longer than reading
  // both maps.
  const auto read_number = [&](unsigned long& number) {
    next = std::find_if_not(next, end, [](char c) { return c == ' ' || c == '\n'; });
    const auto [stop, error] = std::from_chars(next, end, number);
    next = stop;
    return error == std::errc();
  };
  for (unsigned long inside = 0, outside = 0, count = 0;
       read_number(inside) && read_number(outside) && read_number(count);) {
    if (inside == 0) {
      return std::min(count, kContainerIds);
    }
  }
  return 0;
}

std::string invoker_name() {
  const passwd* entry = ::getpwuid(::getuid());
  return entry ? entry->pw_name : std::to_string(::getuid());
}

// [plan-rootless]
/// Rootless: the invoker's own ids, and its first subordinate ranges after
/// them when newuidmap and newgidmap can map those, as Podman does.
IdMaps plan_rootless() {
  IdMaps maps{{{0, ::getuid(), 1}}, {{0, ::getgid(), 1}}, true, {}, {}, {}};
  const std::string name = invoker_name();
  const auto uid_range = find_subordinate_range(file_text("/etc/subuid"), name, ::getuid());
  const auto gid_range = find_subordinate_range(file_text("/etc/subgid"), name, ::getuid());
  if (!uid_range || !gid_range) {
    maps.reason = fmt::format("only your own uid and gid: /etc/{} lends {} no range",
                              uid_range ? "subgid" : "subuid", name);
    return maps;
  }
  const auto newuidmap = find_on_path("newuidmap");
  const auto newgidmap = find_on_path("newgidmap");
  if (!newuidmap || !newgidmap) {
    maps.reason = "only your own uid and gid: newuidmap and newgidmap are not installed "
                  "(Debian package uidmap)";
    return maps;
  }
  maps.uids.push_back({1, uid_range->start, std::min(uid_range->count, kContainerIds)});
  maps.gids.push_back({1, gid_range->start, std::min(gid_range->count, kContainerIds)});
  maps.deny_setgroups = false; // newgidmap leaves it allowed when it maps a subgid range
  maps.newuidmap = *newuidmap;
  maps.newgidmap = *newgidmap;
  maps.reason = fmt::format("your uid and gid, then the ranges /etc/subuid and /etc/subgid "
                            "lend {}, through newuidmap and newgidmap",
                            name);
  return maps;
}
// [plan-rootless]

} // namespace

IdPair parse_id_pair(std::string_view text) {
  IdPair pair{::getuid(), ::getgid()};
  const auto colon = text.find(':');
  pair.uid = static_cast<uid_t>(nslab::parse_number(text.substr(0, colon), "-u UID", 0, kMaxId));
  if (colon != std::string_view::npos) {
    pair.gid = static_cast<gid_t>(nslab::parse_number(text.substr(colon + 1), "-u GID", 0, kMaxId));
  }
  return pair;
}

uid_t parse_remap_base(std::string_view text) {
  // The whole block must be valid ids; 0 would be no remapping at all.
  return static_cast<uid_t>(
      nslab::parse_number(text, "--userns-remap", 1, kMaxId + 1 - kContainerIds));
}

// [plan-maps]
IdMaps plan_id_maps(const UserRequest& request) {
  if (request.map_user) {
    // Exactly one id each: the kernel lets anyone map its own, only root others.
    return {{{0, request.map_user->uid, 1}},
            {{0, request.map_user->gid, 1}},
            ::geteuid() != 0,
            {},
            {},
            "-u: root inside is the given host ids, nothing else is mapped"};
  }
  if (::geteuid() != 0) {
    if (request.userns_remap) {
      throw nslab::Error("--userns-remap needs root (only root may map ids other than its own); "
                         "rootless, /etc/subuid ranges are used by default");
    }
    return plan_rootless();
  }
  if (request.userns_remap) {
    // Container root is host uid BASE, no real user: a file the container
    // may write on the host is one BASE.. owns, nothing of root's.
    const unsigned long base = *request.userns_remap;
    return {
        {{0, base, kContainerIds}},
        {{0, base, kContainerIds}},
        false,
        {},
        {},
        fmt::format("--userns-remap: 0-65535 are host ids {}-{}", base, base + kContainerIds - 1)};
  }
  // As Docker without remapping: container ids are host ids. Safe only
  // because the container holds its capabilities over its own namespaces,
  // not over the host's.
  return {{{0, 0, ids_held_from_zero("/proc/self/uid_map")}},
          {{0, 0, ids_held_from_zero("/proc/self/gid_map")}},
          false,
          {},
          {},
          "root: container ids are the same host ids"};
}
// [plan-maps]

std::string map_text(const std::vector<IdRange>& ranges) {
  std::string text;
  for (const IdRange& range : ranges) {
    // Each line: first id inside, first id outside, how many.
    text += fmt::format("{} {} {}\n", range.inside, range.outside, range.count);
  }
  return text;
}

void apply_id_maps(pid_t pid, const IdMaps& maps) {
  if (maps.newuidmap.empty()) {
    write_id_maps(pid, maps);
    return;
  }
  // The same order as write_id_maps(): the uid map first.
  run_map_helper(maps.newuidmap, pid, maps.uids);
  run_map_helper(maps.newgidmap, pid, maps.gids);
}

// [become-root]
void become_root_inside() {
  // The maps do not change our credentials, only how they read in here. When
  // our host ids are the ones mapped to 0 (the default) we already are root
  // inside; when root mapped other ids (-u, --userns-remap), we still hold
  // host uid 0, which means nothing in here, and must switch.
  if (::getuid() == 0 && ::getgid() == 0) {
    return;
  }
  nslab::check(::setresgid(0, 0, 0), "setresgid", "0");
  nslab::check(::setresuid(0, 0, 0), "setresuid", "0");
  // Changing ids clears the parent-death signal; arm it again. A parent that
  // died before this line sent no signal: container_main's next checkpoint
  // (Handshake::ids_switched) tells.
  nslab::check(::prctl(PR_SET_PDEATHSIG, SIGKILL), "prctl", "PR_SET_PDEATHSIG");
}
// [become-root]

} // namespace isolate
