#pragma once
// Region resolution for the service: AWS_REGION, then AWS_DEFAULT_REGION, then the selected profile's
// `region` (config file, else credentials file). No silent default: nullopt when none is set.
#include <optional>
#include <string>

#include "aws/credentials/provider.hpp"

namespace llamachat::aws::credentials {

std::optional<std::string> resolve_region(const util::Environment& env);

}  // namespace llamachat::aws::credentials
