#include "bolt/value.h"

#include <cmath>
#include <cstring>
#include <sstream>

namespace taskexec::bolt {

const Value* Map::Find(std::string_view key) const {
  for (const auto& [k, v] : entries) {
    if (k == key) return &v;
  }
  return nullptr;
}

void Map::Set(std::string key, Value value) {
  for (auto& [k, v] : entries) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  entries.emplace_back(std::move(key), std::move(value));
}

bool operator==(const Map& a, const Map& b) { return a.entries == b.entries; }

bool operator==(const Structure& a, const Structure& b) {
  return a.tag == b.tag && a.fields == b.fields;
}

const char* TypeName(Type t) {
  switch (t) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return "boolean";
    case Type::kInt:
      return "integer";
    case Type::kFloat:
      return "float";
    case Type::kString:
      return "string";
    case Type::kBytes:
      return "bytes";
    case Type::kList:
      return "list";
    case Type::kMap:
      return "map";
    case Type::kStructure:
      return "structure";
  }
  return "?";
}

bool operator==(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  if (a.is_float()) {
    double x = a.as_float(), y = b.as_float();
    return std::memcmp(&x, &y, sizeof x) == 0;
  }
  return a.v_ == b.v_;
}

namespace {

void Render(const Value& v, std::ostringstream& out) {
  switch (v.type()) {
    case Type::kNull:
      out << "null";
      break;
    case Type::kBool:
      out << (v.as_bool() ? "true" : "false");
      break;
    case Type::kInt:
      out << v.as_int();
      break;
    case Type::kFloat:
      out << v.as_float();
      break;
    case Type::kString:
      out << '"' << v.as_string() << '"';
      break;
    case Type::kBytes:
      out << "bytes[" << v.as_bytes().size() << "]";
      break;
    case Type::kList: {
      out << '[';
      const char* sep = "";
      for (const auto& item : v.as_list()) {
        out << sep;
        Render(item, out);
        sep = ", ";
      }
      out << ']';
      break;
    }
    case Type::kMap: {
      out << '{';
      const char* sep = "";
      for (const auto& [k, item] : v.as_map().entries) {
        out << sep << k << ": ";
        Render(item, out);
        sep = ", ";
      }
      out << '}';
      break;
    }
    case Type::kStructure: {
      const auto& s = v.as_struct();
      out << "struct<0x" << std::hex << static_cast<int>(s.tag) << std::dec << ">(";
      const char* sep = "";
      for (const auto& item : s.fields) {
        out << sep;
        Render(item, out);
        sep = ", ";
      }
      out << ')';
      break;
    }
  }
}

}  // namespace

std::string Value::DebugString() const {
  std::ostringstream out;
  Render(*this, out);
  return out.str();
}

const Value* FindIn(const Value& map, std::string_view key) {
  return map.is_map() ? map.as_map().Find(key) : nullptr;
}

}  // namespace taskexec::bolt
