#include "api/router.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>

#include "api/ui/asset_serving.hpp"
#include "observe/metrics.hpp"

namespace llamachat::api {
namespace net = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

// The answer the pure core chose (api/ui/asset_serving.hpp), with the security headers of every page.
http::Response asset_response(const ui::EmbeddedFile& file, const http::Request& req, std::string_view query,
                              const chat::BackendInfo& info) {
  const ui::AssetAnswer answer =
      ui::answer_asset(file, {file.path, query, req[bhttp::field::accept_encoding], req[bhttp::field::if_none_match]});
  http::Response res{static_cast<bhttp::status>(answer.status), req.version()};
  res.set(bhttp::field::content_type, answer.content_type);
  res.set(bhttp::field::cache_control, answer.cache_control);
  res.set(bhttp::field::etag, answer.etag);
  res.set(bhttp::field::vary, "Accept-Encoding");
  if (answer.gzip) res.set(bhttp::field::content_encoding, "gzip");
  res.set("Content-Security-Policy", ui::kContentSecurityPolicy);
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  res.set("X-Frame-Options", "DENY");
  res.set("X-Llamachat-Backend", info.offline ? "offline" : info.name);
  res.body() = std::string(answer.body);
  return res;
}

http::Response health_response(const http::Request& req, const chat::BackendInfo& info) {
  http::Response res{bhttp::status::ok, req.version()};
  res.set(bhttp::field::content_type, "application/json; charset=utf-8");
  res.set(bhttp::field::cache_control, "no-store");
  res.body() = "{\"status\":\"ok\",\"backend\":" + http::json_quote(info.name) +
               ",\"offline\":" + (info.offline ? "true" : "false") + ",\"model\":" + http::json_quote(info.model) + "}";
  return res;
}

// GET /readyz. A free coroutine with explicit parameters (decision 0003); `options` outlives it.
net::awaitable<void> send_readiness(http::Exchange& exchange, const RouterOptions& options, chat::BackendInfo info) {
  Readiness readiness;
  if (options.readiness) readiness = co_await options.readiness();
  http::Response res{readiness.ready ? bhttp::status::ok : bhttp::status::service_unavailable,
                     exchange.request().version()};
  res.set(bhttp::field::content_type, "application/json; charset=utf-8");
  res.set(bhttp::field::cache_control, "no-store");
  std::string body = readiness.ready ? "{\"status\":\"ready\"" : "{\"status\":\"not ready\"";
  body += ",\"backend\":" + http::json_quote(info.name) + ",\"offline\":" + (info.offline ? "true" : "false");
  if (!readiness.reason.empty()) body += ",\"reason\":" + http::json_quote(readiness.reason);
  body += '}';
  res.body() = std::move(body);
  co_await exchange.respond(std::move(res));
}

// GET /metrics.
net::awaitable<void> send_metrics(http::Exchange& exchange, const RouterOptions& options) {
  std::string text = co_await options.metrics();
  http::Response res{bhttp::status::ok, exchange.request().version()};
  res.set(bhttp::field::content_type, observe::kPrometheusContentType);
  res.set(bhttp::field::cache_control, "no-store");
  res.body() = std::move(text);
  co_await exchange.respond(std::move(res));
}

}  // namespace

namespace {

net::awaitable<void> send(http::Exchange& exchange, http::Response response) {
  co_await exchange.respond(std::move(response));
}

http::Response method_not_allowed(const http::Request& req, std::string_view path, std::string_view allow) {
  auto res = http::json_error_response(405,
                                       "method " + std::string(req.method_string()) + " not allowed on " +
                                           std::string(path) + "; use " + std::string(allow == "POST" ? "POST" : "GET"),
                                       req.version());
  res.set(bhttp::field::allow, allow);
  return res;
}

}  // namespace

namespace {

// What a protected request goes on to: POST /chat (mount null) or a mount's handler.
struct Dispatch {
  const Mount* mount = nullptr;
  bool calls_upstream = false;
};

// The protected path: CORS fields when the origin is listed, the key and rate checks, a permit for an
// upstream call held until the endpoint is done (its whole reply, streams included; released on every
// path, a client that left included), then the endpoint.
net::awaitable<void> serve_protected(http::Exchange& exchange, chat::Backend& backend, const RouterOptions& options,
                                     Dispatch dispatch, std::string cors_origin) {
  std::optional<CorsExchange> cors;
  if (!cors_origin.empty()) cors.emplace(exchange, std::move(cors_origin));
  http::Exchange& ex = cors ? static_cast<http::Exchange&>(*cors) : exchange;
  Protection& protection = *options.protection;
  static const ApiErrorRenderer kChatShape;
  const ApiErrorRenderer& render = dispatch.mount ? dispatch.mount->render_error : kChatShape;
  if (const auto refused = protection.check(RouteClass::api, ex)) {
    co_await ex.respond(refusal_response(*refused, render, ex.request().version()));
    co_return;
  }
  guard::ConcurrencyGate::Permit permit;
  if (dispatch.calls_upstream && protection.upstream_gate()) {
    guard::ConcurrencyGate& gate = *protection.upstream_gate();
    permit = gate.try_acquire();
    if (!permit) permit = co_await gate.acquire();
    if (!permit) {
      const Refused overloaded{Refusal::overloaded, protection.overloaded_retry_after_seconds()};
      co_await ex.respond(refusal_response(overloaded, render, ex.request().version()));
      co_return;
    }
  }
  if (dispatch.mount)
    co_await dispatch.mount->handler(ex);
  else
    co_await handle_chat(ex, backend, options.chat);
}

// The Origin to reflect in CORS fields: set only when CORS is on and the request's Origin is listed.
std::string listed_origin(const Protection* protection, const http::Request& req) {
  if (!protection || !protection->cors().enabled()) return {};
  const std::string_view origin = req[bhttp::field::origin];
  return protection->cors().allows(origin) ? std::string(origin) : std::string();
}

// True when the protections have something to do for this request (else it takes the direct path).
bool needs_protection(const Protection* protection, const std::string& cors_origin, bool calls_upstream) {
  if (!protection) return false;
  return !cors_origin.empty() || protection->guards(RouteClass::api) || (calls_upstream && protection->upstream_gate());
}

}  // namespace

