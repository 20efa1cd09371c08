#include "cel/checker/declarations.h"

#include <algorithm>

namespace clausegate::cel::checker {
namespace {

// `cel-oracle decls` for Kubernetes 1.37: "name member|global (args) -> result",
// each function's overloads in cel-go's order (the checker tries them in order, and
// the first that applies binds the type parameters). The differential test compares
// this table with the oracle's, line for line.
constexpr std::string_view kKubernetes137 = R"(
!_ global (bool) -> bool
-_ global (double) -> double
-_ global (int) -> int
@in global (A, list(A)) -> bool
@in global (A, map(A, B)) -> bool
@not_strictly_false global (bool) -> bool
@sortByAssociatedKeys member (list(T), list(int)) -> list(T)
@sortByAssociatedKeys member (list(T), list(uint)) -> list(T)
@sortByAssociatedKeys member (list(T), list(double)) -> list(T)
@sortByAssociatedKeys member (list(T), list(bool)) -> list(T)
@sortByAssociatedKeys member (list(T), list(duration)) -> list(T)
@sortByAssociatedKeys member (list(T), list(timestamp)) -> list(T)
@sortByAssociatedKeys member (list(T), list(string)) -> list(T)
@sortByAssociatedKeys member (list(T), list(bytes)) -> list(T)
_!=_ global (A, A) -> bool
_%_ global (int, int) -> int
_%_ global (uint, uint) -> uint
_&&_ global (bool, bool) -> bool
_*_ global (double, double) -> double
_*_ global (int, int) -> int
_*_ global (uint, uint) -> uint
_+_ global (bytes, bytes) -> bytes
_+_ global (double, double) -> double
_+_ global (duration, duration) -> duration
_+_ global (duration, timestamp) -> timestamp
_+_ global (timestamp, duration) -> timestamp
_+_ global (int, int) -> int
_+_ global (list(A), list(A)) -> list(A)
_+_ global (string, string) -> string
_+_ global (uint, uint) -> uint
_-_ global (double, double) -> double
_-_ global (duration, duration) -> duration
_-_ global (int, int) -> int
_-_ global (timestamp, duration) -> timestamp
_-_ global (timestamp, timestamp) -> duration
_-_ global (uint, uint) -> uint
_/_ global (double, double) -> double
_/_ global (int, int) -> int
_/_ global (uint, uint) -> uint
_<=_ global (bool, bool) -> bool
_<=_ global (int, int) -> bool
_<=_ global (int, double) -> bool
_<=_ global (int, uint) -> bool
_<=_ global (uint, uint) -> bool
_<=_ global (uint, double) -> bool
_<=_ global (uint, int) -> bool
_<=_ global (double, double) -> bool
_<=_ global (double, int) -> bool
_<=_ global (double, uint) -> bool
_<=_ global (string, string) -> bool
_<=_ global (bytes, bytes) -> bool
_<=_ global (timestamp, timestamp) -> bool
_<=_ global (duration, duration) -> bool
_<_ global (bool, bool) -> bool
_<_ global (int, int) -> bool
_<_ global (int, double) -> bool
_<_ global (int, uint) -> bool
_<_ global (uint, uint) -> bool
_<_ global (uint, double) -> bool
_<_ global (uint, int) -> bool
_<_ global (double, double) -> bool
_<_ global (double, int) -> bool
_<_ global (double, uint) -> bool
_<_ global (string, string) -> bool
_<_ global (bytes, bytes) -> bool
_<_ global (timestamp, timestamp) -> bool
_<_ global (duration, duration) -> bool
_==_ global (A, A) -> bool
_>=_ global (bool, bool) -> bool
_>=_ global (int, int) -> bool
_>=_ global (int, double) -> bool
_>=_ global (int, uint) -> bool
_>=_ global (uint, uint) -> bool
_>=_ global (uint, double) -> bool
_>=_ global (uint, int) -> bool
_>=_ global (double, double) -> bool
_>=_ global (double, int) -> bool
_>=_ global (double, uint) -> bool
_>=_ global (string, string) -> bool
_>=_ global (bytes, bytes) -> bool
_>=_ global (timestamp, timestamp) -> bool
_>=_ global (duration, duration) -> bool
_>_ global (bool, bool) -> bool
_>_ global (int, int) -> bool
_>_ global (int, double) -> bool
_>_ global (int, uint) -> bool
_>_ global (uint, uint) -> bool
_>_ global (uint, double) -> bool
_>_ global (uint, int) -> bool
_>_ global (double, double) -> bool
_>_ global (double, int) -> bool
_>_ global (double, uint) -> bool
_>_ global (string, string) -> bool
_>_ global (bytes, bytes) -> bool
_>_ global (timestamp, timestamp) -> bool
_>_ global (duration, duration) -> bool
_?._ global (dyn, string) -> optional_type(V)
_?_:_ global (bool, A, A) -> A
_[?_] global (list(V), int) -> optional_type(V)
_[?_] global (optional_type(list(V)), int) -> optional_type(V)
_[?_] global (map(K, V), K) -> optional_type(V)
_[?_] global (optional_type(map(K, V)), K) -> optional_type(V)
_[_] global (list(A), int) -> A
_[_] global (map(A, B), A) -> B
_[_] global (optional_type(list(V)), int) -> optional_type(V)
_[_] global (optional_type(map(K, V)), K) -> optional_type(V)
__not_strictly_false__ global (bool) -> bool
_in_ global (A, list(A)) -> bool
_in_ global (A, map(A, B)) -> bool
_||_ global (bool, bool) -> bool
add member (kubernetes.Quantity, kubernetes.Quantity) -> kubernetes.Quantity
add member (kubernetes.Quantity, int) -> kubernetes.Quantity
allowed member (kubernetes.authorization.Decision) -> bool
asApproximateFloat member (kubernetes.Quantity) -> double
asInteger member (kubernetes.Quantity) -> int
bool global (bool) -> bool
bool global (string) -> bool
bytes global (bytes) -> bytes
bytes global (string) -> bytes
cel.@mapInsert global (map(K, V), K, V) -> map(K, V)
cel.@mapInsert global (map(K, V), map(K, V)) -> map(K, V)
charAt member (string, int) -> string
check member (kubernetes.authorization.PathCheck, string) -> kubernetes.authorization.Decision
check member (kubernetes.authorization.ResourceCheck, string) -> kubernetes.authorization.Decision
cidr global (string) -> net.CIDR
compareTo member (kubernetes.Quantity, kubernetes.Quantity) -> int
compareTo member (kubernetes.Semver, kubernetes.Semver) -> int
contains member (string, string) -> bool
containsCIDR member (net.CIDR, string) -> bool
containsCIDR member (net.CIDR, net.CIDR) -> bool
containsIP member (net.CIDR, string) -> bool
containsIP member (net.CIDR, net.IP) -> bool
distinct member (list(T)) -> list(T)
double global (double) -> double
double global (int) -> double
double global (string) -> double
double global (uint) -> double
duration global (duration) -> duration
duration global (string) -> duration
dyn global (A) -> dyn
endsWith member (string, string) -> bool
error member (kubernetes.authorization.Decision) -> string
errored member (kubernetes.authorization.Decision) -> bool
family member (net.IP) -> int
fieldSelector member (kubernetes.authorization.ResourceCheck, string) -> kubernetes.authorization.ResourceCheck
find member (string, string) -> string
findAll member (string, string) -> list(string)
findAll member (string, string, int) -> list(string)
first member (list(V)) -> optional_type(V)
flatten member (list(list(T))) -> list(T)
flatten member (list(dyn), int) -> list(dyn)
format member (string, list(dyn)) -> string
format.byte global () -> kubernetes.NamedFormat
format.date global () -> kubernetes.NamedFormat
format.datetime global () -> kubernetes.NamedFormat
format.dns1035Label global () -> kubernetes.NamedFormat
format.dns1035LabelPrefix global () -> kubernetes.NamedFormat
format.dns1123Label global () -> kubernetes.NamedFormat
format.dns1123LabelPrefix global () -> kubernetes.NamedFormat
format.dns1123Subdomain global () -> kubernetes.NamedFormat
format.dns1123SubdomainPrefix global () -> kubernetes.NamedFormat
format.labelValue global () -> kubernetes.NamedFormat
format.named global (string) -> optional_type(kubernetes.NamedFormat)
format.qualifiedName global () -> kubernetes.NamedFormat
format.uri global () -> kubernetes.NamedFormat
format.uuid global () -> kubernetes.NamedFormat
getDate member (timestamp) -> int
getDate member (timestamp, string) -> int
getDayOfMonth member (timestamp) -> int
getDayOfMonth member (timestamp, string) -> int
getDayOfWeek member (timestamp) -> int
getDayOfWeek member (timestamp, string) -> int
getDayOfYear member (timestamp) -> int
getDayOfYear member (timestamp, string) -> int
getEscapedPath member (kubernetes.URL) -> string
getFullYear member (timestamp) -> int
getFullYear member (timestamp, string) -> int
getHost member (kubernetes.URL) -> string
getHostname member (kubernetes.URL) -> string
getHours member (timestamp) -> int
getHours member (timestamp, string) -> int
getHours member (duration) -> int
getMilliseconds member (timestamp) -> int
getMilliseconds member (timestamp, string) -> int
getMilliseconds member (duration) -> int
getMinutes member (timestamp) -> int
getMinutes member (timestamp, string) -> int
getMinutes member (duration) -> int
getMonth member (timestamp) -> int
getMonth member (timestamp, string) -> int
getPort member (kubernetes.URL) -> string
getQuery member (kubernetes.URL) -> map(string, list(string))
getScheme member (kubernetes.URL) -> string
getSeconds member (timestamp) -> int
getSeconds member (timestamp, string) -> int
getSeconds member (duration) -> int
group member (kubernetes.authorization.Authorizer, string) -> kubernetes.authorization.GroupCheck
hasValue member (optional_type(V)) -> bool
in global (A, list(A)) -> bool
in global (A, map(A, B)) -> bool
includes member (dyn, dyn) -> bool
indexOf member (string, string) -> int
indexOf member (string, string, int) -> int
indexOf member (list(A), A) -> int
int global (int) -> int
int global (double) -> int
int global (duration) -> int
int global (string) -> int
int global (timestamp) -> int
int global (uint) -> int
ip global (string) -> net.IP
ip member (net.CIDR) -> net.IP
ip.isCanonical global (string) -> bool
isCIDR global (string) -> bool
isGlobalUnicast member (net.IP) -> bool
isGreaterThan member (kubernetes.Quantity, kubernetes.Quantity) -> bool
isGreaterThan member (kubernetes.Semver, kubernetes.Semver) -> bool
isIP global (string) -> bool
isInteger member (kubernetes.Quantity) -> bool
isLessThan member (kubernetes.Quantity, kubernetes.Quantity) -> bool
isLessThan member (kubernetes.Semver, kubernetes.Semver) -> bool
isLinkLocalMulticast member (net.IP) -> bool
isLinkLocalUnicast member (net.IP) -> bool
isLoopback member (net.IP) -> bool
isQuantity global (string) -> bool
isSemver global (string) -> bool
isSemver global (string, bool) -> bool
isSorted member (list(int)) -> bool
isSorted member (list(uint)) -> bool
isSorted member (list(double)) -> bool
isSorted member (list(bool)) -> bool
isSorted member (list(duration)) -> bool
isSorted member (list(timestamp)) -> bool
isSorted member (list(string)) -> bool
isSorted member (list(bytes)) -> bool
isURL global (string) -> bool
isUnspecified member (net.IP) -> bool
join member (list(string)) -> string
join member (list(string), string) -> string
labelSelector member (kubernetes.authorization.ResourceCheck, string) -> kubernetes.authorization.ResourceCheck
last member (list(V)) -> optional_type(V)
lastIndexOf member (string, string) -> int
lastIndexOf member (string, string, int) -> int
lastIndexOf member (list(A), A) -> int
lists.range global (int) -> list(int)
lowerAscii member (string) -> string
major member (kubernetes.Semver) -> int
masked member (net.CIDR) -> net.CIDR
matches global (string, string) -> bool
matches member (string, string) -> bool
max member (list(int)) -> int
max member (list(uint)) -> uint
max member (list(double)) -> double
max member (list(bool)) -> bool
max member (list(duration)) -> duration
max member (list(timestamp)) -> timestamp
max member (list(string)) -> string
max member (list(bytes)) -> bytes
min member (list(int)) -> int
min member (list(uint)) -> uint
min member (list(double)) -> double
min member (list(bool)) -> bool
min member (list(duration)) -> duration
min member (list(timestamp)) -> timestamp
min member (list(string)) -> string
min member (list(bytes)) -> bytes
minor member (kubernetes.Semver) -> int
name member (kubernetes.authorization.ResourceCheck, string) -> kubernetes.authorization.ResourceCheck
namespace member (kubernetes.authorization.ResourceCheck, string) -> kubernetes.authorization.ResourceCheck
optional.none global () -> optional_type(V)
optional.of global (V) -> optional_type(V)
optional.ofNonZeroValue global (V) -> optional_type(V)
optional.unwrap global (list(optional_type(V))) -> list(V)
or member (optional_type(V), optional_type(V)) -> optional_type(V)
orValue member (optional_type(V), V) -> V
patch member (kubernetes.Semver) -> int
path member (kubernetes.authorization.Authorizer, string) -> kubernetes.authorization.PathCheck
prefixLength member (net.CIDR) -> int
quantity global (string) -> kubernetes.Quantity
reason member (kubernetes.authorization.Decision) -> string
replace member (string, string, string) -> string
replace member (string, string, string, int) -> string
resource member (kubernetes.authorization.GroupCheck, string) -> kubernetes.authorization.ResourceCheck
reverse member (list(T)) -> list(T)
semver global (string) -> kubernetes.Semver
semver global (string, bool) -> kubernetes.Semver
serviceAccount member (kubernetes.authorization.Authorizer, string, string) -> kubernetes.authorization.Authorizer
sets.contains global (list(T), list(T)) -> bool
sets.equivalent global (list(T), list(T)) -> bool
sets.intersects global (list(T), list(T)) -> bool
sign global (kubernetes.Quantity) -> int
size global (bytes) -> int
size member (bytes) -> int
size global (list(A)) -> int
size member (list(A)) -> int
size global (map(A, B)) -> int
size member (map(A, B)) -> int
size global (string) -> int
size member (string) -> int
slice member (list(T), int, int) -> list(T)
sort member (list(int)) -> list(int)
sort member (list(uint)) -> list(uint)
sort member (list(double)) -> list(double)
sort member (list(bool)) -> list(bool)
sort member (list(duration)) -> list(duration)
sort member (list(timestamp)) -> list(timestamp)
sort member (list(string)) -> list(string)
sort member (list(bytes)) -> list(bytes)
split member (string, string) -> list(string)
split member (string, string, int) -> list(string)
startsWith member (string, string) -> bool
string global (string) -> string
string global (bool) -> string
string global (bytes) -> string
string global (double) -> string
string global (duration) -> string
string global (int) -> string
string global (timestamp) -> string
string global (uint) -> string
string global (net.IP) -> string
string global (net.CIDR) -> string
strings.quote global (string) -> string
sub member (kubernetes.Quantity, kubernetes.Quantity) -> kubernetes.Quantity
sub member (kubernetes.Quantity, int) -> kubernetes.Quantity
subresource member (kubernetes.authorization.ResourceCheck, string) -> kubernetes.authorization.ResourceCheck
substring member (string, int) -> string
substring member (string, int, int) -> string
sum member (list(int)) -> int
sum member (list(uint)) -> uint
sum member (list(double)) -> double
sum member (list(duration)) -> duration
timestamp global (timestamp) -> timestamp
timestamp global (int) -> timestamp
timestamp global (string) -> timestamp
trim member (string) -> string
type global (A) -> type(A)
uint global (uint) -> uint
uint global (double) -> uint
uint global (int) -> uint
uint global (string) -> uint
unwrapOpt member (list(optional_type(V))) -> list(V)
upperAscii member (string) -> string
url global (string) -> kubernetes.URL
validate member (kubernetes.NamedFormat, string) -> optional_type(list(string))
value member (optional_type(V)) -> V
)";

// What clausegate offers beyond Kubernetes (cel-go's math extension, strings
// extension version 3's reverse). "..." takes any arguments.
constexpr std::string_view kClausegateExtras = R"(
math.greatest global (...) -> dyn
math.least global (...) -> dyn
math.ceil global (double) -> double
math.floor global (double) -> double
math.round global (double) -> double
math.trunc global (double) -> double
math.sqrt global (double) -> double
math.sqrt global (int) -> double
math.sqrt global (uint) -> double
math.abs global (int) -> int
math.abs global (uint) -> uint
math.abs global (double) -> double
math.sign global (int) -> int
math.sign global (uint) -> uint
math.sign global (double) -> double
math.isNaN global (double) -> bool
math.isInf global (double) -> bool
math.isFinite global (double) -> bool
math.bitAnd global (int, int) -> int
math.bitAnd global (uint, uint) -> uint
math.bitOr global (int, int) -> int
math.bitOr global (uint, uint) -> uint
math.bitXor global (int, int) -> int
math.bitXor global (uint, uint) -> uint
math.bitNot global (int) -> int
math.bitNot global (uint) -> uint
math.bitShiftLeft global (int, int) -> int
math.bitShiftLeft global (uint, int) -> uint
math.bitShiftRight global (int, int) -> int
math.bitShiftRight global (uint, int) -> uint
reverse member (string) -> string
)";

