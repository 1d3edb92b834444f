#include "cli/unknown_command.h"

#include <algorithm>
#include <vector>

#include "core/join.h"

namespace taskexec {
namespace {

// Whether `word` names an option of `app` or of a group above it that takes
// a value (which is then the next argument, unless given with '=').
bool TakesValue(CLI::App* app, const std::string& word) {
  const std::string name = word.substr(0, word.find('='));
  for (CLI::App* a = app; a != nullptr; a = a->get_parent()) {
    const CLI::Option* opt = a->get_option_no_throw(name);
    if (opt != nullptr) return opt->get_expected_min() > 0 && word.find('=') == std::string::npos;
  }
  return false;
}

std::string PathOf(CLI::App* app) {
  std::vector<std::string> names;
  for (CLI::App* a = app; a != nullptr; a = a->get_parent())
    names.insert(names.begin(), a->get_name());
  return Join(names, " ");
}

}  // namespace

std::string UnknownCommand(CLI::App& app, int argc, const char* const* argv) {
  CLI::App* current = &app;
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--") return "";
    if (word.size() > 1 && word[0] == '-') {
      if (TakesValue(current, word)) ++i;
      continue;
    }
    std::vector<CLI::App*> commands = current->get_subcommands({});
    if (commands.empty()) return "";  // positional arguments from here on
    CLI::App* next = nullptr;
    std::vector<std::string> names;
    for (CLI::App* c : commands) {
      names.push_back(c->get_name());
      if (c->check_name(word)) next = c;
    }
    if (next == nullptr) {
      std::sort(names.begin(), names.end());
      return "unknown command \"" + word + "\" for \"" + PathOf(current) +
             "\"; commands: " + Join(names, ", ");
    }
    current = next;
  }
  return "";
}

}  // namespace taskexec
