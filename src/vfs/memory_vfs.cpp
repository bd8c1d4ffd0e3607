// MemoryVfs: the same semantics as LocalVfs over a tree of nodes held in memory.
//
// One mutex guards the whole tree and every node's data; handles keep their node alive, so a file
// that is removed or replaced while open keeps working until its last handle goes away. Space is
// accounted in a shared counter that a node gives back when it is destroyed.
#include "smbsrv/memory_vfs.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <new>

#include "codec/ea.hpp"
#include "util/upcase.hpp"

namespace smbsrv {
namespace {


FileTime now_filetime() noexcept {
  const auto since = std::chrono::system_clock::now().time_since_epoch();
  const auto units = std::chrono::duration_cast<std::chrono::nanoseconds>(since).count() / 100;
  return units < 0 ? 0 : kFileTimeUnixEpoch + static_cast<std::uint64_t>(units);
}

using Usage = std::atomic<std::uint64_t>;

/// A named stream's data; shared with its open VfsFiles, so an open stream outlives its removal.
struct StreamData {
  explicit StreamData(std::shared_ptr<Usage> space) : usage(std::move(space)) {}
  StreamData(const StreamData&) = delete;
  StreamData& operator=(const StreamData&) = delete;
  ~StreamData() { usage->fetch_sub(data.size()); }
  std::shared_ptr<Usage> usage;
  std::vector<std::uint8_t> data;
};

struct Node {
  Node(bool is_dir, std::uint64_t node_id, std::shared_ptr<Usage> space, FileTime now)
      : dir(is_dir), id(node_id), usage(std::move(space)) {
    creation = last_access = last_write = change = now;
  }
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ~Node() { usage->fetch_sub(data.size()); }

  const bool dir;
  const std::uint64_t id;
  std::shared_ptr<Usage> usage;
  std::vector<std::uint8_t> data;                              // files
  std::map<std::string, std::shared_ptr<Node>> children;      // directories, by stored name
  FileTime creation, last_access, last_write, change;
  std::uint32_t attributes = 0;
  std::uint32_t links = 1;  // names in the tree (hard links); 0 once removed
  std::uint64_t reserved = 0;  // set_allocation(): AllocationSize beyond the data, until truncated
  std::map<std::string, std::vector<std::uint8_t>> eas;  // extended attributes, by exact name
  std::map<std::string, std::shared_ptr<StreamData>> streams;  // named streams, by stored name
  std::vector<std::uint8_t> security;  // the stored security descriptor, or empty

  void touch_modified(FileTime now) noexcept { last_write = change = now; }

  FileInfo info() const {
    FileInfo fi;
    fi.is_directory = dir;
    fi.size = dir ? 0 : data.size();
    fi.allocation_size = dir ? 0 : (std::max<std::uint64_t>(data.size(), reserved) + 4095) / 4096 * 4096;
    fi.file_id = id;
    fi.creation = creation;
    fi.last_access = last_access;
    fi.last_write = last_write;
    fi.change = change;
    fi.link_count = links;
    fi.attributes = attributes;
    for (const auto& [name, value] : eas) fi.ea_size = static_cast<std::uint32_t>(
        std::min<std::size_t>(codec::add_full_ea_entry(fi.ea_size, name.size(), value.size()), UINT32_MAX));
    // Stored attributes (see FileInfo::attributes): a file with none of them is NORMAL.
    if (!dir && (attributes & kAttrSettable) == 0) fi.attributes |= kAttrNormal;
    return fi;
  }
};

struct State {
  explicit State(MemoryVfsOptions o)
      : opt(std::move(o)), usage(std::make_shared<Usage>(0)), created(now()) {
    root = std::make_shared<Node>(true, next_id++, usage, created);
  }
  std::shared_ptr<Node> make_node(bool dir) { return std::make_shared<Node>(dir, next_id++, usage, now()); }
  FileTime now() const { return opt.clock ? opt.clock() : now_filetime(); }

