#include "aws/credentials/credential_parsers.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/json.hpp>
#include <cctype>

#include "util/clock.hpp"
#include "util/strings.hpp"

namespace llamachat::aws::credentials {
namespace {

ParsedCredentials fail(std::string message) {
  ParsedCredentials r;
  r.error = std::move(message);
  return r;
}

// A required non-empty string member; empty view when absent or not a string.
std::string_view string_member(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  if (!v || !v->is_string()) return {};
  return v->get_string();
}

// Fills `c` from the named members; returns an error text or "".
std::string fill_from_json(const boost::json::object& o, std::string_view token_key, Credentials& c) {
  c.access_key_id = std::string(string_member(o, "AccessKeyId"));
  c.secret_access_key = std::string(string_member(o, "SecretAccessKey"));
  if (c.access_key_id.empty()) return "missing AccessKeyId";
  if (c.secret_access_key.empty()) return "missing SecretAccessKey";
  c.session_token = std::string(string_member(o, token_key));
  if (const boost::json::value* exp = o.if_contains("Expiration"); exp && !exp->is_null()) {
    std::chrono::system_clock::time_point t;
    if (!exp->is_string() || !util::parse_iso8601(exp->get_string(), t))
      return "Expiration is not an ISO 8601 UTC time";
    c.expiration = t;
  }
  return {};
}

std::optional<boost::json::object> parse_object(std::string_view json) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

void append_xml_unescaped(std::string& out, std::string_view s) {
  while (!s.empty()) {
    const std::size_t amp = s.find('&');
    out.append(s.substr(0, amp));
    if (amp == std::string_view::npos) return;
    s.remove_prefix(amp);
    const std::size_t semi = s.find(';');
    const std::string_view entity = semi == std::string_view::npos ? std::string_view{} : s.substr(1, semi - 1);
    char simple = 0;
    if (entity == "amp")
      simple = '&';
    else if (entity == "lt")
      simple = '<';
    else if (entity == "gt")
      simple = '>';
    else if (entity == "quot")
      simple = '"';
    else if (entity == "apos")
      simple = '\'';
    if (simple) {
      out.push_back(simple);
      s.remove_prefix(semi + 1);
      continue;
    }
    if (entity.size() >= 2 && entity[0] == '#') {
      unsigned long code = 0;
      bool ok = true;
      const bool hex = entity[1] == 'x' || entity[1] == 'X';
      const std::string_view digits = entity.substr(hex ? 2 : 1);
      if (digits.empty() || digits.size() > 6) ok = false;
      for (char ch : digits) {
        if (!ok) break;
        const int d = std::isdigit(static_cast<unsigned char>(ch)) ? ch - '0'
                      : hex && std::isxdigit(static_cast<unsigned char>(ch))
                          ? (std::tolower(static_cast<unsigned char>(ch)) - 'a' + 10)
                          : -1;
        if (d < 0)
          ok = false;
        else
          code = code * (hex ? 16 : 10) + static_cast<unsigned long>(d);
      }
      if (ok && code > 0 && code <= 0x10FFFF) {
        // UTF-8 encode.
        if (code < 0x80) {
          out.push_back(static_cast<char>(code));
        } else if (code < 0x800) {
          out.push_back(static_cast<char>(0xC0 | (code >> 6)));
          out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
        } else if (code < 0x10000) {
          out.push_back(static_cast<char>(0xE0 | (code >> 12)));
          out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
          out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
        } else {
          out.push_back(static_cast<char>(0xF0 | (code >> 18)));
          out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
          out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
          out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
        }
        s.remove_prefix(semi + 1);
        continue;
      }
    }
    out.push_back('&');  // not an entity we know: keep the text as written
    s.remove_prefix(1);
  }
}

// Error texts quote server-supplied strings; keep them short and on one line.
std::string one_line(std::string_view s, std::size_t limit = 300) {
  std::string out;
  for (char c : s) {
    if (out.size() >= limit) {
      out += "...";
      break;
    }
    out.push_back(c == '\r' || c == '\n' || c == '\t' ? ' ' : c);
  }
  return out;
}

}  // namespace

ParsedCredentials parse_process_output(std::string_view json) {
  auto o = parse_object(json);
  if (!o) return fail("output is not a JSON object");
  const boost::json::value* version = o->if_contains("Version");
  if (!version) return fail("output has no Version");
  const bool is_one =
      (version->is_int64() && version->get_int64() == 1) || (version->is_uint64() && version->get_uint64() == 1);
  if (!is_one) return fail("unsupported Version (expected 1)");
  Credentials c;
  if (std::string e = fill_from_json(*o, "SessionToken", c); !e.empty()) return fail(std::move(e));
  ParsedCredentials r;
  r.credentials = std::move(c);
  return r;
}

ParsedCredentials parse_metadata_credentials(std::string_view json) {
  auto o = parse_object(json);
  if (!o) return fail("response is not a JSON object");
  if (const boost::json::value* code = o->if_contains("Code")) {
    if (!code->is_string() || code->get_string() != "Success") {
      std::string text = "response Code is not Success";
      if (code->is_string()) text += " (" + one_line(code->get_string(), 60) + ")";
      return fail(std::move(text));
    }
  }
  Credentials c;
  if (std::string e = fill_from_json(*o, "Token", c); !e.empty()) return fail(std::move(e));
  ParsedCredentials r;
  r.credentials = std::move(c);
  return r;
}

std::optional<std::string> xml_element_text(std::string_view xml, std::string_view name) {
  std::size_t pos = 0;
  while (true) {
    pos = xml.find('<', pos);
    if (pos == std::string_view::npos) return std::nullopt;
    const std::string_view rest = xml.substr(pos + 1);
    if (rest.substr(0, name.size()) == name && rest.size() > name.size()) {
      const char after = rest[name.size()];
      if (after == '>' || after == '/' || after == ' ' || after == '\t' || after == '\r' || after == '\n') {
        const std::size_t open_end = xml.find('>', pos);
        if (open_end == std::string_view::npos) return std::nullopt;
        if (xml[open_end - 1] == '/') return std::string();  // <Name/>
        const std::string close = "</" + std::string(name) + ">";
        const std::size_t close_pos = xml.find(close, open_end + 1);
        if (close_pos == std::string_view::npos) return std::nullopt;
        std::string out;
        append_xml_unescaped(out, xml.substr(open_end + 1, close_pos - open_end - 1));
        return out;
      }
    }
    ++pos;
  }
}

ParsedCredentials parse_sts_credentials(std::string_view xml) {
  if (auto error = xml_element_text(xml, "Error")) {
    const std::string code = xml_element_text(*error, "Code").value_or("unknown");
    const std::string message = xml_element_text(*error, "Message").value_or("");
    std::string text = "STS error " + one_line(code, 80);
    if (!message.empty()) text += ": " + one_line(message);
    return fail(std::move(text));
  }
  auto block = xml_element_text(xml, "Credentials");
  if (!block) return fail("STS response has no Credentials element");
  Credentials c;
  c.access_key_id = xml_element_text(*block, "AccessKeyId").value_or("");
  c.secret_access_key = xml_element_text(*block, "SecretAccessKey").value_or("");
  c.session_token = xml_element_text(*block, "SessionToken").value_or("");
  if (c.access_key_id.empty()) return fail("STS response has no AccessKeyId");
  if (c.secret_access_key.empty()) return fail("STS response has no SecretAccessKey");
  if (c.session_token.empty()) return fail("STS response has no SessionToken");
  if (auto exp = xml_element_text(*block, "Expiration")) {
    std::chrono::system_clock::time_point t;
    if (!util::parse_iso8601(*exp, t)) return fail("STS Expiration is not an ISO 8601 UTC time");
    c.expiration = t;
  } else {
    return fail("STS response has no Expiration");
  }
  ParsedCredentials r;
  r.credentials = std::move(c);
  return r;
}

bool container_full_uri_allowed(const http::Url& url) {
  if (url.scheme == "https") return true;
  if (url.scheme != "http") return false;
  const std::string host = util::to_lower(url.host);
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const boost::asio::ip::address address = boost::asio::ip::make_address(host, ec);
  if (ec) return false;  // other names would need resolving; only literal addresses are allowed over http
  if (address.is_v4()) {
    const auto v4 = address.to_v4();
    if (v4.to_bytes()[0] == 127) return true;
    return v4 == boost::asio::ip::make_address_v4("169.254.170.2") ||
           v4 == boost::asio::ip::make_address_v4("169.254.170.23");
  }
  const auto v6 = address.to_v6();
  if (v6.is_loopback()) return true;
  return v6 == boost::asio::ip::make_address_v6("fd00:ec2::23");
}

bool valid_header_value(std::string_view value) noexcept {
  return value.find_first_of("\r\n") == std::string_view::npos;
}

}  // namespace llamachat::aws::credentials
