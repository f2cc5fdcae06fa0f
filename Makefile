# CRM Unified: the two commands of README.md, plus lint.
.PHONY: run test lint test-addon format bench

run:            ## set up and start Odoo with the three addons and demo data on http://localhost:8069
	bash scripts/run.sh

test:           ## set up and run the whole test suite (lint, addon tests, tours, cross-addon suite, platform checks)
	bash scripts/test.sh

test-addon:     ## one addon's own tests: make test-addon ADDON=crm_unified_support
	CRM_UNIFIED_TEST_ADDON=$(ADDON) bash scripts/test.sh

lint:
	bash scripts/lint.sh

format:
	python3 -m ruff check --fix . && python3 -m ruff format .

bench:          ## benchmark suite by hand: make bench SIZE=M (S, M or L; see tests/benchmarks/README.md)
	bash scripts/bench.sh $(or $(SIZE),M)
