#include "reply.hpp"

#include <boost/json/parse.hpp>

#include "util/strings.hpp"

namespace llamachat::emulator {
namespace json = boost::json;
namespace {

constexpr std::string_view kUserHeader = "<|start_header_id|>user<|end_header_id|>";
constexpr std::string_view kEot = "<|eot_id|>";
constexpr std::string_view kLlama33 = "meta.llama3-3-70b-instruct-v1:0";

// Longest prefix of `s` of at most `limit` bytes that does not split a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, std::size_t limit) noexcept {
  if (s.size() <= limit) return s;
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

json::object content_text(std::string_view text) {
  json::object block;
  block["text"] = text;
  return block;
}

json::object assistant_message(std::string_view text) {
  json::object message;
  message["role"] = "assistant";
  message["content"] = json::array{content_text(text)};
  return message;
}

json::value shaped(Shape shape, std::string_view text) {
  json::object body;
  switch (shape) {
    case Shape::generation: body["generation"] = text; break;
    case Shape::completion: body["completion"] = text; break;
    case Shape::text: body["text"] = text; break;
    case Shape::choices: {
      json::object choice;
      choice["index"] = 0;
      choice["message"] = assistant_message(text);
      body["choices"] = json::array{std::move(choice)};
      break;
    }
    case Shape::messages: body["messages"] = json::array{assistant_message(text)}; break;
    case Shape::converse: {
      json::object output;
      output["message"] = assistant_message(text);
      body["output"] = std::move(output);
      break;
    }
  }
  return body;
}

// Concatenated text of the "text" blocks of a Converse content array.
std::string content_blocks_text(const json::value& content) {
  std::string out;
  const auto* blocks = content.if_array();
  if (!blocks) return out;
  for (const auto& block : *blocks) {
    const auto* obj = block.if_object();
    if (!obj) continue;
    const auto* text = obj->if_contains("text");
    if (!text || !text->is_string()) continue;
    if (!out.empty()) out += '\n';
    out += std::string_view(text->get_string());
  }
  return out;
}

}  // namespace

std::string_view to_string(Operation op) noexcept {
  switch (op) {
    case Operation::invoke: return "invoke";
    case Operation::invoke_stream: return "invoke-with-response-stream";
    case Operation::converse: return "converse";
    case Operation::converse_stream: return "converse-stream";
  }
  return "invoke";
}

bool is_stream(Operation op) noexcept { return op == Operation::invoke_stream || op == Operation::converse_stream; }

std::string last_user_turn(std::string_view prompt) {
  const std::size_t header = prompt.rfind(kUserHeader);
  if (header == std::string_view::npos) return std::string(prompt);
  std::string_view rest = prompt.substr(header + kUserHeader.size());
  const std::size_t eot = rest.find(kEot);
  if (eot != std::string_view::npos) rest = rest.substr(0, eot);
  return std::string(util::trim(rest, util::ascii_whitespace));
}

std::string reply_text(std::string_view user_text, const Directives& d) {
  if (d.empty) return {};
  if (d.empty_whitespace) return " \n\t ";
  const std::string_view echo = utf8_prefix(util::trim(user_text, util::ascii_whitespace), kEchoLimit);
  std::string text = echo.empty() ? std::string(util::trim(kReplyPrefix, util::ascii_whitespace))
                                  : std::string(kReplyPrefix) + std::string(echo);
  if (d.words) {
    for (std::size_t i = 1; i <= *d.words; ++i) text += " word" + std::to_string(i);
  }
  return text;
}

std::vector<std::string> split_pieces(std::string_view text) {
  std::vector<std::string> pieces;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = pos;
    while (end < text.size() && util::is_in(text[end], util::ascii_whitespace)) ++end;
    while (end < text.size() && !util::is_in(text[end], util::ascii_whitespace)) ++end;
    pieces.emplace_back(text.substr(pos, end - pos));
    pos = end;
  }
  return pieces;
}

std::size_t count_tokens(std::string_view text) noexcept {
  std::size_t words = 0;
  bool in_word = false;
  for (char c : text) {
    if (util::is_in(c, util::ascii_whitespace)) {
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      ++words;
    }
  }
  return words;
}

