// Every layer kernel's backward against central finite differences in double (relative error <= 1e-6),
// with inputs kept away from kinks, plus the forward facts each kernel promises.
#include "support/FiniteDifference.hpp"

#include "models/Attention.hpp"
#include "models/Dropout.hpp"
#include "models/Embedding.hpp"
#include "models/Gelu.hpp"
#include "models/LayerNorm.hpp"
#include "models/Linear.hpp"
#include "models/Pooling.hpp"
#include "models/Tanh.hpp"
#include "sim/NeuronModel.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace spikingbert::models;
using namespace spikingbert::testing;
namespace sim = spikingbert::sim;

namespace {
constexpr double kGradientTolerance = 1e-6;
}

TEST_CASE("linear: forward is x W^T + b and backward matches finite differences") {
  const std::int64_t rows = 70, in = 5, out = 3;  // 70 rows: more than one parallel chunk
  auto x = random_values(rows * in, -1, 1, 1);
  auto w = random_values(out * in, -1, 1, 2);
  auto b = random_values(out, -1, 1, 3);
  const auto upstream = random_values(rows * out, -1, 1, 4);
  std::vector<double> y(rows * out);
  auto loss = [&] {
    linear_forward(y.data(), x.data(), w.data(), b.data(), rows, in, out);
    return weighted_sum(y, upstream);
  };
  loss();
  double expected = b[1];
  for (int i = 0; i < in; ++i) expected += x[2 * in + i] * w[1 * in + i];
  CHECK(y[2 * out + 1] == Approx(expected).epsilon(1e-14));
  std::vector<double> dx(x.size()), dw(w.size()), db(b.size());
  linear_backward(dx.data(), dw.data(), db.data(), upstream.data(), x.data(), w.data(), rows, in, out);
  CHECK(relative_error(dx, numeric_gradient(x, loss)) < kGradientTolerance);
  CHECK(relative_error(dw, numeric_gradient(w, loss)) < kGradientTolerance);
  CHECK(relative_error(db, numeric_gradient(b, loss)) < kGradientTolerance);
}

TEST_CASE("linear: float32 results do not depend on the thread count's chunking") {
  const std::int64_t rows = 200, in = 16, out = 40;
  const auto xd = random_values(rows * in, -1, 1, 5), wd = random_values(out * in, -1, 1, 6);
  std::vector<float> x(xd.begin(), xd.end()), w(wd.begin(), wd.end()), y(rows * out), y_single(rows * out);
  linear_forward(y.data(), x.data(), w.data(), static_cast<const float*>(nullptr), rows, in, out);
  // The same rows one at a time through a fresh call must give bitwise the same values chunk by chunk.
  for (std::int64_t begin = 0; begin < rows; begin += kRowsPerChunk) {
    const std::int64_t count = std::min(kRowsPerChunk, rows - begin);
    linear_forward(y_single.data() + begin * out, x.data() + begin * in, w.data(),
                   static_cast<const float*>(nullptr), count, in, out);
  }
  CHECK(y == y_single);
}

TEST_CASE("layer norm: TF style with biased variance, backward matches finite differences") {
  const std::int64_t rows = 4, width = 6;
  const double eps = 1e-12;
  auto x = random_values(rows * width, -2, 2, 7);
  auto gamma = random_values(width, 0.5, 1.5, 8);
  auto beta = random_values(width, -1, 1, 9);
  const auto upstream = random_values(rows * width, -1, 1, 10);
  std::vector<double> y(x.size()), mean(rows), rstd(rows);
  auto loss = [&] {
    layer_norm_forward(y.data(), mean.data(), rstd.data(), x.data(), gamma.data(), beta.data(), rows, width, eps);
    return weighted_sum(y, upstream);
  };
  loss();
  double m = 0, v = 0;
  for (int i = 0; i < width; ++i) m += x[i];
  m /= width;
  for (int i = 0; i < width; ++i) v += (x[i] - m) * (x[i] - m);
  v /= width;  // biased
  CHECK(y[3] == Approx((x[3] - m) / std::sqrt(v + eps) * gamma[3] + beta[3]).epsilon(1e-12));
  std::vector<double> dx(x.size()), dg(width), dbeta(width);
  layer_norm_backward(dx.data(), dg.data(), dbeta.data(), upstream.data(), x.data(), mean.data(), rstd.data(),
                      gamma.data(), rows, width);
  CHECK(relative_error(dx, numeric_gradient(x, loss)) < kGradientTolerance);
  CHECK(relative_error(dg, numeric_gradient(gamma, loss)) < kGradientTolerance);
  CHECK(relative_error(dbeta, numeric_gradient(beta, loss)) < kGradientTolerance);
}

