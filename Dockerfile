# syntax=docker/dockerfile:1
# The release image: the official Fluent Bit 5.1.1 image with the siem_cef output plugin, its
# configuration and the siem-cef tool. Build: make docker (IMAGE=… VERSION=…). See README.md.
#
# What the base image is (fluent/fluent-bit, dockerfiles/Dockerfile at tag v5.1.1, stage
# "production"): gcr.io/distroless/cc-debian13, so Debian 13 with glibc 2.41, no shell and no package
# manager; it runs as root; Fluent Bit is /fluent-bit/bin/fluent-bit, its configuration directory
# /fluent-bit/etc (with parsers.conf), its entry point ["/fluent-bit/bin/fluent-bit"].
#
# The plugin is built on Debian 12 (glibc 2.36): a library built against a glibc loads with that
# glibc or any newer one, and scripts/check-abi.sh refuses a library that needs more than the base
# image has. Both images are pinned by tag and by the digest of their multi-platform index (the
# digest wins; the tag says what it is): change both together.
ARG GO_VERSION=1.26.8
ARG GO_DIGEST=sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d
ARG FLUENT_BIT_VERSION=5.1.1
ARG FLUENT_BIT_DIGEST=sha256:a941bdd5ca552b2c6597fc7b3bccf2e61d30873939bab5700963de0e94ac6169

FROM golang:${GO_VERSION}-bookworm@${GO_DIGEST} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -buildmode=c-shared -trimpath -o /out/out_siem_cef.so ./plugin \
 && CGO_ENABLED=0 go build -trimpath -o /out/siem-cef ./cmd/siem-cef \
 && rm -f /out/out_siem_cef.h \
 && scripts/check-abi.sh /out/out_siem_cef.so \
 && mkdir -p /out/buffer

FROM fluent/fluent-bit:${FLUENT_BIT_VERSION}@${FLUENT_BIT_DIGEST}
ARG FLUENT_BIT_VERSION
ARG FLUENT_BIT_DIGEST
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="siem_cef" \
      org.opencontainers.image.description="Fluent Bit ${FLUENT_BIT_VERSION} with the siem_cef output plugin: container-security events as CEF over syslog to any SIEM" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/kcs-siem/siem-cef" \
      org.opencontainers.image.documentation="https://github.com/kcs-siem/siem-cef#readme" \
      org.opencontainers.image.base.name="docker.io/fluent/fluent-bit:${FLUENT_BIT_VERSION}" \
      org.opencontainers.image.base.digest="${FLUENT_BIT_DIGEST}"

# The plugin at a conventional plugins path, loaded by plugins.conf (Plugins_File of both configs).
COPY --from=build /out/out_siem_cef.so /fluent-bit/plugins/out_siem_cef.so
# The companion tool (check-config, test-connection, render, listen, chunk):
#   docker run --rm --entrypoint /fluent-bit/bin/siem-cef IMAGE check-config /fluent-bit/etc/fluent-bit.conf
COPY --from=build /out/siem-cef /fluent-bit/bin/siem-cef
# plugins.conf and fluent-bit.conf replace the base image's examples; fluent-bit.yaml is the same
# configuration in YAML (-c /fluent-bit/etc/fluent-bit.yaml).
COPY plugins.conf fluent-bit.conf fluent-bit.yaml /fluent-bit/etc/
# storage.path of the configuration: mount a volume (Docker) or a hostPath (Kubernetes) here so
# that the chunks waiting for a SIEM survive the container.
COPY --from=build /out/buffer /fluent-bit/buffer

# 2020: HTTP server (GET /api/v1/health, metrics, POST /api/v2/reload). The forward input (24224)
# of fluent-bit.conf listens on the container's loopback only, for senders beside it: publishing it
# reaches nothing. A configuration that opens it to the network (Shared_Key, tls On) publishes it.
EXPOSE 2020

# The health check is Fluent Bit's HTTP endpoint /api/v1/health, probed from outside (Kubernetes
# probes, a load balancer): the base image has no shell, curl or wget to run a HEALTHCHECK with.
# Never add -d (daemon mode): the Go runtime of the plugin does not survive the fork.
ENTRYPOINT ["/fluent-bit/bin/fluent-bit"]
CMD ["-c", "/fluent-bit/etc/fluent-bit.conf"]
