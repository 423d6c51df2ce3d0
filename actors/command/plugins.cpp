// Loading command plugins (dref/plugin.hpp has the contract). A loaded
// plugin stays loaded: its code runs in every store of this process.
#include "dref/plugin.hpp"

#include <dlfcn.h>

namespace dref {

result<void> load_plugin(const std::string& path, command_registrar& into) {
  auto refused = [&](const std::string& why) {
    return error{errc::invalid_config, "plugin '" + path + "': " + why};
  };
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* why = dlerror();
    return refused(std::string{"cannot be loaded: "} + (why != nullptr ? why : "unknown error"));
  }
  using entry_point = void (*)(command_registrar&);
  auto* entry = reinterpret_cast<entry_point>(dlsym(library, "dref_register_commands"));
  if (entry == nullptr)
    return refused("has no entry point dref_register_commands (DREF_COMMANDS_PLUGIN)");
  try {
    entry(into);
  } catch (const error_exception& ex) {
    return refused(ex.error().message);
  } catch (const std::exception& ex) {
    return refused(std::string{"its registration threw: "} + ex.what());
  }
  return {};
}

} // namespace dref
