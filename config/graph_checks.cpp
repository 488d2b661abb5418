#include "config/graph_checks.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "config/template_syntax.hpp"

namespace parallm::config {
namespace {

// A dependency of a node on another, with the field that states it.
struct edge {
  std::size_t to = 0;
  std::string field;
};

class graph_checker {
 public:
  graph_checker(const job& job, yaml_reader& reader) : job_(job), reader_(reader) {
    for (std::size_t i = 0; i < job.nodes.size(); ++i) index_.emplace(job.nodes[i].name, i);
    edges_.resize(job.nodes.size());
  }

  void run() {
    for (std::size_t i = 0; i < job_.nodes.size(); ++i) check_references(i);
    check_cycles();
    for (const auto& node : job_.nodes) {
      check_templates(node);
      check_branches(node);
    }
    if (!job_.output.empty() && !index_.contains(job_.output)) {
      reader_.error("output",
                    "unknown node '" + job_.output + "' in output (nodes: " + node_names() + ")");
    }
  }

 private:
  static std::string node_field(const node_spec& node) { return "nodes." + node.name; }

  std::optional<std::size_t> find(const std::string& name) const {
    const auto found = index_.find(name);
    if (found == index_.end()) return std::nullopt;
    return found->second;
  }

  std::string node_names() const {
    constexpr std::size_t shown = 20;
    std::vector<std::string> names;
    for (const auto& node : job_.nodes) {
      if (names.size() == shown) {
        names.push_back("...");
        break;
      }
      names.push_back(node.name);
    }
    return join_names(names);
  }

  void check_references(std::size_t i) {
    const node_spec& node = job_.nodes[i];
    const std::string field = node_field(node);
    for (std::size_t a = 0; a < node.after.size(); ++a) {
      const std::string& name = node.after[a];
      const std::string after_field = field + ".after[" + std::to_string(a) + "]";
      const auto target = find(name);
      if (name == node.name) {
        reader_.error(after_field, "'" + name + "' cannot be after itself");
      } else if (!target) {
        reader_.error(after_field,
                      "unknown node '" + name + "' in after (nodes: " + node_names() + ")");
      } else {
        edges_[i].push_back({*target, after_field});
      }
    }
    if (!node.foreach.empty()) {
      const std::string foreach_field = field + ".foreach";
      const auto target = find(node.foreach);
      if (node.foreach == node.name) {
        reader_.error(foreach_field, "'" + node.name + "' cannot run foreach over itself");
      } else if (!target) {
        reader_.error(foreach_field, "unknown node '" + node.foreach +
                                         "' in foreach (nodes: " + node_names() + ")");
      } else {
        if (job_.nodes[*target].kind != node_kind::split) {
          reader_.error(foreach_field, "foreach over '" + node.foreach +
                                           "', which is not a split node (expected a node "
                                           "with split:)");
        }
        edges_[i].push_back({*target, foreach_field});
      }
    }
    if (node.kind == node_kind::split) {
      if (node.split_source == node.name) {
        reader_.error(field + ".split", "'" + node.name + "' cannot split its own output");
      } else if (const auto target = find(node.split_source)) {
        edges_[i].push_back({*target, field + ".split"});
      }
    }
  }

  void check_cycles() {
    enum class mark { unvisited, on_path, done };
    std::vector<mark> marks(job_.nodes.size(), mark::unvisited);
    std::vector<std::size_t> path;
    const auto visit = [&](const auto& self, std::size_t i) -> void {
      marks[i] = mark::on_path;
      path.push_back(i);
      for (const auto& e : edges_[i]) {
        if (marks[e.to] == mark::on_path) {
          report_cycle({std::find(path.begin(), path.end(), e.to), path.end()});
        } else if (marks[e.to] == mark::unvisited) {
          self(self, e.to);
        }
      }
      path.pop_back();
      marks[i] = mark::done;
    };
    for (std::size_t i = 0; i < job_.nodes.size(); ++i) {
      if (marks[i] == mark::unvisited) visit(visit, i);
    }
  }

