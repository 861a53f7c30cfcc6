from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.applications.domain.content import DraftContent
from services.applications.domain.signing import (
    NotASigner,
    Signature,
    SignerRole,
    canonical_json,
    content_hash,
    is_fully_signed,
    missing_signers,
    required_signers,
    sign,
    signature_is_valid,
    signing_payload,
)
from tests.applications.test_domain_factories import ANNA, BERTIL, CECILIA, WHEN, couple, couple_dict, single


def test_canonical_json_is_sorted_compact_utf8():
    assert canonical_json({"b": 1, "a": {"d": [1, 2], "c": "å"}}) == '{"a":{"c":"å","d":[1,2]},"b":1}'.encode()


@given(st.dictionaries(st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=8), st.booleans()), max_size=8))
def test_canonical_json_ignores_key_order_and_round_trips(value):
    reversed_order = dict(reversed(list(value.items())))
    assert canonical_json(value) == canonical_json(reversed_order)
    assert json.loads(canonical_json(value).decode("utf-8")) == value
    assert b" " not in canonical_json({k: 1 for k in value if " " not in k})


def test_hash_is_sha256_of_the_canonical_content_and_period():
    content = couple()
    expected = hashlib.sha256(canonical_json(signing_payload(content))).hexdigest()
    assert content_hash(content) == expected
    assert len(expected) == 64
    payload = signing_payload(content)
    assert payload["period"] == content.period
    assert payload["content"]["household"]["applicant"]["personal_number"] == ANNA  # the real digits are signed


def test_hash_does_not_depend_on_input_key_order_or_formatting():
    data = couple_dict()
    shuffled = json.loads(json.dumps(dict(reversed(list(data.items())))))
    assert content_hash(DraftContent.model_validate(shuffled)) == content_hash(couple())
    dashed = couple_dict()
    dashed["household"]["applicant"]["personal_number"] = "890314-9808"
    assert content_hash(DraftContent.model_validate(dashed)) == content_hash(couple())


@pytest.mark.parametrize("change", [
    {"period": "2026-04"},
    {"housing": {"type": "rental", "rent": 8201, "household_size": 4}},
    {"message": "något nytt"},
    {"costs": []},
])
def test_any_change_changes_the_hash(change):
    assert content_hash(couple(**change)) != content_hash(couple())


def test_required_signers_are_the_adult_applicants():
    assert [(s.role, s.personal_number.value) for s in required_signers(couple()).signers] == [
        (SignerRole.APPLICANT, ANNA), (SignerRole.PARTNER, BERTIL)]
    assert [s.role for s in required_signers(single()).signers] == [SignerRole.APPLICANT]
    # other adults sharing the home are not co-applicants
    data = couple_dict()
    data["household"]["other_adults"] = [{"ref": "lodger", "relation": "friend_or_lodger"}]
    assert len(required_signers(DraftContent.model_validate(data)).signers) == 2
    assert required_signers(DraftContent(kind="first", period="2026-03")).signers == ()


def test_fully_signed_needs_every_signer_on_the_current_content():
    content = couple()
    required = required_signers(content)
    anna, bertil = sign(content, ANNA, WHEN), sign(content, "19910722-9800", WHEN)
    assert not is_fully_signed(required, [])
    assert not is_fully_signed(required, [anna])
    assert [s.role for s in missing_signers(required, [anna])] == [SignerRole.PARTNER]
    assert is_fully_signed(required, [anna, bertil])
    assert is_fully_signed(required, [bertil, anna, anna])


def test_changing_content_after_signing_voids_the_signatures():
    content = couple()
    signatures = [sign(content, ANNA, WHEN), sign(content, BERTIL, WHEN)]
    changed = couple(housing={"type": "rental", "rent": 9000, "household_size": 4})
    assert not is_fully_signed(required_signers(changed), signatures)
    assert not signature_is_valid(signatures[0], changed)
    assert signature_is_valid(signatures[0], content)


def test_no_signers_is_never_fully_signed():
    assert not is_fully_signed(required_signers(DraftContent(kind="first", period="2026-03")), [])


def test_only_applicants_can_sign():
    with pytest.raises(NotASigner) as err:
        sign(couple(), CECILIA, WHEN)
    assert err.value.code == "signature-not-a-signer" and err.value.status == 403


def test_a_forged_role_does_not_count():
    content = couple()
    required = required_signers(content)
    # Anna's signature relabelled as the partner's must not stand in for Bertil
    forged = Signature(role=SignerRole.PARTNER, personal_number=ANNA, content_hash=required.content_hash,
                       signed_at=WHEN)
    assert not is_fully_signed(required, [sign(content, ANNA, WHEN), forged])
    assert not signature_is_valid(forged, content)


def test_signature_needs_aware_time_and_masks_the_personnummer():
    content = single()
    with pytest.raises(ValueError):
        sign(content, CECILIA, WHEN.replace(tzinfo=None))
    signature = sign(content, CECILIA, WHEN)
    assert CECILIA not in repr(signature) and CECILIA in signature.model_dump_json()
    assert Signature.model_validate_json(signature.model_dump_json()) == signature


def test_submitted_content_hashes_like_the_draft_it_came_from():
    from services.applications.domain.completeness import ensure_complete

    draft = couple()
    signatures = [sign(draft, ANNA, WHEN), sign(draft, BERTIL, WHEN)]
    submitted = ensure_complete(draft, signatures)
    assert content_hash(submitted) == content_hash(draft)
    assert is_fully_signed(required_signers(submitted), signatures)
