"""Identity protection (pure): keyed lookup hash, sealed values, masking in text and log values."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from pydantic import ValidationError

from models import national_id
from models.identity import (
    ID_MASK,
    NAME_MASK,
    IdentityKeyError,
    Purpose,
    derive_keys,
    lookup_hash,
    mask_text,
    mask_value,
    nonces,
    open_name,
    open_national_id,
    protect,
    seal,
    unseal,
)
from models.intake import ScreeningRow

NID = national_id.make("520527", date(1950, 3, 1), 11)
NAME = "张三丰"
KEYS = derive_keys("first secret key for tests")
OTHER = derive_keys("second secret key for tests")


def test_lookup_hash_is_keyed_stable_and_not_a_plain_digest() -> None:
    h = lookup_hash(KEYS, NID)
    assert h == lookup_hash(derive_keys("first secret key for tests"), NID), "same key, same hash: dedup works"
    assert len(h) == 64 and int(h, 16) >= 0
    assert h != lookup_hash(OTHER, NID), "another key, another hash"
    assert h != hashlib.sha256(NID.encode()).hexdigest(), "not guessable without the key"
    assert h != lookup_hash(KEYS, national_id.make("520527", date(1950, 3, 1), 12))


def test_sealed_values_open_only_with_their_key_purpose_and_row() -> None:
    row = lookup_hash(KEYS, NID)
    token = seal(KEYS, Purpose.NATIONAL_ID, NID, row)
    assert NID not in token and token.startswith("v2.")
    assert token != seal(KEYS, Purpose.NATIONAL_ID, NID, row), "a fresh nonce each time"
    assert unseal(KEYS, Purpose.NATIONAL_ID, token, row) == NID
    assert unseal(KEYS, Purpose.NAME, seal(KEYS, Purpose.NAME, NAME, row), row) == NAME
    with pytest.raises(IdentityKeyError, match=f"key id {OTHER.key_id}") as err:
        unseal(OTHER, Purpose.NATIONAL_ID, token, row)
    assert NID not in str(err.value)
    with pytest.raises(IdentityKeyError):
        unseal(KEYS, Purpose.NAME, token, row)  # a sealed ID number pasted into the name column does not open
    with pytest.raises(IdentityKeyError, match="another row"):
        unseal(KEYS, Purpose.NATIONAL_ID, token, lookup_hash(KEYS, "another row's number"))
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(IdentityKeyError):
        unseal(KEYS, Purpose.NATIONAL_ID, tampered, row)
    with pytest.raises(IdentityKeyError, match="not a sealed value"):
        unseal(KEYS, Purpose.NATIONAL_ID, NID, row)


def test_nonces_drawn_in_bulk_are_distinct_and_seal_like_their_own() -> None:
    """A bulk import draws the nonces of a chunk in one read; each is used once and the values open."""
    drawn = list(nonces(1000))
    assert len(drawn) == 1000 and {len(n) for n in drawn} == {12} and len(set(drawn)) == 1000
    row = lookup_hash(KEYS, NID)
    tokens = [seal(KEYS, Purpose.NAME, NAME, row, n) for n in drawn[:2]]
    assert tokens[0] != tokens[1] and all(unseal(KEYS, Purpose.NAME, t, row) == NAME for t in tokens)
    with pytest.raises(ValueError, match="12 bytes"):
        seal(KEYS, Purpose.NAME, NAME, row, b"short")


def test_a_sealed_value_copied_into_another_row_does_not_open() -> None:
    """Issue 22 #7: one patient's sealed number pasted into another patient's row (that row's hash kept)."""
    mine, theirs = protect(KEYS, NID, NAME), protect(KEYS, national_id.make("520527", date(1960, 1, 1), 13), "李四")
    assert open_national_id(KEYS, 7, mine["national_id_hash"], mine["national_id_sealed"]) == NID
    assert open_name(KEYS, 7, mine["national_id_hash"], mine["name_sealed"]) == NAME
    with pytest.raises(IdentityKeyError, match=r"^patient 8: national_id: cannot be opened") as err:
        open_national_id(KEYS, 8, theirs["national_id_hash"], mine["national_id_sealed"])
    assert NID not in str(err.value) and NAME not in str(err.value)
    with pytest.raises(IdentityKeyError, match=r"^patient 8: name"):
        open_name(KEYS, 8, theirs["national_id_hash"], mine["name_sealed"])


def test_a_number_sealed_for_its_row_must_still_match_the_lookup_hash() -> None:
    """Sealed under the row's hash but for another number (a forged or mis-written row): the HMAC check."""
    row = lookup_hash(KEYS, NID)
    forged = seal(KEYS, Purpose.NATIONAL_ID, national_id.make("520527", date(1960, 1, 1), 13), row)
    with pytest.raises(IdentityKeyError, match=r"^patient 9: integrity error") as err:
        open_national_id(KEYS, 9, row, forged)
    assert NID not in str(err.value)


def test_protect_gives_the_three_patient_columns_and_no_clear_value() -> None:
    cols = protect(KEYS, NID, NAME)
    assert set(cols) == {"national_id_hash", "national_id_sealed", "name_sealed"}
    assert not any(NID in v or NAME in v for v in cols.values())
    assert len(cols["national_id_sealed"]) <= 120 and len(protect(KEYS, NID, "𠀀" * 60)["name_sealed"]) <= 400


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(IdentityKeyError, match="at least 16"):
        derive_keys("too short")


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        (f"patient {NID} registered", NID),
        (f"id:{NID.lower()}.", NID.lower()),
        (f"name={NAME} region=520527", NAME),
        (f"PatientCreate(national_id='{NID}', name='{NAME}')", NAME),
        (f'{{"patient_name": "{NAME}", "n": 1}}', NAME),
        (f"[type=string_too_long, input_value='{NAME}', input_type=str]", NAME),
        (f"身份证号{NID}姓名", NID),
    ],
)
def test_mask_text_hides_identity(text: str, leaked: str) -> None:
    masked = mask_text(text)
    assert leaked not in masked and (ID_MASK in masked or NAME_MASK in masked or "[masked]" in masked)


def test_mask_text_leaves_ordinary_text_alone() -> None:
    text = "flow_run_name='settle-case-31' case 31 region 520527 total 39467.00 run 2017-12-01"
    assert mask_text(text) == text


def test_mask_value_by_key_at_any_depth() -> None:
    value = {"patient_id": 7, "rows": [{"name": NAME, "national_id": NID}], "note": f"x {NID}", "NAME": "王五"}
    masked = mask_value(value)
    assert masked == {
        "patient_id": 7,
        "rows": [{"name": NAME_MASK, "national_id": ID_MASK}],
        "note": f"x {ID_MASK}",
        "NAME": NAME_MASK,
    }
    assert mask_value(NAME, "patient_name") == NAME_MASK and mask_value(None, "name") is None


def test_validation_errors_of_identity_models_do_not_repeat_the_input() -> None:
    with pytest.raises(ValidationError) as err:
        ScreeningRow(
            line=2,
            household_ref="H1",
            national_id=NID[:17] + ("0" if NID[17] != "0" else "1"),
            name=NAME * 30,
            region_code="520527",
            poverty_status="destitute",
            screened_on="2017-03-01",
            icd10="I10",
        )
    assert NAME not in str(err.value) and NID[:17] not in str(err.value)
    assert {e["loc"][0] for e in err.value.errors()} == {"national_id", "name"}
