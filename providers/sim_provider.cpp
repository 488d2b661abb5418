#include "providers/sim_provider.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace parallm::providers {

namespace {

// Our own hash family, fixed forever, so a seed gives the same answers on every machine and
// standard library (std::hash values are unspecified).
constexpr std::uint64_t fnv_offset = 0xcbf29ce484222325ULL;
constexpr std::uint64_t fnv_prime = 0x100000001b3ULL;

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = fnv_offset;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= fnv_prime;
  }
  return h;
}

std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t combine(std::uint64_t h, std::uint64_t v) {
  return mix(h ^ mix(v));
}

// Distinct streams, so the answer, the failure and the jitter draws are independent.
enum class stream : std::uint64_t { answer = 1, failure = 2, jitter = 3 };

std::uint64_t draw(std::uint64_t base, stream s, std::uint32_t sample, std::uint32_t attempt) {
  return combine(combine(combine(base, static_cast<std::uint64_t>(s)), sample), attempt);
}

// The top 53 bits as a double in [0, 1).
double unit_of(std::uint64_t h) {
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::uint64_t count_words(std::string_view text) {
  std::uint64_t words = 0;
  bool in_word = false;
  for (const char c : text) {
    const bool space = is_space(c);
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

// Appends up to `limit` words of `text` to `out`, joined by single spaces (newlines flatten).
void append_words(std::string& out, std::string_view text, std::size_t limit) {
  std::size_t taken = 0;
  std::size_t i = 0;
  while (taken < limit) {
    while (i < text.size() && is_space(text[i])) ++i;
    if (i == text.size()) return;
    const std::size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (!out.empty() && !is_space(out.back())) out += ' ';
    out.append(text.substr(start, i - start));
    ++taken;
  }
}

// Words are joined by single spaces (append_words), so the last one starts after the last.
void drop_last_word(std::string& text) {
  const auto space = text.rfind(' ');
  text.erase(space == std::string::npos ? 0 : space);
}

std::size_t pick_choice(const config::sim_options& options, double unit) {
  const auto& choices = options.choices;
  const auto& weights = options.weights;
  double total = 0;
  if (weights.size() == choices.size()) {
    for (const double w : weights) total += std::max(w, 0.0);
  }
  if (!(total > 0)) {
    return std::min(static_cast<std::size_t>(unit * static_cast<double>(choices.size())),
                    choices.size() - 1);
  }
  double target = unit * total;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    const double w = std::max(weights[i], 0.0);
    if (target < w) return i;
    target -= w;
  }
  // Rounding can leave target a hair above the last bucket: give it the last positive weight.
  std::size_t last = choices.size() - 1;
  while (last > 0 && !(weights[last] > 0)) --last;
  return last;
}

constexpr std::size_t echoed_words = 12;

std::string answer_text(const config::sim_options& options, std::string_view prompt,
                        std::uint64_t answer_hash, std::size_t word_limit) {
  std::string text;
  if (!options.choices.empty()) {
    const auto& choice = options.choices[pick_choice(options, unit_of(answer_hash))];
    append_words(text, choice, word_limit);
    return text;
  }
  if (word_limit == 0) return text;
  static constexpr char hex[] = "0123456789abcdef";
  char tag[] = "sim[00000000]:";
  const auto short_hash = static_cast<std::uint32_t>(answer_hash >> 32);
  for (int i = 0; i < 8; ++i) tag[4 + i] = hex[(short_hash >> (28 - 4 * i)) & 0xF];
  text.reserve(sizeof(tag) + prompt.size());
  text.append(tag);
  append_words(text, prompt, std::min(echoed_words, word_limit - 1));
  return text;
}

std::chrono::microseconds call_delay(const config::sim_options& options, std::uint64_t base,
                                     std::uint32_t sample, std::uint32_t attempt) {
  const double latency = std::max(options.latency_ms, 0.0);
  const double jitter = std::max(options.jitter_ms, 0.0);
  const double ms = latency + jitter * unit_of(draw(base, stream::jitter, sample, attempt));
  return std::chrono::microseconds{static_cast<std::int64_t>(std::llround(ms * 1000.0))};
}

void fail(call_outcome& outcome, config::sim_failure failure) {
  outcome.kind = outcome_kind::retryable;
  switch (failure) {
    case config::sim_failure::http_429:
      outcome.http_status = 429;
      outcome.error = "sim: HTTP 429 Too Many Requests";
      return;
    case config::sim_failure::http_500:
      outcome.http_status = 500;
      outcome.error = "sim: HTTP 500 Internal Server Error";
      return;
    case config::sim_failure::timeout:
      outcome.http_status = 0;
      outcome.error = "sim: timeout";
      return;
  }
}

}  // namespace

sim_answer sim_call(const config::sim_options& options, std::string_view prompt,
                    std::uint32_t sample, std::uint32_t attempt, std::optional<int> max_tokens) {
  const std::uint64_t base = combine(fnv1a(prompt), options.seed);
  sim_answer answer;
  answer.delay = call_delay(options, base, sample, attempt);
  answer.outcome.prompt_tokens = std::max<std::uint64_t>(count_words(prompt), 1);

  if (unit_of(draw(base, stream::failure, sample, attempt)) < options.fail_rate) {
    fail(answer.outcome, options.fail_status);
    return answer;
  }
  const std::size_t word_limit =
      max_tokens ? static_cast<std::size_t>(std::max(*max_tokens, 0)) : std::string_view::npos;
  // The answer ignores the attempt: a retried call must give the same text as a first try.
  // One word past the limit tells whether max_tokens cut the answer, which then says so as
  // a real endpoint would, without building the answer twice.
  const auto probe = word_limit == std::string_view::npos ? word_limit : word_limit + 1;
  answer.outcome.text = answer_text(options, prompt, draw(base, stream::answer, sample, 0), probe);
  auto words = count_words(answer.outcome.text);
  const bool cut = words > word_limit;
  if (cut) {
    drop_last_word(answer.outcome.text);
    --words;
  }
  answer.outcome.completion_tokens = words;
  answer.outcome.finish_reason = cut ? "length" : "stop";
  return answer;
}

}  // namespace parallm::providers
