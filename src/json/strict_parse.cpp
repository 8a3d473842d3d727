#include "json/strict_parse.hpp"

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/value_stack.hpp>
#include <utility>
#include <vector>

namespace llamachat::json_input {
namespace bj = boost::json;
namespace {

// A Boost.JSON parser handler that builds the value (as boost::json::parse does, through a value_stack)
// and also remembers the member names of every open object, to find a repeated one when the object ends.
class StrictHandler {
 public:
  static constexpr std::size_t max_object_size = bj::object::max_size();
  static constexpr std::size_t max_array_size = bj::array::max_size();
  static constexpr std::size_t max_key_size = bj::string::max_size();
  static constexpr std::size_t max_string_size = bj::string::max_size();

  // The bookkeeping of member names lives in containers reused by every parse on this thread (cleared,
  // never shrunk), so a request body costs no allocation for it. A parse never starts another parse.
  StrictHandler(unsigned char* temp, std::size_t temp_size)
      : stack_(bj::storage_ptr(), temp, temp_size), scratch_(thread_scratch()) {
    scratch_.key_text.clear();
    scratch_.keys.clear();
    scratch_.object_starts.clear();
  }

  void reset(bj::storage_ptr storage) { stack_.reset(std::move(storage)); }
  bj::value release() { return stack_.release(); }
  bool duplicate() const noexcept { return duplicate_; }
  const std::string& duplicate_name() const noexcept { return duplicate_name_; }

  bool on_document_begin(bj::error_code&) { return true; }
  bool on_document_end(bj::error_code&) { return true; }
  bool on_object_begin(bj::error_code&) {
    object_starts_.push_back({keys_.size(), key_text_.size()});
    return true;
  }
  bool on_object_end(std::size_t n, bj::error_code& ec) {
    if (!check_unique_keys(ec)) return false;
    stack_.push_object(n);
    return true;
  }
  bool on_array_begin(bj::error_code&) { return true; }
  bool on_array_end(std::size_t n, bj::error_code&) {
    stack_.push_array(n);
    return true;
  }
  bool on_key_part(bj::string_view s, std::size_t, bj::error_code&) {
    stack_.push_chars(s);
    key_text_.append(s.data(), s.size());
    return true;
  }
  bool on_key(bj::string_view s, std::size_t, bj::error_code&) {
    stack_.push_key(s);
    key_text_.append(s.data(), s.size());
    keys_.push_back({key_begin_, key_text_.size() - key_begin_});
    key_begin_ = key_text_.size();
    return true;
  }
  bool on_string_part(bj::string_view s, std::size_t, bj::error_code&) {
    stack_.push_chars(s);
    return true;
  }
  bool on_string(bj::string_view s, std::size_t, bj::error_code&) {
    stack_.push_string(s);
    return true;
  }
  bool on_number_part(bj::string_view, bj::error_code&) { return true; }
  bool on_int64(std::int64_t i, bj::string_view, bj::error_code&) {
    stack_.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, bj::string_view, bj::error_code&) {
    stack_.push_uint64(u);
    return true;
  }
  bool on_double(double d, bj::string_view, bj::error_code&) {
    stack_.push_double(d);
    return true;
  }
  bool on_bool(bool b, bj::error_code&) {
    stack_.push_bool(b);
    return true;
  }
  bool on_null(bj::error_code&) {
    stack_.push_null();
    return true;
  }
  bool on_comment_part(bj::string_view, bj::error_code&) { return true; }
  bool on_comment(bj::string_view, bj::error_code&) { return true; }

 private:
  struct ObjectStart {
    std::size_t first_key;        // its first entry in keys
    std::size_t key_text_offset;  // where its names start in key_text
  };
  struct KeySpan {
    std::size_t offset;
    std::size_t size;
  };
  struct Scratch {
    std::string key_text;                    // the names of the members of every open object, one after another
    std::vector<KeySpan> keys;               // the names of the open objects, innermost last
    std::vector<ObjectStart> object_starts;  // one per open object, innermost last
  };
  static Scratch& thread_scratch() {
    thread_local Scratch scratch;
    return scratch;
  }

  std::string_view key(const KeySpan& span) const noexcept { return {key_text_.data() + span.offset, span.size}; }

  // Sorting the names of the ending object costs O(k log k) for k members, so a body of many members
  // cannot make this quadratic.
  bool check_unique_keys(bj::error_code& ec) {
    const ObjectStart start = object_starts_.back();
    object_starts_.pop_back();
    const auto first = keys_.begin() + static_cast<std::ptrdiff_t>(start.first_key);
    std::sort(first, keys_.end(), [this](const KeySpan& a, const KeySpan& b) { return key(a) < key(b); });
    const auto repeated =
        std::adjacent_find(first, keys_.end(), [this](const KeySpan& a, const KeySpan& b) { return key(a) == key(b); });
    if (repeated != keys_.end()) {
      duplicate_ = true;
      duplicate_name_ = std::string(key(*repeated));
      ec = bj::error::syntax;  // any error stops the parser; duplicate_ says which
      return false;
    }
    // The names of an ended object are no longer needed; those of enclosing objects come before them.
    keys_.erase(first, keys_.end());
    key_text_.resize(start.key_text_offset);
    key_begin_ = key_text_.size();
    return true;
  }

  bj::value_stack stack_;
  Scratch& scratch_;
  std::string& key_text_ = scratch_.key_text;
  std::vector<KeySpan>& keys_ = scratch_.keys;
  std::vector<ObjectStart>& object_starts_ = scratch_.object_starts;
  std::size_t key_begin_ = 0;  // where the name being read starts in key_text_
  bool duplicate_ = false;
  std::string duplicate_name_;
};

}  // namespace

ParseOutcome parse_request_json(std::string_view text, bj::storage_ptr storage) {
  bj::parse_options options;
  options.max_depth = kMaxRequestDepth;
  unsigned char temp[BOOST_JSON_STACK_BUFFER_SIZE];
  bj::basic_parser<StrictHandler> parser(options, temp, sizeof temp);
  parser.handler().reset(std::move(storage));
  bj::error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && used < text.size()) ec = bj::error::extra_data;
  // The value is move-constructed, never assigned: assigning a value to one of another storage copies it
  // (into the default heap), which would break the contract that its memory comes from `storage`.
  if (!ec) return ParseOutcome{parser.handler().release(), ParseFailure::none, {}};
  ParseOutcome outcome;
  if (parser.handler().duplicate()) {
    outcome.failure = ParseFailure::duplicate_key;
    outcome.detail = parser.handler().duplicate_name();
  } else if (ec == bj::error::too_deep) {
    outcome.failure = ParseFailure::too_deep;
    outcome.detail = ec.message();
  } else {
    outcome.failure = ParseFailure::syntax;
    outcome.detail = ec.message();
  }
  return outcome;
}

}  // namespace llamachat::json_input
