// Whether taskexec can make files in a directory it writes to (agent.work_dir,
// agent.log_dir): `config check` asks before any attempt would fail on it,
// and a service that could not start an attempt asks until it can again.
//
// Thread-safety: stateless; touches the file system only.
#pragma once

#include <string>

#include "core/status.h"

namespace taskexec {

// OK when a file can be made in `path`, or, when `path` does not exist yet,
// in its nearest existing ancestor (where taskexec would make it). Otherwise
// IOError naming `key`, the path and the reason ("agent.log_dir: cannot
// write in /proc: No such file or directory"). Tries for real: a probe file
// with a page of data is made and removed, so read-only mounts, ACLs and a
// full file system count, not just mode bits.
Status CheckWritableDir(const std::string& key, const std::string& path);

}  // namespace taskexec
