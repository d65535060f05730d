"""GIEBench gate, Party dimension (political parties): identities come from the data."""

DIMENSION = "Party"


def test_accuracy(gate, snapshot, variant, identity):
    gate.matches_recording(snapshot, DIMENSION, identity, variant)
    gate.require(gate.accuracy(DIMENSION, identity, variant))


def test_pooled_accuracy(gate, variant):
    gate.require(gate.accuracy(DIMENSION, None, variant))


def test_gap(gate, variant):
    gate.require(gate.gap(DIMENSION, variant))


def test_change(gate, compared):
    gate.require(gate.change(DIMENSION, compared))


def test_position(gate, variant):
    gate.require(gate.position(DIMENSION, variant))
