#include "history_file.hpp"

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace dref::test::nemesis {

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

history_writer::history_writer(const std::string& path)
    : file_(std::fopen(path.c_str(), "w")) {
  if (file_ == nullptr)
    throw std::runtime_error("cannot write " + path);
}

history_writer::~history_writer() {
  std::fclose(file_);
}

void history_writer::line(const std::string& text) {
  std::fputs((text + "\n").c_str(), file_);
  std::fflush(file_);
}

std::uint64_t history_writer::invoke(int key, const model::input_type& input) {
  auto n = next_++;
  std::ostringstream out;
  out << "invoke " << n << ' ' << key << ' ' << static_cast<int>(input.what) << ' ' << input.value
      << ' ' << input.expected << ' ' << now_ns();
  line(out.str());
  return n;
}

void history_writer::returned(std::uint64_t n, const model::output_type& output) {
  std::ostringstream out;
  out << "return " << n << ' ' << output.value << ' ' << output.ok << ' ' << now_ns();
  line(out.str());
}

void history_writer::held(const hold& h) {
  std::ostringstream out;
  out << "hold " << h.token << ' ' << h.from << ' ' << h.to << ' ' << h.lost;
  line(out.str());
}

void read_history(const std::string& path, histories& into) {
  std::ifstream in{path};
  struct call {
    int key;
    op o;
  };
  std::map<std::uint64_t, call> calls;
  std::string text;
  while (std::getline(in, text)) {
    std::istringstream fields{text};
    std::string what;
    fields >> what;
    if (what == "invoke") {
      std::uint64_t n = 0;
      int key = 0, kind = 0;
      op o;
      fields >> n >> key >> kind >> o.input.value >> o.input.expected >> o.call;
      if (!fields || kind < 0 || kind > 2) {
        ++into.malformed_lines;
        continue;
      }
      o.input.what = static_cast<model::kind>(kind);
      o.ret = unknown_return;
      calls[n] = call{key, o};
    } else if (what == "return") {
      std::uint64_t n = 0;
      model::output_type output;
      std::uint64_t ret = 0;
      fields >> n >> output.value >> output.ok >> ret;
      auto it = calls.find(n);
      if (!fields || it == calls.end()) {
        ++into.malformed_lines;
        continue;
      }
      it->second.o.output = output;
      it->second.o.ret = ret;
    } else if (what == "hold") {
      hold h;
      fields >> h.token >> h.from >> h.to >> h.lost;
      if (!fields) {
        ++into.malformed_lines;
        continue;
      }
      into.holds.push_back(h);
    } else {
      ++into.malformed_lines;
    }
  }
  for (auto& [n, c] : calls)
    into.by_key[c.key].push_back(c.o);
}

} // namespace dref::test::nemesis
