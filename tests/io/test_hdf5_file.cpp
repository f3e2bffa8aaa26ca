#include "io/Error.hpp"
#include "io/Hdf5File.hpp"
#include "support/RunCommand.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>

using namespace spikingbert::io;
using spikingbert::testing::fresh_folder;
using spikingbert::testing::test_data;

namespace {
std::size_t files_in(const std::filesystem::path& folder) {
  return static_cast<std::size_t>(
      std::distance(std::filesystem::directory_iterator(folder), std::filesystem::directory_iterator()));
}
}  // namespace

TEST_CASE("HDF5 writer and reader round trip datasets, groups and attributes", "[io][hdf5]") {
  const auto folder = fresh_folder("hdf5-roundtrip");
  const auto path = folder / "out.h5";
  const Tensor weights{{2, 3}, {1.5f, -2.0f, 0.0f, 3.25f, 1e-30f, -7.0f}};
  {
    Hdf5Writer writer(path);
    writer.write_tensor("model/layer.0/weight", weights);  // intermediate groups, dots in names
    writer.write_tensor("scalar", Tensor{{}, {0.5f}});
    writer.write_tensor("empty", Tensor{{0, 4}, {}});
    writer.write_doubles("/stats/mean", {3}, {0.1, -1e300, 2.5});
    writer.write_ints("ids32", {2, 2}, {1, -2, 2147483647, -2147483648});
    writer.write_ints("ids64", {2}, {std::int64_t{1} << 40, -5}, 8);
    writer.write_ints("ids8", {3}, {-128, 0, 127}, 1);
    writer.write_uints("counts16", {3}, {0, 7, 65535}, 2);
    writer.write_uints("spikes", {2, 2}, {0, 1, 1, 0}, 1);
    writer.write_uints("big", {1}, {std::uint64_t{1} << 62}, 8);
    writer.write_attribute("/", "case", std::string("round trip"));
    writer.write_attribute("/", "vth", 1.25);
    writer.write_attribute("/", "seed", std::int64_t{1234});
    writer.write_attribute("/", "layers", 2);  // plain int
    writer.write_attribute("/", "seed", std::int64_t{4321});  // rewriting replaces
    writer.write_attribute("model/layer.0/weight", "grad_is_none", 1);
    writer.write_attribute("run/info", "names", std::vector<std::string>{"embedding", "L0_key", "ünïcode"});
    writer.write_attribute("run/info", "rates", std::vector<double>{0.25, 0.5});
    writer.write_attribute("run/info", "steps", std::vector<std::int64_t>{10, 20, 30});
    CHECK_THROWS_AS(writer.write_ints("bad", {1}, {300}, 1), std::out_of_range);
    CHECK_THROWS_AS(writer.write_tensor("short", Tensor{{3}, {1.0f}}), std::invalid_argument);
    CHECK_FALSE(std::filesystem::exists(path));  // nothing at the destination before commit
    writer.commit();
  }
  CHECK(files_in(folder) == 1);

  const Hdf5Reader reader(path);
  CHECK(reader.has("model/layer.0/weight"));
  CHECK(reader.has("/model"));
  CHECK_FALSE(reader.has("model/nope/weight"));
  CHECK(reader.is_group("model"));
  CHECK(reader.is_dataset("model/layer.0/weight"));
  CHECK(reader.list("/") == std::vector<std::string>{"big", "counts16", "empty", "ids32", "ids64", "ids8", "model",
                                                     "run", "scalar", "spikes", "stats"});
  CHECK(reader.list("model") == std::vector<std::string>{"layer.0"});
  const auto back = reader.read_tensor("/model/layer.0/weight");
  CHECK(back.shape == weights.shape);
  CHECK(back.values == weights.values);
  CHECK(reader.read_tensor("scalar").shape.empty());
  CHECK(reader.read_tensor("scalar").values == std::vector<float>{0.5f});
  CHECK(reader.read_tensor("empty").shape == Shape{0, 4});
  Shape shape;
  CHECK(reader.read_doubles("stats/mean", &shape) == std::vector<double>{0.1, -1e300, 2.5});
  CHECK(shape == Shape{3});
  CHECK(reader.read_ints("ids32").values == std::vector<std::int64_t>{1, -2, 2147483647, -2147483648});
  CHECK(reader.read_ints("ids32").shape == Shape{2, 2});
  CHECK(reader.read_ints("ids64").values == std::vector<std::int64_t>{std::int64_t{1} << 40, -5});
  CHECK(reader.read_ints("ids8").values == std::vector<std::int64_t>{-128, 0, 127});
  CHECK(reader.read_ints("counts16").values == std::vector<std::int64_t>{0, 7, 65535});
  CHECK(reader.read_ints("big").values == std::vector<std::int64_t>{std::int64_t{1} << 62});
  CHECK(reader.read_tensor("spikes").values == std::vector<float>{0, 1, 1, 0});  // integers widen to float
  CHECK(reader.shape("counts16") == Shape{3});

  CHECK(reader.read_attribute_string("/", "case") == "round trip");
  CHECK(reader.read_attribute_double("/", "vth") == 1.25);
  CHECK(reader.read_attribute_int("/", "seed") == 4321);
  CHECK(reader.read_attribute_double("/", "layers") == 2.0);
  CHECK(reader.read_attribute_int("model/layer.0/weight", "grad_is_none") == 1);
  CHECK(reader.has_attribute("/", "vth"));
  CHECK_FALSE(reader.has_attribute("/", "nope"));
  CHECK(reader.list_attributes("/") == std::vector<std::string>{"case", "layers", "seed", "vth"});
  CHECK(reader.read_attribute_strings("run/info", "names") ==
        std::vector<std::string>{"embedding", "L0_key", "ünïcode"});
  CHECK(reader.read_attribute_doubles("run/info", "rates") == std::vector<double>{0.25, 0.5});
  CHECK(reader.read_attribute_ints("run/info", "steps") == std::vector<std::int64_t>{10, 20, 30});
}

