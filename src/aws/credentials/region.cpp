#include "aws/credentials/region.hpp"

#include "aws/credentials/profile_file.hpp"

namespace llamachat::aws::credentials {

std::optional<std::string> resolve_region(const util::Environment& env) {
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (auto value = env(name); value && !value->empty()) return value;
  }
  const LoadedProfile profile = load_profile(locate_profile(env));
  for (const Profile* section : {&profile.config, &profile.credentials}) {
    if (auto it = section->find("region"); it != section->end() && !it->second.empty()) return it->second;
  }
  return std::nullopt;
}

}  // namespace llamachat::aws::credentials
