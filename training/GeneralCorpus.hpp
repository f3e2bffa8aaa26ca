#pragma once
// General distillation's inputs (issue 14 item 2; TinyBERT's general distillation, method doc §6.1): the
// corpus lines WordPiece-tokenised and packed, in order, into sequences [CLS] pieces [SEP] of at most
// max_seq_length tokens: each sequence takes whole lines while they fit; a line longer than a sequence is
// cut into consecutive pieces of max_seq_length - 2. Segment ids 0, label 0 (no task).
#include "io/BertTokenizer.hpp"
#include "training/EncodedExample.hpp"

#include <string>
#include <vector>

namespace spikingbert::training {

std::vector<EncodedExample> pack_corpus(const io::BertTokenizer& tokenizer, const std::vector<std::string>& lines,
                                        int max_seq_length);

}  // namespace spikingbert::training
