"""Staff give back the credits a completed generation used: every usage entry refunded, audited, at once."""

from django.db import transaction

from accounts import services as account_services
from craftplatform.errors import DomainError
from credits import services as credit_services
from credits.constants import TransactionType
from credits.models import CreditTransaction
from generations.models import Generation, GenerationStatus


class GenerationNotRefundable(DomainError):
    default_message = "Only a completed generation can be refunded."


def refund_generation(*, actor, generation_id, request=None) -> int:
    """Refund every credit the generation used (idempotent per usage entry); returns the credits refunded.

    All or nothing: the refunds and the audit event are one transaction.
    """
    generation = Generation.objects.get(pk=generation_id)
    if generation.status != GenerationStatus.COMPLETED:
        raise GenerationNotRefundable()
    usages = CreditTransaction.objects.filter(
        type=TransactionType.USAGE, reference_type="generation", reference_id=str(generation.pk)
    ).order_by("created_at")
    with transaction.atomic():
        total = 0
        for usage in usages:
            entry = credit_services.refund_usage(
                transaction_id=usage.pk,
                idempotency_key=f"generation-refund:{usage.pk}",
                description=f"Refund of generation {generation.pk}",
                actor=actor,
            )
            total += entry.amount
        account_services.record_audit_event(
            actor=actor,
            action="generation.refunded",
            target=generation,
            details={"credits": total},
            request=request,
        )
    return total
