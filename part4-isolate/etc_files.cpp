// /etc/hostname and /etc/hosts for the container. Separate because they are
// not about namespaces at all: they are what programs *read* to learn the
// name the UTS namespace gave them and the address the network gave them.

#include "etc_files.hpp"

#include "nslab/error.hpp"
#include "nslab/unique_fd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/mount.h>
#include <unistd.h>

namespace isolate {
namespace {

/// True when \p path exists, or could be made as an empty file (in the
/// writable layer) to mount on. False when the rootfs has none and may not
/// be written: read-only, or rootless over directories of another owner.
bool have_mount_point(const char* path) {
  if (::access(path, F_OK) == 0) {
    return true;
  }
  const int made = ::open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (made >= 0) {
    ::close(made);
    return true;
  }
  if (errno == EACCES || errno == EROFS || errno == ENOENT) {
    return false;
  }
  nslab::throw_errno("create", path);
}

/// Bind-mounts a new file holding \p text onto \p path. The file is made
/// on the container's own /dev/shm (its /tmp still holds the old root), and
/// its name removed at once: the mount keeps it alive, nothing is left to
/// see, and the rootfs is not written.
void provide_file(const char* path, std::string_view name, std::string_view text) {
  if (!have_mount_point(path)) {
    return;
  }
  const std::string staged = fmt::format("/dev/shm/.isolate-{}", name);
  {
    const nslab::UniqueFd file(nslab::check(
        ::open(staged.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644), "create", staged));
    if (::write(file.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      nslab::throw_errno("write", staged);
    }
  }
  nslab::check(::mount(staged.c_str(), path, nullptr, MS_BIND, nullptr), "mount", path);
  nslab::check(::unlink(staged.c_str()), "unlink", staged);
}

} // namespace

// [etc-files]
std::string hosts_text(std::string_view hostname, const std::optional<std::string>& address) {
  // The hostname needs an address of its own: without one, getent hosts
  // NAME fails and programs that look up their own name (sudo, Java,
  // Python's socket.getfqdn) stall on DNS.
  return fmt::format("127.0.0.1\tlocalhost\n"
                     "::1\tlocalhost ip6-localhost ip6-loopback\n"
                     "{}\t{}\n",
                     address.value_or("127.0.1.1"), hostname);
}

void provide_etc_files(std::string_view hostname, std::string_view hosts) {
  // As Docker does: generated files bind-mounted over the rootfs's, which
  // works on a read-only rootfs too, and never writes the host's copy.
  provide_file("/etc/hostname", "hostname", fmt::format("{}\n", hostname));
  provide_file("/etc/hosts", "hosts", hosts);
  // /etc/resolv.conf stays as the rootfs has it: which name servers to ask
  // is the user's choice, and with no route out none is reachable anyway.
}
// [etc-files]

} // namespace isolate
