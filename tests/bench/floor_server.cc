// The floor for `serve`: the same HTTP layer, TLS settings and thread count, with a
// handler that only decodes the AdmissionReview with simdjson and allows it. What
// `serve` does beyond this is the cost of judging; scripts/bench-webhook.sh drives
// both with the same load in the same run and prints their ratio.
//
// usage: bench_floor_server CERT KEY [THREADS]   (prints the bound port, serves until killed)

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <simdjson.h>

#include "server/http/http_server.h"

using namespace clausegate::server::http;

namespace {

HttpResponse Review(simdjson::dom::parser& parser, const HttpRequest& req) {
  HttpResponse r;
  if (req.method != "POST" || req.target != "/validate") {
    r.status = 404;
    return r;
  }
  simdjson::dom::element doc;
  std::string_view uid;
  if (parser.parse(req.body).get(doc) || doc["request"]["uid"].get(uid)) {
    r.status = 400;
    r.body = "not an AdmissionReview";
    return r;
  }
  r.content_type = "application/json";
  r.body = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":")";
  r.body.append(uid);
  r.body += R"(","allowed":true}})";
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_floor_server CERT KEY [THREADS]\n");
    return 2;
  }
  // SIGTERM and SIGINT are waited for below, by the main thread alone (the I/O
  // threads inherit the mask); a client closing during a TLS write must not kill us.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  std::string cert = argv[1], key = argv[2];
  int threads = argc > 3 ? std::atoi(argv[3]) : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  HttpServer server(HttpLimits{}, threads, HttpEvents{});
  Listener l;
  l.address = "127.0.0.1";
  l.port = 0;
  // The settings `serve` uses (TLS 1.2+, ECDHE AEAD ciphers, released idle buffers).
  l.configure_tls = [cert, key](SSL_CTX* ctx, std::string* why) {
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
      *why = "cannot read " + cert + " / " + key;
      return false;
    }
    return true;
  };
  // A parser per I/O thread: a connection's handlers never change threads, and a
  // parser reused keeps its buffers, as `serve`'s decoder does.
  l.handler = [](const HttpRequest& req) {
    thread_local simdjson::dom::parser parser;
    return Review(parser, req);
  };
  std::string error;
  int port = server.Listen(std::move(l), &error);
  if (port < 0) {
    std::fprintf(stderr, "bench_floor_server: %s\n", error.c_str());
    return 1;
  }
  std::printf("%d\n", port);
  std::fflush(stdout);
  server.Start();
  int sig = 0;
  sigwait(&set, &sig);
  server.Shutdown(std::chrono::milliseconds(1000));
  return 0;
}
