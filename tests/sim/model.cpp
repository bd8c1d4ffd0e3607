#include "sim/model.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "codec/access_mask.hpp"
#include "sim/rng.hpp"

namespace smbsrv::sim {

namespace {

std::uint64_t block_tag(std::uint64_t wid, std::size_t block) {
  return mix64(wid * 0x100000001B3ULL ^ (static_cast<std::uint64_t>(block) << 48) ^ 0x5157ULL);
}

void add(std::vector<std::uint64_t>& set, std::uint64_t v) {
  if (std::find(set.begin(), set.end(), v) == set.end()) set.push_back(v);
}

std::string hex(std::uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%x", v);
  return b;
}

std::string list(const std::vector<std::uint64_t>& v) {
  std::string s = "{";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "}";
}

}  // namespace

void fill_block(std::uint8_t* out, std::uint64_t wid, std::size_t block) {
  const std::uint64_t tag = block_tag(wid, block);
  for (std::size_t i = 0; i < 8; ++i) {
    out[i] = static_cast<std::uint8_t>(wid >> (8 * i));
    out[8 + i] = static_cast<std::uint8_t>(tag >> (8 * i));
  }
}

std::optional<std::uint64_t> decode_block(const std::uint8_t* in, std::size_t block) {
  std::uint64_t wid = 0, tag = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    wid |= std::uint64_t{in[i]} << (8 * i);
    tag |= std::uint64_t{in[8 + i]} << (8 * i);
  }
  if (wid == 0 && tag == 0) return 0;
  if (wid == 0 || tag != block_tag(wid, block)) return std::nullopt;
  return wid;
}

// ---- DataModel -------------------------------------------------------------------------------------

int DataModel::ns_of(std::uint64_t node) const {
  auto it = nodes_.find(node);
  return it == nodes_.end() ? -1 : it->second.ns;
}

bool DataModel::discover(std::uint64_t node, int ns) {
  if (auto it = nodes_.find(node); it != nodes_.end()) return it->second.ns == ns;
  Node& n = nodes_[node];
  n.ns = ns;
  if (auto l = lingering_.find(ns); l != lingering_.end())
    for (const auto& e : l->second)
      for (std::size_t k = e.first; k < e.first + e.count; ++k) add(n.cells[k].cand, e.wid);
  for (auto& [id, e] : effects_) {
    if (e.ns != ns) continue;
    register_on(e, node);
    // An effect of unknown outcome that ended after this one began may have been applied after
    // it: they overlap, whatever this one's outcome (the cell stays a union).
    if (auto l = lingering_.find(ns); l != lingering_.end())
      for (const auto& x : l->second)
        if (x.ended > e.begun)
          for (std::size_t k = std::max(e.first, x.first); k < std::min(e.first + e.count, x.first + x.count); ++k)
            ++n.cells[k].episode;
  }
  return true;
}

void DataModel::register_on(Effect& e, std::uint64_t node_id) {
  Node& n = nodes_.at(node_id);
  for (std::size_t k = e.first; k < e.first + e.count; ++k) {
    Cell& c = n.cells[k];
    if (c.pending == 0) {
      c.episode = 0;
      c.pre = c.cand;
    }
    ++c.pending;
    ++c.episode;
    add(c.cand, e.wid);
  }
  for (auto rid : n.reads) {
    Read& r = reads_.at(rid);
    for (std::size_t i = 0; i < r.allowed.size(); ++i) {
      const std::size_t k = r.first + i;
      if (k >= e.first && k < e.first + e.count) add(r.allowed[i], e.wid);
    }
  }
  e.nodes.push_back(node_id);
}

std::uint64_t DataModel::begin_effect(std::uint64_t wid, std::size_t first, std::size_t count, std::uint64_t node,
                                      int ns) {
  const std::uint64_t id = next_id_++;
  Effect& e = effects_[id];
  e.begun = ++seq_;
  e.wid = wid;
  e.first = first;
  e.count = count;
  if (node != 0) {
    e.ns = -1;
    register_on(e, node);
  } else {
    e.ns = ns;
    for (auto& [nid, n] : nodes_)
      if (n.ns == ns) register_on(e, nid);
  }
  return id;
}

