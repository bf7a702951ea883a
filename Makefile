# Two commands for a new user: `make run` and `make test`. Everything else is set up here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: setup run test test-slow lint clean

$(INSTALLED): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "需要 Python 3.11 或更高版本")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --constraint constraints.txt --editable '.[dev]'
	touch $(INSTALLED)

setup: $(INSTALLED)

run: setup
	$(BIN)/huizong init
	$(BIN)/huizong templates
	$(BIN)/huizong run
	@echo "产出在 outputs/：report.docx / report.md（报告初稿）、indicator_table.csv/.xlsx（汇总表）、issues.csv（问题清单）、ledger.csv（报送台账）、templates/（填报表）；给各单位的邮件在 outbox/（.eml）。后台 Prefect 服务供之后的命令使用，闲置 30 分钟自动停止（或 .venv/bin/huizong stop-server）。"
	@echo "审核台（网页）：先用 .venv/bin/huizong user add 用户名 --role office 创建第一个账号，再运行 .venv/bin/huizong console，用浏览器打开 http://127.0.0.1:8100 。"

lint: setup
	$(BIN)/ruff check .

test: lint
	$(BIN)/pytest

# The whole-system tests of minutes each (kill -9 anywhere, shared Prefect servers, a
# work pool on PostgreSQL); CI runs them after `make test`.
test-slow: setup
	$(BIN)/pytest -m slow

clean:
	rm -rf $(VENV) var outputs outbox
