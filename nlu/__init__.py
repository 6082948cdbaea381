"""Understand what people write: intent, language, country, and emergencies.

The embedded model is the default backend; a Rasa server is an alternative
that reads the same training data. See ``nlu/README.md``.
"""

from nlu.api import build_nlu
from nlu.countries import extract_countries
from nlu.types import NLU, Entity, Parse

__all__ = ["NLU", "Entity", "Parse", "build_nlu", "extract_countries"]
