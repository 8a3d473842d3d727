#include "server.hpp"

#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cerrno>
#include <ctime>
#include <functional>
#include <future>
#include <random>
#include <set>
#include <stdexcept>

#include "auth.hpp"
#include "aws/sigv4/signer.hpp"
#include "directives.hpp"
#include "reply.hpp"
#include "stream_events.hpp"
#include "util/log.hpp"
#include "util/percent_encoding.hpp"
#include "util/strings.hpp"

namespace llamachat::emulator {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = net::ip::tcp;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t kHeaderLimit = 64 * 1024;
constexpr std::chrono::seconds kTlsHandshakeTimeout{10};
constexpr std::chrono::seconds kBodyReadTimeout{60};
constexpr std::chrono::milliseconds kPeekPollInterval{20};
constexpr std::string_view kBedrockErrorNamespace = ":http://internal.amazon.com/coral/com.amazon.bedrock/";
constexpr std::string_view kCoralErrorNamespace = ":http://internal.amazon.com/coral/com.amazon.coral.service/";

using Fields = std::vector<std::pair<std::string, std::string>>;

// One accepted connection, as seen by stop() and by the peer watcher. Lives in the session coroutine's frame.
struct Connection {
  Connection(const net::any_io_executor& ex, tcp::socket& s) : socket(s), wake(ex) {}
  tcp::socket& socket;       // the lowest layer
  net::steady_timer wake;    // every pause (slow, delay, stall) waits on it; cancelled on peer close and stop
  bool peer_closed = false;  // the client closed or reset the connection
};

// A complete (non-streamed) response.
struct Response {
  unsigned status = 200;
  Fields fields;
  std::string body;
  bool counted = true;  // in Stats::responses_by_status (control API replies are not)
};

// How a response write ended.
enum class WriteResult { completed, peer_gone, dropped, stopped };

std::string http_date() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

std::string render_head(unsigned status, const Fields& fields, bool keep_alive,
                        std::optional<std::size_t> content_length) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " ";
  head += std::string(http::obsolete_reason(static_cast<http::status>(status)));
  head += "\r\nDate: " + http_date() + "\r\nServer: llamachat-bedrock-emulator\r\n";
  for (const auto& [name, value] : fields) head += name + ": " + value + "\r\n";
  if (content_length) {
    head += "Content-Length: " + std::to_string(*content_length) + "\r\n";
  } else {
    head += "Transfer-Encoding: chunked\r\n";
  }
  head += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  head += "\r\n";
  return head;
}

std::string hex_size(std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[n % 16]);
    n /= 16;
  } while (n != 0);
  return out;
}

struct ModelRoute {
  Operation op;
  std::string model_id;  // percent-decoded
};

std::optional<ModelRoute> match_model_route(std::string_view path) {
  constexpr std::string_view kPrefix = "/model/";
  if (!path.starts_with(kPrefix)) return std::nullopt;
  path.remove_prefix(kPrefix.size());
  const std::size_t slash = path.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  const std::string_view op = path.substr(slash + 1);
  ModelRoute route{Operation::invoke, util::percent_decode(path.substr(0, slash))};
  if (op == "invoke") {
    route.op = Operation::invoke;
  } else if (op == "invoke-with-response-stream") {
    route.op = Operation::invoke_stream;
  } else if (op == "converse") {
    route.op = Operation::converse;
  } else if (op == "converse-stream") {
    route.op = Operation::converse_stream;
  } else {
    return std::nullopt;
  }
  return route;
}

