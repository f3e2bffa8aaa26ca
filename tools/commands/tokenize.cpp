// `spikingbert tokenize`: WordPiece ids of a text (or a pair), or of every case of a JSONL file.

#include "commands/SharedOptions.hpp"
#include "commands/Commands.hpp"
#include "commands/OptionChecks.hpp"
#include "commands/ShippedData.hpp"

#include "io/AtomicFile.hpp"
#include "io/BertTokenizer.hpp"
#include "io/Error.hpp"
#include "io/Hdf5File.hpp"
#include "io/Utf8.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <vector>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

namespace spikingbert::tools {
namespace {

constexpr int kDefaultMaxLength = 128;          // the GLUE scripts' default max_seq_length
constexpr std::int64_t kLargestMaxLength = 1 << 20;  // a sanity bound: BERT's positions stop at 512

struct TokenizeOptions {
  std::string vocab;
  int max_length = kDefaultMaxLength;
  std::string text;
  std::optional<std::string> pair;
  bool tokens = false;
  bool segments = false;
  std::string input;
  std::string output;
};

template <typename Values>
std::string join(const Values& values) {
  std::ostringstream line;
  bool first = true;
  for (const auto& value : values) {
    line << (first ? "" : " ") << value;
    first = false;
  }
  return line.str();
}

void check_utf8(const std::string& text, const std::string& what) {
  if (const auto bad = io::find_invalid_utf8(text)) {
    throw io::InputError("command line", what, "invalid UTF-8 at byte " + std::to_string(*bad + 1), "UTF-8 text");
  }
}

void tokenize_text(const io::BertTokenizer& tokenizer, const TokenizeOptions& options) {
  check_utf8(options.text, "TEXT");
  if (options.pair) check_utf8(*options.pair, "--pair");
  std::optional<std::string_view> pair;
  if (options.pair) pair = *options.pair;
  const auto encoded = tokenizer.encode(options.text, pair, options.max_length);
  std::cout << join(encoded.input_ids) << "\n";
  if (options.segments) std::cout << join(encoded.segment_ids) << "\n";
  if (options.tokens) {
    std::vector<std::string> tokens;
    for (const int id : encoded.input_ids) tokens.push_back(tokenizer.vocabulary().token(id));
    std::cout << join(tokens) << "\n";
  }
}

// One JSONL case: {"text_a": str, "text_b": str|null, "max_seq_length": int, ...}. The output object
// is the input object (key order kept) with input_ids and segment_ids (unpadded) set.
nlohmann::ordered_json tokenize_case(const io::BertTokenizer& tokenizer, const std::string& line, const std::string& file,
                                     int line_number, const TokenizeOptions& options) {
  const std::string place = "line " + std::to_string(line_number);
  const std::string expected = R"(a JSON object {"text_a": string, "text_b": string or null, "max_seq_length": integer})";
  nlohmann::ordered_json object;
  try {
    object = nlohmann::ordered_json::parse(line);
  } catch (const nlohmann::json::parse_error& error) {
    // nlohmann's message starts "[json.exception.parse_error.101] parse error at line 1, column 5: ...".
    std::string reason = error.what();
    if (const auto colon = reason.find(": "); colon != std::string::npos) reason = reason.substr(colon + 2);
    throw io::InputError(file, place, "invalid JSON: " + reason, expected);
  } catch (const nlohmann::json::exception& error) {
    // "[json.exception.out_of_range.406] number overflow parsing '1e412'": a number beyond double's range.
    std::string reason = error.what();
    if (const auto bracket = reason.find("] "); bracket != std::string::npos) reason = reason.substr(bracket + 2);
    throw io::InputError(file, place, "invalid JSON: " + reason, expected);
  }
  if (!object.is_object()) throw io::InputError(file, place, "not a JSON object", expected);
  if (!object.contains("text_a") || !object["text_a"].is_string()) {
    throw io::InputError(file, place, "text_a is missing or not a string", expected);
  }
  std::optional<std::string> text_b;
  if (object.contains("text_b") && !object["text_b"].is_null()) {
    if (!object["text_b"].is_string()) throw io::InputError(file, place, "text_b is not a string or null", expected);
    text_b = object["text_b"].get<std::string>();
  }
  int max_seq_length = options.max_length;
  if (object.contains("max_seq_length")) {
    if (!object["max_seq_length"].is_number_integer()) {
      throw io::InputError(file, place, "max_seq_length is not an integer", expected);
    }
    const auto value = object["max_seq_length"].get<std::int64_t>();
    if (value < io::BertTokenizer::kMinimumSequenceLength || value > kLargestMaxLength) {
      throw io::InputError(file, place, "max_seq_length " + std::to_string(value) + " is out of range",
                           "an integer from " + std::to_string(io::BertTokenizer::kMinimumSequenceLength) + " to " +
                               std::to_string(kLargestMaxLength));
    }
    max_seq_length = static_cast<int>(value);
  }
  std::optional<std::string_view> pair;
  if (text_b) pair = *text_b;
  const auto encoded = tokenizer.encode(object["text_a"].get<std::string>(), pair, max_seq_length);
  object["input_ids"] = encoded.input_ids;
  object["segment_ids"] = encoded.segment_ids;
  if (options.tokens) {
    std::vector<std::string> tokens;
    for (const int id : encoded.input_ids) tokens.push_back(tokenizer.vocabulary().token(id));
    object["tokens"] = tokens;
  }
  return object;
}

// The inputs layout `run`, `grad` and `run-teacher` read (docs/formats.md "Token inputs"): inputs/input_ids,
// segment_ids, attention_mask [cases, longest case] int32 padded with 0, and inputs/labels [cases] when every
// case has an integer "label" (a float one: float32 regression targets).
void write_inputs_h5(const std::vector<nlohmann::json>& cases, const TokenizeOptions& options) {
  std::size_t longest = 0;
  for (const auto& c : cases) longest = std::max(longest, c["input_ids"].size());
  const auto rows = static_cast<std::int64_t>(cases.size()), columns = static_cast<std::int64_t>(longest);
  std::vector<std::int64_t> ids(cases.size() * longest, 0), segments(ids.size(), 0), mask(ids.size(), 0);
  bool labelled = true, integer_labels = true;
  std::vector<double> labels;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    for (std::size_t k = 0; k < c["input_ids"].size(); ++k) {
      ids[i * longest + k] = c["input_ids"][k].get<std::int64_t>();
      segments[i * longest + k] = c["segment_ids"][k].get<std::int64_t>();
      mask[i * longest + k] = 1;
    }
    if (!c.contains("label") || !c["label"].is_number()) labelled = false;
    else {
      integer_labels = integer_labels && c["label"].is_number_integer();
      labels.push_back(c["label"].get<double>());
    }
  }
  io::Hdf5Writer out(options.output);
  out.write_ints("inputs/input_ids", {rows, columns}, ids);
  out.write_ints("inputs/segment_ids", {rows, columns}, segments);
  out.write_ints("inputs/attention_mask", {rows, columns}, mask);
  out.write_attribute("inputs/input_ids", "description", std::string("WordPiece ids, [CLS] ... [SEP], padded with 0"));
  out.write_attribute("inputs/segment_ids", "description", std::string("0 for sentence A, 1 for sentence B"));
  out.write_attribute("inputs/attention_mask", "description", std::string("1 for real tokens, 0 for padding"));
  if (labelled) {
    if (integer_labels) out.write_ints("inputs/labels", {rows}, std::vector<std::int64_t>(labels.begin(), labels.end()));
    else out.write_tensor("inputs/labels", io::Tensor{{rows}, std::vector<float>(labels.begin(), labels.end())});
  }
  out.write_attribute("/", "source", options.input);
  out.commit();
}

void tokenize_file(const io::BertTokenizer& tokenizer, const TokenizeOptions& options) {
  std::ifstream input(options.input, std::ios::binary);
  if (!input) throw io::InputError(options.input, "", "cannot open the input file", "a readable JSONL file");
  std::string output;
  std::string line;
  std::vector<nlohmann::json> encoded;
  int line_number = 0, cases = 0;
  while (std::getline(input, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank lines carry no case
    encoded.push_back(tokenize_case(tokenizer, line, options.input, line_number, options));
    output += encoded.back().dump() + "\n";
    ++cases;
  }
  if (cases == 0) throw io::InputError(options.input, "", "the file has no cases", "one JSON object per line");
  // nothing is written unless every line succeeded
  if (std::filesystem::path(options.output).extension() == ".h5") write_inputs_h5(encoded, options);
  else io::write_text_atomically(options.output, output);
  std::cerr << "tokenized " << cases << " cases into " << options.output << "\n";
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
  auto options = std::make_shared<TokenizeOptions>();
  auto* command = app.add_subcommand("tokenize", "Tokenise text with WordPiece (bert-base-uncased rules)");
  auto* text = command->add_option("text", options->text, "Text to tokenise (the first sentence of a pair)");
  command->add_option("--pair", options->pair, "Second sentence of a pair: [CLS] TEXT [SEP] PAIR [SEP]");
  add_vocab_option(command, options->vocab);
  add_max_length_option(command, options->max_length,
                        "Tokens per example, [CLS]/[SEP] included (default " + std::to_string(kDefaultMaxLength) +
                            ": no task; for --input, used where a case has no max_seq_length)");
  command->add_flag("--tokens", options->tokens, "Also print the tokens on a line of their own (last); with --input, add a \"tokens\" field");
  command->add_flag("--segments", options->segments, "Also print the segment ids on a line of their own");
  command->add_option("--input", options->input, "JSONL file of cases {text_a, text_b, max_seq_length}");
  command->add_option("--output", options->output, "JSONL file to write: each case plus input_ids, segment_ids; or FILE.h5: the token inputs of run, grad and run-teacher (docs/formats.md)");
  command->callback([options, text] {
    const bool file_mode = !options->input.empty() || !options->output.empty();
    if (file_mode && (options->input.empty() || options->output.empty())) {
      throw io::InputError("command line", options->input.empty() ? "--output" : "--input",
                           "--input and --output go together", "both --input FILE and --output FILE");
    }
    if (file_mode && (text->count() > 0 || options->pair)) {
      throw io::InputError("command line", "TEXT", "TEXT/--pair cannot be combined with --input",
                           "either TEXT [--pair TEXT] or --input FILE --output FILE");
    }
    if (!file_mode && text->count() == 0) {
      throw io::InputError("command line", "TEXT", "nothing to tokenise",
                           "TEXT [--pair TEXT] or --input FILE --output FILE");
    }
    io::check_max_seq_length(options->max_length, "command line", "--max-length");
    check_outputs({options->input, options->vocab}, {options->output});
    const auto vocabulary = options->vocab.empty() ? default_vocabulary_path() : std::filesystem::path(options->vocab);
    const auto tokenizer = io::BertTokenizer::from_file(vocabulary);
    if (file_mode) {
      tokenize_file(tokenizer, *options);
    } else {
      tokenize_text(tokenizer, *options);
    }
  });
}

}  // namespace spikingbert::tools
