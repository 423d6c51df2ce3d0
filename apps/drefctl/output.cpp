#include "output.hpp"

#include <algorithm>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

namespace drefctl {

namespace {

using json = nlohmann::ordered_json;

bool printable_text(const std::string& bytes) {
  return std::none_of(bytes.begin(), bytes.end(),
                      [](unsigned char c) { return c < 0x20 && c != '\t' && c != '\n'; });
}

// A value for people: as it is when it is text, else 0x and hex.
std::string shown(const std::string& bytes) {
  if (printable_text(bytes))
    return bytes;
  std::ostringstream out;
  out << "0x" << std::hex << std::setfill('0');
  for (unsigned char c : bytes)
    out << std::setw(2) << static_cast<int>(c);
  return out.str();
}

// Bytes as a JSON string of one code point per byte. Values need not be
// UTF-8, which a JSON string must be; this mapping takes any bytes and is
// what drefctl's JSON has always meant.
json bytes(const std::string& raw) {
  std::string utf8;
  utf8.reserve(raw.size());
  for (unsigned char c : raw) {
    if (c < 0x80) {
      utf8 += static_cast<char>(c);
    } else {
      utf8 += static_cast<char>(0xc0 | (c >> 6));
      utf8 += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return utf8;
}

// Columns padded to their widest cell, two spaces apart.
std::string table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : rows)
      width[c] = std::max(width[c], row[c].size());
  }
  std::ostringstream out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t c = 0; c + 1 < cells.size(); ++c)
      out << std::left << std::setw(static_cast<int>(width[c]) + 2) << cells[c];
    out << cells.back() << '\n';
  };
  line(header);
  for (const auto& row : rows)
    line(row);
  return out.str();
}

const char* yes_no(bool yes) {
  return yes ? "yes" : "no";
}

} // namespace

std::string to_text(const cluster_status& result) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : result.endpoints) {
    if (!e.status) {
      rows.push_back({e.endpoint, "-", "unreachable", "-", "-", "-", "-"});
      continue;
    }
    const auto& st = *e.status;
    rows.push_back({e.endpoint, st.name, st.role, st.leader.empty() ? "-" : st.leader,
                    std::to_string(st.term), std::to_string(st.commit_index),
                    std::to_string(st.applied_index)});
  }
  return table({"ENDPOINT", "MEMBER", "ROLE", "LEADER", "TERM", "COMMIT", "APPLIED"}, rows);
}

json to_json(const cluster_status& result) {
  auto out = json::array();
  for (const auto& e : result.endpoints) {
    if (!e.status) {
      out.push_back({{"endpoint", bytes(e.endpoint)}, {"error", bytes(e.error)}});
      continue;
    }
    const auto& st = *e.status;
    out.push_back({{"endpoint", bytes(e.endpoint)},
                   {"member", bytes(st.name)},
                   {"role", bytes(st.role)},
                   {"leader", bytes(st.leader)},
                   {"term", st.term},
                   {"commit_index", st.commit_index},
                   {"applied_index", st.applied_index}});
  }
  return out;
}

std::string to_text(const member_list& result) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : result.members)
    rows.push_back({m.name, m.address.empty() ? "-" : m.address, m.voter ? "voter" : "learner",
                    yes_no(m.reachable), yes_no(m.name == result.leader)});
  return table({"NAME", "ADDRESS", "ROLE", "REACHABLE", "LEADER"}, rows);
}

json to_json(const member_list& result) {
  auto out = json::array();
  for (const auto& m : result.members)
    out.push_back({{"name", bytes(m.name)},
                   {"address", bytes(m.address)},
                   {"voter", m.voter},
                   {"reachable", m.reachable},
                   {"leader", m.name == result.leader}});
  return out;
}

std::string to_text(const admin_done& result) {
  return result.what + '\n';
}

json to_json(const admin_done&) {
  return {{"ok", true}};
}

std::string to_text(const ref_value& result) {
  auto out = shown(result.value) + "\nversion " + std::to_string(result.version) + '\n';
  if (!result.owner.empty())
    out += "owner " + shown(result.owner) + '\n';
  return out;
}

