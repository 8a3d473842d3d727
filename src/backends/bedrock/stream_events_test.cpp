#include "backends/bedrock/stream_events.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cctype>
#include <string>
#include <vector>

#include "aws/event_stream/decoder.hpp"
#include "support/shared_dir.hpp"
#include "util/base64.hpp"

namespace llamachat::backends::bedrock {
namespace {

namespace es = aws::event_stream;
namespace json = boost::json;
using Kind = StreamEvent::Kind;

es::Message event_message(std::string event_type, std::string payload) {
  return es::Message{{{":event-type", std::move(event_type)},
                      {":content-type", std::string("application/json")},
                      {":message-type", std::string("event")}},
                     std::move(payload)};
}

es::Message chunk(const std::string& llama_chunk_json, const std::string& extra_members = "") {
  return event_message("chunk", R"({"bytes":")" + util::base64_encode(llama_chunk_json) + "\"" + extra_members + "}");
}

es::Message exception_message(std::string type, std::string payload) {
  return es::Message{{{":exception-type", std::move(type)},
                      {":content-type", std::string("application/json")},
                      {":message-type", std::string("exception")}},
                     std::move(payload)};
}

std::vector<StreamEvent> map_ok(StreamApi api, const es::Message& message) {
  auto events = map_stream_message(api, message);
  EXPECT_TRUE(events.has_value()) << (events ? "" : events.error().message());
  return events ? *events : std::vector<StreamEvent>{};
}

boost::system::error_code map_error(StreamApi api, const es::Message& message) {
  auto events = map_stream_message(api, message);
  EXPECT_FALSE(events.has_value());
  return events ? boost::system::error_code{} : events.error();
}

StreamEvent delta(std::string text) { return StreamEvent{.kind = Kind::delta, .text = std::move(text)}; }
StreamEvent stop(std::string reason) { return StreamEvent{.kind = Kind::stop, .stop_reason = std::move(reason)}; }
StreamEvent usage(std::uint64_t in, std::uint64_t out) {
  return StreamEvent{.kind = Kind::usage, .input_tokens = in, .output_tokens = out};
}
const StreamEvent kIgnored{};

// --- InvokeModelWithResponseStream ---------------------------------------------------------------------

TEST(StreamEventsInvoke, MapsGenerationToDelta) {
  EXPECT_EQ(
      map_ok(StreamApi::invoke,
             chunk(R"({"generation":"Hel","prompt_token_count":12,"generation_token_count":1,"stop_reason":null})")),
      std::vector{delta("Hel")});
}

TEST(StreamEventsInvoke, FinalChunkYieldsStopThenUsage) {
  const auto events =
      map_ok(StreamApi::invoke,
             chunk(R"({"generation":"!","prompt_token_count":null,"generation_token_count":5,"stop_reason":"length",)"
                   R"("amazon-bedrock-invocationMetrics":{"inputTokenCount":12,"outputTokenCount":5,)"
                   R"("invocationLatency":421,"firstByteLatency":118}})"));
  EXPECT_EQ(events, (std::vector{delta("!"), stop("length"), usage(12, 5)}));
}

TEST(StreamEventsInvoke, IgnoresUnknownMembersAndPadding) {
  EXPECT_EQ(map_ok(StreamApi::invoke, chunk(R"({"generation":"a","future":{"x":[1]}})", R"(,"p":"abcdefgh")")),
            std::vector{delta("a")});
}

TEST(StreamEventsInvoke, ChunkWithNothingToSayIsIgnored) {
  EXPECT_EQ(map_ok(StreamApi::invoke, chunk(R"({"generation":"","stop_reason":null})")), std::vector{kIgnored});
  EXPECT_EQ(map_ok(StreamApi::invoke, chunk("{}")), std::vector{kIgnored});
}

TEST(StreamEventsInvoke, MetricsWithMissingCountsGiveAPartialUsage) {
  const auto events =
      map_ok(StreamApi::invoke, chunk(R"({"amazon-bedrock-invocationMetrics":{"outputTokenCount":3}})"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::usage);
  EXPECT_EQ(events[0].input_tokens, std::nullopt);
  EXPECT_EQ(events[0].output_tokens, 3u);
}

TEST(StreamEventsInvoke, UnknownEventTypeIsIgnored) {
  EXPECT_EQ(map_ok(StreamApi::invoke, event_message("somethingNew", "not even json")), std::vector{kIgnored});
}

TEST(StreamEventsInvoke, RejectsMalformedChunks) {
  EXPECT_EQ(map_error(StreamApi::invoke, event_message("chunk", "not json")),
            stream_event_errc::payload_not_json_object);
  EXPECT_EQ(map_error(StreamApi::invoke, event_message("chunk", "[1]")), stream_event_errc::payload_not_json_object);
  EXPECT_EQ(map_error(StreamApi::invoke, event_message("chunk", R"({"p":"x"})")),
            stream_event_errc::chunk_bytes_missing);
  EXPECT_EQ(map_error(StreamApi::invoke, event_message("chunk", R"({"bytes":7})")),
            stream_event_errc::chunk_bytes_missing);
  EXPECT_EQ(map_error(StreamApi::invoke, event_message("chunk", R"({"bytes":"e30"})")),  // unpadded "{}"
            stream_event_errc::chunk_bytes_not_base64);
  EXPECT_EQ(map_error(StreamApi::invoke, chunk("generation")), stream_event_errc::chunk_not_json_object);
  EXPECT_EQ(map_error(StreamApi::invoke, chunk(R"({"generation":5})")), stream_event_errc::field_has_wrong_type);
  EXPECT_EQ(map_error(StreamApi::invoke, chunk(R"({"stop_reason":true})")), stream_event_errc::field_has_wrong_type);
  EXPECT_EQ(map_error(StreamApi::invoke, chunk(R"({"amazon-bedrock-invocationMetrics":[]})")),
            stream_event_errc::field_has_wrong_type);
  EXPECT_EQ(map_error(StreamApi::invoke, chunk(R"({"amazon-bedrock-invocationMetrics":{"inputTokenCount":-1}})")),
            stream_event_errc::field_has_wrong_type);
  EXPECT_EQ(map_error(StreamApi::invoke, chunk(R"({"amazon-bedrock-invocationMetrics":{"inputTokenCount":"12"}})")),
            stream_event_errc::field_has_wrong_type);
}

// --- ConverseStream ------------------------------------------------------------------------------------

TEST(StreamEventsConverse, MapsDeltaStopAndMetadata) {
  EXPECT_EQ(map_ok(StreamApi::converse,
                   event_message("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hi"},"p":"ab"})")),
            std::vector{delta("Hi")});
  EXPECT_EQ(map_ok(StreamApi::converse, event_message("messageStop", R"({"stopReason":"max_tokens"})")),
            std::vector{stop("max_tokens")});
  EXPECT_EQ(map_ok(StreamApi::converse,
                   event_message("metadata", R"({"usage":{"inputTokens":3,"outputTokens":4,"totalTokens":7},)"
                                             R"("metrics":{"latencyMs":9}})")),
            std::vector{usage(3, 4)});
}

TEST(StreamEventsConverse, StructuralEventsAreIgnored) {
  for (const char* type : {"messageStart", "contentBlockStart", "contentBlockStop", "brandNewEvent"}) {
    EXPECT_EQ(map_ok(StreamApi::converse, event_message(type, R"({"role":"assistant","contentBlockIndex":0})")),
              std::vector{kIgnored})
        << type;
  }
  EXPECT_EQ(map_ok(StreamApi::converse,
                   event_message("contentBlockDelta", R"({"contentBlockIndex":1,"delta":{"toolUse":{"input":"{"}}})")),
            std::vector{kIgnored});
  EXPECT_EQ(map_ok(StreamApi::converse, event_message("metadata", R"({"metrics":{"latencyMs":9}})")),
            std::vector{kIgnored});
}

TEST(StreamEventsConverse, RejectsMalformedEvents) {
  EXPECT_EQ(map_error(StreamApi::converse, event_message("contentBlockDelta", "{")),
            stream_event_errc::payload_not_json_object);
  EXPECT_EQ(map_error(StreamApi::converse, event_message("contentBlockDelta", R"({"contentBlockIndex":0})")),
            stream_event_errc::required_field_missing);
  EXPECT_EQ(map_error(StreamApi::converse, event_message("contentBlockDelta", R"({"delta":{"text":1}})")),
            stream_event_errc::field_has_wrong_type);
  EXPECT_EQ(map_error(StreamApi::converse, event_message("messageStop", "{}")),
            stream_event_errc::required_field_missing);
  EXPECT_EQ(map_error(StreamApi::converse, event_message("metadata", R"({"usage":{"inputTokens":1.5}})")),
            stream_event_errc::field_has_wrong_type);
}

// --- Exceptions and message types (both APIs) ----------------------------------------------------------

TEST(StreamEvents, ExceptionMessageBecomesTypedError) {
  for (StreamApi api : {StreamApi::invoke, StreamApi::converse}) {
    const auto events = map_ok(api, exception_message("throttlingException", R"({"message":"Too many requests"})"));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, Kind::exception);
    EXPECT_EQ(events[0].exception_type, "throttlingException");
    EXPECT_EQ(events[0].exception_message, "Too many requests");
    EXPECT_EQ(events[0].original_status_code, std::nullopt);
  }
}

TEST(StreamEvents, ModelStreamErrorKeepsOriginalStatusCode) {
  const auto events = map_ok(
      StreamApi::invoke, exception_message("modelStreamErrorException", R"({"Message":"boom","originalStatusCode":500,)"
                                                                        R"("originalMessage":"upstream"})"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].exception_message, "boom");
  EXPECT_EQ(events[0].original_status_code, 500);
}

TEST(StreamEvents, ExceptionWithUnreadablePayloadKeepsItsType) {
  const auto events = map_ok(StreamApi::converse, exception_message("internalServerException", "<html>"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::exception);
  EXPECT_EQ(events[0].exception_type, "internalServerException");
  EXPECT_EQ(events[0].exception_message, "");
}

TEST(StreamEvents, UnmodeledErrorUsesErrorHeaders) {
  const es::Message message{{{":message-type", std::string("error")},
                             {":error-code", std::string("InternalFailure")},
                             {":error-message", std::string("something broke")}},
                            ""};
  const auto events = map_ok(StreamApi::invoke, message);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::exception);
  EXPECT_EQ(events[0].exception_type, "InternalFailure");
  EXPECT_EQ(events[0].exception_message, "something broke");
}

TEST(StreamEvents, RequiresMessageEventAndExceptionTypes) {
  EXPECT_EQ(map_error(StreamApi::invoke, es::Message{{}, "{}"}), stream_event_errc::missing_message_type);
  EXPECT_EQ(map_error(StreamApi::invoke, es::Message{{{":message-type", std::int32_t{1}}}, "{}"}),
            stream_event_errc::missing_message_type);
  EXPECT_EQ(map_error(StreamApi::converse, es::Message{{{":message-type", std::string("event")}}, "{}"}),
            stream_event_errc::missing_event_type);
  EXPECT_EQ(map_error(StreamApi::converse, es::Message{{{":message-type", std::string("exception")}}, "{}"}),
            stream_event_errc::missing_exception_type);
}

TEST(StreamEvents, UnknownMessageTypeIsIgnored) {
  EXPECT_EQ(map_ok(StreamApi::invoke, es::Message{{{":message-type", std::string("ping")}}, ""}),
            std::vector{kIgnored});
}

TEST(StreamEvents, ErrorsHaveSpecificMessages) {
  EXPECT_EQ(make_error_code(stream_event_errc::chunk_bytes_not_base64).message(),
            "chunk \"bytes\" member is not valid base64");
  EXPECT_STREQ(stream_event_category().name(), "llamachat.bedrock.stream_event");
}

// --- The shared Bedrock stream samples, end to end (decoder + mapping) ---------------------------------

struct Collected {
  std::string text;
  std::string stop_reason;
  std::optional<std::uint64_t> input_tokens, output_tokens;
  std::optional<StreamEvent> exception;
  std::size_t events_after_exception = 0;
};

Collected collect(StreamApi api, const std::string& body, std::size_t chunk_size) {
  es::Decoder decoder;
  std::vector<es::Message> messages;
  boost::system::error_code ec;
  for (std::size_t at = 0; at < body.size() && !ec; at += chunk_size) {
    decoder.feed(std::string_view(body).substr(at, chunk_size), messages, ec);
  }
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_FALSE(decoder.finish());
  Collected c;
  for (const auto& message : messages) {
    auto events = map_stream_message(api, message);
    EXPECT_TRUE(events.has_value());
    if (!events) continue;
    for (const auto& e : *events) {
      if (c.exception) ++c.events_after_exception;
      switch (e.kind) {
        case Kind::delta: c.text += e.text; break;
        case Kind::stop: c.stop_reason = e.stop_reason; break;
        case Kind::usage:
          c.input_tokens = e.input_tokens;
          c.output_tokens = e.output_tokens;
          break;
        case Kind::exception: c.exception = e; break;
        case Kind::ignored: break;
      }
    }
  }
  return c;
}

TEST(StreamEventsSamples, BedrockSamplesMapToTheirExpectedResults) {
  LLAMACHAT_REQUIRE_VECTORS(vectors);
  const auto dir = vectors / "bedrock-stream";
  const json::value manifest = json::parse(llamachat::test::read_file(dir / "manifest.json"));
  int streams = 0;
  for (const auto& s : manifest.at("streams").as_array()) {
    const std::string file(s.at("file").as_string());
    const json::value d = json::parse(llamachat::test::read_file(dir / std::string(s.at("description").as_string())));
    const json::object& expected = d.at("expected").as_object();
    const StreamApi api = d.at("operation") == "ConverseStream" ? StreamApi::converse : StreamApi::invoke;
    const std::string body = llamachat::test::read_file(dir / file);
    for (std::size_t chunk_size : {std::size_t{1}, std::size_t{7}, body.size()}) {
      SCOPED_TRACE(file + " in chunks of " + std::to_string(chunk_size));
      const Collected c = collect(api, body, chunk_size);
      EXPECT_EQ(c.text, expected.at("text").as_string());
      const json::value* stop_reason =
          api == StreamApi::converse ? expected.if_contains("stopReason") : expected.if_contains("stop_reason");
      ASSERT_NE(stop_reason, nullptr);
      EXPECT_EQ(c.stop_reason, stop_reason->is_null() ? "" : std::string(stop_reason->as_string()));
      if (const json::value* u = expected.if_contains("usage")) {
        EXPECT_EQ(c.input_tokens, u->at("inputTokens").to_number<std::uint64_t>());
        EXPECT_EQ(c.output_tokens, u->at("outputTokens").to_number<std::uint64_t>());
      } else if (const json::value* m = expected.if_contains("invocationMetrics")) {
        EXPECT_EQ(c.input_tokens, m->at("inputTokenCount").to_number<std::uint64_t>());
        EXPECT_EQ(c.output_tokens, m->at("outputTokenCount").to_number<std::uint64_t>());
      } else {
        EXPECT_EQ(c.input_tokens, std::nullopt);
      }
      const json::value& error = expected.at("error");
      if (error.is_null()) {
        EXPECT_FALSE(c.exception.has_value());
      } else {
        ASSERT_TRUE(c.exception.has_value());
        // The SDK names the error class ("ThrottlingException"); the wire sends the union member name
        // ("throttlingException"), which is what we keep.
        std::string name(error.at("name").as_string());
        name[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[0])));
        EXPECT_EQ(c.exception->exception_type, name);
        EXPECT_EQ(c.exception->exception_message, error.at("message").as_string());
        if (const json::value* code = error.as_object().if_contains("originalStatusCode")) {
          EXPECT_EQ(c.exception->original_status_code, code->to_number<int>());
        } else {
          EXPECT_EQ(c.exception->original_status_code, std::nullopt);
        }
        EXPECT_EQ(c.events_after_exception, 0u);
      }
    }
    ++streams;
  }
  EXPECT_EQ(streams, 5);
}

}  // namespace
}  // namespace llamachat::backends::bedrock
