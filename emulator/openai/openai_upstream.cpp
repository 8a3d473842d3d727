#include "openai/openai_upstream.hpp"

#include <boost/json.hpp>
#include <cstdio>

#include "directives.hpp"
#include "reply.hpp"
#include "support/test_http_server.hpp"

namespace llamachat::emulator::openai {
namespace json = boost::json;
namespace net = boost::asio;
namespace bhttp = boost::beast::http;

struct OpenAiUpstream::State {
  UpstreamConfig config;
  mutable std::mutex mutex;
  std::vector<RecordedRequest> requests;
  std::size_t closed_by_client = 0;
  std::size_t responses_in_progress = 0;       // requests whose handler has not returned yet
  const test::TestHttpServer* http = nullptr;  // set once the server exists; read for its connection counters

  std::size_t record(RecordedRequest r) {
    std::lock_guard lock(mutex);
    requests.push_back(std::move(r));
    return requests.size() - 1;
  }
  void set_status(std::size_t index, unsigned status) {
    std::lock_guard lock(mutex);
    requests[index].status = status;
  }
};

struct OpenAiUpstream::Server {
  Server(test::ExchangeHandler handler, std::optional<test::TestCertificate> tls)
      : http(std::move(handler), std::move(tls)) {}
  test::TestHttpServer http;
};

namespace {

std::string error_json(std::string_view message, std::string_view type, const json::value& code) {
  json::object error{{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}};
  return json::serialize(json::object{{"error", std::move(error)}});
}

test::TestResponse json_response(unsigned status, std::string body) {
  test::TestResponse response{static_cast<bhttp::status>(status), 11};
  response.set(bhttp::field::content_type, "application/json");
  response.body() = std::move(body);
  return response;
}

std::string chunk(std::string_view payload) {
  char size[24];
  const int n = std::snprintf(size, sizeof size, "%zx\r\n", payload.size());
  return std::string(size, static_cast<std::size_t>(n)) + std::string(payload) + "\r\n";
}

std::string sse(const json::value& v) { return chunk("data: " + json::serialize(v) + "\n\n"); }

json::object stream_chunk(std::string_view model, json::object delta, const json::value& finish) {
  json::array choices{json::object{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", finish}}};
  return json::object{{"id", "chatcmpl-test"},
                      {"object", "chat.completion.chunk"},
                      {"created", 1733900000},
                      {"model", model},
                      {"choices", std::move(choices)}};
}

struct Parsed {
  std::string model;
  std::string last_user;
  std::size_t prompt_words = 0;
  std::optional<std::size_t> max_tokens;
  bool stream = false;
  bool include_usage = false;
};

std::optional<Parsed> parse_chat(std::string_view body) {
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  Parsed p;
  if (const auto* m = o.if_contains("model"); m && m->is_string()) p.model = std::string(m->get_string());
  const auto* messages = o.if_contains("messages");
  if (!messages || !messages->is_array()) return std::nullopt;
  for (const auto& m : messages->get_array()) {
    if (!m.is_object()) return std::nullopt;
    const auto* content = m.get_object().if_contains("content");
    const auto* role = m.get_object().if_contains("role");
    if (!content || !content->is_string() || !role || !role->is_string()) return std::nullopt;
    p.prompt_words += count_tokens(content->get_string());
    if (role->get_string() == "user") p.last_user = std::string(content->get_string());
  }
  if (const auto* s = o.if_contains("stream"); s && s->is_bool()) p.stream = s->get_bool();
  if (const auto* so = o.if_contains("stream_options"); so && so->is_object())
    if (const auto* u = so->get_object().if_contains("include_usage"); u && u->is_bool())
      p.include_usage = u->get_bool();
  if (const auto* mt = o.if_contains("max_tokens"); mt && mt->is_int64() && mt->get_int64() > 0)
    p.max_tokens = static_cast<std::size_t>(mt->get_int64());
  return p;
}

struct Fault {
  unsigned status;
  std::string body;
};

std::optional<Fault> fault_of(const Directives& d, std::string_view model) {
  switch (d.fault) {
    case emulator::Fault::none: return std::nullopt;
    case emulator::Fault::throttle:
    case emulator::Fault::not_ready:
      return Fault{429, error_json("Rate limit reached, retry later", "requests", "rate_limit_exceeded")};
    case emulator::Fault::internal: return Fault{500, error_json("internal server error", "server_error", 500)};
    case emulator::Fault::unavailable: return Fault{503, error_json("the model is loading", "server_error", 503)};
    case emulator::Fault::not_found:
      return Fault{404, error_json("The model `" + std::string(model) + "` does not exist.", "NotFoundError", 404)};
    case emulator::Fault::access_denied: return Fault{403, error_json("forbidden", "permission_error", 403)};
    default:
      return Fault{400, error_json("This model's maximum context length is 8192 tokens. However, you requested 9000 "
                                   "tokens (8000 in the messages, 1000 in the completion).",
                                   "BadRequestError", 400)};
  }
}

// The whole stream as vLLM sends it, one SSE event per element, each an HTTP chunk.
std::vector<std::string> stream_events(const Parsed& p, const std::vector<std::string>& pieces, bool truncated) {
  std::vector<std::string> events;
  events.push_back(sse(stream_chunk(p.model, json::object{{"role", "assistant"}, {"content", ""}}, nullptr)));
  for (const auto& piece : pieces)
    events.push_back(sse(stream_chunk(p.model, json::object{{"content", piece}}, nullptr)));
  events.push_back(sse(stream_chunk(p.model, json::object{}, json::string(truncated ? "length" : "stop"))));
  if (p.include_usage) {
    json::object usage{{"prompt_tokens", p.prompt_words},
                       {"completion_tokens", pieces.size()},
                       {"total_tokens", p.prompt_words + pieces.size()}};
    json::object last{{"id", "chatcmpl-test"}, {"object", "chat.completion.chunk"}, {"created", 1733900000},
                      {"model", p.model},      {"choices", json::array{}},          {"usage", std::move(usage)}};
    events.push_back(sse(last));
  }
  events.push_back(chunk("data: [DONE]\n\n"));
  return events;
}

net::awaitable<void> stream_reply(test::TestExchange& exchange, const Parsed& p, const Directives& d,
                                  const std::vector<std::string>& pieces, bool truncated,
                                  OpenAiUpstream::State& state) {
  const std::string_view head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  co_await exchange.write(head);
  const std::vector<std::string> events = stream_events(p, pieces, truncated);
  const std::string keep_alive = chunk(": waiting\n\n");
  const std::string broken = chunk("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"bro\n\n");
  const std::string last_chunk = chunk("");
  const std::string_view end_of_body = "0\r\n\r\n";
  const std::size_t half = events.size() / 2;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (d.drop_mid_body && i == half) {
      d.reset ? exchange.reset() : exchange.close();
      co_return;
    }
    if (d.stall_at && i == *d.stall_at) {
      // Keep-alive comments until the client goes: a failed write is its disconnect.
      try {
        for (;;) {
          co_await exchange.write(keep_alive);
          co_await exchange.sleep(std::chrono::milliseconds(20));
        }
      } catch (const boost::system::system_error&) {
        std::lock_guard lock(state.mutex);
        ++state.closed_by_client;
      }
      exchange.close();
      co_return;
    }
    if (d.broken_frame_at && i == *d.broken_frame_at) {
      co_await exchange.write(broken);
      continue;
    }
    if (d.stream_exception && i == d.stream_exception_at) {
      const std::string error_event = sse(json::parse(error_json(*d.stream_exception, "server_error", nullptr)));
      co_await exchange.write(error_event);
      co_await exchange.write(last_chunk);
      exchange.keep_open();
      co_return;
    }
    if (d.delay && i > 0) co_await exchange.sleep(*d.delay);
    co_await exchange.write(events[i]);
  }
  co_await exchange.write(end_of_body);
  exchange.keep_open();
}

// What to do with one request, decided outside any coroutine (g++ 12 mis-handles literals in co_await
// expressions, see docs/decisions/0003).
struct Plan {
  enum class Action { respond, drop, stream } action = Action::respond;
  unsigned status = 200;
  std::string body;
  bool retry_after = false;
  std::optional<std::chrono::milliseconds> slow;
  Parsed parsed;
  Directives directives;
  std::vector<std::string> pieces;
  bool truncated = false;
};

Plan plan_for(const test::TestRequest& request, const RecordedRequest& record, const UpstreamConfig& config) {
  Plan plan;
  const auto refuse = [&plan](unsigned status, std::string body) {
    plan.status = status;
    plan.body = std::move(body);
    return plan;
  };
  if (!config.api_key.empty() && record.authorization != "Bearer " + config.api_key)
    return refuse(401, error_json("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"));
  const std::string_view target = request.target();
  if (request.method() == bhttp::verb::get && target == "/v1/models") {
    json::array data;
    for (const auto& m : config.models)
      data.push_back(json::object{{"id", m}, {"object", "model"}, {"created", 1733900000}, {"owned_by", "test"}});
    return refuse(200, json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}}));
  }
  if (request.method() != bhttp::verb::post || target != "/v1/chat/completions")
    return refuse(404, error_json("no route " + std::string(target), "NotFoundError", 404));
  const auto parsed = parse_chat(request.body());
  if (!parsed) return refuse(400, error_json("invalid JSON body", "BadRequestError", 400));
  plan.parsed = *parsed;
  Directives& d = plan.directives;
  const std::string user_text = apply_markers(parsed->last_user, d);
  plan.slow = d.slow;
  if (d.drop) {
    plan.action = Plan::Action::drop;
    return plan;
  }
  if (auto fault = fault_of(d, parsed->model)) {
    plan.retry_after = fault->status == 429;
    return refuse(fault->status, std::move(fault->body));
  }
  bool known = false;
  for (const auto& m : config.models) known = known || m == parsed->model;
  if (!known) return refuse(404, error_json("The model `" + parsed->model + "` does not exist.", "NotFoundError", 404));
  plan.pieces = split_pieces(reply_text(user_text, d));
  plan.truncated = parsed->max_tokens && plan.pieces.size() > *parsed->max_tokens;
  if (plan.truncated) plan.pieces.resize(*parsed->max_tokens);
  if (parsed->stream) {
    plan.action = Plan::Action::stream;
    return plan;
  }
  if (d.nonjson) return refuse(200, "this is not JSON");
  std::string text;
  for (const auto& piece : plan.pieces) text += piece;
  json::object message{{"role", "assistant"}, {"content", text}};
  const std::string_view finish = plan.truncated ? "length" : "stop";
  json::array choices{json::object{{"index", 0}, {"message", std::move(message)}, {"finish_reason", finish}}};
  json::object usage{{"prompt_tokens", parsed->prompt_words},
                     {"completion_tokens", plan.pieces.size()},
                     {"total_tokens", parsed->prompt_words + plan.pieces.size()}};
  return refuse(200, json::serialize(json::object{{"id", "chatcmpl-test"},
                                                  {"object", "chat.completion"},
                                                  {"created", 1733900000},
                                                  {"model", parsed->model},
                                                  {"choices", std::move(choices)},
                                                  {"usage", std::move(usage)}}));
}

test::TestResponse planned_response(Plan& plan) {
  test::TestResponse response = json_response(plan.status, std::move(plan.body));
  if (plan.retry_after) response.set(bhttp::field::retry_after, "1");
  return response;
}

// Counts a request as in progress for as long as its handler runs, however it ends.
class InProgress {
 public:
  explicit InProgress(OpenAiUpstream::State& state) : state_(state) {
    std::lock_guard lock(state_.mutex);
    ++state_.responses_in_progress;
  }
  ~InProgress() {
    std::lock_guard lock(state_.mutex);
    --state_.responses_in_progress;
  }
  InProgress(const InProgress&) = delete;
  InProgress& operator=(const InProgress&) = delete;