  /// Grows or shrinks a file, enforcing the capacity. Caller holds mu.
  Result<void> resize(Node& n, std::uint64_t size) { return resize(n.data, size); }
  Result<void> resize(std::vector<std::uint8_t>& data, std::uint64_t size) {
    const std::uint64_t old = data.size();
    if (size > old) {
      const std::uint64_t used = usage->load();
      if (size - old > opt.capacity_bytes || used > opt.capacity_bytes - (size - old))
        return NtStatus::disk_full;
    }
    try {
      data.resize(static_cast<std::size_t>(size));
    } catch (const std::bad_alloc&) {
      return NtStatus::no_memory;
    } catch (const std::length_error&) {
      return NtStatus::disk_full;
    }
    if (size > old) usage->fetch_add(size - old);
    else usage->fetch_sub(old - size);
    return {};
  }

  std::mutex mu;
  const MemoryVfsOptions opt;
  std::shared_ptr<Usage> usage;
  std::uint64_t next_id = 1;
  const FileTime created;
  std::shared_ptr<Node> root;
};

class MemoryFile final : public VfsFile {
 public:
  MemoryFile(std::shared_ptr<State> st, std::shared_ptr<Node> node, bool writable, bool meta_writable)
      : st_(std::move(st)), node_(std::move(node)), writable_(writable), meta_writable_(meta_writable) {}

  Result<std::size_t> read(std::uint64_t offset, std::span<std::uint8_t> out) override {
    if (node_->dir) return NtStatus::invalid_device_request;
    std::lock_guard lk(st_->mu);
    const auto& d = node_->data;
    if (offset >= d.size()) return std::size_t{0};
    const auto n = std::min<std::size_t>(out.size(), d.size() - static_cast<std::size_t>(offset));
    if (n) std::memcpy(out.data(), d.data() + offset, n);
    node_->last_access = st_->now();
    return n;
  }

  Result<std::size_t> write(std::uint64_t offset, std::span<const std::uint8_t> in) override {
    if (node_->dir) return NtStatus::invalid_device_request;
    if (!writable_) return NtStatus::access_denied;
    if (in.size() > UINT64_MAX - offset) return NtStatus::file_too_large;
    if (in.empty()) return std::size_t{0};  // a zero-length write does not extend the file
    std::lock_guard lk(st_->mu);
    const std::uint64_t end = offset + in.size();
    if (end > node_->data.size()) SMBSRV_TRY(st_->resize(*node_, end));
    std::memcpy(node_->data.data() + offset, in.data(), in.size());
    node_->touch_modified(st_->now());
    return in.size();
  }

  Result<std::uint64_t> copy_from(VfsFile& src, std::uint64_t src_offset, std::uint64_t dst_offset,
                                  std::uint64_t length) override {
    if (node_->dir) return NtStatus::invalid_device_request;
    if (!writable_) return NtStatus::access_denied;
    auto* from = dynamic_cast<MemoryFile*>(&src);
    if (!from || from->st_ != st_) return VfsFile::copy_from(src, src_offset, dst_offset, length);  // another tree
    if (from->node_->dir) return NtStatus::invalid_device_request;
    std::lock_guard lk(st_->mu);
    const std::uint64_t size = from->node_->data.size();
    const std::uint64_t n = src_offset >= size ? 0 : std::min(length, size - src_offset);
    if (n == 0) return std::uint64_t{0};  // like a zero-length write, extends nothing
    if (n > UINT64_MAX - dst_offset) return NtStatus::file_too_large;
    const std::uint64_t end = dst_offset + n;
    if (end > node_->data.size()) SMBSRV_TRY(st_->resize(*node_, end));
    // After the resize (which may move the target's bytes, and the source's when both are one node).
    // memmove: source and target may be overlapping ranges of one file.
    std::memmove(node_->data.data() + dst_offset, from->node_->data.data() + src_offset, static_cast<std::size_t>(n));
    const FileTime now = st_->now();
    node_->touch_modified(now);
    from->node_->last_access = now;
    return n;
  }

