# siem_cef: the Fluent Bit output plugin, its test host and its command-line tool.
GO      ?= go
CC      ?= gcc
BUILD   := build
SO      := $(BUILD)/out_siem_cef.so
HOST    := $(BUILD)/flb-host
CLI     := $(BUILD)/siem-cef
IMAGE   ?= siem-cef:dev
GOFILES := $(shell find . -name '*.go' -not -path './build/*')

.PHONY: all build test lint run bench fuzz docker clean

all: build

build: $(SO) $(HOST) $(CLI)

$(SO): $(GOFILES) go.mod go.sum
	$(GO) build -buildmode=c-shared -trimpath -o $@ ./plugin

$(HOST): test/host/host.c
	@mkdir -p $(BUILD)
	$(CC) -O2 -Wall -Wextra -Werror -pthread -o $@ $< -ldl

$(CLI): $(GOFILES) go.mod go.sum
	$(GO) build -trimpath -o $@ ./cmd/siem-cef

# The tests build the .so and the host themselves (test/e2e), so `go test ./...` alone is complete.
test: lint
	$(GO) test -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# The main job on the embedded default: the sample events through the plugin to a local receiver.
run: build
	scripts/run.sh

# Every benchmark with its baselines, measured in the same run, as one table.
bench:
	scripts/bench.sh

docker:
	docker build -t $(IMAGE) .

clean:
	rm -rf $(BUILD)

# Each fuzz target for FUZZTIME; what a run finds new is kept in Go's cache, and a failing input in
# the package's testdata/fuzz, where `go test` replays it from then on.
FUZZTIME ?= 10m
fuzz:
	$(GO) test ./cef -run '^$$' -fuzz '^FuzzEncodeParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./record -run '^$$' -fuzz '^FuzzDecoder$$' -fuzztime $(FUZZTIME)
