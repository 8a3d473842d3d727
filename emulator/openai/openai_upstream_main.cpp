// llamachat-openai-upstream: the OpenAI-compatible test upstream as a process, for trying the openai backend
// by hand. Prints "listening on 127.0.0.1:<port>" and serves until SIGINT/SIGTERM.
//   llamachat-openai-upstream [--model NAME]... [--api-key KEY]
#include <csignal>
#include <iostream>
#include <string>

#include "openai/openai_upstream.hpp"

int main(int argc, char** argv) {
  llamachat::emulator::openai::UpstreamConfig config;
  std::vector<std::string> models;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--model" || arg == "--api-key") && i + 1 < argc) {
      (arg == "--model" ? models.emplace_back(argv[++i]) : config.api_key = argv[++i]);
    } else {
      std::cerr << "usage: llamachat-openai-upstream [--model NAME]... [--api-key KEY]\n";
      return arg == "--help" ? 0 : 2;
    }
  }
  if (!models.empty()) config.models = std::move(models);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the server's thread starts, so it inherits the mask
  llamachat::emulator::openai::OpenAiUpstream upstream(config);
  std::cout << "listening on 127.0.0.1:" << upstream.port() << std::endl;
  int received = 0;
  sigwait(&signals, &received);
  return 0;
}
