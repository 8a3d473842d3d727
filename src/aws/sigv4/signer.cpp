#include "aws/sigv4/signer.hpp"

#include <algorithm>
#include <array>
#include <span>
#include <utility>

#include "util/clock.hpp"
#include "util/hex.hpp"
#include "util/percent_encoding.hpp"
#include "util/strings.hpp"

namespace llamachat::aws::sigv4 {
namespace {

constexpr std::string_view kTerminator = "aws4_request";

// Resolves "", "." and ".." segments; only a literal '/' separates segments.
std::string normalize(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    const std::size_t slash = std::min(path.find('/', pos), path.size());
    const std::string_view seg = path.substr(pos, slash - pos);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    pos = slash + 1;
  }
  std::string out = "/";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += '/';
    out += segments[i];
  }
  if (!segments.empty() && path.ends_with('/')) out += '/';
  return out;
}

const Header* find_header(const std::vector<Header>& headers, std::string_view name) noexcept {
  for (const Header& h : headers)
    if (util::iequals(h.name, name)) return &h;
  return nullptr;
}

bool is_amz_date(std::string_view s) noexcept {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return false;
  for (std::size_t i = 0; i < 15; ++i)
    if (i != 8 && (s[i] < '0' || s[i] > '9')) return false;
  return true;
}

bool is_lower_hex(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t next = s.find(sep, pos);
    out.push_back(s.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos));
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return out;
}

Verification fail(std::string code, std::string reason, std::string canonical = {}) {
  Verification v;
  v.error_code = std::move(code);
  v.reason = std::move(reason);
  v.expected_canonical_request = std::move(canonical);
  return v;
}

// True when normalize() would change `path`: no leading "/", an empty, "." or ".." segment.
bool needs_normalization(std::string_view path) noexcept {
  if (path.empty() || path.front() != '/') return true;
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t slash = std::min(path.find('/', start), path.size());
    const std::string_view seg = path.substr(start, slash - start);
    // An empty last segment is the trailing "/", which normalize() keeps.
    if ((seg.empty() && slash != path.size()) || seg == "." || seg == "..") return true;
    start = slash + 1;
  }
  return false;
}

}  // namespace

std::string canonical_uri(std::string_view wire_path, bool double_encode, bool normalize_path) {
  if (wire_path.empty()) wire_path = "/";
  // Bedrock's paths are already normal: skip building the segment list.
  if (!normalize_path || !needs_normalization(wire_path))
    return util::percent_encode(wire_path, double_encode ? "/" : "/%");
  std::string path = normalize(wire_path);
  // Double encoding re-encodes '%' too; single encoding trusts the escapes already on the wire and only fixes up
  // bytes that were sent raw.
  return util::percent_encode(path, double_encode ? "/" : "/%");
}

std::string canonical_query(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const std::string_view part : split(raw_query, '&')) {
    if (part.empty()) continue;
    const std::size_t eq = part.find('=');
    const std::string_view key = part.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
    pairs.emplace_back(util::percent_encode(util::percent_decode(key)),
                       util::percent_encode(util::percent_decode(value)));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [key, value] : pairs) {
    if (!out.empty()) out += '&';
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

bool is_unsigned_header(std::string_view lower_name) noexcept {
  // botocore's list (expect, transfer-encoding, user-agent, x-amzn-trace-id) plus the hop-by-hop headers that
  // proxies may add, drop or rewrite (the JS SDK and aws-c-auth skip these too), and authorization itself.
  static constexpr std::array<std::string_view, 12> kNames = {
      "authorization", "connection",        "expect",  "keep-alive", "proxy-authorization", "proxy-connection", "te",
      "trailer",       "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id"};
  return std::find(kNames.begin(), kNames.end(), lower_name) != kNames.end();
}

void append_canonical_header_value(std::string& out, std::string_view value) {
  value = util::trim(value, util::line_whitespace);
  bool in_space = false;
  std::size_t run = 0;  // start of the characters not yet copied
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (util::is_in(value[i], util::line_whitespace)) {
      if (!in_space) out.append(value, run, i - run);
      in_space = true;
      continue;
    }
    if (in_space) {
      out += ' ';
      run = i;
    }
    in_space = false;
  }
  out.append(value, run, std::string_view::npos);
}

