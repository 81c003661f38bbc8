// part2: ipc-checkpoint, checked from outside the namespace.
#include "harness.hpp"

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
    ADD_FAILURE() << "no queue announced in:\n" << out;
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
  return {"sh", "-c", "echo id=$NSLAB_PARENT_QUEUE; exec \"$0\" sysv-queue-exists \"$NSLAB_PARENT_QUEUE\"",
          probe()};
}

class IpcCheckpoint : public ::testing::Test {
protected:
  void TearDown() override { EXPECT_TRUE(leftover_processes().empty()); }
};

TEST_F(IpcCheckpoint, CommandRunsOnlyAfterTheRelease) {
  const Result r = run(ipc_checkpoint({"-d", "300", "--", "echo", "COMMAND-RAN"}));
  ASSERT_EQ(r.code(), 0) << r.describe();
  // Both processes write to one pipe, and the parent writes (and flushes)
  // this line before it releases the child: the order is causal.
  const auto released = r.out.find("Parent: setup done, releasing the child");
  const auto ran = r.out.find("COMMAND-RAN");
  ASSERT_NE(released, std::string::npos) << r.describe();
  ASSERT_NE(ran, std::string::npos) << r.describe();
  EXPECT_LT(released, ran) << r.describe();
}

TEST_F(IpcCheckpoint, ParentsQueueIsInvisibleInANewIpcNamespace) {
  Command command = ipc_checkpoint({"-v", "-d", "0", "--"});
  for (auto& word : probe_parent_queue()) command.argv.push_back(word);
  const Result r = run(command);
  const int id = announced_queue(r.out);
  EXPECT_NE(r.out.find(fmt::format("id={}\n", id)), std::string::npos) << r.describe();
  EXPECT_EQ(r.code(), 1) << "the probe found the parent's queue\n" << r.describe();
  EXPECT_NE(r.out.find("NOT visible here"), std::string::npos) << r.describe();
  EXPECT_FALSE(queue_exists_here(id)) << "queue " << id << " left on the host";
}

TEST_F(IpcCheckpoint, ParentsQueueIsVisibleWithShareIpc) {
  Command command = ipc_checkpoint({"-v", "-d", "0", "--share-ipc", "--"});
  for (auto& word : probe_parent_queue()) command.argv.push_back(word);
  const Result r = run(command);
  const int id = announced_queue(r.out);
  EXPECT_EQ(r.code(), 0) << "the probe did not find the parent's queue\n" << r.describe();
  EXPECT_NE(r.out.find("visible here: same IPC namespace"), std::string::npos) << r.describe();
  EXPECT_FALSE(queue_exists_here(id)) << "queue " << id << " left on the host";
}

TEST_F(IpcCheckpoint, ParentsQueueExistsOnTheHostWhileTheChildRuns) {
  Command command = ipc_checkpoint({"-v", "-d", "0", "--", "sh", "-c", "echo started; read wait"});
  command.close_stdin = false;
  Running running = start(command);
  ASSERT_TRUE(running.wait_for_output("started"));
  const int id = announced_queue(running.out_so_far());
  EXPECT_TRUE(queue_exists_here(id));
  running.send_signal(SIGTERM);
  const Result r = running.finish();
  EXPECT_EQ(r.code(), 143) << r.describe();
  EXPECT_FALSE(queue_exists_here(id)) << "SIGTERM left queue " << id << " behind";
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
  const Result r = run(ipc_checkpoint({"-d", "0", "--", probe(), "sysv-create", "queue",
                                       std::to_string(key)}));
  ASSERT_EQ(r.code(), 0) << "could not make a queue inside\n" << r.describe();
  EXPECT_EQ(::msgget(key, 0), -1) << "the child's queue appeared on the host";
}

TEST_F(IpcCheckpoint, WithShareIpcQueuesMadeInsideDoReachTheHost) {
  // The control experiment: if this failed, the test above would prove nothing.
  const key_t key = random_key();
  const RemoveQueueWithKey cleanup{key};
  const Result r = run(ipc_checkpoint({"-d", "0", "--share-ipc", "--", probe(),
                                       "sysv-create", "queue", std::to_string(key)}));
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_NE(::msgget(key, 0), -1) << "the shared namespace's queue is missing";
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
  if (share_ipc) command.argv.push_back("--share-ipc");
  for (const std::string& word : {std::string("--"), probe(), std::string("sysv-key-exists"),
                                  kind, std::to_string(key)}) {
    command.argv.push_back(word);
  }
  const Result r = run(command);
  EXPECT_TRUE(r.code() == 0 || r.code() == 1) << r.describe();
  return r.code();
}

