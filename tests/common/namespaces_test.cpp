#include "nslab/namespaces.hpp"

#include "gate.hpp"
#include "nslab/child.hpp"
#include "nslab/error.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace {

TEST(NamespaceKinds, TableHasEachKindOnceWithItsFlag) {
  EXPECT_EQ(nslab::namespace_kind("uts").clone_flag, CLONE_NEWUTS);
  EXPECT_EQ(nslab::namespace_kind("mnt").clone_flag, CLONE_NEWNS);
  EXPECT_EQ(nslab::namespace_kind("user").clone_flag, CLONE_NEWUSER);
  EXPECT_THROW((void)nslab::namespace_kind("bogus"), std::out_of_range);
}

TEST(NamespaceId, IsTheDeviceAndInodeOfTheProcFile) {
  struct stat info {};
  ASSERT_EQ(::stat("/proc/self/ns/ipc", &info), 0);
  const nslab::NamespaceId id = nslab::namespace_id(::getpid(), nslab::namespace_kind("ipc"));
  EXPECT_EQ(id.device, info.st_dev);
  EXPECT_EQ(id.inode, info.st_ino);
  EXPECT_THROW((void)nslab::namespace_id(-1, nslab::namespace_kind("ipc")), nslab::Error);
}

TEST(NamespaceTable, MarksNewAndSharedNamespaces) {
  nslab::testing::Gate gate;
  nslab::Child child = nslab::clone_child(CLONE_NEWUSER | CLONE_NEWUTS, [&] {
    (void)gate.pass();
    return 0;
  });
  const std::string table = nslab::namespace_table(::getpid(), child.pid());
  gate.open();
  EXPECT_NE(table.find("uts"), std::string::npos) << table;
  const auto row = [&](std::string_view name) {
    const auto start = table.find(std::string(name) + " ");
    return table.substr(start, table.find('\n', start) - start);
  };
  EXPECT_NE(row("uts").find("NEW"), std::string::npos) << table;
  EXPECT_NE(row("user").find("NEW"), std::string::npos) << table;
  EXPECT_NE(row("net").find("shared"), std::string::npos) << table;
  EXPECT_NE(row("ipc").find("shared"), std::string::npos) << table;
  EXPECT_EQ(child.wait(), nslab::ExitStatus::exited(0));
}

} // namespace
