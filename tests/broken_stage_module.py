"""A stage module whose import fails, as vidscribe.analysis did when phonenumbers was not installed."""

import not_an_installed_module_xyz  # noqa: F401

STAGE = None
