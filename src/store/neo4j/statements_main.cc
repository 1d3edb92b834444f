// neo4j_statements: prints every Cypher statement the Neo4j store sends as a
// JSON array of {name, text}, for tests/node/check_cypher.mjs.
#include <iostream>

#include <nlohmann/json.hpp>

#include "store/neo4j/cypher.h"

int main() {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : taskexec::neo4j::AllStatements()) {
    out.push_back({{"name", s.name}, {"text", s.text}});
  }
  std::cout << out.dump(2) << "\n";
  return 0;
}
