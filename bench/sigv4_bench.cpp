// SigV4 signing cost for a typical Bedrock streaming call: InvokeModelWithResponseStream with a ~1 KiB JSON body,
// SDK-style headers and temporary credentials.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "aws/sigv4/signer.hpp"

namespace {

using namespace llamachat::aws;

std::string typical_body() {
  std::string prompt =
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\n";
  while (prompt.size() < 900) prompt += "Tell me more about the history of the printing press and its effects. ";
  prompt += "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
  std::string body = "{\"prompt\":\"";
  for (const char c : prompt) {
    if (c == '\n')
      body += "\\n";
    else if (c == '"')
      body += "\\\"";
    else
      body += c;
  }
  body += "\",\"max_gen_len\":512,\"temperature\":0.5,\"top_p\":0.9}";
  return body;
}

struct Fixture {
  std::string body = typical_body();
  sigv4::Request request{"POST",
                         "/model/us.meta.llama3-3-70b-instruct-v1%3A0/invoke-with-response-stream",
                         "",
                         {{"host", "bedrock-runtime.us-east-1.amazonaws.com"},
                          {"content-type", "application/json"},
                          {"x-amzn-bedrock-accept", "application/json"},
                          {"content-length", std::to_string(body.size())},
                          {"user-agent", "llamachat/0.1"}},
                         body};
  Credentials credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                          "FQoGZXIvYXdzEXAMPLESESSIONTOKEN//////////wEaDEXAMPLE", std::nullopt, "bench"};
  sigv4::SigningParams params{.time = std::chrono::sys_days{std::chrono::year{2025} / 1 / 2},
                              .region = "us-east-1",
                              .service = "bedrock",
                              .add_content_sha256_header = true};
};

void BM_SigV4_SignInvokeModelWithResponseStream(benchmark::State& state) {
  Fixture f;
  for (auto _ : state) {
    sigv4::SigningResult r = sigv4::sign(f.request, f.credentials, f.params);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(f.body.size()));
}
BENCHMARK(BM_SigV4_SignInvokeModelWithResponseStream);

void BM_SigV4_DeriveSigningKey(benchmark::State& state) {
  for (auto _ : state) {
    auto key =
        sigv4::derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20250102", "us-east-1", "bedrock");
    benchmark::DoNotOptimize(key);
  }
}
BENCHMARK(BM_SigV4_DeriveSigningKey);

void BM_SigV4_VerifyInvokeModelWithResponseStream(benchmark::State& state) {
  Fixture f;
  const sigv4::SigningResult r = sigv4::sign(f.request, f.credentials, f.params);
  sigv4::Request received = f.request;
  received.headers.insert(received.headers.end(), r.headers_to_add.begin(), r.headers_to_add.end());
  for (auto _ : state) {
    sigv4::Verification v =
        sigv4::verify(received, f.credentials.access_key_id, f.credentials.secret_access_key, "bedrock", "us-east-1");
    if (!v.ok) state.SkipWithError("verification failed");
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_SigV4_VerifyInvokeModelWithResponseStream);

}  // namespace
