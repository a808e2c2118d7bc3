# The two commands a newcomer needs: `make run` (the app) and `make test` (every test, browser ones too).
# Each sets itself up on first use and is quick the second time.

VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
# A CPU build of torch is enough for the playground; override with e.g. `make run TORCH=torch` for CUDA.
TORCH   ?= torch==2.13.0
PORT    ?= 8501
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test lint browser clean

run: $(STAMP)
	$(VENV)/bin/streamlit run app.py --server.port $(PORT)

test: $(STAMP) browser
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q "$(TORCH)" || $(PY) -m pip install -q "torch>=2.2"
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

# Debian's Chromium drives the browser tests (Playwright's own browser download is not used).
browser:
	@test -x $(CHROMIUM) || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }

clean:
	rm -rf $(VENV) .pytest_cache
