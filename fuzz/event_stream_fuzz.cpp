// The AWS event-stream decoder (src/aws/event_stream) on arbitrary bytes. Oracle: feeding the input in
// chunks of a fuzzer-chosen size gives the same messages and the same error as feeding it whole
// (the decoder's contract: "feed the body in any chunking"), and the decoder consumes what it says.
#include <algorithm>
#include <span>
#include <vector>

#include "aws/event_stream/decoder.hpp"
#include "harness.hpp"

namespace es = llamachat::aws::event_stream;
using llamachat::fuzz::expect;

namespace {

struct Decoded {
  std::vector<es::Message> messages;
  boost::system::error_code error;
};

Decoded decode(std::string_view bytes, std::size_t chunk) {
  es::Decoder decoder;
  Decoded out;
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    const std::string_view piece = bytes.substr(offset, chunk);
    boost::system::error_code ec;
    const std::size_t used = decoder.feed(piece, out.messages, ec);
    expect(used <= piece.size(), "feed consumed more than it was given");
    if (ec) {
      out.error = ec;
      expect(decoder.failed(), "an error left the decoder usable");
      boost::system::error_code again;
      std::vector<es::Message> none;
      expect(decoder.feed(piece, none, again) == 0 && again == ec && none.empty(), "the error is not sticky");
      return out;
    }
    expect(used == piece.size(), "success without consuming every byte");
    offset += used;
  }
  out.error = decoder.finish();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The chunk size comes from the first byte, which stays part of the stream (seed files are plain
  // event-stream bodies).
  const auto bytes = llamachat::fuzz::as_text(data, size);
  const Decoded whole = decode(bytes, std::max<std::size_t>(bytes.size(), 1));
  const Decoded chunked = decode(bytes, 1 + (size == 0 ? 0 : data[0] % 32));
  expect(whole.error == chunked.error, "chunking changed the error");
  expect(whole.messages == chunked.messages, "chunking changed the messages");
  // The header block parser alone, as the decoder calls it for each message.
  std::vector<es::Header> headers;
  (void)es::parse_headers(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), headers);
  return 0;
}
