// The user namespace: parsing -u, the parent writing uid_map, setgroups and
// gid_map, and the child becoming root inside. Separate because the kernel's
// rules for those files (who may write what, in which order) are a topic of
// their own.

#include "user_namespace.hpp"

#include "nslab/cli.hpp"
#include "nslab/error.hpp"
#include "nslab/unique_fd.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <fmt/core.h>
#include <stdexcept>
#include <string>
#include <sys/prctl.h>
#include <unistd.h>

namespace isolate {
namespace {

// The largest id a map may name: (uid_t)-1 means "no id" to the kernel.
constexpr long kMaxId = 4'294'967'294;

/// Writes \p text into the file \p name of the /proc/PID directory \p proc_dir.
/// The kernel wants each map in a single write(2).
void write_proc_file(const nslab::UniqueFd& proc_dir, pid_t pid, const char* name,
                     std::string_view text) {
  const std::string path = fmt::format("/proc/{}/{}", pid, name);
  const nslab::UniqueFd file(nslab::check(::openat(proc_dir.get(), name, O_WRONLY | O_CLOEXEC),
                                          "open", path));
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
    throw std::runtime_error(fmt::format("write({}, \"{}\"): Operation not permitted (only root "
                                         "may map ids other than its own)", path, text));
  }
  nslab::throw_errno("write", path);
}

} // namespace

IdMap invoker_ids() { return {::getuid(), ::getgid()}; }

IdMap parse_id_map(std::string_view text) {
  IdMap map = invoker_ids();
  const auto colon = text.find(':');
  map.uid = static_cast<uid_t>(nslab::parse_number(text.substr(0, colon), "-u UID", 0, kMaxId));
  if (colon != std::string_view::npos) {
    map.gid = static_cast<gid_t>(nslab::parse_number(text.substr(colon + 1), "-u GID", 0, kMaxId));
  }
  return map;
}

// [userns-map]
void write_id_maps(pid_t pid, const IdMap& map) {
  // One descriptor for the child's /proc directory, opened once: all three
  // writes then reach the same process, whatever happens to the path.
  const std::string proc_path = fmt::format("/proc/{}", pid);
  const nslab::UniqueFd proc_dir(nslab::check(
      ::open(proc_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC), "open", proc_path));
  // BEGIN EXERCISE part4.userns-map
  // STUB: // TODO(part4.userns-map): map root inside the child's user namespace to map.uid
  // STUB: // and map.gid; see user_namespaces(7). proc_dir, the child's /proc/PID directory,
  // STUB: // is already open: write_proc_file(proc_dir, pid, FILE, TEXT) writes one of its
  // STUB: // files. Write "uid_map" ("0 UID 1"), then "setgroups" ("deny"), then "gid_map".
  // STUB: nslab::not_implemented("part4.userns-map", proc_dir, pid, map, write_proc_file);
  // Each line: first id inside, first id outside, how many.
  write_proc_file(proc_dir, pid, "uid_map", fmt::format("0 {} 1", map.uid));
  // setgroups must be denied before gid_map is written: the kernel refuses an
  // unprivileged gid_map otherwise. If the container could call setgroups(2),
  // it could drop a supplementary group that a file's permissions use to
  // keep its members *out* (mode 0705, say), and so gain access.
  write_proc_file(proc_dir, pid, "setgroups", "deny");
  write_proc_file(proc_dir, pid, "gid_map", fmt::format("0 {} 1", map.gid));
  // END EXERCISE part4.userns-map
}
// [userns-map]

// [become-root]
void become_root_inside() {
  // The maps do not change our credentials, only how they read in here. When
  // our host ids are the mapped ones (the default) we already are root
  // inside; when root mapped other ids (-u), we still hold host uid 0,
  // which means nothing in here, and must switch.
  if (::getuid() == 0 && ::getgid() == 0) {
    return;
  }
  nslab::check(::setresgid(0, 0, 0), "setresgid", "0");
  nslab::check(::setresuid(0, 0, 0), "setresuid", "0");
  // Changing ids clears the parent-death signal; arm it again.
  nslab::check(::prctl(PR_SET_PDEATHSIG, SIGKILL), "prctl", "PR_SET_PDEATHSIG");
}
// [become-root]

} // namespace isolate
