#pragma once
// "The client went away": the signal a ChatRequest carries from the API layer to the backend. The HTTP
// server emits it on a disconnect; a backend subscribes (RAII) to stop its upstream work at once, and hands
// it to the HTTP client, which closes the upstream connection. See util/cancel_signal.hpp.
#include "util/cancel_signal.hpp"

namespace llamachat::chat {

using CancelSignal = util::CancelSignal;

}  // namespace llamachat::chat