  Result<FileInfo> stat() override {
    std::lock_guard lk(st_->mu);
    return node_->info();
  }

  Result<void> truncate(std::uint64_t size) override {
    if (node_->dir) return NtStatus::file_is_a_directory;
    if (!writable_) return NtStatus::access_denied;
    std::lock_guard lk(st_->mu);
    SMBSRV_TRY(st_->resize(*node_, size));
    if (size < node_->reserved) node_->reserved = 0;  // truncation gives reserved space back
    node_->touch_modified(st_->now());
    return {};
  }

  Result<void> set_allocation(std::uint64_t size) override {
    if (node_->dir) return NtStatus::invalid_parameter;
    if (!writable_) return NtStatus::access_denied;
    std::lock_guard lk(st_->mu);
    node_->reserved = size;  // less than before gives the rest back
    return {};
  }

  Result<void> set_times(const FileTimes& times) override {
    if (!meta_writable_) return NtStatus::access_denied;
    std::lock_guard lk(st_->mu);
    const auto set = [](FileTime& dst, const std::optional<FileTime>& src) {
      if (src && *src != 0 && *src != ~FileTime{0}) dst = *src;
    };
    set(node_->creation, times.creation);
    set(node_->last_access, times.last_access);
    set(node_->last_write, times.last_write);
    set(node_->change, times.change);
    return {};
  }

  Result<void> set_attributes(std::uint32_t attributes) override {
    if (!meta_writable_) return NtStatus::access_denied;
    std::lock_guard lk(st_->mu);
    node_->attributes = (attributes & kAttrSettable) | (node_->attributes & kAttrSparseFile);
    node_->change = st_->now();
    return {};
  }

  Result<std::vector<ExtendedAttribute>> list_eas() override {
    std::lock_guard lk(st_->mu);
    std::vector<ExtendedAttribute> out;
    for (const auto& [name, value] : node_->eas) out.push_back({name, value});
    return out;
  }
  Result<std::vector<StreamInfo>> list_streams() override {
    std::lock_guard lk(st_->mu);
    std::vector<StreamInfo> out;
    for (const auto& [name, s] : node_->streams)
      out.push_back({name, s->data.size(), (s->data.size() + 4095) / 4096 * 4096});
    return out;
  }
  Result<void> set_eas(std::span<const ExtendedAttribute> changes) override {
    if (!meta_writable_) return NtStatus::access_denied;
    std::lock_guard lk(st_->mu);
    for (const auto& c : changes) {
      if (c.value.empty()) node_->eas.erase(c.name);
      else node_->eas[c.name] = c.value;
    }
    node_->change = st_->now();
    return {};
  }
  Result<std::vector<std::uint8_t>> get_security() override {
    std::lock_guard lk(st_->mu);
    return node_->security;
  }
  Result<void> set_security(std::span<const std::uint8_t> descriptor) override {
    if (!meta_writable_) return NtStatus::access_denied;
    std::lock_guard lk(st_->mu);
    node_->security.assign(descriptor.begin(), descriptor.end());
    node_->change = st_->now();
    return {};
  }

  // Sparse files: only the flag is kept. Data has no holes: zero_range() writes zeros and
  // allocated_ranges() reports the whole range (the VfsFile defaults).
  Result<void> set_sparse(bool sparse) override {
    if (node_->dir) return NtStatus::invalid_parameter;
    std::lock_guard lk(st_->mu);
    if (sparse)
      node_->attributes |= kAttrSparseFile;
    else
      node_->attributes &= ~kAttrSparseFile;
    return {};
  }

  Result<void> flush() override { return {}; }

