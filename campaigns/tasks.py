"""Campaign tasks (queue `sync`): thin wrappers over services, taking ids, safe to run twice."""

from celery import shared_task

from campaigns.connections import services as connection_services
from campaigns.publishing import runner


@shared_task(name="campaigns.tasks.run_publish_task", acks_late=True)
def run_publish_task(run_id: str) -> str:
    """On the shared job runner: the claim by attempt lets one attempt work, the shared sweep re-queues
    a run whose worker died, and every step looks up what exists at Meta before creating."""
    return runner.run_publish(run_id=run_id)


@shared_task(name="campaigns.tasks.warn_expiring_connections_task")
def warn_expiring_connections_task() -> int:
    return connection_services.warn_expiring_connections()
