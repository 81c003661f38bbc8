// nslab-probe: a tiny observer that tests run *inside* a namespace, so they
// do not have to trust the program under test to report what it sees.
//
//   nslab-probe sysv-queue-exists ID        exit 0 if System V queue ID exists here, else 1
//   nslab-probe sysv-create KIND KEY        create a KIND object with KEY here, exit 0 if it worked
//   nslab-probe sysv-key-exists KIND KEY    exit 0 if a KIND object with KEY exists here, else 1
//   nslab-probe syscalls                    try each call isolate's seccomp filter denies, with
//                                           harmless arguments: one line "NAME ok" or "NAME ERRNO"
//   nslab-probe key-read SERIAL             read key SERIAL: print its payload, or the errno name
//   nslab-probe ptrace PID                  PTRACE_SEIZE PID: print "ok" or the errno name
//   nslab-probe foreign-abi ABI            getpid(2) through another ABI of an x86-64 kernel
//                                           (x32 or i386): print "ok" or the errno name
//   nslab-probe tiocsti TEXT                push TEXT into the terminal on stdin with
//                                           ioctl(TIOCSTI), as if typed: print "typed N",
//                                           or "refused" and the errno name (exit 1)
//
// KIND is one of the three System V IPC kinds: queue, semaphore or shm.
//
// It is linked statically, so that it also runs inside isolate's busybox
// rootfs, which has no C library: a test copies it there.

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/kexec.h>
#include <linux/keyctl.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/ptrace.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