  Result<std::vector<DirEntry>> list() override {
    if (!node_->dir) return NtStatus::invalid_parameter;
    std::lock_guard lk(st_->mu);
    std::vector<DirEntry> out;
    out.reserve(node_->children.size());
    for (const auto& [name, child] : node_->children) out.push_back(DirEntry{name, child->info()});
    return out;
  }

 private:
  std::shared_ptr<State> st_;
  std::shared_ptr<Node> node_;
  bool writable_;
  bool meta_writable_;  // times and attributes: the server checks the handle's access
};

/// An open named stream: its data, with the file's metadata.
class MemoryStreamFile final : public VfsFile {
 public:
  MemoryStreamFile(std::shared_ptr<State> st, std::shared_ptr<Node> node, std::shared_ptr<StreamData> data,
                   bool writable, bool meta_writable)
      : st_(std::move(st)), node_(std::move(node)), data_(std::move(data)), writable_(writable),
        meta_writable_(meta_writable) {}

  Result<std::size_t> read(std::uint64_t offset, std::span<std::uint8_t> out) override {
    std::lock_guard lk(st_->mu);
    const auto& d = data_->data;
    if (offset >= d.size()) return std::size_t{0};
    const auto n = std::min<std::size_t>(out.size(), d.size() - static_cast<std::size_t>(offset));
    if (n) std::memcpy(out.data(), d.data() + offset, n);
    return n;
  }
  Result<std::size_t> write(std::uint64_t offset, std::span<const std::uint8_t> in) override {
    if (!writable_) return NtStatus::access_denied;
    if (in.size() > UINT64_MAX - offset) return NtStatus::file_too_large;
    if (in.empty()) return std::size_t{0};
    std::lock_guard lk(st_->mu);
    const std::uint64_t end = offset + in.size();
    if (end > data_->data.size()) SMBSRV_TRY(st_->resize(data_->data, end));
    std::memcpy(data_->data.data() + offset, in.data(), in.size());
    node_->touch_modified(st_->now());
    return in.size();
  }
  Result<FileInfo> stat() override {
    std::lock_guard lk(st_->mu);
    FileInfo fi = node_->info();
    fi.is_directory = false;
    fi.size = data_->data.size();
    fi.allocation_size = (fi.size + 4095) / 4096 * 4096;
    fi.attributes &= ~kAttrDirectory;
    return fi;
  }
  Result<void> truncate(std::uint64_t size) override {
    if (!writable_) return NtStatus::access_denied;
    std::lock_guard lk(st_->mu);
    SMBSRV_TRY(st_->resize(data_->data, size));
    node_->touch_modified(st_->now());
    return {};
  }
  Result<void> set_times(const FileTimes& times) override {
    return MemoryFile(st_, node_, false, meta_writable_).set_times(times);
  }
  Result<void> set_attributes(std::uint32_t attributes) override {
    return MemoryFile(st_, node_, false, meta_writable_).set_attributes(attributes);
  }
  Result<void> flush() override { return {}; }
  Result<std::vector<DirEntry>> list() override { return NtStatus::not_a_directory; }

 private:
  std::shared_ptr<State> st_;
  std::shared_ptr<Node> node_;
  std::shared_ptr<StreamData> data_;
  bool writable_;
  bool meta_writable_;
};

struct Found {
  std::shared_ptr<Node> node;  // null when missing
  std::string name;            // stored spelling (the requested one when missing)
};

class MemoryVfs final : public Vfs {
 public:
  explicit MemoryVfs(MemoryVfsOptions o) : st_(std::make_shared<State>(o)) {}

  bool read_only() const override { return st_->opt.read_only; }
  bool case_sensitive() const override { return st_->opt.case_sensitive; }

