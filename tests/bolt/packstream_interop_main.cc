// packstream_interop: the C++ side of the PackStream interoperability test
// with the official JavaScript driver (tests/node/packstream_interop.js).
//
//   packstream_interop encode         prints {"<name>": "<hex>", ...}: the
//                                     corpus encoded by our encoder
//   packstream_interop decode <file>  reads {"<name>": "<hex>"} made by the
//                                     official encoder, decodes each with our
//                                     decoder and compares it with the corpus
//                                     value of that name; exit 1 on a mismatch
//
// The corpus (interop_corpus.h) is mirrored value for value in the JS script.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "bolt/interop_corpus.h"
#include "bolt/packstream.h"

using taskexec::bolt::Bytes;
using taskexec::bolt::Value;

namespace {

std::string Hex(const Bytes& b) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (uint8_t c : b) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

bool Unhex(const std::string& h, Bytes* out) {
  if (h.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < h.size(); i += 2) {
    unsigned v = 0;
    if (std::sscanf(h.c_str() + i, "%2x", &v) != 1) return false;
    out->push_back(static_cast<uint8_t>(v));
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const auto corpus = taskexec::bolt::InteropCorpus();
  if (argc == 2 && std::string(argv[1]) == "encode") {
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    for (const auto& [name, value] : corpus) {
      Bytes b;
      if (!taskexec::bolt::Pack(value, &b).ok()) {
        std::cerr << "cannot encode " << name << "\n";
        return 1;
      }
      out[name] = Hex(b);
    }
    std::cout << out.dump() << "\n";
    return 0;
  }
  if (argc == 3 && std::string(argv[1]) == "decode") {
    std::ifstream in(argv[2]);
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json theirs = nlohmann::json::parse(text.str(), nullptr, false);
    if (!theirs.is_object()) {
      std::cerr << "bad input file\n";
      return 2;
    }
    int bad = 0, checked = 0;
    for (const auto& [name, value] : corpus) {
      if (!theirs.contains(name)) {
        std::cerr << "missing " << name << " in the JS encodings\n";
        ++bad;
        continue;
      }
      Bytes b;
      Value decoded;
      if (!Unhex(theirs[name].get<std::string>(), &b) ||
          !taskexec::bolt::UnpackAll(b, &decoded).ok()) {
        std::cerr << "cannot decode " << name << "\n";
        ++bad;
        continue;
      }
      ++checked;
      if (!(decoded == value)) {
        std::cerr << "mismatch " << name << ": ours " << value.DebugString().substr(0, 200)
                  << " theirs " << decoded.DebugString().substr(0, 200) << "\n";
        ++bad;
      }
    }
    std::cout << checked << " values decoded, " << bad << " problems\n";
    return bad == 0 ? 0 : 1;
  }
  std::cerr << "usage: packstream_interop encode | decode <file>\n";
  return 2;
}
