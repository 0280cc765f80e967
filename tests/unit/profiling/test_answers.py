"""Final answers read from the ways models really phrase them."""

from __future__ import annotations

from fractions import Fraction

import pytest

from smarterrouter.profiling.answers import extract_choice, extract_number


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("The answer is 42.", Fraction(42)),
        ("After the sale we have **42** apples left.", Fraction(42)),
        ("23 - 9 = 14\n14 + 12 = 26", Fraction(26)),
        ("So the shop ends with 26 apples", Fraction(26)),
        ("Final answer: 1/2", Fraction(1, 2)),
        (r"The result is $\frac{1}{2}$.", Fraction(1, 2)),
        (r"\boxed{75}", Fraction(75)),
        ("Speed = 180 / 2.5 = 72 km/h", Fraction(72)),
        ("The answer is 0.5 kg", Fraction(1, 2)),
        ("In total 1,200 people came.", Fraction(1200)),
        ("The answer is: **66** dollars. Check: 60 + 6 = 66", Fraction(66)),
        ("To answer this, 2 + 3 = 5, then 5 * 2 = 10", Fraction(10)),
        ("**Answer:** 15", Fraction(15)),
        ("It is \u22125 degrees outside", Fraction(-5)),
        ("The answer is 12. Let me verify: 12 = 4 * 3 and 4 + 8 = 12", Fraction(12)),
    ],
)
def test_numbers_are_found_in_common_phrasings(reply: str, expected: Fraction) -> None:
    assert extract_number(reply) == expected


def test_a_reply_without_a_number_gives_none() -> None:
    assert extract_number("I do not know.") is None


DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("Thursday plus 7 is Thursday, plus 3 is Sunday.", "Sunday"),
        ("The answer is Sunday, not Thursday.", "Sunday"),
        ("Counting from Thursday... **Sunday**", "Sunday"),
        ("Answer: sunday", "Sunday"),
        ("It will be Monday.", "Monday"),
        ("Ten days on it is Sunday, not Monday.", "Sunday"),
        ("It isn't Friday; it is Sunday rather than Saturday.", "Sunday"),
    ],
)
def test_the_settled_option_is_found(reply: str, expected: str) -> None:
    assert extract_choice(reply, DAYS) == expected


def test_no_option_named_gives_none() -> None:
    assert extract_choice("It depends on the calendar.", DAYS) is None
