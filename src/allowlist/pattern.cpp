#include "allowlist/pattern.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "allowlist/go_regex.h"

namespace aim {
namespace {

// Limits chosen so that an ordinary rule line (hundreds of bytes) matches in
// microseconds, while a catastrophic pattern on a 4 KiB line gives up within
// milliseconds. A hit counts as "no match": the rule stays unexpected.
constexpr uint32_t kMatchLimit = 200000;
constexpr uint32_t kDepthLimit = 5000;
constexpr uint32_t kHeapLimitKiB = 8192;

struct CodeDeleter {
  void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};
struct CompileContextDeleter {
  void operator()(pcre2_compile_context* c) const { pcre2_compile_context_free(c); }
};
struct MatchContextDeleter {
  void operator()(pcre2_match_context* c) const { pcre2_match_context_free(c); }
};
struct MatchDataDeleter {
  void operator()(pcre2_match_data* d) const { pcre2_match_data_free(d); }
};
struct JitStackDeleter {
  void operator()(pcre2_jit_stack* s) const { pcre2_jit_stack_free(s); }
};

// Options under which a translated Go pattern means what it meant in Go:
// UTF-8, `$` only at the very end, duplicate group names allowed (Go allows
// them). Subjects are made valid UTF-8 first (as_go_text), the way Go reads
// them; PCRE2_MATCH_INVALID_UTF is not used: in PCRE2 10.42 its JIT path
// fails to match \W and \D against multi-byte characters.
constexpr uint32_t kCompileOptions = PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_DUPNAMES;

// Maps a byte offset in the translated pattern back to a column in the
// original only approximately (translation can change lengths); columns of
// translation errors are exact.
size_t clamp_column(size_t offset, size_t length) { return std::min(offset, length) + 1; }

}  // namespace

struct Pattern::Compiled {
  std::unique_ptr<pcre2_code, CodeDeleter> code;
  std::unique_ptr<pcre2_match_context, MatchContextDeleter> match_context;
  std::unique_ptr<pcre2_jit_stack, JitStackDeleter> jit_stack;
  // One match-data block per pattern: the check is single-threaded.
  std::unique_ptr<pcre2_match_data, MatchDataDeleter> match_data;
  bool jit = false;
};

Pattern::Pattern(std::string text, PatternSource source, std::unique_ptr<Compiled> compiled)
    : text_(std::move(text)), source_(std::move(source)), compiled_(std::move(compiled)) {}
Pattern::Pattern(Pattern&&) noexcept = default;
Pattern& Pattern::operator=(Pattern&&) noexcept = default;
Pattern::~Pattern() = default;

bool Pattern::jit() const { return compiled_->jit; }

std::variant<Pattern, Pattern::CompileError> Pattern::compile(std::string text,
                                                              PatternSource source,
                                                              PatternOptions options) {
  auto translated = translate_go_regex(text);
  if (auto* err = std::get_if<GoRegexError>(&translated))
    return CompileError{err->offset + 1, err->reason};
  const std::string& pcre = std::get<std::string>(translated);

  std::unique_ptr<pcre2_compile_context, CompileContextDeleter> cctx(
      pcre2_compile_context_create(nullptr));
  pcre2_set_newline(cctx.get(), PCRE2_NEWLINE_LF);
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  auto compiled = std::make_unique<Compiled>();
  compiled->code.reset(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pcre.data()), pcre.size(),
                                     kCompileOptions, &error_code, &error_offset, cctx.get()));
  if (!compiled->code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error_code, message, sizeof message);
    return CompileError{clamp_column(error_offset, text.size()),
                        reinterpret_cast<const char*>(message)};
  }
  compiled->jit = options.jit && pcre2_jit_compile(compiled->code.get(), PCRE2_JIT_COMPLETE) == 0;
  compiled->match_context.reset(pcre2_match_context_create(nullptr));
  pcre2_set_match_limit(compiled->match_context.get(), kMatchLimit);
  pcre2_set_depth_limit(compiled->match_context.get(), kDepthLimit);
  pcre2_set_heap_limit(compiled->match_context.get(), kHeapLimitKiB);
  if (compiled->jit) {
    compiled->jit_stack.reset(pcre2_jit_stack_create(32 * 1024, 512 * 1024, nullptr));
    pcre2_jit_stack_assign(compiled->match_context.get(), nullptr, compiled->jit_stack.get());
  }
  compiled->match_data.reset(pcre2_match_data_create(1, nullptr));
  return Pattern(std::move(text), std::move(source), std::move(compiled));
}

MatchResult Pattern::search(std::string_view subject) const {
  std::string buffer;
  return search_go_text(as_go_text(subject, buffer));
}

MatchResult Pattern::search_go_text(std::string_view subject) const {
  const int rc = pcre2_match(compiled_->code.get(), reinterpret_cast<PCRE2_SPTR>(subject.data()),
                             subject.size(), 0, PCRE2_NO_UTF_CHECK, compiled_->match_data.get(),
                             compiled_->match_context.get());
  if (rc >= 0) return MatchResult::Match;
  if (rc == PCRE2_ERROR_NOMATCH) return MatchResult::NoMatch;
  // Match/depth/heap limits, JIT stack exhaustion, or any other failure:
  // never a match.
  return MatchResult::LimitHit;
}

}  // namespace aim
