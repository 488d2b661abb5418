#pragma once
// What each client has running at the coordinator, counted where its frames arrive: the
// batches it submitted, the credit each batch granted and the input lines it sent. The link
// (on the gateway's I/O thread) asks it before a client's submit or items go on to the
// actors, so that a client past --max-batches-per-client or far past its credit is refused
// there and its frames never queue up in an actor's mailbox. The node and each batch's input
// tell it what they started, granted and ended. Thread-safe.
//
// Keyed by the client's routing id and its own batch number, as the node keys its batches.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace parallm::nodes {

enum class items_verdict {
  take,           // under the batch's credit (or within the slack past it)
  no_such_batch,  // the client runs no such batch here
  over_credit,    // this frame takes the client past its credit by the limit: refuse the batch
  refused,        // the batch was refused already; its frames are dropped until it ends
};

class client_ledger {
 public:
  // max_batches: batches per client; slack: input lines a client may send past its credit
  // before its batch is refused (--max-client-in-flight).
  client_ledger(std::uint32_t max_batches, std::uint32_t slack)
      : max_batches_(max_batches), slack_(slack) {}

  // A submit from the client arrived (the link). It counts as waiting until the node has
  // taken it (submit_taken). False when it is refused: the client already runs max_batches
  // batches and this is not one of them, or has that many submits waiting.
  bool submit_arrived(const std::string& client, std::uint64_t batch);
  // The node took a submit, started or refused.
  void submit_taken(const std::string& client);
  // The node started the batch: its credit and lines count from 0.
  void opened(const std::string& client, std::uint64_t batch);
  // The node ended the batch, or refused its submit.
  void closed(const std::string& client, std::uint64_t batch);
  // The batch's input granted the client `n` more lines.
  void granted(const std::string& client, std::uint64_t batch, std::uint64_t n);
  // An items frame of `n` lines arrived (the link); counted when taken.
  items_verdict items_arrived(const std::string& client, std::uint64_t batch, std::uint64_t n);

  // A status_request arrived (the link). False while the client's last one is not answered:
  // its requests never queue up at the node, whose answers each cost a status.
  bool status_asked(const std::string& client);
  // The node answered the client's status_request.
  void status_answered(const std::string& client);

  // Batches the client runs (submitted ones the node has not taken included); for tests.
  std::size_t batches(const std::string& client) const;

 private:
  struct batch_count {
    std::uint64_t granted = 0;
    std::uint64_t received = 0;
    bool refused = false;
  };
  struct client_count {
    std::map<std::uint64_t, batch_count> batches;
    std::uint32_t submits_waiting = 0;
    bool status_waiting = false;
  };
  void tidy(std::map<std::string, client_count>::iterator it);

  std::uint32_t max_batches_;
  std::uint64_t slack_;
  mutable std::mutex mutex_;
  std::map<std::string, client_count> clients_;
};

}  // namespace parallm::nodes
