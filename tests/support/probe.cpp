// nslab-probe: a tiny observer that tests run *inside* a namespace, so they
// do not have to trust the program under test to report what it sees.
//
//   nslab-probe sysv-queue-exists ID   exit 0 if System V queue ID exists here, else 1
//   nslab-probe sysv-queue-create KEY  create a queue with KEY here, exit 0 if it worked

#include <cstdio>
#include <sys/ipc.h>
#include <cstdlib>
#include <cstring>
#include <sys/msg.h>

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "sysv-queue-exists") == 0) {
    msqid_ds info{};
    return ::msgctl(std::atoi(argv[2]), IPC_STAT, &info) == 0 ? 0 : 1;
  }
  if (argc == 3 && std::strcmp(argv[1], "sysv-queue-create") == 0) {
    const auto key = static_cast<key_t>(std::atoi(argv[2]));
    return ::msgget(key, IPC_CREAT | IPC_EXCL | 0600) >= 0 ? 0 : 1;
  }
  std::fprintf(stderr, "usage: nslab-probe sysv-queue-exists ID | sysv-queue-create KEY\n");
  return 2;
}