 private:
  OpenAiUpstream::State& state_;
};

// GET /_emulator/stats, as the Bedrock emulator names its counters (emulator/README.md, "Control API").
test::TestResponse stats_response(OpenAiUpstream::State& state) {
  json::object stats;
  std::lock_guard lock(state.mutex);
  std::size_t chat = 0;
  for (const auto& r : state.requests) chat += r.target.ends_with("/chat/completions") ? 1 : 0;
  stats["chat_requests"] = chat;
  stats["closed_by_client"] = state.closed_by_client;
  stats["responses_in_progress"] = state.responses_in_progress;
  stats["connections_accepted"] = state.http ? state.http->connections_accepted() : 0;
  stats["open_connections"] = state.http ? state.http->open_connections() : 0;
  return json_response(200, json::serialize(stats));
}

net::awaitable<void> handle(test::TestExchange& exchange, std::shared_ptr<OpenAiUpstream::State> state) {
  if (exchange.request().method() == bhttp::verb::get && exchange.request().target() == "/_emulator/stats") {
    test::TestResponse stats = stats_response(*state);
    co_await exchange.respond(std::move(stats));
    co_return;
  }
  const InProgress in_progress(*state);
  RecordedRequest record;
  record.method = std::string(exchange.request().method_string());
  record.target = std::string(exchange.request().target());
  record.authorization = std::string(exchange.request()[bhttp::field::authorization]);
  record.body = exchange.request().body();
  record.connection = exchange.connection_number();
  Plan plan = plan_for(exchange.request(), record, state->config);
  const std::size_t index = state->record(std::move(record));
  if (plan.slow) co_await exchange.sleep(*plan.slow);
  switch (plan.action) {
    case Plan::Action::drop: plan.directives.reset ? exchange.reset() : exchange.close(); break;
    case Plan::Action::stream:
      state->set_status(index, 200);
      co_await stream_reply(exchange, plan.parsed, plan.directives, plan.pieces, plan.truncated, *state);
      break;
    case Plan::Action::respond: {
      state->set_status(index, plan.status);
      test::TestResponse response = planned_response(plan);
      co_await exchange.respond(std::move(response));
      break;
    }
  }
}

}  // namespace