TEST_F(IpcCheckpoint, HostSemaphoresAndSharedMemoryAreInvisibleInside) {
  for (const std::string kind : kSemaphoreAndShm) {
    SCOPED_TRACE(kind);
    const key_t key = random_key();
    const RemoveSysvObject cleanup{kind, key};
    const int created = kind == "semaphore" ? ::semget(key, 1, IPC_CREAT | IPC_EXCL | 0600)
                                            : ::shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
    ASSERT_NE(created, -1) << "could not make a " << kind << " on the host";
    EXPECT_EQ(probe_key_inside(false, kind, key), 1)
        << "the host's " << kind << " is visible in a new IPC namespace";
    // The control experiment: the probe does find it in the shared namespace.
    EXPECT_EQ(probe_key_inside(true, kind, key), 0)
        << "the host's " << kind << " is missing with --share-ipc";
  }
}

TEST_F(IpcCheckpoint, SemaphoresAndSharedMemoryMadeInsideDoNotReachTheHost) {
  for (const std::string kind : kSemaphoreAndShm) {
    SCOPED_TRACE(kind);
    const key_t key = random_key();
    const RemoveSysvObject cleanup{kind, key};
    const Result r = run(ipc_checkpoint({"-d", "0", "--", probe(), "sysv-create", kind,
                                         std::to_string(key)}));
    ASSERT_EQ(r.code(), 0) << "could not make a " << kind << " inside\n" << r.describe();
    EXPECT_EQ(host_sysv_id(kind, key), -1) << "the child's " << kind << " appeared on the host";
    // The control experiment: with --share-ipc the same object does reach the host.
    const Result shared = run(ipc_checkpoint({"-d", "0", "--share-ipc", "--", probe(),
                                              "sysv-create", kind, std::to_string(key)}));
    ASSERT_EQ(shared.code(), 0) << shared.describe();
    EXPECT_NE(host_sysv_id(kind, key), -1) << "the shared namespace's " << kind << " is missing";
  }
}

TEST_F(IpcCheckpoint, ParentKilledDuringSetupMeansCommandNeverRuns) {
  const TempDir dir;
  const std::string marker = dir.path() + "/command-ran";
  Running running = start(ipc_checkpoint({"-v", "-d", "10000", "--", "touch", marker}));
  ASSERT_TRUE(running.wait_for_output("doing setup work")) << running.out_so_far();
  const int id = announced_queue(running.out_so_far());
  running.send_signal(SIGKILL);
  const Result r = running.finish();
  EXPECT_EQ(r.status, nslab::ExitStatus::killed(SIGKILL));
  // The orphaned child and the janitor come to this subreaper; wait for them.
  EXPECT_TRUE(leftover_processes().empty());
  EXPECT_FALSE(std::filesystem::exists(marker)) << "COMMAND ran without a release";
  EXPECT_FALSE(queue_exists_here(id)) << "SIGKILL left queue " << id << " behind";
}

TEST_F(IpcCheckpoint, ChildDyingDuringSetupIsReportedAndCleanedUp) {
  Running running = start(ipc_checkpoint({"-v", "-d", "10000", "--", "true"}));
  ASSERT_TRUE(running.wait_for_output("doing setup work")) << running.out_so_far();
  const std::string& out = running.out_so_far();
  std::smatch match;
  ASSERT_TRUE(std::regex_search(out, match, std::regex("child (\\d+) is waiting"))) << out;
  const int id = announced_queue(out);
  ASSERT_EQ(::kill(std::stoi(match[1]), SIGKILL), 0);
  const Result r = running.finish();
  EXPECT_EQ(r.code(), 137) << r.describe();
  EXPECT_EQ(r.err, "ipc-checkpoint: the child ended (killed by SIGKILL) during the setup\n")
      << r.describe();
  EXPECT_FALSE(queue_exists_here(id)) << "queue " << id << " left behind";
}

TEST_F(IpcCheckpoint, InterruptDuringSetupCleansUp) {
  Running running = start(ipc_checkpoint({"-v", "-d", "10000", "--", "true"}));
  ASSERT_TRUE(running.wait_for_output("doing setup work")) << running.out_so_far();
  const int id = announced_queue(running.out_so_far());
  running.send_signal(SIGINT);
  const Result r = running.finish();
  EXPECT_EQ(r.code(), 130) << r.describe();
  EXPECT_FALSE(queue_exists_here(id)) << "SIGINT left queue " << id << " behind";
}

TEST_F(IpcCheckpoint, ExitStatusesFollowTheContract) {
  EXPECT_EQ(run(ipc_checkpoint({"-d", "0", "sh", "-c", "exit 9"})).code(), 9);
  EXPECT_EQ(run(ipc_checkpoint({"-d", "0", "nslab-no-such-command"})).code(), 127);
  const Result bad_delay = run(ipc_checkpoint({"-d", "soon", "true"}));
  EXPECT_EQ(bad_delay.code(), 125) << bad_delay.describe();
  EXPECT_EQ(bad_delay.err.substr(0, bad_delay.err.find('\n')),
            "ipc-checkpoint: -d: expected a whole number from 0 to 3600000, got 'soon'");
  EXPECT_EQ(run(ipc_checkpoint({"-h"})).code(), 0);
}

} // namespace
