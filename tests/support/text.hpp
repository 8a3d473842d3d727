#pragma once
// Small text checks for assertions.
#include <string_view>

namespace llamachat::test {

// True when `part` occurs in `text` (std::string::contains arrives with C++23).
inline bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

}  // namespace llamachat::test
