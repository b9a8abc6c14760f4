"""LA request profiles are data: validated against the schema with the file and field
named, read from folders on every use, a setting's own replacing a built-in one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from projections.la_fills import FILLERS
from projections.la_profile import (
    BUILTIN_DIR,
    EXPECTATION_KINDS,
    FILLS,
    ProfileError,
    UnknownProfile,
    find_profile,
    json_schema,
    load_profile,
    scan_profiles,
)
from projections.la_readiness import EVALUATORS, LAW
from projections.la_request import NEEDED
from tests.support.la import MINIMAL


def write(folder: Path, profile_id: str, text: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{profile_id}.toml"
    path.write_text(text if text is not None else MINIMAL.format(id=profile_id))
    return path


def test_the_built_in_profiles_are_valid_and_named_by_their_files() -> None:
    scanned = scan_profiles([BUILTIN_DIR])

    assert scanned.errors == []
    assert set(scanned.profiles) == {
        "generic",
        "generic-cop",
        "example-shire-apdr",
        "example-borough-notional",
        "example-city-nospend",
    }
    for loaded in scanned.profiles.values():
        assert loaded.path.stem == loaded.profile.id
        assert len(loaded.sha256) == 64


def test_every_fill_code_and_expectation_kind_has_its_implementation() -> None:
    assert set(FILLERS) == set(FILLS) == set(NEEDED)
    assert set(EVALUATORS) == set(EXPECTATION_KINDS) == set(LAW)


BROKEN = [
    # (what is changed, the field named, words of the rule)
    (
        ('fill = "child.name"', 'fill = "child.shoe_size"'),
        "sections[0].fields[0].fill",
        "fill must be one of",
    ),
    (
        ('kind = "parent_view"', 'kind = "horoscope"'),
        "expectations[0]",
        "does not match any of the expected tags",
    ),
    (
        ('title = "Parents\' views"', 'title = "Parents\' views"\nmax_age_months = 0'),
        "expectations[0].max_age_months",
        "greater than or equal to 1",
    ),
    (
        ('title = "Parents\' views"', 'title = "Parents\' views"\nshoe = 1'),
        "expectations[0].shoe",
        "Extra inputs are not permitted",
    ),
    (
        ('schema = "sendtrail/la-profile/v1"', 'schema = "sendtrail/la-profile/v9"'),
        "schema",
        "Input should be",
    ),
    (("updated = 2026-11-01", 'updated = "soon"'), "updated", "valid date"),
    (('name = "Example"\n', ""), "name", "Field required"),
    (
        ('fields = [{ label = "Name", fill = "child.name" }]', "fields = []"),
        "sections[0].fields",
        "at least 1 item",
    ),
    (('id = "views"', 'id = "Views Here"'), "expectations[0].id", "should match pattern"),
]


@pytest.mark.parametrize(("change", "field", "rule"), BROKEN, ids=[b[1] for b in BROKEN])
def test_a_broken_profile_is_refused_naming_the_file_and_the_field(
    tmp_path: Path, change: tuple[str, str], field: str, rule: str
) -> None:
    text = MINIMAL.format(id="broken")
    assert change[0] in text
    path = write(tmp_path, "broken", text.replace(change[0], change[1], 1))

    with pytest.raises(ProfileError) as refused:
        load_profile(path)

    assert refused.value.path == path
    assert refused.value.field == field
    assert rule in refused.value.rule
    assert str(path) in str(refused.value)
    assert field in str(refused.value)


def test_repeated_ids_a_wrong_file_name_and_bad_toml_are_refused(tmp_path: Path) -> None:
    repeated = MINIMAL.format(id="twice") + (
        '\n[[sections]]\nid = "one"\ntitle = "Again"\n'
        'fields = [{ label = "Name", fill = "child.name" }]\n'
    )
    cases = {
        "twice": (repeated, "(profile)", "sections ids must be unique (repeated: one)"),
        "named": (MINIMAL.format(id="other-name"), "id", "must be the file's name"),
        "syntax": ('schema = "unterminated', "(syntax)", "not valid TOML"),
    }
    for name, (text, field, rule) in cases.items():
        with pytest.raises(ProfileError) as refused:
            load_profile(write(tmp_path, name, text))
        assert refused.value.field == field, name
        assert rule in refused.value.rule, name


def test_a_new_profile_dropped_into_the_folder_is_picked_up_without_code(tmp_path: Path) -> None:
    """Given the folders in use, when a setting drops a new file in its own folder, then
    the very next read finds it (nothing cached, nothing to register)."""
    own = tmp_path / "la-profiles"
    folders = [BUILTIN_DIR, own]
    with pytest.raises(UnknownProfile):
        find_profile(folders, "our-council")

    write(own, "our-council")

    found = find_profile(folders, "our-council")
    assert found.profile.local_authority == "Example Council (fictional)"
    assert "our-council" in scan_profiles(folders).profiles


def test_the_settings_own_copy_replaces_a_built_in_profile_and_a_broken_one_is_not_skipped(
    tmp_path: Path,
) -> None:
    own = tmp_path / "la-profiles"
    own.mkdir()
    copy = own / "generic-cop.toml"
    shutil.copy(BUILTIN_DIR / "generic-cop.toml", copy)
    copy.write_text(copy.read_text().replace("Any local authority in England", "Our council"))
    folders = [BUILTIN_DIR, own]

    assert find_profile(folders, "generic-cop").profile.local_authority == "Our council"

    copy.write_text(copy.read_text().replace('kind = "attendance"', 'kind = "nonsense"'))
    scanned = scan_profiles(folders)
    assert "generic-cop" not in scanned.profiles  # never the built-in copy silently instead
    assert [e.path for e in scanned.errors] == [copy]
    with pytest.raises(ProfileError):
        find_profile(folders, "generic-cop")
    assert "example-shire-apdr" in scanned.profiles  # one bad file hides no other


def test_the_schema_is_published_as_json_schema() -> None:
    schema = json_schema()

    assert schema["$id"] == "sendtrail/la-profile/v1"
    assert {"schema", "id", "sections"} <= set(schema["required"])
    text = json.dumps(schema)
    assert "provision.notional_budget" in text  # the fill codes are listed
    assert "notional_budget" in text
    assert "professional_advice" in text


def test_the_authoring_guide_lists_every_kind_and_fill_and_its_example_is_valid(
    tmp_path: Path,
) -> None:
    guide = (BUILTIN_DIR / "README.md").read_text()
    example = guide.split("```toml\n", 1)[1].split("```", 1)[0]

    for code in FILLS:
        assert f"| `{code}` |" in guide, code
    for kind in EXPECTATION_KINDS:
        assert f"`{kind}`" in guide, kind
    loaded = load_profile(write(tmp_path, "our-council", example))
    assert loaded.profile.page_budget == 20