TEST_CASE("HDF5 reader reads the shipped tiny case", "[io][hdf5]") {
  const Hdf5Reader reader(test_data("tiny/case.h5"));
  const auto ids = reader.read_ints("inputs/input_ids");
  CHECK(ids.shape == Shape{3, 8});
  CHECK(std::vector<std::int64_t>(ids.values.begin(), ids.values.begin() + 8) ==
        std::vector<std::int64_t>{2, 61, 9, 32, 47, 19, 38, 3});
  CHECK(reader.read_ints("/inputs/labels").values == std::vector<std::int64_t>{0, 1, 1});
  const auto logits = reader.read_tensor("forward/logits");
  CHECK(logits.shape == Shape{3, 2});
  CHECK(logits.values[0] == Approx(0.272586).margin(1e-6));
  CHECK(reader.read_ints("forward/spike_count/00").shape == Shape{3, 8, 32});  // uint16 -> int64
  CHECK(reader.read_tensor("train/loss").shape.empty());
  CHECK(reader.read_attribute_string("/", "case") == "tiny");  // h5py variable-length string
  CHECK(reader.read_attribute_int("/", "t_conv") == 50);
  CHECK(reader.read_attribute_double("/", "vth") == 1.0);
  CHECK(reader.read_attribute_strings("/", "sublayer_names").size() == 13);
  CHECK(reader.read_attribute_int("grad/network_s13.fc.weight", "grad_is_none") == 1);
  CHECK(reader.list("inputs") == std::vector<std::string>{"attention_mask", "extended_attention_mask", "input_ids",
                                                          "labels", "segment_ids"});
}

TEST_CASE("HDF5 reader errors name the file and dataset", "[io][hdf5]") {
  const auto case_file = test_data("tiny/case.h5");
  const Hdf5Reader reader(case_file);
  CHECK_THROWS_WITH(reader.read_ints("inputs/nope"), case_file + ":/inputs/nope: dataset missing (expected a dataset at this path)");
  CHECK_THROWS_WITH(reader.read_ints("missing/group/x"), Catch::Contains(":/missing/group/x: dataset missing"));
  CHECK_THROWS_WITH(reader.read_tensor("inputs"), Catch::Contains(":/inputs: is a group, not a dataset"));
  CHECK_THROWS_WITH(reader.read_ints("forward/logits"), Catch::Contains(":/forward/logits: dtype is float (expected an integer dataset)"));
  CHECK_THROWS_WITH(reader.list("inputs/input_ids"), Catch::Contains("is a dataset, not a group"));
  CHECK_THROWS_WITH(reader.read_attribute_double("/", "nope"), Catch::Contains(":/ attribute 'nope': attribute missing"));
  CHECK_THROWS_WITH(reader.read_attribute_double("/", "case"), Catch::Contains("dtype is string"));
  CHECK_THROWS_WITH(reader.read_attribute_string("/", "sublayer_names"), Catch::Contains("has 13 values (expected a single value)"));

  const auto folder = fresh_folder("hdf5-errors");
  std::ofstream(folder / "text.h5") << "not hdf5";
  CHECK_THROWS_WITH(Hdf5Reader(folder / "text.h5"), Catch::Contains("text.h5: not an HDF5 file"));
  CHECK_THROWS_WITH(Hdf5Reader(folder / "absent.h5"), Catch::Contains("absent.h5: cannot open"));
  CHECK_THROWS_AS(Hdf5Writer("/nonexistent-folder-xyz/out.h5"), InputError);
}

