"""Settings for the intake benchmark: the product's settings plus a bench-only app with a bare
endpoint (one ORM insert), served by the same gunicorn in the same run, as the baseline."""

from gridgov.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench.bareapp"]  # noqa: F405
ROOT_URLCONF = "bench.bareapp.urls"
