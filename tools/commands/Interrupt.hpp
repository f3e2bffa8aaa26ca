#pragma once
// Ctrl-C (SIGINT) for long commands: instead of dying mid-write, a command polls interrupt_requested()
// between records (a batch of examples, a training step), finishes the record in progress, closes its
// outputs (trace renamed into place, training state written) and throws Interrupted. main prints one
// line, `spikingbert: interrupted: <what was kept>`, and exits with 130 (128 + SIGINT, the shell's code).
// A second Ctrl-C while the command is finishing ends the process at once (exit 130, outputs as after
// SIGKILL: every file is written atomically, so nothing half-written is left under a final name).
//
//   InterruptScope interrupts;            // installs the handler for this command only
//   for (...) { one_record(); if (interrupt_requested()) { close_outputs(); throw Interrupted("..."); } }
//
// Commands that never poll do not install the handler, so Ctrl-C ends them at once as usual.
#include <stdexcept>
#include <string>

namespace spikingbert::tools {

// Exit code of an interrupted command: 128 + SIGINT, what a shell reports for a process ended by Ctrl-C.
inline constexpr int kInterruptedExitCode = 130;

// Installs the SIGINT handler on construction and restores the previous disposition on destruction.
// Scopes do not nest (one per command).
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
};

// True once SIGINT arrived inside an InterruptScope (async-signal-safe flag, read by any thread).
bool interrupt_requested();

// Thrown by a command after it stopped cleanly; what() says what was kept ("stopped after 12 of 40
// examples; trace t.h5 holds them"). main catches it: one line on stderr, exit code 130.
class Interrupted : public std::runtime_error {
 public:
  explicit Interrupted(const std::string& what_was_kept) : std::runtime_error(what_was_kept) {}
};

}  // namespace spikingbert::tools
