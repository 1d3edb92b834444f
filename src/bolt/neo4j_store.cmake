# te_neo4j: the Neo4j TaskStore backend (sources in src/store/neo4j/), kept
# here so the store module's CMakeLists stays its owner's.
add_library(te_neo4j STATIC
  ${CMAKE_SOURCE_DIR}/src/store/neo4j/cypher.cc
  ${CMAKE_SOURCE_DIR}/src/store/neo4j/mapping.cc
  ${CMAKE_SOURCE_DIR}/src/store/neo4j/tx_helpers.cc
  ${CMAKE_SOURCE_DIR}/src/store/neo4j/neo4j_store.cc
  ${CMAKE_SOURCE_DIR}/src/store/neo4j/neo4j_store_writes.cc
  ${CMAKE_SOURCE_DIR}/src/store/neo4j/neo4j_store_attempts.cc
  ${CMAKE_SOURCE_DIR}/src/store/neo4j/neo4j_store_routes.cc)
target_link_libraries(te_neo4j PUBLIC te_bolt te_store te_core)

# Prints every statement the store sends, as JSON (for the Cypher check in
# tests/node).
add_executable(neo4j_statements ${CMAKE_SOURCE_DIR}/src/store/neo4j/statements_main.cc)
target_link_libraries(neo4j_statements PRIVATE te_neo4j nlohmann_json::nlohmann_json)
