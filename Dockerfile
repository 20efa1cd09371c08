# syntax=docker/dockerfile:1
# The clausegate image: built on Debian bookworm with the packages the README lists,
# run from a minimal image (glibc and CA roots only) as a non-root numeric user, with
# no shell. Base images are pinned by digest; override them with --build-arg.
#
#   docker build -t clausegate .                          # the image
#   docker build --build-arg RUN_TESTS=true -t clausegate .   # and run the tests while building
ARG BUILD_IMAGE=debian:bookworm@sha256:4482958b4461ff7d9fabc24b3a9ab1e9a2c85ece07b2db1840c7cbc01d053e90
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot@sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f

FROM ${BUILD_IMAGE} AS build
ARG RUN_TESTS=false
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config ccache \
      libcpp-httplib-dev libyaml-cpp-dev libyaml-dev nlohmann-json3-dev libssl-dev \
      libre2-dev libsimdjson-dev libboost1.74-dev catch2 tzdata python3 python3-yaml curl openssl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . ./
# A compiler cache kept between builds (BuildKit and buildah): an unchanged file is not
# compiled again.
ENV CCACHE_DIR=/root/.cache/ccache CCACHE_BASEDIR=/src
# The build that ships: -O3 with profile-guided optimisation, trained on the policy
# library's own suites (scripts/pgo-build.sh).
RUN --mount=type=cache,target=/root/.cache/ccache \
    if [ "$RUN_TESTS" = "true" ]; then targets=""; else targets=clausegate; fi \
 && PGO_TARGETS="$targets" bash scripts/pgo-build.sh /build -DCLAUSEGATE_BENCH=OFF \
      -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache \
 && if [ "$RUN_TESTS" = "true" ]; then (cd /build && ctest --output-on-failure -j2); fi \
 && strip /build/controller/cli/clausegate \
 && scripts/image-rootfs.sh /build/controller/cli/clausegate policies /rootfs

FROM ${RUNTIME_IMAGE}
COPY --from=build /rootfs/ /
USER 65532:65532
EXPOSE 8443 8080
ENTRYPOINT ["clausegate"]
CMD ["serve", "--policies", "/etc/clausegate/policies", "--tls-cert", "/etc/clausegate/tls/tls.crt", "--tls-key", "/etc/clausegate/tls/tls.key"]
