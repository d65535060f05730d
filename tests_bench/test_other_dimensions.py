"""GIEBench gate, every dimension the data holds that no other module here asks (one added
through dimensions.toml, say): dimensions and identities come from the data."""

OTHER_DIMENSIONS = True


def test_accuracy(gate, snapshot, dimension, variant, identity):
    gate.matches_recording(snapshot, dimension, identity, variant)
    gate.require(gate.accuracy(dimension, identity, variant))


def test_pooled_accuracy(gate, dimension, variant):
    gate.require(gate.accuracy(dimension, None, variant))


def test_gap(gate, dimension, variant):
    gate.require(gate.gap(dimension, variant))


def test_change(gate, dimension, compared):
    gate.require(gate.change(dimension, compared))


def test_position(gate, dimension, variant):
    gate.require(gate.position(dimension, variant))
