// Status: the outcome of an operation that can fail, in the style of LevelDB's
// Status. Cheap to copy; an OK status carries no message.
//
// Thread-safety: a Status is a value; distinct objects may be used from any
// thread without synchronisation.
#pragma once

#include <string>
#include <utility>

namespace taskexec {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,         // the named object does not exist
    kInvalidArgument,  // the caller's input is wrong; retrying will not help
    kConflict,         // a compare-and-set lost (claimed elsewhere, lease lost)
    kUnavailable,      // a dependency is down; retrying later may succeed
    kIOError,          // local I/O failed
    kCorruption,       // stored or received data is malformed
    kInternal,         // a bug or an unexpected state
  };

  Status() = default;
  static Status OK() { return Status(); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status InvalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  static Status Conflict(std::string msg) { return Status(Code::kConflict, std::move(msg)); }
  static Status Unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsConflict() const { return code_ == Code::kConflict; }
  bool IsUnavailable() const { return code_ == Code::kUnavailable; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "OK" or "<code name>: <message>".
  std::string ToString() const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

const char* CodeName(Status::Code code);

}  // namespace taskexec