json::value reply_body(Shape shape, std::string_view text, Usage usage) {
  json::value body = shaped(shape, text);
  auto& obj = body.as_object();
  switch (shape) {
    case Shape::generation:
      obj["prompt_token_count"] = usage.input_tokens;
      obj["generation_token_count"] = usage.output_tokens;
      obj["stop_reason"] = "stop";
      break;
    case Shape::completion: obj["stop_reason"] = "stop"; break;
    case Shape::converse: {
      obj["stopReason"] = "end_turn";
      json::object u;
      u["inputTokens"] = usage.input_tokens;
      u["outputTokens"] = usage.output_tokens;
      u["totalTokens"] = usage.input_tokens + usage.output_tokens;
      obj["usage"] = std::move(u);
      json::object metrics;
      metrics["latencyMs"] = 1;
      obj["metrics"] = std::move(metrics);
      break;
    }
    default: break;
  }
  return body;
}

json::value stream_chunk_body(Shape shape, std::string_view piece, Usage usage, bool first, bool final,
                              std::size_t generated_so_far, long latency_ms) {
  json::value body = shaped(shape, piece);
  auto& obj = body.as_object();
  if (shape == Shape::generation) {
    if (first) {
      obj["prompt_token_count"] = usage.input_tokens;
    } else {
      obj["prompt_token_count"] = nullptr;
    }
    obj["generation_token_count"] = generated_so_far;
  }
  if (final) {
    obj["stop_reason"] = "stop";
    json::object metrics;
    metrics["inputTokenCount"] = usage.input_tokens;
    metrics["outputTokenCount"] = usage.output_tokens;
    metrics["invocationLatency"] = latency_ms;
    metrics["firstByteLatency"] = latency_ms;
    obj["amazon-bedrock-invocationMetrics"] = std::move(metrics);
  } else if (shape == Shape::generation || shape == Shape::completion) {
    obj["stop_reason"] = nullptr;
  }
  return body;
}

ParsedBody parse_invoke_body(std::string_view body) {
  ParsedBody out;
  boost::system::error_code ec;
  const json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) {
    out.error_message = "Malformed input request, please reformat your input and try again.";
    return out;
  }
  const auto* prompt = doc.as_object().if_contains("prompt");
  if (!prompt) {
    out.error_message =
        "Malformed input request: #: required key [prompt] not found, please reformat your input and try again.";
    return out;
  }
  if (!prompt->is_string()) {
    out.error_message =
        "Malformed input request: #/prompt: expected type: String, please reformat your input and try again.";
    return out;
  }
  const std::string_view text = prompt->get_string();
  out.ok = true;
  out.user_text = last_user_turn(text);
  out.input_tokens = count_tokens(text);
  return out;
}

ParsedBody parse_converse_body(std::string_view body) {
  ParsedBody out;
  boost::system::error_code ec;
  const json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) {
    out.error_message = "Malformed input request, please reformat your input and try again.";
    return out;
  }
  const auto& obj = doc.as_object();
  const auto* messages = obj.if_contains("messages");
  if (!messages || !messages->is_array()) {
    out.error_message = "The messages field is required. Add a messages field and try your request again.";
    return out;
  }
  const auto& list = messages->get_array();
  std::size_t tokens = 0;
  const json::object* last_user = nullptr;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto* message = list[i].if_object();
    const auto* role = message ? message->if_contains("role") : nullptr;
    const auto* content = message ? message->if_contains("content") : nullptr;
    if (!role || !role->is_string() || !content || !content->is_array() ||
        (role->get_string() != "user" && role->get_string() != "assistant")) {
      out.error_message = "1 validation error detected: Value at 'messages." + std::to_string(i + 1) +
                          "' failed to satisfy constraint: Member must have a role (user|assistant) and content";
      return out;
    }
    if (i == 0 && role->get_string() != "user") break;
    tokens += count_tokens(content_blocks_text(*content));
    if (role->get_string() == "user") last_user = message;
  }
  if (list.empty() || list[0].as_object().at("role").get_string() != "user") {
    out.error_message =
        "A conversation must start with a user message. Try again with a conversation that starts with a user "
        "message.";
    return out;
  }
  if (const auto* system = obj.if_contains("system")) tokens += count_tokens(content_blocks_text(*system));
  out.ok = true;
  out.user_text = content_blocks_text(last_user->at("content"));
  out.input_tokens = tokens;
  return out;
}

std::string on_demand_message(std::string_view model_id) {
  return "Invocation of model ID " + std::string(model_id) +
         " with on-demand throughput isn\u2019t supported. Retry your request with the ID or ARN of an inference "
         "profile that contains this model.";
}

bool requires_inference_profile(std::string_view model_id, std::string_view region) noexcept {
  if (model_id == "emulator-on-demand-only") return true;
  constexpr std::string_view kFoundationArn = "foundation-model/";
  if (model_id.starts_with("arn:")) {
    const std::size_t pos = model_id.find(kFoundationArn);
    if (pos == std::string_view::npos) return false;
    model_id = model_id.substr(pos + kFoundationArn.size());
  }
  return model_id == kLlama33 && region != "us-east-2";
}

