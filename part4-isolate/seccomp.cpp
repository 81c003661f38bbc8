// The seccomp filter, built with libseccomp: it compiles the rules into a
// BPF program for the native ABI only. A 64-bit x86 kernel also accepts the
// i386 and x32 ABIs, whose system call numbers differ; a rule written for
// one ABI would not stop the same call made through another, so any call
// through another ABI kills the process instead. No container program needs
// them, and one ABI compiles in a third of the time of three.

#include "seccomp.hpp"

#include "nslab/error.hpp"
#include "nslab/unique_fd.hpp"

#include <array>
#include <cerrno>
#include <fmt/core.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <memory>
#include <sched.h>
#include <seccomp.h>
#include <string_view>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace isolate::seccomp {
namespace {

constexpr caps::Set bit(int capability) { return caps::Set{1} << capability; }

/// A system call that fails with EPERM unless the container holds one of
/// \p unless (none: always).
struct Denied {
  std::string_view name;
  caps::Set unless = 0;
};

// [denied-calls]
// Docker's default profile allows a list of calls and nothing else; these
// are the calls it leaves out, or allows only with a capability. Listing
// the denied ones keeps the table short enough to read.
constexpr caps::Set kSysAdmin = bit(CAP_SYS_ADMIN);
constexpr std::array kDenied = {
    // The kernel's keyrings are not namespaced: they hold the host's secrets.
    Denied{"keyctl"},
    Denied{"add_key"},
    Denied{"request_key"},
    // Replace the kernel, load code into it, or feed it eBPF programs.
    Denied{"kexec_load"},
    Denied{"kexec_file_load"},
    Denied{"init_module", bit(CAP_SYS_MODULE)},
    Denied{"finit_module", bit(CAP_SYS_MODULE)},
    Denied{"delete_module", bit(CAP_SYS_MODULE)},
    Denied{"bpf", kSysAdmin | bit(CAP_BPF)},
    Denied{"perf_event_open", kSysAdmin | bit(CAP_PERFMON)},
    // Pause the kernel on a page fault: the raw material of many exploits.
    Denied{"userfaultfd"},
    // Open any file by handle, past every directory permission.
    Denied{"open_by_handle_at", bit(CAP_DAC_READ_SEARCH)},
    Denied{"name_to_handle_at", kSysAdmin},
    // The host's accounting, swap, power and clock.
    Denied{"acct", bit(CAP_SYS_PACCT)},
    Denied{"swapon"},
    Denied{"swapoff"},
    Denied{"reboot", bit(CAP_SYS_BOOT)},
    Denied{"settimeofday", bit(CAP_SYS_TIME)},
    Denied{"stime", bit(CAP_SYS_TIME)},
    Denied{"clock_settime", bit(CAP_SYS_TIME)},
    Denied{"clock_settime64", bit(CAP_SYS_TIME)},
    // I/O ports of the real hardware.
    Denied{"iopl", bit(CAP_SYS_RAWIO)},
    Denied{"ioperm", bit(CAP_SYS_RAWIO)},
    // New namespaces and mounts: root of a nested user namespace would get
    // every capability again, over namespaces of its own.
    Denied{"unshare", kSysAdmin},
    Denied{"setns", kSysAdmin},
    Denied{"mount", kSysAdmin},
    Denied{"umount", kSysAdmin},
    Denied{"umount2", kSysAdmin},
    Denied{"pivot_root", kSysAdmin},
    Denied{"fsopen", kSysAdmin},
    Denied{"fsconfig", kSysAdmin},
    Denied{"fsmount", kSysAdmin},
    Denied{"fspick", kSysAdmin},
    Denied{"move_mount", kSysAdmin},
    Denied{"open_tree", kSysAdmin},
    Denied{"mount_setattr", kSysAdmin},
    Denied{"quotactl", kSysAdmin},
    Denied{"quotactl_fd", kSysAdmin},
    Denied{"fanotify_init", kSysAdmin},
    Denied{"lookup_dcookie", kSysAdmin},
    Denied{"syslog", kSysAdmin | bit(CAP_SYSLOG)},
    Denied{"vhangup", bit(CAP_SYS_TTY_CONFIG)},
    // NUMA memory policy of the whole machine.
    Denied{"mbind", bit(CAP_SYS_NICE)},
    Denied{"set_mempolicy", bit(CAP_SYS_NICE)},
    Denied{"move_pages", bit(CAP_SYS_NICE)},
    // Reach into other processes' memory and descriptors.
    Denied{"kcmp", bit(CAP_SYS_PTRACE)},
    Denied{"pidfd_getfd", bit(CAP_SYS_PTRACE)},
    Denied{"process_vm_readv", bit(CAP_SYS_PTRACE)},
    Denied{"process_vm_writev", bit(CAP_SYS_PTRACE)},
    // io_uring bypasses this very filter: its requests are no system calls.
    Denied{"io_uring_setup"},
    Denied{"io_uring_enter"},
    Denied{"io_uring_register"},
    // Obsolete calls no program needs.
    Denied{"uselib"},
    Denied{"ustat"},
    Denied{"sysfs"},
    Denied{"_sysctl"},
    Denied{"vm86"},
    Denied{"vm86old"},
    Denied{"nfsservctl"},
    Denied{"create_module"},
    Denied{"get_kernel_syms"},
    Denied{"query_module"},
};
// [denied-calls]

// clone(2)'s flags that make new namespaces (CLONE_NEWTIME shares a bit
// with CSIGNAL in clone(2) and is only accepted by unshare and clone3).
constexpr std::array<unsigned long, 7> kNamespaceFlags = {
    CLONE_NEWNS,   CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
    CLONE_NEWUSER, CLONE_NEWPID,    CLONE_NEWNET};

using Filter = std::unique_ptr<void, decltype(&::seccomp_release)>;

/// libseccomp returns -errno; turns that into our error type.
void check_libseccomp(int result, std::string_view call, std::string_view object) {
  if (result < 0) {
    throw nslab::Error(-result, std::string(call), std::string(object));
  }
}

/// Adds one rule: \p name fails with \p errnum, when \p conditions hold.
/// A name newer than this libseccomp's tables is left out.
template <typename... Conditions>
void deny(const Filter& filter, std::string_view name, unsigned errnum, Conditions... conditions) {
  const int number = ::seccomp_syscall_resolve_name(std::string(name).c_str());
  if (number == __NR_SCMP_ERROR) {
    return;
  }
  check_libseccomp(::seccomp_rule_add(filter.get(), SCMP_ACT_ERRNO(errnum), number,
                                      sizeof...(conditions), conditions...),
                   "seccomp_rule_add", name);
}

/// The BPF program libseccomp generates for \p filter. libseccomp 2.5 hands
/// it only to a file descriptor: one in memory, whatever the program's size.
Program exported(const Filter& filter) {
  const nslab::UniqueFd file(
      nslab::check(::memfd_create("seccomp-filter", MFD_CLOEXEC), "memfd_create", "the filter"));
  check_libseccomp(::seccomp_export_bpf(filter.get(), file.get()), "seccomp_export_bpf",
                   "the filter");
  struct stat info {};
  nslab::check(::fstat(file.get(), &info), "fstat", "the filter");
  Program program(static_cast<std::size_t>(info.st_size) / sizeof(sock_filter));
  const std::size_t size = program.size() * sizeof(sock_filter);
  if (::pread(file.get(), program.data(), size, 0) != static_cast<ssize_t>(size)) {
    nslab::throw_errno("pread", "the filter");
  }
  return program;
}

} // namespace

