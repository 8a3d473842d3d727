#pragma once
// Authorizer for AWS services: credentials from a provider (the cached default chain in production),
// then a SigV4 signature over the request as built. The source name comes from the credentials
// themselves (Credentials::provider), so a refusal names the provider that really supplied them.
#include <memory>
#include <string>

#include "aws/credentials/provider.hpp"
#include "backends/upstream/caller.hpp"
#include "util/clock.hpp"

namespace llamachat::backends::upstream {

struct SigV4Scope {
  std::string region;
  std::string service;  // "bedrock" for Bedrock Runtime
};

class SigV4Authorizer final : public Authorizer {
 public:
  SigV4Authorizer(std::shared_ptr<aws::credentials::Provider> credentials, SigV4Scope scope, util::Clock clock);
  // Signs every header of the request except those SigV4 never signs (user-agent, x-amzn-trace-id, ...);
  // the request must carry its host header.
  boost::asio::awaitable<std::string> authorize(http::ClientRequest& request) override;

 private:
  std::shared_ptr<aws::credentials::Provider> credentials_;
  SigV4Scope scope_;
  util::Clock clock_;
};

// Signs `request` in place with `credentials` at `time` (a plain function: its temporaries stay out of
// the coroutine frames, which Asio recycles only below 2 KiB).
void sign_request(http::ClientRequest& request, const aws::Credentials& credentials, const SigV4Scope& scope,
                  std::chrono::system_clock::time_point time);

}  // namespace llamachat::backends::upstream
