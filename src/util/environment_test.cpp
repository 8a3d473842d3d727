#include "util/environment.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace llamachat::util {
namespace {

// The one test that touches the real environment: it sets a variable of its own and removes it again.
TEST(ProcessEnvironment, ReadsSetEmptyAndUnsetVariables) {
  constexpr const char* kName = "LLAMACHAT_ENVIRONMENT_TEST_VARIABLE";
  const Environment env = process_environment();
  ::unsetenv(kName);
  EXPECT_EQ(env(kName), std::nullopt);
  ::setenv(kName, "", 1);
  EXPECT_EQ(env(kName), "");
  ::setenv(kName, "a value", 1);
  EXPECT_EQ(env(kName), "a value");  // read at the call, not when the Environment was made
  ::unsetenv(kName);
}

}  // namespace
}  // namespace llamachat::util
