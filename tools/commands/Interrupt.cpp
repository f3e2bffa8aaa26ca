#include "commands/Interrupt.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>

namespace spikingbert::tools {

namespace {

// std::atomic<int> is lock-free here (static_assert below), hence safe to touch from a signal handler.
std::atomic<int> interrupt_count{0};
static_assert(std::atomic<int>::is_always_lock_free);
struct sigaction previous_action {};

void on_interrupt(int) {
  if (interrupt_count.fetch_add(1) >= 1) {
    // Second Ctrl-C: the user does not want to wait for the record in progress.
    static constexpr char message[] = "\nspikingbert: interrupted again: stopping now\n";
    [[maybe_unused]] const auto written = ::write(STDERR_FILENO, message, sizeof message - 1);
    ::_exit(kInterruptedExitCode);
  }
}

}  // namespace

InterruptScope::InterruptScope() {
  interrupt_count.store(0);
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // file writes in progress continue instead of failing with EINTR
  sigaction(SIGINT, &action, &previous_action);
}

InterruptScope::~InterruptScope() { sigaction(SIGINT, &previous_action, nullptr); }

bool interrupt_requested() { return interrupt_count.load(std::memory_order_relaxed) > 0; }

}  // namespace spikingbert::tools
