#include "store/pg_server.h"

#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

namespace taskexec::store_test {
namespace {

namespace fs = std::filesystem;

std::string FindBindir() {
  if (const char* env = getenv("TASKEXEC_TEST_PG_BINDIR"); env != nullptr && *env != '\0')
    return env;
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    if (fs::exists(entry.path() / "bin" / "initdb")) found.push_back(entry.path().string());
  }
  if (found.empty()) return "";
  // Newest version: compare numerically ("9.6" < "15").
  std::sort(found.begin(), found.end(), [](const std::string& a, const std::string& b) {
    return std::stod(fs::path(a).filename().string()) < std::stod(fs::path(b).filename().string());
  });
  return found.back() + "/bin";
}

// Runs argv[0] (as `user` when not empty) with output appended to `log`;
// its exit status.
Status Run(const std::vector<std::string>& argv, const std::string& user, const std::string& log) {
  uid_t uid = 0;
  gid_t gid = 0;
  if (!user.empty()) {
    const passwd* pw = getpwnam(user.c_str());
    if (pw == nullptr) return Status::NotFound("no user " + user);
    uid = pw->pw_uid;
    gid = pw->pw_gid;
  }
  // The child's freopen would write out what the parent's stdio buffers
  // still hold, a second time.
  fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return Status::IOError("fork failed");
  if (pid == 0) {
    FILE* out = freopen(log.c_str(), "a", stdout);
    if (out != nullptr) dup2(fileno(stdout), STDERR_FILENO);
    if (!user.empty() && (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0))
      _exit(126);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::OK();
  return Status::Internal(argv[0] + " " + (argv.size() > 1 ? argv[1] : "") + " failed (status " +
                          std::to_string(status) + "); see " + log);
}

// A loopback port nobody listens on now (the kernel's pick).
int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

// A self-signed certificate for localhost and its key, readable by `user`
// only (the server refuses a key others can read).
Status MakeCertificate(const std::string& dir, const std::string& user) {
  const std::string key = dir + "/server.key", crt = dir + "/server.crt";
  Status s =
      Run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
           "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", crt, "-days", "2",
           "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"},
          "", dir + "/openssl.log");
  if (!s.ok()) return s;
  if (!user.empty()) {
    const passwd* pw = getpwnam(user.c_str());
    if (pw == nullptr || chown(key.c_str(), pw->pw_uid, pw->pw_gid) != 0)
      return Status::IOError("cannot hand " + key + " to " + user);
  }
  if (chmod(key.c_str(), 0600) != 0) return Status::IOError("cannot chmod " + key);
  return Status::OK();
}

}  // namespace

Status PgServer::Start(std::unique_ptr<PgServer>* out, bool durable, bool tls) {
  std::unique_ptr<PgServer> server(new PgServer());
  server->durable_ = durable;
  server->tls_ = tls;
  server->bindir_ = FindBindir();
  if (server->bindir_.empty()) {
    return Status::NotFound(
        "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb): run "
        "scripts/setup.sh, or set TASKEXEC_TEST_PG_BINDIR");
  }
  const char* base = getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/taskexec-pg-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return Status::IOError("mkdtemp failed");
  server->dir_ = pattern;
  if (geteuid() == 0) {
    server->run_as_ = getpwnam("postgres") != nullptr ? "postgres" : "nobody";
    const passwd* pw = getpwnam(server->run_as_.c_str());
    if (pw == nullptr || chown(server->dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0)
      return Status::IOError("cannot hand " + server->dir_ + " to " + server->run_as_);
  }
  chmod(server->dir_.c_str(), 0755);
  Status s = Run({server->bindir_ + "/initdb", "-D", server->dir_ + "/data", "-U", "taskexec",
                  "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"},
                 server->run_as_, server->dir_ + "/initdb.log");
  if (!s.ok()) return s;
  // Trust for every role but kPasswordRole, which must give its password
  // (scram-sha-256): the tests of how a password reaches the server.
  {
    const std::string hba = server->dir_ + "/data/pg_hba.conf";
    FILE* f = fopen(hba.c_str(), "w");
    if (f == nullptr) return Status::IOError("cannot write " + hba);
    fprintf(f, "local all %s scram-sha-256\nlocal all all trust\n", kPasswordRole);
    // TCP (with tls only): encrypted connections, and nothing else.
    fprintf(f, "hostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n");
    fclose(f);
  }
  if (tls) {
    s = MakeCertificate(server->dir_, server->run_as_);
    if (!s.ok()) return s;
    server->port_ = FreeLoopbackPort();
    if (server->port_ == 0) return Status::IOError("no free loopback port");
  }
  s = server->StartAgain();
  if (!s.ok()) return s;
  *out = std::move(server);
  return Status::OK();
}

PgServer::~PgServer() {
  if (running_) (void)PgCtl("stop", "immediate");
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

Status PgServer::PgCtl(const std::string& action, const std::string& mode) {
  std::vector<std::string> argv = {
      bindir_ + "/pg_ctl", action, "-D", dir_ + "/data", "-w", "-t", "60", "-l",
      dir_ + "/server.log"};
  if (!mode.empty()) argv.insert(argv.end(), {"-m", mode});
  if (action == "start") {
    const std::string speed = durable_ ? "" : " -c fsync=off -c full_page_writes=off";
    const std::string listen =
        tls_ ? " -c listen_addresses=127.0.0.1 -c ssl=on -c ssl_cert_file=" + dir_ +
                   "/server.crt -c ssl_key_file=" + dir_ + "/server.key"
             : " -c listen_addresses=";
    argv.insert(argv.end(), {"-o", "-k " + dir_ + " -p " + std::to_string(port_) + listen +
                                       " -c max_connections=200" + speed});
  }
  return Run(argv, run_as_, dir_ + "/pg_ctl.log");
}

Status PgServer::Stop(bool immediate) {
  Status s = PgCtl("stop", immediate ? "immediate" : "fast");
  if (s.ok()) running_ = false;
  return s;
}

Status PgServer::StartAgain() {
  Status s = PgCtl("start", "");
  if (s.ok()) running_ = true;
  return s;
}

PgServer* SharedPgServer(Status* why) {
  static Status started;
  static const std::unique_ptr<PgServer> server = [] {
    std::unique_ptr<PgServer> s;
    started = PgServer::Start(&s);
    return s;
  }();
  if (why != nullptr) *why = started;
  return server.get();
}

std::string PgServer::ConnInfo(const std::string& schema, const std::string& dbname) const {
  std::string info =
      "host=" + dir_ + " port=" + std::to_string(port_) + " user=taskexec dbname=" + dbname;
  if (!schema.empty()) info += " options='-c search_path=" + schema + "'";
  return info;
}

Status PgServer::FreshSchema(std::string* conninfo) {
  const std::string schema = "t" + std::to_string(++next_schema_);
  PGconn* conn = PQconnectdb(ConnInfo().c_str());
  Status s;
  if (PQstatus(conn) != CONNECTION_OK) {
    s = Status::Unavailable(std::string("cannot connect: ") + PQerrorMessage(conn));
  } else {
    PGresult* res = PQexec(conn, ("CREATE SCHEMA " + schema).c_str());
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
      s = Status::Internal(std::string("CREATE SCHEMA: ") + PQresultErrorMessage(res));
    PQclear(res);
  }
  PQfinish(conn);
  if (s.ok()) *conninfo = ConnInfo(schema);
  return s;
}

}  // namespace taskexec::store_test
