// JSON on the /chat path: parsing the client's body, building the Bedrock body (Llama 3 template and
// escaping), parsing the InvokeModel reply, and serialising the {"reply": ...} answer.
#include <benchmark/benchmark.h>

#include <string>
#include <variant>

#include "api/chat_request.hpp"
#include "backends/bedrock/wire.hpp"
#include "chat/types.hpp"
#include "http/server/server.hpp"

namespace {

namespace api = llamachat::api;
namespace bedrock = llamachat::backends::bedrock;
namespace chat = llamachat::chat;

// A chat message of `size` bytes with the characters that need escaping in JSON.
std::string message_text(std::size_t size) {
  std::string text;
  while (text.size() < size) text += "Tell me about the \"printing press\" and its effects on Europe.\n";
  text.resize(size);
  return text;
}

const std::string kReply =
    "Hello! The printing press, invented by Johannes Gutenberg around 1440, made books cheaper and faster to "
    "produce. Ideas spread across Europe within decades, literacy rose, and the \"Reformation\" and the "
    "Scientific Revolution both owed much to it.\nWould you like to know more?";

void BM_Json_ParseChatInput(benchmark::State& state) {
  const std::string body = "{\"message\":" + llamachat::http::json_quote(message_text(state.range(0))) + "}";
  for (auto _ : state) {
    auto parsed = api::parse_chat_input("application/json", body);
    if (!std::holds_alternative<api::ChatInput>(parsed)) state.SkipWithError("rejected");
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_Json_ParseChatInput)->Arg(16)->Arg(1024)->Arg(64 * 1024);

void BM_Json_InvokeBody(benchmark::State& state) {
  chat::ChatRequest request;
  request.system = chat::kDefaultSystemPrompt;
  request.messages.push_back({chat::Role::user, message_text(state.range(0))});
  const bedrock::Defaults defaults;
  for (auto _ : state) {
    std::string body = bedrock::invoke_body(request, defaults);
    benchmark::DoNotOptimize(body.data());
  }
}
BENCHMARK(BM_Json_InvokeBody)->Arg(16)->Arg(1024)->Arg(64 * 1024);

void BM_Json_ParseInvokeReply(benchmark::State& state) {
  const std::string body = "{\"generation\":" + llamachat::http::json_quote(kReply) +
                           ",\"prompt_token_count\":52,\"generation_token_count\":56,\"stop_reason\":\"stop\"}";
  for (auto _ : state) {
    auto parsed = bedrock::parse_reply(body);
    if (!std::holds_alternative<bedrock::ParsedReply>(parsed)) state.SkipWithError("rejected");
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_Json_ParseInvokeReply);

// The {"reply": ...} body of a non-streaming /chat answer.
void BM_Json_SerializeReply(benchmark::State& state) {
  for (auto _ : state) {
    std::string body = "{\"reply\":" + llamachat::http::json_quote(kReply) + "}";
    benchmark::DoNotOptimize(body.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kReply.size()));
}
BENCHMARK(BM_Json_SerializeReply);

}  // namespace
