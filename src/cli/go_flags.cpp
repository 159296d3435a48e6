#include "cli/go_flags.h"

namespace aim {

std::vector<std::string> normalize_go_flags(const std::vector<std::string>& args,
                                            const std::set<std::string>& long_names) {
  std::vector<std::string> out;
  out.reserve(args.size());
  bool passthrough = false;
  for (const std::string& arg : args) {
    if (passthrough || arg == "--") {
      passthrough = true;
      out.push_back(arg);
      continue;
    }
    if (arg.size() > 1 && arg[0] == '-' && arg[1] != '-') {
      const std::string body = arg.substr(1);
      const std::string name = body.substr(0, body.find('='));
      const bool has_value = body.find('=') != std::string::npos;
      if (long_names.count(name) && (name.size() > 1 || has_value)) {
        out.push_back("-" + arg);
        continue;
      }
    }
    out.push_back(arg);
  }
  return out;
}

}  // namespace aim