void DataModel::end_effect(std::uint64_t effect, Outcome outcome, std::uint64_t node) {
  auto it = effects_.find(effect);
  if (it == effects_.end()) return;
  Effect& e = it->second;
  for (auto nid : e.nodes) {
    const bool applied = outcome == Outcome::applied && (e.ns < 0 || nid == node);
    const Outcome here = applied ? Outcome::applied : outcome == Outcome::unknown ? Outcome::unknown : Outcome::not_applied;
    Node& n = nodes_.at(nid);
    for (std::size_t k = e.first; k < e.first + e.count; ++k) {
      Cell& c = n.cells[k];
      --c.pending;
      if (c.pending != 0 || c.episode != 1) continue;  // overlapping effects: any of them may be there
      if (here == Outcome::applied) {
        c.cand = {e.wid};
      } else if (here == Outcome::not_applied) {
        c.cand = c.pre;
      }  // unknown: cand keeps both
    }
  }
  if (outcome == Outcome::unknown && e.ns >= 0) lingering_[e.ns].push_back({e.wid, e.first, e.count, ++seq_});
  effects_.erase(it);
}

std::uint64_t DataModel::begin_read(std::uint64_t node, std::size_t first, std::size_t count) {
  const std::uint64_t id = next_id_++;
  Node& n = nodes_.at(node);
  Read& r = reads_[id];
  r.node = node;
  r.first = first;
  for (std::size_t k = first; k < first + count; ++k) r.allowed.push_back(n.cells[k].cand);
  n.reads.insert(id);
  return id;
}

void DataModel::drop_read(std::uint64_t read) {
  auto it = reads_.find(read);
  if (it == reads_.end()) return;
  nodes_.at(it->second.node).reads.erase(read);
  reads_.erase(it);
}

std::optional<std::string> DataModel::end_read(std::uint64_t read, std::span<const std::uint8_t> data) {
  auto it = reads_.find(read);
  if (it == reads_.end()) return std::nullopt;
  const Read r = std::move(it->second);
  drop_read(read);
  const std::size_t want = r.allowed.size() * kBlock;
  const std::string where = "file " + std::to_string(r.node) + " ";
  if (data.size() > want) return where + "READ returned " + std::to_string(data.size()) + " bytes, asked " + std::to_string(want);
  if (data.size() % kBlock != 0)
    return where + "READ of block-aligned data ended inside a block (" + std::to_string(data.size()) + " bytes)";
  for (std::size_t i = 0; i < r.allowed.size(); ++i) {
    const std::size_t k = r.first + i;
    const auto& allowed = r.allowed[i];
    std::uint64_t got = 0;
    if ((i + 1) * kBlock <= data.size()) {
      auto w = decode_block(data.data() + i * kBlock, k);
      if (!w) return where + "block " + std::to_string(k) + " holds bytes no write put at this offset";
      got = *w;
    }
    ++blocks_checked_;
    if (allowed.size() == 1) ++exact_checked_;
    if (std::find(allowed.begin(), allowed.end(), got) == allowed.end()) {
      const bool present = (i + 1) * kBlock <= data.size();
      return where + "block " + std::to_string(k) + (present ? " holds write " + std::to_string(got) : " is missing (EOF)") +
             ", expected one of " + list(allowed);
    }
  }
  return std::nullopt;
}

std::optional<std::string> DataModel::end_size(std::uint64_t read, std::uint64_t eof) {
  auto it = reads_.find(read);
  if (it == reads_.end()) return std::nullopt;
  const Read r = std::move(it->second);
  drop_read(read);
  const std::string where = "file " + std::to_string(r.node) + " ";
  if (eof % kBlock != 0) return where + "EndOfFile " + std::to_string(eof) + " is not block aligned";
  if (eof > kBlocks * kBlock) return where + "EndOfFile " + std::to_string(eof) + " is past every write";
  for (std::size_t i = eof / kBlock; i < r.allowed.size(); ++i) {
    const auto& allowed = r.allowed[i];
    if (std::find(allowed.begin(), allowed.end(), 0) == allowed.end())
      return where + "EndOfFile " + std::to_string(eof) + " cuts off block " + std::to_string(r.first + i) +
             ", which holds one of " + list(allowed);
  }
  return std::nullopt;
}

// ---- LockModel -------------------------------------------------------------------------------------

