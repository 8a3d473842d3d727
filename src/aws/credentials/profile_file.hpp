#pragma once
// The shared AWS config and credentials files: a pure INI parser plus the file lookup rules.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "aws/credentials/provider.hpp"

namespace llamachat::aws::credentials {

using Profile = std::map<std::string, std::string, std::less<>>;  // key -> value, as written
using ProfileMap = std::map<std::string, Profile, std::less<>>;   // profile name -> properties

enum class ProfileFileKind {
  config,       // [default], [profile name]; other sections ([sso-session x], [services x], [x]) are ignored
  credentials,  // [name]; "[profile name]" is not special here
};

// Parses one file. Rules (those the SDKs share):
// - "#" or ";" at the start of a line or after whitespace starts a comment;
// - section names and "key = value" pairs are trimmed; a later duplicate key or section merges/overrides;
// - an indented line continues the previous property (sub-properties such as "s3 =\n  max_concurrent = 1"),
//   appended to its value after a "\n";
// - lines before the first section and lines without "=" are ignored.
// Never throws except std::bad_alloc.
ProfileMap parse_profile_file(std::string_view text, ProfileFileKind kind);

struct ProfileLocation {
  std::filesystem::path config_file;       // AWS_CONFIG_FILE, else ~/.aws/config
  std::filesystem::path credentials_file;  // AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials
  std::string profile = "default";         // AWS_PROFILE, else "default"
  bool profile_from_env = false;
};
// "~/" in the variables is expanded with HOME. Empty paths when HOME is needed but unset.
ProfileLocation locate_profile(const util::Environment& env);

struct LoadedProfile {
  Profile config;       // the profile's section(s) from the config file
  Profile credentials;  // the profile's section from the credentials file
  bool found = false;   // the profile exists in at least one file
  // credentials-file value, else config-file value
  std::optional<std::string> get(std::string_view key) const;
};
// Reads both files (absent files count as empty; unreadable ones too) and returns the selected profile.
LoadedProfile load_profile(const ProfileLocation& where);

}  // namespace llamachat::aws::credentials
