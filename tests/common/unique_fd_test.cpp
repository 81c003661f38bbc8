#include "nslab/unique_fd.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <type_traits>
#include <unistd.h>

namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(UniqueFd, ClosesOnDestruction) {
  int raw = -1;
  {
    nslab::UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    raw = fd.get();
    ASSERT_TRUE(is_open(raw));
  }
  EXPECT_FALSE(is_open(raw));
}

TEST(UniqueFd, MoveTransfersOwnership) {
  nslab::UniqueFd first(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int raw = first.get();
  nslab::UniqueFd second(std::move(first));
  EXPECT_FALSE(first.valid());
  EXPECT_EQ(second.get(), raw);
  EXPECT_TRUE(is_open(raw));
}

TEST(UniqueFd, ReleaseGivesUpOwnership) {
  int raw = -1;
  {
    nslab::UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    raw = fd.release();
  }
  EXPECT_TRUE(is_open(raw));
  ::close(raw);
}

TEST(UniqueFd, IsMoveOnlyWithNoImplicitInt) {
  static_assert(!std::is_copy_constructible_v<nslab::UniqueFd>);
  static_assert(!std::is_convertible_v<nslab::UniqueFd, int>);
  static_assert(!std::is_convertible_v<int, nslab::UniqueFd>);
  SUCCEED();
}

TEST(Pipe, BothEndsAreCloseOnExec) {
  const nslab::Pipe pipe = nslab::make_pipe();
  EXPECT_TRUE(::fcntl(pipe.read_end.get(), F_GETFD) & FD_CLOEXEC);
  EXPECT_TRUE(::fcntl(pipe.write_end.get(), F_GETFD) & FD_CLOEXEC);
}

} // namespace
