# The two commands a new user needs:
#   make demo   - install what is missing, build, and run the main job
#   make check  - install what is missing, build, and pass the whole test suite
#                 (a plain build, then the same suite under ASan + UBSan)
#   make check-no-onnx - build without the ONNX engine (-DANCHOR_WITH_ONNX=OFF) and pass
#                 its suite: what a user who brings only a C callback or a program gets
#   make fuzz FUZZ_SECONDS=N - build the libFuzzer targets with clang (build-fuzz) and run
#                 each for N seconds (fuzz/run.sh)
#   make zoo    - export issue 9's 22 torchvision architectures at opsets 13, 14 and 17 into
#                 $(BUILD)/zoo (kept as a cache, some GB) and print the engine's table
#                 against PyTorch (tests/predict/onnx/zoo.sh; ZOO_ARCHS=a,b ZOO_OPSETS=13 narrow it)
MAKEFLAGS  += --no-print-directory
BUILD      ?= build
BUILD_SAN  ?= build-sanitize
BUILD_NO_ONNX ?= build-no-onnx
BUILD_FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS       ?= $(shell nproc)
SHARED     ?= $(abspath ../shared)
ANCHOR_IMAGE ?= $(SHARED)/images/chelsea.png
ANCHOR_MODEL ?= $(SHARED)/models/squeezenet1.1_fp32_from_winml_fp16.onnx
DEMO_OUT   ?= demo-out

.PHONY: all deps build check check-fast check-sanitize check-no-onnx install demo bench fuzz zoo clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DANCHOR_SHARED_DIR=$(SHARED) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

check-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

check-sanitize: deps
	@cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DANCHOR_SANITIZE=ON -DANCHOR_SHARED_DIR=$(SHARED) >/dev/null
	@cmake --build $(BUILD_SAN) -j $(JOBS)
	cd $(BUILD_SAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS) -LE slow

check: check-fast check-sanitize

# the slow label is left to the full build: those runs do not touch the engine
check-no-onnx: deps
	@cmake -S . -B $(BUILD_NO_ONNX) -DCMAKE_BUILD_TYPE=Release -DANCHOR_WITH_ONNX=OFF -DANCHOR_SHARED_DIR=$(SHARED) >/dev/null
	@cmake --build $(BUILD_NO_ONNX) -j $(JOBS)
	cd $(BUILD_NO_ONNX) && ctest --output-on-failure -j $(JOBS) -LE slow

# PREFIX=/where make install
install: build
	cmake --install $(BUILD) $(if $(PREFIX),--prefix $(PREFIX))

fuzz: deps
	@CC=clang cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DANCHOR_FUZZ=ON -DANCHOR_SHARED_DIR=$(SHARED) >/dev/null
	@cmake --build $(BUILD_FUZZ) -j $(JOBS) --target $$(cd fuzz && ls fuzz_*.c | sed 's/\.c$$//')
	@bash fuzz/run.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

demo: build
	@bash scripts/demo.sh "$(BUILD)/anchor" "$(ANCHOR_IMAGE)" "$(ANCHOR_MODEL)" "$(DEMO_OUT)"

bench: build
	@bash bench/run.sh "$(BUILD)/anchor" "$(SHARED)"

zoo: build
	@ANCHOR_ZOO=1 ANCHOR_SOURCE=$(CURDIR) ANCHOR_SHARED=$(SHARED) bash tests/predict/onnx/zoo.sh \
		"$(BUILD)/tests/predict/onnx/test_onnx_zoo" "$(abspath $(BUILD))/zoo"

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_NO_ONNX) $(BUILD_FUZZ) $(DEMO_OUT)