Fields redacted_headers(const http::request<http::string_body>& req) {
  Fields out;
  for (const auto& field : req.base()) {
    const std::string name(field.name_string());
    std::string value(field.value());
    if (util::iequals(name, "authorization")) {
      const std::size_t sig = value.find("Signature=");
      value = sig == std::string::npos ? "<redacted>" : value.substr(0, sig) + "Signature=<redacted>";
    } else if (util::iequals(name, "x-amz-security-token")) {
      value = "<redacted>";
    }
    out.emplace_back(name, std::move(value));
  }
  return out;
}

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Impl> {
  Impl(net::any_io_executor ex, Config cfg) : executor(std::move(ex)), config(std::move(cfg)), acceptor(executor) {}

  net::any_io_executor executor;
  Config config;
  tcp::acceptor acceptor;
  std::optional<net::ssl::context> tls;
  State state;
  std::uint16_t port = 0;
  // Touched on the executor only.
  std::set<Connection*> connections;
  bool stopping = false;
  std::mt19937_64 rng{std::random_device{}()};

  std::string request_id() {
    const std::uint64_t a = rng(), b = rng();
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                  static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                  static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                  static_cast<unsigned long long>(b & 0xffffffffffffULL));
    return buf;
  }

  Response error_response(unsigned status, std::string_view code, std::string_view message,
                          const json::object& extra = {}, bool coral_service = false) {
    json::object body;
    body["message"] = message;
    for (const auto& [k, v] : extra) body[k] = v;
    Response r;
    r.status = status;
    r.fields = {{"Content-Type", "application/json"},
                {"x-amzn-RequestId", request_id()},
                {"x-amzn-ErrorType",
                 std::string(code) + std::string(coral_service ? kCoralErrorNamespace : kBedrockErrorNamespace)}};
    r.body = json::serialize(body);
    return r;
  }

  Response json_response(unsigned status, const json::value& body) {
    Response r;
    r.status = status;
    r.fields = {{"Content-Type", "application/json"}, {"x-amzn-RequestId", request_id()}};
    r.body = json::serialize(body);
    return r;
  }
};

namespace {

using ImplPtr = std::shared_ptr<Server::Impl>;

// Registers a connection for stop() and keeps the open-connection gauge.
class ConnectionGuard {
 public:
  ConnectionGuard(Server::Impl& impl, Connection& conn) : impl_(impl), conn_(conn) { impl_.connections.insert(&conn_); }
  ~ConnectionGuard() {
    impl_.connections.erase(&conn_);
    impl_.state.connection_closed();
  }
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

