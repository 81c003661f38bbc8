// The container's cgroup: parsing the limits, finding the hierarchies,
// making, limiting, joining and removing the cgroup. See cgroup.hpp.

#include "cgroup.hpp"

#include "nslab/error.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace isolate::cgroup {
namespace {

using namespace std::chrono_literals;

/// The CFS period isolate uses, as Docker does: --cpus 0.5 is a quota of
/// 50 ms of CPU time in every 100 ms.
constexpr std::uint64_t kCpuPeriodMicroseconds = 100'000;
/// The kernel refuses a CFS quota below 1 ms, so --cpus starts at 0.01.
constexpr std::uint64_t kMinimumQuotaMicroseconds = 1'000;
/// How long removal waits for dying processes to leave the cgroup.
constexpr auto kRemovalBound = 5s;
// [two-levels]
/// The leaf inside the container's cgroup that its processes live in. The
/// limits are written one level up, out of the container's reach: its
/// cgroup namespace is rooted at the leaf, so even a container that could
/// mount a cgroup file system would find only the leaf's files. Limits
/// apply to a cgroup's whole subtree, so the leaf is limited all the same.
constexpr std::string_view kLeaf = "container";
// [two-levels]

[[noreturn]] void bad_value(std::string_view option, std::string_view text,
                            std::string_view expected) {
  throw nslab::UsageError(fmt::format("{}: invalid value '{}' ({})", option, text, expected));
}

/// A whole number with nothing after it but an optional one-letter suffix,
/// which is returned in \p suffix.
std::optional<std::uint64_t> parse_count(std::string_view text, char& suffix) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop == text.data() || end - stop > 1) {
    return std::nullopt;
  }
  suffix = stop == end ? '\0' : *stop;
  return value;
}

bool all_digits(std::string_view text) {
  return std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; });
}

/// "CPUS[.DECIMALS]" (".5" and "2." too) as microseconds of CPU time in each
/// period: "0.5" is 50000. Whole numbers throughout, as Docker counts in
/// nano-CPUs: 0.29 CPUs is exactly 29000, where a double would be
/// 28999.99... and need rounding. Each decimal is worth a tenth of the one
/// before it; past the fifth, less than a microsecond, so nothing.
std::optional<std::uint64_t> cpu_quota(std::string_view text) {
  const std::size_t point = std::min(text.find('.'), text.size());
  const std::string_view cpus = text.substr(0, point);
  const std::string_view decimals = text.substr(std::min(point + 1, text.size()));
  // Nine digits are a billion CPUs, and the quota still fits in 64 bits.
  if (cpus.size() + decimals.size() == 0 || cpus.size() > 9 || !all_digits(cpus) ||
      !all_digits(decimals)) {
    return std::nullopt;
  }
  std::uint64_t quota = 0;
  for (const char digit : cpus) {
    quota = quota * 10 + static_cast<std::uint64_t>(digit - '0');
  }
  quota *= kCpuPeriodMicroseconds;
  std::uint64_t worth = kCpuPeriodMicroseconds;
  for (const char digit : decimals) {
    worth /= 10;
    quota += worth * static_cast<std::uint64_t>(digit - '0');
  }
  return quota;
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t stop = std::min(text.find(separator, start), text.size());
    parts.emplace_back(text.substr(start, stop - start));
    start = stop + 1;
  }
  return parts;
}

/// The whitespace-separated words of \p text, as in cgroup.controllers.
std::vector<std::string> words_of(const std::string& text) {
  std::istringstream stream(text);
  std::vector<std::string> words;
  for (std::string word; stream >> word;) {
    words.push_back(word);
  }
  return words;
}

bool contains(const std::vector<std::string>& words, std::string_view word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

/// mountinfo escapes a space, tab, newline and backslash in a path as \ooo.
std::string unescape_octal(std::string_view text) {
  std::string plain;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      plain += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 3)), nullptr, 8));
      i += 3;
    } else {
      plain += text[i];
    }
  }
  return plain;
}

/// One cgroup mount from /proc/self/mountinfo.
struct CgroupMount {
  Version version;
  std::string root; ///< the cgroup the mount shows as its top
  std::string mount_point;
  std::vector<std::string> options; ///< v1: the controllers are among them
};

