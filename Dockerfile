# syntax=docker/dockerfile:1
# The plugin in the official Fluent Bit image. The .so is built on Debian 12 (glibc 2.36), which is no
# newer than the glibc of the Fluent Bit 5.1 image, so every symbol it needs is there at run time.
ARG GO_VERSION=1.26.8
ARG FLUENT_BIT_VERSION=5.1.1

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -buildmode=c-shared -trimpath -o /out/out_siem_cef.so ./plugin \
 && CGO_ENABLED=0 go build -trimpath -o /out/siem-cef ./cmd/siem-cef

FROM fluent/fluent-bit:${FLUENT_BIT_VERSION}
LABEL org.opencontainers.image.title="siem_cef" \
      org.opencontainers.image.description="Fluent Bit with the siem_cef output: container-security events as CEF to any SIEM"
COPY --from=build /out/out_siem_cef.so /fluent-bit/plugins/out_siem_cef.so
COPY --from=build /out/siem-cef /fluent-bit/bin/siem-cef
COPY plugins.conf fluent-bit.conf /fluent-bit/etc/
EXPOSE 2020 24224