  Result<Opened> open(const SmbPath& path, const OpenParams& params) override {
    const auto disp = params.disposition;
    if (static_cast<std::uint32_t>(disp) > static_cast<std::uint32_t>(CreateDisposition::overwrite_if))
      return NtStatus::invalid_parameter;
    if (params.directory && params.non_directory) return NtStatus::invalid_parameter;
    const bool truncating = disp == CreateDisposition::supersede ||
                            disp == CreateDisposition::overwrite ||
                            disp == CreateDisposition::overwrite_if;
    if (params.directory && truncating) return NtStatus::invalid_parameter;
    if (read_only() && params.write) return NtStatus::access_denied;

    std::lock_guard lk(st_->mu);
    if (path.is_root()) return open_existing(st_->root, params, truncating);
    auto parent = walk_parent(path, nullptr);
    if (!parent) return parent.status();
    auto f = find(**parent, path.name());
    if (f.node) return open_existing(f.node, params, truncating);

    if (disp == CreateDisposition::open || disp == CreateDisposition::overwrite)
      return NtStatus::object_name_not_found;
    if (read_only()) return NtStatus::access_denied;
    auto node = st_->make_node(params.directory);
    node->attributes = params.attributes & kAttrSettable;
    (*parent)->children.emplace(f.name, node);
    (*parent)->touch_modified(st_->now());
    return Opened{std::make_unique<MemoryFile>(st_, std::move(node), params.write, !read_only()),
                  CreateAction::created};
  }

  Result<void> remove(const SmbPath& path) override {
    if (read_only() || path.is_root()) return NtStatus::access_denied;
    std::lock_guard lk(st_->mu);
    auto parent = walk_parent(path, nullptr);
    if (!parent) return parent.status();
    auto f = find(**parent, path.name());
    if (!f.node) return NtStatus::object_name_not_found;
    if (f.node->dir && !f.node->children.empty()) return NtStatus::directory_not_empty;
    --f.node->links;
    f.node->change = st_->now();
    (*parent)->children.erase(f.name);
    (*parent)->touch_modified(st_->now());
    return {};
  }

  Result<void> rename(const SmbPath& from, const SmbPath& to, bool replace) override {
    if (read_only() || from.is_root() || to.is_root()) return NtStatus::access_denied;
    std::lock_guard lk(st_->mu);
    auto fparent = walk_parent(from, nullptr);
    if (!fparent) return fparent.status();
    auto fe = find(**fparent, from.name());
    if (!fe.node) return NtStatus::object_name_not_found;
    // A directory cannot move below itself: walking to's parent must not pass through it.
    auto tparent = walk_parent(to, fe.node->dir ? fe.node.get() : nullptr);
    if (!tparent) return tparent.status();
    auto te = find(**tparent, to.name());
    const std::string to_name{to.name()};
    Node& fp = **fparent;
    Node& tp = **tparent;

    if (te.node) {
      if (te.node == fe.node) {  // the same entry, names equal up to case
        if (to_name == fe.name) return {};
      } else {
        if (!replace) return NtStatus::object_name_collision;
        if (te.node->dir) return NtStatus::access_denied;
        --te.node->links;
        te.node->change = st_->now();
        tp.children.erase(te.name);
      }
    }
    auto node = fe.node;
    fp.children.erase(fe.name);
    tp.children.emplace(to_name, node);
    node->change = st_->now();
    fp.touch_modified(st_->now());
    tp.touch_modified(st_->now());
    return {};
  }

  Result<void> link(const SmbPath& existing, const SmbPath& link, bool replace) override {
    if (read_only()) return NtStatus::access_denied;
    if (existing.is_root()) return NtStatus::file_is_a_directory;
    if (link.is_root()) return NtStatus::object_name_invalid;
    std::lock_guard lk(st_->mu);
    auto fparent = walk_parent(existing, nullptr);
    if (!fparent) return fparent.status();
    auto fe = find(**fparent, existing.name());
    if (!fe.node) return NtStatus::object_name_not_found;
    if (fe.node->dir) return NtStatus::file_is_a_directory;
    auto tparent = walk_parent(link, nullptr);
    if (!tparent) return tparent.status();
    auto te = find(**tparent, link.name());
    Node& tp = **tparent;
    if (te.node) {
      if (!replace) return NtStatus::object_name_collision;
      if (te.node->dir) return NtStatus::access_denied;
      if (te.node == fe.node) return {};  // already a name of this file
      --te.node->links;
      te.node->change = st_->now();
      tp.children.erase(te.name);
    }
    tp.children.emplace(std::string{link.name()}, fe.node);
    ++fe.node->links;
    fe.node->change = st_->now();
    tp.touch_modified(st_->now());
    return {};
  }