namespace {

// MS-FSA 2.1.4.10: the last byte of a range is Offset + Length - 1, so a zero-length range at O
// sits between bytes O-1 and O; {0, 0} overlaps nothing.
bool overlaps(const Range& a, const Range& b) {
  if ((a.offset == 0 && a.length == 0) || (b.offset == 0 && b.length == 0)) return false;
  const std::uint64_t a_last = a.offset + a.length - 1;
  const std::uint64_t b_last = b.offset + b.length - 1;
  return a.offset <= b_last && b.offset <= a_last;
}
/// Whether `held` keeps a lock `want` from being granted; `same`: both belong to one open. A
/// shared lock may stack on its own open's exclusive lock; nothing else may.
bool conflict(const Range& held, const Range& want, bool same) {
  if (!overlaps(held, want)) return false;
  if (held.exclusive) return !same || want.exclusive;
  return want.exclusive;
}

std::string show(const Range& r) {
  return std::string(r.exclusive ? "excl " : "shared ") + std::to_string(r.offset) + "+" + std::to_string(r.length);
}

}  // namespace

std::optional<std::string> LockModel::on_lock(std::uint64_t node, std::uint64_t conn, std::uint64_t vid,
                                              const std::vector<Range>& ranges, bool granted, bool refused,
                                              bool waited) {
  auto& locks = by_node_[node];
  bool internal = false;  // a later range of the request conflicts with an earlier one
  for (std::size_t i = 0; i < ranges.size(); ++i)
    for (std::size_t j = i + 1; j < ranges.size(); ++j)
      if (conflict(ranges[i], ranges[j], true)) internal = true;
  const auto mine = [&](const Lock& l) { return l.conn == conn && l.vid == vid; };
  if (granted) {
    if (internal) return "LOCK granted ranges that conflict with each other";
    for (const auto& r : ranges)
      for (const auto& l : locks)
        if (l.certain && !(waited && mine(l)) && conflict(l.r, r, mine(l)))
          return "LOCK " + show(r) + " on file " + std::to_string(node) + " granted though connection " +
                 std::to_string(l.conn) + " handle " + std::to_string(l.vid) + " holds " + show(l.r);
    for (const auto& r : ranges) locks.push_back({conn, vid, r, true});
  } else if (refused && !internal) {
    for (const auto& r : ranges)
      for (const auto& l : locks)
        if (conflict(l.r, r, mine(l))) return std::nullopt;
    return "LOCK on file " + std::to_string(node) + " refused (LOCK_NOT_GRANTED) though no lock conflicts";
  }
  return std::nullopt;
}

std::optional<std::string> LockModel::on_unlock(std::uint64_t node, std::uint64_t conn, std::uint64_t vid,
                                                const std::vector<Range>& ranges, bool ok, bool not_locked) {
  if (!ok && !not_locked) return std::nullopt;
  auto& locks = by_node_[node];
  for (const auto& r : ranges) {
    // MS-FSA 2.1.5.9: of matching locks, an exclusive one goes first.
    auto it = locks.end();
    for (auto l = locks.begin(); l != locks.end(); ++l) {
      if (l->waiting || l->conn != conn || l->vid != vid || l->r.offset != r.offset || l->r.length != r.length) continue;
      if (it == locks.end() || (l->r.exclusive && !it->r.exclusive)) it = l;
    }
    if (it == locks.end()) {
      // The range of a waiting LOCK: granted in the core or not, either answer is right.
      auto w = std::find_if(locks.begin(), locks.end(), [&](const Lock& l) {
        return l.waiting && !l.unlocked && l.conn == conn && l.vid == vid && l.r.offset == r.offset &&
               l.r.length == r.length;
      });
      if (w != locks.end()) {
        if (!ok) {
          w->maybe_unlocked = true;
          return std::nullopt;
        }
        w->unlocked = true;
        continue;
      }
    }
    if (it == locks.end()) {
      if (ok) return "UNLOCK of " + show(r) + " succeeded though the handle holds no such lock";
      return std::nullopt;  // RANGE_NOT_LOCKED: the earlier ranges were released
    }
    locks.erase(it);
  }
  if (not_locked) return "UNLOCK refused (RANGE_NOT_LOCKED) though every range was locked";
  return std::nullopt;
}

