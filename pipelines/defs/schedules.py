"""Schedules: the daily refresh and the monthly board cycle (both on by default under `dg dev`)."""

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, schedule

from pipelines.jobs import board_cycle, materialize_all
from pipelines.resources import AS_OF_TAG


@schedule(
    job=materialize_all,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every morning: new landing files, incremental dbt build, checks, read copy, alerts.",
)
def daily_refresh(context: ScheduleEvaluationContext) -> RunRequest:
    day = context.scheduled_execution_time.date().isoformat()
    return RunRequest(run_key=f"daily-{day}", tags={AS_OF_TAG: day})


@schedule(
    job=board_cycle,
    cron_schedule="0 7 1 * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="On the 1st: full rebuild as of that day (the month just ended is evaluated), then the board pack.",
)
def monthly_board_cycle(context: ScheduleEvaluationContext) -> RunRequest:
    day = context.scheduled_execution_time.date().isoformat()
    return RunRequest(run_key=f"board-{day}", tags={AS_OF_TAG: day})
