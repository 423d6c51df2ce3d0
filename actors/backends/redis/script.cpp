#include "redis/script.hpp"

#include <boost/uuid/detail/sha1.hpp>
#include <cstdio>
#include <memory>

namespace dref::redis {

namespace {

std::string sha1_hex(std::string_view text) {
  boost::uuids::detail::sha1 hash;
  hash.process_bytes(text.data(), text.size());
  boost::uuids::detail::sha1::digest_type digest;
  hash.get_digest(digest);
  std::string out;
  char word[9];
  for (unsigned part : digest) {
    std::snprintf(word, sizeof word, "%08x", part);
    out += word;
  }
  return out;
}

bool is_noscript(const result<reply>& answer) {
  return answer && answer->is_error() && answer->text.starts_with("NOSCRIPT");
}

std::vector<std::string> command(std::string verb, std::string script_ref,
                                 const std::vector<std::string>& keys,
                                 const std::vector<std::string>& args) {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back(std::move(verb));
  argv.push_back(std::move(script_ref));
  argv.push_back(std::to_string(keys.size()));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

} // namespace

script::script(std::string name, std::string source)
    : name_(std::move(name))
    , source_(std::move(source))
    , sha1_(sha1_hex(source_)) {}

void run(client& c, const script& s, std::vector<std::string> keys, std::vector<std::string> args,
         client::callback done) {
  auto by_sha = command("EVALSHA", s.sha1(), keys, args);
  // The retry needs the arguments again; the client keeps nothing once sent.
  auto retry = std::make_shared<std::vector<std::string>>(command("EVAL", s.source(), keys, args));
  c.submit(std::move(by_sha), [&c, retry, done = std::move(done)](result<reply> answer) mutable {
    if (!is_noscript(answer))
      return done(std::move(answer));
    c.submit(std::move(*retry), std::move(done));
  });
}

result<reply> call(client& c, const script& s, std::vector<std::string> keys,
                   std::vector<std::string> args, std::chrono::milliseconds timeout) {
  return await_reply(
      [&](client::callback done) { run(c, s, std::move(keys), std::move(args), std::move(done)); },
      timeout, "no answer to script '" + s.name() + "' from redis at " + c.address());
}

} // namespace dref::redis

namespace dref::redis {

function_library::function_library(std::string name, std::string_view definitions,
                                   std::string_view entry) {
  auto version = sha1_hex(definitions).substr(0, 16);
  function_ = name + "_" + version;
  read_function_ = name + "_read_" + version;
  source_ = "#!lua name=" + function_ + "\n" + std::string{definitions} +
            "\nredis.register_function('" + function_ + "', " + std::string{entry} + ")" +
            "\nredis.register_function{function_name = '" + read_function_ +
            "', callback = " + std::string{entry} + ", flags = {'no-writes'}}\n";
}

function_caller::function_caller(client& c, const function_library& library, const script& fallback)
    : client_(c)
    , library_(library)
    , fallback_(fallback)
    , scripts_only_(std::make_shared<std::atomic<bool>>(false)) {}

namespace {

// Redis's own error words, at the start (a script's message may quote anything).
bool says(const result<reply>& answer, std::string_view what) {
  return answer && answer->is_error() && answer->text.starts_with(what);
}

} // namespace

void function_caller::run(std::vector<std::string> keys, std::vector<std::string> args,
                          client::callback done, bool read_only) {
  if (scripts_only_->load())
    return redis::run(client_, fallback_, std::move(keys), std::move(args), std::move(done));
  auto retry_keys = std::make_shared<std::vector<std::string>>(keys);
  auto retry_args = std::make_shared<std::vector<std::string>>(args);
  auto verb = read_only ? "FCALL_RO" : "FCALL";
  const auto& name = read_only ? library_.read_function() : library_.function();
  auto fcall = command(verb, name, keys, args);
  // By value: the client outlives its callbacks, the caller need not.
  client_.submit(std::move(fcall), [c = &client_, library = &library_, fallback = &fallback_, verb,
                                    name, retry_keys, retry_args, scripts_only = scripts_only_,
                                    done = std::move(done)](result<reply> answer) mutable {
    if (says(answer, "ERR unknown command")) {
      scripts_only->store(true);
      return redis::run(*c, *fallback, std::move(*retry_keys), std::move(*retry_args),
                        std::move(done));
    }
    if (!says(answer, "ERR Function not found"))
      return done(std::move(answer));
    // Load, then call again; a load racing another caller's finds it there.
    c->submit({"FUNCTION", "LOAD", library->source()}, [](result<reply>) {});
    c->submit(command(verb, name, *retry_keys, *retry_args), std::move(done));
  });
}

} // namespace dref::redis
