// part2: ipc-checkpoint, checked from outside the namespace.
#include "harness.hpp"
#include "why.hpp"

#include <csignal>
#include <filesystem>
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <random>
#include <regex>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

namespace {

using namespace nslab::testing;

Command ipc_checkpoint(std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(), program("ipc-checkpoint"));
  return Command{arguments};
}

// The queue id the parent announces with -v.
int announced_queue(const std::string& out) {
  std::smatch match;
  if (!std::regex_search(out, match, std::regex("created System V message queue (\\d+)"))) {
    ADD_FAILURE() << why(
        fmt::format("ipc-checkpoint -v did not announce its queue ({})", in_quotes(out)));
    return -1;
  }
  return std::stoi(match[1]);
}

bool queue_exists_here(int id) {
  msqid_ds info{};
  return ::msgctl(id, IPC_STAT, &info) == 0;
}

// A command that asks nslab-probe, inside the child, whether the parent's
// queue exists there, and prints the id it was told.
std::vector<std::string> probe_parent_queue() {
  return {"sh", "-c",
          "echo id=$NSLAB_PARENT_QUEUE; exec \"$0\" sysv-queue-exists \"$NSLAB_PARENT_QUEUE\"",
          probe()};
}

class IpcCheckpoint : public ::testing::Test {
protected:
  void TearDown() override {
    EXPECT_TRUE(leftover_processes().empty())
        << why("a process of the run was still running on the host after ipc-checkpoint ended");
  }
};

TEST_F(IpcCheckpoint, CommandRunsOnlyAfterTheRelease) {
  const Result r = run(ipc_checkpoint({"-d", "300", "--", "echo", "COMMAND-RAN"}));
  ASSERT_EQ(r.code(), 0) << exited(r, 0);
  // Both processes write to one pipe, and the parent writes (and flushes)
  // this line before it releases the child: the order is causal.
  const auto released = r.out.find("Parent: setup done, releasing the child");
  const auto ran = r.out.find("COMMAND-RAN");
  ASSERT_NE(released, std::string::npos) << lacks(r, "Parent: setup done, releasing the child");
  ASSERT_NE(ran, std::string::npos) << lacks(r, "COMMAND-RAN");
  EXPECT_LT(released, ran) << why(r, "ran COMMAND before the parent released the child");
}

TEST_F(IpcCheckpoint, ParentsQueueIsInvisibleInANewIpcNamespace) {
  Command command = ipc_checkpoint({"-v", "-d", "0", "--"});
  for (auto& word : probe_parent_queue())
    command.argv.push_back(word);
  const Result r = run(command);
  const int id = announced_queue(r.out);
  EXPECT_NE(r.out.find(fmt::format("id={}\n", id)), std::string::npos)
      << why(r, "did not pass the queue's id to COMMAND in $NSLAB_PARENT_QUEUE");
  EXPECT_EQ(r.code(), 1) << why(r, "let the child find the parent's queue: it needs a new IPC "
                                   "namespace (CLONE_NEWIPC)");
  EXPECT_NE(r.out.find("NOT visible here"), std::string::npos) << lacks(r, "NOT visible here");
  EXPECT_FALSE(queue_exists_here(id))
      << why(fmt::format("the System V queue {} was left on the host", id));
}

TEST_F(IpcCheckpoint, ParentsQueueIsVisibleWithShareIpc) {
  Command command = ipc_checkpoint({"-v", "-d", "0", "--share-ipc", "--"});
  for (auto& word : probe_parent_queue())
    command.argv.push_back(word);
  const Result r = run(command);
  const int id = announced_queue(r.out);
  EXPECT_EQ(r.code(), 0) << why(r, "hid the parent's queue from the child, which shares the "
                                   "parent's IPC namespace");
  EXPECT_NE(r.out.find("visible here: same IPC namespace"), std::string::npos)
      << lacks(r, "visible here: same IPC namespace");
  EXPECT_FALSE(queue_exists_here(id))
      << why(fmt::format("the System V queue {} was left on the host", id));
}

TEST_F(IpcCheckpoint, ParentsQueueExistsOnTheHostWhileTheChildRuns) {
  Command command = ipc_checkpoint({"-v", "-d", "0", "--", "sh", "-c", "echo started; read wait"});
  command.close_stdin = false;
  Running running = start(command);
  ASSERT_TRUE(running.wait_for_output("started")) << never_printed(running, "started");
  const int id = announced_queue(running.out_so_far());
  EXPECT_TRUE(queue_exists_here(id))
      << why(fmt::format("the parent's queue {} is missing on the host while the child runs", id));
  running.send_signal(SIGTERM);
  const Result r = running.finish();
  EXPECT_EQ(r.code(), 143) << exited(r, 143);
  EXPECT_FALSE(queue_exists_here(id))
      << why(fmt::format("SIGTERM left the System V queue {} on the host", id));
}

