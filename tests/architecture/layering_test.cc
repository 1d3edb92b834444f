// Every #include "<module>/..." in src/ goes down the layers of
// docs/architecture.md: a module may include its own headers and those of
// lower layers, never a module of its own layer or above. A new module must
// be given a layer here (and in the docs) before it can be included.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// The layers, bottom to top; keep in step with docs/architecture.md.
const std::map<std::string, int> kLayer = {
    {"core", 0}, {"config", 1}, {"routing", 2}, {"bolt", 2},   {"store", 3}, {"runner", 3},
    {"api", 4},  {"engine", 5}, {"server", 5},  {"notion", 5}, {"cli", 6},   {"app", 7},
};

std::string SourceDir() {
  const char* dir = std::getenv("TASKEXEC_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

struct Include {
  std::string file;  // relative to src/
  int line;
  std::string module;  // the included module
};

// The module of `#include "module/..."` on this line, or "" (a plain scan:
// std::regex trips GCC 12's -Wmaybe-uninitialized in optimized ASan builds).
std::string IncludedModule(const std::string& text) {
  size_t i = text.find_first_not_of(" \t");
  if (i == std::string::npos || text[i] != '#') return "";
  i = text.find_first_not_of(" \t", i + 1);
  if (i == std::string::npos || text.compare(i, 7, "include") != 0) return "";
  i = text.find_first_not_of(" \t", i + 7);
  if (i == std::string::npos || text[i] != '"') return "";
  const size_t start = i + 1;
  size_t end = start;
  while (end < text.size() &&
         (std::islower(static_cast<unsigned char>(text[end])) ||
          std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '_'))
    ++end;
  if (end == start || end >= text.size() || text[end] != '/') return "";
  return text.substr(start, end - start);
}

std::vector<Include> IncludesOf(const fs::path& path, const std::string& relative) {
  std::vector<Include> out;
  std::ifstream in(path);
  std::string text;
  for (int line = 1; std::getline(in, text); ++line) {
    std::string module = IncludedModule(text);
    if (!module.empty()) out.push_back({relative, line, module});
  }
  return out;
}

TEST(Layering, IncludesOnlyGoDown) {
  const fs::path src = fs::path(SourceDir()) / "src";
  ASSERT_TRUE(fs::is_directory(src)) << src;
  int checked = 0;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(src)) {
    const std::string ext = e.path().extension().string();
    if (!e.is_regular_file() || (ext != ".h" && ext != ".cc")) continue;
    const std::string relative = fs::relative(e.path(), src).string();
    const std::string module = relative.substr(0, relative.find('/'));
    auto own = kLayer.find(module);
    ASSERT_NE(own, kLayer.end()) << "src/" << module
                                 << " has no layer; add it to kLayer and docs/architecture.md";
    for (const Include& inc : IncludesOf(e.path(), relative)) {
      ++checked;
      if (inc.module == module) continue;
      auto other = kLayer.find(inc.module);
      ASSERT_NE(other, kLayer.end()) << "src/" << inc.file << ":" << inc.line << " includes "
                                     << inc.module << "/, which is not a module";
      EXPECT_LT(other->second, own->second)
          << "src/" << inc.file << ":" << inc.line << ": " << module << " (layer " << own->second
          << ") includes " << inc.module << " (layer " << other->second
          << "); a module may include only lower layers";
    }
  }
  EXPECT_GT(checked, 100);
}

// The docs' table names every module with its layer.
TEST(Layering, DocsListEveryModuleWithItsLayer) {
  std::ifstream in(SourceDir() + "/docs/architecture.md");
  std::string docs((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(docs.empty());
  for (const auto& [module, layer] : kLayer) {
    std::string row = "| " + std::to_string(layer) + " | " + module + " |";
    EXPECT_NE(docs.find(row), std::string::npos) << "docs/architecture.md lacks the row " << row;
  }
}

}  // namespace
