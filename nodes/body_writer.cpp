#include "nodes/body_writer.hpp"

#include "nodes/rate_header_names.hpp"

#include <chrono>
#include <string_view>
#include <type_traits>

namespace parallm::nodes {
namespace {

using packer = msgpack::packer<frame_buffer>;

void write(packer& pk, bool v) {
  v ? pk.pack_true() : pk.pack_false();
}
void write(packer& pk, std::uint32_t v) {
  pk.pack_uint32(v);
}
void write(packer& pk, std::uint64_t v) {
  pk.pack_uint64(v);
}
void write(packer& pk, int v) {
  pk.pack_int(v);
}
void write(packer& pk, double v) {
  pk.pack_double(v);
}
void write(packer& pk, std::chrono::milliseconds v) {
  pk.pack_int64(v.count());
}
void write(packer& pk, std::string_view v) {
  pk.pack_str(static_cast<std::uint32_t>(v.size()));
  pk.pack_str_body(v.data(), static_cast<std::uint32_t>(v.size()));
}
void write(packer& pk, const std::string& v) {
  write(pk, std::string_view(v));
}
// Request fields travel as JSON text: they are whatever the job file said.
void write(packer& pk, const nlohmann::json& v) {
  write(pk, v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}
template <class E>
requires std::is_enum_v<E>
void write(packer& pk, E v) {
  pk.pack_uint32(static_cast<std::uint32_t>(v));
}
void write(packer& pk, const task_key& v);
void write(packer& pk, const config::sim_options& v);
void write(packer& pk, const config::provider_spec& v);
void write(packer& pk, const call_profile& v);
void write(packer& pk, const wire_task& v);
void write(packer& pk, const providers::call_outcome& v);
void write(packer& pk, const providers::rate_headers& v);
void write(packer& pk, const wire_result& v);
void write(packer& pk, const input_line& v);
void write(packer& pk, const item_line& v);
void write(packer& pk, const worker_status& v);
void write(packer& pk, const batch_status& v);
void write(packer& pk, const counter& v);

template <class T>
void write(packer& pk, const std::optional<T>& v) {
  if (v) {
    write(pk, *v);
  } else {
    pk.pack_nil();
  }
}

template <class T>
void write(packer& pk, const std::vector<T>& v) {
  pk.pack_array(static_cast<std::uint32_t>(v.size()));
  for (const auto& x : v) write(pk, x);
}

template <class... Ts>
void write_fields(packer& pk, const Ts&... fields) {
  pk.pack_array(sizeof...(Ts));
  (write(pk, fields), ...);
}

void write(packer& pk, const task_key& v) {
  write_fields(pk, v.epoch, v.batch, v.counter);
}

void write(packer& pk, const config::sim_options& v) {
  write_fields(pk, v.latency_ms, v.jitter_ms, v.fail_rate, v.fail_status, v.choices, v.weights,
               v.seed);
}

void write(packer& pk, const config::provider_spec& v) {
  write_fields(pk, v.kind, v.base_url, v.model, v.api_key_env, v.anthropic_version,
               v.require_content, v.supports_n, v.ca_file, v.sim, v.params);
}

void write(packer& pk, const call_profile& v) {
  write_fields(pk, v.endpoint, v.temperature, v.max_tokens, v.params, v.passthrough, v.timeout_ms);
}

void write(packer& pk, const wire_task& v) {
  write_fields(pk, v.key, v.attempt, v.generation, v.profile, v.element, v.prompt, v.system,
               v.count);
}

void write(packer& pk, const providers::call_outcome& v) {
  write_fields(pk, v.kind, v.text, v.more_texts, v.error, v.finish_reason, v.http_status,
               v.prompt_tokens, v.completion_tokens, v.retry_after);
}

void write(packer& pk, const providers::rate_headers& v) {
  write_fields(pk, v.limit_requests, v.remaining_requests, v.reset_requests, v.limit_tokens,
               v.remaining_tokens, v.reset_tokens,
               header_index(requests_reset_headers, v.reset_requests_header),
               header_index(tokens_reset_headers, v.reset_tokens_header));
}

void write(packer& pk, const wire_result& v) {
  write_fields(pk, v.key, v.attempt, v.generation, v.outcome, v.latency_ms, v.rate);
}

void write(packer& pk, const input_line& v) {
  write_fields(pk, v.seq, v.line, v.text, v.error);
}
void write(packer& pk, const item_line& v) {
  write_fields(pk, v.seq, v.text, v.status, v.prompt_tokens, v.completion_tokens, v.latency_us,
               v.calls, v.attempts, v.rate_limited);
}

void write(packer& pk, const worker_status& v) {
  write_fields(pk, v.name, v.host, v.capacity, v.in_flight, v.done, v.failed, v.heartbeat_age_ms);
}

void write(packer& pk, const batch_status& v) {
  write_fields(pk, v.client_id, v.job, v.done, v.total, v.rate);
}

void write(packer& pk, const counter& v) {
  write_fields(pk, v.name, v.value);
}

void write(packer& pk, const worker_hello& v) {
  write_fields(pk, v.name, v.host, v.capacity);
}
void write(packer& pk, const client_hello& v) {
  write_fields(pk, v.client_id, v.host);
}
void write(packer& pk, const welcome& v) {
  write_fields(pk, v.epoch, v.heartbeat_ms, v.liveness_ms, v.limits.max_frame_bytes,
               v.limits.max_items, v.limits.max_string_bytes, v.limits.max_values);
}
void write(packer& pk, const heartbeat& v) {
  write_fields(pk, v.epoch);
}
void write(packer& pk, const credit& v) {
  write_fields(pk, v.batch, v.count);
}
void write(packer& pk, const batch_profiles& v) {
  write_fields(pk, v.batch, v.profiles);
}
void write(packer& pk, const task_frame& v) {
  write_fields(pk, v.tasks);
}
void write(packer& pk, const result_frame& v) {
  write_fields(pk, v.results);
}
void write(packer& pk, const submit& v) {
  write_fields(pk, v.batch, v.job_path, v.job_text, v.overrides, v.openai_batch_input,
               v.openai_batch_output, v.nonce);
}
void write(packer& pk, const item_frame& v) {
  write_fields(pk, v.batch, v.items, v.end_of_input, v.skipped);
}
void write(packer& pk, const line_frame& v) {
  write_fields(pk, v.batch, v.lines);
}
void write(packer& pk, const batch_done& v) {
  write_fields(pk, v.batch, v.ok, v.failed, v.error, v.stopped);
}
void write(packer& pk, const status_request&) {
  pk.pack_array(0);
}
void write(packer& pk, const status_reply& v) {
  write_fields(pk, v.workers, v.batches, v.counters);
}
void write(packer& pk, const refusal& v) {
  write_fields(pk, v.refused, v.batch, v.reason);
}

}  // namespace

void write_body(packer& pk, const message& m) {
  std::visit([&pk](const auto& body) { write(pk, body); }, m);
}

}  // namespace parallm::nodes
