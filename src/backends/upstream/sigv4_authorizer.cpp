#include "backends/upstream/sigv4_authorizer.hpp"

#include "aws/sigv4/signer.hpp"

namespace llamachat::backends::upstream {

SigV4Authorizer::SigV4Authorizer(std::shared_ptr<aws::credentials::Provider> credentials, SigV4Scope scope,
                                 util::Clock clock)
    : credentials_(std::move(credentials)), scope_(std::move(scope)), clock_(std::move(clock)) {}

boost::asio::awaitable<std::string> SigV4Authorizer::authorize(http::ClientRequest& request) {
  const aws::Credentials credentials = co_await credentials_->get();
  sign_request(request, credentials, scope_, clock_());
  co_return credentials.provider;
}

void sign_request(http::ClientRequest& request, const aws::Credentials& credentials, const SigV4Scope& scope,
                  std::chrono::system_clock::time_point time) {
  // The header strings move into the signer's view of the request and back: signing copies none of them.
  aws::sigv4::Request to_sign;
  to_sign.method = request.method;
  to_sign.path = request.target;
  to_sign.payload = request.body;
  to_sign.headers.reserve(request.headers.size());
  for (auto& [name, value] : request.headers) to_sign.headers.push_back({std::move(name), std::move(value)});
  aws::sigv4::SigningParams params;
  params.time = time;
  params.region = scope.region;
  params.service = scope.service;
  auto signature = aws::sigv4::sign(to_sign, credentials, params);

  request.headers.clear();
  request.headers.reserve(to_sign.headers.size() + signature.headers_to_add.size());
  for (auto& h : to_sign.headers) request.headers.emplace_back(std::move(h.name), std::move(h.value));
  for (auto& h : signature.headers_to_add) request.headers.emplace_back(std::move(h.name), std::move(h.value));
}

}  // namespace llamachat::backends::upstream
