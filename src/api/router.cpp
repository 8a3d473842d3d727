#include "api/router.hpp"

#include <array>
#include <string_view>

#include "api/ui/asset_serving.hpp"

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
    const std::size_t question = target.find('?');
    const std::string_view path = target.substr(0, question);
    const auto method = req.method();
    const bool is_get = method == bhttp::verb::get || method == bhttp::verb::head;

    if (path == "/chat") {
      if (method != bhttp::verb::post) return send(exchange, method_not_allowed(req, "/chat", "POST"));
      return handle_chat(exchange, *backend, shared_options->chat);
    }
    if (path == "/healthz") {
      if (!is_get) return send(exchange, method_not_allowed(req, "/healthz", "GET, HEAD"));
      return send(exchange, health_response(req, backend->info()));
    }
    for (const Mount& mount : shared_options->mounts)
      if (path.starts_with(mount.prefix)) return mount.handler(exchange);
    if (const ui::EmbeddedFile* asset = ui::find_asset(ui::embedded_files(), path)) {
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
