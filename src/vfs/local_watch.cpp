// LocalVfs's Vfs::watch() over inotify (local_watch.hpp).
#include "vfs/local_watch.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <utility>

#include "util/upcase.hpp"

namespace smbsrv::detail {
namespace {

// MS-FSCC 2.7.1 actions and FILE_NOTIFY_CHANGE_* bits (the public header leaves them to codec).
constexpr std::uint32_t kAdded = 1, kRemoved = 2, kModified = 3, kRenamedOld = 4, kRenamedNew = 5;
constexpr std::uint32_t kFileName = 0x001, kDirName = 0x002, kAttributes = 0x004, kSize = 0x008,
                        kLastWrite = 0x010, kLastAccess = 0x020, kCreation = 0x040, kEa = 0x080,
                        kSecurity = 0x100;

constexpr std::uint32_t kMask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO |
                                IN_ONLYDIR | IN_EXCL_UNLINK;

std::uint32_t name_filter(std::uint32_t mask) { return (mask & IN_ISDIR) ? kDirName : kFileName; }

/// Names the server keeps for itself in the share (a hard link's temporary name).
bool internal_name(std::string_view name) { return name.starts_with(".smbsrv-"); }

}  // namespace

struct HostWatcher::Sub {
  VfsWatchCallback cb;
  bool recursive = false;
  std::vector<int> wds;     // under HostWatcher::mu_
  std::mutex cb_mu;         // held while the callback runs
  bool cancelled = false;   // under cb_mu
};

namespace {

class LocalWatch final : public VfsWatch {
 public:
  LocalWatch(std::shared_ptr<HostWatcher> w, std::shared_ptr<HostWatcher::Sub> sub, std::function<void()> release)
      : w_(std::move(w)), sub_(std::move(sub)), release_(std::move(release)) {}
  ~LocalWatch() override {
    release_();
    std::lock_guard lk(sub_->cb_mu);  // a callback under way ends first; none starts after
    sub_->cancelled = true;
  }

 private:
  std::shared_ptr<HostWatcher> w_;  // keeps the reader alive while the watch is
  std::shared_ptr<HostWatcher::Sub> sub_;
  std::function<void()> release_;
};

}  // namespace

std::shared_ptr<HostWatcher> HostWatcher::create(OpenDir open_dir, bool case_sensitive) {
  const int ifd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (ifd < 0) return nullptr;
  const int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd < 0) {
    ::close(ifd);
    return nullptr;
  }
  return std::shared_ptr<HostWatcher>(new HostWatcher(ifd, efd, std::move(open_dir), case_sensitive));
}

HostWatcher::HostWatcher(int ifd, int efd, OpenDir open_dir, bool case_sensitive)
    : ifd_(ifd), efd_(efd), open_dir_(std::move(open_dir)), case_sensitive_(case_sensitive) {
  thread_ = std::thread([this] { run(); });
}

HostWatcher::~HostWatcher() {
  stop_.store(true);
  const std::uint64_t one = 1;
  (void)!::write(efd_, &one, sizeof one);
  // The reader may hold the last reference to the LocalVfs that owns this (LocalVfs::watch).
  if (thread_.get_id() == std::this_thread::get_id()) {
    thread_.detach();
    return;  // the descriptors stay open for the few instructions the thread has left
  }
  thread_.join();
  ::close(ifd_);
  ::close(efd_);
}

std::string HostWatcher::key(const SmbPath& p) const {
  std::string k;
  for (const auto& c : p.components()) {
    k += '\\';
    k += case_sensitive_ ? c : upcase_utf8(c);
  }
  return k;
}

HostWatcher::Own HostWatcher::own(const SmbPath& path) {
  std::string k = key(path);
  std::lock_guard lk(own_mu_);
  ++own_[k].active;
  return Own(this, std::move(k));
}

HostWatcher::Own::~Own() {
  if (!w_) return;
  std::lock_guard lk(w_->own_mu_);
  auto& m = w_->own_[key_];
  --m.active;
  m.until = std::chrono::steady_clock::now() + kOwnWindow;
}

bool HostWatcher::is_own(const std::string& k) {
  std::lock_guard lk(own_mu_);
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(own_, [&](const auto& e) { return e.second.active == 0 && e.second.until < now; });
  auto it = own_.find(k);
  return it != own_.end();
}