  Result<Opened> open_stream(const SmbPath& path, std::string_view stream, const OpenParams& params) override {
    const auto disp = params.disposition;
    if (disp != CreateDisposition::open && disp != CreateDisposition::create && disp != CreateDisposition::open_if)
      return NtStatus::invalid_parameter;
    if (stream.empty() || stream.find_first_of(std::string_view("\\/:\0", 4)) != std::string_view::npos)
      return NtStatus::object_name_invalid;
    if (read_only() && params.write) return NtStatus::access_denied;
    std::lock_guard lk(st_->mu);
    std::shared_ptr<Node> node;
    CreateAction action = CreateAction::opened;
    if (path.is_root()) {
      node = st_->root;
    } else {
      auto parent = walk_parent(path, nullptr);
      if (!parent) return parent.status();
      auto f = find(**parent, path.name());
      node = f.node;
      if (!node) {
        if (disp == CreateDisposition::open) return NtStatus::object_name_not_found;
        if (read_only()) return NtStatus::access_denied;
        node = st_->make_node(false);  // the stream's file is made first (MS-FSA 2.1.5.1.1)
        node->attributes = params.attributes & kAttrSettable;
        (*parent)->children.emplace(f.name, node);
        (*parent)->touch_modified(st_->now());
        action = CreateAction::created;
      }
    }
    if (params.write && action == CreateAction::opened && (node->attributes & kAttrReadonly))
      return NtStatus::access_denied;
    auto it = find_stream(*node, stream);
    std::shared_ptr<StreamData> data;
    if (it != node->streams.end()) {
      if (disp == CreateDisposition::create) return NtStatus::object_name_collision;
      data = it->second;
    } else {
      if (disp == CreateDisposition::open) return NtStatus::object_name_not_found;
      if (read_only()) return NtStatus::access_denied;
      data = std::make_shared<StreamData>(st_->usage);
      node->streams.emplace(std::string(stream), data);
      node->change = st_->now();
      action = CreateAction::created;
    }
    return Opened{std::make_unique<MemoryStreamFile>(st_, std::move(node), std::move(data), params.write, !read_only()),
                  action};
  }

  Result<void> remove_stream(const SmbPath& path, std::string_view stream) override {
    if (read_only()) return NtStatus::access_denied;
    std::lock_guard lk(st_->mu);
    auto node = lookup(path);
    if (!node) return node.status();
    auto it = find_stream(**node, stream);
    if (it == (*node)->streams.end()) return NtStatus::object_name_not_found;
    (*node)->streams.erase(it);
    (*node)->change = st_->now();
    return {};
  }

  Result<void> rename_stream(const SmbPath& path, std::string_view from, std::string_view to, bool replace) override {
    if (read_only()) return NtStatus::access_denied;
    std::lock_guard lk(st_->mu);
    auto node = lookup(path);
    if (!node) return node.status();
    auto& streams = (*node)->streams;
    auto src = find_stream(**node, from);
    if (src == streams.end()) return NtStatus::object_name_not_found;
    auto data = src->second;
    if (auto dst = find_stream(**node, to); dst != streams.end() && dst != src) {
      if (!replace) return NtStatus::object_name_collision;
      streams.erase(dst);
    }
    streams.erase(find_stream(**node, from));
    streams.emplace(std::string(to), std::move(data));
    (*node)->change = st_->now();
    return {};
  }

