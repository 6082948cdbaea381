"""Check a job offer: risk heuristics that explain themselves (content in content/offers/)."""

from bot.offers.checker import check_offer, fingerprint, looks_like_offer
from bot.offers.data import OfferData, default_data, load_data
from bot.offers.fingerprint import ReportedOffer
from bot.offers.registry import Agency, AgencyImportError, Registry, import_agencies
from bot.offers.types import Evidence, Finding, OfferReport, Pay, Phone

__all__ = [
    "Agency",
    "AgencyImportError",
    "Evidence",
    "Finding",
    "OfferData",
    "OfferReport",
    "Pay",
    "Phone",
    "Registry",
    "ReportedOffer",
    "check_offer",
    "default_data",
    "fingerprint",
    "import_agencies",
    "load_data",
    "looks_like_offer",
]
