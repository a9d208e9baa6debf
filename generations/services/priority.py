"""Whose jobs a worker takes first (issue 12, item 17): jobs of users on a paid plan go before free ones.

A generation or image operation stores its queue priority when it is requested, from the user's
plan at that moment; the job runner sends it as the task message's priority on every send (first
send, retries, the sweep's resends). On Redis a worker always takes the lowest priority number
waiting (craftplatform.celery), so a paid job waits at most for the jobs already running. The
embedded filesystem broker has no priorities: there jobs run in the order they were sent.
"""

from credits import services as credit_services
from credits.constants import Tier

PAID_PLAN_PRIORITY = 1
FREE_PLAN_PRIORITY = 5


def queue_priority(*, user) -> int:
    """The queue priority of a job the user requests now: lower is served first."""
    if credit_services.plans.tier_for_user(user) != Tier.FREE:
        return PAID_PLAN_PRIORITY
    return FREE_PLAN_PRIORITY
