// part2: ipc-checkpoint, checked from outside the namespace.
#include "harness.hpp"
#include "nslab/namespaces.hpp"
#include "nslab/userns_policy.hpp"
#include "why.hpp"

#include <cctype>
#include <csignal>
#include <filesystem>
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <random>
#include <regex>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>

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

nslab::NamespaceId ipc_namespace_of(pid_t pid) {
  return nslab::namespace_id(pid, nslab::namespace_kind("ipc"));
}

/// The processes in IPC namespace \p id, from /proc. The kernel destroys an
/// IPC namespace, and every object in it, when the last of them is gone.
std::vector<pid_t> processes_in_ipc_namespace(const nslab::NamespaceId& id) {
  std::vector<pid_t> members;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    struct stat info {};
    if (std::isdigit(static_cast<unsigned char>(name[0])) &&
        ::stat((entry.path() / "ns/ipc").c_str(), &info) == 0 &&
        nslab::NamespaceId{info.st_dev, info.st_ino} == id) {
      members.push_back(std::stoi(name));
    }
  }
  return members;
}

/// Runs \p words in the IPC namespace of the running program \p pid, with
/// nsenter(1). Without root, the program is root in a user namespace that
/// the harness made, which owns its IPC namespace: nsenter joins that user
/// namespace first (joining the one it is already in would fail).
Result run_in_ipc_namespace_of(pid_t pid, const std::vector<std::string>& words) {
  const auto user = nslab::namespace_kind("user");
  Command command({"nsenter", "-t", std::to_string(pid), "-i"});
  if (nslab::namespace_id(pid, user) != nslab::namespace_id(::getpid(), user)) {
    command.argv.insert(command.argv.end(), {"-U", "--preserve-credentials"});
  }
  command.argv.insert(command.argv.end(), words.begin(), words.end());
  command.root_in_user_namespace = false; // nsenter joins the program's own
  return run(command);
}

// The child's pid, as the parent announces it with -v.
pid_t announced_child(const std::string& out) {
  std::smatch match;
  if (!std::regex_search(out, match, std::regex("child (\\d+) is waiting"))) {
    ADD_FAILURE() << why(
        fmt::format("ipc-checkpoint -v printed no \"child PID is waiting\" ({})", in_quotes(out)));
    return -1;
  }
  return std::stoi(match[1]);
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
}

TEST_F(IpcCheckpoint, ParentsQueueIsVisibleWithShareIpc) {
  Command command = ipc_checkpoint({"-v", "-d", "0", "--share-ipc", "--"});
  for (auto& word : probe_parent_queue())
    command.argv.push_back(word);
  const Result r = run(command);
  EXPECT_EQ(r.code(), 0) << why(r, "hid the parent's queue from the child, which shares the "
                                   "parent's IPC namespace");
  EXPECT_NE(r.out.find("visible here: same IPC namespace"), std::string::npos)
      << lacks(r, "visible here: same IPC namespace");
}

/// Starts ipc-checkpoint -v -d 0 (with --share-ipc when \p share_ipc)
/// around `sh -c SCRIPT`, in which $0 is nslab-probe. When SCRIPT succeeds,
/// the child prints "held" and waits for the end of its stdin, so the run
/// goes on until the test calls close_stdin(); then it exits 0.
Running start_held(bool share_ipc, const std::string& script) {
  Command command = ipc_checkpoint({"-v", "-d", "0"});
  if (share_ipc)
    command.argv.push_back("--share-ipc");
  command.argv.insert(command.argv.end(),
                      {"--", "sh", "-c", script + " && echo held && exec cat >/dev/null", probe()});
  command.close_stdin = false;
  return start(command);
}

const char* mode(bool share_ipc) {
  return share_ipc ? "with --share-ipc" : "child in a new IPC namespace";
}

// SIGKILL skips every destructor, so the queue must live where the kernel
// removes it anyway: in an IPC namespace that dies with the run.
TEST_F(IpcCheckpoint, ParentsQueueLivesInAnIpcNamespaceOnlyTheRunIsIn) {
  for (const bool share_ipc : {false, true}) {
    SCOPED_TRACE(mode(share_ipc));
    Running running = start_held(share_ipc, "true");
    ASSERT_TRUE(running.wait_for_output("held")) << never_printed(running, "held");
    const int queue = announced_queue(running.out_so_far());
    const pid_t child = announced_child(running.out_so_far());
    const nslab::NamespaceId parents = ipc_namespace_of(running.pid());
    EXPECT_FALSE(parents == ipc_namespace_of(::getpid()))
        << why("the parent made its queue in the host's IPC namespace: a SIGKILL would leave it "
               "there");
    for (const pid_t member : processes_in_ipc_namespace(parents)) {
      EXPECT_TRUE(member == running.pid() || (share_ipc && member == child))
          << why(fmt::format("process {} is in the parent's IPC namespace too, and would keep "
                             "its queue alive after the run",
                             member));
    }
    const Result seen = run_in_ipc_namespace_of(
        running.pid(), {probe(), "sysv-queue-exists", std::to_string(queue)});
    EXPECT_EQ(seen.code(), 0) << why(
        seen, fmt::format("found no queue {} in the parent's IPC namespace", queue));
    running.close_stdin();
    const Result r = running.finish();
    EXPECT_EQ(r.code(), 0) << exited(r, 0);
  }
}

