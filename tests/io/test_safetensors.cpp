#include "io/Error.hpp"
#include "io/HalfFloat.hpp"
#include "io/Safetensors.hpp"
#include "support/RunCommand.hpp"

#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>

using namespace spikingbert::io;
using spikingbert::testing::fresh_folder;
using spikingbert::testing::read_whole_file;
using spikingbert::testing::test_data;

namespace {
std::string u64_bytes(std::uint64_t value) {
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &value, 8);
  return bytes;
}

// A file made of the 8-byte length of `header`, the header, and `buffer`.
std::string safetensors_bytes(const std::string& header, const std::string& buffer) {
  return u64_bytes(header.size()) + header + buffer;
}

std::filesystem::path write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

template <typename T>
std::string raw(std::initializer_list<T> values) {
  std::string bytes;
  for (const T value : values) bytes.append(reinterpret_cast<const char*>(&value), sizeof(T));
  return bytes;
}
}  // namespace

TEST_CASE("safetensors F32 round trip keeps values, shapes and metadata", "[io][safetensors]") {
  const auto folder = fresh_folder("safetensors-roundtrip");
  TensorMap tensors;
  tensors["encoder.layer.0.weight"] = {{2, 3}, {1.5f, -2.0f, 0.0f, 3.25f, -0.0f, 1e-30f}};
  tensors["bias"] = {{3}, {std::nextafter(1.0f, 2.0f), -7.0f, 42.0f}};
  tensors["scalar"] = {{}, {0.125f}};
  tensors["empty"] = {{0, 4}, {}};
  const std::map<std::string, std::string> metadata{{"format", "pt"}, {"note", "round trip"}};
  write_safetensors(folder / "a.safetensors", tensors, metadata);

  const auto bytes = read_whole_file(folder / "a.safetensors");
  std::uint64_t header_bytes = 0;
  std::memcpy(&header_bytes, bytes.data(), 8);
  CHECK(header_bytes % 8 == 0);  // the buffer starts 8-byte aligned

  const auto back = read_safetensors(folder / "a.safetensors");
  REQUIRE(back.size() == tensors.size());
  for (const auto& [name, tensor] : tensors) {
    INFO(name);
    CHECK(back.at(name).shape == tensor.shape);
    CHECK(back.at(name).values == tensor.values);
  }
  CHECK(read_safetensors_metadata(folder / "a.safetensors") == metadata);

  // Same input, same bytes.
  write_safetensors(folder / "b.safetensors", tensors, metadata);
  CHECK(read_whole_file(folder / "b.safetensors") == bytes);
  // Nothing but the two outputs is left in the folder (no temporaries).
  CHECK(std::distance(std::filesystem::directory_iterator(folder), std::filesystem::directory_iterator()) == 2);
}

TEST_CASE("safetensors dtype-aware writer round trips F16, BF16, F64 and integer dtypes", "[io][safetensors]") {
  const auto folder = fresh_folder("safetensors-dtypes");
  const Tensor floats{{2, 2}, {1.0f, -2.5f, 0.333251953125f, 65504.0f}};  // all exact in F16
  const Tensor bfloats{{3}, {1.0f, -5.0f, 0.333984375f}};                   // all exact in BF16
  const Tensor doubles{{2}, {0.1f, -3.0f}};
  const IntTensor ids{{2, 3}, {0, 1, -2, 30000, -30000, 7}};
  const IntTensor big{{2}, {std::int64_t{1} << 40, -(std::int64_t{1} << 50)}};
  const IntTensor bytes{{3}, {0, 200, 255}};
  const IntTensor mask{{4}, {1, 0, 0, 1}};
  std::map<std::string, SafetensorsTensor> tensors;
  tensors["f16"] = to_safetensors_tensor(floats, SafetensorsDtype::F16);
  tensors["bf16"] = to_safetensors_tensor(bfloats, SafetensorsDtype::BF16);
  tensors["f64"] = to_safetensors_tensor(doubles, SafetensorsDtype::F64);
  tensors["i32"] = to_safetensors_tensor(ids, SafetensorsDtype::I32);
  tensors["i16"] = to_safetensors_tensor(ids, SafetensorsDtype::I16);
  tensors["i64"] = to_safetensors_tensor(big, SafetensorsDtype::I64);
  tensors["u8"] = to_safetensors_tensor(bytes, SafetensorsDtype::U8);
  tensors["mask"] = to_safetensors_tensor(mask, SafetensorsDtype::BOOL);
  write_safetensors(folder / "typed.safetensors", tensors);

  const SafetensorsFile file(folder / "typed.safetensors");
  CHECK(file.names() == std::vector<std::string>{"bf16", "f16", "f64", "i16", "i32", "i64", "mask", "u8"});
  CHECK(file.dtype("f16") == SafetensorsDtype::F16);
  CHECK(file.dtype("i64") == SafetensorsDtype::I64);
  CHECK(file.shape("i32") == Shape{2, 3});
  CHECK(file.read_f32("f16").values == floats.values);
  CHECK(file.read_f32("bf16").values == bfloats.values);
  CHECK(file.read_f32("f64").values == doubles.values);
  CHECK(file.read_i64("i32").values == ids.values);
  CHECK(file.read_i64("i16").values == ids.values);
  CHECK(file.read_i64("i64").values == big.values);
  CHECK(file.read_i64("u8").values == bytes.values);
  CHECK(file.read_i64("mask").values == mask.values);
  CHECK(file.read_f32("i32").values == std::vector<float>{0, 1, -2, 30000, -30000, 7});
  CHECK_THROWS_WITH(file.read_i64("f16"), Catch::Contains("tensor 'f16': dtype F16 is not an integer type"));
  CHECK_THROWS_WITH(file.read_f32("nope"), Catch::Contains("tensor 'nope': missing"));
  CHECK_THROWS_AS(to_safetensors_tensor(IntTensor{{1}, {300}}, SafetensorsDtype::U8), std::out_of_range);
}