 private:
  Server::Impl& impl_;
  Connection& conn_;
};

// Waits `duration` (forever when nullopt) unless the peer is gone or the server stops; false when interrupted.
net::awaitable<bool> pause(Server::Impl& impl, Connection& conn, std::optional<std::chrono::milliseconds> duration) {
  if (conn.peer_closed || impl.stopping) co_return false;
  if (duration) {
    conn.wake.expires_after(*duration);
  } else {
    conn.wake.expires_at(net::steady_timer::time_point::max());
  }
  co_await conn.wake.async_wait(use_tuple);
  co_return !(conn.peer_closed || impl.stopping);
}

// Notices the client closing the connection while a response is being prepared or written: HTTP/1.1 clients
// send nothing while they wait for a response, so readability means EOF, a reset, or (rarely) a pipelined
// request / TLS alert, which is left in the socket and re-checked by polling.
struct PeerWatch {
  explicit PeerWatch(const net::any_io_executor& ex) : done(ex), poll(ex) {
    done.expires_at(net::steady_timer::time_point::max());
  }
  net::steady_timer done;
  net::steady_timer poll;
  bool stop = false;
  bool finished = false;
};

net::awaitable<void> watch_peer(ImplPtr impl, Connection& conn, PeerWatch& watch) {
  while (!watch.stop) {
    auto [ec] = co_await conn.socket.async_wait(tcp::socket::wait_read, use_tuple);
    if (watch.stop) break;
    if (ec) {
      conn.peer_closed = true;
      break;
    }
    char byte;
    const ssize_t n = ::recv(conn.socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      conn.peer_closed = true;
      break;
    }
    if (n > 0) {
      watch.poll.expires_after(kPeekPollInterval);
      co_await watch.poll.async_wait(use_tuple);
    }
  }
  if (conn.peer_closed) conn.wake.cancel();
  watch.finished = true;
  watch.done.cancel();
  (void)impl;
}

net::awaitable<void> stop_watch(Connection& conn, PeerWatch& watch) {
  watch.stop = true;
  boost::system::error_code ignored;
  conn.socket.cancel(ignored);
  watch.poll.cancel();
  if (!watch.finished) co_await watch.done.async_wait(use_tuple);
}

template <class Stream>
net::awaitable<bool> write_all(Stream& stream, std::string_view data) {
  auto [ec, n] = co_await net::async_write(stream, net::buffer(data.data(), data.size()), use_tuple);
  co_return !ec;
}

// Closes the connection at once: with a FIN, or with `reset` a TCP RST (SO_LINGER with a zero timeout makes
// close() discard unsent data and reset the connection, see socket(7)).
void close_now(Connection& conn, bool reset = false) {
  boost::system::error_code ignored;
  if (reset) {
    conn.socket.set_option(net::socket_base::linger(true, 0), ignored);
  } else {
    conn.socket.shutdown(tcp::socket::shutdown_both, ignored);
  }
  conn.socket.close(ignored);
}

// Writes a complete response with Content-Length, in `piece`-byte writes when piece > 0; with drop_mid_body only
// the head and the first half of the body are written, then the connection is closed (reset with `reset`).
// `before_last_write` runs just before the final bytes go out, so that observers who have the whole response also
// see the state it produced.
template <class Stream>
net::awaitable<WriteResult> write_response(Server::Impl& impl, Stream& stream, Connection& conn, const Response& r,
                                           bool keep_alive, std::size_t piece = 0, bool drop_mid_body = false,
                                           bool reset = false, const std::function<void()>& before_last_write = {}) {
  if (r.counted) impl.state.response(r.status);
  if (before_last_write && !drop_mid_body && r.body.empty()) before_last_write();
  const std::string head = render_head(r.status, r.fields, keep_alive, r.body.size());
  if (!co_await write_all(stream, head)) co_return WriteResult::peer_gone;
  const std::size_t end = drop_mid_body ? r.body.size() / 2 : r.body.size();
  const std::size_t step = piece == 0 ? std::max<std::size_t>(end, 1) : piece;
  for (std::size_t pos = 0; pos < end; pos += step) {
    if (before_last_write && !drop_mid_body && pos + step >= end) before_last_write();
    const std::string_view part = std::string_view(r.body).substr(pos, std::min(step, end - pos));
    if (!co_await write_all(stream, part)) co_return WriteResult::peer_gone;
  }
  if (drop_mid_body) {
    close_now(conn, reset);
    co_return WriteResult::dropped;
  }
  co_return WriteResult::completed;
}

// Writes an event stream with chunked transfer coding, paced by the directives.
template <class Stream>
net::awaitable<WriteResult> write_stream(Server::Impl& impl, Stream& stream, Connection& conn, const Fields& fields,
                                         const StreamPlan& plan, const Directives& d, bool keep_alive,
                                         const std::function<void()>& before_last_write) {
  impl.state.response(200);
  const std::string head = render_head(200, fields, keep_alive, std::nullopt);
  if (!co_await write_all(stream, head)) co_return WriteResult::peer_gone;
  impl.state.stream_started();
  const std::size_t piece = d.chunk.value_or(impl.config.chunk_size);
  std::size_t total = 0;
  for (const auto& f : plan.frames) total += f.size();
  const std::size_t drop_after = d.drop_mid_body ? total / 2 : total + 1;
  std::size_t written = 0;
  for (std::size_t i = 0; i < plan.frames.size(); ++i) {
    if (d.stall_at && i == *d.stall_at) {
      co_await pause(impl, conn, std::nullopt);
      co_return impl.stopping ? WriteResult::stopped : WriteResult::peer_gone;
    }
    if (i > 0 && d.delay && !co_await pause(impl, conn, *d.delay)) {
      co_return impl.stopping ? WriteResult::stopped : WriteResult::peer_gone;
    }
    const std::string_view frame = plan.frames[i];
    const std::size_t step = piece == 0 ? frame.size() : piece;
    for (std::size_t pos = 0; pos < frame.size(); pos += step) {
      std::size_t n = std::min(step, frame.size() - pos);
      if (written + n >= drop_after) n = drop_after - written;
      if (n > 0) {
        std::string chunk = hex_size(n) + "\r\n";
        chunk.append(frame.substr(pos, n));
        chunk += "\r\n";
        if (!co_await write_all(stream, chunk)) co_return WriteResult::peer_gone;
        written += n;
      }
      if (written >= drop_after) {
        close_now(conn, d.reset);
        co_return WriteResult::dropped;
      }
    }
    if (conn.peer_closed) co_return WriteResult::peer_gone;
  }
  if (d.stall_at && *d.stall_at >= plan.frames.size()) {
    co_await pause(impl, conn, std::nullopt);
    co_return impl.stopping ? WriteResult::stopped : WriteResult::peer_gone;
  }
  before_last_write();
  if (!co_await write_all(stream, "0\r\n\r\n")) co_return WriteResult::peer_gone;
  co_return WriteResult::completed;
}

template <class Stream>
net::awaitable<bool> handle_control(ImplPtr impl, Stream& stream, Connection& conn,
                                    const http::request<http::string_body>& req, std::string_view path) {
  Response r;
  const bool get = req.method() == http::verb::get;
  const bool post = req.method() == http::verb::post;
  if (path == "/_emulator/stats" && get) {
    r = impl->json_response(200, impl->state.stats_json());
  } else if (path == "/_emulator/requests" && get) {
    json::object body;
    body["requests"] = impl->state.requests_json();
    r = impl->json_response(200, body);
  } else if (path == "/_emulator/reset" && post) {
    impl->state.reset();
    r = impl->json_response(200, json::object{{"ok", true}});
  } else if (path == "/_emulator/script" && post) {
    boost::system::error_code ec;
    const json::value doc = json::parse(req.body(), ec);
    const json::object* obj = ec ? nullptr : doc.if_object();
    const json::value* next = obj ? obj->if_contains("next") : nullptr;
    std::vector<std::string> entries;
    std::string problem;
    if (!next || !next->is_array()) problem = "expected {\"next\": [<directive list per request>...]}";
    if (problem.empty()) {
      for (const auto& item : next->get_array()) {
        std::string entry;
        if (item.is_string()) {
          entry = std::string(item.get_string());
        } else if (item.is_array()) {
          for (const auto& d : item.get_array()) {
            if (!d.is_string()) {
              problem = "directive lists hold strings";
              break;
            }
            if (!entry.empty()) entry += ',';
            entry += std::string_view(d.get_string());
          }
        } else {
          problem = "each entry of next is a string or an array of strings";
        }
        if (!problem.empty()) break;
        Directives check;
        apply_directive_list(entry, check);
        if (!check.unknown.empty()) {
          problem = "unknown directive: " + check.unknown.front();
          break;
        }
        entries.push_back(std::move(entry));
      }
    }
    if (!problem.empty()) {
      r = impl->error_response(400, "ValidationException", problem);
    } else {
      const json::value* replace = obj->if_contains("replace");
      impl->state.push_script(std::move(entries), replace && replace->is_bool() && replace->get_bool());
      r = impl->json_response(200, json::object{{"queued", impl->state.script_size()}});
    }
  } else {
    r = impl->error_response(404, "UnknownOperationException", "Unknown emulator control endpoint");
  }
  r.counted = false;
  const bool keep = req.keep_alive();
  co_return co_await write_response(*impl, stream, conn, r, keep) == WriteResult::completed&& keep;
}

template <class Stream>
net::awaitable<bool> handle_model(ImplPtr impl, Stream& stream, Connection& conn,
                                  const http::request<http::string_body>& req, const ModelRoute& route,
                                  std::string_view path, std::string_view query) {
  const auto started = std::chrono::steady_clock::now();
  const bool keep_alive = req.keep_alive();
  RequestRecord rec;
  rec.at_ms = steady_now_ms();
  rec.method = std::string(req.method_string());
  rec.target = std::string(req.target());
  rec.operation = std::string(to_string(route.op));
  rec.model_id = route.model_id;
  rec.headers = redacted_headers(req);
  rec.body_truncated = req.body().size() > State::kMaxLoggedBody;
  rec.body = req.body().substr(0, State::kMaxLoggedBody);

  // Writes `r`, logs the request and says whether the connection stays open.
  const auto finish = [&](Response r, const Directives* d) -> net::awaitable<bool> {
    rec.status = r.status;
    const std::size_t piece = d ? d->chunk.value_or(impl->config.chunk_size) : 0;
    bool recorded = false;
    // Named, not a temporary inside the co_await (docs/decisions/0003-gcc12-coroutine-rules.md, rule 2).
    const std::function<void()> record_before_last_write = [&] {
      impl->state.record(rec);
      recorded = true;
    };
    const WriteResult result =
        co_await write_response(*impl, stream, conn, r, keep_alive, piece, d != nullptr && d->drop_mid_body,
                                d != nullptr && d->reset, record_before_last_write);
    if (result == WriteResult::dropped) impl->state.connection_dropped();
    if (result == WriteResult::peer_gone && !impl->stopping) impl->state.request_abandoned();
    if (!recorded) impl->state.record(std::move(rec));
    co_return result == WriteResult::completed&& keep_alive;
  };

  // 1. Authentication.
  if (impl->config.verify_signatures) {
    aws::sigv4::Request sreq;
    sreq.method = std::string(req.method_string());
    sreq.path = std::string(path);
    sreq.query = std::string(query);
    for (const auto& field : req.base())
      sreq.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    sreq.payload = req.body();
    AuthSettings settings{impl->config.access_key_id, impl->config.secret_access_key, impl->config.region, "bedrock",
                          impl->config.max_clock_skew};
    const AuthResult auth = check_auth(sreq, settings, impl->config.clock());
    if (!auth.ok) {
      impl->state.signature_failure();
      rec.auth_error = auth.code;
      const unsigned status = auth.code == "IncompleteSignatureException" ? 400 : 403;
      co_return co_await finish(impl->error_response(status, auth.code, auth.message, {}, true), nullptr);
    }
    rec.verified = true;
  }

  // 2. Directives: the scripted entry first, then markers in the last user turn.
  Directives d;
  if (auto entry = impl->state.pop_script()) apply_directive_list(*entry, d);
  const bool converse = route.op == Operation::converse || route.op == Operation::converse_stream;
  const ParsedBody parsed = converse ? parse_converse_body(req.body()) : parse_invoke_body(req.body());
  std::string user_text = parsed.ok ? apply_markers(parsed.user_text, d) : std::string();
  rec.directives = d.applied;
  rec.unknown_directives = d.unknown;

  PeerWatch watch(impl->executor);
  net::co_spawn(impl->executor, watch_peer(impl, conn, watch), net::detached);
  const auto done = [&](bool keep) -> net::awaitable<bool> {
    co_await stop_watch(conn, watch);
    co_return keep && !conn.peer_closed && !impl->stopping;
  };
  const auto abandoned = [&]() -> net::awaitable<bool> {
    if (!impl->stopping) {
      if (is_stream(route.op)) {
        impl->state.stream_cancelled();
      } else {
        impl->state.request_abandoned();
      }
    }
    impl->state.record(std::move(rec));
    co_await stop_watch(conn, watch);
    co_return false;
  };

  // 3. Timing and connection faults.
  if (d.slow && !co_await pause(*impl, conn, *d.slow)) co_return co_await abandoned();
  if (d.drop) {
    impl->state.connection_dropped();
    impl->state.record(std::move(rec));
    co_await stop_watch(conn, watch);
    close_now(conn, d.reset);
    co_return false;
  }

  // 4. Error replies, in the order a caller would meet them.
  if (d.fault != Fault::none) {
    impl->state.fault_injected();
    const ErrorReply e = fault_reply(d.fault, route.op, route.model_id, impl->config.region);
    co_return co_await done(co_await finish(impl->error_response(e.status, e.code, e.message, e.extra), &d));
  }
  if (!util::has_media_type(req[http::field::content_type], "application/json")) {
    co_return co_await done(co_await finish(
        impl->error_response(400, "ValidationException",
                             "The provided Content-Type '" + std::string(req[http::field::content_type]) +
                                 "' is not supported. Use application/json."),
        &d));
  }
  if (impl->config.strict_on_demand && requires_inference_profile(route.model_id, impl->config.region)) {
    impl->state.fault_injected();
    const ErrorReply e = fault_reply(Fault::on_demand, route.op, route.model_id, impl->config.region);
    co_return co_await done(co_await finish(impl->error_response(e.status, e.code, e.message, e.extra), &d));
  }
  if (!parsed.ok) {
    co_return co_await done(
        co_await finish(impl->error_response(400, "ValidationException", parsed.error_message), &d));
  }

  // 5. The reply.
  const std::string text = reply_text(user_text, d);
  const Usage usage{parsed.input_tokens, split_pieces(text).size()};
  const long latency_ms = static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());