  // cycle holds each node once, each depending on the next and the last on the first.
  void report_cycle(std::vector<std::size_t> cycle) {
    std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
    std::string text;
    for (const auto i : cycle) text += job_.nodes[i].name + " -> ";
    text += job_.nodes[cycle.front()].name;
    const std::size_t next = cycle.size() > 1 ? cycle[1] : cycle[0];
    const auto& from = edges_[cycle.front()];
    const auto e =
        std::find_if(from.begin(), from.end(), [&](const edge& x) { return x.to == next; });
    reader_.error(e == from.end() ? node_field(job_.nodes[cycle.front()]) : e->field,
                  "cycle: " + text + " (each node waits for the next; the graph must be acyclic)");
  }

  bool is_dependency(const node_spec& node, const std::string& name) const {
    return node.foreach == name ||
           std::find(node.after.begin(), node.after.end(), name) != node.after.end();
  }

  void check_template(const node_spec& node, const std::string& key, const std::string& text) {
    const std::string field = node_field(node) + "." + key;
    const auto parsed = parse_template(text);
    if (!parsed.error.empty()) {
      reader_.error(field, "bad template: " + parsed.error);
      return;
    }
    for (const auto& variable : template_variables(parsed.pieces)) {
      const std::string head = variable.substr(0, variable.find('.'));
      if (head == "item" || head == "item_index") {
        if (node.foreach.empty()) {
          reader_.error(field, "uses {{" + variable +
                                   "}}, which exists only in foreach nodes (one call per chunk "
                                   "of a split)");
        }
      } else if (head == node.name) {
        reader_.error(field, "uses {{" + variable + "}}, the node's own output");
      } else if (index_.contains(head) && !is_dependency(node, head)) {
        reader_.error(field, "uses {{" + variable + "}}, which is a node; list it in after:");
      }
    }
  }

  void check_templates(const node_spec& node) {
    const bool llm_step = node.kind == node_kind::llm ||
                          (node.kind == node_kind::reduce && node.reduce == reducer_kind::llm);
    if (llm_step) {
      check_template(node, "prompt", node.prompt);
      check_template(node, "system", node.system);
    }
    if (node.kind == node_kind::reduce && node.reduce == reducer_kind::template_text) {
      check_template(node, "template", node.template_text);
    }
  }

  // The statically known number of branches a reduce node merges; nullopt when a split
  // decides it per item.
  std::optional<int> branch_count(const node_spec& node) const {
    int branches = 0;
    for (const auto& name : node.after) {
      const auto target = find(name);
      if (!target) return std::nullopt;
      const node_spec& input = job_.nodes[*target];
      if (input.kind == node_kind::split || !input.foreach.empty()) return std::nullopt;
      branches += input.kind == node_kind::llm ? input.samples : 1;
    }
    return branches;
  }

  void check_branches(const node_spec& node) {
    if (node.kind != node_kind::reduce) return;
    const auto branches = branch_count(node);
    if (!branches) return;
    std::string of_what = std::to_string(*branches) + (*branches == 1 ? " branch" : " branches");
    if (node.after.size() == 1) {
      const node_spec& input = job_.nodes[*find(node.after.front())];
      if (input.samples > 1)
        of_what = std::to_string(*branches) + " samples of '" + input.name + "'";
    }
    const std::string field = node_field(node);
    if (node.reduce == reducer_kind::vote && node.quorum > *branches) {
      reader_.error(field + ".quorum",
                    "quorum " + std::to_string(node.quorum) + " is larger than the " + of_what);
    }
    if (node.min_success && *node.min_success > *branches) {
      reader_.error(field + ".min_success", "min_success " + std::to_string(*node.min_success) +
                                                " is larger than the " + of_what);
    }
  }

  const job& job_;
  yaml_reader& reader_;
  std::map<std::string, std::size_t> index_;
  std::vector<std::vector<edge>> edges_;
};

}  // namespace

void check_graph(const job& job, yaml_reader& reader) {
  graph_checker(job, reader).run();
}

}  // namespace parallm::config
