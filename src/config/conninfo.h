// A PostgreSQL connection string as configuration sees it: a libpq URI
// (postgresql://user:password@host:port/db?sslmode=require) or key=value
// pairs (host=db port=5432 password='p w'). Only what keeps the password
// out of sight is done here; libpq parses it for real when it connects.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace taskexec {

// "" when `conninfo` looks like either form; otherwise what is expected.
std::string CheckConnInfo(const std::string& conninfo);

// The password `conninfo` carries (the URI's user:password@ or a password
// parameter), "" when none.
std::string ConnInfoPassword(std::string_view conninfo);

// `conninfo` with its password replaced by "***", for messages and
// `config check`.
std::string RedactConnInfo(std::string_view conninfo);

}  // namespace taskexec
