// Conversions between the domain records and Neo4j nodes/parameters.
//
// Reading is lenient, because the store adopts :Task nodes made by other
// tools (another Notion sync, say): missing properties take the defaults
// the SQLite backend uses (status pending, priority normal, source "store",
// version 0), times may be DATETIME, LOCAL DATETIME, DATE, epoch-ms
// integers or ISO-8601 strings, numbers may be integers or floats.
//
// Thread-safety: pure functions.
#pragma once

#include "bolt/value.h"
#include "core/domain.h"
#include "core/status.h"

namespace taskexec::neo4j {

// The queue order (priority weight desc, created_at asc) as one ascending
// integer, the :Task property dispatch_key: (4 - weight) * 2^43 +
// created_at (ms, clamped to [0, 2^43), good until the year 2248). Neo4j
// can only return an index's order for one direction, so the two keys are
// folded into one.
int64_t DispatchKey(Priority priority, TimeMs created_at);

Status TaskFromNode(const bolt::Value& node, Task* out);
Status ExecutionFromNode(const bolt::Value& node, SessionExecution* out);
Status ArtifactFromNode(const bolt::Value& node, Artifact* out);

// Parameters for cypher::kCreateTask / kSaveTask: {props: {...}, times:
// {...}} merged into `params`. Empty optional strings become null (the
// property is removed), as other tools on the graph leave them unset.
void TaskParams(const Task& t, bolt::Map* params);
void ExecutionParams(const SessionExecution& e, bolt::Map* params);
// {props} and created_at for cypher::kCreateArtifact.
void ArtifactParams(const Artifact& a, bolt::Map* params);

}  // namespace taskexec::neo4j
