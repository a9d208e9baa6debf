"""The user's credits in "download my data"."""

from craftplatform import user_data
from credits.models import CreditAccount, CreditTransaction, Payment


def export_credits(user) -> dict:
    account = CreditAccount.objects.filter(user=user).first()
    if account is None:
        return {"balance": 0, "ledger": [], "payments": []}
    return {
        "balance": account.balance,
        "reserved": account.reserved,
        "ledger": [
            {
                "at": entry.created_at.isoformat(),
                "type": entry.type,
                "amount": entry.amount,
                "balance_after": entry.balance_after,
                "description": entry.description,
            }
            for entry in CreditTransaction.objects.filter(account=account).order_by("created_at")
        ],
        "payments": [
            {
                "at": payment.created_at.isoformat(),
                "kind": payment.kind,
                "amount": str(payment.amount),
                "currency": payment.currency,
                "status": payment.status,
                "credits": payment.credits,
                "invoice_url": payment.invoice_url,
            }
            for payment in Payment.objects.filter(account=account).order_by("created_at")
        ],
    }


user_data.register("credits", export=export_credits)