// The handler is a plain function that picks the endpoint's coroutine and returns it, so that a request
// costs no coroutine frame of its own here (the endpoint's references outlive it: the server awaits at once).
// Protected requests take one more frame (serve_protected) only when a protection is configured.
http::Handler make_router(std::shared_ptr<chat::Backend> backend, RouterOptions options) {
  if (options.chat.backend_label.empty()) options.chat.backend_label = backend_label(*backend);
  auto shared_options = std::make_shared<const RouterOptions>(std::move(options));
  return [backend, shared_options](http::Exchange& exchange) -> net::awaitable<void> {
    const http::Request& req = exchange.request();
    std::string_view target = req.target();
    const std::size_t question = target.find('?');
    const std::string_view path = target.substr(0, question);
    const auto method = req.method();
    const bool is_get = method == bhttp::verb::get || method == bhttp::verb::head;
    Protection* protection = shared_options->protection.get();

    if (protection && protection->cors().enabled() && is_cors_preflight(req))
      return send(exchange, cors_preflight_response(protection->cors(), req));
    observe::RequestRecord& record = exchange.record();
    if (protection && path.starts_with("/metrics")) {
      if (const auto refused = protection->check(RouteClass::metrics, exchange)) {
        record.route = observe::Route::metrics;
        return send(exchange, refusal_response(*refused, {}, req.version()));
      }
    }

    if (path == "/chat") {
      record.route = observe::Route::chat;
      if (method != bhttp::verb::post) return send(exchange, method_not_allowed(req, "/chat", "POST"));
      std::string origin = listed_origin(protection, req);
      if (needs_protection(protection, origin, true))
        return serve_protected(exchange, *backend, *shared_options, Dispatch{nullptr, true}, std::move(origin));
      return handle_chat(exchange, *backend, shared_options->chat);
    }
    if (path == "/healthz") {
      record.route = observe::Route::healthz;
      if (!is_get) return send(exchange, method_not_allowed(req, "/healthz", "GET, HEAD"));
      return send(exchange, health_response(req, backend->info()));
    }
    if (path == "/readyz") {
      record.route = observe::Route::readyz;
      if (!is_get) return send(exchange, method_not_allowed(req, "/readyz", "GET, HEAD"));
      return send_readiness(exchange, *shared_options, backend->info());
    }
    if (path == "/metrics" && shared_options->metrics) {
      record.route = observe::Route::metrics;
      if (!is_get) return send(exchange, method_not_allowed(req, "/metrics", "GET, HEAD"));
      return send_metrics(exchange, *shared_options);
    }
    for (const Mount& mount : shared_options->mounts) {
      if (!path.starts_with(mount.prefix)) continue;
      if (mount.route_class == RouteClass::api) {
        const bool calls_upstream =
            method == bhttp::verb::post &&
            std::find(mount.upstream_paths.begin(), mount.upstream_paths.end(), path) != mount.upstream_paths.end();
        std::string origin = listed_origin(protection, req);
        if (needs_protection(protection, origin, calls_upstream))
          return serve_protected(exchange, *backend, *shared_options, Dispatch{&mount, calls_upstream},
                                 std::move(origin));
      }
      return mount.handler(exchange);
    }
    if (const ui::EmbeddedFile* asset = ui::find_asset(ui::embedded_files(), path)) {
      record.route = observe::Route::ui;
      if (!is_get) return send(exchange, method_not_allowed(req, path, "GET, HEAD"));
      const std::string_view query = question == std::string_view::npos ? "" : target.substr(question + 1);
      return send(exchange, asset_response(*asset, req, query, backend->info()));
    }
    return send(exchange,
                http::json_error_response(
                    404, "no route for " + std::string(req.method_string()) + " " + std::string(path), req.version()));
  };
}

}  // namespace llamachat::api