namespace {

struct HeaderView {
  std::string_view name, value;
};

// canonical_headers() over views, so that sign() copies no header.
CanonicalHeaders canonical_headers_of(std::span<const HeaderView> headers,
                                      const std::vector<std::string>& signed_names) {
  struct Entry {
    std::string_view name;  // lower case: the header's own name, or one in `lowered`
    std::string_view value;
  };
  std::vector<std::string> lowered;
  lowered.reserve(headers.size());  // never reallocates: entries point into it
  std::vector<Entry> entries;
  entries.reserve(headers.size());
  for (const HeaderView& h : headers) {
    std::string_view name = util::trim(h.name, util::line_whitespace);
    if (std::any_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      lowered.push_back(util::to_lower(name));
      name = lowered.back();
    }
    const bool include = signed_names.empty()
                             ? !is_unsigned_header(name)
                             : std::find(signed_names.begin(), signed_names.end(), name) != signed_names.end();
    if (include) entries.push_back({name, h.value});
  }
  // Stable: repeated names keep their order of appearance when joined.
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
  CanonicalHeaders out;
  std::size_t block_size = 0, names_size = 0;
  for (const Entry& e : entries) {
    block_size += e.name.size() + e.value.size() + 2;
    names_size += e.name.size() + 1;
  }
  out.block.reserve(block_size);
  out.signed_headers.reserve(names_size);
  for (std::size_t i = 0; i < entries.size();) {
    const std::string_view name = entries[i].name;
    out.block += name;
    out.block += ':';
    append_canonical_header_value(out.block, entries[i].value);
    std::size_t j = i + 1;
    for (; j < entries.size() && entries[j].name == name; ++j) {
      out.block += ',';
      append_canonical_header_value(out.block, entries[j].value);
    }
    out.block += '\n';
    if (!out.signed_headers.empty()) out.signed_headers += ';';
    out.signed_headers += name;
    i = j;
  }
  return out;
}

}  // namespace

CanonicalHeaders canonical_headers(const std::vector<Header>& headers, const std::vector<std::string>& signed_names) {
  std::vector<HeaderView> views;
  views.reserve(headers.size());
  for (const Header& h : headers) views.push_back({h.name, h.value});
  return canonical_headers_of(views, signed_names);
}

std::string canonical_request(std::string_view method, std::string_view canonical_uri, std::string_view canonical_query,
                              const CanonicalHeaders& headers, std::string_view payload_hash) {
  std::string out;
  out.reserve(method.size() + canonical_uri.size() + canonical_query.size() + headers.block.size() +
              headers.signed_headers.size() + payload_hash.size() + 8);
  out.append(method).append("\n");
  out.append(canonical_uri).append("\n");
  out.append(canonical_query).append("\n");
  out.append(headers.block).append("\n");
  out.append(headers.signed_headers).append("\n");
  out.append(payload_hash);
  return out;
}

std::string credential_scope(std::string_view date_yyyymmdd, std::string_view region, std::string_view service) {
  std::string out;
  out.reserve(date_yyyymmdd.size() + region.size() + service.size() + kTerminator.size() + 3);
  out.append(date_yyyymmdd).append("/").append(region).append("/").append(service).append("/").append(kTerminator);
  return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view credential_scope,
                           std::string_view canonical_request) {
  std::string out;
  out.reserve(kAlgorithm.size() + amz_date.size() + credential_scope.size() + 64 + 3);
  out.append(kAlgorithm).append("\n");
  out.append(amz_date).append("\n");
  out.append(credential_scope).append("\n");
  const util::Sha256Digest digest = util::sha256(canonical_request);
  const std::size_t at = out.size();
  out.resize(at + 2 * digest.size());
  util::to_hex(digest, out.data() + at);
  return out;
}

util::Sha256Digest derive_signing_key(std::string_view secret, std::string_view date_yyyymmdd, std::string_view region,
                                      std::string_view service) {
  std::string seed = "AWS4";
  seed.append(secret);
  const util::Sha256Digest k_date = util::hmac_sha256(seed, date_yyyymmdd);
  std::fill(seed.begin(), seed.end(), '\0');  // do not leave the secret copy behind in freed memory
  const util::Sha256Digest k_region = util::hmac_sha256(k_date, region);
  const util::Sha256Digest k_service = util::hmac_sha256(k_region, service);
  return util::hmac_sha256(k_service, kTerminator);
}

