#include "backends/offline/offline_backend.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "chat/memory.hpp"

namespace llamachat::backends::offline {
namespace net = boost::asio;

std::string offline_reply(const chat::ChatRequest& request) {
  std::string last;
  std::size_t user_turns = 0;
  for (const chat::Message& message : request.messages) {
    if (message.role != chat::Role::user) continue;
    ++user_turns;
    last = message.content;  // the last user turn wins
  }
  constexpr std::size_t kEchoLimit = 200;
  if (last.size() > kEchoLimit) {
    std::size_t cut = kEchoLimit;
    while (cut > 0 && (static_cast<unsigned char>(last[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
    last = last.substr(0, cut) + "...";
  }
  std::string reply = "[offline] You said: \"" + last + "\". ";
  // What the conversation policy put in the system prompt shows here, so memory can be seen offline.
  const chat::UserFacts facts = chat::facts_in_prompt(request.system.value_or(""));
  if (facts.name && facts.favorite_color) {
    reply += "I remember that you are " + *facts.name + " and that you like " + *facts.favorite_color + ". ";
  } else if (facts.name) {
    reply += "I remember that you are " + *facts.name + ". ";
  } else if (facts.favorite_color) {
    reply += "I remember that you like " + *facts.favorite_color + ". ";
  }
  if (user_turns > 1) reply += "This is message " + std::to_string(user_turns) + " of our conversation. ";
  reply +=
      "llamachat is running on its built-in offline backend, so this reply was made locally. "
      "To talk to Llama 3.3 70B on Amazon Bedrock, set AWS_REGION and BEDROCK_MODEL_ID "
      "(and AWS credentials) and restart.";
  return reply;
}

net::awaitable<chat::Outcome> OfflineBackend::stream(chat::ChatRequest request, chat::EventSink& sink) {
  const std::string reply = offline_reply(request);
  net::steady_timer timer(co_await net::this_coro::executor);
  // A disconnect ends the pause before the next word at once.
  const auto end_pause_on_cancel = util::on_cancel(request.cancel.get(), [&timer] { timer.cancel(); });
  std::uint64_t words = 0;
  std::size_t start = 0;
  while (start < reply.size()) {
    // Each piece is a word with its trailing space, as model tokens usually are.
    std::size_t end = reply.find(' ', start);
    end = end == std::string::npos ? reply.size() : end + 1;
    if (options_.delay_per_word.count() > 0 && words > 0) {
      timer.expires_after(options_.delay_per_word);
      co_await timer.async_wait(net::as_tuple(net::use_awaitable));
    }
    if (request.cancel && request.cancel->emitted())
      co_return chat::Error{chat::ErrorKind::cancelled, "client disconnected"};
    const bool delivered = co_await sink.on_delta(std::string_view(reply).substr(start, end - start));
    if (!delivered) co_return chat::Error{chat::ErrorKind::cancelled, "client disconnected"};
    ++words;
    start = end;
  }
  std::uint64_t input_words = 0;
  for (const auto& m : request.messages)
    input_words += 1 + static_cast<std::uint64_t>(std::count(m.content.begin(), m.content.end(), ' '));
  co_return chat::Completion{"stop", chat::Usage{input_words, words}};
}

}  // namespace llamachat::backends::offline
