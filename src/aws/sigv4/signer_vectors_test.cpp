// Runs the signer over every SigV4 vector in the shared folder (aws-c-auth v4, botocore's legacy suite,
// smithy-rs extras, oracle-bedrock) and over our own oracle-generated fixtures in tests/fixtures/sigv4/.
// The case list comes from manifest.json / index.json so a case that disappears is noticed, not skipped.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aws/sigv4/signer.hpp"
#include "support/shared_dir.hpp"
#include "util/clock.hpp"
#include "util/strings.hpp"

namespace llamachat::aws::sigv4 {
namespace {

namespace fs = std::filesystem;
using test::read_file;

// ---------------------------------------------------------------------------------------------------------------
// Minimal JSON reader: the test executable links only this module, and the vector files need no more than this.

struct Json {
  enum class Kind { null, boolean, number, string, array, object } kind = Kind::null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Json> array;
  std::vector<std::pair<std::string, Json>> object;

  const Json* get(std::string_view key) const {
    for (const auto& [k, v] : object)
      if (k == key) return &v;
    return nullptr;
  }
  std::string str(std::string_view key, std::string fallback = {}) const {
    const Json* v = get(key);
    return v && v->kind == Kind::string ? v->string : fallback;
  }
  bool flag(std::string_view key, bool fallback) const {
    const Json* v = get(key);
    return v && v->kind == Kind::boolean ? v->boolean : fallback;
  }
};

class JsonReader {
 public:
  explicit JsonReader(std::string_view in) : in_(in) {}

  std::optional<Json> parse() {
    Json v;
    if (!value(v)) return std::nullopt;
    skip_ws();
    if (pos_ != in_.size()) return std::nullopt;
    return v;
  }

 private:
  void skip_ws() {
    while (pos_ < in_.size() && (in_[pos_] == ' ' || in_[pos_] == '\n' || in_[pos_] == '\r' || in_[pos_] == '\t'))
      ++pos_;
  }
  bool literal(std::string_view word) {
    if (in_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  bool hex4(unsigned& out) {
    if (pos_ + 4 > in_.size()) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = in_[pos_++];
      out <<= 4;
      if (c >= '0' && c <= '9')
        out |= unsigned(c - '0');
      else if (c >= 'a' && c <= 'f')
        out |= unsigned(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        out |= unsigned(c - 'A' + 10);
      else
        return false;
    }
    return true;
  }
  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }
  bool string(std::string& out) {
    if (pos_ >= in_.size() || in_[pos_] != '"') return false;
    ++pos_;
    while (pos_ < in_.size()) {
      const char c = in_[pos_++];
      if (c == '"') return true;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= in_.size()) return false;
      const char e = in_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00) {
            unsigned lo = 0;
            if (!literal("\\u") || !hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default: return false;
      }
    }
    return false;
  }
  bool value(Json& v) {
    skip_ws();
    if (pos_ >= in_.size()) return false;
    const char c = in_[pos_];
    if (c == '{') {
      v.kind = Json::Kind::object;
      ++pos_;
      skip_ws();
      if (pos_ < in_.size() && in_[pos_] == '}') return ++pos_, true;
      while (true) {
        skip_ws();
        std::string key;
        if (!string(key)) return false;
        skip_ws();
        if (!literal(":")) return false;
        Json member;
        if (!value(member)) return false;
        v.object.emplace_back(std::move(key), std::move(member));
        skip_ws();
        if (literal(",")) continue;
        return literal("}");
      }
    }
    if (c == '[') {
      v.kind = Json::Kind::array;
      ++pos_;
      skip_ws();
      if (pos_ < in_.size() && in_[pos_] == ']') return ++pos_, true;
      while (true) {
        Json item;
        if (!value(item)) return false;
        v.array.push_back(std::move(item));
        skip_ws();
        if (literal(",")) continue;
        return literal("]");
      }
    }
    if (c == '"') {
      v.kind = Json::Kind::string;
      return string(v.string);
    }
    if (literal("true")) return v.kind = Json::Kind::boolean, v.boolean = true, true;
    if (literal("false")) return v.kind = Json::Kind::boolean, v.boolean = false, true;
    if (literal("null")) return v.kind = Json::Kind::null, true;
    const std::size_t start = pos_;
    while (pos_ < in_.size() && std::string_view("+-0123456789.eE").find(in_[pos_]) != std::string_view::npos) ++pos_;
    if (start == pos_) return false;
    v.kind = Json::Kind::number;
    v.number = std::stod(std::string(in_.substr(start, pos_ - start)));
    return true;
  }

