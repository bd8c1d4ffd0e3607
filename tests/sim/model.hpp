// What the simulated clients can know from the wire, kept as three models that the driver
// (sim.cpp) checks the server's answers against:
//
// DataModel — file contents. Files are identified by the DiskFileId of the QFid create context
// (the backend's file id: stable across renames, never reused), so deletion and renaming need no
// special care. Data is written in 16-byte blocks (at most kBlocks per file); a block written by
// write number `wid` holds wid and a hash of (wid, block index), so every block read back names
// the write it came from (0: zeros, or past the end of the file) and a block at the wrong offset
// or torn is caught. For every block the model keeps the set of writes that may be its current
// content. A write (an "effect") is registered when its request is sent and resolved when its
// answer arrives: applied, not applied (it failed) or unknown (its connection went away). While
// several effects overlap in time on a block, or after an unknown one, the block may hold any of
// them; once one effect alone covered a block from send to answer, the block is exact again.
// Truncation (CREATE with overwrite/supersede) is an effect of write id 0 over the whole file.
// Effects whose file is not known when they are sent (a CREATE+WRITE+CLOSE compound, a
// truncating CREATE) are registered on every file of the name space the name belongs to (the
// shared names, or one client's private names; renames stay inside a name space), including
// files first seen while the effect is under way. A READ accepts, per block, what the block may
// hold when it is sent plus any effect registered on the block before its answer.
//
// LockModel — byte-range locks granted (from LOCK answers; LOCK and UNLOCK are handled
// synchronously by the engine, so their order is the order the requests were sent). A lock is
// certain from its grant until its open starts closing (CLOSE, LOGOFF or TREE_DISCONNECT sent,
// the connection gone), then uncertain until the close is known to be done.
//
// OpenModel — opens and their share modes, certain or uncertain in the same way.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace smbsrv::sim {

inline constexpr std::size_t kBlock = 16;
inline constexpr std::size_t kBlocks = 48;

/// Writes block `block` of write `wid` (≠ 0) into out[0..16).
void fill_block(std::uint8_t* out, std::uint64_t wid, std::size_t block);
/// The write id a block read back holds (0 for zeros), or nullopt when it is no block of any write
/// at this index.
std::optional<std::uint64_t> decode_block(const std::uint8_t* in, std::size_t block);

class DataModel {
 public:
  /// First sight of `node`, seen through a name of name space `ns`. Returns false when the node
  /// was seen before through another name space (names moved between name spaces).
  bool discover(std::uint64_t node, int ns);
  bool known(std::uint64_t node) const { return nodes_.count(node) != 0; }
  int ns_of(std::uint64_t node) const;

  /// An effect: write `wid` (0: truncation) over blocks [first, first + count) of `node`, or,
  /// when node is 0, of whichever file of name space `ns` it turns out to be.
  std::uint64_t begin_effect(std::uint64_t wid, std::size_t first, std::size_t count, std::uint64_t node, int ns);
  enum class Outcome { applied, not_applied, unknown };
  /// `node` names the file it applied to (for effects begun with node 0).
  void end_effect(std::uint64_t effect, Outcome outcome, std::uint64_t node = 0);

  std::uint64_t begin_read(std::uint64_t node, std::size_t first, std::size_t count);
  /// Checks what a READ returned (`data`: its bytes; empty for END_OF_FILE). A description of the
  /// first mismatch, or nothing.
  std::optional<std::string> end_read(std::uint64_t read, std::span<const std::uint8_t> data);
  void drop_read(std::uint64_t read);
  /// Checks an EndOfFile (a read begun over every block): block aligned, and no block past it may
  /// be one the model knows holds a write.
  std::optional<std::string> end_size(std::uint64_t read, std::uint64_t eof);

  std::size_t open_effects() const { return effects_.size(); }
  std::size_t open_reads() const { return reads_.size(); }
  std::uint64_t blocks_checked() const { return blocks_checked_; }
  std::uint64_t exact_blocks_checked() const { return exact_checked_; }

 private:
  struct Cell {
    std::vector<std::uint64_t> cand{0};  // write ids the block may hold (0: zeros / absent)
    std::vector<std::uint64_t> pre;      // cand when the current episode began
    int pending = 0;                     // effects under way on this block
    int episode = 0;                     // effects registered since pending was last 0
  };
  struct Node {
    int ns = 0;
    std::vector<Cell> cells = std::vector<Cell>(kBlocks);
    std::set<std::uint64_t> reads;
  };
  struct Effect {
    std::uint64_t wid = 0;
    std::size_t first = 0, count = 0;
    int ns = -1;  // ≥ 0: node unknown, registered on every node of ns
    std::vector<std::uint64_t> nodes;
    std::uint64_t begun = 0;  // seq_ when it began
  };
  struct Read {
    std::uint64_t node = 0;
    std::size_t first = 0;
    std::vector<std::vector<std::uint64_t>> allowed;
  };
  struct Lingering {
    std::uint64_t wid;
    std::size_t first, count;
    std::uint64_t ended;  // seq_ when it ended: it may have been applied at any time before
  };
  void register_on(Effect& e, std::uint64_t node_id);

