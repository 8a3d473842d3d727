#include "guard/cors.hpp"

#include "util/strings.hpp"

namespace llamachat::guard {

std::variant<CorsPolicy, std::string> CorsPolicy::parse(std::string_view list) {
  CorsPolicy policy;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view origin = util::trim(list.substr(0, comma), util::http_whitespace);
    if (!origin.empty()) {
      const std::size_t scheme_end = origin.find("://");
      const bool web_scheme = origin.starts_with("http://") || origin.starts_with("https://");
      const bool has_path =
          scheme_end != std::string_view::npos && origin.find('/', scheme_end + 3) != std::string_view::npos;
      if (!web_scheme || has_path || origin.size() == scheme_end + 3)
        return "'" + std::string(origin) + "' is not an origin (scheme://host[:port], e.g. https://app.example.com)";
      policy.origins_.push_back(util::to_lower(origin));
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return policy;
}

bool CorsPolicy::allows(std::string_view origin) const noexcept {
  for (const auto& listed : origins_)
    if (util::iequals(listed, origin)) return true;
  return false;
}

}  // namespace llamachat::guard