  if (is_stream(route.op)) {
    const StreamPlan plan = build_stream(route.op, text, usage, d, latency_ms);
    const Fields fields{{"Content-Type", "application/vnd.amazon.eventstream"},
                        {"X-Amzn-Bedrock-Content-Type", "application/json"},
                        {"x-amzn-RequestId", impl->request_id()}};
    rec.status = 200;
    // Named, not a temporary inside the co_await (docs/decisions/0003-gcc12-coroutine-rules.md, rule 2).
    const std::function<void()> record_before_last_write = [&] {
      impl->state.stream_completed();
      impl->state.record(rec);
    };
    const WriteResult result =
        co_await write_stream(*impl, stream, conn, fields, plan, d, keep_alive, record_before_last_write);
    switch (result) {
      case WriteResult::completed: co_return co_await done(keep_alive);
      case WriteResult::dropped:
        impl->state.connection_dropped();
        impl->state.record(std::move(rec));
        co_await stop_watch(conn, watch);
        co_return false;
      case WriteResult::peer_gone:
      case WriteResult::stopped: co_return co_await abandoned();
    }
  }

  const Shape shape = d.shape.value_or(converse ? Shape::converse : Shape::generation);
  Response r;
  r.status = 200;
  r.body = d.nonjson ? "not json: " + text : json::serialize(reply_body(shape, text, usage));
  r.fields = {{"Content-Type", "application/json"}, {"x-amzn-RequestId", impl->request_id()}};
  if (!converse) {
    r.fields.emplace_back("x-amzn-bedrock-input-token-count", std::to_string(usage.input_tokens));
    r.fields.emplace_back("x-amzn-bedrock-output-token-count", std::to_string(usage.output_tokens));
    r.fields.emplace_back("x-amzn-bedrock-invocation-latency", std::to_string(latency_ms));
  }
  co_return co_await done(co_await finish(std::move(r), &d));
}

