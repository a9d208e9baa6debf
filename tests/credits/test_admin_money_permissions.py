"""Admin actions that move credits need the change permission and leave an audit event (issue 10, defect 11).

A staff member who may only look (view permission) gets no such action; one who may change gets it,
and every move is in the audit trail beside the ledger entry.
"""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent
from credits import services as credit_services
from credits.constants import HoldStatus, TransactionType
from credits.models import CreditHold, CreditTransaction, StripeEvent
from generations.models import GenerationStatus
from tests.factories import UserFactory
from tests.generations.factories import GenerationFactory

pytestmark = pytest.mark.django_db


def _staff(*codenames: str) -> Client:
    member = UserFactory(is_staff=True)
    member.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(member)
    return client


def _run_action(client: Client, changelist: str, action: str, pks) -> int:
    response = client.post(
        reverse(changelist), {"action": action, "_selected_action": [str(pk) for pk in pks]}, follow=True
    )
    return response.status_code


def _held(user) -> CreditHold:
    return credit_services.hold_credits(user=user, amount=3, reference_type="generation", reference_id="job-1")


def test_releasing_holds_needs_the_change_permission(user):
    hold = _held(user)
    looker = _staff("view_credithold")

    _run_action(looker, "admin:credits_credithold_changelist", "release_holds", [hold.pk])

    assert CreditHold.objects.get(pk=hold.pk).status == HoldStatus.HELD
    assert not AuditEvent.objects.filter(action="credits.hold_released").exists()


def test_releasing_holds_with_the_change_permission_is_audited_once(user):
    hold = _held(user)
    manager = _staff("view_credithold", "change_credithold")

    _run_action(manager, "admin:credits_credithold_changelist", "release_holds", [hold.pk])
    _run_action(manager, "admin:credits_credithold_changelist", "release_holds", [hold.pk])  # already released

    assert CreditHold.objects.get(pk=hold.pk).status == HoldStatus.RELEASED
    (event,) = AuditEvent.objects.filter(action="credits.hold_released")
    assert (event.target_id, event.details["amount"]) == (str(hold.pk), 3)


def _completed_generation_that_cost(user, credits: int):
    generation = GenerationFactory(user=user, status=GenerationStatus.COMPLETED)
    credit_services.spend_credits(
        user=user, amount=credits, reference_type="generation", reference_id=str(generation.pk)
    )
    return generation


def test_refunding_generations_needs_the_change_permission(user):
    generation = _completed_generation_that_cost(user, 4)
    balance = credit_services.get_or_open_account(user=user).balance
    looker = _staff("view_generation")

    _run_action(looker, "admin:generations_generation_changelist", "refund_generations", [generation.pk])

    assert credit_services.get_or_open_account(user=user).balance == balance
    assert not CreditTransaction.objects.filter(type=TransactionType.REFUND).exists()


def test_refunding_a_generation_gives_back_its_credits_once_and_is_audited(user):
    generation = _completed_generation_that_cost(user, 4)
    balance = credit_services.get_or_open_account(user=user).balance
    manager = _staff("view_generation", "change_generation")

    for _ in range(2):
        _run_action(manager, "admin:generations_generation_changelist", "refund_generations", [generation.pk])

    assert credit_services.get_or_open_account(user=user).balance == balance + 4
    assert CreditTransaction.objects.filter(type=TransactionType.REFUND).count() == 1
    events = AuditEvent.objects.filter(action="generation.refunded", target_id=str(generation.pk))
    assert [event.details["credits"] for event in events] == [4, 4]  # each staff action is on the trail


def test_retrying_stripe_events_needs_the_change_permission(db):
    stored = StripeEvent.objects.create(
        event_id="evt_failed", type="customer.created", payload={"id": "evt_failed", "type": "customer.created"}
    )
    StripeEvent.objects.filter(pk=stored.pk).update(status="failed")

    _run_action(_staff("view_stripeevent"), "admin:credits_stripeevent_changelist", "retry_events", [stored.pk])
    assert StripeEvent.objects.get(pk=stored.pk).status == "failed"

    _run_action(
        _staff("view_stripeevent", "change_stripeevent"),
        "admin:credits_stripeevent_changelist",
        "retry_events",
        [stored.pk],
    )
    assert StripeEvent.objects.get(pk=stored.pk).status == "ignored"
    assert AuditEvent.objects.filter(action="billing.events_retried").count() == 1