bool HostWatcher::add_one(const std::shared_ptr<Sub>& sub, const SmbPath& dir, int fd) {
  if (sub->wds.size() >= kMaxDirs) return false;
  const std::string proc = "/proc/self/fd/" + std::to_string(fd);
  const int wd = ::inotify_add_watch(ifd_, proc.c_str(), kMask);
  if (wd < 0) return errno != ENOSPC;  // out of the user's watches: as past the cap
  auto& n = nodes_[wd];
  if (n.subs.empty()) n.path = dir;
  if (std::find(n.subs.begin(), n.subs.end(), sub) == n.subs.end()) {
    n.subs.push_back(sub);
    sub->wds.push_back(wd);
  }
  return true;
}

bool HostWatcher::add_tree(const std::shared_ptr<Sub>& sub, const SmbPath& dir, Fd fd) {
  std::deque<std::pair<SmbPath, Fd>> todo;
  todo.emplace_back(dir, std::move(fd));
  while (!todo.empty()) {
    auto [path, d] = std::move(todo.front());
    todo.pop_front();
    // The watch first, then the scan: a directory made meanwhile is seen by one or the other.
    if (!add_one(sub, path, d.get())) return false;
    if (!sub->recursive) continue;
    auto names = read_names(d.get());
    if (!names) continue;
    for (const auto& name : *names) {
      if (internal_name(name)) continue;  // the side stream store (side_stream.hpp) is not the share's
      Fd child{open_beneath(d.get(), name.c_str(), O_RDONLY | O_DIRECTORY)};
      if (!child) continue;  // not a directory (or gone)
      if (sub->wds.size() + todo.size() >= kMaxDirs) return false;  // at most the cap held open
      auto c = path.components();
      c.push_back(name);
      auto p = SmbPath::from_components(std::move(c));
      if (p) todo.emplace_back(std::move(*p), std::move(child));
    }
  }
  return true;
}

std::unique_ptr<VfsWatch> HostWatcher::watch(const SmbPath& dir, bool recursive, VfsWatchCallback cb) {
  Fd fd = open_dir_(dir);
  if (!fd) return nullptr;
  auto sub = std::make_shared<Sub>();
  sub->cb = std::move(cb);
  sub->recursive = recursive;
  {
    std::lock_guard lk(mu_);
    if (!add_tree(sub, dir, std::move(fd))) {
      // More directories than it may watch: NOTIFY_ENUM_DIR, told by the reader (a callback
      // never runs inside a call of the backend).
      cut_short_.push_back(sub);
      const std::uint64_t one = 1;
      (void)!::write(efd_, &one, sizeof one);
    }
  }
  return std::unique_ptr<VfsWatch>(new LocalWatch(shared_from_this(), sub, [this, sub] { release(*sub); }));
}

void HostWatcher::release(Sub& sub) {
  std::lock_guard lk(mu_);
  for (int wd : sub.wds) {
    auto n = nodes_.find(wd);
    if (n == nodes_.end()) continue;
    std::erase_if(n->second.subs, [&](const auto& s) { return s.get() == &sub; });
    if (n->second.subs.empty()) {
      (void)::inotify_rm_watch(ifd_, wd);
      nodes_.erase(n);
    }
  }
  sub.wds.clear();
}

