#include <chrono>

#include "aws/credentials/credential_parsers.hpp"
#include "aws/credentials/internal.hpp"
#include "aws/credentials/region.hpp"
#include "util/percent_encoding.hpp"
#include "util/strings.hpp"

namespace llamachat::aws::credentials {
namespace detail {
namespace {

// AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else the regional endpoint (global without a region).
std::string sts_endpoint(const util::Environment& env) {
  if (auto url = non_empty(env, "AWS_ENDPOINT_URL_STS")) return *url;
  if (auto url = non_empty(env, "AWS_ENDPOINT_URL")) return *url;
  if (auto region = resolve_region(env)) return "https://sts." + *region + ".amazonaws.com/";
  return "https://sts.amazonaws.com/";
}

}  // namespace

boost::asio::awaitable<Credentials> assume_role_with_web_identity(WebIdentityRequest request, std::string who,
                                                                  util::Environment env, ChainOptions options) {
  auto token = read_small_file(request.token_file);
  if (!token) throw CredentialsError(who + ": cannot read the web identity token file " + request.token_file);
  const std::string_view token_text = util::trim_end(*token, util::line_whitespace);
  if (token_text.empty())
    throw CredentialsError(who + ": the web identity token file " + request.token_file + " is empty");

  if (request.session_name.empty()) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(options.clock().time_since_epoch()).count();
    request.session_name = "llamachat-" + std::to_string(ms);
  }

  const std::string endpoint_text = sts_endpoint(env);
  auto endpoint = http::Url::parse(endpoint_text);
  if (!endpoint) throw CredentialsError(who + ": STS endpoint \"" + endpoint_text + "\" is not an http(s) URL");

  http::ClientRequest req;
  req.method = "POST";
  req.target = endpoint->path.empty() ? "/" : endpoint->path;
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  req.headers.emplace_back("Accept", "text/xml");
  req.body = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + util::percent_encode(request.role_arn) +
             "&RoleSessionName=" + util::percent_encode(request.session_name) +
             "&WebIdentityToken=" + util::percent_encode(token_text);

  const std::string where = who + ": STS AssumeRoleWithWebIdentity at " + endpoint->origin();
  http::ClientResponse response;
  try {
    const HttpSend send = effective_send(options);
    response = co_await send(*endpoint, std::move(req), options.http.connect_timeout, options.sts_timeout);
  } catch (const http::ClientError& e) {
    throw CredentialsError(where + " failed: " + e.what());
  }
  ParsedCredentials parsed = parse_sts_credentials(response.body);
  if (response.status != 200) {
    std::string text = where + " failed with HTTP " + std::to_string(response.status);
    if (!parsed && parsed.error.rfind("STS error", 0) == 0) text += ": " + parsed.error;
    throw CredentialsError(text);
  }
  co_return named_credentials(std::move(parsed), where, who);
}

}  // namespace detail

namespace {

class WebIdentityProvider final : public Provider {
 public:
  WebIdentityProvider(util::Environment env, ChainOptions options)
      : env_(std::move(env)), options_(std::move(options)) {}
  std::string name() const override { return "web-identity"; }

  boost::asio::awaitable<Credentials> get() override {
    auto token_file = detail::non_empty(env_, "AWS_WEB_IDENTITY_TOKEN_FILE");
    auto role_arn = detail::non_empty(env_, "AWS_ROLE_ARN");
    if (!token_file)
      throw CredentialsError("web-identity: AWS_WEB_IDENTITY_TOKEN_FILE is not set",
                             CredentialsErrorKind::not_configured);
    if (!role_arn) throw CredentialsError("web-identity: AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
    detail::WebIdentityRequest request;
    request.role_arn = *role_arn;
    request.token_file = *token_file;
    request.session_name = detail::non_empty(env_, "AWS_ROLE_SESSION_NAME").value_or("");
    co_return co_await detail::assume_role_with_web_identity(std::move(request), "web-identity", env_, options_);
  }

 private:
  util::Environment env_;
  ChainOptions options_;
};

}  // namespace

std::shared_ptr<Provider> make_web_identity_provider(util::Environment env, ChainOptions options) {
  return std::make_shared<WebIdentityProvider>(std::move(env), std::move(options));
}

}  // namespace llamachat::aws::credentials
