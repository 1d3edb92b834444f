// Artifact collection after an attempt: every regular file below the
// attempt's artifacts directory, plus every path the agent listed in its
// JSON result, each with size and sha256.
//
// Rules (also in docs/runner.md):
//  - the directory walk does not follow symbolic links, and skips them (a
//    link could point anywhere, or loop); special files are skipped too;
//  - listed paths may be absolute or relative to the attempt's working
//    directory; they may point outside it (taskexec only records and hashes
//    them, it copies nothing); symlinks in listed paths are followed;
//  - a listed path that is missing, or not a regular file, becomes a warning,
//    never an error; a listed file already found in the directory is not
//    counted twice;
//  - at most `max_files` artifacts; the rest become one warning.
// Artifacts come back sorted: directory files by relative path, then listed
// paths in the agent's order.
//
// Thread-safety: pure functions (reading the file system).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/domain.h"
#include "core/status.h"

namespace taskexec {

struct ArtifactSource {
  std::string artifacts_dir;              // may not exist (then only listed paths count)
  std::vector<std::string> listed_paths;  // from the agent's result
  std::string cwd;                        // base for relative listed paths
  std::string task_id;
  std::string execution_id;
  TimeMs now = 0;  // created_at of the records
  size_t max_files = 1000;
};

struct ArtifactCollection {
  std::vector<Artifact> artifacts;
  std::vector<std::string> warnings;
};

ArtifactCollection CollectArtifacts(const ArtifactSource& source);

// Lower-case hex SHA-256 and size of a file (OpenSSL EVP).
Status Sha256File(const std::string& path, std::string* hex, int64_t* size);

}  // namespace taskexec
