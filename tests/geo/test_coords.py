"""GCJ-02 and BD-09 at the edges: the published pairs, round trips, the box outside which GCJ-02
does nothing, and arrays in, arrays out."""

from __future__ import annotations

import numpy as np
import pytest

from gridgov.geo.coords import (
    bd09_to_gcj02,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    to_wgs84,
    wgs84_to_gcj02,
)
from gridgov.geo.enums import Crs
from gridgov.geo.index import haversine_m

# Tiananmen: WGS84 as measured by GPS, GCJ-02 as Amap shows it (the pair quoted everywhere).
WGS_TIANANMEN = (116.391248, 39.907280)
GCJ_TIANANMEN = (116.39749, 39.90868)
# The worked example of the widely used coordTransform library (GCJ-02 → BD-09, WGS84 → GCJ-02).
GCJ_EXAMPLE = (116.404, 39.915)
BD_OF_GCJ_EXAMPLE = (116.41036949371029, 39.92133699351021)
GCJ_OF_WGS_EXAMPLE = (116.41024449916938, 39.91640428150164)
LANZHOU = (103.834, 36.061)


def test_wgs84_tiananmen_becomes_the_published_gcj02_point():
    lon, lat = wgs84_to_gcj02(*WGS_TIANANMEN)
    assert lon == pytest.approx(GCJ_TIANANMEN[0], abs=1e-5)
    assert lat == pytest.approx(GCJ_TIANANMEN[1], abs=1e-5)


def test_the_published_gcj02_tiananmen_goes_back_to_wgs84():
    lon, lat = gcj02_to_wgs84(*GCJ_TIANANMEN)
    assert lon == pytest.approx(WGS_TIANANMEN[0], abs=1e-5)
    assert lat == pytest.approx(WGS_TIANANMEN[1], abs=1e-5)


def test_the_coordtransform_worked_examples_match_to_the_last_digits():
    assert np.allclose(gcj02_to_bd09(*GCJ_EXAMPLE), BD_OF_GCJ_EXAMPLE, rtol=0, atol=1e-9)
    assert np.allclose(wgs84_to_gcj02(*GCJ_EXAMPLE), GCJ_OF_WGS_EXAMPLE, rtol=0, atol=1e-9)


def test_the_offset_in_lanzhou_is_hundreds_of_metres_not_nothing():
    # The size of the shift is why a mini-program's point must be converted before locating.
    lon, lat = wgs84_to_gcj02(*LANZHOU)
    assert 200 < float(haversine_m(lon, lat, *LANZHOU)) < 1000


@pytest.mark.parametrize("crs", list(Crs))
def test_a_round_trip_through_each_system_lands_within_1e7_degrees(crs):
    rng = np.random.default_rng(3)
    lon = rng.uniform(73.6, 134.7, 5000)
    lat = rng.uniform(18.2, 53.5, 5000)
    back_lon, back_lat = to_wgs84(*from_wgs84(lon, lat, crs), crs)
    assert np.abs(back_lon - lon).max() < 1e-7
    assert np.abs(back_lat - lat).max() < 1e-7


def test_gcj02_and_bd09_round_trip_within_1e7_degrees():
    rng = np.random.default_rng(4)
    lon = rng.uniform(73.6, 134.7, 5000)
    lat = rng.uniform(18.2, 53.5, 5000)
    back_lon, back_lat = bd09_to_gcj02(*gcj02_to_bd09(lon, lat))
    assert np.abs(back_lon - lon).max() < 1e-7
    assert np.abs(back_lat - lat).max() < 1e-7
    back_lon, back_lat = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
    assert np.abs(back_lon - lon).max() < 1e-7
    assert np.abs(back_lat - lat).max() < 1e-7


@pytest.mark.parametrize("point", [(0.0, 0.0), (-74.0060, 40.7128), (2.3522, 48.8566), (151.2093, -33.8688)])
def test_points_outside_china_pass_through_gcj02_untouched(point):
    assert bool(out_of_china(*point))
    assert wgs84_to_gcj02(*point) == point
    lon, lat = gcj02_to_wgs84(*point)
    assert (float(lon), float(lat)) == point


def test_points_inside_china_are_shifted():
    assert not bool(out_of_china(*LANZHOU))
    assert wgs84_to_gcj02(*LANZHOU) != LANZHOU


def test_arrays_give_the_same_answer_as_one_point_at_a_time():
    rng = np.random.default_rng(5)
    lon = rng.uniform(70, 140, 200)
    lat = rng.uniform(0, 56, 200)
    for convert in (wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02):
        many_lon, many_lat = convert(lon, lat)
        assert many_lon.shape == lon.shape and many_lat.shape == lat.shape
        one = np.array([convert(float(x), float(y)) for x, y in zip(lon, lat, strict=True)], dtype=np.float64)
        assert np.array_equal(one[:, 0], many_lon) and np.array_equal(one[:, 1], many_lat)


def test_lists_and_two_dimensional_arrays_are_accepted():
    lon, lat = to_wgs84([[103.8, 103.9], [104.0, 104.1]], [[36.0, 36.1], [36.2, 36.3]], Crs.GCJ02)
    assert lon.shape == (2, 2) and lat.shape == (2, 2)
    assert np.isfinite(lon).all() and np.isfinite(lat).all()


def test_an_unknown_crs_is_refused():
    with pytest.raises(ValueError):
        to_wgs84(103.8, 36.0, "epsg3857")
