#pragma once
// `parallm worker --endpoint-map FROM=TO`: a job names its endpoints as the coordinator's
// operator sees them (http://gpu-3:8000/v1), and a worker may reach the same server by another
// address (http://127.0.0.1:8000/v1 on gpu-3 itself). The worker rewrites the base URLs of the
// profiles it receives; the job and the coordinator are unchanged.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parallm::nodes {

struct endpoint_rewrite {
  std::string from;
  std::string to;
  bool operator==(const endpoint_rewrite&) const = default;
};

// "FROM=TO", split at the first '='; nullopt when either side is empty or there is no '='.
std::optional<endpoint_rewrite> parse_endpoint_rewrite(std::string_view text);

// The first rewrite that applies: a URL equal to FROM (either may end in one '/') becomes TO;
// one that starts with FROM followed by '/' keeps what follows, behind TO. Otherwise the URL
// as given.
std::string rewrite_endpoint(const std::string& base_url,
                             const std::vector<endpoint_rewrite>& rewrites);

}  // namespace parallm::nodes