key_t random_key() {
  std::random_device random;
  return static_cast<key_t>(random() & 0x3fffffff) | 0x40000000;
}

/// Removes the host's queue with \p key, if there is one, whatever the test's
/// outcome: a failed isolation check must not leave a queue on the host.
struct RemoveQueueWithKey {
  key_t key;
  ~RemoveQueueWithKey() {
    if (const int id = ::msgget(key, 0); id != -1) {
      ::msgctl(id, IPC_RMID, nullptr);
    }
  }
};

TEST_F(IpcCheckpoint, QueuesMadeInsideDoNotReachTheHost) {
  const key_t key = random_key();
  const RemoveQueueWithKey cleanup{key};
  const Result r =
      run(ipc_checkpoint({"-d", "0", "--", probe(), "sysv-create", "queue", std::to_string(key)}));
  ASSERT_EQ(r.code(), 0) << why(r, "could not make a queue inside");
  EXPECT_EQ(::msgget(key, 0), -1) << why(
      r, "made a queue that appeared on the host: the child needs a new IPC namespace");
}

TEST_F(IpcCheckpoint, WithShareIpcQueuesMadeInsideDoReachTheHost) {
  // The control experiment: if this failed, the test above would prove nothing.
  const key_t key = random_key();
  const RemoveQueueWithKey cleanup{key};
  const Result r = run(ipc_checkpoint(
      {"-d", "0", "--share-ipc", "--", probe(), "sysv-create", "queue", std::to_string(key)}));
  ASSERT_EQ(r.code(), 0) << exited(r, 0);
  EXPECT_NE(::msgget(key, 0), -1) << why(
      r, "made a queue in the shared IPC namespace that the host cannot see");
}

// Semaphore sets and shared memory segments: the other two System V kinds,
// named by the words nslab-probe knows them by.
constexpr const char* kSemaphoreAndShm[] = {"semaphore", "shm"};

/// The host's id of the \p kind object with \p key, or -1 when there is none.
int host_sysv_id(std::string_view kind, key_t key) {
  return kind == "semaphore" ? ::semget(key, 0, 0) : ::shmget(key, 0, 0);
}

/// Removes the host's \p kind object with \p key, if there is one, whatever
/// the test's outcome: a failed check must not leave an object on the host.
struct RemoveSysvObject {
  std::string kind;
  key_t key;
  ~RemoveSysvObject() {
    if (const int id = host_sysv_id(kind, key); id != -1) {
      kind == "semaphore" ? ::semctl(id, 0, IPC_RMID) : ::shmctl(id, IPC_RMID, nullptr);
    }
  }
};

/// Runs ipc-checkpoint (with \p share_ipc or not) around `nslab-probe
/// sysv-key-exists KIND KEY`, and returns the probe's answer from inside.
int probe_key_inside(bool share_ipc, const std::string& kind, key_t key) {
  Command command = ipc_checkpoint({"-d", "0"});
  if (share_ipc)
    command.argv.push_back("--share-ipc");
  for (const std::string& word :
       {std::string("--"), probe(), std::string("sysv-key-exists"), kind, std::to_string(key)}) {
    command.argv.push_back(word);
  }
  const Result r = run(command);
  EXPECT_TRUE(r.code() == 0 || r.code() == 1) << exited(r, 0);
  return r.code();
}

TEST_F(IpcCheckpoint, HostSemaphoresAndSharedMemoryAreInvisibleInside) {
  for (const std::string kind : kSemaphoreAndShm) {
    SCOPED_TRACE(kind);
    const key_t key = random_key();
    const RemoveSysvObject cleanup{kind, key};
    const int created = kind == "semaphore" ? ::semget(key, 1, IPC_CREAT | IPC_EXCL | 0600)
                                            : ::shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
    ASSERT_NE(created, -1) << why(fmt::format("the test could not make a {} on the host", kind));
    EXPECT_EQ(probe_key_inside(false, kind, key), 1)
        << why(fmt::format("the host's {} is visible in the child's new IPC namespace", kind));
    // The control experiment: the probe does find it in the shared namespace.
    EXPECT_EQ(probe_key_inside(true, kind, key), 0)
        << why(fmt::format("the host's {} is missing in the child with --share-ipc", kind));
  }
}