std::vector<CgroupMount> cgroup_mounts(std::string_view mountinfo) {
  std::vector<CgroupMount> mounts;
  std::istringstream lines{std::string(mountinfo)};
  for (std::string line; std::getline(lines, line);) {
    // ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER_OPTIONS
    const std::size_t dash = line.find(" - ");
    if (dash == std::string::npos) {
      continue;
    }
    const std::vector<std::string> left = split(std::string_view(line).substr(0, dash), ' ');
    const std::vector<std::string> right = split(std::string_view(line).substr(dash + 3), ' ');
    if (left.size() < 5 || right.size() < 3 || (right[0] != "cgroup" && right[0] != "cgroup2")) {
      continue;
    }
    mounts.push_back({right[0] == "cgroup2" ? Version::kV2 : Version::kV1, unescape_octal(left[3]),
                      unescape_octal(left[4]), split(right[2], ',')});
  }
  return mounts;
}

/// The path of this process's cgroup in the v1 hierarchy of \p controller
/// (or the v2 one for an empty \p controller), from /proc/self/cgroup.
std::optional<std::string> own_path(std::string_view self_cgroup, std::string_view controller) {
  std::istringstream lines{std::string(self_cgroup)};
  for (std::string line; std::getline(lines, line);) {
    // HIERARCHY_ID:CONTROLLERS:PATH, and "0::PATH" for v2.
    const std::size_t first = line.find(':');
    const std::size_t second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) {
      continue;
    }
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const bool wanted = controller.empty() ? line.compare(0, first, "0") == 0 && controllers.empty()
                                           : contains(split(controllers, ','), controller);
    if (wanted) {
      return line.substr(second + 1);
    }
  }
  return std::nullopt;
}

/// The directory of cgroup \p path under \p mount.
std::string directory_of(const CgroupMount& mount, const std::string& path) {
  // A mount may show a sub-tree only (its root is not "/").
  std::string relative = path;
  if (mount.root != "/" && relative.rfind(mount.root, 0) == 0) {
    relative.erase(0, mount.root.size());
  }
  return relative == "/" || relative.empty() ? mount.mount_point : mount.mount_point + relative;
}

std::string read_text(const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    nslab::throw_errno("open", path);
  }
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

/// May this process make a child cgroup in \p directory and move processes
/// into it? Found by asking the kernel, not by comparing uids: root in a
/// user namespace may not, and an ordinary user may in a delegated cgroup.
bool may_manage(const std::string& directory, Version version) {
  const auto writable = [](const std::string& path) {
    return ::faccessat(AT_FDCWD, path.c_str(), W_OK, AT_EACCESS) == 0;
  };
  return writable(directory) && writable(directory + "/cgroup.procs") &&
         (version == Version::kV1 || writable(directory + "/cgroup.subtree_control"));
}

/// Where the container's cgroup is made. v1: under this process's own
/// cgroup, so the container never gets more than isolate's invoker has. v2
/// forbids processes in a cgroup that hands controllers to children (the
/// "no internal processes" rule, from which only the root is exempt), so
/// root uses the top of the tree, as Docker does, and an ordinary user its
/// own delegated cgroup.
std::string parent_directory(Version version, const Hierarchy& hierarchy) {
  if (version == Version::kV2 && may_manage(hierarchy.mount, version)) {
    return hierarchy.mount;
  }
  if (may_manage(hierarchy.own, version)) {
    return hierarchy.own;
  }
  throw nslab::Error(
      fmt::format("resource limits need root or a delegated cgroup, and {} may not be written; "
                  "try: systemd-run --user --scope -p Delegate=yes isolate ...",
                  hierarchy.own));
}

/// rmdir of \p directory and every cgroup below it, deepest first: the
/// container may have made cgroups of its own in its leaf. It waits for the
/// last processes to leave: a killed process leaves its cgroup only once it
/// has finished exiting. cgroup v1 has no event for "empty", so both
/// versions retry with a growing pause.
void remove_tree(const std::string& directory, const Trace& trace) {
  if (!exists(directory)) {
    return;
  }
  std::error_code gone;
  for (const auto& entry : std::filesystem::directory_iterator(directory, gone)) {
    if (entry.symlink_status().type() == std::filesystem::file_type::directory) {
      remove_tree(entry.path().string(), trace);
    }
  }
  trace(fmt::format("rmdir {}", directory));
  const auto deadline = std::chrono::steady_clock::now() + kRemovalBound;
  auto pause = 1ms;
  while (::rmdir(directory.c_str()) != 0) {
    if (errno == ENOENT) {
      return;
    }
    if (errno != EBUSY || std::chrono::steady_clock::now() > deadline) {
      nslab::throw_errno("rmdir", directory);
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, 50ms);
  }
}