TEST_CASE("gelu: erf form, backward matches finite differences") {
  auto x = random_values(50, -3, 3, 11);
  const auto upstream = random_values(50, -1, 1, 12);
  std::vector<double> y(50);
  auto loss = [&] {
    gelu_forward(y.data(), x.data(), 50);
    return weighted_sum(y, upstream);
  };
  loss();
  CHECK(y[0] == Approx(0.5 * x[0] * (1 + std::erf(x[0] / std::sqrt(2.0)))).epsilon(1e-15));
  std::vector<double> dx(50);
  gelu_backward(dx.data(), upstream.data(), x.data(), 50);
  CHECK(relative_error(dx, numeric_gradient(x, loss)) < kGradientTolerance);
}

TEST_CASE("tanh: backward matches finite differences") {
  auto x = random_values(30, -2, 2, 13);
  const auto upstream = random_values(30, -1, 1, 14);
  std::vector<double> y(30);
  auto loss = [&] {
    tanh_forward(y.data(), x.data(), 30);
    return weighted_sum(y, upstream);
  };
  loss();
  std::vector<double> dx(30);
  tanh_backward(dx.data(), upstream.data(), y.data(), 30);
  CHECK(relative_error(dx, numeric_gradient(x, loss)) < kGradientTolerance);
}

TEST_CASE("IF sigma: x/V_th clamped to [0,1], derivative 1/V_th on [0, V_th] inclusive") {
  const double vth = 0.7;
  const sim::NeuronModel neuron{vth};
  // Away from the kinks (|x| and |x - vth| > 10 h) on all three pieces.
  std::vector<double> x = {-0.5, -0.1, 0.05, 0.2, 0.35, 0.6, 0.69, 0.75, 1.2, 2.0};
  const auto upstream = random_values(x.size(), -1, 1, 15);
  std::vector<double> y(x.size());
  auto loss = [&] {
    neuron.rates(y.data(), x.data(), static_cast<std::int64_t>(x.size()));
    return weighted_sum(y, upstream);
  };
  loss();
  CHECK(y[0] == 0.0);
  CHECK(y[3] == Approx(0.2 / vth));
  CHECK(y[8] == 1.0);
  std::vector<double> dx(x.size());
  neuron.rates_backward(dx.data(), upstream.data(), x.data(), static_cast<std::int64_t>(x.size()));
  CHECK(relative_error(dx, numeric_gradient(x, loss)) < kGradientTolerance);
  // Inclusive bounds: exactly at 0 and exactly at V_th the derivative is 1/V_th (torch.clamp autograd).
  const std::vector<double> bounds = {0.0, vth};
  std::vector<double> d_bounds(2);
  const std::vector<double> ones = {1.0, 1.0};
  neuron.rates_backward(d_bounds.data(), ones.data(), bounds.data(), 2);
  CHECK(d_bounds[0] == 1.0 / vth);
  CHECK(d_bounds[1] == 1.0 / vth);
}

