// Prometheus text exposition (format 0.0.4) of the service status, for
// GET /metrics. Every task status is always present (0 when empty) so a
// dashboard's queries never see a series vanish. `now` dates the gauges
// that are ages (how long running agents have been quiet).
//
// Thread-safety: pure function.
#pragma once

#include <string>

#include "api/task_service.h"

namespace taskexec {

std::string RenderMetrics(const ServiceStatus& status, TimeMs now);

}  // namespace taskexec
