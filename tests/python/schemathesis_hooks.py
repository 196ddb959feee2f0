"""Schemathesis hooks for the OGC API run (test_openapi.py): values for the `cql2-text`
string format of `filter=`, which schemathesis cannot know.

Without them it would send arbitrary text as a schema-valid filter and count the server's
400 as a wrongly refused request. The filters made here name no attribute, because one
format serves every collection: spatial predicates on the feature geometry with BBOX,
POINT and POLYGON literals, combined with AND, OR and NOT. What attributes a filter may
name, and how bad filters are refused, is tested in server/tests/api/ogc/."""

import schemathesis
from hypothesis import strategies as st

LON = st.floats(min_value=-180, max_value=180, allow_nan=False, allow_infinity=False)
LAT = st.floats(min_value=-90, max_value=90, allow_nan=False, allow_infinity=False)


def num(x):
    # Plain decimal notation, as CQL2 numbers are written.
    return f"{x:.6f}"


@st.composite
def bbox(draw):
    x0, x1 = sorted((draw(LON), draw(LON)))
    y0, y1 = sorted((draw(LAT), draw(LAT)))
    return f"BBOX({num(x0)}, {num(y0)}, {num(x1)}, {num(y1)})"


@st.composite
def point(draw):
    return f"POINT({num(draw(LON))} {num(draw(LAT))})"


@st.composite
def square(draw):
    # A valid (counter-clockwise, non-degenerate) polygon around a point.
    x = draw(st.floats(min_value=-179, max_value=178, allow_nan=False))
    y = draw(st.floats(min_value=-89, max_value=88, allow_nan=False))
    d = draw(st.floats(min_value=0.001, max_value=1))
    ring = [(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)]
    return "POLYGON((" + ", ".join(f"{num(a)} {num(b)}" for a, b in ring) + "))"


GEOMETRY_NAME = st.sampled_from(["geometry", "geom", "shape", '"geometry"'])
OPERATOR = st.sampled_from(["S_INTERSECTS", "S_DISJOINT", "S_WITHIN", "S_CONTAINS", "s_intersects"])


@st.composite
def spatial(draw):
    literal = draw(st.one_of(bbox(), point(), square()))
    name = draw(GEOMETRY_NAME)
    args = (name, literal) if draw(st.booleans()) else (literal, name)
    return f"{draw(OPERATOR)}({args[0]}, {args[1]})"


CQL2_TEXT = st.recursive(
    spatial(),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["AND", "OR", "and", "or"]), inner).map(
            lambda t: f"({t[0]}) {t[1]} ({t[2]})"
        ),
        inner.map(lambda e: f"NOT ({e})"),
    ),
    max_leaves=4,
)

schemathesis.openapi.format("cql2-text", CQL2_TEXT)
