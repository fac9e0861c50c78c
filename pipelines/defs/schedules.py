"""The daily refresh (on by default under `dg dev`)."""

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, schedule

from pipelines.defs.jobs import materialize_all
from pipelines.defs.resources import AS_OF_TAG


@schedule(
    job=materialize_all,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every morning: new landing files, incremental dbt build, checks, read copy, alerts.",
)
def daily_refresh(context: ScheduleEvaluationContext) -> RunRequest:
    return run_as_of_tick("daily", context)


def run_as_of_tick(kind: str, context: ScheduleEvaluationContext) -> RunRequest:
    """A run as of the day of the tick, once per day and kind."""
    day = context.scheduled_execution_time.date().isoformat()
    return RunRequest(run_key=f"{kind}-{day}", tags={AS_OF_TAG: day})
