// nslab-probe: a tiny observer that tests run *inside* a namespace, so they
// do not have to trust the program under test to report what it sees.
//
//   nslab-probe sysv-queue-exists ID   exit 0 if System V queue ID exists here, else 1
//   nslab-probe sysv-queue-create      create a queue, print its id, exit 0

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/msg.h>

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "sysv-queue-exists") == 0) {
    msqid_ds info{};
    return ::msgctl(std::atoi(argv[2]), IPC_STAT, &info) == 0 ? 0 : 1;
  }
  if (argc == 2 && std::strcmp(argv[1], "sysv-queue-create") == 0) {
    const int id = ::msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    std::printf("%d\n", id);
    return id >= 0 ? 0 : 1;
  }
  std::fprintf(stderr, "usage: nslab-probe sysv-queue-exists ID | sysv-queue-create\n");
  return 2;
}
