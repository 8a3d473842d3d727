#pragma once
// A fixed environment for tests: a map of variables instead of the process environment.
#include <filesystem>
#include <map>
#include <string>

#include "util/environment.hpp"

namespace llamachat::test {

using Variables = std::map<std::string, std::string>;

// An Environment over a copy of `vars`; cheap to copy, safe to call from any thread.
util::Environment map_environment(Variables vars);

// An environment in which HOME is `home` and the AWS shared config and credentials files are `home`/config and
// `home`/credentials (they need not exist), so that no developer's ~/.aws reaches a test. `vars` come on top
// and win over these three.
util::Environment isolated_aws_environment(const std::filesystem::path& home, Variables vars = {});

}  // namespace llamachat::test
