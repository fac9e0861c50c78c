"""Compact progress lines for `brw run`: one line per step and per asset, failures in full.

A Dagster logger: it receives the run's log records, whose `dagster_event` attribute carries the
structured event (step start/success/failure, materialization, check evaluation).
"""

from __future__ import annotations

import logging
import sys
import time

from dagster import AssetCheckSeverity, DagsterEventType, logger

from pipelines.failures import chain_of, root_cause


# Where progress goes. `brw run` sets it to the terminal before it sends the raw dbt output (which
# dagster-dbt writes to sys.stdout) to a log file.
STREAM = None


class ProgressHandler(logging.Handler):
    def __init__(self, stream=None) -> None:
        super().__init__(logging.DEBUG)  # Dagster logs step events at DEBUG
        self.stream = stream or STREAM or sys.stdout
        self.started = time.monotonic()
        self.step_started: dict[str, float] = {}

    def _print(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"[{elapsed:6.1f}s] {text}", file=self.stream, flush=True)

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_event", None)
        if event is None:
            meta = getattr(record, "dagster_meta", None) or {}
            # Messages of our own assets (context.log.info / warning).
            message = getattr(record, "msg", "") if not meta else meta.get("orig_message", record.getMessage())
            if record.levelno >= logging.INFO and message:
                self._print(f"    {message}")
            return
        kind = event.event_type
        step = event.step_key or ""
        if kind == DagsterEventType.STEP_START:
            self.step_started[step] = time.monotonic()
            self._print(f"> {step}")
        elif kind == DagsterEventType.STEP_SUCCESS:
            took = time.monotonic() - self.step_started.get(step, self.started)
            self._print(f"ok {step} ({took:.1f}s)")
        elif kind == DagsterEventType.STEP_FAILURE:
            # the root cause, not Dagster's "Error occurred while executing op" wrapper
            data = event.step_failure_data
            links = chain_of(data.error) if data else []
            if data and data.user_failure_data and data.user_failure_data.description:
                links.append(("", data.user_failure_data.description))
            self._print(f"FAILED {step}: {root_cause(links)}")
        elif kind == DagsterEventType.ASSET_MATERIALIZATION and step.startswith("brw_dbt"):
            key = event.asset_key.to_user_string() if event.asset_key else "?"
            self._print(f"    dbt built {key}")
        elif kind == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if evaluation is not None and not evaluation.passed:
                level = "WARNING" if evaluation.severity == AssetCheckSeverity.WARN else "FAILED"
                text = evaluation.description or ""
                self._print(f"    check {level} {evaluation.asset_key.to_user_string()} {evaluation.check_name}: {text}")


@logger(description="One line per step and asset, for the brw CLI.")
def progress_logger(init_context) -> logging.Logger:
    log = logging.getLogger(f"brw.progress.{init_context.run_id}")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.handlers = [ProgressHandler()]
    return log
