// Resource limits: --memory, --pids and --cpus, through a cgroup made for
// one container and removed when it ends.
//
// A cgroup is a directory in a cgroup filesystem: mkdir makes one, writing a
// pid into its cgroup.procs moves that process (and its future children)
// into it, writing its limit files (memory.max, pids.max, ...) limits them
// all together, and rmdir removes it once no process is left in it.
//
// Two layouts exist. cgroup v2 is one tree with every controller, mounted at
// /sys/fs/cgroup on current distributions; a parent hands controllers to its
// children through cgroup.subtree_control. cgroup v1 is one tree per
// controller (or group of controllers), for example /sys/fs/cgroup/memory,
// each with its own file names. Which one serves a controller is read from
// /proc/self/mountinfo, and where this process sits in it from
// /proc/self/cgroup. The root directory is never hard-coded, so the tests can
// point the code at a fake tree.
#pragma once

#include "nslab/janitor.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace isolate::cgroup {

/// The limits asked for; an unset one is not limited.
struct Limits {
  std::optional<std::uint64_t> memory_bytes; ///< --memory
  std::optional<std::uint64_t> pids;         ///< --pids
  /// --cpus, as microseconds of CPU time in each 100 ms period (0.5 CPUs is 50000)
  std::optional<std::uint64_t> cpu_quota_microseconds;
  /// True when at least one limit is set, so a cgroup is needed.
  [[nodiscard]] bool any() const noexcept { return memory_bytes || pids || cpu_quota_microseconds; }
};

/// The smallest --memory accepted, as Docker's: below it a container cannot
/// even start its first process.
inline constexpr std::uint64_t kMinimumMemory = 6 * 1024 * 1024;

/// Parses --memory: a whole number of bytes, or with a k, m or g suffix
/// (powers of 1024, either case). Throws nslab::UsageError naming \p option.
[[nodiscard]] std::uint64_t parse_memory(std::string_view text, std::string_view option);
/// Parses --pids: a whole number, at least 1.
[[nodiscard]] std::uint64_t parse_pids(std::string_view text, std::string_view option);
/// Parses --cpus: a decimal number from 0.01 to the number of CPUs online,
/// into microseconds of CPU time per 100 ms period ("0.5" gives 50000).
[[nodiscard]] std::uint64_t parse_cpus(std::string_view text, std::string_view option);

/// Which cgroup filesystem a hierarchy is.
enum class Version { kV1, kV2 };

/// One hierarchy that serves some of the controllers the limits need.
struct Hierarchy {
  std::string mount;                    ///< where it is mounted
  std::string own;                      ///< this process's cgroup in it
  std::vector<std::string> controllers; ///< the needed controllers it serves
};

/// Where the controllers the limits need live. v2 has exactly one hierarchy.
struct Layout {
  Version version = Version::kV2;
  std::vector<Hierarchy> hierarchies;
};

/// The controllers \p limits need: "memory", "pids", "cpu".
[[nodiscard]] std::vector<std::string> controllers_for(const Limits& limits);

/// Finds the hierarchies serving \p controllers, from the text of
/// /proc/self/cgroup and /proc/self/mountinfo. A controller mounted as v1
/// is used there (hybrid systems also mount an empty v2 tree); otherwise the
/// v2 tree is used. Throws nslab::Error if a controller has neither.
[[nodiscard]] Layout find_layout(std::string_view self_cgroup, std::string_view mountinfo,
                                 const std::vector<std::string>& controllers);

/// find_layout() for this process, from its /proc files.
[[nodiscard]] Layout this_process_layout(const std::vector<std::string>& controllers);

/// Told each change made to the cgroup filesystem, as a shell command line
/// (`mkdir DIR`, `echo VALUE > FILE`, `rmdir DIR`): -v prints them, tests
/// check them.
using Trace = std::function<void(const std::string& command)>;

/// The cgroup of one container, in every hierarchy of a Layout.
///
/// Made in the parent, before clone. The directories are made by a janitor
/// process (nslab::Janitor), which removes them if isolate is killed, so no
/// directory ever exists that a SIGKILL could leave behind. The destructor
/// removes them.
class Cgroup {
public:
  /// For v2, enables the controllers in the parent's cgroup.subtree_control;
  /// then has the janitor make the cgroup \p name in each hierarchy of
  /// \p layout. Throws if the parent cgroup may not be written
  /// (as an ordinary user, unless it was delegated).
  Cgroup(const Layout& layout, const std::string& name, Trace trace);
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;
  /// Removes the directories (see remove()), then dismisses the janitor.
  ~Cgroup();

  /// Writes the limit files; the kernel checks each value.
  void limit(const Limits& limits);
  /// Moves the process \p pid into the cgroup's leaf, `container`; its
  /// children follow.
  void join(pid_t pid);
  /// How many processes the kernel's OOM killer killed in here because of
  /// the memory limit (0 without --memory).
  [[nodiscard]] std::uint64_t memory_kills() const;
  /// The cgroup's directories, one per hierarchy; the limits are there,
  /// the processes in their leaf.
  [[nodiscard]] const std::vector<std::string>& directories() const noexcept {
    return directories_;
  }

  /// Kills what is left in the cgroup (v2's cgroup.kill) and removes its
  /// directories, waiting a bounded time for dying processes to leave.
  void remove();

private:
  void vacate(const std::string& parent) const;
  void enable_controllers(const std::string& parent,
                          const std::vector<std::string>& controllers) const;
  [[nodiscard]] std::string directory_with(std::string_view controller) const;
  void write(const std::string& file, const std::string& value) const;

  Version version_;
  std::vector<std::string> directories_;
  std::vector<std::vector<std::string>> controllers_; ///< per directory
  Trace trace_;
  std::optional<nslab::Janitor<std::size_t>> janitor_;
};

} // namespace isolate::cgroup
