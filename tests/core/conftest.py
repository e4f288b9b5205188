from tests.cases import conftest as cases_conftest
from tests.cases.conftest import _media, _pii_keys, monday  # noqa: F401 - shared fixtures

if hasattr(cases_conftest, "_city"):
    _city = cases_conftest._city
