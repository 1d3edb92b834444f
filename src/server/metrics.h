// Prometheus text exposition (format 0.0.4) of the service status and its
// agents, for GET /metrics. Every task status is always present (0 when
// empty) so a dashboard's queries never see a series vanish. `now` dates the
// gauges that are ages (how long running agents have been quiet).
//
// Thread-safety: pure function.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "api/task_service.h"
#include "core/histogram.h"

namespace taskexec {

std::string RenderMetrics(const ServiceStatus& status, const std::vector<AgentState>& agents,
                          TimeMs now);

// One histogram family's samples: name_bucket{labels,le="..."} (cumulative,
// then +Inf), name_sum{labels}, name_count{labels}. `labels` is the
// rendered label list without braces ("agent=\"kublai\"").
void RenderHistogram(std::ostream& out, const std::string& name, const std::string& labels,
                     const Histogram& histogram);

}  // namespace taskexec
