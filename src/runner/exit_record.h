// The exit record: how an attempt's agent ended, written by the per-attempt
// supervisor (`taskexec-attempt`, attempt_shim_main.cc) the moment the agent
// is gone and its output drained, whether or not its service is alive to
// see it.
//
// A service killed or frozen while its agent finished used to leave that
// agent's work (a PR, a report) to be recorded `lost` and run again. The
// record holds what the service would have parsed the outcome from (the
// exit status, the tails of stdout and stderr), so a recovering service on
// the same machine computes the same outcome instead (process_launcher.h,
// EndedWhileAway). An agent that was stopped (the supervisor got SIGTERM,
// SIGINT or SIGHUP before it saw the agent end: a timeout, a cancel, the
// fence, the watchdog) has its record say so; such an end is taken for a
// result only when the agent reported its work done (the stop and the
// agent's own end crossed).
//
// The file is `<log path>.exit` (JSON; the tails in base64, since agent
// output need not be UTF-8), written in place: one that its writer did not
// finish (killed meanwhile) does not parse, and is no record to its reader.
//
// Thread-safety: stateless; touches the file system only.
#pragma once

#include <string>

#include "core/outcome_path.h"
#include "core/status.h"
#include "runner/process_supervisor.h"

namespace taskexec {

struct ExitRecord {
  // exit_code or term_signal, the tails, stdout_bytes, duration_ms and
  // last_output_ms as the service would have had them.
  ProcessResult process;
  int stop_signal = 0;      // the first stop signal the supervisor got; 0: none
  bool log_failed = false;  // some output could not be appended to the log
};

// NotFound when there is none; Corruption when it does not parse (one
// whose writer did not finish it).
Status ReadExitRecord(const std::string& path, ExitRecord* out);

// The per-attempt supervisor installed beside `program` (the taskexec
// binary): "<dir>/taskexec-attempt" when it is there and executable, else "".
std::string AttemptShimBeside(const std::string& program);

}  // namespace taskexec