TEST_CASE("LIF and refractory sigma: continuous, monotone, derivative matches finite differences") {
  // docs/neuron-models.md eq. 2-5; points away from the kinks (rheobase, V_th) by more than 10 h.
  const double vth = 0.7;
  const std::vector<double> x = {-0.3, 0.0005, 0.02, 0.1, 0.2, 0.4, 0.5, 0.65, 0.69, 0.75, 1.5};
  for (const auto& neuron : {sim::NeuronModel{vth, 0.9, 0}, sim::NeuronModel{vth, 0.5, 0}, sim::NeuronModel{vth, 1.0, 3},
                             sim::NeuronModel{vth, 0.95, 2}}) {
    INFO("leak " << neuron.leak << ", refractory " << neuron.refractory_steps);
    std::vector<double> points = x, y(x.size());
    const auto upstream = random_values(x.size(), -1, 1, 16);
    auto loss = [&] {
      neuron.rates(y.data(), points.data(), static_cast<std::int64_t>(points.size()));
      return weighted_sum(y, upstream);
    };
    loss();
    std::vector<double> dx(x.size());
    neuron.rates_backward(dx.data(), upstream.data(), points.data(), static_cast<std::int64_t>(points.size()));
    CHECK(relative_error(dx, numeric_gradient(points, loss)) < kGradientTolerance);
    // Continuous at both kinks: 0 at the rheobase (1 - leak) V_th, 1 / (R + 1) at V_th, monotone between.
    const double rheobase = (1.0 - neuron.leak) * vth, saturated = 1.0 / (1.0 + neuron.refractory_steps);
    CHECK(neuron.rate(rheobase + 1e-12) < 0.05);
    CHECK(neuron.rate(vth) == Approx(saturated).epsilon(1e-12));
    CHECK(neuron.rate(vth * (1 - 1e-9)) == Approx(saturated).epsilon(1e-6));
    double previous = 0.0;
    for (double current = -0.1; current < 1.0; current += 1e-3) {
      CHECK(neuron.rate(current) >= previous);
      previous = neuron.rate(current);
    }
  }
}

TEST_CASE("dropout: seeded mask is deterministic, has the right rate and scale, backward uses it") {
  const std::int64_t count = 20000;
  const double p = 0.1;
  std::vector<float> mask_a(count), mask_b(count), mask_c(count);
  dropout_mask(mask_a.data(), count, p, 42);
  dropout_mask(mask_b.data(), count, p, 42);
  dropout_mask(mask_c.data(), count, p, 43);
  CHECK(mask_a == mask_b);
  CHECK(mask_a != mask_c);
  std::int64_t dropped = 0;
  for (float m : mask_a) {
    if (m == 0.0f) ++dropped;
    else CHECK(m == static_cast<float>(1.0 / (1.0 - p)));
  }
  CHECK(static_cast<double>(dropped) / count == Approx(p).margin(0.01));
  auto x = random_values(100, -1, 1, 16);
  const auto upstream = random_values(100, -1, 1, 17);
  std::vector<double> mask(100), y(100), dx(100);
  dropout_mask(mask.data(), 100, 0.3, 7);
  auto loss = [&] {
    dropout_forward(y.data(), x.data(), mask.data(), 100);
    return weighted_sum(y, upstream);
  };
  dropout_backward(dx.data(), upstream.data(), mask.data(), 100);
  CHECK(relative_error(dx, numeric_gradient(x, loss)) < kGradientTolerance);
}

TEST_CASE("embedding: word + type + position, scatter-add backward skips the padding row") {
  const EmbeddingShape shape{2, 4, 3};
  const std::int64_t vocab = 6, types = 2, positions = 5;
  const std::vector<std::int64_t> tokens = {1, 3, 3, 0, 2, 5, 0, 0};  // token 3 repeats; 0 is padding
  const std::vector<std::int64_t> segments = {0, 0, 1, 1, 0, 1, 1, 0};
  auto word = random_values(vocab * 3, -1, 1, 18);
  auto position = random_values(positions * 3, -1, 1, 19);
  auto type = random_values(types * 3, -1, 1, 20);
  const auto upstream = random_values(8 * 3, -1, 1, 21);
  std::vector<double> y(8 * 3);
  auto loss = [&] {
    embedding_forward(y.data(), tokens.data(), segments.data(), word.data(), position.data(), type.data(), shape);
    return weighted_sum(y, upstream);
  };
  loss();
  CHECK(y[5 * 3 + 2] == (word[5 * 3 + 2] + type[1 * 3 + 2]) + position[1 * 3 + 2]);
  std::vector<double> dword(word.size()), dposition(position.size()), dtype(type.size());
  embedding_backward(dword.data(), dposition.data(), dtype.data(), upstream.data(), tokens.data(),
                     segments.data(), shape, /*padding_token=*/-1);
  CHECK(relative_error(dword, numeric_gradient(word, loss)) < kGradientTolerance);
  CHECK(relative_error(dposition, numeric_gradient(position, loss)) < kGradientTolerance);
  CHECK(relative_error(dtype, numeric_gradient(type, loss)) < kGradientTolerance);
  std::vector<double> dword_padded(word.size());
  embedding_backward(dword_padded.data(), static_cast<double*>(nullptr), static_cast<double*>(nullptr),
                     upstream.data(), tokens.data(), segments.data(), shape, /*padding_token=*/0);
  for (int i = 0; i < 3; ++i) CHECK(dword_padded[i] == 0.0);
  for (std::size_t i = 3; i < dword.size(); ++i) CHECK(dword_padded[i] == dword[i]);
}

