// A card's comments by kind, for tests: the live progress comment each
// running attempt keeps (notion/progress_comments.h) and everything else
// (result comments, a person's). Tests that count result comments leave the
// progress comments out: whether one exists depends on whether the sync
// loop ran while the attempt did.
#pragma once

#include <string>
#include <vector>

#include "notion/notion_client.h"

namespace taskexec::notion_test {

inline bool IsProgressComment(const notion::Json& comment) {
  return notion::PlainText(comment.value("rich_text", notion::Json::array()))
             .find("[taskexec progress ") != std::string::npos;
}

inline std::vector<notion::Json> WithoutProgress(const std::vector<notion::Json>& comments) {
  std::vector<notion::Json> out;
  for (const notion::Json& c : comments)
    if (!IsProgressComment(c)) out.push_back(c);
  return out;
}

}  // namespace taskexec::notion_test