TEST_CASE("safetensors F16 and BF16 files crafted by hand widen to exact floats", "[io][safetensors]") {
  const auto folder = fresh_folder("safetensors-half");
  const std::string f16 = raw<std::uint16_t>({0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x0400, 0x0001, 0x03ff,
                                              0x7c00, 0xfc00, 0x7e00, 0x3555});
  const std::string bf16 = raw<std::uint16_t>({0x3f80, 0xc0a0, 0x7f80, 0x0001, 0x7fc0, 0x3eab});
  const std::string header = R"({"h":{"dtype":"F16","shape":[3,4],"data_offsets":[0,24]},)"
                             R"("b":{"dtype":"BF16","shape":[6],"data_offsets":[24,36]}})";
  const auto path = write_bytes(folder / "half.safetensors", safetensors_bytes(header, f16 + bf16));
  const auto tensors = read_safetensors(path);
  const auto& h = tensors.at("h").values;
  REQUIRE(h.size() == 12);
  CHECK(h[0] == 0.0f);
  CHECK_FALSE(std::signbit(h[0]));
  CHECK(h[1] == 0.0f);
  CHECK(std::signbit(h[1]));
  CHECK(h[2] == 1.0f);
  CHECK(h[3] == -2.0f);
  CHECK(h[4] == 65504.0f);
  CHECK(h[5] == std::ldexp(1.0f, -14));
  CHECK(h[6] == std::ldexp(1.0f, -24));
  CHECK(h[7] == std::ldexp(1023.0f, -24));
  CHECK(h[8] == INFINITY);
  CHECK(h[9] == -INFINITY);
  CHECK(std::isnan(h[10]));
  CHECK(h[11] == 0.333251953125f);
  const auto& b = tensors.at("b").values;
  REQUIRE(b.size() == 6);
  CHECK(b[0] == 1.0f);
  CHECK(b[1] == -5.0f);
  CHECK(b[2] == INFINITY);
  CHECK(std::bit_cast<std::uint32_t>(b[3]) == 0x00010000u);
  CHECK(std::isnan(b[4]));
  CHECK(b[5] == 0.333984375f);
}

TEST_CASE("safetensors reads the shipped tiny and teacher-tiny models", "[io][safetensors]") {
  const SafetensorsFile tiny(test_data("tiny/model.safetensors"));
  CHECK(tiny.names().size() == 196);
  CHECK(tiny.shape("classification.weight") == Shape{2, 32});
  CHECK(tiny.shape("network_x.word_embeddings.weight") == Shape{64, 32});
  CHECK(tiny.shape("network_s5.dense.weight") == Shape{64, 32});
  CHECK(tiny.dtype("classification.bias") == SafetensorsDtype::F32);
  CHECK(tiny.metadata().at("case") == "tiny");
  // Values read independently with Python's struct module.
  CHECK(tiny.read_f32("classification.bias").values == std::vector<float>{0.09213608503341675f, -0.21005725860595703f});

  const auto teacher = read_safetensors(test_data("teacher-tiny/model.safetensors"));
  CHECK(teacher.size() == 41);
  CHECK(teacher.at("bert.embeddings.position_embeddings.weight").shape == Shape{64, 32});
  CHECK(teacher.at("bert.embeddings.LayerNorm.weight").values.size() == 32);
}

