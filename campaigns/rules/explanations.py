"""A suggestion's explanation in plain words, written by the AI chat provider from the numbers that
made the rule fire, when the installation has one and the user asks. Without a provider nothing here
is offered; a provider failure leaves the suggestion as it is, logged, with no explanation."""

from __future__ import annotations

import logging

from django.utils import timezone

from campaigns.rules import engine
from campaigns.rules.models import LogStatus, OptimizationLog
from craftplatform.errors import DomainError
from generations.providers import ProviderError, ProviderNotConfigured
from generations.services import provider_text

logger = logging.getLogger(__name__)

INSTRUCTIONS = (
    "You explain to a small-business owner, in two or three short sentences of plain words, why an "
    "advertising rule suggests a change to their Meta ad, and what the change would do. Say which "
    "numbers crossed which limits. No jargon without saying what it means; no advice beyond the change."
)
UNAVAILABLE = "AI explanations are not available on this installation."
FAILED = "The AI service could not explain this suggestion just now; the suggestion is unchanged. Try again later."


class ExplanationError(DomainError):
    pass


def explanations_available() -> bool:
    return provider_text.text_available()


def _facts(log: OptimizationLog) -> dict:
    rule = log.rule
    return {
        "rule": log.rule_name,
        "conditions": [engine.describe(c) for c in rule.conditions] if rule else [],
        "minimum spend before it may act": str(rule.min_spend) if rule else None,
        "applies to": log.asset.ad_name if log.asset else f"the campaign {log.campaign.name}",
        "numbers up to": log.day.isoformat(),
        "numbers": log.metrics,
        "suggested change": log.get_action_display(),
        "before": log.before,
        "after": log.after,
        "currency": log.campaign.currency,
        "budgets are in": "minor units (cents)",
    }


def explain_suggestion(*, log: OptimizationLog, user) -> OptimizationLog:
    """Ask the chat provider once for the suggestion's explanation and keep it (an explained
    suggestion is not asked again). Raises ExplanationError in words when it cannot be had."""
    if log.status != LogStatus.SUGGESTED:
        raise ExplanationError("Only a suggestion waiting for approval is explained.", code="conflict")
    if log.explanation:
        return log
    try:
        result = provider_text.write_text(
            user=user, instructions=INSTRUCTIONS, facts=_facts(log), purpose="rule_suggestion"
        )
    except ProviderNotConfigured as exc:
        raise ExplanationError(UNAVAILABLE, code="ai_unavailable") from exc
    except ProviderError as exc:
        logger.warning(
            "Rule suggestion explanation failed",
            extra={"optimization_log_id": str(log.pk), "error_code": exc.code, "error": exc.message},
        )
        raise ExplanationError(FAILED, code="ai_failed") from exc
    now = timezone.now()
    OptimizationLog.objects.filter(pk=log.pk, explanation="").update(
        explanation=result.text, explanation_by=result.written_by, explained_at=now, updated_at=now
    )
    log.refresh_from_db()
    return log
