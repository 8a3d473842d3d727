#include "auth.hpp"

#include <algorithm>

#include "util/clock.hpp"
#include "util/strings.hpp"

namespace llamachat::emulator {
namespace sigv4 = aws::sigv4;
namespace {

const sigv4::Header* find_header(const sigv4::Request& request, std::string_view name) noexcept {
  for (const auto& h : request.headers)
    if (util::iequals(h.name, name)) return &h;
  return nullptr;
}

AuthResult fail(std::string code, std::string message) {
  return AuthResult{false, std::move(code), std::move(message)};
}

constexpr std::string_view kMismatch =
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access "
    "Key and signing method. Consult the service documentation for details.";

}  // namespace

bool parse_amz_date(std::string_view text, std::chrono::system_clock::time_point& out) noexcept {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return false;
  // Reuse the ISO 8601 parser: "YYYYMMDDTHHMMSSZ" -> "YYYY-MM-DDTHH:MM:SSZ".
  char iso[21];
  const std::string_view t = text;
  const std::size_t layout[][3] = {{0, 0, 4}, {5, 4, 2}, {8, 6, 2}, {11, 9, 2}, {14, 11, 2}, {17, 13, 2}};
  iso[4] = '-';
  iso[7] = '-';
  iso[10] = 'T';
  iso[13] = ':';
  iso[16] = ':';
  iso[19] = 'Z';
  iso[20] = '\0';
  for (const auto& [to, from, n] : layout) {
    for (std::size_t i = 0; i < n; ++i) {
      const char c = t[from + i];
      if (c < '0' || c > '9') return false;
      iso[to + i] = c;
    }
  }
  return util::parse_iso8601(std::string_view(iso, 20), out);
}

AuthResult check_auth(const sigv4::Request& request, const AuthSettings& settings,
                      std::chrono::system_clock::time_point now) {
  const sigv4::Verification v =
      sigv4::verify(request, settings.access_key_id, settings.secret_access_key, settings.service, settings.region);
  if (!v.ok) {
    if (v.error_code == "InvalidSignatureException" && v.reason.starts_with("The request signature we calculated")) {
      std::string message(kMismatch);
      if (!v.expected_canonical_request.empty()) {
        message +=
            "\n\nThe Canonical String for this request should have been\n'" + v.expected_canonical_request + "'\n";
      }
      return fail(v.error_code, std::move(message));
    }
    return fail(v.error_code.empty() ? "InvalidSignatureException" : v.error_code, v.reason);
  }

  const sigv4::Header* date = find_header(request, "x-amz-date");
  std::chrono::system_clock::time_point signed_at;
  if (date == nullptr || !parse_amz_date(date->value, signed_at)) {
    return fail("IncompleteSignatureException", "X-Amz-Date is missing or malformed.");
  }
  const auto skew = std::chrono::duration_cast<std::chrono::seconds>(settings.max_skew);
  const std::string minutes = std::to_string(skew.count() / 60);
  if (signed_at < now - skew) {
    return fail("InvalidSignatureException", "Signature expired: " + std::string(date->value) +
                                                 " is now earlier than " + util::format_amz_date(now - skew) + " (" +
                                                 util::format_amz_date(now) + " - " + minutes + " min.)");
  }
  if (signed_at > now + skew) {
    return fail("InvalidSignatureException", "Signature not yet current: " + std::string(date->value) +
                                                 " is still later than " + util::format_amz_date(now + skew) + " (" +
                                                 util::format_amz_date(now) + " + " + minutes + " min.)");
  }

  if (find_header(request, "x-amz-security-token") != nullptr) {
    const sigv4::Header* authorization = find_header(request, "authorization");
    const auto parsed = sigv4::parse_authorization(authorization->value);
    const bool token_signed = parsed && std::find(parsed->signed_headers.begin(), parsed->signed_headers.end(),
                                                  "x-amz-security-token") != parsed->signed_headers.end();
    if (!token_signed) {
      return fail("InvalidSignatureException", "The X-Amz-Security-Token header must be signed.");
    }
  }
  return AuthResult{true, {}, {}};
}

}  // namespace llamachat::emulator
