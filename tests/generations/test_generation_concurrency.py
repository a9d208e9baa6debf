"""Fifty generation requests at once from one user whose balance covers twenty (PostgreSQL).

Each request runs in its own thread with its own connection and commits for real; the job runs
eagerly on commit in the same thread, so the holds are captured while other requests still race.
"""

import threading

import pytest
from django.db import connection

from credits import services as credit_services
from credits.errors import CreditError
from credits.models import CreditHold, CreditTransaction
from credits.services import reconcile
from generations.models import Asset, AssetKind, Generation, GenerationStatus
from generations.services import generation as generation_services
from tests.factories import UserFactory
from tests.templates_app.factories import create_template, make_spec

REQUESTS = 50
AFFORDABLE = 20

# Real commits through the transactional_db fixture (requested by name, so tests/conftest.py puts the
# seeded rows back after its flush).
pytestmark = [pytest.mark.postgres]


def test_fifty_requests_at_once_with_credits_for_twenty(transactional_db):
    user = UserFactory()
    account = credit_services.get_or_open_account(user=user)
    # Exactly 20 credits: one format costs one.
    if account.balance > AFFORDABLE:
        credit_services.spend_credits(
            user=user, amount=account.balance - AFFORDABLE, reference_type="test", reference_id="setup"
        )
    elif account.balance < AFFORDABLE:
        credit_services.grant_credits(
            user=user, amount=AFFORDABLE - account.balance, type="bonus", idempotency_key=f"test-topup:{user.pk}"
        )
    template = create_template(spec=make_spec(formats=("1:1",)))
    barrier = threading.Barrier(REQUESTS)
    outcomes: list[str] = []
    refusals: list[str] = []
    lock = threading.Lock()

    def one(index: int) -> None:
        try:
            barrier.wait()
            generation_services.request_generation(
                user=user,
                request=generation_services.GenerationRequest(
                    template_id=template.pk, formats=["1:1"], texts={"headline": f"Offer {index}"}
                ),
            )
            with lock:
                outcomes.append("ok")
        except CreditError as exc:
            with lock:
                outcomes.append("refused")
                refusals.append(exc.message)
        except Exception as exc:  # noqa: BLE001 (reported below with the others)
            with lock:
                outcomes.append(f"error: {exc!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(index,)) for index in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["ok"] * AFFORDABLE + ["refused"] * (REQUESTS - AFFORDABLE), outcomes
    assert all("credits" in message for message in refusals)
    assert Generation.objects.filter(user=user).count() == AFFORDABLE
    assert Generation.objects.filter(user=user, status=GenerationStatus.COMPLETED).count() == AFFORDABLE
    assert Asset.objects.filter(user=user, kind=AssetKind.RESULT).count() == AFFORDABLE
    account.refresh_from_db()
    assert (account.balance, account.reserved) == (0, 0)
    assert not CreditHold.objects.filter(account=account, status="held").exists()
    usage = CreditTransaction.objects.filter(account=account, reference_type="generation")
    assert usage.count() == AFFORDABLE
    assert reconcile.find_discrepancies() == []