  std::string_view in_;
  std::size_t pos_ = 0;
};

Json load_json(const fs::path& path) {
  std::optional<Json> j = JsonReader(read_file(path)).parse();
  EXPECT_TRUE(j.has_value()) << "invalid JSON: " << path;
  return j.value_or(Json{});
}

// ---------------------------------------------------------------------------------------------------------------
// Requests written as HTTP/1.1 text (aws-c-auth request.txt, legacy .req/.sreq).

struct TextRequest {
  std::string method, path, query;
  std::vector<Header> headers;
  std::string body;

  Request view() const { return Request{method, path, query, headers, body}; }
  std::optional<std::string> header(std::string_view name) const {
    for (const Header& h : headers) {
      if (!util::iequals(h.name, name)) continue;
      // "Name: value" in some files, "Name:value" in others.
      return std::string(util::trim(h.value, util::http_whitespace));
    }
    return std::nullopt;
  }
};

TextRequest parse_http_text(std::string text) {
  std::erase(text, '\r');
  TextRequest out;
  std::size_t pos = 0;
  const auto next_line = [&](std::string_view& line) {
    if (pos >= text.size()) return false;
    const std::size_t nl = text.find('\n', pos);
    line = std::string_view(text).substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    return true;
  };
  std::string_view line;
  if (!next_line(line)) return out;
  // The target may contain a raw space (get-space-*), so cut the protocol off the end, not at the next space.
  const std::size_t sp = line.find(' ');
  out.method = std::string(line.substr(0, sp));
  std::string_view target = line.substr(sp + 1);
  if (const std::size_t proto = target.rfind(" HTTP/"); proto != std::string_view::npos)
    target = target.substr(0, proto);
  const std::size_t q = target.find('?');
  out.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) out.query = std::string(target.substr(q + 1));
  while (next_line(line)) {
    if (line.empty()) {
      out.body = text.substr(pos);
      break;
    }
    if ((line.front() == ' ' || line.front() == '\t') && !out.headers.empty()) {
      out.headers.back().value += '\n';  // obs-fold kept as is: the signer treats it as whitespace
      out.headers.back().value += line;
      continue;
    }
    const std::size_t colon = line.find(':');
    out.headers.push_back({std::string(line.substr(0, colon)), std::string(line.substr(colon + 1))});
  }
  return out;
}

std::chrono::system_clock::time_point iso_time(const std::string& text) {
  std::chrono::system_clock::time_point t{};
  EXPECT_TRUE(util::parse_iso8601(text, t)) << text;
  return t;
}

// Expected-output files: aws-c-auth's have no trailing newline, smithy-rs's string to sign has one.
std::string read_expected(const fs::path& path) {
  std::string text = read_file(path);
  if (text.ends_with('\n')) text.pop_back();
  return text;
}

const Credentials kTestCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", std::nullopt, "test"};

// Compares one expectation and records it; returns whether it matched.
bool expect_same(const std::string& what, const std::string& expected, const std::string& actual) {
  EXPECT_EQ(expected, actual) << what;
  return expected == actual;
}

// ---------------------------------------------------------------------------------------------------------------
// Runners, one per vector format. Each returns true when every compared output matched.

bool run_aws_c_auth(const fs::path& dir, const std::string& name) {
  SCOPED_TRACE("aws-c-auth/v4/" + name);
  const Json ctx = load_json(dir / "context.json");
  const TextRequest text = parse_http_text(read_file(dir / "request.txt"));
  Credentials creds = kTestCredentials;
  if (const Json* c = ctx.get("credentials")) {
    creds.access_key_id = c->str("access_key_id");
    creds.secret_access_key = c->str("secret_access_key");
    creds.session_token = c->str("token");
  }
  SigningParams params;
  params.time = iso_time(ctx.str("timestamp"));
  params.region = ctx.str("region");
  params.service = ctx.str("service");
  params.double_encode_path = true;  // always on in aws-c-auth's harness
  params.normalize_path = ctx.flag("normalize", true);
  params.add_content_sha256_header = ctx.flag("sign_body", false);
  params.sign_session_token = !ctx.flag("omit_session_token", false);
  const SigningResult r = sign(text.view(), creds, params);

  bool ok = expect_same("canonical request", read_expected(dir / "header-canonical-request.txt"), r.canonical_request);
  ok &= expect_same("string to sign", read_expected(dir / "header-string-to-sign.txt"), r.string_to_sign);
  ok &= expect_same("signature", read_expected(dir / "header-signature.txt"), r.signature);
  const TextRequest signed_request = parse_http_text(read_expected(dir / "header-signed-request.txt"));
  ok &= expect_same("authorization", signed_request.header("authorization").value_or("<none>"), r.authorization);
  // Every header the suite's signer added must be among ours, with the same value.
  for (const Header& added : r.headers_to_add)
    ok &= expect_same("added header " + added.name, signed_request.header(added.name).value_or("<none>"), added.value);
  return ok;
}

bool run_legacy(const fs::path& dir, const std::string& name, const std::string& session_setting) {
  SCOPED_TRACE("aws4_testsuite-legacy/" + name);
  const std::string base = (dir / dir.filename()).string();
  const TextRequest text = parse_http_text(read_file(base + ".req"));
  // The token is taken from the signed request: this copy's get-vanilla-with-session-token.req lacks it.
  const TextRequest signed_request = parse_http_text(read_file(base + ".sreq"));
  Credentials creds = kTestCredentials;
  SigningParams params;
  params.time = iso_time("2015-08-30T12:36:00Z");
  params.region = "us-east-1";
  params.service = "service";
  if (session_setting == "signed") {
    creds.session_token = signed_request.header("x-amz-security-token").value_or("");
    EXPECT_FALSE(creds.session_token.empty());
  } else if (name.ends_with("post-sts-header-after")) {
    creds.session_token = signed_request.header("x-amz-security-token").value_or("");
    EXPECT_FALSE(creds.session_token.empty());
    params.sign_session_token = false;
  }
  const SigningResult r = sign(text.view(), creds, params);
  bool ok = expect_same("canonical request", read_expected(base + ".creq"), r.canonical_request);
  ok &= expect_same("string to sign", read_expected(base + ".sts"), r.string_to_sign);
  ok &= expect_same("authorization", read_expected(base + ".authz"), r.authorization);
  return ok;
}

bool run_smithy(const fs::path& dir, const std::string& name) {
  SCOPED_TRACE("smithy-rs/v4/" + name);
  const TextRequest text = parse_http_text(read_file(dir / "request.txt"));
  // Settings from the suite's README: neither case has a context.json.
  SigningParams params;
  params.time = iso_time("2021-05-11T15:40:45Z");
  params.region = name == "double-url-encode" ? "us-east-2" : "us-east-1";
  params.service = name == "double-url-encode" ? "lambda" : "execute-api";
  const SigningResult r = sign(text.view(), kTestCredentials, params);
  bool ok = expect_same("canonical request", read_expected(dir / "header-canonical-request.txt"), r.canonical_request);
  if (name == "double-url-encode") {
    ok &= expect_same("string to sign", read_expected(dir / "header-string-to-sign.txt"), r.string_to_sign);
    const TextRequest signed_request = parse_http_text(read_expected(dir / "header-signed-request.txt"));
    ok &= expect_same("authorization", signed_request.header("authorization").value_or("<none>"), r.authorization);
  }
  return ok;
}

// `{"input": <oracle.js sign input>, "expected": <its output>}` - the shared oracle-bedrock files and ours.
bool run_oracle_case(const Json& c, const std::string& label) {
  SCOPED_TRACE(label);
  const Json* in = c.get("input");
  const Json* want = c.get("expected");
  EXPECT_TRUE(in && want) << "case without input/expected";
  if (!in || !want) return false;
  EXPECT_EQ(in->str("bodyEncoding", "utf8"), "utf8") << "only utf8 bodies are supported by this runner";
  EXPECT_EQ(in->str("mode", "header"), "header");

  // url: scheme://authority/path?query, path and query exactly as on the wire.
  const std::string url = in->str("url");
  const std::size_t scheme = url.find("://");
  const std::size_t path_at = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  const std::string authority = url.substr(scheme + 3, path_at - scheme - 3);
  std::string target = path_at == std::string::npos ? "/" : url.substr(path_at);
  std::string query;
  if (const std::size_t q = target.find('?'); q != std::string::npos) {
    query = target.substr(q + 1);
    target.resize(q);
  }
  std::vector<Header> headers;
  if (const Json* h = in->get("headers")) {
    for (const auto& [name, value] : h->object) {
      if (value.kind == Json::Kind::array) {
        for (const Json& v : value.array) headers.push_back({name, v.string});
      } else {
        headers.push_back({name, value.string});
      }
    }
  }
  const bool has_host = std::any_of(headers.begin(), headers.end(), [](const Header& h) { return h.name == "host"; });
  if (!has_host && in->flag("addHostHeader", true)) headers.push_back({"host", authority});
  const std::string body = in->str("body");

  Credentials creds{in->str("accessKeyId"), in->str("secretAccessKey"), in->str("sessionToken"), std::nullopt, "test"};
  SigningParams params;
  params.time = iso_time(in->str("date"));
  params.region = in->str("region");
  params.service = in->str("service");
  params.double_encode_path = in->flag("uriEscapePath", true);
  params.normalize_path = in->flag("uriEscapePath", true);
  params.add_content_sha256_header = in->flag("applyChecksum", false);
  params.sign_session_token = !in->flag("omitSessionToken", false);
  const SigningResult r = sign(Request{in->str("method"), target, query, headers, body}, creds, params);

  bool ok = expect_same("canonical request", want->str("canonicalRequest"), r.canonical_request);
  ok &= expect_same("string to sign", want->str("stringToSign"), r.string_to_sign);
  ok &= expect_same("signature", want->str("signature"), r.signature);
  ok &= expect_same("signed headers", want->str("signedHeaders"), r.signed_headers);
  ok &= expect_same("authorization", want->str("authorization"), r.authorization);
  if (const Json* out_headers = want->get("headers")) {
    for (const Header& added : r.headers_to_add)
      ok &= expect_same("added header " + added.name, out_headers->str(added.name, "<none>"), added.value);
  }

  // The verifying side accepts the request as the oracle signed it (its headers, including authorization).
  if (const Json* out_headers = want->get("headers")) {
    std::vector<Header> received;
    for (const auto& [name, value] : out_headers->object) received.push_back({name, value.string});
    const Verification v = verify(Request{in->str("method"), target, query, received, body}, creds.access_key_id,
                                  creds.secret_access_key, params.service, params.region);
    EXPECT_TRUE(v.ok) << v.error_code << ": " << v.reason;
    ok &= v.ok;
  }
  return ok;
}

void report(const char* what, int passed, int total) {
  std::printf("[ sigv4    ] %d of %d %s SigV4 vector cases passed\n", passed, total, what);
  ::testing::Test::RecordProperty(std::string(what) + "_passed", passed);
  ::testing::Test::RecordProperty(std::string(what) + "_total", total);
}

TEST(SigV4Vectors, EveryManifestCaseRequiredForBedrockPasses) {
  LLAMACHAT_REQUIRE_VECTORS(vectors);
  const fs::path root = vectors / "sigv4";
  const Json manifest = load_json(root / "manifest.json");
  const Json* cases = manifest.get("cases");
  ASSERT_NE(cases, nullptr);
  ASSERT_GE(cases->array.size(), 70u) << "manifest shrank";

  int passed = 0, total = 0, required = 0, required_passed = 0;
  std::vector<std::string> failed;
  for (const Json& c : cases->array) {
    const std::string suite = c.str("suite"), name = c.str("case"), mode = c.str("bedrock_header_mode");
    const fs::path dir = root / c.str("dir");
    ASSERT_TRUE(fs::is_directory(dir)) << dir;
    bool ok = false;
    if (suite == "aws-c-auth/v4") {
      ok = run_aws_c_auth(dir, name);
    } else if (suite == "aws4_testsuite-legacy") {
      const Json* settings = c.get("settings");
      ok = run_legacy(dir, name, settings ? settings->str("session_token") : "none");
    } else if (suite == "smithy-rs/v4") {
      ok = run_smithy(dir, name);
    } else {
      ADD_FAILURE() << "unknown suite " << suite;
    }
    ++total;
    passed += ok;
    if (mode == "required") {
      ++required;
      required_passed += ok;
    }
    if (!ok) failed.push_back(suite + "/" + name + " (" + mode + ")");
  }
  report("manifest", passed, total);
  report("bedrock-required", required_passed, required);
  EXPECT_EQ(required, 34);  // 30 aws-c-auth + 2 legacy form-urlencoded + 2 smithy-rs, per the README
  EXPECT_EQ(passed, total);
  for (const std::string& f : failed) ADD_FAILURE() << "failed: " << f;
}

TEST(SigV4Vectors, OracleBedrockCasesPass) {
  LLAMACHAT_REQUIRE_VECTORS(vectors);
  const fs::path root = vectors / "sigv4" / "oracle-bedrock";
  const Json index = load_json(root / "index.json");
  const Json* cases = index.get("cases");
  ASSERT_NE(cases, nullptr);
  ASSERT_EQ(cases->array.size(), 6u);
  int passed = 0;
  for (const Json& entry : cases->array) {
    const Json c = load_json(root / entry.str("file"));
    EXPECT_EQ(c.get("expected") ? c.get("expected")->str("signature") : "", entry.str("signature"));
    passed += run_oracle_case(c, "oracle-bedrock/" + entry.str("name"));
  }
  report("oracle-bedrock", passed, static_cast<int>(cases->array.size()));
  EXPECT_EQ(passed, 6);
}

// Our own Bedrock-shaped cases (other dates, regions and bodies than the shared ones), produced by the official
// JS SDK signer through tools/oracle/oracle.js. They live in the repository, so they run without the shared folder.
TEST(SigV4Fixtures, OwnOracleCasesPass) {
  const fs::path dir =
      fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path() / "tests" / "fixtures" / "sigv4";
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  const Json fixtures = load_json(dir / "bedrock_oracle_cases.json");
  const Json* cases = fixtures.get("cases");
  ASSERT_NE(cases, nullptr);
  ASSERT_GE(cases->array.size(), 4u);
  int passed = 0;
  for (const Json& c : cases->array) passed += run_oracle_case(c, "fixture/" + c.str("name"));
  report("own-fixture", passed, static_cast<int>(cases->array.size()));
  EXPECT_EQ(passed, static_cast<int>(cases->array.size()));
}

}  // namespace
}  // namespace llamachat::aws::sigv4
