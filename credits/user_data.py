"""The user's credits in "download my data"."""

from craftplatform import user_data
from credits.models import CreditAccount, CreditTransaction


def export_credits(user) -> dict:
    account = CreditAccount.objects.filter(user=user).first()
    if account is None:
        return {"balance": 0, "ledger": []}
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
    }


user_data.register("credits", export=export_credits)
