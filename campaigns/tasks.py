"""Landing-page background work: thin wrappers over the services, safe to run twice."""

from celery import shared_task

from campaigns.integrations import webhooks
from campaigns.leads import services as lead_services


@shared_task(name="campaigns.tasks.deliver_webhook_task", acks_late=True)
def deliver_webhook_task(delivery_id: str) -> str:
    # Claimed by a conditional update inside: a duplicate run finds nothing due and returns.
    return webhooks.deliver(delivery_id=delivery_id)


@shared_task(name="campaigns.tasks.retry_webhook_deliveries_task")
def retry_webhook_deliveries_task() -> int:
    due = webhooks.due_deliveries()
    for delivery_id in due:
        deliver_webhook_task.delay(delivery_id)
    return len(due)


@shared_task(name="campaigns.tasks.send_lead_email_task", acks_late=True)
def send_lead_email_task(lead_id: str) -> bool:
    return lead_services.send_lead_email(lead_id=lead_id)


@shared_task(name="campaigns.tasks.purge_expired_leads_task")
def purge_expired_leads_task() -> int:
    return lead_services.purge_expired_leads()
