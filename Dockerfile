# syntax=docker/dockerfile:1
# Build on Debian bookworm with the packages the README lists; run on a minimal
# image as a non-root numeric user with no shell.

FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libcpp-httplib-dev libyaml-cpp-dev nlohmann-json3-dev libssl-dev \
      libre2-dev libsimdjson-dev catch2 tzdata \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY controller ./controller
COPY tests ./tests
COPY policies ./policies
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLAUSEGATE_BENCH=OFF \
 && cmake --build /build --target clausegate -j2 \
 && strip /build/controller/cli/clausegate \
 && mkdir -p /rootfs/usr/local/bin /rootfs/usr/lib /rootfs/usr/share \
 && cp /build/controller/cli/clausegate /rootfs/usr/local/bin/ \
 && cp -a /usr/share/zoneinfo /rootfs/usr/share/zoneinfo \
 && for lib in $(ldd /build/controller/cli/clausegate | awk '/=>/ {print $3}'); do \
      mkdir -p /rootfs$(dirname "$lib") && cp -L "$lib" /rootfs"$lib"; \
    done

# distroless/cc carries glibc and libstdc++; the rest of the runtime libraries
# (RE2, yaml-cpp, simdjson, OpenSSL) come from the build stage.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /rootfs/ /
COPY policies /etc/clausegate/policies
USER 65532:65532
ENTRYPOINT ["clausegate"]
CMD ["--help"]
