#include "nodes/body_reader.hpp"

#include "nodes/rate_header_names.hpp"

#include <array>
#include <chrono>
#include <cmath>
#include <limits>
#include <string_view>
#include <utility>

namespace parallm::nodes {
namespace {

using msgpack::object;
namespace type = msgpack::type;

bool read(const object& o, bool& out) {
  if (o.type != type::BOOLEAN) return false;
  out = o.via.boolean;
  return true;
}

bool read_unsigned(const object& o, std::uint64_t max, std::uint64_t& out) {
  if (o.type != type::POSITIVE_INTEGER || o.via.u64 > max) return false;
  out = o.via.u64;
  return true;
}

bool read(const object& o, std::uint64_t& out) {
  return read_unsigned(o, std::numeric_limits<std::uint64_t>::max(), out);
}

bool read(const object& o, std::uint32_t& out) {
  std::uint64_t v = 0;
  if (!read_unsigned(o, std::numeric_limits<std::uint32_t>::max(), v)) return false;
  out = static_cast<std::uint32_t>(v);
  return true;
}

bool read_signed(const object& o, std::int64_t min, std::int64_t max, std::int64_t& out) {
  if (o.type == type::POSITIVE_INTEGER) {
    if (o.via.u64 > static_cast<std::uint64_t>(max)) return false;
    out = static_cast<std::int64_t>(o.via.u64);
    return true;
  }
  if (o.type != type::NEGATIVE_INTEGER || o.via.i64 < min) return false;
  out = o.via.i64;
  return true;
}

bool read(const object& o, int& out) {
  std::int64_t v = 0;
  if (!read_signed(o, std::numeric_limits<int>::min(), std::numeric_limits<int>::max(), v)) {
    return false;
  }
  out = static_cast<int>(v);
  return true;
}

bool read(const object& o, std::chrono::milliseconds& out) {
  std::int64_t v = 0;
  if (!read_signed(o, 0, std::numeric_limits<std::int64_t>::max(), v)) return false;
  out = std::chrono::milliseconds(v);
  return true;
}

// Any number a peer may have packed for a double, as long as it is finite.
bool read(const object& o, double& out) {
  switch (o.type) {
    case type::FLOAT32:
    case type::FLOAT64:
      out = o.via.f64;
      break;
    case type::POSITIVE_INTEGER:
      out = static_cast<double>(o.via.u64);
      break;
    case type::NEGATIVE_INTEGER:
      out = static_cast<double>(o.via.i64);
      break;
    default:
      return false;
  }
  return std::isfinite(out);
}

bool read(const object& o, std::string& out) {
  if (o.type != type::STR) return false;
  out.assign(o.via.str.ptr, o.via.str.size);
  return true;
}

bool read(const object& o, nlohmann::json& out) {
  std::string text;
  if (!read(o, text)) return false;
  out = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return out.is_object();
}

bool read_enum(const object& o, std::uint32_t last, std::uint32_t& out) {
  return read(o, out) && out <= last;
}

template <class E>
bool read_enum_as(const object& o, E last, E& out) {
  std::uint32_t v = 0;
  if (!read_enum(o, static_cast<std::uint32_t>(last), v)) return false;
  out = static_cast<E>(v);
  return true;
}

bool read(const object& o, config::provider_kind& out) {
  return read_enum_as(o, config::provider_kind::anthropic, out);
}
bool read(const object& o, config::sim_failure& out) {
  return read_enum_as(o, config::sim_failure::timeout, out);
}
bool read(const object& o, providers::outcome_kind& out) {
  return read_enum_as(o, providers::outcome_kind::final, out);
}
bool read(const object& o, line_status& out) {
  return read_enum_as(o, line_status::failed, out);
}
bool read(const object& o, command& out) {
  return read_enum_as(o, static_cast<command>(command_count - 1), out);
}

template <std::size_t N>
bool read_header_name(const object& o, const std::array<std::string_view, N>& names,
                      std::string_view& out) {
  std::uint32_t index = 0;
  if (!read(o, index) || index >= N) return false;
  out = names[index];
  return true;
}

bool read(const object& o, task_key& out);
bool read(const object& o, config::sim_options& out);
bool read(const object& o, config::provider_spec& out);
bool read(const object& o, call_profile& out);
bool read(const object& o, wire_task& out);
bool read(const object& o, providers::call_outcome& out);
bool read(const object& o, providers::rate_headers& out);
bool read(const object& o, wire_result& out);
bool read(const object& o, input_line& out);
bool read(const object& o, item_line& out);
bool read(const object& o, worker_status& out);
bool read(const object& o, batch_status& out);
bool read(const object& o, counter& out);

template <class T>
bool read(const object& o, std::optional<T>& out) {
  if (o.type == type::NIL) {
    out.reset();
    return true;
  }
  return read(o, out.emplace());
}

template <class T>
bool read(const object& o, std::vector<T>& out) {
  if (o.type != type::ARRAY) return false;
  out.clear();
  out.reserve(o.via.array.size);
  for (const object& x : o.via.array) {
    if (!read(x, out.emplace_back())) return false;
  }
  return true;
}

template <class... Ts>
bool read_fields(const object& o, Ts&... fields) {
  if (o.type != type::ARRAY || o.via.array.size != sizeof...(Ts)) return false;
  [[maybe_unused]] const object* next = o.via.array.ptr;
  return (read(*next++, fields) && ...);
}

bool read(const object& o, task_key& out) {
  return read_fields(o, out.epoch, out.batch, out.counter);
}

bool read(const object& o, config::sim_options& out) {
  return read_fields(o, out.latency_ms, out.jitter_ms, out.fail_rate, out.fail_status, out.choices,
                     out.weights, out.seed);
}

bool read(const object& o, config::provider_spec& out) {
  return read_fields(o, out.kind, out.base_url, out.model, out.api_key_env, out.anthropic_version,
                     out.require_content, out.supports_n, out.ca_file, out.sim, out.params);
}

bool read(const object& o, call_profile& out) {
  return read_fields(o, out.endpoint, out.temperature, out.max_tokens, out.params, out.passthrough,
                     out.timeout_ms);
}

bool read(const object& o, wire_task& out) {
  return read_fields(o, out.key, out.attempt, out.generation, out.profile, out.element, out.prompt,
                     out.system, out.count);
}

bool read(const object& o, providers::call_outcome& out) {
  return read_fields(o, out.kind, out.text, out.more_texts, out.error, out.finish_reason,
                     out.http_status, out.prompt_tokens, out.completion_tokens, out.retry_after);
}

bool read(const object& o, providers::rate_headers& out) {
  if (o.type != type::ARRAY || o.via.array.size != 8) return false;
  const object* f = o.via.array.ptr;
  return read(f[0], out.limit_requests) && read(f[1], out.remaining_requests) &&
         read(f[2], out.reset_requests) && read(f[3], out.limit_tokens) &&
         read(f[4], out.remaining_tokens) && read(f[5], out.reset_tokens) &&
         read_header_name(f[6], requests_reset_headers, out.reset_requests_header) &&
         read_header_name(f[7], tokens_reset_headers, out.reset_tokens_header);
}

bool read(const object& o, wire_result& out) {
  return read_fields(o, out.key, out.attempt, out.generation, out.outcome, out.latency_ms,
                     out.rate);
}

bool read(const object& o, input_line& out) {
  return read_fields(o, out.seq, out.line, out.text, out.error);
}
bool read(const object& o, item_line& out) {
  return read_fields(o, out.seq, out.text, out.status, out.prompt_tokens, out.completion_tokens,
                     out.latency_us, out.calls, out.attempts, out.rate_limited);
}

bool read(const object& o, worker_status& out) {
  return read_fields(o, out.name, out.host, out.capacity, out.in_flight, out.done, out.failed,
                     out.heartbeat_age_ms);
}

bool read(const object& o, batch_status& out) {
  return read_fields(o, out.client_id, out.job, out.done, out.total, out.rate);
}

bool read(const object& o, counter& out) {
  return read_fields(o, out.name, out.value);
}

bool read(const object& o, worker_hello& out) {
  return read_fields(o, out.name, out.host, out.capacity);
}
bool read(const object& o, client_hello& out) {
  return read_fields(o, out.client_id, out.host);
}
bool read(const object& o, welcome& out) {
  return read_fields(o, out.epoch, out.heartbeat_ms, out.liveness_ms, out.limits.max_frame_bytes,
                     out.limits.max_items, out.limits.max_string_bytes, out.limits.max_values);
}
bool read(const object& o, heartbeat& out) {
  return read_fields(o, out.epoch);
}
bool read(const object& o, credit& out) {
  return read_fields(o, out.batch, out.count);
}
bool read(const object& o, batch_profiles& out) {
  return read_fields(o, out.batch, out.profiles);
}
bool read(const object& o, task_frame& out) {
  return read_fields(o, out.tasks);
}
bool read(const object& o, result_frame& out) {
  return read_fields(o, out.results);
}
bool read(const object& o, submit& out) {
  return read_fields(o, out.batch, out.job_path, out.job_text, out.overrides,
                     out.openai_batch_input, out.openai_batch_output, out.nonce);
}
bool read(const object& o, item_frame& out) {
  return read_fields(o, out.batch, out.items, out.end_of_input, out.skipped);
}
bool read(const object& o, line_frame& out) {
  return read_fields(o, out.batch, out.lines);
}
bool read(const object& o, batch_done& out) {
  return read_fields(o, out.batch, out.ok, out.failed, out.error, out.stopped);
}
bool read(const object& o, status_request&) {
  return read_fields(o);
}
bool read(const object& o, status_reply& out) {
  return read_fields(o, out.workers, out.batches, out.counters);
}
bool read(const object& o, refusal& out) {
  return read_fields(o, out.refused, out.batch, out.reason);
}

using body_reader = bool (*)(const object&, message&);

template <std::size_t I>
bool read_alternative(const object& o, message& out) {
  std::variant_alternative_t<I, message> body;
  if (!read(o, body)) return false;
  out = std::move(body);
  return true;
}

template <std::size_t... I>
constexpr std::array<body_reader, sizeof...(I)> make_readers(std::index_sequence<I...>) {
  return {&read_alternative<I>...};
}

constexpr auto readers = make_readers(std::make_index_sequence<command_count>());

}  // namespace

bool read_body(const object& body, command c, message& out) {
  const auto index = static_cast<std::size_t>(c);
  return index < readers.size() && readers[index](body, out);
}

}  // namespace parallm::nodes
