#include "runner/zygote_protocol.h"

#include <cstring>

namespace taskexec::zygote {

namespace {

void Put(std::string* out, const std::string& s) {
  out->append(s);
  out->push_back('\0');
}

// The next NUL-terminated string at *pos, or false when there is none.
bool Take(const char* data, size_t size, size_t* pos, std::string* out) {
  if (*pos >= size) return false;
  const void* end = std::memchr(data + *pos, '\0', size - *pos);
  if (end == nullptr) return false;
  const size_t len = static_cast<size_t>(static_cast<const char*>(end) - (data + *pos));
  out->assign(data + *pos, len);
  *pos += len + 1;
  return true;
}

}  // namespace

std::string Encode(const Request& request) {
  RequestHeader h{kMagic, request.flags, static_cast<uint32_t>(request.argv.size()),
                  static_cast<uint32_t>(request.env.size())};
  std::string out(reinterpret_cast<const char*>(&h), sizeof h);
  Put(&out, request.cwd);
  Put(&out, request.marker);
  for (const std::string& a : request.argv) Put(&out, a);
  for (const std::string& e : request.env) Put(&out, e);
  return out;
}

size_t EncodedSize(const std::string& cwd, const std::string& marker,
                   const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  size_t size = sizeof(RequestHeader) + cwd.size() + 1 + marker.size() + 1;
  for (const std::string& a : argv) size += a.size() + 1;
  for (const std::string& e : env) size += e.size() + 1;
  return size;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

bool Decode(const char* data, size_t size, Request* request, std::string* why) {
  RequestHeader h;
  if (size < sizeof h) {
    *why = "shorter than its header";
    return false;
  }
  std::memcpy(&h, data, sizeof h);
  if (h.magic != kMagic) {
    *why = "not a request (bad magic)";
    return false;
  }
  // Every string takes at least its NUL: more than the payload holds is a lie.
  if (h.argc == 0 || h.argc > size || h.envc > size) {
    *why = "bad argument or environment count";
    return false;
  }
  request->flags = h.flags;
  size_t pos = sizeof h;
  if (!Take(data, size, &pos, &request->cwd) || !Take(data, size, &pos, &request->marker)) {
    *why = "truncated";
    return false;
  }
  request->argv.assign(h.argc, std::string());
  for (std::string& a : request->argv) {
    if (!Take(data, size, &pos, &a)) {
      *why = "truncated arguments";
      return false;
    }
  }
  request->env.assign(h.envc, std::string());
  for (std::string& e : request->env) {
    if (!Take(data, size, &pos, &e)) {
      *why = "truncated environment";
      return false;
    }
  }
  if (pos != size) {
    *why = "trailing bytes";
    return false;
  }
  return true;
}

size_t FdCount(uint32_t flags) {
  return 4 + ((flags & kHasStdin) != 0 ? 1 : 0) + ((flags & kHasScope) != 0 ? 1 : 0) +
         ((flags & kHasHeld) != 0 ? 1 : 0);
}

std::string RoomEntry() {
  std::string entry = kRoomVariable;
  entry.resize(kMarkerRoom - 1, 'x');  // with its NUL, kMarkerRoom bytes
  return entry;
}

}  // namespace taskexec::zygote