void write_file(const std::string& file, const std::string& value, const Trace& trace) {
  trace(fmt::format("echo {} > {}", value, file));
  const nslab::UniqueFd fd(
      nslab::check(::open(file.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC), "open", file));
  // A cgroup file takes its value in one write(2).
  const ssize_t written = ::write(fd.get(), value.data(), value.size());
  if (written < 0) {
    throw nslab::Error(errno, "write", fmt::format("{} < {}", file, value));
  }
}

/// Empties and removes each directory, last made first. The janitor runs
/// this too, so it must not rely on anything but the paths.
void remove_all(const std::vector<std::string>& directories, const Trace& trace) {
  for (auto directory = directories.rbegin(); directory != directories.rend(); ++directory) {
    // v2 kills everything inside at once. v1 has no cgroup.kill, and needs
    // none here: every process in the cgroup is in the container's PID
    // namespace, which the kernel empties when its PID 1 dies.
    const std::string kill_file = *directory + "/cgroup.kill";
    if (exists(kill_file)) {
      write_file(kill_file, "1", trace);
    }
    remove_tree(*directory, trace);
  }
}

void silent(const std::string& /*command*/) {}

std::string leaf_of(const std::string& directory) { return fmt::format("{}/{}", directory, kLeaf); }

/// In the janitor: makes every directory and its leaf, or none. The count
/// it returns is the janitor's handle.
std::size_t make_all(const std::vector<std::string>& directories) {
  std::vector<std::string> made;
  for (const std::string& directory : directories) {
    for (const std::string& path : {directory, leaf_of(directory)}) {
      if (::mkdir(path.c_str(), 0755) != 0) {
        const int error = errno;
        // Only ours: an EEXIST directory belongs to someone else.
        remove_all(made, silent);
        throw nslab::Error(error, "mkdir", path);
      }
    }
    made.push_back(directory);
  }
  return made.size();
}

} // namespace

std::uint64_t parse_memory(std::string_view text, std::string_view option) {
  constexpr std::string_view kExpected = "bytes, or a number with k, m or g, at least 6m";
  char suffix = '\0';
  const std::optional<std::uint64_t> count = parse_count(text, suffix);
  if (!count) {
    bad_value(option, text, kExpected);
  }
  unsigned shift = 0;
  switch (suffix) {
  case '\0':
  case 'b':
  case 'B':
    shift = 0;
    break;
  case 'k':
  case 'K':
    shift = 10;
    break;
  case 'm':
  case 'M':
    shift = 20;
    break;
  case 'g':
  case 'G':
    shift = 30;
    break;
  default:
    bad_value(option, text, kExpected);
  }
  if (*count > (UINT64_MAX >> shift)) {
    bad_value(option, text, "too large");
  }
  const std::uint64_t bytes = *count << shift;
  if (bytes < kMinimumMemory) {
    bad_value(option, text, "the minimum is 6m, as in Docker");
  }
  return bytes;
}

std::uint64_t parse_pids(std::string_view text, std::string_view option) {
  char suffix = '\0';
  const std::optional<std::uint64_t> count = parse_count(text, suffix);
  if (!count || suffix != '\0' || *count == 0) {
    bad_value(option, text, "a whole number of processes, at least 1");
  }
  return *count;
}

std::uint64_t parse_cpus(std::string_view text, std::string_view option) {
  const std::optional<std::uint64_t> quota = cpu_quota(text);
  const auto online = static_cast<std::uint64_t>(::sysconf(_SC_NPROCESSORS_ONLN));
  if (!quota || *quota < kMinimumQuotaMicroseconds) {
    bad_value(option, text, "a number of CPUs, from 0.01");
  }
  if (*quota > online * kCpuPeriodMicroseconds) {
    bad_value(option, text, fmt::format("this machine has {} CPUs", online));
  }
  return *quota;
}

std::vector<std::string> controllers_for(const Limits& limits) {
  std::vector<std::string> controllers;
  if (limits.memory_bytes) {
    controllers.emplace_back("memory");
  }
  if (limits.pids) {
    controllers.emplace_back("pids");
  }
  if (limits.cpu_quota_microseconds) {
    controllers.emplace_back("cpu");
  }
  return controllers;
}

