"""Campaign tasks: thin wrappers over services, taking ids, safe to run twice (publishing and syncs on
the `sync` queue; landing-page webhooks, lead emails and retention on `default`)."""

from celery import shared_task

from campaigns.connections import services as connection_services
from campaigns.integrations import webhooks
from campaigns.leads import services as lead_services
from campaigns.publishing import runner
from campaigns.rules import services as rule_services
from campaigns.sync import runner as sync_runner
from campaigns.sync import selectors as sync_selectors
from campaigns.sync import services as sync_services
from campaigns.sync import template_metrics


@shared_task(name="campaigns.tasks.run_publish_task", acks_late=True)
def run_publish_task(run_id: str) -> str:
    """On the shared job runner: the claim by attempt lets one attempt work, the shared sweep re-queues
    a run whose worker died, and every step looks up what exists at Meta before creating."""
    return runner.run_publish(run_id=run_id)


@shared_task(name="campaigns.tasks.warn_expiring_connections_task")
def warn_expiring_connections_task() -> int:
    return connection_services.warn_expiring_connections()


@shared_task(name="campaigns.tasks.run_sync_task", acks_late=True)
def run_sync_task(run_id: str) -> str:
    """One ad account's sync, on the shared job runner: safe to run twice (claim by attempt, upserts)."""
    outcome = sync_runner.run_sync(run_id=run_id)
    if outcome == "done":
        # Rules act on fresh numbers: evaluated once the sync has stored them.
        rule_services.evaluate_account(ad_account=sync_selectors.ad_account_of_run(run_id))
    return outcome


@shared_task(name="campaigns.tasks.schedule_daily_syncs_task")
def schedule_daily_syncs_task() -> int:
    return sync_services.schedule_daily_syncs()


@shared_task(name="campaigns.tasks.rollup_template_metrics_task")
def rollup_template_metrics_task() -> int:
    return template_metrics.rollup_template_metrics()


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