// Splits "(a, list(b), c)" at its top-level commas.
std::vector<std::string_view> SplitArgs(std::string_view inner) {
  std::vector<std::string_view> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] == '(') ++depth;
    if (inner[i] == ')') --depth;
    if (inner[i] == ',' && depth == 0) {
      out.push_back(inner.substr(start, i - start));
      start = i + 1;
    }
  }
  if (start < inner.size()) out.push_back(inner.substr(start));
  return out;
}

// Reads one line of a table; the tables are part of the program, so a malformed
// line is a programming error caught by the unit tests (Build skips it).
bool AddLine(std::string_view line, std::unordered_map<std::string, std::vector<OverloadDecl>>* fns) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return false;
  size_t sp2 = line.find(' ', sp1 + 1);
  size_t arrow = line.rfind(") -> ");
  if (sp2 == std::string_view::npos || arrow == std::string_view::npos || line[sp2 + 1] != '(') return false;
  OverloadDecl d;
  std::string_view style = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (style != "member" && style != "global") return false;
  d.member = style == "member";
  std::string_view inner = line.substr(sp2 + 2, arrow - sp2 - 2);
  if (inner == "...") {
    d.any_args = true;
  } else {
    for (std::string_view a : SplitArgs(inner)) {
      auto t = ParseType(a);
      if (!t) return false;
      d.args.push_back(std::move(*t));
    }
  }
  auto result = ParseType(line.substr(arrow + 5));
  if (!result) return false;
  d.result = std::move(*result);
  (*fns)[std::string(line.substr(0, sp1))].push_back(std::move(d));
  return true;
}

