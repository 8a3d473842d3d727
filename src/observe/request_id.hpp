#pragma once
// Request ids: the X-Request-Id response header and the request_id of log lines. A caller's own id is
// kept when it is short and made of safe characters, so that a trace crosses a proxy that set one; any
// other value is replaced (it would end up in logs and headers).
#include <string>
#include <string_view>

namespace llamachat::observe {

inline constexpr std::size_t kMaxRequestIdLength = 64;

// 1 to 64 characters from [A-Za-z0-9._:-] (covers UUIDs, AWS request ids, W3C trace ids).
bool acceptable_request_id(std::string_view id) noexcept;

// Sets `id` to `incoming` when acceptable, else to 16 random lower-case hex digits (per-thread
// generator). It reuses the capacity of `id`: a connection keeps one id string for all its requests, so
// a request's id costs no allocation.
void assign_request_id(std::string& id, std::string_view incoming);

}  // namespace llamachat::observe