template <class Stream>
net::awaitable<bool> handle(ImplPtr impl, Stream& stream, Connection& conn, http::request<http::string_body>& req) {
  const std::string_view target = req.target();
  const std::size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  impl->state.request(std::string(path));

  if (path.starts_with("/_emulator/")) co_return co_await handle_control(impl, stream, conn, req, path);
  const auto route = match_model_route(path);
  if (!route || req.method() != http::verb::post) {
    RequestRecord rec;
    rec.at_ms = steady_now_ms();
    rec.method = std::string(req.method_string());
    rec.target = std::string(target);
    rec.headers = redacted_headers(req);
    rec.status = 404;
    impl->state.record(std::move(rec));
    const bool keep = req.keep_alive();
    const Response r = impl->error_response(404, "UnknownOperationException", "Unknown operation", {}, true);
    co_return co_await write_response(*impl, stream, conn, r, keep) == WriteResult::completed&& keep;
  }
  co_return co_await handle_model(impl, stream, conn, req, *route, path, query);
}

Response body_too_large(Server::Impl& impl) {
  return impl.error_response(
      413, "ValidationException",
      "Request body exceeds the limit of " + std::to_string(impl.config.max_body_bytes) + " bytes.");
}

template <class Stream>
net::awaitable<void> serve(ImplPtr impl, Stream& stream, Connection& conn) {
  auto& lowest = beast::get_lowest_layer(stream);
  beast::flat_buffer buffer;
  while (!impl->stopping && !conn.peer_closed) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(impl->config.max_body_bytes);
    lowest.expires_after(impl->config.idle_timeout);
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
    if (ec == http::error::body_limit) {  // Content-Length above the limit is refused from the header alone
      co_await write_response(*impl, stream, conn, body_too_large(*impl), false);
      co_return;
    }
    if (ec) {
      if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
          ec != http::error::end_of_stream && ec != http::error::partial_message) {
        const Response r = impl->error_response(400, "ValidationException", "Malformed HTTP request: " + ec.message());
        lowest.expires_after(kBodyReadTimeout);
        co_await write_response(*impl, stream, conn, r, false);
      }
      co_return;
    }
    if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      if (!co_await write_all(stream, "HTTP/1.1 100 Continue\r\n\r\n")) co_return;
    }
    lowest.expires_after(kBodyReadTimeout);
    std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (ec == http::error::body_limit) {
      co_await write_response(*impl, stream, conn, body_too_large(*impl), false);
      co_return;
    }
    if (ec) co_return;
    lowest.expires_never();
    http::request<http::string_body> req = parser.release();
    if (!co_await handle(impl, stream, conn, req)) co_return;
  }
}