OpenAiUpstream::OpenAiUpstream(UpstreamConfig config) : state_(std::make_shared<State>()) {
  state_->config = std::move(config);
  test::ExchangeHandler handler = [state = state_](test::TestExchange& exchange) { return handle(exchange, state); };
  server_ = std::make_unique<Server>(std::move(handler), state_->config.tls);
  std::lock_guard lock(state_->mutex);
  state_->http = &server_->http;
}

OpenAiUpstream::~OpenAiUpstream() {
  {
    std::lock_guard lock(state_->mutex);
    state_->http = nullptr;  // the handler's state outlives the server only while the server shuts down
  }
  server_.reset();
}

std::uint16_t OpenAiUpstream::port() const noexcept { return server_->http.port(); }

std::string OpenAiUpstream::base_url(const std::string& host) const { return server_->http.url(host) + "/v1"; }

std::vector<RecordedRequest> OpenAiUpstream::requests() const {
  std::lock_guard lock(state_->mutex);
  return state_->requests;
}

std::size_t OpenAiUpstream::chat_requests() const {
  std::lock_guard lock(state_->mutex);
  std::size_t n = 0;
  for (const auto& r : state_->requests) n += r.target.ends_with("/chat/completions") ? 1 : 0;
  return n;
}

std::size_t OpenAiUpstream::connections_accepted() const noexcept { return server_->http.connections_accepted(); }

std::size_t OpenAiUpstream::open_connections() const noexcept { return server_->http.open_connections(); }

std::size_t OpenAiUpstream::responses_in_progress() const {
  std::lock_guard lock(state_->mutex);
  return state_->responses_in_progress;
}

std::size_t OpenAiUpstream::closed_by_client() const {
  std::lock_guard lock(state_->mutex);
  return state_->closed_by_client;
}

}  // namespace llamachat::emulator::openai
