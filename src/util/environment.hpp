#pragma once
// The process environment as an input. Everything that reads a variable takes an Environment, so that tests
// pass a fixed map and never depend on (or change) the real environment.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace llamachat::util {

// The value of the variable `name`, or nullopt when it is unset (an empty value is returned as "").
using Environment = std::function<std::optional<std::string>(std::string_view name)>;

// The real environment (std::getenv), read at each call.
Environment process_environment();

}  // namespace llamachat::util
