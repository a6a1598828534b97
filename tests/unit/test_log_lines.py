"""Every log line is counted by level and logger (plumbing/logs.py's LineCounter), in every process
that configures logging from config.yaml (tests/operating/test_prometheus.py sees each process's
counts in Prometheus)."""

import logging
import logging.config

from prometheus_client import REGISTRY

from plumbing.config import load_config
from plumbing.logs import LineCounter


def lines(level: str, logger: str) -> float:
    return REGISTRY.get_sample_value("oms_log_lines_total", {"level": level, "logger": logger}) or 0


def test_lines_are_counted_by_level_and_logger_as_far_as_they_are_written():
    log = logging.getLogger("tests.counted")
    log.propagate, log.level = False, logging.INFO
    log.addHandler(counter := LineCounter())
    try:
        before = {level: lines(level, log.name) for level in ("ERROR", "INFO", "DEBUG")}
        log.error("one")
        log.error("two")
        log.info("three")
        log.debug("below the logger's level: not written, not counted")
        assert {level: lines(level, log.name) - was for level, was in before.items()} == {
            "ERROR": 2, "INFO": 1, "DEBUG": 0}
    finally:
        log.removeHandler(counter)


def test_the_shared_logging_config_counts_every_line_the_console_writes():
    logging_config = load_config()["LOGGING"]
    assert logging_config["handlers"]["counted"]["class"] == "plumbing.logs.LineCounter"
    assert {"console", "counted"} <= set(logging_config["root"]["handlers"])
    assert "level" not in logging_config["handlers"]["counted"]  # as many lines as the console's
