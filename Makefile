# The two commands a newcomer needs: `make run` (the app) and `make test` (every test, browser ones too).
# Each sets itself up on first use and is quick the second time.

VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
# A CPU build of torch is enough for the playground; override with e.g. `make run TORCH=torch` for CUDA.
TORCH   ?= torch==2.13.0
PORT    ?= 8501
CHROMIUM ?= /usr/bin/chromium
PIP_FLAGS ?= --disable-pip-version-check

.PHONY: run test lint browser clean

run: $(STAMP)
	$(VENV)/bin/streamlit run app.py --server.port $(PORT)

test: $(STAMP) browser
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# pip says what it collects and installs (a download shows a progress bar in a terminal, one line in a log);
# without -q the first run, which takes a minute or two, is not a long silence.
$(STAMP): pyproject.toml
	@echo "== Setting up $(VENV): the first run installs torch, Streamlit and the test tools (a minute or two)."
	@test -x $(PY) || { echo "== Creating the virtual environment $(VENV)"; python3 -m venv $(VENV); }
	@echo "== Installing $(TORCH)"
	@$(PY) -m pip install $(PIP_FLAGS) "$(TORCH)" || { \
	  echo "== $(TORCH) could not be installed; trying torch>=2.2 instead"; \
	  $(PY) -m pip install $(PIP_FLAGS) "torch>=2.2"; }
	@echo "== Installing the playground and its dependencies"
	@$(PY) -m pip install $(PIP_FLAGS) -e ".[test,ray]"
	@touch $(STAMP)
	@echo "== Set-up done; later runs skip it until pyproject.toml changes."

# Debian's Chromium drives the browser tests (Playwright's own browser download is not used).
browser:
	@test -x $(CHROMIUM) || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }

clean:
	rm -rf $(VENV) .pytest_cache