// [load-filter]
Program compile_filter(caps::Set container_caps) {
  // Allowed unless a rule says otherwise, for the native ABI. A call through
  // any other ABI (i386's int 0x80, x32's numbers) kills the whole process:
  // libseccomp's default would kill only the calling thread.
  Filter filter(::seccomp_init(SCMP_ACT_ALLOW), &::seccomp_release);
  if (!filter) {
    throw nslab::Error(ENOMEM, "seccomp_init");
  }
  check_libseccomp(::seccomp_attr_set(filter.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS),
                   "seccomp_attr_set", "SCMP_FLTATR_ACT_BADARCH");
  // The rules as a binary tree sorted by call number, not a list: the
  // kernel finds a call's rule in a few comparisons, and loading (the
  // kernel runs the filter once for every call number, to learn which are
  // always allowed) takes half the time.
  check_libseccomp(::seccomp_attr_set(filter.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2),
                   "seccomp_attr_set", "SCMP_FLTATR_CTL_OPTIMIZE");
  for (const Denied& call : kDenied) {
    if (!(container_caps & call.unless)) {
      deny(filter, call.name, EPERM);
    }
  }
  if (!(container_caps & kSysAdmin)) {
    for (const unsigned long flag : kNamespaceFlags) {
      deny(filter, "clone", EPERM, SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
    }
    // clone3 passes its flags in memory, where a filter cannot look. ENOSYS,
    // as in Docker, makes the C library fall back to clone(2).
    deny(filter, "clone3", ENOSYS);
  }
  // Type into a terminal's input queue or drive the console: with the
  // invoker's terminal, both would reach the host's shell. The command is
  // an int: compare its low 32 bits only.
  for (const unsigned long request :
       {static_cast<unsigned long>(TIOCSTI), static_cast<unsigned long>(TIOCLINUX)}) {
    deny(filter, "ioctl", EPERM, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, request));
  }
  return exported(filter);
}

void load(const Program& program) {
  sock_fprog fprog{};
  fprog.len = static_cast<unsigned short>(program.size());
  fprog.filter = const_cast<sock_filter*>(program.data()); // the kernel only reads it
  // TSYNC: onto every thread of the process, should another be left, not
  // only this one. A thread outside the filter could make any call.
  const long result =
      ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog);
  if (result != 0) {
    // A positive result names a thread whose own filter this one cannot extend.
    throw nslab::Error(result > 0 ? EBUSY : errno, "seccomp", "SECCOMP_SET_MODE_FILTER, TSYNC");
  }
}
// [load-filter]

} // namespace isolate::seccomp
