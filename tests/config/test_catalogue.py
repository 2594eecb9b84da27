from __future__ import annotations

from pathlib import Path

import pytest

from config.catalogue import ConfigFileError, load_catalogue, load_hospitals, load_regions
from config.settings import DATA_DIR


def test_shipped_data_loads_and_is_consistent() -> None:
    catalogue, hospitals, regions = load_catalogue(), load_hospitals(), load_regions()
    assert len(catalogue.diseases) >= 14
    assert regions.is_known("520527") and regions.is_known("530427") and not regions.is_known("999999")
    for region in regions.regions:  # every shipped county can place every disease somewhere in its province
        for d in catalogue.diseases:
            assert any(d.code in h.diseases and h.region[:2] == region.code[:2] for h in hospitals), (
                region.code,
                d.code,
            )


def test_bad_catalogue_field_names_file_entry_and_field(tmp_path: Path) -> None:
    for name in ("regions.yaml", "hospitals.yaml"):
        (tmp_path / name).write_text((DATA_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    text = (
        (DATA_DIR / "diseases.yaml")
        .read_text(encoding="utf-8")
        .replace("category: maintenance", "category: chronic", 1)
    )
    (tmp_path / "diseases.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigFileError) as err:
        load_catalogue(tmp_path)
    assert "diseases.yaml: diseases." in str(err.value) and ".category:" in str(err.value)


def test_hospital_with_unknown_disease_is_rejected(tmp_path: Path) -> None:
    for name in ("regions.yaml", "diseases.yaml"):
        (tmp_path / name).write_text((DATA_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    text = (DATA_DIR / "hospitals.yaml").read_text(encoding="utf-8").replace("- cataract", "- scurvy", 1)
    (tmp_path / "hospitals.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(
        ConfigFileError, match=r"hospitals.yaml: hospitals\.\d+\.diseases: unknown disease code\(s\) \['scurvy'\]"
    ):
        load_hospitals(tmp_path)