// [find-layout]
Layout find_layout(std::string_view self_cgroup, std::string_view mountinfo,
                   const std::vector<std::string>& controllers) {
  const std::vector<CgroupMount> mounts = cgroup_mounts(mountinfo);
  Layout layout{Version::kV1, {}};
  for (const std::string& controller : controllers) {
    const auto v1 = std::find_if(mounts.begin(), mounts.end(), [&](const CgroupMount& mount) {
      return mount.version == Version::kV1 && contains(mount.options, controller);
    });
    const std::optional<std::string> path = own_path(self_cgroup, controller);
    if (v1 == mounts.end() || !path) {
      continue; // not a v1 controller here: v2 serves it, if anything does
    }
    const auto same = std::find_if(layout.hierarchies.begin(), layout.hierarchies.end(),
                                   [&](const Hierarchy& h) { return h.mount == v1->mount_point; });
    if (same != layout.hierarchies.end()) {
      same->controllers.push_back(controller); // cpu and cpuacct share a mount
    } else {
      layout.hierarchies.push_back({v1->mount_point, directory_of(*v1, *path), {controller}});
    }
  }
  std::size_t served_by_v1 = 0;
  for (const Hierarchy& hierarchy : layout.hierarchies) {
    served_by_v1 += hierarchy.controllers.size();
  }
  if (served_by_v1 == controllers.size()) {
    return layout;
  }
  const auto v2 = std::find_if(mounts.begin(), mounts.end(), [](const CgroupMount& mount) {
    return mount.version == Version::kV2;
  });
  const std::optional<std::string> path = own_path(self_cgroup, "");
  if (served_by_v1 > 0 || v2 == mounts.end() || !path) {
    throw nslab::Error(fmt::format(
        "no cgroup hierarchy serves all of: {}; resource limits need them all in cgroup v2, "
        "or each mounted as cgroup v1",
        fmt::join(controllers, ", ")));
  }
  return {Version::kV2, {{v2->mount_point, directory_of(*v2, *path), controllers}}};
}
// [find-layout]

Layout this_process_layout(const std::vector<std::string>& controllers) {
  return find_layout(read_text("/proc/self/cgroup"), read_text("/proc/self/mountinfo"),
                     controllers);
}

// [make-cgroup]
Cgroup::Cgroup(const Layout& layout, const std::string& name, Trace trace)
    : version_(layout.version), trace_(std::move(trace)) {
  std::vector<std::string> parents;
  for (const Hierarchy& hierarchy : layout.hierarchies) {
    parents.push_back(parent_directory(version_, hierarchy));
    directories_.push_back(fmt::format("{}/{}", parents.back(), name));
    controllers_.push_back(hierarchy.controllers);
  }
  if (version_ == Version::kV2) {
    enable_controllers(parents.front(), controllers_.front());
  }
  // The janitor makes the directories itself, so none of them ever exists
  // without someone to remove it after a SIGKILL of isolate.
  janitor_.emplace(
      [&] { return make_all(directories_); },
      [directories = directories_](const std::size_t&) { remove_all(directories, silent); });
  for (const std::string& directory : directories_) {
    trace_(fmt::format("mkdir {}", directory));
    trace_(fmt::format("mkdir {}", leaf_of(directory)));
  }
}
// [make-cgroup]

Cgroup::~Cgroup() {
  try {
    remove();
  } catch (const std::exception& error) {
    fmt::print(stderr, "isolate: removing the container's cgroup: {}\n", error.what());
  }
}

// [vacate]
/// cgroup v2's "no internal processes" rule: a cgroup other than the root
/// may hand controllers to its children only while no process sits in it.
/// In a delegated cgroup, or at the top of a container's cgroup namespace,
/// the processes already there (isolate, the shell that started it) move
/// into a leaf, "supervisor", first, as systemd's delegation guide advises.
/// It stays when isolate ends, with the processes still in it; systemd
/// removes it with the delegated scope.
void Cgroup::vacate(const std::string& parent) const {
  const std::vector<std::string> processes = words_of(read_text(parent + "/cgroup.procs"));
  if (processes.empty()) {
    return;
  }
  const std::string leaf = parent + "/supervisor";
  if (!exists(leaf)) {
    trace_(fmt::format("mkdir {}", leaf));
    nslab::check(::mkdir(leaf.c_str(), 0755), "mkdir", leaf);
  }
  for (const std::string& pid : processes) {
    try {
      write(leaf + "/cgroup.procs", pid);
    } catch (const nslab::Error& error) {
      if (error.code().value() != ESRCH) { // it exited meanwhile: nothing to move
        throw;
      }
    }
  }
}
// [vacate]