net::awaitable<void> run_plain(ImplPtr impl, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  Connection conn(impl->executor, stream.socket());
  ConnectionGuard guard(*impl, conn);
  co_await serve(impl, stream, conn);
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

net::awaitable<void> run_tls(ImplPtr impl, tcp::socket socket) {
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *impl->tls);
  Connection conn(impl->executor, beast::get_lowest_layer(stream).socket());
  ConnectionGuard guard(*impl, conn);
  beast::get_lowest_layer(stream).expires_after(kTlsHandshakeTimeout);
  auto [ec] = co_await stream.async_handshake(net::ssl::stream_base::server, use_tuple);
  impl->state.tls_handshake(!ec);
  if (ec) co_return;
  co_await serve(impl, stream, conn);
}

net::awaitable<void> accept_loop(ImplPtr impl) {
  for (;;) {
    auto [ec, socket] = co_await impl->acceptor.async_accept(use_tuple);
    if (impl->stopping || ec == net::error::operation_aborted || ec == net::error::bad_descriptor) co_return;
    if (ec) {
      util::log_warn("emulator: accept failed: " + ec.message());
      net::steady_timer backoff(impl->executor, std::chrono::milliseconds(50));
      co_await backoff.async_wait(use_tuple);
      continue;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    impl->state.connection_opened();
    if (impl->tls) {
      net::co_spawn(impl->executor, run_tls(impl, std::move(socket)), net::detached);
    } else {
      net::co_spawn(impl->executor, run_plain(impl, std::move(socket)), net::detached);
    }
  }
}

}  // namespace