void AddTable(std::string_view table, std::unordered_map<std::string, std::vector<OverloadDecl>>* fns,
              std::vector<std::string>* lines) {
  while (!table.empty()) {
    size_t nl = table.find('\n');
    std::string_view line = table.substr(0, nl);
    table = nl == std::string_view::npos ? std::string_view() : table.substr(nl + 1);
    if (line.empty()) continue;
    if (AddLine(line, fns)) lines->emplace_back(line);
  }
}

}  // namespace

std::optional<Profile> ProfileByName(std::string_view name) {
  if (name == "kubernetes-1.37" || name == "kubernetes") return Profile::kKubernetes;
  if (name == "clausegate") return Profile::kClausegate;
  return std::nullopt;
}

std::string_view ProfileName(Profile p) { return p == Profile::kClausegate ? "clausegate" : "kubernetes-1.37"; }

std::shared_ptr<const Declarations> Declarations::Build(Profile profile) {
  auto d = std::make_shared<Declarations>();
  d->profile_ = profile;
  AddTable(kKubernetes137, &d->functions_, &d->lines_);
  if (profile == Profile::kClausegate) AddTable(kClausegateExtras, &d->functions_, &d->lines_);
  return d;
}

const std::vector<OverloadDecl>* Declarations::Find(std::string_view name) const {
  auto it = functions_.find(std::string(name));
  return it == functions_.end() ? nullptr : &it->second;
}

std::vector<std::string> Declarations::Lines() const { return lines_; }

}  // namespace clausegate::cel::checker
