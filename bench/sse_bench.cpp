// Server-Sent Events framing of a streamed /chat reply: one delta frame per upstream event, then done.
#include <benchmark/benchmark.h>

#include <string>

#include "api/sse.hpp"

namespace {

namespace api = llamachat::api;

void BM_Sse_Delta(benchmark::State& state) {
  const std::string text = " printing \"press\"";  // a few tokens, as Bedrock sends them
  for (auto _ : state) {
    std::string frame = api::sse_delta(text);
    benchmark::DoNotOptimize(frame.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_Sse_Delta);

void BM_Sse_Done(benchmark::State& state) {
  std::string reply;
  while (reply.size() < 1500) reply += "The printing press made books cheaper, and ideas spread.\n";
  const llamachat::chat::Completion completion{"stop", llamachat::chat::Usage{52, 320}};
  for (auto _ : state) {
    std::string frame = api::sse_done(reply, completion);
    benchmark::DoNotOptimize(frame.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * reply.size()));
}
BENCHMARK(BM_Sse_Done);

}  // namespace