namespace {

// The xxxget call of KIND with FLAGS: an id, or -1. A semaphore set holds
// one semaphore and a segment one page; looking up (no IPC_CREAT) ignores both.
int sysv_get(const char* kind, key_t key, int flags) {
  if (std::strcmp(kind, "queue") == 0)
    return ::msgget(key, flags);
  if (std::strcmp(kind, "semaphore") == 0)
    return ::semget(key, 1, flags);
  if (std::strcmp(kind, "shm") == 0)
    return ::shmget(key, 4096, flags);
  return -1;
}

bool is_kind(const char* word) {
  return std::strcmp(word, "queue") == 0 || std::strcmp(word, "semaphore") == 0 ||
         std::strcmp(word, "shm") == 0;
}

// One line per call: its name, then "ok" or the errno's name. Each call's
// arguments are invalid or harmless, so that a call the filter lets through
// fails on them, or changes nothing outside the probe itself.
void report(const char* name, long result) {
  std::printf("%s %s\n", name, result >= 0 ? "ok" : ::strerrorname_np(errno));
}

void try_denied_syscalls() {
  report("keyctl", ::syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
  report("add_key",
         ::syscall(SYS_add_key, "user", "nslab-probe", "x", 1, KEY_SPEC_PROCESS_KEYRING));
  report("request_key", ::syscall(SYS_request_key, "user", "nslab-probe-none", nullptr, 0));
  report("kexec_load", ::syscall(SYS_kexec_load, 0, 0, nullptr, ~0UL));
  report("kexec_file_load", ::syscall(SYS_kexec_file_load, -1, -1, 0, nullptr, ~0UL));
  report("init_module", ::syscall(SYS_init_module, nullptr, 0, ""));
  report("finit_module", ::syscall(SYS_finit_module, -1, "", 0));
  report("delete_module", ::syscall(SYS_delete_module, "nslab_none", O_NONBLOCK));
  report("bpf", ::syscall(SYS_bpf, -1, nullptr, 0));
  report("perf_event_open", ::syscall(SYS_perf_event_open, nullptr, 0, -1, -1, 0));
  const long uffd = ::syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
  report("userfaultfd", uffd);
  if (uffd >= 0) {
    ::close(static_cast<int>(uffd));
  }
  report("open_by_handle_at", ::syscall(SYS_open_by_handle_at, -1, nullptr, 0));
  report("acct", ::syscall(SYS_acct, ""));
  report("swapon", ::syscall(SYS_swapon, "", 0));
  report("swapoff", ::syscall(SYS_swapoff, ""));
  report("reboot", ::syscall(SYS_reboot, 0, 0, 0, nullptr)); // wrong magic
  const timeval bad_time{0, 2'000'000};                      // usec out of range
  report("settimeofday", ::syscall(SYS_settimeofday, &bad_time, nullptr));
  const timespec bad_clock{0, -1};
  report("clock_settime", ::syscall(SYS_clock_settime, CLOCK_REALTIME, &bad_clock));
  report("iopl", ::syscall(SYS_iopl, 0));           // level 0: what it has already
  report("ioperm", ::syscall(SYS_ioperm, 0, 0, 0)); // no ports
  report("ioctl(TIOCSTI)", ::ioctl(-1, TIOCSTI, "x"));
  report("ioctl(TIOCLINUX)", ::ioctl(-1, TIOCLINUX, nullptr));
  report("unshare", ::unshare(CLONE_NEWUSER)); // a user namespace of the probe's own
}

int read_key(long serial) {
  char payload[256] = {};
  const long length = ::syscall(SYS_keyctl, KEYCTL_READ, serial, payload, sizeof payload - 1);
  std::printf("%s\n", length >= 0 ? payload : ::strerrorname_np(errno));
  return length >= 0 ? 0 : 1;
}

int seize(pid_t pid) {
  // The tracee is let go when the probe exits.
  const long result = ::ptrace(PTRACE_SEIZE, pid, nullptr, nullptr);
  std::printf("%s\n", result == 0 ? "ok" : ::strerrorname_np(errno));
  return result == 0 ? 0 : 1;
}

// getpid(2) through the x32 ABI (the same entry as x86_64, with bit 30 set
// in the number) or the i386 one (int 0x80, whose getpid is 20). A kernel
// built without that ABI answers ENOSYS; a seccomp filter may kill us.
long foreign_getpid(const char* abi) {
#if defined(__x86_64__)
  if (std::strcmp(abi, "x32") == 0) {
    constexpr long kX32SyscallBit = 0x40000000;
    return ::syscall(kX32SyscallBit | SYS_getpid);
  }
  if (std::strcmp(abi, "i386") == 0) {
    long result = 20; // __NR_getpid in i386's table
    asm volatile("int $0x80" : "+a"(result) : : "r8", "r9", "r10", "r11", "memory");
    if (result < 0 && result > -4096) {
      errno = static_cast<int>(-result);
      return -1;
    }
    return result;
  }
#endif
  (void)abi;
  errno = EINVAL;
  return -1;
}

int type_into_terminal(const char* text) {
  for (const char* key = text; *key != '\0'; ++key) {
    if (::ioctl(STDIN_FILENO, TIOCSTI, key) != 0) {
      std::printf("refused %s\n", ::strerrorname_np(errno));
      return 1;
    }
  }
  std::printf("typed %zu\n", std::strlen(text));
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "sysv-queue-exists") == 0) {
    msqid_ds info{};
    return ::msgctl(std::atoi(argv[2]), IPC_STAT, &info) == 0 ? 0 : 1;
  }
  if (argc == 4 && is_kind(argv[2])) {
    const auto key = static_cast<key_t>(std::atoi(argv[3]));
    if (std::strcmp(argv[1], "sysv-create") == 0) {
      return sysv_get(argv[2], key, IPC_CREAT | IPC_EXCL | 0600) >= 0 ? 0 : 1;
    }
    if (std::strcmp(argv[1], "sysv-key-exists") == 0) {
      return sysv_get(argv[2], key, 0) >= 0 ? 0 : 1;
    }
  }
  if (argc == 2 && std::strcmp(argv[1], "syscalls") == 0) {
    try_denied_syscalls();
    return 0;
  }
  if (argc == 3 && std::strcmp(argv[1], "key-read") == 0) {
    return read_key(std::atol(argv[2]));
  }
  if (argc == 3 && std::strcmp(argv[1], "ptrace") == 0) {
    return seize(static_cast<pid_t>(std::atoi(argv[2])));
  }
  if (argc == 3 && std::strcmp(argv[1], "foreign-abi") == 0) {
    report(argv[2], foreign_getpid(argv[2]));
    return 0;
  }
  if (argc == 3 && std::strcmp(argv[1], "tiocsti") == 0) {
    return type_into_terminal(argv[2]);
  }
  std::fprintf(stderr, "usage: nslab-probe sysv-queue-exists ID | sysv-create KIND KEY |"
                       " sysv-key-exists KIND KEY (KIND: queue, semaphore, shm) | syscalls |"
                       " key-read SERIAL | ptrace PID | foreign-abi x32|i386 | tiocsti TEXT\n");
  return 2;
}
