from celery import shared_task

from analytics import drain


@shared_task(name="analytics.tasks.drain_page_events_task")
def drain_page_events_task() -> int:
    # Safe to run beside other drains: the consumer group hands each entry to one consumer, and a
    # batch written twice is stored once (see analytics.drain).
    return drain.drain(max_batches=200)