namespace {

// The signing key changes only with the day, the region, the service and the secret: sign() derives it
// once per thread for each combination in turn (4 HMACs saved on every other request).
const util::Sha256Digest& cached_signing_key(std::string_view secret, std::string_view date, std::string_view region,
                                             std::string_view service) {
  struct Entry {
    std::string secret, date, region, service;
    util::Sha256Digest key{};
    bool valid = false;
    ~Entry() { std::fill(secret.begin(), secret.end(), '\0'); }
  };
  thread_local Entry entry;
  if (!entry.valid || entry.date != date || entry.region != region || entry.service != service ||
      entry.secret.size() != secret.size() || !util::constant_time_equal(entry.secret, secret)) {
    std::fill(entry.secret.begin(), entry.secret.end(), '\0');
    entry.secret.assign(secret);
    entry.date.assign(date);
    entry.region.assign(region);
    entry.service.assign(service);
    entry.key = derive_signing_key(secret, date, region, service);
    entry.valid = true;
  }
  return entry.key;
}

}  // namespace

std::string signature(const util::Sha256Digest& signing_key, std::string_view string_to_sign) {
  return util::to_hex(util::hmac_sha256(signing_key, string_to_sign));
}

SigningResult sign(const Request& request, const aws::Credentials& credentials, const SigningParams& params) {
  const std::string amz_date = util::format_amz_date(params.time);
  const std::string_view date = std::string_view(amz_date).substr(0, 8);
  const bool has_token = !credentials.session_token.empty();
  char payload_hex[64];
  std::string_view payload_hash;
  if (params.payload_hash) {
    payload_hash = *params.payload_hash;
  } else {
    util::to_hex(util::sha256(request.payload), payload_hex);
    payload_hash = std::string_view(payload_hex, sizeof payload_hex);
  }

  // Headers this signer owns are replaced, never signed twice. Views: nothing is copied to sign it.
  std::vector<HeaderView> to_sign;
  to_sign.reserve(request.headers.size() + 3);
  for (const Header& h : request.headers) {
    const std::string_view name = util::trim(h.name, util::line_whitespace);
    if (util::iequals(name, "x-amz-date") || util::iequals(name, "authorization") ||
        (has_token && util::iequals(name, "x-amz-security-token")) ||
        (params.add_content_sha256_header && util::iequals(name, "x-amz-content-sha256")))
      continue;
    to_sign.push_back({h.name, h.value});
  }
  SigningResult result;
  result.headers_to_add.reserve(4);
  result.headers_to_add.push_back({"x-amz-date", amz_date});
  to_sign.push_back({"x-amz-date", amz_date});
  if (has_token) {
    result.headers_to_add.push_back({"x-amz-security-token", credentials.session_token});
    if (params.sign_session_token) to_sign.push_back({"x-amz-security-token", credentials.session_token});
  }
  if (params.add_content_sha256_header) {
    result.headers_to_add.push_back({"x-amz-content-sha256", std::string(payload_hash)});
    to_sign.push_back({"x-amz-content-sha256", payload_hash});
  }

  CanonicalHeaders headers = canonical_headers_of(to_sign, {});
  result.canonical_request =
      canonical_request(request.method, canonical_uri(request.path, params.double_encode_path, params.normalize_path),
                        canonical_query(request.query), headers, payload_hash);
  const std::string scope = credential_scope(date, params.region, params.service);
  result.string_to_sign = string_to_sign(amz_date, scope, result.canonical_request);
  result.signature = signature(cached_signing_key(credentials.secret_access_key, date, params.region, params.service),
                               result.string_to_sign);
  result.signed_headers = std::move(headers.signed_headers);
  result.authorization.reserve(kAlgorithm.size() + credentials.access_key_id.size() + scope.size() +
                               result.signed_headers.size() + result.signature.size() + 40);
  result.authorization.append(kAlgorithm)
      .append(" Credential=")
      .append(credentials.access_key_id)
      .append("/")
      .append(scope)
      .append(", SignedHeaders=")
      .append(result.signed_headers)
      .append(", Signature=")
      .append(result.signature);
  result.headers_to_add.push_back({"authorization", result.authorization});
  return result;
}

