"""Money as integer minor units. Floats never touch an amount."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

DEFAULT_CURRENCY = "USD"
MINOR_UNITS = 100
# At most a trillion in whole units: far above any real payment, far below overflow.
# ASCII digits only: `\d` (and Decimal, and int) also read other scripts' digits, so ten
# written in Arabic-Indic digits would be booked as 10.00, an amount no one typed.
PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,13}(\.[0-9]+)?", re.ASCII)


class MoneyError(ValueError):
    pass


@dataclass(frozen=True, slots=True, order=False)
class Money:
    cents: int
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        if isinstance(self.cents, bool) or not isinstance(self.cents, int):
            raise MoneyError(f"Money needs whole cents, got {self.cents!r}.")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise MoneyError(f"Currency must be a 3-letter ISO code, got {self.currency!r}.")

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(0, currency)

    @classmethod
    def parse(cls, amount: str | int | Decimal, currency: str = DEFAULT_CURRENCY) -> Money:
        """Read a decimal amount such as "123.45"; more than two decimals is an error."""
        if isinstance(amount, float):
            raise MoneyError("Amounts must be decimal strings, not floats.")
        text = str(amount).strip()
        # Plain ASCII digits only: an exponent ("1e999999") would make a number too large
        # to compute with or even print, and no one types money that way.
        if not PLAIN_DECIMAL.fullmatch(text):
            raise MoneyError(f"{text[:40]!r} is not an amount like 123.45.")
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise MoneyError(f"{text[:40]!r} is not a decimal amount.") from exc
        cents = value * MINOR_UNITS
        if cents != cents.to_integral_value():
            raise MoneyError(f"{amount!r} has more than two decimal places.")
        return cls(int(cents), currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError("Money only combines with Money.")
        if other.currency != self.currency:
            raise MoneyError(f"Cannot combine {self.currency} with {other.currency}.")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.cents + other.cents, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.cents - other.cents, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.cents, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.cents < other.cents

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.cents <= other.cents

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.cents > other.cents

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.cents >= other.cents

    def percent(self, basis_points: int) -> Money:
        """This amount times basis_points / 10,000, rounded half-up to the cent."""
        return Money(round_half_up_div(self.cents * basis_points, 10_000), self.currency)

    @property
    def amount(self) -> str:
        """The decimal string used at the API edge, e.g. "-12.05"."""
        return decimal_amount(self.cents)

    def __str__(self) -> str:
        symbol = "$" if self.currency == "USD" else f"{self.currency} "
        sign = "-" if self.cents < 0 else ""
        whole, frac = divmod(abs(self.cents), MINOR_UNITS)
        return f"{sign}{symbol}{whole:,}.{frac:02d}"


def decimal_amount(cents: int) -> str:
    """`Money(cents).amount` without making a Money: a page of API results writes dozens."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), MINOR_UNITS)
    return f"{sign}{whole}.{frac:02d}"


def round_half_up_div(numerator: int, denominator: int) -> int:
    """Integer division rounded half away from zero, exact for any size of integer."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    magnitude = (2 * abs(numerator) + denominator) // (2 * denominator)
    return magnitude if numerator >= 0 else -magnitude
