from hypothesis import given
from hypothesis import strategies as st

from giebench_fixtures.verdicts import read_verdict


def plain_rule(text: str) -> str | None:
    """The published rule, restated without regular expressions."""
    tokens = []
    i = 0
    while i + 4 < len(text):
        if text[i : i + 2] == "[[" and text[i + 3 : i + 5] == "]]" and "A" <= text[i + 2] <= "Z":
            tokens.append(text[i + 2])
            i += 5
        else:
            i += 1
    for position, letter in enumerate(tokens):
        if letter not in tokens[position + 2 :]:
            return letter
    return None


pieces = st.lists(
    st.one_of(
        st.sampled_from(["[[A]]", "[[B]]", "[[C]]", "[[D]]", "[[a]]", "[[Z]]", "[[", "]]", "[", "]"]),
        st.text(alphabet="AB []xyz\n", max_size=6),
    ),
    max_size=12,
)


@given(pieces)
def test_verdict_follows_the_published_rule(parts: list[str]) -> None:
    text = "".join(parts)
    assert read_verdict(text) == plain_rule(text)


def test_examples_a_reader_would_check() -> None:
    assert read_verdict("Assistant B fits best. [[B]]") == "B"
    assert read_verdict("no verdict here") is None
    assert read_verdict("lower case [[a]] is not a verdict") is None
    assert read_verdict(None) is None
    # A repeats two or more tokens later, so the first A is passed over for B.
    assert read_verdict("[[A]] [[B]] [[A]]") == "B"
    # An immediately repeated letter is not 'two or more tokens later'.
    assert read_verdict("[[C]] [[C]]") == "C"
    # The format line echoed from the prompt, then the verdict.
    echoed = '"[[A]]" if A is better, "[[B]]" if B, "[[C]]", "[[D]]". Final: [[C]]'
    assert read_verdict(echoed) == "A"
