#include <atomic>
#include <exception>

#include "aws/credentials/provider.hpp"

namespace llamachat::aws::credentials {
namespace {

class ChainProvider final : public Provider {
 public:
  explicit ChainProvider(std::vector<std::shared_ptr<Provider>> providers) : providers_(std::move(providers)) {}
  std::string name() const override { return "chain"; }

  boost::asio::awaitable<Credentials> get() override {
    std::vector<std::string> reasons;
    // The provider that worked last time is asked first; if it no longer does, the whole chain runs again.
    const std::size_t remembered = remembered_.load(std::memory_order_relaxed);
    std::optional<Attempt> first;
    if (remembered < providers_.size()) {
      first = co_await attempt(remembered);
      if (first->credentials) co_return std::move(*first->credentials);
    }
    for (std::size_t i = 0; i < providers_.size(); ++i) {
      Attempt a;
      if (i == remembered && first)
        a = std::move(*first);
      else
        a = co_await attempt(i);
      if (a.credentials) {
        remembered_.store(i, std::memory_order_relaxed);
        co_return std::move(*a.credentials);
      }
      reasons.push_back((a.kind == CredentialsErrorKind::not_configured ? "[skipped] " : "[FAILED] ") + a.reason);
      if (a.kind == CredentialsErrorKind::failed) break;
    }
    std::string text = "no AWS credentials found; tried: ";
    for (std::size_t i = 0; i < reasons.size(); ++i) text += (i ? " | " : "") + reasons[i];
    if (reasons.empty()) text += "(no providers)";
    throw CredentialsError(text);
  }

 private:
  struct Attempt {
    std::optional<Credentials> credentials;
    CredentialsErrorKind kind = CredentialsErrorKind::failed;
    std::string reason;
  };

  boost::asio::awaitable<Attempt> attempt(std::size_t index) {
    Attempt a;
    const auto& provider = providers_[index];
    try {
      a.credentials = co_await provider->get();
    } catch (const CredentialsError& e) {
      a.kind = e.kind();
      a.reason = e.what();
    } catch (const std::exception& e) {
      a.reason = provider->name() + ": " + e.what();
    }
    co_return a;
  }

  std::vector<std::shared_ptr<Provider>> providers_;
  std::atomic<std::size_t> remembered_{static_cast<std::size_t>(-1)};
};

}  // namespace

std::shared_ptr<Provider> make_chain_provider(std::vector<std::shared_ptr<Provider>> providers) {
  return std::make_shared<ChainProvider>(std::move(providers));
}

}  // namespace llamachat::aws::credentials
