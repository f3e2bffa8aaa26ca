#include "io/Error.hpp"
#include "io/GlueReader.hpp"
#include "support/RunCommand.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace spikingbert::io;
using spikingbert::testing::fresh_folder;

namespace {

std::string shipped(const std::string& relative) { return std::string(SPIKINGBERT_SOURCE_DIR) + "/data/glue/" + relative; }

std::filesystem::path write_file(const std::filesystem::path& folder, const std::string& name, const std::string& content) {
  const auto path = folder / name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::string error_of(GlueTask task, const std::filesystem::path& path) {
  try {
    read_glue_file(task, path);
  } catch (const InputError& error) {
    return error.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("GLUE readers give the known example counts of the shipped data", "[io][glue]") {
  CHECK(read_glue_file(GlueTask::sst2, shipped("SST-2/train.tsv")).examples.size() == 67349);
  CHECK(read_glue_file(GlueTask::sst2, shipped("SST-2/dev.tsv")).examples.size() == 872);
  CHECK(read_glue_file(GlueTask::stsb, shipped("STS-B/train.tsv")).examples.size() == 5749);
  CHECK(read_glue_file(GlueTask::stsb, shipped("STS-B/dev.tsv")).examples.size() == 1500);
  CHECK(read_glue_file(GlueTask::rte, shipped("RTE/train.tsv")).examples.size() == 2490);
  CHECK(read_glue_file(GlueTask::rte, shipped("RTE/dev.tsv")).examples.size() == 277);
}

TEST_CASE("GLUE readers take texts and labels from the reference columns", "[io][glue]") {
  const auto sst2 = read_glue_file(GlueTask::sst2, shipped("SST-2/dev.tsv"));
  CHECK(sst2.examples[0].text_a == "it 's a charming and often affecting journey . ");
  CHECK_FALSE(sst2.examples[0].text_b);
  CHECK(sst2.examples[0].label == 1);
  CHECK(sst2.examples[1].label == 0);
  CHECK(sst2.examples[0].line == 2);

  const auto stsb = read_glue_file(GlueTask::stsb, shipped("STS-B/dev.tsv"));
  CHECK(stsb.examples[0].text_a == "A man with a hard hat is dancing.");
  CHECK(stsb.examples[0].text_b == "A man wearing a hard hat is dancing.");
  CHECK(stsb.examples[0].score == 5.0);
  CHECK(stsb.examples[1].score == 4.75);
  CHECK(stsb.examples[0].label == kNoLabel);

  const auto rte = read_glue_file(GlueTask::rte, shipped("RTE/dev.tsv"));
  CHECK(rte.examples[0].text_b == "Christopher Reeve had an accident.");
  CHECK(glue_task_info(GlueTask::rte).labels[static_cast<std::size_t>(rte.examples[0].label)] == "not_entailment");
  CHECK(glue_task_info(GlueTask::rte).labels[static_cast<std::size_t>(rte.examples[1].label)] == "entailment");
}

TEST_CASE("GLUE readers handle every task's layout", "[io][glue]") {
  const auto folder = fresh_folder("glue-layouts");
  SECTION("CoLA train/dev have no header; label in column 1, sentence in column 3") {
    const auto data = read_glue_file(GlueTask::cola, write_file(folder, "dev.tsv", "gj04\t1\t\tOur friends won't buy this.\ngj04\t0\t*\tThey drank the pub.\n"));
    REQUIRE(data.examples.size() == 2);
    CHECK(data.examples[0].text_a == "Our friends won't buy this.");
    CHECK(data.examples[1].label == 0);
    CHECK(data.examples[1].line == 2);
  }
  SECTION("CoLA and SST-2 test files: index, sentence; no labels") {
    const auto data = read_glue_file(GlueTask::cola, write_file(folder, "test.tsv", "index\tsentence\n0\tBill ate.\n"));
    REQUIRE(data.examples.size() == 1);
    CHECK_FALSE(data.labeled);
    CHECK(data.examples[0].text_a == "Bill ate.");
    CHECK(data.examples[0].label == kNoLabel);
  }
  SECTION("MRPC: Quality first, strings in columns 3 and 4") {
    const auto data = read_glue_file(GlueTask::mrpc, write_file(folder, "dev.tsv",
        "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t1355540\t1355592\tHe said so.\tHe told us so.\n"));
    CHECK(data.examples[0].label == 1);
    CHECK(data.examples[0].text_a == "He said so.");
    CHECK(data.examples[0].text_b == "He told us so.");
  }
  SECTION("QQP: questions in columns 3 and 4, is_duplicate in 5; short rows skipped like the reference") {
    const auto data = read_glue_file(GlueTask::qqp, write_file(folder, "dev.tsv",
        "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n7\t15\t16\tHow?\tWhy?\t0\n8\t17\tbroken row\n9\t18\t19\tA?\tB?\t1\n"));
    REQUIRE(data.examples.size() == 2);
    CHECK(data.examples[1].text_b == "B?");
    CHECK(data.examples[1].label == 1);
    CHECK(data.skipped_lines == std::vector<int>{3});
  }
  SECTION("MNLI: sentence1 column 8, sentence2 column 9, gold label last") {
    const std::string row = "0\t1\t2\tg\tp1\tp2\tb1\tb2\tThe cat sat.\tA cat sat.\tentailment\tentailment\n";
    const auto data = read_glue_file(GlueTask::mnli_mismatched, write_file(folder, "dev_mismatched.tsv",
        "index\tpromptID\tpairID\tgenre\ts1bp\ts2bp\ts1p\ts2p\tsentence1\tsentence2\tlabel1\tgold_label\n" + row));
    CHECK(data.examples[0].text_a == "The cat sat.");
    CHECK(data.examples[0].text_b == "A cat sat.");
    CHECK(data.examples[0].label == 1);
    CHECK(glue_task_info(GlueTask::mnli_mismatched).dev_file == "dev_mismatched.tsv");
  }
  SECTION("QNLI and WNLI: index, two texts, label") {
    const auto qnli = read_glue_file(GlueTask::qnli, write_file(folder, "dev.tsv",
        "index\tquestion\tsentence\tlabel\n0\tWho?\tNobody.\tnot_entailment\n"));
    CHECK(qnli.examples[0].label == 1);
    const auto wnli = read_glue_file(GlueTask::wnli, write_file(folder, "dev.tsv",
        "index\tsentence1\tsentence2\tlabel\n0\tI saw it.\tIt was seen.\t1\n"));
    CHECK(wnli.examples[0].label == 1);
    CHECK(wnli.examples[0].text_a == "I saw it.");
  }
  SECTION("quotes are literal text, never field delimiters (quotechar=None)") {
    const auto data = read_glue_file(GlueTask::sst2, write_file(folder, "dev.tsv",
        "sentence\tlabel\n\"unbalanced quote\t1\nnext \"line\"\t0\n"));
    REQUIRE(data.examples.size() == 2);
    CHECK(data.examples[0].text_a == "\"unbalanced quote");
    CHECK(data.examples[1].text_a == "next \"line\"");
  }
  SECTION("a byte-order mark is skipped and CRLF line ends are accepted") {
    const auto data = read_glue_file(GlueTask::sst2, write_file(folder, "dev.tsv", "\xEF\xBB\xBFsentence\tlabel\r\ngood\t1\r\n"));
    REQUIRE(data.examples.size() == 1);
    CHECK(data.examples[0].label == 1);
  }
  SECTION("task names are parsed in their usual spellings") {
    CHECK(parse_glue_task("SST-2") == GlueTask::sst2);
    CHECK(parse_glue_task("sts-b") == GlueTask::stsb);
    CHECK(parse_glue_task("mnli-mm") == GlueTask::mnli_mismatched);
    CHECK(parse_glue_task("MNLI") == GlueTask::mnli);
    CHECK_THROWS_AS(parse_glue_task("imdb"), InputError);
  }
}

TEST_CASE("GLUE readers reject bad files with file and line", "[io][glue][errors]") {
  const auto folder = fresh_folder("glue-errors");
  const std::string header = "sentence\tlabel\n";
  const auto dev = (folder / "dev.tsv").string();
  write_file(folder, "dev.tsv", header + "fine\t1\nbad\tx\n");
  CHECK(error_of(GlueTask::sst2, folder / "dev.tsv") == dev + ":line 3: label 'x' is not a class (expected 0 or 1)");
  write_file(folder, "dev.tsv", "");
  CHECK(error_of(GlueTask::sst2, folder / "dev.tsv") == dev + ": the file is empty (expected a GLUE SST-2 .tsv file)");
  write_file(folder, "dev.tsv", header);
  CHECK(error_of(GlueTask::sst2, folder / "dev.tsv").find("no examples") != std::string::npos);
  write_file(folder, "dev.tsv", header + "no label column\n");
  CHECK(error_of(GlueTask::sst2, folder / "dev.tsv") ==
        dev + ":line 2: the row has 1 column(s) (expected 2 tab-separated columns for SST-2)");
  write_file(folder, "dev.tsv", header + "ok\t1\n\n");
  CHECK(error_of(GlueTask::sst2, folder / "dev.tsv").starts_with(dev + ":line 3: the row has 0 column(s)"));
  write_file(folder, "dev.tsv", header + "caf\xE9\t1\n");
  CHECK(error_of(GlueTask::sst2, folder / "dev.tsv") == dev + ":line 2: invalid UTF-8 at byte 4 of the line (expected UTF-8 text)");
  write_file(folder, "dev.tsv", "index\tsentence1\tsentence2\tlabel\n0\ta\tb\tmaybe\n");
  CHECK(error_of(GlueTask::rte, folder / "dev.tsv") ==
        dev + ":line 2: label 'maybe' is not a class (expected entailment or not_entailment)");
  write_file(folder, "dev.tsv", "index\tsentence1\tsentence2\tlabel\n0\ta\tb\tneutral\n");
  CHECK(error_of(GlueTask::mnli, folder / "dev.tsv").find("header has 4 column(s)") != std::string::npos);
  const std::string stsb_header = "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n";
  write_file(folder, "dev.tsv", stsb_header + "0\tg\tf\ty\t0\tn\tn\ta\tb\t5.5\n");
  CHECK(error_of(GlueTask::stsb, folder / "dev.tsv") ==
        dev + ":line 2: score '5.5' is not a similarity score (expected a number from 0 to 5)");
  write_file(folder, "dev.tsv", stsb_header + "0\tg\tf\ty\t0\tn\tn\ta\tb\thigh\n");
  CHECK(error_of(GlueTask::stsb, folder / "dev.tsv").find("score 'high'") != std::string::npos);
  CHECK(error_of(GlueTask::sst2, folder / "missing.tsv").find("cannot open") != std::string::npos);
}
