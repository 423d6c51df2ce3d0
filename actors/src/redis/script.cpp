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
