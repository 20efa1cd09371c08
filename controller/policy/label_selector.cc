#include <algorithm>

#include "policy/model.h"

namespace clausegate::policy {

bool LabelSelector::Matches(const std::map<std::string, std::string>& labels) const {
  for (const LabelRequirement& r : requirements) {
    auto it = labels.find(r.key);
    bool has = it != labels.end();
    bool in = has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    switch (r.op) {
      case LabelRequirement::Op::kIn:
        if (!in) return false;
        break;
      case LabelRequirement::Op::kNotIn:
        if (in) return false;  // a missing label is "not in", as Kubernetes has it
        break;
      case LabelRequirement::Op::kExists:
        if (!has) return false;
        break;
      case LabelRequirement::Op::kDoesNotExist:
        if (has) return false;
        break;
    }
  }
  return true;
}

}  // namespace clausegate::policy

namespace clausegate::policy {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

bool ValidKey(std::string_view k) {
  if (k.empty() || k.size() > 316) return false;
  for (char c : k) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/')) return false;
  }
  return true;
}

bool ValidValue(std::string_view v) {
  if (v.size() > 63) return false;
  for (char c : v) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

// Splits on commas that are not inside parentheses.
std::vector<std::string_view> SplitTop(std::string_view s) {
  std::vector<std::string_view> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '(') ++depth;
    if (s[i] == ')') --depth;
    if (s[i] == ',' && depth == 0) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

}  // namespace

std::optional<LabelSelector> ParseLabelSelector(std::string_view text, std::string* error) {
  LabelSelector sel;
  if (Trim(text).empty()) return sel;
  for (std::string_view part : SplitTop(text)) {
    part = Trim(part);
    auto fail = [&](const std::string& why) {
      *error = "invalid label selector \"" + std::string(part) + "\": " + why;
      return std::nullopt;
    };
    if (part.empty()) return fail("empty requirement");
    LabelRequirement req;
    if (part[0] == '!') {
      req.key = std::string(Trim(part.substr(1)));
      req.op = LabelRequirement::Op::kDoesNotExist;
    } else if (auto p = part.find("!="); p != std::string_view::npos) {
      req.key = std::string(Trim(part.substr(0, p)));
      req.op = LabelRequirement::Op::kNotIn;
      req.values.emplace_back(Trim(part.substr(p + 2)));
    } else if (auto q = part.find('='); q != std::string_view::npos) {
      size_t vstart = (q + 1 < part.size() && part[q + 1] == '=') ? q + 2 : q + 1;
      req.key = std::string(Trim(part.substr(0, q)));
      req.op = LabelRequirement::Op::kIn;
      req.values.emplace_back(Trim(part.substr(vstart)));
    } else if (auto paren = part.find('('); paren != std::string_view::npos) {
      if (part.back() != ')') return fail("missing ')'");
      std::string_view head = Trim(part.substr(0, paren));
      auto space = head.rfind(' ');
      if (space == std::string_view::npos) return fail("expected 'in' or 'notin'");
      std::string_view op = head.substr(space + 1);
      req.key = std::string(Trim(head.substr(0, space)));
      if (op == "in") req.op = LabelRequirement::Op::kIn;
      else if (op == "notin") req.op = LabelRequirement::Op::kNotIn;
      else return fail("expected 'in' or 'notin', found '" + std::string(op) + "'");
      std::string_view inner = part.substr(paren + 1, part.size() - paren - 2);
      if (Trim(inner).empty()) return fail("empty value list");
      for (std::string_view v : SplitTop(inner)) {
        v = Trim(v);
        if (!ValidValue(v)) return fail("invalid value '" + std::string(v) + "'");
        req.values.emplace_back(v);
      }
      if (req.values.empty()) return fail("empty value list");
    } else {
      req.key = std::string(part);
      req.op = LabelRequirement::Op::kExists;
    }
    if (!ValidKey(req.key)) return fail("invalid key '" + req.key + "'");
    for (const auto& v : req.values) {
      if (!ValidValue(v)) return fail("invalid value '" + v + "'");
    }
    sel.requirements.push_back(std::move(req));
  }
  return sel;
}

}  // namespace clausegate::policy
