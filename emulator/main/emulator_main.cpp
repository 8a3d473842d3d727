// llamachat-bedrock-emulator: runs the Bedrock Runtime emulator until SIGINT/SIGTERM. Prints exactly one line
// "listening on <host>:<port>" on stdout once it accepts connections. See emulator/README.md.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <charconv>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>

#include "emulator/server.hpp"
#include "util/log.hpp"

namespace {

constexpr std::string_view kUsage = R"(Usage: llamachat-bedrock-emulator [options]

A local stand-in for the Amazon Bedrock Runtime API (InvokeModel, InvokeModelWithResponseStream, Converse,
ConverseStream) with SigV4 verification, scripted faults and a control API under /_emulator/.

Options:
  --host ADDR               address to bind (default 127.0.0.1)
  --port N                  port to bind; 0 picks a free one (default 0)
  --region R                region requests must be signed for (default us-east-1)
  --access-key-id ID        accepted access key id (default AKIDEXAMPLE)
  --secret-access-key KEY   its secret (default: the AWS documentation example key)
  --tls-cert PEM            serve HTTPS with this certificate chain (needs --tls-key)
  --tls-key PEM             private key for --tls-cert
  --chunk-size N            write response bodies in N-byte pieces (default 0: whole events)
  --no-verify               accept requests without checking their signature
  --strict-on-demand BOOL   refuse the Llama 3.3 base model id outside us-east-2 like AWS (default true)
  --no-strict-on-demand     same as --strict-on-demand false
  --max-body-bytes N        request body limit (default 25000000)
  --idle-timeout-ms N       close a keep-alive connection after N ms without a request (default 120000)
  --log-level LEVEL         debug|info|warn|error (default warn)
  --help                    show this text

On start it prints "listening on <host>:<port>". Directives ([[emulate:...]] in the prompt, or queued with
POST /_emulator/script) are described in emulator/README.md.
)";

bool parse_number(std::string_view text, std::size_t& out) {
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && ptr == text.data() + text.size();
}

bool parse_bool(std::string_view text, bool& out) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") return out = true, true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return out = false, true;
  return false;
}

int usage_error(const std::string& message) {
  std::cerr << "llamachat-bedrock-emulator: " << message << "\n(see --help)\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using llamachat::emulator::Config;
  Config config;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&](std::string_view& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    std::string_view v;
    std::size_t n = 0;
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--no-verify") {
      config.verify_signatures = false;
    } else if (arg == "--no-strict-on-demand") {
      config.strict_on_demand = false;
    } else if (!value(v)) {
      return usage_error(std::string(arg.starts_with("--") ? "missing value for " : "unknown argument ") +
                         std::string(arg));
    } else if (arg == "--host") {
      config.host = v;
    } else if (arg == "--port") {
      if (!parse_number(v, n) || n > 65535) return usage_error("bad --port");
      config.port = static_cast<std::uint16_t>(n);
    } else if (arg == "--region") {
      config.region = v;
    } else if (arg == "--access-key-id") {
      config.access_key_id = v;
    } else if (arg == "--secret-access-key") {
      config.secret_access_key = v;
    } else if (arg == "--tls-cert") {
      config.tls_cert_file = v;
    } else if (arg == "--tls-key") {
      config.tls_key_file = v;
    } else if (arg == "--chunk-size") {
      if (!parse_number(v, config.chunk_size)) return usage_error("bad --chunk-size");
    } else if (arg == "--max-body-bytes") {
      if (!parse_number(v, config.max_body_bytes)) return usage_error("bad --max-body-bytes");
    } else if (arg == "--idle-timeout-ms") {
      if (!parse_number(v, n) || n == 0) return usage_error("bad --idle-timeout-ms (a positive number)");
      config.idle_timeout = std::chrono::milliseconds(n);
    } else if (arg == "--strict-on-demand") {
      if (!parse_bool(v, config.strict_on_demand)) return usage_error("bad --strict-on-demand (true|false)");
    } else if (arg == "--log-level") {
      using llamachat::util::LogLevel;
      if (v == "debug")
        llamachat::util::set_log_level(LogLevel::debug);
      else if (v == "info")
        llamachat::util::set_log_level(LogLevel::info);
      else if (v == "warn")
        llamachat::util::set_log_level(LogLevel::warn);
      else if (v == "error")
        llamachat::util::set_log_level(LogLevel::error);
      else
        return usage_error("bad --log-level");
    } else {
      return usage_error("unknown argument " + std::string(arg));
    }
  }

  try {
    boost::asio::io_context io;
    llamachat::emulator::Server server(io.get_executor(), config);
    server.start();
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
      if (!ec) server.stop();
    });
    std::printf("listening on %s:%u\n", config.host.c_str(), static_cast<unsigned>(server.port()));
    std::fflush(stdout);
    io.run();
  } catch (const std::exception& e) {
    std::cerr << "llamachat-bedrock-emulator: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
