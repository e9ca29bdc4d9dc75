# Two commands on a fresh machine with Python 3.11+ (see README):
#   make demo   set up .venv and run the demo on an encrypted demo database
#   make test   set up .venv with the test extras; lint (ruff), type-check (mypy), run the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := demo

.PHONY: demo test venv bench clean

$(BIN)/vetcards: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(BIN)/vetcards

venv: $(BIN)/vetcards

demo: venv
	rm -rf $(DEMO) && mkdir -m 700 $(DEMO)
	$(BIN)/vetcards --db $(DEMO)/practice.db init --new-key-file $(DEMO)/practice.key
	$(BIN)/vetcards --db $(DEMO)/practice.db --key-file $(DEMO)/practice.key practice set \
	    --name "Dierenkliniek De Linde" --street "Lindelaan 3" --postcode "3511 AB" --city Utrecht \
	    --btw NL000099998B57 --kvk 12345678 --iban "NL91 ABNA 0417 1643 00"
	$(BIN)/vetcards --db $(DEMO)/practice.db --key-file $(DEMO)/practice.key client add \
	    --name "Anna de Vries" --street "Dorpsstraat 12" --postcode "1234 ab" --city Utrecht \
	    --phone "06 12345678" --email anna.devries@example.nl --consent --reminders
	$(BIN)/vetcards --db $(DEMO)/practice.db --key-file $(DEMO)/practice.key pet add K000001 \
	    --name Bello --species hond --breed Labrador --sex "male neutered" --birth-date 01-05-2020 \
	    --chip 528210000000001 --weight 31,4 --colour blond --coat kort --insured
	$(BIN)/vetcards --db $(DEMO)/practice.db --key-file $(DEMO)/practice.key pet add K000001 \
	    --name Minoes --species kat --sex "female spayed" --birth-date 2019-03-15 --weight 4,2 --not-insured
	$(BIN)/vetcards --db $(DEMO)/practice.db --key-file $(DEMO)/practice.key client show K000001

test: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 -q

bench: venv
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) $(DEMO) build *.egg-info src/*.egg-info
