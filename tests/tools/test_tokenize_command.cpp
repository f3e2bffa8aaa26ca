#include "support/RunCommand.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>

using spikingbert::testing::fresh_folder;
using spikingbert::testing::read_whole_file;
using spikingbert::testing::run_spikingbert;
using spikingbert::testing::test_data;

namespace {
// Appending (rather than "'" + string) sidesteps GCC 12's false -Wrestrict positive (PR 105329).
std::string quoted(const std::filesystem::path& path) {
  std::string text(1, '\'');
  text.append(path.string()).push_back('\'');
  return text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  std::string line;
  while (std::getline(stream, line)) lines.push_back(line);
  return lines;
}
}  // namespace

TEST_CASE("spikingbert tokenize prints the ids of a text and of a pair", "[tools][tokenize]") {
  const auto single = run_spikingbert("tokenize 'Hello, World!'");
  CHECK(single.exit_code == 0);
  CHECK(single.out == "101 7592 1010 2088 999 102\n");

  const auto pair = run_spikingbert("tokenize 'Hello, World!' --pair 'naïve façade' --segments --tokens");
  CHECK(pair.exit_code == 0);
  CHECK(lines_of(pair.out) == std::vector<std::string>{"101 7592 1010 2088 999 102 15743 8508 102",
                                                        "0 0 0 0 0 0 1 1 1",
                                                        "[CLS] hello , world ! [SEP] naive facade [SEP]"});

  const auto truncated = run_spikingbert("tokenize 'one two three four' --max-length 4");
  CHECK(truncated.out == "101 2028 2048 102\n");

  const auto explicit_vocab =
      run_spikingbert("tokenize hello --vocab '" + std::string(SPIKINGBERT_SOURCE_DIR) + "/data/vocab/bert-base-uncased.txt'");
  CHECK(explicit_vocab.out == "101 7592 102\n");
}

TEST_CASE("spikingbert tokenize --input/--output reproduces every conformance case", "[tools][tokenize]") {
  // Feed only the inputs (text_a, text_b, max_seq_length), so every id in the output is ours.
  const auto folder = fresh_folder("tokenize-jsonl");
  std::ifstream cases(test_data("tokenizer/cases.jsonl"));
  std::vector<nlohmann::json> expected;
  std::ofstream inputs(folder / "inputs.jsonl");
  std::string line;
  while (std::getline(cases, line)) {
    expected.push_back(nlohmann::json::parse(line));
    const auto& reference = expected.back();
    inputs << nlohmann::json{{"text_a", reference["text_a"]}, {"text_b", reference["text_b"]},
                             {"max_seq_length", reference["max_seq_length"]}}
                  .dump()
           << "\n";
  }
  inputs.close();
  REQUIRE(expected.size() == 2633);

  const auto result = run_spikingbert("tokenize --input " + quoted(folder / "inputs.jsonl") + " --output " +
                                      quoted(folder / "out.jsonl") + " --tokens");
  REQUIRE(result.exit_code == 0);
  const auto output = lines_of(read_whole_file(folder / "out.jsonl"));
  REQUIRE(output.size() == expected.size());
  std::size_t identical = 0;
  for (std::size_t i = 0; i < output.size(); ++i) {
    const auto ours = nlohmann::json::parse(output[i]);
    const bool same = ours["text_a"] == expected[i]["text_a"] && ours["text_b"] == expected[i]["text_b"] &&
                      ours["input_ids"] == expected[i]["input_ids"] && ours["segment_ids"] == expected[i]["segment_ids"] &&
                      ours["tokens"] == expected[i]["tokens"];
    if (same) {
      ++identical;
    } else {
      UNSCOPED_INFO("case " << i + 1 << " differs: " << output[i]);
    }
  }
  CHECK(identical == expected.size());
}

TEST_CASE("spikingbert tokenize rejects bad input with one error line and no output", "[tools][tokenize][errors]") {
  const auto folder = fresh_folder("tokenize-errors");
  const auto output = folder / "out.jsonl";
  const auto check_rejected = [&](const std::string& content, const std::string& message) {
    const auto input = folder / "in.jsonl";
    std::ofstream(input, std::ios::binary) << content;
    const auto result = run_spikingbert("tokenize --input " + quoted(input) + " --output " + quoted(output));
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    CHECK(lines_of(result.err).size() == 1);
    CHECK(result.err.starts_with("spikingbert: error: " + input.string() + ":" + message));
    CHECK_FALSE(std::filesystem::exists(output));
    CHECK(std::distance(std::filesystem::directory_iterator(folder), std::filesystem::directory_iterator()) == 1);
  };
  const std::string good = R"({"text_a": "ok", "text_b": null, "max_seq_length": 8})" "\n";
  check_rejected(good + "{\"text_a\": \"bad\",\n", "line 2: invalid JSON");
  check_rejected(good + good + "[1, 2]\n", "line 3: not a JSON object");
  check_rejected(R"({"text_b": "x", "max_seq_length": 8})" "\n", "line 1: text_a is missing or not a string");
  check_rejected(R"({"text_a": "x", "text_b": 3, "max_seq_length": 8})" "\n", "line 1: text_b is not a string or null");
  check_rejected(R"({"text_a": "x", "text_b": null, "max_seq_length": 2})" "\n", "line 1: max_seq_length 2 is out of range");
  check_rejected(R"({"text_a": "x", "text_b": null, "max_seq_length": "8"})" "\n", "line 1: max_seq_length is not an integer");
  check_rejected("{\"text_a\": \"caf\xE9\"}\n", "line 1: invalid JSON");
  check_rejected("", " the file has no cases");

  const auto missing = run_spikingbert("tokenize --input " + quoted(folder / "absent.jsonl") + " --output " + quoted(output));
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("absent.jsonl: cannot open") != std::string::npos);
  CHECK(run_spikingbert("tokenize").exit_code == 2);
  CHECK(run_spikingbert("tokenize x --max-length 2").err == "spikingbert: error: command line:--max-length: max_seq_length 2 is too small (expected at least 3)\n");
  CHECK(run_spikingbert("tokenize --input " + quoted(folder / "in.jsonl")).exit_code == 2);
  CHECK(run_spikingbert("tokenize x --vocab " + quoted(folder / "no-vocab.txt")).err.find("no-vocab.txt: cannot open") !=
        std::string::npos);
}

TEST_CASE("spikingbert finds its default vocabulary in an installed tree first", "[tools][tokenize]") {
  // A fake installation: <prefix>/bin/spikingbert and <prefix>/share/spikingbert/data/vocab/ with a
  // tiny vocabulary, so the ids show which vocabulary was used.
  const auto prefix = fresh_folder("installed-tree");
  std::filesystem::create_directories(prefix / "bin");
  std::filesystem::create_directories(prefix / "share" / "spikingbert" / "data" / "vocab");
  std::filesystem::copy_file(SPIKINGBERT_EXECUTABLE, prefix / "bin" / "spikingbert");
  std::ofstream(prefix / "share" / "spikingbert" / "data" / "vocab" / "bert-base-uncased.txt")
      << "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n";
  const auto installed = spikingbert::testing::run_shell(quoted(prefix / "bin" / "spikingbert") + " tokenize 'hello world'");
  CHECK(installed.exit_code == 0);
  CHECK(installed.out == "2 4 1 3\n");
  // The build tree's executable falls back to the source tree's data/.
  CHECK(run_spikingbert("tokenize 'hello world'").out == "101 7592 2088 102\n");
  std::filesystem::remove_all(prefix);
}
