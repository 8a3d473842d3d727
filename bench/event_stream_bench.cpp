// Event-stream codec throughput on realistic Bedrock InvokeModelWithResponseStream bodies: ~4 MiB of `chunk`
// frames (a few words of generation each, with the "p" padding member the service adds), decoded from 1 KiB
// and 16 KiB reads as an HTTP body arrives; plus decode + mapping to stream events, and encoding.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "aws/event_stream/decoder.hpp"
#include "aws/event_stream/encoder.hpp"
#include "backends/bedrock/stream_events.hpp"
#include "util/base64.hpp"

namespace {

namespace es = llamachat::aws::event_stream;
namespace bedrock = llamachat::backends::bedrock;

constexpr std::size_t kStreamBytes = 4 * 1024 * 1024;

es::Message chunk_event(std::size_t i) {
  static const char* const kWords[] = {" the", " printing", " press",  " changed", " Europe,",
                                       " and", " books",    " became", " cheap."};
  const std::string generation = kWords[i % 9];
  const std::string llama_chunk = R"({"generation":")" + generation + R"(","prompt_token_count":null,)" +
                                  R"("generation_token_count":)" + std::to_string(i + 1) + R"(,"stop_reason":null})";
  // The service pads events to hide token lengths; vary the padding like it does.
  const std::string padding =
      std::string("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789").substr(0, 8 + (i * 7) % 50);
  return es::Message{{{":event-type", std::string("chunk")},
                      {":content-type", std::string("application/json")},
                      {":message-type", std::string("event")}},
                     R"({"bytes":")" + llamachat::util::base64_encode(llama_chunk) + R"(","p":")" + padding + "\"}"};
}

struct Stream {
  std::vector<es::Message> messages;
  std::string body;
};

const Stream& realistic_stream() {
  static const Stream stream = [] {
    Stream s;
    while (s.body.size() < kStreamBytes) {
      s.messages.push_back(chunk_event(s.messages.size()));
      es::encode_to(s.messages.back(), s.body);
    }
    return s;
  }();
  return stream;
}

void BM_DecodeBedrockStream(benchmark::State& state) {
  const std::string& body = realistic_stream().body;
  const auto read_size = static_cast<std::size_t>(state.range(0));
  std::vector<es::Message> messages;
  std::size_t decoded = 0;
  for (auto _ : state) {
    es::Decoder decoder;
    boost::system::error_code ec;
    for (std::size_t at = 0; at < body.size(); at += read_size) {
      messages.clear();
      decoder.feed(std::string_view(body).substr(at, read_size), messages, ec);
      decoded += messages.size();
    }
    if (ec || decoder.finish()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * realistic_stream().messages.size()));
}
BENCHMARK(BM_DecodeBedrockStream)->Arg(1024)->Arg(16 * 1024)->Unit(benchmark::kMillisecond);

// What the backend does per response body: decode, then map every message to stream events.
void BM_DecodeAndMapBedrockStream(benchmark::State& state) {
  const std::string& body = realistic_stream().body;
  const auto read_size = static_cast<std::size_t>(state.range(0));
  std::vector<es::Message> messages;
  std::size_t text_bytes = 0;
  for (auto _ : state) {
    es::Decoder decoder;
    boost::system::error_code ec;
    for (std::size_t at = 0; at < body.size(); at += read_size) {
      messages.clear();
      decoder.feed(std::string_view(body).substr(at, read_size), messages, ec);
      for (const auto& message : messages) {
        auto events = bedrock::map_stream_message(bedrock::StreamApi::invoke, message);
        if (!events) state.SkipWithError("mapping failed");
        for (const auto& event : *events) text_bytes += event.text.size();
      }
    }
    benchmark::DoNotOptimize(text_bytes);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * realistic_stream().messages.size()));
}
BENCHMARK(BM_DecodeAndMapBedrockStream)->Arg(16 * 1024)->Unit(benchmark::kMillisecond);

void BM_EncodeBedrockStream(benchmark::State& state) {
  const Stream& stream = realistic_stream();
  std::string out;
  for (auto _ : state) {
    out.clear();
    for (const auto& message : stream.messages) es::encode_to(message, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.body.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * stream.messages.size()));
}
BENCHMARK(BM_EncodeBedrockStream)->Unit(benchmark::kMillisecond);

// One large payload (1 MiB, e.g. a big non-chat event): the cost is dominated by CRC and the single copy.
void BM_DecodeLargePayload(benchmark::State& state) {
  const std::string body =
      es::encode(es::Message{{{":message-type", std::string("event")}}, std::string(1 << 20, 'x')});
  const auto read_size = static_cast<std::size_t>(state.range(0));
  std::vector<es::Message> messages;
  for (auto _ : state) {
    es::Decoder decoder;
    boost::system::error_code ec;
    messages.clear();
    for (std::size_t at = 0; at < body.size(); at += read_size) {
      decoder.feed(std::string_view(body).substr(at, read_size), messages, ec);
    }
    benchmark::DoNotOptimize(messages.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_DecodeLargePayload)->Arg(16 * 1024)->Unit(benchmark::kMillisecond);

}  // namespace