std::optional<ParsedAuthorization> parse_authorization(std::string_view value) {
  value = util::trim(value, util::line_whitespace);
  if (!value.starts_with(kAlgorithm)) return std::nullopt;
  value.remove_prefix(kAlgorithm.size());
  if (value.empty() || (value.front() != ' ' && value.front() != '\t')) return std::nullopt;
  value = util::trim(value, util::line_whitespace);

  std::optional<std::string_view> credential, signed_headers, signature_hex;
  for (std::string_view part : split(value, ',')) {
    part = util::trim(part, util::line_whitespace);
    const std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view key = part.substr(0, eq);
    const std::string_view val = part.substr(eq + 1);
    std::optional<std::string_view>* slot = key == "Credential"      ? &credential
                                            : key == "SignedHeaders" ? &signed_headers
                                            : key == "Signature"     ? &signature_hex
                                                                     : nullptr;
    if (slot == nullptr || slot->has_value()) return std::nullopt;
    *slot = val;
  }
  if (!credential || !signed_headers || !signature_hex) return std::nullopt;

  const std::vector<std::string_view> scope = split(*credential, '/');
  if (scope.size() != 5 || scope[4] != kTerminator) return std::nullopt;
  for (const std::string_view s : scope)
    if (s.empty()) return std::nullopt;
  if (scope[1].size() != 8 ||
      !std::all_of(scope[1].begin(), scope[1].end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  if (signature_hex->size() != 64 || !is_lower_hex(*signature_hex)) return std::nullopt;

  ParsedAuthorization out;
  out.access_key_id = scope[0];
  out.date = scope[1];
  out.region = scope[2];
  out.service = scope[3];
  out.signature = *signature_hex;
  for (const std::string_view name : split(*signed_headers, ';')) {
    if (name.empty()) return std::nullopt;
    for (const char c : name)
      if ((c >= 'A' && c <= 'Z') || util::is_in(c, util::line_whitespace) || c == ',' ||
          static_cast<unsigned char>(c) < 0x20)
        return std::nullopt;
    out.signed_headers.emplace_back(name);
  }
  return out;
}

Verification verify(const Request& received, std::string_view access_key_id, std::string_view secret_access_key,
                    std::string_view expected_service, std::string_view expected_region) {
  const Header* authorization = find_header(received.headers, "authorization");
  if (authorization == nullptr) return fail("MissingAuthenticationTokenException", "Missing Authentication Token");
  const std::optional<ParsedAuthorization> auth = parse_authorization(authorization->value);
  if (!auth)
    return fail("IncompleteSignatureException", "malformed Authorization header (expected " + std::string(kAlgorithm) +
                                                    " Credential=..., SignedHeaders=..., Signature=...)");
  if (!util::constant_time_equal(auth->access_key_id, access_key_id))
    return fail("UnrecognizedClientException", "The security token included in the request is invalid.");

  const Header* date_header = find_header(received.headers, "x-amz-date");
  if (date_header == nullptr) return fail("IncompleteSignatureException", "X-Amz-Date header is missing");
  const std::string_view amz_date = util::trim(date_header->value, util::line_whitespace);
  if (!is_amz_date(amz_date)) return fail("IncompleteSignatureException", "X-Amz-Date is not YYYYMMDDTHHMMSSZ");

  const auto is_signed = [&](std::string_view name) {
    return std::find(auth->signed_headers.begin(), auth->signed_headers.end(), name) != auth->signed_headers.end();
  };
  if (!is_signed("host") && !is_signed(":authority"))
    return fail("IncompleteSignatureException", "'Host' or ':authority' must be a SignedHeader");
  if (!is_signed("x-amz-date")) return fail("IncompleteSignatureException", "'X-Amz-Date' must be a SignedHeader");

  if (auth->date != amz_date.substr(0, 8))
    return fail("InvalidSignatureException", "Date in Credential scope does not match YYYYMMDD from X-Amz-Date");
  if (auth->service != expected_service)
    return fail("InvalidSignatureException",
                "Credential should be scoped to correct service: '" + std::string(expected_service) + "'");
  if (!expected_region.empty() && auth->region != expected_region)
    return fail("InvalidSignatureException",
                "Credential should be scoped to a valid region: '" + std::string(expected_region) + "'");
  for (const std::string& name : auth->signed_headers)
    if (find_header(received.headers, name) == nullptr)
      return fail("InvalidSignatureException", "signed header '" + name + "' is not in the request");

  const CanonicalHeaders headers = canonical_headers(received.headers, auth->signed_headers);
  std::string canonical =
      canonical_request(received.method, canonical_uri(received.path, true, true), canonical_query(received.query),
                        headers, util::sha256_hex(received.payload));
  const std::string scope = credential_scope(auth->date, auth->region, auth->service);
  const std::string expected = signature(derive_signing_key(secret_access_key, auth->date, auth->region, auth->service),
                                         string_to_sign(amz_date, scope, canonical));
  if (!util::constant_time_equal(expected, auth->signature))
    return fail("InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided.", std::move(canonical));
  Verification ok;
  ok.ok = true;
  ok.expected_canonical_request = std::move(canonical);
  return ok;
}

}  // namespace llamachat::aws::sigv4
