// This program's registry of named commands and queries (the contract is
// in dref/commands.hpp): registrations add to a registry under a lock, and
// each backend start takes a copy, so a running store's registry never
// changes under it.
#include "dref/commands.hpp"

#include <mutex>

namespace dref {

namespace {

class program_registrar final : public command_registrar {
public:
  result<void> add_command(std::string name, std::string version,
                           store::named_command command) override {
    std::lock_guard guard{mutex_};
    return registry_.add(std::move(name), std::move(version), std::move(command));
  }
  result<void> add_query(std::string name, std::string version, store::named_query query) override {
    std::lock_guard guard{mutex_};
    return registry_.add_query(std::move(name), std::move(version), std::move(query));
  }
  std::shared_ptr<const store::command_registry> copy() const {
    std::lock_guard guard{mutex_};
    return std::make_shared<const store::command_registry>(registry_);
  }

private:
  mutable std::mutex mutex_;
  store::command_registry registry_ = store::with_builtins();
};

program_registrar& program() {
  static program_registrar registrar;
  return registrar;
}

} // namespace

command_registrar& commands() {
  return program();
}

std::shared_ptr<const store::command_registry> registered_commands() {
  return program().copy();
}

} // namespace dref