TEST_CASE("safetensors rejects malformed files with a message naming file and place", "[io][safetensors]") {
  const auto folder = fresh_folder("safetensors-malformed");
  const std::string eight(8, '\0');
  const auto entry = [](const std::string& body) { return "{\"w\":" + body + "}"; };
  struct Case {
    std::string name;
    std::string bytes;
    std::string expected;  // fragment of the message
  };
  const std::vector<Case> cases{
      {"empty file", "", "header: file is 0 bytes, too short"},
      {"short file", "abcde", "header: file is 5 bytes, too short"},
      {"header length beyond file", u64_bytes(1000) + "{}", "header length 1000 extends beyond the end of the file"},
      {"header length huge", u64_bytes(~std::uint64_t{0}) + "{}", "extends beyond the end of the file"},
      {"not JSON", safetensors_bytes("{\"w\": {\"dtype\": ", ""), "header: header is not valid JSON"},
      {"not an object", safetensors_bytes("[1, 2, 3]", ""), "header: header does not start with '{'"},
      {"entry not an object", safetensors_bytes(entry("[1]"), ""), "tensor 'w': entry is an array"},
      {"missing dtype", safetensors_bytes(entry(R"({"shape":[1],"data_offsets":[0,4]})"), eight.substr(0, 4)),
       "tensor 'w': missing 'dtype'"},
      {"missing data_offsets", safetensors_bytes(entry(R"({"dtype":"F32","shape":[1]})"), ""),
       "tensor 'w': missing 'data_offsets'"},
      {"unknown key", safetensors_bytes(entry(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1})"), "abcd"),
       "tensor 'w': unknown key 'x'"},
      {"unknown dtype", safetensors_bytes(entry(R"({"dtype":"F8","shape":[1],"data_offsets":[0,1]})"), "a"),
       "tensor 'w': unknown dtype \"F8\""},
      {"negative shape", safetensors_bytes(entry(R"({"dtype":"F32","shape":[-1],"data_offsets":[0,4]})"), "abcd"),
       "tensor 'w': shape dimension -1 is not a non-negative integer"},
      {"fractional shape", safetensors_bytes(entry(R"({"dtype":"F32","shape":[2.5],"data_offsets":[0,4]})"), "abcd"),
       "shape dimension 2.5 is not a non-negative integer"},
      {"shape overflow",
       safetensors_bytes(entry(R"({"dtype":"F32","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,4]})"),
                         "abcd"),
       "overflows"},
      {"size mismatch", safetensors_bytes(entry(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})"), eight),
       "tensor 'w': shape [3] x F32 needs 12 bytes but data_offsets span 8"},
      {"offsets not a pair", safetensors_bytes(entry(R"({"dtype":"F32","shape":[1],"data_offsets":[0]})"), ""),
       "data_offsets [0] are not two non-negative integers"},
      {"begin after end", safetensors_bytes(entry(R"({"dtype":"F32","shape":[1],"data_offsets":[8,4]})"), eight),
       "data_offsets begin 8 > end 4"},
      {"range outside buffer", safetensors_bytes(entry(R"({"dtype":"F32","shape":[4],"data_offsets":[0,16]})"), eight),
       "tensor 'w': data_offsets [0,16] reach outside the data buffer of 8 bytes"},
      {"overlap",
       safetensors_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                         eight),
       "tensor 'b': data_offsets [4,8] overlap tensor 'a' [0,8]"},
      {"hole",
       safetensors_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"I8","shape":[2],"data_offsets":[6,8]}})",
                         eight),
       "header: bytes [4,6) of the data buffer belong to no tensor (a hole)"},
      {"trailing bytes", safetensors_bytes(entry(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})"), eight),
       "bytes [4,8) at the end of the data buffer belong to no tensor"},
      {"duplicate names",
       safetensors_bytes(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                         eight),
       "tensor 'w': name appears more than once in the header"},
      {"duplicate key in entry",
       safetensors_bytes(entry(R"({"dtype":"F16","dtype":"F32","shape":[1],"data_offsets":[0,4]})"), "abcd"),
       "header: key 'dtype' appears twice in one object"},
      {"metadata not strings",
       safetensors_bytes(R"({"__metadata__":{"epoch":3},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", "abcd"),
       "__metadata__ 'epoch': value is the integer 3"},
  };
  for (const auto& bad : cases) {
    INFO(bad.name);
    const auto path = write_bytes(folder / "bad.safetensors", bad.bytes);
    CHECK_THROWS_AS(SafetensorsFile(path), InputError);
    CHECK_THROWS_WITH(read_safetensors(path), Catch::StartsWith(path.string() + ":") && Catch::Contains(bad.expected));
  }
  CHECK(cases.size() >= 12);
  CHECK_THROWS_WITH(read_safetensors(folder / "missing.safetensors"), Catch::Contains("cannot open"));
  CHECK_THROWS_WITH(read_safetensors(folder), Catch::Contains("not a regular file"));
}

TEST_CASE("safetensors accepts a valid hand-written file with zero-size tensors and padding", "[io][safetensors]") {
  const auto folder = fresh_folder("safetensors-edge");
  // Zero-size tensors may sit anywhere a tensor boundary is; trailing spaces pad the header.
  const std::string header = R"({"a":{"dtype":"I32","shape":[2],"data_offsets":[0,8]},)"
                             R"("z":{"dtype":"F32","shape":[0,3],"data_offsets":[8,8]},)"
                             R"("s":{"dtype":"U16","shape":[],"data_offsets":[8,10]}}   )";
  const auto path = write_bytes(folder / "edge.safetensors",
                                safetensors_bytes(header, raw<std::int32_t>({-4, 9}) + raw<std::uint16_t>({65535})));
  const SafetensorsFile file(path);
  CHECK(file.read_i64("a").values == std::vector<std::int64_t>{-4, 9});
  CHECK(file.read_f32("z").values.empty());
  CHECK(file.shape("z") == Shape{0, 3});
  CHECK(file.read_i64("s").values == std::vector<std::int64_t>{65535});
  CHECK(file.shape("s").empty());
}
