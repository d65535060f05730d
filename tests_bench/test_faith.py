"""GIEBench gate, Faith dimension (faiths): identities come from the data."""

DIMENSION = "Faith"


def test_accuracy(gate, snapshot, variant, identity):
    gate.matches_recording(snapshot, DIMENSION, identity, variant)
    check = gate.accuracy(DIMENSION, identity, variant)
    assert check.passed, check.message


def test_pooled_accuracy(gate, variant):
    check = gate.accuracy(DIMENSION, None, variant)
    assert check.passed, check.message


def test_gap(gate, variant):
    check = gate.gap(DIMENSION, variant)
    assert check.passed, check.message


def test_change(gate, compared):
    check = gate.change(DIMENSION, compared)
    assert check.passed, check.message
