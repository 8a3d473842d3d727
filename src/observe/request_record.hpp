#pragma once
// What one request did, filled in as it goes by the layers that know each part (the server: method,
// status, times; the router: the route; the endpoints: tokens; the upstream call: the upstream request
// id) and read once when the request ends, for the metrics and the request log line.
// Fixed-size: recording a request allocates nothing.
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace llamachat::observe {

// The route pattern a request matched: a closed set, so that metrics labels stay bounded whatever
// clients send.
enum class Route : std::uint8_t {
  unmatched,  // no route (404) or refused before routing (400, 408, 413, 431)
  chat,
  v1_chat_completions,
  v1_models,
  v1_other,
  healthz,
  readyz,
  metrics,
  ui,
};
inline constexpr std::size_t kRouteCount = 9;
// The label of a route ("/chat", "/v1/chat/completions", "/v1/*", "ui", "unmatched", ...).
std::string_view route_name(Route route) noexcept;

// Short text kept inline (an id from an upstream header): at most N bytes; longer input is cut.
template <std::size_t N>
class InlineText {
 public:
  void assign(std::string_view text) noexcept {
    size_ = text.size() < N ? text.size() : N;
    for (std::size_t i = 0; i < size_; ++i) data_[i] = text[i];
  }
  void clear() noexcept { size_ = 0; }
  std::string_view view() const noexcept { return {data_.data(), size_}; }
  bool empty() const noexcept { return size_ == 0; }

 private:
  std::array<char, N> data_{};
  std::size_t size_ = 0;
};

struct RequestRecord {
  Route route = Route::unmatched;
  unsigned status = 0;
  bool streamed = false;
  std::optional<std::uint64_t> input_tokens;
  std::optional<std::uint64_t> output_tokens;
  std::optional<std::chrono::microseconds> ttft;    // request read -> first body chunk of a stream
  std::chrono::microseconds duration{0};            // request read -> response written
  std::chrono::steady_clock::time_point started{};  // when the request was read (set by the server)
  InlineText<64> upstream_request_id;               // x-amzn-RequestId (Bedrock) or x-request-id (OpenAI-compatible)

  void reset() noexcept { *this = RequestRecord{}; }
};

}  // namespace llamachat::observe