// [enable-controllers]
void Cgroup::enable_controllers(const std::string& parent,
                                const std::vector<std::string>& controllers) const {
  const std::vector<std::string> available = words_of(read_text(parent + "/cgroup.controllers"));
  const std::vector<std::string> enabled = words_of(read_text(parent + "/cgroup.subtree_control"));
  std::vector<std::string> missing;
  for (const std::string& controller : controllers) {
    if (!contains(available, controller)) {
      throw nslab::Error(
          fmt::format("the {} controller is not available in {} (see its cgroup.controllers)",
                      controller, parent));
    }
    if (!contains(enabled, controller)) {
      missing.push_back("+" + controller);
    }
  }
  if (missing.empty()) {
    return;
  }
  // Only the real root is exempt from the rule vacate() deals with; it alone
  // has no cgroup.type. The top of a cgroup namespace is not exempt.
  if (exists(parent + "/cgroup.type")) {
    vacate(parent);
  }
  write_file(parent + "/cgroup.subtree_control", fmt::format("{}", fmt::join(missing, " ")),
             trace_);
}
// [enable-controllers]

// [limit]
void Cgroup::limit(const Limits& limits) {
  const bool v2 = version_ == Version::kV2;
  if (limits.memory_bytes) {
    const std::string directory = directory_with("memory");
    const std::string bytes = std::to_string(*limits.memory_bytes);
    write(directory + (v2 ? "/memory.max" : "/memory.limit_in_bytes"), bytes);
    // Without this, pages pushed out to swap would not count, and a hog
    // would dodge the limit by swapping. Docker's --memory alone allows as
    // much swap again; isolate allows none. v1's memory+swap limit may never
    // be below the memory one, hence after it.
    const std::string swap = directory + (v2 ? "/memory.swap.max" : "/memory.memsw.limit_in_bytes");
    if (exists(swap)) {
      write(swap, v2 ? "0" : bytes);
    }
  }
  if (limits.pids) {
    write(directory_with("pids") + "/pids.max", std::to_string(*limits.pids));
  }
  if (limits.cpu_quota_microseconds) {
    const std::string directory = directory_with("cpu");
    const std::uint64_t quota = *limits.cpu_quota_microseconds;
    if (v2) {
      write(directory + "/cpu.max", fmt::format("{} {}", quota, kCpuPeriodMicroseconds));
    } else {
      write(directory + "/cpu.cfs_period_us", std::to_string(kCpuPeriodMicroseconds));
      write(directory + "/cpu.cfs_quota_us", std::to_string(quota));
    }
  }
}
// [limit]

void Cgroup::join(pid_t pid) {
  for (const std::string& directory : directories_) {
    write(leaf_of(directory) + "/cgroup.procs", std::to_string(pid));
  }
}

std::uint64_t Cgroup::memory_kills() const {
  const auto memory = std::find_if(controllers_.begin(), controllers_.end(),
                                   [](const auto& served) { return contains(served, "memory"); });
  if (memory == controllers_.end()) {
    return 0;
  }
  const std::string& directory =
      directories_[static_cast<std::size_t>(memory - controllers_.begin())];
  // Both versions count the OOM killer's victims in a line "oom_kill N":
  // v2 for the whole subtree, v1 only where the victim was, in the leaf.
  std::istringstream lines(read_text(version_ == Version::kV2
                                         ? directory + "/memory.events"
                                         : leaf_of(directory) + "/memory.oom_control"));
  for (std::string key, value; lines >> key >> value;) {
    if (key == "oom_kill") {
      return std::stoull(value);
    }
  }
  return 0;
}

void Cgroup::remove() {
  remove_all(directories_, trace_);
  janitor_.reset(); // dismissed: there is nothing left for it to do
}

std::string Cgroup::directory_with(std::string_view controller) const {
  for (std::size_t i = 0; i < directories_.size(); ++i) {
    if (contains(controllers_[i], controller)) {
      return directories_[i];
    }
  }
  throw std::logic_error(fmt::format("no cgroup hierarchy for {}", controller));
}

void Cgroup::write(const std::string& file, const std::string& value) const {
  write_file(file, value, trace_);
}

} // namespace isolate::cgroup