  Result<FsInfo> fs_info() override {
    FsInfo fi;
    const std::uint64_t used = st_->usage->load();
    fi.total_bytes = st_->opt.capacity_bytes;
    fi.free_bytes = fi.available_bytes = used >= fi.total_bytes ? 0 : fi.total_bytes - used;
    fi.serial_number = 0x4D454D31;  // "MEM1"
    fi.sparse_files = true;
    fi.hard_links = true;
    fi.extended_attributes = true;
    fi.named_streams = true;
    fi.persistent_acls = true;
    fi.created = st_->created;
    return fi;
  }

 private:
  // Callers below hold st_->mu.

  Result<Opened> open_existing(const std::shared_ptr<Node>& node, const OpenParams& params,
                               bool truncating) {
    const auto disp = params.disposition;
    if (disp == CreateDisposition::create) return NtStatus::object_name_collision;
    if (node->dir) {
      if (params.non_directory || truncating) return NtStatus::file_is_a_directory;
      return Opened{std::make_unique<MemoryFile>(st_, node, params.write, !read_only()), CreateAction::opened};
    }
    if (params.directory) return NtStatus::not_a_directory;
    if ((params.write || truncating) && (read_only() || (node->attributes & kAttrReadonly)))
      return NtStatus::access_denied;
    CreateAction action = CreateAction::opened;
    if (truncating) {
      SMBSRV_TRY(st_->resize(*node, 0));
      node->reserved = 0;
      node->touch_modified(st_->now());
      action = disp == CreateDisposition::supersede ? CreateAction::superseded
                                                    : CreateAction::overwritten;
    }
    return Opened{std::make_unique<MemoryFile>(st_, node, params.write, !read_only()), action};
  }

  /// The node at `path` (the root included).
  Result<std::shared_ptr<Node>> lookup(const SmbPath& path) const {
    if (path.is_root()) return st_->root;
    auto parent = walk_parent(path, nullptr);
    if (!parent) return parent.status();
    auto f = find(**parent, path.name());
    if (!f.node) return NtStatus::object_name_not_found;
    return f.node;
  }

  /// A named stream of `node`: the exact name, else (case-insensitive shares) any spelling.
  std::map<std::string, std::shared_ptr<StreamData>>::iterator find_stream(Node& node, std::string_view name) const {
    auto it = node.streams.find(std::string(name));
    if (it != node.streams.end() || case_sensitive()) return it;
    for (auto i = node.streams.begin(); i != node.streams.end(); ++i)
      if (iequal_names(i->first, name)) return i;
    return node.streams.end();
  }

  Found find(const Node& dir, std::string_view name) const {
    Found f;
    f.name = std::string{name};
    if (auto it = dir.children.find(f.name); it != dir.children.end()) {
      f.node = it->second;
      return f;
    }
    if (case_sensitive()) return f;
    for (const auto& [stored, child] : dir.children) {  // map order: the smallest match wins
      if (iequal_names(stored, name)) {
        f.node = child;
        f.name = stored;
        break;
      }
    }
    return f;
  }

  /// The directory holding the last component; `forbid` (a directory being moved) must not be on
  /// the way (invalid_parameter, as rename(2) reports EINVAL).
  Result<std::shared_ptr<Node>> walk_parent(const SmbPath& path, const Node* forbid) const {
    std::shared_ptr<Node> cur = st_->root;
    const auto& comps = path.components();
    for (std::size_t i = 0; i + 1 < comps.size(); ++i) {
      auto f = find(*cur, comps[i]);
      if (!f.node || !f.node->dir) return NtStatus::object_path_not_found;
      if (f.node.get() == forbid) return NtStatus::invalid_parameter;
      cur = std::move(f.node);
    }
    return cur;
  }

  std::shared_ptr<State> st_;
};

}  // namespace

std::shared_ptr<Vfs> make_memory_vfs(MemoryVfsOptions options) {
  return std::make_shared<MemoryVfs>(options);
}

}  // namespace smbsrv
