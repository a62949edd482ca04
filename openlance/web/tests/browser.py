"""Steps the browser tests share."""

from openlance.accounts.tests.factories import PASSWORD


def sign_in(page, email, password=PASSWORD):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("heading", name="Welcome,", exact=False).wait_for()