TEST_CASE("HDF5 writer without commit leaves no file behind", "[io][hdf5]") {
  const auto folder = fresh_folder("hdf5-abort");
  const auto path = folder / "out.h5";
  {
    Hdf5Writer writer(path);
    writer.write_tensor("x", Tensor{{2}, {1.0f, 2.0f}});
    CHECK(files_in(folder) == 1);  // the temporary
  }
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK(files_in(folder) == 0);

  // An existing destination survives an aborted rewrite untouched.
  {
    Hdf5Writer writer(path);
    writer.write_tensor("x", Tensor{{1}, {1.0f}});
    writer.commit();
  }
  try {
    Hdf5Writer writer(path);
    writer.write_tensor("x", Tensor{{1}, {2.0f}});
    throw std::runtime_error("simulated failure");
  } catch (const std::runtime_error&) {
  }
  CHECK(Hdf5Reader(path).read_tensor("x").values == std::vector<float>{1.0f});
  CHECK(files_in(folder) == 1);
}

TEST_CASE("HDF5 extendible datasets grow by rows, compressed", "[io][hdf5]") {
  const auto folder = fresh_folder("hdf5-extendible");
  const auto path = folder / "trace.h5";
  {
    Hdf5Writer writer(path);
    writer.create_extendible("spikes/00", Hdf5Element::U8, {2, 3}, 4);
    writer.create_extendible("asr", Hdf5Element::F32, {2}, 16, 0);
    CHECK(writer.rows("spikes/00") == 0);
    writer.append_rows("spikes/00", std::vector<std::uint8_t>{1, 0, 1, 0, 0, 1});
    writer.append_rows("spikes/00", std::vector<std::uint8_t>(6 * 5, 1));  // five more rows, crosses a chunk
    writer.append_rows("asr", std::vector<float>{0.5f, 0.25f, 1.0f, 0.0f});
    CHECK(writer.rows("spikes/00") == 6);
    CHECK_THROWS_AS(writer.append_rows("asr", std::vector<float>{1.0f}), std::invalid_argument);  // not a whole row
    CHECK_THROWS_AS(writer.append_rows("asr", std::vector<double>{1.0, 2.0}), std::logic_error);   // wrong type
    writer.flush();
    writer.commit();
  }
  const Hdf5Reader reader(path);
  const auto spikes = reader.read_ints("spikes/00");
  CHECK(spikes.shape == Shape{6, 2, 3});
  CHECK(std::vector<std::int64_t>(spikes.values.begin(), spikes.values.begin() + 7) ==
        std::vector<std::int64_t>{1, 0, 1, 0, 0, 1, 1});
  CHECK(reader.read_tensor("asr").values == std::vector<float>{0.5f, 0.25f, 1.0f, 0.0f});
  CHECK(reader.shape("asr") == Shape{2, 2});
}

TEST_CASE("HDF5 strings, unsigned and enum attributes, in-place attribute rewrites, equal bytes for equal contents",
          "[io][hdf5]") {
  const auto folder = fresh_folder("hdf5-strings");
  const auto write = [&](const std::filesystem::path& path) {
    Hdf5Writer writer(path);
    writer.write_strings("populations/name", {"embedding", "L0_key"});
    writer.create_extendible_strings("examples/word_pieces", 8);
    writer.append_strings("examples/word_pieces", {"[CLS]", "it", "##s"});
    writer.append_strings("examples/word_pieces", {"[SEP]"});
    writer.write_uint32_attribute("/", "magic", {0x0A7A});
    writer.write_uint32_attribute("/", "version", {0, 1});
    writer.write_enum_attribute("populations", "sorting", {{"none", 0}, {"by_time", 2}}, 2);
    writer.write_attribute("/", "examples_completed", std::int64_t{1});
    writer.write_attribute("/", "examples_completed", std::int64_t{2});  // rewritten in place
    writer.commit();
  };
  write(folder / "a.h5");
  write(folder / "b.h5");
  const Hdf5Reader reader(folder / "a.h5");
  CHECK(reader.read_strings("populations/name") == std::vector<std::string>{"embedding", "L0_key"});
  CHECK(reader.read_strings("examples/word_pieces") == std::vector<std::string>{"[CLS]", "it", "##s", "[SEP]"});
  CHECK(reader.read_attribute_int("/", "magic") == 0x0A7A);
  CHECK(reader.read_attribute_ints("/", "version") == std::vector<std::int64_t>{0, 1});
  CHECK(reader.read_attribute_int("/", "examples_completed") == 2);
  CHECK_THROWS_AS(reader.read_strings("/"), InputError);
  // No modification times: the same contents give the same bytes.
  CHECK(spikingbert::testing::read_whole_file((folder / "a.h5").string()) ==
        spikingbert::testing::read_whole_file((folder / "b.h5").string()));
}