Server::Server(net::any_io_executor executor, Config config)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(config))) {
  auto& cfg = impl_->config;
  if (!cfg.tls_cert_file.empty() || !cfg.tls_key_file.empty()) {
    if (cfg.tls_cert_file.empty() || cfg.tls_key_file.empty())
      throw std::runtime_error("TLS needs both a certificate and a key file");
    impl_->tls.emplace(net::ssl::context::tls_server);
    boost::system::error_code ec;
    impl_->tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                                net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                                net::ssl::context::no_tlsv1_1,
                            ec);
    impl_->tls->use_certificate_chain_file(cfg.tls_cert_file, ec);
    if (ec) throw std::runtime_error("cannot load TLS certificate " + cfg.tls_cert_file + ": " + ec.message());
    impl_->tls->use_private_key_file(cfg.tls_key_file, net::ssl::context::pem, ec);
    if (ec) throw std::runtime_error("cannot load TLS key " + cfg.tls_key_file + ": " + ec.message());
  }
  const tcp::endpoint endpoint(net::ip::make_address(cfg.host == "localhost" ? "127.0.0.1" : cfg.host), cfg.port);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(net::socket_base::max_listen_connections);
  impl_->port = impl_->acceptor.local_endpoint().port();
}

Server::~Server() { stop(); }

void Server::start() { net::co_spawn(impl_->executor, accept_loop(impl_), net::detached); }

void Server::stop() {
  net::post(impl_->executor, [impl = impl_] {
    if (impl->stopping) return;
    impl->stopping = true;
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
    for (Connection* conn : impl->connections) {
      conn->wake.cancel();
      conn->socket.shutdown(tcp::socket::shutdown_both, ignored);
      conn->socket.cancel(ignored);
    }
  });
}

std::uint16_t Server::port() const noexcept { return impl_->port; }
bool Server::tls() const noexcept { return impl_->tls.has_value(); }
std::string Server::endpoint() const {
  const std::string host =
      impl_->config.host.find(':') != std::string::npos ? "[" + impl_->config.host + "]" : impl_->config.host;
  return (tls() ? "https://" : "http://") + host + ":" + std::to_string(port());
}
State& Server::state() noexcept { return impl_->state; }
const Config& Server::config() const noexcept { return impl_->config; }

ThreadedServer::ThreadedServer(Config config)
    : server_(std::make_unique<Server>(io_.get_executor(), std::move(config))) {
  server_->start();
  thread_ = std::thread([this] { io_.run(); });
}

ThreadedServer::~ThreadedServer() {
  server_->stop();
  // Sessions unwind promptly after stop(); a bounded wait guards against a wedged one.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!io_.stopped() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace llamachat::emulator
