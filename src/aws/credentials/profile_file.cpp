#include "aws/credentials/profile_file.hpp"

#include <fstream>
#include <iterator>
#include <sstream>

#include "util/strings.hpp"

namespace llamachat::aws::credentials {
namespace {

// Lines are split at LF first, so within a line this is the INI whitespace SP, HTAB, CR, FF, VT.
constexpr bool is_space(char c) noexcept { return util::is_in(c, util::ascii_whitespace); }

// Drops a comment: '#' or ';' at the start or right after whitespace.
std::string_view strip_comment(std::string_view line) noexcept {
  for (std::size_t i = 0; i < line.size(); ++i) {
    if ((line[i] == '#' || line[i] == ';') && (i == 0 || is_space(line[i - 1]))) return line.substr(0, i);
  }
  return line;
}

// Maps a section header's inner text to a profile name, or nullopt when the section is not a profile.
std::optional<std::string> profile_name(std::string_view section, ProfileFileKind kind) {
  section = util::trim(section, util::ascii_whitespace);
  if (kind == ProfileFileKind::credentials) {
    if (section.empty()) return std::nullopt;
    return std::string(section);
  }
  if (section == "default") return std::string("default");
  constexpr std::string_view prefix = "profile";
  if (section.size() > prefix.size() && section.substr(0, prefix.size()) == prefix &&
      is_space(section[prefix.size()])) {
    std::string_view name = util::trim(section.substr(prefix.size()), util::ascii_whitespace);
    if (!name.empty()) return std::string(name);
  }
  return std::nullopt;
}

std::string expand_home(std::string path, const util::Environment& env) {
  if (path == "~" || path.rfind("~/", 0) == 0) {
    auto home = env("HOME");
    if (!home || home->empty()) return {};
    return *home + path.substr(1);
  }
  return path;
}

std::optional<std::string> read_text(const std::filesystem::path& path) {
  if (path.empty()) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

ProfileMap parse_profile_file(std::string_view text, ProfileFileKind kind) {
  ProfileMap result;
  Profile* current = nullptr;  // nullptr: before the first section or inside a non-profile section
  std::string* last_value = nullptr;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view raw = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);

    const bool indented = !raw.empty() && is_space(raw.front());
    const std::string_view line = util::trim(strip_comment(raw), util::ascii_whitespace);
    if (line.empty()) continue;

    if (line.front() == '[' && !indented) {
      last_value = nullptr;
      const std::size_t close = line.find(']');
      current = nullptr;
      if (close == std::string_view::npos) continue;  // malformed header: ignore its section
      if (auto name = profile_name(line.substr(1, close - 1), kind)) current = &result[*name];
      continue;
    }
    if (!current) continue;
    if (indented && last_value) {
      last_value->append("\n").append(line);
      continue;
    }
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      last_value = nullptr;
      continue;
    }
    const std::string_view key = util::trim(line.substr(0, eq), util::ascii_whitespace);
    if (key.empty()) {
      last_value = nullptr;
      continue;
    }
    std::string& slot = (*current)[std::string(key)];
    slot = std::string(util::trim(line.substr(eq + 1), util::ascii_whitespace));
    last_value = &slot;
  }
  return result;
}

ProfileLocation locate_profile(const util::Environment& env) {
  ProfileLocation where;
  auto config = env("AWS_CONFIG_FILE");
  where.config_file = expand_home(config && !config->empty() ? *config : std::string("~/.aws/config"), env);
  auto creds = env("AWS_SHARED_CREDENTIALS_FILE");
  where.credentials_file = expand_home(creds && !creds->empty() ? *creds : std::string("~/.aws/credentials"), env);
  if (auto profile = env("AWS_PROFILE"); profile && !profile->empty()) {
    where.profile = *profile;
    where.profile_from_env = true;
  }
  return where;
}

std::optional<std::string> LoadedProfile::get(std::string_view key) const {
  if (auto it = credentials.find(key); it != credentials.end()) return it->second;
  if (auto it = config.find(key); it != config.end()) return it->second;
  return std::nullopt;
}

LoadedProfile load_profile(const ProfileLocation& where) {
  LoadedProfile loaded;
  if (auto text = read_text(where.config_file)) {
    auto profiles = parse_profile_file(*text, ProfileFileKind::config);
    if (auto it = profiles.find(where.profile); it != profiles.end()) {
      loaded.config = std::move(it->second);
      loaded.found = true;
    }
  }
  if (auto text = read_text(where.credentials_file)) {
    auto profiles = parse_profile_file(*text, ProfileFileKind::credentials);
    if (auto it = profiles.find(where.profile); it != profiles.end()) {
      loaded.credentials = std::move(it->second);
      loaded.found = true;
    }
  }
  return loaded;
}

}  // namespace llamachat::aws::credentials
