#include "sandbox/wire.h"

#include <algorithm>
#include <cstring>

namespace crucible::sandbox_wire {
namespace {

// Encoding: a magic word, then fields in a fixed order. Integers are 8 bytes
// little-endian-as-stored (both ends are the same build on the same machine);
// strings are a length followed by the bytes; lists are a count followed by
// the items.
constexpr uint64_t kSpecMagic = 0x4352534253504543ULL;  // "CRSBSPEC"
constexpr uint64_t kMaxItems = 1u << 20;

class Writer {
 public:
  void U64(uint64_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof(v)); }
  void Str(std::string_view s) {
    U64(s.size());
    out_.append(s);
  }
  void List(const std::vector<std::string>& items) {
    U64(items.size());
    for (const auto& s : items) Str(s);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U64(uint64_t& v) {
    if (in_.size() < sizeof(v)) return false;
    std::memcpy(&v, in_.data(), sizeof(v));
    in_.remove_prefix(sizeof(v));
    return true;
  }
  bool Bool(bool& b) {
    uint64_t v = 0;
    if (!U64(v) || v > 1) return false;
    b = v == 1;
    return true;
  }
  bool Str(std::string& s) {
    uint64_t n = 0;
    if (!U64(n) || n > in_.size()) return false;
    s.assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }
  bool List(std::vector<std::string>& items) {
    uint64_t n = 0;
    if (!U64(n) || n > kMaxItems) return false;
    items.resize(n);
    for (auto& s : items) {
      if (!Str(s)) return false;
    }
    return true;
  }
  bool AtEnd() const { return in_.empty(); }

 private:
  std::string_view in_;
};

}  // namespace

std::string EncodeSpec(const InitSpec& spec) {
  Writer w;
  w.U64(kSpecMagic);
  for (bool b : {spec.pid_namespace, spec.mount_namespace, spec.network_namespace,
                 spec.filesystem_isolation, spec.drop_privileges, spec.probe_only,
                 spec.hide_host}) {
    w.U64(b ? 1 : 0);
  }
  w.List(spec.cgroup_procs_files);
  w.Str(spec.exec_path);
  w.List(spec.argv);
  w.List(spec.envp);
  w.Str(spec.working_dir);
  w.List(spec.writable_paths);
  w.List(spec.readonly_paths);
  w.List(spec.system_paths);
  w.U64(spec.pass_fds);
  w.U64(spec.tmpfs_bytes);
  w.U64(spec.scratch_bytes);
  w.List(spec.scratch_copy_out);
  w.U64(spec.rlimits.size());
  for (const RlimitSetting& r : spec.rlimits) {
    w.U64(static_cast<uint64_t>(r.resource));
    w.U64(r.soft);
    w.U64(r.hard);
  }
  return w.Take();
}

std::optional<InitSpec> DecodeSpec(std::string_view bytes) {
  Reader r(bytes);
  InitSpec spec;
  uint64_t magic = 0;
  if (!r.U64(magic) || magic != kSpecMagic) return std::nullopt;
  for (bool* b : {&spec.pid_namespace, &spec.mount_namespace, &spec.network_namespace,
                  &spec.filesystem_isolation, &spec.drop_privileges, &spec.probe_only,
                  &spec.hide_host}) {
    if (!r.Bool(*b)) return std::nullopt;
  }
  uint64_t n_limits = 0;
  if (!r.List(spec.cgroup_procs_files) || !r.Str(spec.exec_path) || !r.List(spec.argv) ||
      !r.List(spec.envp) || !r.Str(spec.working_dir) || !r.List(spec.writable_paths) ||
      !r.List(spec.readonly_paths) || !r.List(spec.system_paths) || !r.U64(spec.pass_fds) ||
      spec.pass_fds > kMaxPassFds || !r.U64(spec.tmpfs_bytes) || !r.U64(spec.scratch_bytes) ||
      !r.List(spec.scratch_copy_out) || !r.U64(n_limits) ||
      n_limits > 64) {
    return std::nullopt;
  }
  spec.rlimits.resize(n_limits);
  for (RlimitSetting& limit : spec.rlimits) {
    uint64_t resource = 0;
    if (!r.U64(resource) || !r.U64(limit.soft) || !r.U64(limit.hard)) return std::nullopt;
    limit.resource = static_cast<int>(resource);
  }
  if (!r.AtEnd()) return std::nullopt;
  return spec;
}

void SetReportMessage(InitReport& report, std::string_view text) {
  size_t n = std::min(text.size(), sizeof(report.message) - 1);
  std::memcpy(report.message, text.data(), n);
  report.message[n] = '\0';
}

}  // namespace crucible::sandbox_wire