std::string model_arn(std::string_view model_id, std::string_view region) {
  if (model_id.starts_with("arn:")) return std::string(model_id);
  const std::string r(region);
  // System inference profiles carry a geography prefix ("us.", "eu.", "apac.", "global.").
  const std::size_t dot = model_id.find('.');
  const std::string_view prefix = model_id.substr(0, dot == std::string_view::npos ? 0 : dot);
  if (prefix == "us" || prefix == "eu" || prefix == "apac" || prefix == "global" || prefix == "us-gov") {
    return "arn:aws:bedrock:" + r + ":123456789012:inference-profile/" + std::string(model_id);
  }
  return "arn:aws:bedrock:" + r + "::foundation-model/" + std::string(model_id);
}

ErrorReply fault_reply(Fault fault, Operation op, std::string_view model_id, std::string_view region) {
  ErrorReply e;
  switch (fault) {
    case Fault::none:
    case Fault::internal:
      e.status = 500;
      e.code = "InternalServerException";
      e.message = "The system encountered an unexpected error during processing. Try your request again.";
      break;
    case Fault::throttle:
      e.status = 429;
      e.code = "ThrottlingException";
      e.message = "Too many requests, please wait before trying again.";
      break;
    case Fault::unavailable:
      e.status = 503;
      e.code = "ServiceUnavailableException";
      e.message = "Bedrock is unable to process your request.";
      break;
    case Fault::access_denied: {
      const std::string action = is_stream(op) ? "bedrock:InvokeModelWithResponseStream" : "bedrock:InvokeModel";
      e.status = 403;
      e.code = "AccessDeniedException";
      e.message =
          "User: arn:aws:sts::123456789012:assumed-role/llamachat-emulator/emulator-session is not "
          "authorized to perform: " +
          action + " on resource: " + model_arn(model_id, region) + " because no identity-based policy allows the " +
          action + " action";
      break;
    }
    case Fault::validation:
      e.status = 400;
      e.code = "ValidationException";
      e.message =
          "Malformed input request: #/max_gen_len: 0 is not greater or equal to 1, please reformat your "
          "input and try again.";
      break;
    case Fault::on_demand:
      e.status = 400;
      e.code = "ValidationException";
      e.message = on_demand_message(model_id.starts_with("emulator-") || model_id.empty() ? kLlama33 : model_id);
      break;
    case Fault::not_found:
      e.status = 404;
      e.code = "ResourceNotFoundException";
      e.message = "Could not resolve the foundation model from the provided model identifier.";
      break;
    case Fault::model_timeout:
      e.status = 408;
      e.code = "ModelTimeoutException";
      e.message = "Model has timed out in processing the request. Try your request again.";
      break;
    case Fault::model_error:
      e.status = 424;
      e.code = "ModelErrorException";
      e.message = "Received server error (500) from model. The model encountered an internal error.";
      e.extra["originalStatusCode"] = 500;
      e.extra["resourceName"] = model_arn(model_id, region);
      break;
    case Fault::quota:
      e.status = 400;
      e.code = "ServiceQuotaExceededException";
      e.message =
          "Your request exceeds the service quota for your account. You can view your quotas at "
          "https://console.aws.amazon.com/servicequotas. You can resubmit your request later.";
      break;
    case Fault::not_ready:
      e.status = 429;
      e.code = "ModelNotReadyException";
      e.message = "Model is not ready for inference. Wait and try your request again.";
      break;
  }
  return e;
}

json::object stream_exception_payload(std::string_view exception_type) {
  json::object payload;
  if (exception_type == "throttlingException") {
    payload["message"] = "Too many requests, please wait before trying again.";
  } else if (exception_type == "modelStreamErrorException") {
    payload["message"] = "Model stream error: the model stopped responding.";
    payload["originalStatusCode"] = 500;
    payload["originalMessage"] = "Internal server error";
  } else if (exception_type == "internalServerException") {
    payload["message"] = "The system encountered an unexpected error during processing. Try your request again.";
  } else if (exception_type == "serviceUnavailableException") {
    payload["message"] = "Bedrock is unable to process your request.";
  } else if (exception_type == "modelTimeoutException") {
    payload["message"] = "Model has timed out in processing the request. Try your request again.";
  } else if (exception_type == "validationException") {
    payload["message"] = "Input is too long for requested model.";
  } else {
    payload["message"] = "Emulated " + std::string(exception_type);
  }
  return payload;
}

}  // namespace llamachat::emulator
