#pragma once
// A tiny HTTP CONNECT proxy for tests on 127.0.0.1:0, running on its own thread. It answers
// "CONNECT host:port" with 200 and relays bytes both ways until either side closes, or, when told to
// refuse, answers with that status and closes. Anything but CONNECT gets 405. Targets are connected to
// as given (tests only ever name loopback servers).
//
//   llamachat::test::ConnectProxy proxy;
//   options.proxy = Url::parse(proxy.url());
//   ... proxy.tunnels() == 1, proxy.targets() == {"127.0.0.1:4433"}
//   proxy.refuse_with(403);
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace llamachat::test {

class ConnectProxy {
 public:
  ConnectProxy();
  ~ConnectProxy();
  ConnectProxy(const ConnectProxy&) = delete;
  ConnectProxy& operator=(const ConnectProxy&) = delete;

  std::uint16_t port() const noexcept;
  std::string url() const;  // "http://127.0.0.1:<port>"

  // From now on, answer every CONNECT with `status` (e.g. 403) instead of tunnelling; 0 tunnels again.
  void refuse_with(unsigned status);

  std::size_t connect_requests() const noexcept;  // CONNECT requests received (tunnelled or refused)
  std::size_t tunnels() const noexcept;           // tunnels established (target connected, 200 sent)
  std::vector<std::string> targets() const;       // the authority of each CONNECT, in arrival order

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace llamachat::test
