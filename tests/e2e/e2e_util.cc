#include "e2e/e2e_util.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace taskexec::e2e {
namespace fs = std::filesystem;

std::string SourceDir() {
  const char* s = getenv("TASKEXEC_SOURCE_DIR");
  return s ? s : ".";
}

std::string BinaryDir() {
  const char* b = getenv("TASKEXEC_BINARY_DIR");
  return b ? b : "build";
}

std::string TaskexecBinary() { return BinaryDir() + "/taskexec"; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteFile(const std::string& path, const std::string& data) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << data;
}

std::string MakeTempDir(const std::string& name) {
  static int counter = 0;
  fs::path dir =
      fs::temp_directory_path() /
      ("taskexec_e2e_" + name + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

std::vector<pid_t> ProcessesOfAttempt(const std::string& execution_id) {
  const std::string marker = "TASKEXEC_EXECUTION_ID=" + execution_id;
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    std::string env = ReadFile(entry.path().string() + "/environ");
    size_t pos = 0;
    while (pos < env.size()) {
      size_t end = env.find('\0', pos);
      if (end == std::string::npos) end = env.size();
      if (env.compare(pos, end - pos, marker) == 0) {
        found.push_back(static_cast<pid_t>(std::atoi(name.c_str())));
        break;
      }
      pos = end + 1;
    }
  }
  return found;
}

namespace {

std::vector<std::string> EnvWith(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    std::string key = kv.substr(0, kv.find('='));
    if (!extra.count(key)) env.push_back(kv);
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

pid_t Spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
            const std::string& in_path, const std::string& out_path, const std::string& err_path) {
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, in_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, cargv[0], &fa, &attr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("cannot spawn " + argv[0] + ": " + strerror(rc));
  return pid;
}

int WaitExit(pid_t pid) {
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

}  // namespace

CommandResult Run(const std::vector<std::string>& argv,
                  const std::map<std::string, std::string>& env, const std::string& stdin_data) {
  std::string dir = MakeTempDir("cmd");
  std::string in = dir + "/in", out = dir + "/out", err = dir + "/err";
  WriteFile(in, stdin_data);
  pid_t pid = Spawn(argv, EnvWith(env), in, out, err);
  CommandResult r;
  r.exit_code = WaitExit(pid);
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  fs::remove_all(dir);
  return r;
}

CommandResult Cli(const std::string& config, std::vector<std::string> args) {
  std::vector<std::string> argv = {TaskexecBinary(), "--config", config};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv);
}

Service::Service(std::string config, std::string log_path, std::map<std::string, std::string> env)
    : config_(std::move(config)), log_path_(std::move(log_path)), env_(std::move(env)) {}

Service::~Service() {
  if (pid_ > 0) Kill9();
}

void Service::Start() {
  std::vector<std::string> argv = prefix_;
  argv.insert(argv.end(), {TaskexecBinary(), "--config", config_, "serve"});
  pid_ = Spawn(argv, EnvWith(env_), "/dev/null", log_path_, log_path_);
}

void Service::Kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  WaitExit(pid_);
  pid_ = -1;
}

int Service::Terminate() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int code = WaitExit(pid_);
  pid_ = -1;
  return code;
}

bool WaitFor(const std::function<bool()>& done, int seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

}  // namespace taskexec::e2e
