# siem_cef: the Fluent Bit output plugin, its test host and its command-line tool.
GO      ?= go
CC      ?= gcc
BUILD   := build
SO      := $(BUILD)/out_siem_cef.so
HOST    := $(BUILD)/flb-host
CLI     := $(BUILD)/siem-cef
IMAGE   ?= siem-cef:dev
GOFILES := $(shell find . -name '*.go' -not -path './build/*')

.PHONY: all build test test-deps lint check-abi run bench bench-fluent-bit pgo instructions fuzz docker clean

all: build

build: $(SO) $(HOST) $(CLI)

# go build optimises the plugin with plugin/default.pgo, its CPU profile (`make pgo`).
$(SO): $(GOFILES) go.mod go.sum plugin/default.pgo
	$(GO) build -buildmode=c-shared -trimpath -o $@ ./plugin

$(HOST): test/host/host.c
	@mkdir -p $(BUILD)
	$(CC) -O2 -Wall -Wextra -Werror -pthread -rdynamic -o $@ $< -ldl

$(CLI): $(GOFILES) go.mod go.sum
	$(GO) build -trimpath -o $@ ./cmd/siem-cef

# The tests build the .so and the host themselves (test/e2e), so `go test ./...` alone is complete;
# the allocation tests run again built with the plugin's profile, as the .so is: what the profile
# inlines changes what escapes to the heap. test-deps installs the Debian packages the tests need
# when one is missing.
test: test-deps
	$(MAKE) lint check-abi
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -pgo=$(CURDIR)/plugin/default.pgo -run 'Allocate' ./record ./schema ./filter ./product ./cef ./pipeline
	$(GO) test -count=1 -race ./plugin ./deliver ./pipeline

test-deps:
	scripts/test-deps.sh

# gofmt, go vet, staticcheck, shellcheck and yamllint, each on every file of its kind.
lint:
	GO=$(GO) scripts/lint.sh

# The .so, built afresh, against the official Fluent Bit 5.1.1 image: glibc's libraries only, no glibc
# symbol newer than the image's 2.41, the entry points Fluent Bit looks up. ABI_SO=path checks a
# library already built.
check-abi:
	GO=$(GO) scripts/check-abi.sh $(ABI_SO)

# The main job on the embedded default: the sample events through the plugin to a local receiver.
run: build
	scripts/run.sh

# Every benchmark with its baselines, measured in the same run, as one table.
bench:
	scripts/bench.sh

# plugin/default.pgo, the profile the plugin is built with, from the benchmarks of every event shape.
pgo:
	scripts/pgo.sh

# Instructions per event of each benchmark, exact on a busy machine (valgrind; PGO=1 as built).
instructions:
	scripts/instructions.sh

# null, the C syslog output and siem_cef in the real Fluent Bit that FLUENT_BIT names (EVENTS, ROUNDS).
bench-fluent-bit:
	scripts/bench-fluent-bit.sh

# The release image (Dockerfile); VERSION and the commit go into its OCI labels.
VERSION ?= dev
docker:
	docker build --build-arg VERSION=$(VERSION) \
	  --build-arg REVISION=$$(git rev-parse HEAD 2>/dev/null || echo unknown) -t $(IMAGE) .

clean:
	rm -rf $(BUILD)

# Each fuzz target for FUZZTIME; what a run finds new is kept in Go's cache, and a failing input in
# the package's testdata/fuzz, where `go test` replays it from then on.
FUZZTIME ?= 10m
# A short minimisation keeps a long run fuzzing: minimising a large new input takes a minute by default.
FUZZFLAGS ?= -fuzzminimizetime 5s
fuzz:
	$(GO) test ./pipeline -run '^$$' -fuzz '^FuzzPipeline$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)
	$(GO) test ./cef -run '^$$' -fuzz '^FuzzEncodeParse$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)
	$(GO) test ./record -run '^$$' -fuzz '^FuzzDecoder$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)
	$(GO) test ./record -run '^$$' -fuzz '^FuzzEmbeddedJSON$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)
	$(GO) test ./record -run '^$$' -fuzz '^FuzzJSONAgainstStdlib$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)
	$(GO) test ./record -run '^$$' -fuzz '^FuzzMsgpack$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)
	$(GO) test ./record -run '^$$' -fuzz '^FuzzMemoSlots$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)
	$(GO) test ./cef -run '^$$' -fuzz '^FuzzAppendFit$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)
	$(GO) test ./cef -run '^$$' -fuzz '^FuzzEscaping$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)
	$(GO) test ./cef -run '^$$' -fuzz '^FuzzTrimBlanks$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)
	$(GO) test ./pipeline -run '^$$' -fuzz '^FuzzAggregate$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)
	$(GO) test ./schema -run '^$$' -fuzz '^FuzzIsIPv4$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)
	$(GO) test ./record -run '^$$' -fuzz '^FuzzJSONNumber$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)
	$(GO) test ./record -run '^$$' -fuzz '^FuzzAsIntString$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)
	$(GO) test ./record -run '^$$' -fuzz '^FuzzWalk$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)
	$(GO) test ./product -run '^$$' -fuzz '^FuzzWriter$$' -fuzztime $(FUZZTIME) $(FUZZFLAGS)
