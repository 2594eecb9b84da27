"""Importing this module registers every table on ``SQLModel.metadata``."""

from models.access import Actor
from models.care import FamilyDoctorContract, FollowUp, Hospital, HospitalDisease, Referral, TreatmentEpisode
from models.clinical import Case, CaseTransition, Condition, Screening
from models.findings import Finding, NightlyChunk, NightlyRun, RegionSnapshot
from models.meta import AppMeta
from models.outbox import EventOutbox
from models.people import ExternalStatus, Household, Patient
from models.referral_history import ReferralEvent
from models.settlement.tables import PayerLedger, Settlement, SettlementLine

__all__ = [
    "Actor",
    "AppMeta",
    "Case",
    "CaseTransition",
    "Condition",
    "EventOutbox",
    "ExternalStatus",
    "FamilyDoctorContract",
    "Finding",
    "FollowUp",
    "Hospital",
    "HospitalDisease",
    "Household",
    "NightlyChunk",
    "NightlyRun",
    "Patient",
    "PayerLedger",
    "Referral",
    "ReferralEvent",
    "RegionSnapshot",
    "Screening",
    "Settlement",
    "SettlementLine",
    "TreatmentEpisode",
]
