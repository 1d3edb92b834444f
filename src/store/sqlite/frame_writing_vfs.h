// FrameWritingVfs: SQLite's default VFS with one change: a write-ahead log
// frame reaches the file in one write, not two.
//
// SQLite writes each frame of the log as its 24-byte header, then its page
// (walWriteOneFrame): two system calls, and the header's lands in the page
// cache page the previous frame's tail is in, so a frame touches three page
// cache pages where one write of both touches two. Every page a transaction
// changed is a frame, and a claim or an outcome changes a dozen or more.
//
// How: a short write to a log file is held (copied) instead of made; the
// next call into this VFS on the same thread writes it. When that call is a
// write that continues it in the same file, both go as one write. SQLite
// publishes frames to readers only through the shared-memory index, and
// only after their writes (a write barrier, xShmBarrier, which is a call
// into this VFS and so writes what is held first): no reader, in this
// process or another, can look for a frame whose bytes are still held, and a
// process that dies holding one had not committed what it belongs to.
//
// Every file is wrapped (so that any call writes what is held); only log
// files (SQLITE_OPEN_WAL) hold writes. Everything else passes through.
//
// Thread-safety: registration is done once, safely from any thread. What is
// held is per thread: SQLite calls a connection's files from the one thread
// using it (connections are opened with SQLITE_OPEN_NOMUTEX, and every
// transaction ends with calls into the VFS on its thread).
#pragma once

namespace taskexec::sqlite {

// The name to pass to sqlite3_open_v2: this VFS, registered over the
// default one on the first call (not made the default). nullptr when it
// could not be registered: the caller opens with the default VFS.
const char* FrameWritingVfs();

// Writes this VFS joined (a held header and the page after it, as one
// write) since the process started: for tests and benchmarks.
long long FrameWritingVfsJoinedWrites();

}  // namespace taskexec::sqlite
