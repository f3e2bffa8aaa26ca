#pragma once
// Models consume io's one token batch type (io/TokenBatch.hpp); this names it in models' namespace.
#include "io/TokenBatch.hpp"

namespace spikingbert::models {

using io::TokenBatch;

}  // namespace spikingbert::models