json to_json(const ref_value& result) {
  json out{{"id", bytes(result.id)}, {"value", bytes(result.value)}, {"version", result.version}};
  if (!result.owner.empty())
    out["owner"] = bytes(result.owner);
  return out;
}

std::string to_text(const ref_version& result) {
  return "version " + std::to_string(result.version) + '\n';
}

json to_json(const ref_version& result) {
  return {{"id", bytes(result.id)}, {"version", result.version}};
}

std::string to_text(const counter_value& result) {
  return std::to_string(result.value) + "\nversion " + std::to_string(result.version) + '\n';
}

json to_json(const counter_value& result) {
  return {{"id", bytes(result.id)}, {"value", result.value}, {"version", result.version}};
}

std::string to_text(const published& result) {
  return "seq " + std::to_string(result.seq) + '\n';
}

json to_json(const published& result) {
  return {{"topic", bytes(result.topic)}, {"seq", result.seq}};
}

std::string to_text(const barrier_passed& result) {
  return "round " + std::to_string(result.round) + '\n';
}

json to_json(const barrier_passed& result) {
  return {{"id", bytes(result.id)}, {"round", result.round}};
}

std::string to_text(const topic_message& result) {
  return std::to_string(result.seq) + ' ' + shown(result.message) + '\n';
}

json to_json(const topic_message& result) {
  return {{"topic", bytes(result.topic)}, {"seq", result.seq}, {"message", bytes(result.message)}};
}

std::string to_text(const ref_change& result) {
  return shown(result.value) + '\n';
}

json to_json(const ref_change& result) {
  return {
      {"id", bytes(result.id)}, {"old", bytes(result.old_value)}, {"value", bytes(result.value)}};
}

// "written ks/a 12 value": a line each, so that a pipe reads them.
std::string to_text(const prefix_change& result) {
  auto line = result.kind + ' ' + result.id + ' ' + std::to_string(result.version);
  if (result.value)
    line += ' ' + shown(*result.value);
  return line + '\n';
}

json to_json(const prefix_change& result) {
  json out{{"id", bytes(result.id)}, {"kind", result.kind}, {"version", result.version}};
  if (result.value)
    out["value"] = bytes(*result.value);
  return out;
}

std::string to_text(const ref_removed& result) {
  if (!result.existed)
    return "absent: nothing removed\n";
  return "removed version " + std::to_string(result.version) + '\n';
}

json to_json(const ref_removed& result) {
  return {{"id", bytes(result.id)}, {"removed", result.existed}, {"version", result.version}};
}

std::string to_text(const txn_outcome& result) {
  if (result.committed)
    return "committed at version " + std::to_string(result.version) + '\n';
  auto state = [](std::uint64_t v) {
    return v == 0 ? std::string{"absent"} : "version " + std::to_string(v);
  };
  return "not committed: " + result.failed_id + " is " + state(result.found) + ", expected " +
         state(result.expected) + '\n';
}

json to_json(const txn_outcome& result) {
  if (result.committed)
    return {{"committed", true}, {"version", result.version}};
  return {{"committed", false},
          {"failed",
           {{"id", bytes(result.failed_id)},
            {"expected_version", result.expected},
            {"found_version", result.found}}}};
}

std::string to_text(const id_listing& result) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [id, version] : result.ids)
    rows.push_back({id, std::to_string(version)});
  return table({"ID", "VERSION"}, rows);
}

json to_json(const id_listing& result) {
  auto ids = json::array();
  for (const auto& [id, version] : result.ids)
    ids.push_back({{"id", bytes(id)}, {"version", version}});
  return {{"prefix", bytes(result.prefix)},
          {"revision", result.last_revision},
          {"consistent", result.first_revision == result.last_revision},
          {"more", result.more},
          {"ids", std::move(ids)}};
}

std::string json_line(const json& value) {
  // ensure_ascii: every code point above 0x7e as \u00XX, as bytes() expects.
  return value.dump(-1, ' ', true) + '\n';
}

std::string render(const printable& result, output_format format) {
  return std::visit(
      [format](const auto& r) {
        return format == output_format::json ? json_line(to_json(r)) : to_text(r);
      },
      result);
}

void print(std::ostream& out, const printable& result, output_format format) {
  out << render(result, format);
  out.flush();
}

} // namespace drefctl
