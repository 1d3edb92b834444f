// How Bolt failures become taskexec Statuses, and which are worth retrying.
//
// A server FAILURE becomes a Status whose message starts with the Neo4j code
// ("Neo.TransientError.Transaction.DeadlockDetected: ..."), so callers above
// the connection can still classify it. The Status code follows the failure's
// classification: transient -> Unavailable, constraint violations ->
// Conflict, other client errors -> InvalidArgument, database errors ->
// Internal. A lost or unusable connection is Unavailable with a message that
// does not start with "Neo.".
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "bolt/messages.h"
#include "core/status.h"

namespace taskexec::bolt {

Status FailureToStatus(const ServerError& e);

// The Neo4j code at the start of a Status message made by FailureToStatus, or
// "" for other statuses.
std::string_view NeoCode(const Status& s);

// True when a managed transaction should try again in a new transaction:
// transient errors (except Terminated and LockClientStopped), lost
// connections, and the cluster's "not a leader"/"read-only" answers.
bool IsRetryable(const Status& s);

// True for NotALeader / ForbiddenOnReadOnlyDatabase: the server is no longer
// a writer, so the routing table must forget it as one.
bool IsNotWriter(const Status& s);

}  // namespace taskexec::bolt
