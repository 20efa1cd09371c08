#include "cli/serve_command.h"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <type_traits>
#include <ostream>

#include "audit/background_audit.h"
#include "cli/args.h"
#include "cli/load_options.h"
#include "common/log_sink.h"
#include "common/time_util.h"
#include "kube/leader_election.h"
#include "policy/loader.h"
#include "server/policy_composer.h"
#include "server/policy_resources.h"
#include "server/policy_watcher.h"
#include "server/webhook_server.h"

namespace clausegate::cli {
namespace {

std::string LogMetrics(const LogSink& out, const LogSink& err) {
  return "# HELP clausegate_log_lines_dropped_total Log lines dropped because the reader of the stream stalled.\n"
         "# TYPE clausegate_log_lines_dropped_total counter\n"
         "clausegate_log_lines_dropped_total{stream=\"stdout\"} " + std::to_string(out.dropped_lines()) + "\n"
         "clausegate_log_lines_dropped_total{stream=\"stderr\"} " + std::to_string(err.dropped_lines()) + "\n";
}

constexpr const char* kUsage =
    "usage: clausegate serve [--policies DIR...] --tls-cert FILE --tls-key FILE [--client-ca FILE]\n"
    "                        [--address 0.0.0.0] [--port 8443] [--health-port 8080] [--no-cluster]\n"
    "                        [--threads N] [--max-body-bytes 3145728] [--eval-deadline-ms 2000]\n"
    "                        [--max-connections 4096] [--max-header-bytes 16384]\n"
    "                        [--handshake-timeout-seconds 5] [--request-timeout-seconds 10]\n"
    "                        [--idle-timeout-seconds 120] [--drain-timeout-seconds 10]\n"
    "                        [--log-level debug|info|warn|error] [--log-buffer-bytes 4194304]\n"
    "                        [--shutdown-delay-seconds 0]\n"
    "                        [--kubeconfig FILE | --kube-api URL --kube-token-file FILE --kube-ca FILE]\n"
    "                        [--audit-interval 0] [--audit-lease NAMESPACE/NAME] [--audit-identity ID]\n"
    "                        [--audit-lease-seconds 15] [--audit-page-size 500]\n"
    "                        [--no-policy-resources] [--status-lease NAMESPACE/NAME]\n"
    "  Without --no-cluster, Namespaces come from the API server: --kubeconfig, --kube-api, or\n"
    "  in a Pod the service-account mount and KUBERNETES_SERVICE_HOST/PORT.\n"
    "  Serves POST /validate (admission.k8s.io/v1 AdmissionReview) over HTTPS, and /healthz,\n"
    "  /readyz and /metrics over plain HTTP on the health port. SIGTERM drains and exits 0;\n"
    "  with --shutdown-delay-seconds N it first reports not ready and keeps serving for N seconds.\n"
    "  Logs are written apart from the requests: while whatever reads stdout or stderr stalls,\n"
    "  each stream keeps up to --log-buffer-bytes, then drops lines and counts them.\n"
    "  --audit-interval DURATION (Go syntax: 10m, 1h; 0 is off) audits what runs in the cluster\n"
    "  (as `clausegate audit`) in the one replica that holds the Lease --audit-lease (default\n"
    "  $POD_NAMESPACE/clausegate-audit; the identity is $POD_NAME, else the host name), at once when\n"
    "  it starts leading and then every DURATION, and writes wgpolicyk8s.io/v1alpha2 PolicyReports\n"
    "  (one per namespace, a ClusterPolicyReport clausegate-cluster) when their content changes.\n"
    "  With cluster access, CompliancePolicy and CompliancePolicyException resources are enforced\n"
    "  beside the --policies files (unless --no-policy-resources): each is compiled when it changes\n"
    "  and left out alone if it does not load; the replica holding the audit Lease, or without the\n"
    "  audit --status-lease (default $POD_NAMESPACE/clausegate-policy-status), writes their status.\n"
    "  --controller-namespace defaults to $POD_NAMESPACE (else the service account's namespace).\n";

// The namespace of this Pod's service account, or "default" outside a Pod.
std::string ServiceAccountNamespace() {
  std::ifstream in("/var/run/secrets/kubernetes.io/serviceaccount/namespace");
  std::string ns;
  std::getline(in, ns);
  return ns.empty() ? "default" : ns;
}

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "clausegate";
  return name;
}

bool ToInt(const std::string& s, long long lo, long long hi, long long* out) {
  try {
    size_t used = 0;
    long long v = std::stoll(s, &used);
    if (used != s.size() || v < lo || v > hi) return false;
    *out = v;
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

int RunServeCommand(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  server::ServerConfig config;
  std::vector<std::string> policy_paths;
  bool no_cluster = false, no_policy_resources = false;
  std::string status_lease;
  std::string kube_api, kube_token_file, kube_ca, kubeconfig, log_level = "info";
  std::string port, health_port, threads, max_body_bytes, eval_deadline_ms, shutdown_delay, max_connections,
      max_header_bytes, handshake_timeout, request_timeout, idle_timeout, drain_timeout, log_buffer_bytes;
  LoadFlags load_flags;
  std::string audit_interval, audit_lease, audit_identity, audit_lease_seconds, audit_page_size;
  Args parser("serve");
  parser.Values({"-p", "--policies"}, &policy_paths)
      .Switch({"--no-cluster"}, &no_cluster)
      .Value({"--kube-api"}, &kube_api)
      .Value({"--kubeconfig"}, &kubeconfig)
      .Value({"--kube-token-file"}, &kube_token_file)
      .Value({"--kube-ca"}, &kube_ca)
      .Value({"--log-level"}, &log_level)
      .Value({"--log-buffer-bytes"}, &log_buffer_bytes)
      .Value({"--tls-cert"}, &config.tls_cert)
      .Value({"--tls-key"}, &config.tls_key)
      .Value({"--client-ca"}, &config.client_ca)
      .Value({"--address"}, &config.address)
      .Value({"--port"}, &port)
      .Value({"--health-port"}, &health_port)
      .Value({"--threads"}, &threads)
      .Value({"--max-body-bytes"}, &max_body_bytes)
      .Value({"--max-connections"}, &max_connections)
      .Value({"--max-header-bytes"}, &max_header_bytes)
      .Value({"--handshake-timeout-seconds"}, &handshake_timeout)
      .Value({"--request-timeout-seconds"}, &request_timeout)
      .Value({"--idle-timeout-seconds"}, &idle_timeout)
      .Value({"--drain-timeout-seconds"}, &drain_timeout)
      .Value({"--eval-deadline-ms"}, &eval_deadline_ms)
      .Value({"--shutdown-delay-seconds"}, &shutdown_delay)
      .Value({"--audit-interval"}, &audit_interval)
      .Value({"--audit-lease"}, &audit_lease)
      .Value({"--audit-identity"}, &audit_identity)
      .Value({"--audit-lease-seconds"}, &audit_lease_seconds)
      .Value({"--audit-page-size"}, &audit_page_size)
      .Switch({"--no-policy-resources"}, &no_policy_resources)
      .Value({"--status-lease"}, &status_lease);
  load_flags.Declare(parser);
  const std::string usage = std::string(kUsage) + std::string(kLoadOptionsUsage);
  if (auto exit = parser.ParseOrExit(args, out, err, usage)) return *exit;
  // Numbers: each within its range, or a usage error that names the flag.
  bool numbers_ok = true;
  auto number = [&](const std::string& text, const char* flag, long long lo, long long hi, auto* into) {
    if (text.empty()) return;
    long long n = 0;
    if (ToInt(text, lo, hi, &n)) {
      *into = static_cast<std::remove_pointer_t<decltype(into)>>(n);
      return;
    }
    err << "clausegate serve: " << flag << " \"" << text << "\" is not a number from " << lo << " to " << hi << "\n";
    numbers_ok = false;
  };
  int shutdown_delay_s = 0;
  // Thousands of decision lines by default; a few MiB at most of memory per stream.
  size_t log_queue_bytes = 4 << 20;
  number(log_buffer_bytes, "--log-buffer-bytes", 4096, 1LL << 30, &log_queue_bytes);
  number(port, "--port", 0, 65535, &config.port);
  number(health_port, "--health-port", -1, 65535, &config.health_port);
  number(threads, "--threads", 1, 256, &config.threads);
  number(max_body_bytes, "--max-body-bytes", 1024, 64LL << 20, &config.limits.max_body_bytes);
  number(max_connections, "--max-connections", 1, 65536, &config.limits.max_connections);
  number(max_header_bytes, "--max-header-bytes", 1024, 1 << 20, &config.limits.max_header_bytes);
  auto seconds = [&](const std::string& text, const char* flag, long long hi, std::chrono::milliseconds* into) {
    long long s = -1;
    number(text, flag, 1, hi, &s);
    if (s > 0) *into = std::chrono::seconds(s);
  };
  seconds(handshake_timeout, "--handshake-timeout-seconds", 300, &config.limits.handshake_timeout);
  seconds(request_timeout, "--request-timeout-seconds", 300, &config.limits.request_timeout);
  seconds(idle_timeout, "--idle-timeout-seconds", 3600, &config.limits.idle_timeout);
  seconds(drain_timeout, "--drain-timeout-seconds", 300, &config.drain_timeout);
  number(eval_deadline_ms, "--eval-deadline-ms", 1, 30000, &config.eval_deadline_ms);
  number(shutdown_delay, "--shutdown-delay-seconds", 0, 300, &shutdown_delay_s);
  audit::BackgroundAuditOptions audit_options;
  int lease_seconds = 15;
  number(audit_lease_seconds, "--audit-lease-seconds", 3, 600, &lease_seconds);
  number(audit_page_size, "--audit-page-size", 1, 10000, &audit_options.page_size);
  if (!numbers_ok) return 2;
  int64_t audit_every = 0;
  if (!audit_interval.empty()) {
    auto d = ParseDuration(audit_interval);
    if (!d || *d < 0 || (*d > 0 && *d < 1'000'000'000)) {
      err << "clausegate serve: --audit-interval \"" << audit_interval
          << "\" is not a duration of at least 1s (Go syntax: 90s, 10m, 1h), or 0 for off\n";
      return 2;
    }
    audit_every = *d;
    audit_options.interval = std::chrono::milliseconds(*d / 1'000'000);
  }
  auto load_options = ReadLoadOptions("serve", load_flags, err);
  if (!load_options) return 2;
  const char* pod_ns = std::getenv("POD_NAMESPACE");
  const std::string own_namespace = pod_ns && *pod_ns ? pod_ns : ServiceAccountNamespace();
  if (load_options->controller_namespace.empty()) load_options->controller_namespace = own_namespace;
  if (log_level != "debug" && log_level != "info" && log_level != "warn" && log_level != "error") {
    err << "clausegate serve: --log-level must be debug, info, warn or error\n";
    return 2;
  }
  config.log_decisions = log_level == "debug" || log_level == "info";
  if (config.tls_cert.empty() || config.tls_key.empty()) {
    err << "clausegate serve: --tls-cert and --tls-key are required\n" << usage;
    return 2;
  }
  // Cluster access: explicit flags, else the Pod's service account, else none.
  std::optional<kube::KubeConfig> kube;
  std::string why = "--no-cluster";
  if (!no_cluster && !kube_api.empty()) {
    kube::KubeConfig c;
    std::string rest = kube_api;
    c.https = !rest.starts_with("http://");
    if (auto p = rest.find("://"); p != std::string::npos) rest = rest.substr(p + 3);
    auto colon = rest.rfind(':');
    c.host = colon == std::string::npos ? rest : rest.substr(0, colon);
    c.port = colon == std::string::npos ? (c.https ? 443 : 80) : std::atoi(rest.substr(colon + 1).c_str());
    c.ca_file = kube_ca;
    if (!kube_token_file.empty()) {
      std::ifstream t(kube_token_file);
      std::stringstream ss;
      ss << t.rdbuf();
      c.token = ss.str();
      while (!c.token.empty() && (c.token.back() == '\n' || c.token.back() == '\r')) c.token.pop_back();
    }
    kube = c;
  } else if (!no_cluster && !kubeconfig.empty()) {
    kube = kube::KubeConfig::FromKubeconfig(kubeconfig, &why);
    if (!kube) {
      err << "clausegate serve: " << why << "\n";
      return 2;
    }
  } else if (!no_cluster) {
    kube = kube::KubeConfig::FromServiceAccount(&why);
  }
  if (audit_every > 0 && !kube) {
    err << "clausegate serve: --audit-interval needs cluster access (" << why << ")\n";
    return 2;
  }
  const bool resources = kube && !no_policy_resources;
  if (policy_paths.empty() && !resources) {
    err << "clausegate serve: --policies is required without cluster access or with --no-policy-resources\n" << usage;
    return 2;
  }
  auto parse_lease = [&](const std::string& text, const char* flag, const std::string& default_name,
                         kube::LeaseOptions* lease) {
    lease->namespace_name = own_namespace;
    lease->name = default_name;
    if (!text.empty()) {
      auto slash = text.find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == text.size()) {
        err << "clausegate serve: " << flag << " \"" << text << "\" is not NAMESPACE/NAME\n";
        return false;
      }
      lease->namespace_name = text.substr(0, slash);
      lease->name = text.substr(slash + 1);
    }
    const char* pod = std::getenv("POD_NAME");
    lease->identity = !audit_identity.empty() ? audit_identity : pod && *pod ? pod : HostName();
    lease->lease_duration = std::chrono::seconds(lease_seconds);
    lease->renew_deadline = lease->lease_duration * 2 / 3;
    lease->retry_period = std::max(std::chrono::milliseconds(200), lease->lease_duration / 7);
    return true;
  };
  // One Lease decides who audits and who writes the resources' status: the audit's, or
  // without the audit one of its own.
  kube::LeaseOptions lease;
  if (audit_every > 0) {
    if (!parse_lease(audit_lease, "--audit-lease", "clausegate-audit", &lease)) return 2;
  } else if (resources) {
    if (!parse_lease(status_lease, "--status-lease", "clausegate-policy-status", &lease)) return 2;
  }

  // From here on the process logs through sinks on its own descriptors: a stalled
  // reader of stdout or stderr (a container runtime's log copier, a full pipe) costs
  // log lines, counted, never a request or a signal. Declared before everything
  // that logs, so that they outlive it.
  out.flush();
  err.flush();
  LogSink out_sink(STDOUT_FILENO, log_queue_bytes), err_sink(STDERR_FILENO, log_queue_bytes);
  std::ostream& log = err_sink.NewStream();
  server::PolicyStore store;
  server::Metrics metrics;
  server::PolicyComposer composer(store, *load_options, err_sink.NewStream());
  // Loads and compiles the files; any problem rejects them whole, and the last good
  // files keep serving beside the resources.
  server::PolicyLoader load = [policy_paths, options = *load_options, &composer]() -> std::vector<Issue> {
    if (policy_paths.empty()) {
      composer.SetFiles({}, {});
      return {};
    }
    policy::LoadResult loaded = policy::LoadPolicyPaths(policy_paths, options);
    if (!loaded.ok()) return loaded.issues;
    composer.SetFiles(std::move(loaded.policies), std::move(loaded.exceptions));
    return {};
  };
  auto first = load();
  if (!first.empty()) {
    for (const auto& i : first) log << i.ToString() << "\n";
    log << "clausegate serve: the policy set was rejected; not starting\n";
    return 2;
  }
  size_t count = store.Current().policies->policies().size();
  server::PolicyWatcher watcher(policy_paths, store, load, err_sink.NewStream());
  std::unique_ptr<server::NamespaceCache> namespaces;
  if (kube) {
    namespaces = std::make_unique<server::NamespaceCache>(*kube, err_sink.NewStream());
  } else {
    log << "{\"msg\":\"running without cluster access (" << why
        << "): namespaceSelector and namespaceObject see only the request\"}\n";
  }

  // A peer that closes while a response is written must cost that connection, not the
  // process: TLS writes to the socket directly, where SIGPIPE would kill it.
  signal(SIGPIPE, SIG_IGN);

  // Every connection is a descriptor: raise the soft limit to the hard one, which
  // needs no privilege, and say so if max-connections still cannot fit.
  rlimit nofile{};
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
    if (nofile.rlim_cur < nofile.rlim_max) {
      nofile.rlim_cur = nofile.rlim_max;
      setrlimit(RLIMIT_NOFILE, &nofile);
      getrlimit(RLIMIT_NOFILE, &nofile);
    }
    if (nofile.rlim_cur != RLIM_INFINITY && nofile.rlim_cur < config.limits.max_connections + 64) {
      log << ("{\"msg\":\"the open-files limit (" + std::to_string(nofile.rlim_cur) + ") is below --max-connections (" +
              std::to_string(config.limits.max_connections) + ") plus room; connections past it are refused\"}\n");
    }
  }

  // Signals are taken synchronously by this thread; the server threads never see them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto clock = [] {
    auto since = std::chrono::system_clock::now().time_since_epoch();
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(since);
    return clausegate::Timestamp{secs.count(),
                          static_cast<int32_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(since - secs).count())};
  };
  server::WebhookServer webhook(config, store, metrics, clock, out_sink);
  if (namespaces) {
    namespaces->Start();
    webhook.set_namespaces(namespaces.get());
  }
  // The background audit: one replica, by Lease; its figures on /metrics.
  audit::AuditMetrics audit_metrics;
  std::unique_ptr<audit::BackgroundAudit> background;
  std::unique_ptr<kube::LeaderElector> elector;
  if (audit_every > 0) {
    background = std::make_unique<audit::BackgroundAudit>(
        *kube, audit_options, [&store] { return store.Current().policies; }, clock, audit_metrics, err_sink.NewStream());
  }
  // The cluster's CompliancePolicy and CompliancePolicyException resources; the leader
  // writes their status.
  std::unique_ptr<server::PolicyResources> policy_resources;
  if (resources) {
    server::PolicyResourcesOptions options;
    options.load = *load_options;
    options.clock = clock;
    options.leading = [&elector] { return elector && elector->leading(); };
    policy_resources = std::make_unique<server::PolicyResources>(*kube, std::move(options), composer, err_sink.NewStream());
    composer.set_on_files_changed([r = policy_resources.get()] { r->Wake(); });
    webhook.set_readiness([r = policy_resources.get()] {
      return r->synced() ? std::string() : std::string("the CompliancePolicy resources have not been listed yet");
    });
  }
  if (background || policy_resources) {
    elector = std::make_unique<kube::LeaderElector>(
        *kube, lease,
        [b = background.get(), r = policy_resources.get()](bool leading) {
          if (b) b->SetLeading(leading);
          if (r) r->Wake();
        },
        err_sink.NewStream());
  }
  webhook.set_more_metrics([&audit_metrics, audit = background != nullptr, r = policy_resources.get(), &out_sink,
                            &err_sink] {
    std::string text = LogMetrics(out_sink, err_sink);
    if (audit) text += audit_metrics.Render();
    if (r) text += r->RenderMetrics();
    return text;
  });
  std::string error;
  if (!webhook.Start(&error)) {
    log << "clausegate serve: " << error << "\n";
    return 2;
  }
  if (!watcher.Start(&error)) log << "{\"msg\":\"" << error << "; policies will not reload\"}\n";
  if (policy_resources) policy_resources->Start();
  if (elector) elector->Start();
  if (background) {
    background->Start();
    log << ("{\"msg\":\"auditing while leading\",\"lease\":\"" + lease.namespace_name + "/" + lease.name +
            "\",\"identity\":\"" + lease.identity + "\",\"intervalSeconds\":" +
            std::to_string(audit_every / 1'000'000'000) + "}\n") << std::flush;
  }
  // One write per line: readers (supervisors, tests) never see half a line.
  log << ("{\"msg\":\"serving\",\"port\":" + std::to_string(webhook.port()) + ",\"healthPort\":" +
          std::to_string(webhook.health_port()) + ",\"policies\":" + std::to_string(count) + "}\n")
      << std::flush;
  int sig = 0;
  sigwait(&signals, &sig);
  auto delay_ends = std::chrono::steady_clock::now() + std::chrono::seconds(shutdown_delay_s);
  if (shutdown_delay_s > 0) {
    // Keep answering, but report not ready, until the endpoints have dropped this
    // replica (a second signal cuts the wait short).
    webhook.BeginShutdown();
    log << ("{\"msg\":\"shutting down\",\"signal\":" + std::to_string(sig) + ",\"delaySeconds\":" +
            std::to_string(shutdown_delay_s) + "}\n") << std::flush;
  }
  // The Lease is given up first, so that another replica audits at once.
  if (elector) elector->Stop();
  if (background) background->Stop();
  auto left = delay_ends - std::chrono::steady_clock::now();
  if (shutdown_delay_s > 0 && left > std::chrono::milliseconds(0)) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec wait{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    sigtimedwait(&signals, nullptr, &wait);
  }
  log << "{\"msg\":\"draining\",\"signal\":" << sig << "}\n" << std::flush;
  webhook.Stop();
  watcher.Stop();
  if (policy_resources) policy_resources->Stop();
  if (namespaces) namespaces->Stop();
  log << "{\"msg\":\"stopped\"}\n";
  return 0;
}

}  // namespace clausegate::cli
