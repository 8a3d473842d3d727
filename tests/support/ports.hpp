#pragma once
// Loopback ports for tests that need a peer which is not there.
#include <cstdint>

namespace llamachat::test {

// A port on 127.0.0.1 that nothing listens on: the kernel just handed it out and it was released at once, so a
// connection to it is refused (another process could take it meanwhile; on a test machine it stays free).
std::uint16_t closed_loopback_port();

}  // namespace llamachat::test
