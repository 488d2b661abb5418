#pragma once
// Cutting a long text into the chunks a `foreach` node maps over.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "config/job.hpp"

namespace parallm::flow {

// paragraph: paragraphs are separated by blank lines; sentence: a sentence ends after '.',
// '!' or '?' followed by whitespace; chars: pieces of at most max_chars bytes, broken at
// whitespace where possible. Pieces are trimmed and empty ones dropped. With max_chars > 0,
// paragraphs (joined by a blank line) and sentences (joined by a space) are packed greedily
// into chunks of at most max_chars bytes; a paragraph that is longer is cut at sentence
// ends, and a sentence that is longer like `chars`. No chunk ever ends inside a UTF-8
// sequence, so a chunk exceeds max_chars only when max_chars is shorter than one character.
std::vector<std::string> split_text(std::string_view text, config::split_by by,
                                    std::size_t max_chars);

}  // namespace parallm::flow
