// nslab-probe: a tiny observer that tests run *inside* a namespace, so they
// do not have to trust the program under test to report what it sees.
//
//   nslab-probe sysv-queue-exists ID        exit 0 if System V queue ID exists here, else 1
//   nslab-probe sysv-create KIND KEY        create a KIND object with KEY here, exit 0 if it worked
//   nslab-probe sysv-key-exists KIND KEY    exit 0 if a KIND object with KEY exists here, else 1
//
// KIND is one of the three System V IPC kinds: queue, semaphore or shm.

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

namespace {

// The xxxget call of KIND with FLAGS: an id, or -1. A semaphore set holds
// one semaphore and a segment one page; looking up (no IPC_CREAT) ignores both.
int sysv_get(const char* kind, key_t key, int flags) {
  if (std::strcmp(kind, "queue") == 0) return ::msgget(key, flags);
  if (std::strcmp(kind, "semaphore") == 0) return ::semget(key, 1, flags);
  if (std::strcmp(kind, "shm") == 0) return ::shmget(key, 4096, flags);
  return -1;
}

bool is_kind(const char* word) {
  return std::strcmp(word, "queue") == 0 || std::strcmp(word, "semaphore") == 0 ||
         std::strcmp(word, "shm") == 0;
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
  std::fprintf(stderr, "usage: nslab-probe sysv-queue-exists ID | sysv-create KIND KEY |"
                       " sysv-key-exists KIND KEY (KIND: queue, semaphore, shm)\n");
  return 2;
}
