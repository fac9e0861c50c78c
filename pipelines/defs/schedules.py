"""The daily refresh (on by default under `dg dev`)."""

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, schedule

from pipelines.defs.jobs import materialize_all
from pipelines.defs.options import AS_OF_LABEL, RunOptions, options_run_config


@schedule(
    job=materialize_all,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every morning: new landing files, incremental dbt build, checks, read copy, alerts.",
)
def daily_refresh(context: ScheduleEvaluationContext) -> RunRequest:
    return run_as_of_tick("daily", context)


def run_as_of_tick(kind: str, context: ScheduleEvaluationContext, full_refresh: bool = False) -> RunRequest:
    """A run as of the day of the tick, once per day and kind."""
    day = context.scheduled_execution_time.date().isoformat()
    return RunRequest(
        run_key=f"{kind}-{day}",
        run_config=options_run_config(RunOptions(as_of=day, full_refresh=full_refresh)),
        tags={AS_OF_LABEL: day},
    )
