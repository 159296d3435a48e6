#pragma once
// URLs as they appear in messages and request paths. Pure.
#include <string>
#include <string_view>

namespace aim {

// `url` fit for a message or a log: a user name and password (`user:pw@`)
// become `***@`, and a query or fragment is dropped. Errs towards hiding:
// everything before the last '@' after the scheme counts as user
// information, wherever a '/', '?' or '#' sits (an unencoded password may
// hold them).
std::string redact_url(std::string_view url);

// `segment` as one path segment: every byte outside RFC 3986's unreserved
// characters (A-Z a-z 0-9 - . _ ~) percent-encoded, and "." or ".." encoded
// too, so that no name can reach another path.
std::string escape_path_segment(std::string_view segment);

}  // namespace aim
