// MakeDir: a folder made, with its missing parents, in as few system calls
// as the usual case needs. An attempt makes new folders in folders that
// exist (its own folder, its artifacts/, a task's workspace): one mkdir
// each, where std::filesystem::create_directories first looks up the path
// and each parent in turn.
//
// Thread-safety: stateless; touches the file system only.
#pragma once

#include <string>

#include "core/status.h"

namespace taskexec {

// OK when `path` is a folder afterwards: made now, with any missing parents,
// or there already. IOError naming the path and the reason otherwise (also
// when `path` exists as something else than a folder).
Status MakeDir(const std::string& path);

// open(2) of `path` with `flags` (O_CREAT among them) and `mode`; when its
// folder is missing (the first file there, or the folder removed by hand)
// the folder is made (MakeDir) and the open tried once more. *fd is the
// descriptor; otherwise IOError "cannot open <what> <path>: <reason>" (or
// MakeDir's).
Status OpenMakingFolder(const std::string& path, int flags, unsigned mode, const char* what,
                        int* fd);

}  // namespace taskexec