void LockModel::waiting(std::uint64_t node, std::uint64_t conn, std::uint64_t vid, const Range& r) {
  by_node_[node].push_back({conn, vid, r, false, true, false});
}
LockModel::Unlocked LockModel::end_waiting(std::uint64_t node, std::uint64_t conn, std::uint64_t vid,
                                           const Range& r) {
  auto& locks = by_node_[node];
  auto it = std::find_if(locks.begin(), locks.end(), [&](const Lock& l) {
    return l.waiting && l.conn == conn && l.vid == vid && l.r.offset == r.offset && l.r.length == r.length &&
           l.r.exclusive == r.exclusive;
  });
  if (it == locks.end()) return Unlocked::no;
  const Unlocked u = it->unlocked ? Unlocked::yes : it->maybe_unlocked ? Unlocked::maybe : Unlocked::no;
  locks.erase(it);
  return u;
}

void LockModel::hold_uncertain(std::uint64_t node, std::uint64_t conn, std::uint64_t vid, const Range& r) {
  by_node_[node].push_back({conn, vid, r, false, false, false});
}

void LockModel::uncertain(std::uint64_t conn, std::uint64_t vid) {
  for (auto& [n, locks] : by_node_)
    for (auto& l : locks)
      if (l.conn == conn && l.vid == vid) l.certain = false;
}
void LockModel::remove(std::uint64_t conn, std::uint64_t vid) {
  for (auto& [n, locks] : by_node_)
    std::erase_if(locks, [&](const Lock& l) { return l.conn == conn && l.vid == vid; });
}
void LockModel::uncertain_conn(std::uint64_t conn) {
  for (auto& [n, locks] : by_node_)
    for (auto& l : locks)
      if (l.conn == conn) l.certain = false;
}
void LockModel::remove_conn(std::uint64_t conn) {
  for (auto& [n, locks] : by_node_) std::erase_if(locks, [&](const Lock& l) { return l.conn == conn; });
}
std::size_t LockModel::certain(std::uint64_t conn) const {
  std::size_t c = 0;
  for (const auto& [n, locks] : by_node_)
    for (const auto& l : locks) c += l.conn == conn && l.certain;
  return c;
}
std::size_t LockModel::all(std::uint64_t conn) const {
  std::size_t c = 0;
  for (const auto& [n, locks] : by_node_)
    for (const auto& l : locks) c += l.conn == conn;
  return c;
}
std::vector<Range> LockModel::held_by(std::uint64_t conn, std::uint64_t vid) const {
  std::vector<Range> out;
  for (const auto& [n, locks] : by_node_)
    for (const auto& l : locks)
      if (l.conn == conn && l.vid == vid && l.certain) out.push_back(l.r);
  return out;
}

// ---- OpenModel -------------------------------------------------------------------------------------

std::optional<std::string> OpenModel::on_open(std::uint64_t node, std::uint64_t conn, std::uint64_t vid,
                                              std::uint32_t access, std::uint32_t share, bool certain) {
  using namespace smbsrv::access;
  auto& opens = by_node_[node];
  if (access & kSharingRelevant) {
    for (const auto& o : opens) {
      if (!o.certain || !(o.access & kSharingRelevant)) continue;
      if (share_conflict(access, o.share) || share_conflict(o.access, share))
        return "CREATE of file " + std::to_string(node) + " (access " + hex(access) + ", share " +
               std::to_string(share) + ") granted beside connection " + std::to_string(o.conn) + " handle " +
               std::to_string(o.vid) + " (access " + hex(o.access) + ", share " + std::to_string(o.share) +
               "): share modes conflict";
    }
  }
  opens.push_back({conn, vid, access, share, certain});
  return std::nullopt;
}
void OpenModel::uncertain(std::uint64_t conn, std::uint64_t vid) {
  for (auto& [n, opens] : by_node_)
    for (auto& o : opens)
      if (o.conn == conn && o.vid == vid) o.certain = false;
}
void OpenModel::remove(std::uint64_t conn, std::uint64_t vid) {
  for (auto& [n, opens] : by_node_)
    std::erase_if(opens, [&](const Open& o) { return o.conn == conn && o.vid == vid; });
}
void OpenModel::uncertain_conn(std::uint64_t conn) {
  for (auto& [n, opens] : by_node_)
    for (auto& o : opens)
      if (o.conn == conn) o.certain = false;
}
void OpenModel::remove_conn(std::uint64_t conn) {
  for (auto& [n, opens] : by_node_) std::erase_if(opens, [&](const Open& o) { return o.conn == conn; });
}

}  // namespace smbsrv::sim