TEST_CASE("attention: masked softmax, returned scores, backward matches finite differences") {
  const AttentionShape shape{2, 5, 6, 2};  // batch 2, seq 5, width 6, 2 heads of 3
  const std::vector<std::int64_t> mask = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
  auto q = random_values(10 * 6, -1, 1, 22);
  auto k = random_values(10 * 6, -1, 1, 23);
  auto v = random_values(10 * 6, -1, 1, 24);
  const auto upstream = random_values(10 * 6, -1, 1, 25);
  const auto score_upstream = random_values(shape.score_count(), -1, 1, 26);
  std::vector<double> dropout(shape.score_count());
  dropout_mask(dropout.data(), shape.score_count(), 0.2, 99);
  std::vector<double> context(60), scores(shape.score_count()), probabilities(shape.score_count());
  for (const bool with_dropout : {false, true}) {
    const double* drop = with_dropout ? dropout.data() : nullptr;
    auto loss = [&] {
      attention_forward(context.data(), scores.data(), probabilities.data(), q.data(), k.data(), v.data(),
                        mask.data(), drop, shape);
      return weighted_sum(context, upstream) + weighted_sum(scores, score_upstream);
    };
    loss();
    // Batch 1, head 1, query 2, key 4 (padded): scaled dot product plus -10000.
    double dot = 0;
    for (int i = 0; i < 3; ++i) dot += q[(5 + 2) * 6 + 3 + i] * k[(5 + 4) * 6 + 3 + i];
    const std::int64_t at = ((1 * 2 + 1) * 5 + 2) * 5 + 4;
    CHECK(scores[at] == Approx(dot / std::sqrt(3.0) - 10000.0).epsilon(1e-14));
    CHECK(probabilities[at] < 1e-4);
    std::vector<double> dq(60), dk(60), dv(60);
    attention_backward(dq.data(), dk.data(), dv.data(), upstream.data(), score_upstream.data(), probabilities.data(),
                       q.data(), k.data(), v.data(), drop, shape);
    CHECK(relative_error(dq, numeric_gradient(q, loss)) < kGradientTolerance);
    CHECK(relative_error(dk, numeric_gradient(k, loss)) < kGradientTolerance);
    CHECK(relative_error(dv, numeric_gradient(v, loss)) < kGradientTolerance);
  }
}

TEST_CASE("pooling: first token and masked mean, backward matches finite differences") {
  const std::vector<std::int64_t> mask = {1, 1, 1, 1, 1, 0, 0, 0};
  auto x = random_values(8 * 3, -1, 1, 27);
  const auto upstream = random_values(2 * 3, -1, 1, 28);
  std::vector<double> y(6);
  for (const Pooling pooling : {Pooling::first_token, Pooling::mean}) {
    auto loss = [&] {
      pooling_forward(y.data(), x.data(), mask.data(), 2, 4, 3, pooling);
      return weighted_sum(y, upstream);
    };
    loss();
    if (pooling == Pooling::mean) {
      CHECK(y[0] == Approx((x[0] + x[3] + x[6] + x[9]) / 4.0).epsilon(1e-14));  // batch 0: 4 real tokens
      CHECK(y[3] == x[12]);                                                      // batch 1: only token 0
    } else {
      CHECK(y[3] == x[12]);
    }
    std::vector<double> dx(x.size());
    pooling_backward(dx.data(), upstream.data(), mask.data(), 2, 4, 3, pooling);
    CHECK(relative_error(dx, numeric_gradient(x, loss)) < kGradientTolerance);
  }
}