TEST_F(IpcCheckpoint, SemaphoresAndSharedMemoryMadeInsideDoNotReachTheHost) {
  for (const std::string kind : kSemaphoreAndShm) {
    SCOPED_TRACE(kind);
    const key_t key = random_key();
    const RemoveSysvObject cleanup{kind, key};
    const Result r =
        run(ipc_checkpoint({"-d", "0", "--", probe(), "sysv-create", kind, std::to_string(key)}));
    ASSERT_EQ(r.code(), 0) << why(r, fmt::format("could not make a {} inside", kind));
    EXPECT_EQ(host_sysv_id(kind, key), -1)
        << why(r, fmt::format("made a {} that appeared on the host", kind));
    // The control experiment: with --share-ipc the same object does reach the host.
    const Result shared = run(ipc_checkpoint(
        {"-d", "0", "--share-ipc", "--", probe(), "sysv-create", kind, std::to_string(key)}));
    ASSERT_EQ(shared.code(), 0) << exited(shared, 0);
    EXPECT_NE(host_sysv_id(kind, key), -1) << why(
        shared, fmt::format("made a {} in the shared namespace that the host cannot see", kind));
  }
}

TEST_F(IpcCheckpoint, ParentKilledDuringSetupMeansCommandNeverRuns) {
  const TempDir dir;
  const std::string marker = dir.path() + "/command-ran";
  Running running = start(ipc_checkpoint({"-v", "-d", "10000", "--", "touch", marker}));
  ASSERT_TRUE(running.wait_for_output("doing setup work"))
      << never_printed(running, "doing setup work");
  const int id = announced_queue(running.out_so_far());
  running.send_signal(SIGKILL);
  const Result r = running.finish();
  EXPECT_EQ(r.status, nslab::ExitStatus::killed(SIGKILL)) << why(r, "was not killed by SIGKILL");
  // The orphaned child and the janitor come to this subreaper; wait for them.
  EXPECT_TRUE(leftover_processes().empty())
      << why("the child outlived its killed parent: it must exit when the checkpoint pipe "
             "reaches end-of-file");
  EXPECT_FALSE(std::filesystem::exists(marker))
      << why("COMMAND ran although the parent died before releasing the child");
  EXPECT_FALSE(queue_exists_here(id))
      << why(fmt::format("SIGKILL left the System V queue {} on the host", id));
}

TEST_F(IpcCheckpoint, ChildDyingDuringSetupIsReportedAndCleanedUp) {
  Running running = start(ipc_checkpoint({"-v", "-d", "10000", "--", "true"}));
  ASSERT_TRUE(running.wait_for_output("doing setup work"))
      << never_printed(running, "doing setup work");
  const std::string& out = running.out_so_far();
  std::smatch match;
  ASSERT_TRUE(std::regex_search(out, match, std::regex("child (\\d+) is waiting"))) << why(
      fmt::format("ipc-checkpoint -v printed no \"child PID is waiting\" ({})", in_quotes(out)));
  const int id = announced_queue(out);
  ASSERT_EQ(::kill(std::stoi(match[1]), SIGKILL), 0) << why("the test could not kill the child");
  const Result r = running.finish();
  EXPECT_EQ(r.code(), 137) << exited(r, 137);
  EXPECT_EQ(r.err, "ipc-checkpoint: the child ended (killed by SIGKILL) during the setup\n")
      << complained(r, "ipc-checkpoint: the child ended (killed by SIGKILL) during the setup");
  EXPECT_FALSE(queue_exists_here(id))
      << why(fmt::format("the System V queue {} was left on the host", id));
}

TEST_F(IpcCheckpoint, InterruptDuringSetupCleansUp) {
  Running running = start(ipc_checkpoint({"-v", "-d", "10000", "--", "true"}));
  ASSERT_TRUE(running.wait_for_output("doing setup work"))
      << never_printed(running, "doing setup work");
  const int id = announced_queue(running.out_so_far());
  running.send_signal(SIGINT);
  const Result r = running.finish();
  EXPECT_EQ(r.code(), 130) << exited(r, 130);
  EXPECT_FALSE(queue_exists_here(id))
      << why(fmt::format("SIGINT left the System V queue {} on the host", id));
}

// The rest of the exit-status contract (help, usage errors, 126, 127) is
// common to all four programs: tests/common/contract_test.cpp checks it once.
TEST_F(IpcCheckpoint, PassesTheCommandsExitStatusThrough) {
  const Result nine = run(ipc_checkpoint({"-d", "0", "sh", "-c", "exit 9"}));
  EXPECT_EQ(nine.code(), 9) << exited(nine, 9);
}

} // namespace