TEST_F(IpcCheckpoint, SigtermWhileTheCommandRunsIsPassedOn) {
  Running running = start_held(false, "true");
  ASSERT_TRUE(running.wait_for_output("held")) << never_printed(running, "held");
  running.send_signal(SIGTERM);
  const Result r = running.finish();
  EXPECT_EQ(r.code(), 143) << exited(r, 143);
}

key_t random_key() {
  std::random_device random;
  return static_cast<key_t>(random() & 0x3fffffff) | 0x40000000;
}

// The three System V kinds, named by the words nslab-probe knows them by.
constexpr const char* kSysvKinds[] = {"queue", "semaphore", "shm"};

/// The host's id of the \p kind object with \p key, or -1 when there is none.
int host_sysv_id(std::string_view kind, key_t key) {
  if (kind == "queue")
    return ::msgget(key, 0);
  return kind == "semaphore" ? ::semget(key, 0, 0) : ::shmget(key, 0, 0);
}

/// Makes a \p kind object with \p key on the host; its id, or -1.
int make_host_sysv(std::string_view kind, key_t key) {
  constexpr int kNew = IPC_CREAT | IPC_EXCL | 0600;
  if (kind == "queue")
    return ::msgget(key, kNew);
  return kind == "semaphore" ? ::semget(key, 1, kNew) : ::shmget(key, 4096, kNew);
}

