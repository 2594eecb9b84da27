"""Importing this module registers every table on ``SQLModel.metadata``."""

from models.access import Actor
from models.alarms import AlarmEvent
from models.care import FamilyDoctorContract, FollowUp, Hospital, HospitalDisease, Referral, TreatmentEpisode
from models.clinical import Case, CaseTransition, Condition, Screening
from models.console import ConsoleAudit, ConsoleLogin, ConsoleUser
from models.contracts import ContractEvent
from models.corrections import CaseCorrection, PatientFact
from models.findings import Finding, NightlyChunk, NightlyCount, NightlyRun, RegionSnapshot
from models.meta import AppMeta
from models.outbox import EventOutbox
from models.people import ExternalStatus, Household, Patient
from models.referral_history import ReferralEvent
from models.screening_key import ScreeningKey
from models.settlement.tables import PayerLedger, Settlement, SettlementLine

__all__ = [
    "Actor",
    "AlarmEvent",
    "AppMeta",
    "Case",
    "CaseCorrection",
    "CaseTransition",
    "Condition",
    "ConsoleAudit",
    "ConsoleLogin",
    "ConsoleUser",
    "ContractEvent",
    "EventOutbox",
    "ExternalStatus",
    "FamilyDoctorContract",
    "Finding",
    "FollowUp",
    "Hospital",
    "HospitalDisease",
    "Household",
    "NightlyChunk",
    "NightlyCount",
    "NightlyRun",
    "Patient",
    "PatientFact",
    "PayerLedger",
    "Referral",
    "ReferralEvent",
    "RegionSnapshot",
    "Screening",
    "ScreeningKey",
    "Settlement",
    "SettlementLine",
    "TreatmentEpisode",
]
