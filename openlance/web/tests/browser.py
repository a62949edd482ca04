"""Steps the browser tests share."""

from openlance.accounts.tests.factories import PASSWORD


def sign_in(page, email, password=PASSWORD):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("heading", name="Welcome,", exact=False).wait_for()


def fill_card(scope, number="4242 4242 4242 4242", expiry="12/35", cvc="123"):
    """Type a sandbox test card into a payment form's card fields, choosing "A new card"
    where the form offers other ways to pay."""
    new_card = scope.get_by_role("radio", name="A new card")
    if new_card.count():
        new_card.check()
    scope.get_by_label("Card number").fill(number)
    scope.get_by_label("Expires").fill(expiry)
    scope.get_by_label("CVC").fill(cvc)
