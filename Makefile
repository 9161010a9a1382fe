# The two set-up commands of the README. Both create ./.venv and install into it.
#   make run   — install oculi and the default offline models, then run the assistant
#   make test  — install oculi, the test extras and the test models, then run the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# llama.cpp is compiled for this CPU (-march=native), but not for its AMX tiles: in some virtual
# machines (seen in a Firecracker guest) the CPU reports AMX while loading a tile configuration
# faults, and every generation crashed. AMX only speeds up int8/bf16 batches on big Xeons.
NO_AMX := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
export CMAKE_ARGS ?= -DCMAKE_C_FLAGS='$(NO_AMX)' -DCMAKE_CXX_FLAGS='$(NO_AMX)'

.PHONY: run test eval install install-test browser bench clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-test: $(BIN)/python browser
	$(BIN)/python -m pip install --quiet -e ".[test]"

# The HUD tests drive Debian's Chromium; the XR test also fetches Meta's IWER emulator with npm.
# Only what is missing is installed, each on its own (Debian's npm conflicts with a Node.js
# that already brings npm). Without them (not root, no apt) those tests skip.
browser:
	@for tool in chromium npm; do command -v $$tool >/dev/null 2>&1 && continue; \
		{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$tool >/dev/null; } } \
		|| echo "$$tool not installed: the HUD and XR browser tests that need it will be skipped"; done

run: install
	$(BIN)/oculi models pull --stack default
	$(BIN)/oculi doctor
	$(BIN)/oculi live

# Everything but the answer-quality evaluations (those take tens of minutes: `make eval`).
test: install-test
	$(BIN)/oculi models pull --stack test
	$(BIN)/python -m pytest -m "not eval" --durations=25 $(PYTEST_ARGS)

# Answer-quality evaluations with the default model; each prints its score.
eval: install-test
	$(BIN)/oculi models pull --stack test
	$(BIN)/python -m pytest -m eval -s $(PYTEST_ARGS)

bench: install
	$(BIN)/oculi bench llm

clean-venv:
	rm -rf $(VENV)