void HostWatcher::run() {
  alignas(inotify_event) char buf[16 * 1024];
  for (;;) {
    pollfd p[2] = {{ifd_, POLLIN, 0}, {efd_, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    // What each watch is told, in event order; sent once the lock is released.
    std::vector<std::pair<std::shared_ptr<Sub>, std::vector<VfsChange>>> out;
    std::vector<std::shared_ptr<Sub>> lost;
    if (p[1].revents) {
      if (stop_.load()) return;
      std::uint64_t v;
      (void)!::read(efd_, &v, sizeof v);
      std::lock_guard lk(mu_);
      lost = std::exchange(cut_short_, {});
    }
    ssize_t n = 0;
    if (p[0].revents) n = ::read(ifd_, buf, sizeof buf);
    if (n < 0) n = 0;
    const auto tell = [&](const std::shared_ptr<Sub>& s, VfsChange c) {
      auto it = std::find_if(out.begin(), out.end(), [&](const auto& e) { return e.first == s; });
      if (it == out.end()) {
        out.emplace_back(s, std::vector<VfsChange>{});
        it = std::prev(out.end());
      }
      it->second.push_back(std::move(c));
    };
    {
      std::lock_guard lk(mu_);
      struct Move {
        std::uint32_t cookie;
        int wd;
        SmbPath path;
        std::uint32_t mask;
        bool own;
      };
      std::vector<Move> from;  // IN_MOVED_FROM waiting for its IN_MOVED_TO
      const auto to_all = [&](int wd, VfsChange c) {
        auto node = nodes_.find(wd);
        if (node == nodes_.end()) return;
        for (const auto& s : node->second.subs) tell(s, c);
      };
      for (ssize_t off = 0; off < n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
        if (ev->mask & IN_Q_OVERFLOW) {  // events were lost: every watch is told
          for (const auto& [wd, node] : nodes_)
            for (const auto& s : node.subs)
              if (std::find(lost.begin(), lost.end(), s) == lost.end()) lost.push_back(s);
          continue;
        }
        if (ev->mask & IN_IGNORED) {  // the directory is gone: its watch went with it
          if (auto node = nodes_.find(ev->wd); node != nodes_.end()) {
            for (const auto& s : node->second.subs) std::erase(s->wds, ev->wd);
            nodes_.erase(node);
          }
          continue;
        }
        if (ev->len == 0) continue;  // the directory itself: its parent's watch tells that
        auto node = nodes_.find(ev->wd);
        if (node == nodes_.end()) continue;
        const std::string name(ev->name);
        if (internal_name(name)) continue;
        auto comps = node->second.path.components();
        comps.push_back(name);
        auto path = SmbPath::from_components(std::move(comps));
        if (!path) continue;  // not a name a client could see
        const bool own = is_own(key(*path));
        const std::uint32_t nf = name_filter(ev->mask);
        if (ev->mask & IN_MOVED_FROM) {
          from.push_back({ev->cookie, ev->wd, *path, ev->mask, own});
          continue;
        }
        if (ev->mask & IN_MOVED_TO) {
          auto m = std::find_if(from.begin(), from.end(), [&](const Move& x) { return x.cookie == ev->cookie; });
          if (m != from.end()) {
            if ((ev->mask & IN_ISDIR)) {  // the watched directories below it have a new path
              const auto& oc = m->path.components();
              for (auto& [wd, nd] : nodes_) {
                const auto& c = nd.path.components();
                if (c.size() < oc.size() || !std::equal(oc.begin(), oc.end(), c.begin())) continue;
                auto moved = path->components();
                moved.insert(moved.end(), c.begin() + static_cast<std::ptrdiff_t>(oc.size()), c.end());
                if (auto np = SmbPath::from_components(std::move(moved))) nd.path = std::move(*np);
              }
            }
            if (!own && !m->own) {
              const bool same_dir = m->wd == ev->wd;
              to_all(m->wd, {m->path, same_dir ? kRenamedOld : kRemoved, nf});
              to_all(ev->wd, {*path, same_dir ? kRenamedNew : kAdded, nf});
            }
            from.erase(m);
            if (!(ev->mask & IN_ISDIR)) continue;
          } else if (!own) {
            to_all(ev->wd, {*path, kAdded, nf});
          }
        }
        if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
          if (!own && (ev->mask & IN_CREATE)) to_all(ev->wd, {*path, kAdded, nf});
          if (ev->mask & IN_ISDIR) {  // recursive watches take in the new directory
            std::vector<std::shared_ptr<Sub>> subs;
            for (const auto& s : node->second.subs)
              if (s->recursive) subs.push_back(s);
            for (const auto& s : subs) {
              Fd d = open_dir_(*path);
              if (d && !add_tree(s, *path, std::move(d))) lost.push_back(s);
            }
          }
          continue;
        }
        if (own) continue;
        if (ev->mask & IN_DELETE) to_all(ev->wd, {*path, kRemoved, nf});
        if (ev->mask & IN_MODIFY) to_all(ev->wd, {*path, kModified, kSize | kLastWrite});
        if (ev->mask & IN_ATTRIB)
          to_all(ev->wd, {*path, kModified, kAttributes | kLastWrite | kLastAccess | kCreation | kEa | kSecurity});
      }
      for (const auto& m : from)  // moved out of every watched directory
        if (!m.own) to_all(m.wd, {m.path, kRemoved, name_filter(m.mask)});
    }
    for (auto& [s, changes] : out) {
      std::lock_guard lk(s->cb_mu);
      if (!s->cancelled) s->cb(changes, false);
    }
    for (auto& s : lost) {
      std::lock_guard lk(s->cb_mu);
      if (!s->cancelled) s->cb({}, true);
    }
  }
}

}  // namespace smbsrv::detail
