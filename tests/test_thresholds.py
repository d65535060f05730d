from pathlib import Path

import pytest

from giebench_fixtures.errors import ThresholdsError
from giebench_fixtures.judging.thresholds import load_thresholds

from .helpers import ROOT


def test_shipped_thresholds_load() -> None:
    bars = load_thresholds(ROOT / "thresholds.toml").bars("Gender", "Female", "id")
    assert bars.min_accuracy > 0.25  # above chance
    assert bars.accuracy_judge == "interval"


def test_overrides_apply_most_specific_last(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(
        "[defaults]\nmin_accuracy = 0.5\nmin_items = 3\n"
        "[variant.cot]\nmin_accuracy = 0.6\n"
        "[dimension.Gender]\nmin_accuracy = 0.55\nmax_gap = 0.2\n"
        "[dimension.Gender.variant.cot]\nmin_accuracy = 0.65\n"
        "[dimension.Gender.identity.Female]\nmin_accuracy = 0.7\n"
        '[dimension.Gender.identity.Female.variant.id]\nmin_accuracy = 0.8\naccuracy_judge = "point"\n'
    )
    t = load_thresholds(path)
    assert t.bars("Country", None, "id").min_accuracy == 0.5
    assert t.bars("Country", None, "cot").min_accuracy == 0.6
    assert t.bars("Gender", None, "id").min_accuracy == 0.55
    assert t.bars("Gender", "Male", "cot").min_accuracy == 0.65
    assert t.bars("Gender", "Female", "id").min_accuracy == 0.8
    assert t.bars("Gender", "Female", "raw").min_accuracy == 0.0  # raw: no bar unless a raw table sets one
    female_id = t.bars("Gender", "Female", "id")
    assert (female_id.min_accuracy, female_id.accuracy_judge, female_id.min_items) == (0.8, "point", 3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[defaults]\nmin_acuracy = 0.5\n",
            "line 2): defaults.min_acuracy: unknown key; did you mean min_accuracy? known keys:",
        ),
        (
            "[defaults]\nmin_accuracy = 0.5\nmax_gap = -0.1\n",
            "line 3): defaults.max_gap: -0.1 is out of range",
        ),
        ('[defaults]\nmin_items = "ten"\n', "line 2): defaults.min_items: must be a int, not 'ten'"),
        ('[defaults]\naccuracy_judge = "median"\n', 'accuracy_judge: must be "point" or "interval"'),
        (
            "[dimension.Gendr]\nmax_gap = 0.2\n",
            "line 1): dimension.Gendr: unknown dimension; did you mean Gender? known: Country",
        ),
        ("[variant.kot]\nmin_accuracy = 0.2\n", "variant.kot: unknown variant; expected raw, id or cot"),
        ("[default]\nmin_accuracy = 0.2\n", "line 1): default: unknown section"),
        ("[defaults\n", "not valid TOML"),
    ],
)
def test_mistakes_name_the_key_and_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "thresholds.toml"
    path.write_text(text)
    with pytest.raises(ThresholdsError) as caught:
        load_thresholds(path)
    assert expected in str(caught.value)
    assert str(path) in str(caught.value)