  std::map<std::uint64_t, Node> nodes_;
  std::map<std::uint64_t, Effect> effects_;
  std::map<std::uint64_t, Read> reads_;
  std::map<int, std::vector<Lingering>> lingering_;  // unknown-outcome effects of unknown files
  std::uint64_t next_id_ = 1;
  std::uint64_t seq_ = 0;  // orders effects' beginnings and endings
  std::uint64_t blocks_checked_ = 0, exact_checked_ = 0;
};

struct Range {
  std::uint64_t offset = 0, length = 0;
  bool exclusive = false;
};

class LockModel {
 public:
  /// A LOCK answer (ranges to lock, all-or-nothing). A description of a violation, or nothing.
  /// `waited`: the final answer of a LOCK that waited; the core granted it some time before, so
  /// locks its own open took since (a shared lock stacked on it) are not held against it.
  std::optional<std::string> on_lock(std::uint64_t node, std::uint64_t conn, std::uint64_t vid,
                                     const std::vector<Range>& ranges, bool granted, bool refused,
                                     bool waited = false);
  /// An UNLOCK answer: `ok` success, `not_locked` RANGE_NOT_LOCKED (ranges are released in order
  /// up to the first one not held, MS-SMB2 3.3.5.14.2).
  std::optional<std::string> on_unlock(std::uint64_t node, std::uint64_t conn, std::uint64_t vid,
                                       const std::vector<Range>& ranges, bool ok, bool not_locked);
  /// A LOCK that waits (it answered STATUS_PENDING): from now on the core may grant it at any
  /// time, so the model holds it, uncertainly, until its final answer (end_waiting()).
  void waiting(std::uint64_t node, std::uint64_t conn, std::uint64_t vid, const Range& r);
  /// The waiting LOCK got its final answer: whether an UNLOCK of its range meanwhile released it
  /// (the core had granted it), or may have (an UNLOCK that failed at a later range).
  enum class Unlocked { no, yes, maybe };
  Unlocked end_waiting(std::uint64_t node, std::uint64_t conn, std::uint64_t vid, const Range& r);
  /// A lock granted to a handle that is closing: held, uncertainly, until the close is done.
  void hold_uncertain(std::uint64_t node, std::uint64_t conn, std::uint64_t vid, const Range& r);
  void uncertain(std::uint64_t conn, std::uint64_t vid);
  void remove(std::uint64_t conn, std::uint64_t vid);
  void uncertain_conn(std::uint64_t conn);
  void remove_conn(std::uint64_t conn);
  /// Locks of `conn`: certain ones, all.
  std::size_t certain(std::uint64_t conn) const;
  std::size_t all(std::uint64_t conn) const;
  std::vector<Range> held_by(std::uint64_t conn, std::uint64_t vid) const;

 private:
  struct Lock {
    std::uint64_t conn, vid;
    Range r;
    bool certain = true;
    bool waiting = false;   // a waiting LOCK's range (never certain)
    bool unlocked = false;  // waiting, and an UNLOCK of its range succeeded
    bool maybe_unlocked = false;  // waiting, and an UNLOCK naming it failed (at it, or later)
  };
  std::map<std::uint64_t, std::vector<Lock>> by_node_;
};

class OpenModel {
 public:
  /// A successful CREATE of `node` with granted `access` and `share`: a description of a conflict
  /// with an open certainly held, or nothing. `certain`: the open is certain (not being closed).
  std::optional<std::string> on_open(std::uint64_t node, std::uint64_t conn, std::uint64_t vid, std::uint32_t access,
                                     std::uint32_t share, bool certain);
  void uncertain(std::uint64_t conn, std::uint64_t vid);
  void remove(std::uint64_t conn, std::uint64_t vid);
  void uncertain_conn(std::uint64_t conn);
  void remove_conn(std::uint64_t conn);

 private:
  struct Open {
    std::uint64_t conn, vid;
    std::uint32_t access, share;
    bool certain;
  };
  std::map<std::uint64_t, std::vector<Open>> by_node_;
};

}  // namespace smbsrv::sim
