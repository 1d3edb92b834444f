#include "runner/artifacts.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>

#include "core/ids.h"

namespace taskexec {

namespace fs = std::filesystem;

Status Sha256File(const std::string& path, std::string* hex, int64_t* size) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rbe"), &std::fclose);
  if (!f) return Status::IOError("cannot open " + path);
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return Status::Internal("EVP sha256 unavailable");
  }
  std::vector<unsigned char> buf(1 << 16);
  int64_t total = 0;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) {
    if (EVP_DigestUpdate(ctx.get(), buf.data(), n) != 1)
      return Status::Internal("EVP update failed");
    total += static_cast<int64_t>(n);
  }
  if (std::ferror(f.get())) return Status::IOError("read error on " + path);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1) return Status::Internal("EVP final failed");
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xF]);
  }
  *hex = std::move(out);
  *size = total;
  return Status::OK();
}

ArtifactCollection CollectArtifacts(const ArtifactSource& src) {
  ArtifactCollection out;
  std::set<std::string> seen;  // canonical paths already recorded
  size_t dropped = 0;

  auto add = [&](const std::string& name, const fs::path& path) {
    std::error_code ec;
    fs::path canonical = fs::canonical(path, ec);
    std::string key = ec ? path.string() : canonical.string();
    if (!seen.insert(key).second) return;
    if (out.artifacts.size() >= src.max_files) {
      ++dropped;
      return;
    }
    Artifact a;
    Status s = Sha256File(path.string(), &a.sha256, &a.size);
    if (!s.ok()) {
      out.warnings.push_back("artifact " + name + ": " + s.message());
      return;
    }
    a.id = NewId("art");
    a.task_id = src.task_id;
    a.execution_id = src.execution_id;
    a.name = name;
    a.path = ec ? fs::absolute(path, ec).string() : canonical.string();
    a.created_at = src.now;
    out.artifacts.push_back(std::move(a));
  };

  std::error_code ec;
  if (!src.artifacts_dir.empty() && fs::is_directory(src.artifacts_dir, ec)) {
    std::vector<fs::path> files;
    fs::recursive_directory_iterator it(src.artifacts_dir,
                                        fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      fs::file_status st = it->symlink_status(ec);
      if (ec) break;
      if (fs::is_regular_file(st)) files.push_back(it->path());
    }
    if (ec) out.warnings.push_back("walking " + src.artifacts_dir + ": " + ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) add(f.lexically_relative(src.artifacts_dir).string(), f);
  }

  for (const auto& listed : src.listed_paths) {
    if (listed.empty()) continue;
    fs::path p(listed);
    if (p.is_relative()) p = fs::path(src.cwd) / p;
    std::error_code lec;
    fs::file_status st = fs::status(p, lec);  // follows symlinks
    if (lec || !fs::exists(st)) {
      out.warnings.push_back("listed artifact " + listed + " does not exist");
    } else if (!fs::is_regular_file(st)) {
      out.warnings.push_back("listed artifact " + listed + " is not a regular file");
    } else {
      add(listed, p);
    }
  }
  if (dropped > 0) {
    out.warnings.push_back(std::to_string(dropped) + " more artifacts not recorded (limit " +
                           std::to_string(src.max_files) + ")");
  }
  return out;
}

}  // namespace taskexec
