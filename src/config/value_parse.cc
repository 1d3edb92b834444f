#include "config/value_parse.h"

#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>

#include <nlohmann/json.hpp>

namespace taskexec::config_internal {
namespace {

using nlohmann::json;

std::string Quote(const std::string& s) { return json(s).dump(); }

std::string Trim(const std::string& s) {
  size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  size_t end = s.find_last_not_of(" \t\r\n");
  return s.substr(begin, end - begin + 1);
}

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::string Got(const std::string& text) { return ", got " + Quote(text); }

bool ParseInteger(const std::string& text, long long* out) {
  std::string t = Trim(text);
  const char* begin = t.data();
  const char* end = t.data() + t.size();
  if (begin != end && *begin == '+') ++begin;  // from_chars refuses a leading '+'
  auto [ptr, ec] = std::from_chars(begin, end, *out);
  return begin != end && ec == std::errc() && ptr == end;
}

// Parses JSON, or explains why not with the byte offset nlohmann reports.
bool ParseJson(const std::string& text, json* out, std::string* why) {
  try {
    *out = json::parse(text);
    return true;
  } catch (const json::parse_error& e) {
    *why = "not valid JSON (byte " + std::to_string(e.byte) + ")";
    return false;
  } catch (const json::exception& e) {  // a number past double's range
    *why = std::string("not valid JSON (") + e.what() + ")";
    return false;
  }
}

std::string ExpectedJson(std::string_view what, std::string_view example, const std::string& text,
                         const std::string& why) {
  return "expected " + std::string(what) + " (e.g. " + std::string(example) + ")" + Got(text) +
         (why.empty() ? "" : ": " + why);
}

std::string ParseStringList(std::vector<std::string>* out, const std::string& text) {
  constexpr std::string_view kWhat = "a JSON array of strings";
  constexpr std::string_view kExample = R"(["openclaw","agent","--agent","{agent}"])";
  json j;
  std::string why;
  if (!ParseJson(text, &j, &why)) return ExpectedJson(kWhat, kExample, text, why);
  if (!j.is_array()) return ExpectedJson(kWhat, kExample, text, "not an array");
  std::vector<std::string> values;
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string()) {
      return ExpectedJson(kWhat, kExample, text,
                          "element " + std::to_string(i) + " is not a string");
    }
    values.push_back(j[i].get<std::string>());
  }
  *out = std::move(values);
  return "";
}

std::string ParseStringMap(StringMap* out, const std::string& text) {
  constexpr std::string_view kWhat = "a JSON object of strings";
  constexpr std::string_view kExample = R"({"NAME":"value"})";
  json j;
  std::string why;
  if (!ParseJson(text, &j, &why)) return ExpectedJson(kWhat, kExample, text, why);
  if (!j.is_object()) return ExpectedJson(kWhat, kExample, text, "not an object");
  StringMap values;
  for (const auto& [key, value] : j.items()) {
    if (!value.is_string()) {
      return ExpectedJson(kWhat, kExample, text, "value of " + Quote(key) + " is not a string");
    }
    values[key] = value.get<std::string>();
  }
  *out = std::move(values);
  return "";
}

std::string ParseIntMap(IntMap* out, const std::string& text) {
  constexpr std::string_view kWhat = "a JSON object of integers";
  constexpr std::string_view kExample = R"({"temujin":2})";
  json j;
  std::string why;
  if (!ParseJson(text, &j, &why)) return ExpectedJson(kWhat, kExample, text, why);
  if (!j.is_object()) return ExpectedJson(kWhat, kExample, text, "not an object");
  IntMap values;
  for (const auto& [key, value] : j.items()) {
    if (!value.is_number_integer() || value.get<long long>() < INT_MIN ||
        value.get<long long>() > INT_MAX) {
      return ExpectedJson(kWhat, kExample, text, "value of " + Quote(key) + " is not an integer");
    }
    values[key] = static_cast<int>(value.get<long long>());
  }
  *out = std::move(values);
  return "";
}

std::string ParsePairs(StringPairs* out, const std::string& text) {
  constexpr std::string_view kWhat = "a JSON array of [keyword, agent] pairs";
  constexpr std::string_view kExample = R"([["security","jochi"],["frontend","temujin"]])";
  json j;
  std::string why;
  if (!ParseJson(text, &j, &why)) return ExpectedJson(kWhat, kExample, text, why);
  if (!j.is_array()) return ExpectedJson(kWhat, kExample, text, "not an array");
  StringPairs values;
  for (size_t i = 0; i < j.size(); ++i) {
    const json& e = j[i];
    if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
      values.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
    } else if (e.is_object() && e.size() == 2 && e.contains("keyword") && e.contains("agent") &&
               e["keyword"].is_string() && e["agent"].is_string()) {
      values.emplace_back(e["keyword"].get<std::string>(), e["agent"].get<std::string>());
    } else {
      return ExpectedJson(kWhat, kExample, text,
                          "element " + std::to_string(i) + " is not a [keyword, agent] pair");
    }
  }
  *out = std::move(values);
  return "";
}

}  // namespace

std::string ParseInto(const FieldPtr& field, const std::string& text) {
  if (auto* v = std::get_if<int*>(&field)) {
    long long n = 0;
    if (!ParseInteger(text, &n)) return "expected an integer" + Got(text);
    if (n < INT_MIN || n > INT_MAX) return "integer out of range" + Got(text);
    **v = static_cast<int>(n);
    return "";
  }
  if (auto* v = std::get_if<size_t*>(&field)) {
    long long n = 0;
    if (!ParseInteger(text, &n) || n < 0) return "expected a non-negative integer" + Got(text);
    **v = static_cast<size_t>(n);
    return "";
  }
  if (auto* v = std::get_if<double*>(&field)) {
    std::string t = Trim(text);
    char* end = nullptr;
    errno = 0;
    double d = t.empty() ? 0 : std::strtod(t.c_str(), &end);
    if (t.empty() || end != t.c_str() + t.size() || errno == ERANGE || !std::isfinite(d)) {
      return "expected a number" + Got(text);
    }
    **v = d;
    return "";
  }
  if (auto* v = std::get_if<bool*>(&field)) {
    std::string t = Lower(Trim(text));
    if (t == "true" || t == "1" || t == "yes" || t == "on") {
      **v = true;
    } else if (t == "false" || t == "0" || t == "no" || t == "off") {
      **v = false;
    } else {
      return "expected a boolean (true/false, 1/0, yes/no, on/off)" + Got(text);
    }
    return "";
  }
  if (auto* v = std::get_if<std::string*>(&field)) {
    **v = text;
    return "";
  }
  if (auto* v = std::get_if<std::vector<std::string>*>(&field)) return ParseStringList(*v, text);
  if (auto* v = std::get_if<StringMap*>(&field)) return ParseStringMap(*v, text);
  if (auto* v = std::get_if<IntMap*>(&field)) return ParseIntMap(*v, text);
  if (auto* v = std::get_if<StringPairs*>(&field)) return ParsePairs(*v, text);
  return "unsupported value type";
}

}  // namespace taskexec::config_internal
