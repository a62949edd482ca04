"""What a person types into a payment form's card fields, for view tests."""

from __future__ import annotations

from openlance.billing.gateway import SANDBOX_TEST_CARDS


def new_card(
    token: str = "pm_card_visa", *, prefix: str = "", save: bool = False
) -> dict[str, str]:
    """The card form filled in with the sandbox test card that behaves like `token`."""
    number = next(card.number for card in SANDBOX_TEST_CARDS if card.token == token)
    name = f"{prefix}-" if prefix else ""
    fields = {
        f"{name}pay_with": "new",
        f"{name}card_number": f"{number[:4]} {number[4:8]} {number[8:12]} {number[12:]}",
        f"{name}card_expiry": "12/35",
        f"{name}card_cvc": "123",
    }
    if save:
        fields[f"{name}save_card"] = "on"
    return fields