/// Removes the host's \p kind object with \p key, if there is one, whatever
/// the test's outcome: a failed check must not leave an object on the host.
struct RemoveSysvObject {
  std::string kind;
  key_t key;
  ~RemoveSysvObject() {
    const int id = host_sysv_id(kind, key);
    if (id == -1)
      return;
    if (kind == "queue")
      ::msgctl(id, IPC_RMID, nullptr);
    else
      kind == "semaphore" ? ::semctl(id, 0, IPC_RMID) : ::shmctl(id, IPC_RMID, nullptr);
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

// The parent leaves the host's IPC namespace before anything else, so the
// host's objects are invisible to the child even with --share-ipc.
TEST_F(IpcCheckpoint, HostObjectsAreInvisibleInside) {
  for (const std::string kind : kSysvKinds) {
    SCOPED_TRACE(kind);
    const key_t key = random_key();
    const RemoveSysvObject cleanup{kind, key};
    ASSERT_NE(make_host_sysv(kind, key), -1)
        << why(fmt::format("the test could not make a {} on the host", kind));
    // The control experiment: on the host, the probe does find it.
    Command on_host({probe(), "sysv-key-exists", kind, std::to_string(key)});
    on_host.root_in_user_namespace = false;
    ASSERT_EQ(run(on_host).code(), 0) << why(fmt::format("the probe missed the host's {}", kind));
    for (const bool share_ipc : {false, true}) {
      EXPECT_EQ(probe_key_inside(share_ipc, kind, key), 1)
          << why(fmt::format("the host's {} is visible in the child ({})", kind, mode(share_ipc)));
    }
  }
}

// Made inside, an object lands in the child's namespace: the parent's with
// --share-ipc, a new one without. Either way it never reaches the host.
TEST_F(IpcCheckpoint, ObjectsMadeInsideReachTheParentOnlyWithShareIpcAndNeverTheHost) {
  for (const std::string kind : kSysvKinds) {
    for (const bool share_ipc : {false, true}) {
      SCOPED_TRACE(fmt::format("{}, {}", kind, mode(share_ipc)));
      const key_t key = random_key();
      const RemoveSysvObject cleanup{kind, key};
      Running running = start_held(share_ipc, fmt::format("\"$0\" sysv-create {} {}", kind, key));
      ASSERT_TRUE(running.wait_for_output("held")) << never_printed(running, "held");
      const Result in_parents = run_in_ipc_namespace_of(
          running.pid(), {probe(), "sysv-key-exists", kind, std::to_string(key)});
      if (share_ipc) { // the control experiment
        EXPECT_EQ(in_parents.code(), 0) << why(
            in_parents, fmt::format("the {} made in the shared IPC namespace is missing in the "
                                    "parent's",
                                    kind));
      } else {
        EXPECT_EQ(in_parents.code(), 1) << why(
            in_parents, fmt::format("the child's {} appeared in the parent's IPC namespace: the "
                                    "child needs a new one (CLONE_NEWIPC)",
                                    kind));
      }
      running.close_stdin();
      const Result r = running.finish();
      EXPECT_EQ(r.code(), 0) << exited(r, 0);
      EXPECT_EQ(host_sysv_id(kind, key), -1)
          << why(r, fmt::format("made a {} that reached the host", kind));
    }
  }
}

TEST_F(IpcCheckpoint, ParentKilledDuringSetupMeansCommandNeverRuns) {
  const TempDir dir;
  const std::string marker = dir.path() + "/command-ran";
  Running running = start(ipc_checkpoint({"-v", "-d", "10000", "--", "touch", marker}));
  ASSERT_TRUE(running.wait_for_output("doing setup work"))
      << never_printed(running, "doing setup work");
  running.send_signal(SIGKILL);
  const Result r = running.finish();
  EXPECT_EQ(r.status, nslab::ExitStatus::killed(SIGKILL)) << why(r, "was not killed by SIGKILL");
  // The orphaned child comes to this subreaper; wait for it. With the
  // parent and the child gone, so is the parent's IPC namespace, and the
  // queue in it (see ParentsQueueLivesInAnIpcNamespaceOnlyTheRunIsIn).
  EXPECT_TRUE(leftover_processes().empty())
      << why("the child outlived its killed parent: it must exit when the checkpoint pipe "
             "reaches end-of-file");
  EXPECT_FALSE(std::filesystem::exists(marker))
      << why("COMMAND ran although the parent died before releasing the child");
}

TEST_F(IpcCheckpoint, ChildDyingDuringSetupIsReportedAndCleanedUp) {
  Running running = start(ipc_checkpoint({"-v", "-d", "10000", "--", "true"}));
  ASSERT_TRUE(running.wait_for_output("doing setup work"))
      << never_printed(running, "doing setup work");
  const pid_t child = announced_child(running.out_so_far());
  ASSERT_NE(child, -1);
  ASSERT_EQ(::kill(child, SIGKILL), 0) << why("the test could not kill the child");
  const Result r = running.finish();
  EXPECT_EQ(r.code(), 137) << exited(r, 137);
  EXPECT_EQ(r.err, "ipc-checkpoint: the child ended (killed by SIGKILL) during the setup\n")
      << complained(r, "ipc-checkpoint: the child ended (killed by SIGKILL) during the setup");
}

TEST_F(IpcCheckpoint, InterruptDuringSetupCleansUp) {
  Running running = start(ipc_checkpoint({"-v", "-d", "10000", "--", "true"}));
  ASSERT_TRUE(running.wait_for_output("doing setup work"))
      << never_printed(running, "doing setup work");
  running.send_signal(SIGINT);
  const Result r = running.finish();
  EXPECT_EQ(r.code(), 130) << exited(r, 130);
}

// Without privilege, the parent's unshare is the first step to fail: it
// says what to do about it, as a failed clone does.
TEST_F(IpcCheckpoint, WithoutPrivilegeSaysToPutUnshareUrInFront) {
  if (nslab::apparmor_restricts_userns()) {
    GTEST_SKIP() << "Ubuntu's AppArmor restriction is on: the fix is another one "
                    "(tests/common/userns_policy_test.cpp)";
  }
  Command command = ipc_checkpoint({"-d", "0", "true"});
  command.root_in_user_namespace = false; // as the test's own user...
  command.rootless = true;                // ...or as nobody, when that is root
  const Result r = run(command);
  EXPECT_EQ(r.code(), 125) << exited(r, 125);
  const std::string expected =
      "ipc-checkpoint: unshare: Operation not permitted (new namespaces need root; as an "
      "ordinary user, put 'unshare -Ur' in front of the command)\n";
  EXPECT_EQ(r.err, expected) << complained(r, expected);
}

// The rest of the exit-status contract (help, usage errors, 126, 127) is
// common to all four programs: tests/common/contract_test.cpp checks it once.
TEST_F(IpcCheckpoint, PassesTheCommandsExitStatusThrough) {
  const Result nine = run(ipc_checkpoint({"-d", "0", "sh", "-c", "exit 9"}));
  EXPECT_EQ(nine.code(), 9) << exited(nine, 9);
}

} // namespace
