#pragma once
// URLs as they appear in messages. Pure.
#include <string>
#include <string_view>

namespace aim {

// `url` fit for a message or a log: a user name and password (`user:pw@`)
// become `***@`, and a query or fragment is dropped. Errs towards hiding:
// everything before the last '@' after the scheme counts as user
// information, wherever a '/', '?' or '#' sits (an unencoded password may
// hold them).
std::string redact_url(std::string_view url);

}  // namespace aim
