// Task ids as folder names (a task's workspace is <agent.work_dir>/<name>).
//
// Thread-safety: pure functions.
#pragma once

#include <string>

namespace taskexec {

// The folder name of a task's workspace: the task id, with '%', '/' and
// NUL written %25, %2F and %00, and a leading '.' as %2E (ids are the
// user's to choose; a folder is one name, never hidden). TaskIdOfFolder
// reverses it.
std::string WorkspaceFolderName(const std::string& task_id);
std::string TaskIdOfFolder(const std::string& folder);

}  // namespace taskexec
