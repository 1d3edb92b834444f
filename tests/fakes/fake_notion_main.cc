// fake_notion: the fake Notion API as a standalone process, for end-to-end
// tests with the real taskexec binary.
//
//   fake_notion [--port N] [--token T] [--status-type select|status]
//               [--rate R] [--burst B]
// Prints "listening <port>" on stdout once ready; stops on SIGINT/SIGTERM.
// The board is driven through /_control/ (see docs/notion.md).
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "fakes/fake_notion_server.h"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  taskexec::fakes::FakeNotionOptions options;
  int port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    std::string value = argv[i + 1];
    if (flag == "--port")
      port = std::atoi(value.c_str());
    else if (flag == "--token")
      options.token = value;
    else if (flag == "--status-type")
      options.status_type = value;
    else if (flag == "--rate")
      options.rate_per_second = std::atof(value.c_str());
    else if (flag == "--burst")
      options.burst = std::atof(value.c_str());
    else if (flag == "--database-id")
      options.database_id = value;
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  taskexec::fakes::FakeNotionServer server(options);
  taskexec::Status st = server.Start("127.0.0.1", port);
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::printf("listening %d\n", server.port());
  std::fflush(stdout);
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.Stop();
  return 0;
}
