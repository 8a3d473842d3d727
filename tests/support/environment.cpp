#include "support/environment.hpp"

#include <memory>

namespace llamachat::test {

util::Environment map_environment(Variables vars) {
  auto shared = std::make_shared<const Variables>(std::move(vars));
  return [shared](std::string_view name) -> std::optional<std::string> {
    const auto it = shared->find(std::string(name));
    if (it == shared->end()) return std::nullopt;
    return it->second;
  };
}

util::Environment isolated_aws_environment(const std::filesystem::path& home, Variables vars) {
  vars.emplace("HOME", home.string());
  vars.emplace("AWS_CONFIG_FILE", (home / "config").string());
  vars.emplace("AWS_SHARED_CREDENTIALS_FILE", (home / "credentials").string());
  return map_environment(std::move(vars));
}

}  // namespace llamachat::test
