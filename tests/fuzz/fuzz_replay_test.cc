// Replays each fuzz target's seed corpus (fuzz/corpus/<target>/) and a
// fixed-seed batch of mutations of it, so what the libFuzzer runs found and
// fixed stays fixed with any compiler, deterministically.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "fuzz/fuzz_bodies.h"

namespace taskexec::fuzz {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> Corpus(const std::string& target) {
  const char* source = std::getenv("TASKEXEC_SOURCE_DIR");
  const fs::path dir = fs::path(source != nullptr ? source : ".") / "fuzz" / "corpus" / target;
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  std::vector<std::string> inputs;
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    inputs.push_back(text.str());
  }
  return inputs;
}

// libFuzzer's simpler moves: flip, insert, erase, copy within, splice with
// another seed, cut.
std::string Mutate(const std::vector<std::string>& seeds, std::mt19937& rng) {
  std::string s = seeds[rng() % seeds.size()];
  const int moves = 1 + static_cast<int>(rng() % 4);
  for (int m = 0; m < moves; ++m) {
    const size_t at = s.empty() ? 0 : rng() % s.size();
    switch (rng() % 6) {
      case 0:
        if (!s.empty()) s[at] = static_cast<char>(s[at] ^ (1u << (rng() % 8)));
        break;
      case 1:
        s.insert(at, 1, static_cast<char>(rng() % 256));
        break;
      case 2:
        if (!s.empty()) s.erase(at, 1 + rng() % 8);
        break;
      case 3:
        if (!s.empty()) s.insert(at, s.substr(rng() % s.size(), 1 + rng() % 16));
        break;
      case 4: {
        const std::string& other = seeds[rng() % seeds.size()];
        if (!other.empty()) s.insert(at, other.substr(rng() % other.size(), 1 + rng() % 64));
        break;
      }
      default:
        s.resize(at);
        break;
    }
  }
  return s;
}

class FuzzReplay : public ::testing::TestWithParam<Target> {};

TEST_P(FuzzReplay, SeedsAndTheirMutationsHold) {
  spdlog::set_level(spdlog::level::off);  // refusals are expected, by the thousand
  const Target& target = GetParam();
  const std::vector<std::string> seeds = Corpus(target.name);
  ASSERT_GE(seeds.size(), 3u) << "fuzz/corpus/" << target.name << " holds the seeds";
  for (size_t i = 0; i < seeds.size(); ++i) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(seeds[i].data());
    ASSERT_TRUE(target.once(bytes, seeds[i].size())) << target.name << " seed #" << i;
  }
  std::mt19937 rng(20261206);
  for (int i = 0; i < 20000; ++i) {
    const std::string input = Mutate(seeds, rng);
    const auto* bytes = reinterpret_cast<const uint8_t*>(input.data());
    ASSERT_TRUE(target.once(bytes, input.size())) << target.name << " mutation #" << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzReplay, ::testing::ValuesIn(Targets()),
                         [](const ::testing::TestParamInfo<Target>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace taskexec::fuzz
