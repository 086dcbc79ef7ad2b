"""A small DAG that proves the pipeline works end to end.

It runs every day at 00:00 America/Los_Angeles, the time the platform wakes, and writes one line to
its task log (which the platform ships to S3): which image it ran from and when. After a push to the
production branch, the next run's log names the new image tag.
"""

from __future__ import annotations

import os
import socket

import pendulum
from airflow.providers.amazon.aws.notifications.sns import SnsNotifier
from airflow.sdk import CronTriggerTimetable, dag, task

LOS_ANGELES = "America/Los_Angeles"

# A failed task alerts at once, not in the morning report: the platform's DAG-alert topic (e-mailed to
# the operator), named in every Airflow container by DATA_PLATFORM_ALERT_TOPIC_ARN. No connection and
# no key: aws_conn_id=None takes the pod's own role, which may publish to that topic and no other.
ALERT_ON_FAILURE = SnsNotifier(
    aws_conn_id=None,
    target_arn=os.environ.get("DATA_PLATFORM_ALERT_TOPIC_ARN", ""),
    subject="Airflow: {{ ti.dag_id }}.{{ ti.task_id }} failed",
    message="{{ ti.dag_id }}.{{ ti.task_id }} failed on try {{ ti.try_number }} of run {{ run_id }}. Log: {{ ti.log_url }}",
)


@dag(
    dag_id="example_nightly",
    # 00:00 wall-clock time in Los Angeles, through daylight saving time changes (the timetable
    # evaluates the cron expression in that zone, not in UTC).
    schedule=CronTriggerTimetable("0 0 * * *", timezone=LOS_ANGELES),
    start_date=pendulum.datetime(2026, 1, 1, tz=LOS_ANGELES),
    # The platform sleeps most of the day: never queue a backlog of missed nights on waking.
    catchup=False,
    max_active_runs=1,
    tags=["example", "platform"],
    doc_md=__doc__,
    # One line gives every task of a DAG the alert (and a retry before it fires).
    default_args={"on_failure_callback": ALERT_ON_FAILURE, "retries": 1},
)
def example_nightly():
    @task
    def report_image(logical_date=None) -> dict[str, str]:
        """Writes one line to the task log and returns the same as an XCom."""
        report = {
            "image_tag": os.environ.get("DAGS_IMAGE_TAG", "unknown"),
            "logical_date": str(logical_date),
            "ran_at_utc": pendulum.now("UTC").to_iso8601_string(),
            "pod": socket.gethostname(),
        }
        print(f"example_nightly ran from image {report['image_tag']}: {report}")
        return report

    report_image()


example_nightly()
