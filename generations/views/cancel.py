"""Pages: cancelling a queued generation or image operation (issue 12, item 16).

GET asks for confirmation (a plain page, no script needed); POST cancels through the service and
goes back to the job's page with what happened. Someone else's job answers 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from generations import selectors
from generations.errors import JobNotCancellable
from generations.services import cancel as cancel_services

CANCELLED = "Cancelled. The {credits} reserved credit{plural} went back to your balance."


def _credits_message(credits: int) -> str:
    return CANCELLED.format(credits=credits, plural="" if credits == 1 else "s")


@login_required
@require_http_methods(["GET", "POST"])
def cancel_generation(request, generation_id):
    generation = selectors.get_generation_for_user(user=request.user, generation_id=generation_id)
    back = reverse("generations:detail", args=[generation.pk])
    if request.method == "GET":
        context = {
            "title": "Cancel this generation?",
            "what": f"“{generation.template.name}”, {len(generation.formats)} format"
            f"{'' if len(generation.formats) == 1 else 's'}, asked for {generation.created_at:%d %b %Y, %H:%M}.",
            "job": generation,
            "action": reverse("generations:cancel", args=[generation.pk]),
            "back_url": back,
        }
        return render(request, "generations/confirm_cancel.html", context)
    try:
        generation = cancel_services.cancel_generation(user=request.user, generation_id=generation.pk)
    except JobNotCancellable as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _credits_message(generation.credits_quoted))
    return redirect(back)


@login_required
@require_http_methods(["GET", "POST"])
def cancel_operation(request, operation_id):
    operation = selectors.get_operation_for_user(user=request.user, operation_id=operation_id)
    back = reverse("generations:operation", args=[operation.pk])
    if request.method == "GET":
        factor = operation.parameters.get("factor")
        context = {
            "title": f"Cancel this {operation.get_operation_type_display().lower()}?",
            "what": f"{operation.get_operation_type_display()}{f' {factor}x' if factor else ''} of "
            f"“{operation.source.display_name}”.",
            "job": operation,
            "action": reverse("generations:cancel_operation", args=[operation.pk]),
            "back_url": back,
        }
        return render(request, "generations/confirm_cancel.html", context)
    try:
        operation = cancel_services.cancel_operation(user=request.user, operation_id=operation.pk)
    except JobNotCancellable as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _credits_message(operation.credits_quoted))
    return redirect(back)
