# Two commands for a new user: `make run` and `make test`. Everything else is set up here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: setup run test lint clean

$(INSTALLED): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "需要 Python 3.11 或更高版本")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --constraint constraints.txt --editable '.[dev]'
	touch $(INSTALLED)

setup: $(INSTALLED)

run: setup
	$(BIN)/huizong init
	$(BIN)/huizong templates
	$(BIN)/huizong check inbox
	@echo "尚待后续阶段实现：入库（warehouse）、夜间流程（flows）、提醒邮件、报告生成；本次已生成各单位填报表（outputs/templates/）并试读、校验了收件箱。"

lint: setup
	$(BIN)/ruff check .

test: lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) var outputs outbox
