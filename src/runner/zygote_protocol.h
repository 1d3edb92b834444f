// The messages between the service and the attempt zygote
// (`taskexec-attempt --zygote`, runner/attempt_zygote.h): one request, one
// reply, each a single SOCK_SEQPACKET message.
//
// Request: a RequestHeader, then NUL-terminated strings: the working
// directory, the marker, `argc` arguments (the supervisor's argv, its
// program's name first) and `envc` environment entries; with it, by SCM_RIGHTS, the
// supervisor's descriptors in this order: stdin (only with kHasStdin),
// stdout, stderr, the log, the go pipe, the cgroup scope (only with
// kHasScope), a descriptor the supervisor holds while it lives (only with
// kHasHeld: the workspace lock). Reply: a Reply.
//
// The marker is what /proc/<pid>/environ of the new supervisor shows (it is
// a copy of the zygote, whose own environment is what that file reads): the
// attempt's TASKEXEC_EXECUTION_ID entry, by which the watchdog and the
// orphan sweep find an attempt's processes (runner/orphans.h). The zygote
// keeps kMarkerRoom bytes of environment for it.
//
// Only libc and the C++ runtime: taskexec-attempt links it statically.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace taskexec::zygote {

inline constexpr uint32_t kMagic = 0x74657a31;  // "tez1"
inline constexpr uint32_t kHasStdin = 1;
inline constexpr uint32_t kHasScope = 2;
inline constexpr uint32_t kHasHeld = 4;
// A request larger than this goes by posix_spawn instead: a SEQPACKET
// message must fit the socket's send buffer (212,992 bytes by default).
inline constexpr size_t kMaxRequestBytes = 128 * 1024;
inline constexpr size_t kMaxFds = 7;
// The environment the zygote starts with, and so the room for the marker.
inline constexpr size_t kMarkerRoom = 512;
inline constexpr char kRoomVariable[] = "TASKEXEC_ZYGOTE_ROOM=";

struct RequestHeader {
  uint32_t magic;
  uint32_t flags;
  uint32_t argc;
  uint32_t envc;
};

// pid > 0: started (error 0). pid 0: nothing was made, error says why.
struct Reply {
  int32_t pid;
  int32_t error;
};

struct Request {
  uint32_t flags = 0;
  std::string cwd;
  std::string marker;
  std::vector<std::string> argv;
  std::vector<std::string> env;
};

// The payload of `request` (the header and its strings).
std::string Encode(const Request& request);

// The size Encode makes of a request with these strings, without making it.
size_t EncodedSize(const std::string& cwd, const std::string& marker,
                   const std::vector<std::string>& argv, const std::vector<std::string>& env);

// NUL-terminated pointers into `strings`, as argv and envp take them; valid
// while `strings` is unchanged.
std::vector<char*> Pointers(std::vector<std::string>& strings);

// Parses a payload; false (and *why) when it is not one Encode made.
bool Decode(const char* data, size_t size, Request* request, std::string* why);

// How many descriptors a request with `flags` carries.
size_t FdCount(uint32_t flags);

// The zygote's environment entry that reserves the marker's room.
std::string RoomEntry();

}  // namespace taskexec::zygote
