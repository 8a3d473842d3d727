#include "api/router.hpp"

#include <array>
#include <string_view>

#include "api/ui/embedded_files.hpp"
#include "observe/metrics.hpp"

namespace llamachat::api {
namespace net = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

// Served pages may load only our own scripts and styles, and never be framed.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

std::string_view content_type_for(std::string_view path) {
  if (path.ends_with(".html")) return "text/html; charset=utf-8";
  if (path.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  if (path.ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

const ui::EmbeddedFile* find_asset(std::string_view path) {
  if (path == "/") path = "/index.html";
  if (path == "/favicon.ico") path = "/favicon.svg";
  for (const auto& file : ui::embedded_files())
    if (file.path == path) return &file;
  return nullptr;
}

http::Response asset_response(const ui::EmbeddedFile& file, const http::Request& req, const chat::BackendInfo& info) {
  http::Response res{bhttp::status::ok, req.version()};
  res.set(bhttp::field::content_type, content_type_for(file.path));
  res.set(bhttp::field::cache_control, "no-cache");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  if (file.path.ends_with(".html")) {
    res.set("Content-Security-Policy", kContentSecurityPolicy);
    res.set("X-Frame-Options", "DENY");
  }
  res.set("X-Llamachat-Backend", info.offline ? "offline" : info.name);
  res.body() = std::string(file.content);
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

// The handler is a plain function that picks the endpoint's coroutine and returns it, so that a request
// costs no coroutine frame of its own here (the endpoint's references outlive it: the server awaits at once).
http::Handler make_router(std::shared_ptr<chat::Backend> backend, RouterOptions options) {
  if (options.chat.backend_label.empty()) options.chat.backend_label = backend_label(*backend);
  auto shared_options = std::make_shared<const RouterOptions>(std::move(options));
  return [backend, shared_options](http::Exchange& exchange) -> net::awaitable<void> {
    const http::Request& req = exchange.request();
    std::string_view target = req.target();
    const std::string_view path = target.substr(0, target.find('?'));
    const auto method = req.method();
    const bool is_get = method == bhttp::verb::get || method == bhttp::verb::head;

    observe::RequestRecord& record = exchange.record();
    if (path == "/chat") {
      record.route = observe::Route::chat;
      if (method != bhttp::verb::post) return send(exchange, method_not_allowed(req, "/chat", "POST"));
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
    for (const Mount& mount : shared_options->mounts)
      if (path.starts_with(mount.prefix)) return mount.handler(exchange);
    if (const ui::EmbeddedFile* asset = find_asset(path)) {
      record.route = observe::Route::ui;
      if (!is_get) return send(exchange, method_not_allowed(req, path, "GET, HEAD"));
      return send(exchange, asset_response(*asset, req, backend->info()));
    }
    return send(exchange,
                http::json_error_response(
                    404, "no route for " + std::string(req.method_string()) + " " + std::string(path), req.version()));
  };
}

}  // namespace llamachat::api
