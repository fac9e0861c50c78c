"""The monthly board cycle's schedule (on by default under `dg dev`)."""

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, schedule

from pipelines.defs.reports.jobs import board_cycle
from pipelines.defs.schedules import run_as_of_tick


@schedule(
    job=board_cycle,
    cron_schedule="0 7 1 * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="On the 1st: full rebuild as of that day (the month just ended is evaluated), then the board pack.",
)
def monthly_board_cycle(context: ScheduleEvaluationContext) -> RunRequest:
    return run_as_of_tick("board", context, full_refresh=True)
