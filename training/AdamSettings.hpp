#pragma once
// Hyper-parameters shared by BertAdam and AdamW. Defaults: BertAdam's (method doc §6.4).
namespace spikingbert::training {

struct AdamSettings {
  double learning_rate = 5e-5;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-6;
  double weight_decay = 0.01;  // decoupled, only on parameters with weight_decay = true
  double max_grad_norm = 1.0;  // BertAdam: per tensor; AdamW: over all tensors; <= 0 disables
};

}  // namespace spikingbert::training
