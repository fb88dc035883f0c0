"""Versioned objects: versions, aliases, artifacts, audit events."""

from __future__ import annotations

import pytest

from pharmakon.errors import InputError, NotFoundError, StoreError
from pharmakon.store import (
    Store,
    get_object,
    list_events,
    list_objects,
    object_versions,
    read_artifact,
    save_object,
    set_alias,
)
from pharmakon.store.objects import artifact_path


def test_saving_twice_makes_two_versions(store: Store) -> None:
    with store.session() as s:
        v1 = save_object(s, kind="trial_design", name="gs-3", content={"kmax": 3, "alpha": 0.025}, actor="sam")
        v2 = save_object(s, kind="trial_design", name="gs-3", content={"kmax": 3, "alpha": 0.02}, actor="sam")
    assert (v1.version, v2.version) == (1, 2) and v1.content_hash != v2.content_hash
    with store.read_session() as s:
        assert get_object(s, "trial_design", "gs-3").content == {"kmax": 3, "alpha": 0.02}
        assert get_object(s, "trial_design", "gs-3", 1).content["alpha"] == 0.025
        assert [v.version for v in object_versions(s, "trial_design", "gs-3")] == [1, 2]
        assert [(o.name, o.version) for o in list_objects(s, "trial_design")] == [("gs-3", 2)]
        events = list_events(s, action="object.save", newest_first=False)[0]
    assert [e.object_id for e in events] == ["gs-3@1", "gs-3@2"]
    assert events[0].outputs["content"] == v1.content_hash


def test_aliases_move_and_are_audited(store: Store) -> None:
    with store.session() as s:
        for alpha in (0.025, 0.02):
            save_object(s, kind="model", name="logd", content={"alpha": alpha}, actor="sam")
        set_alias(s, kind="model", name="logd", alias="production", version=1, actor="ann")
        set_alias(s, kind="model", name="logd", alias="production", version=2, actor="ann", reason="better")
    with store.read_session() as s:
        assert get_object(s, "model", "logd", "production").version == 2
        [event] = list_events(s, action="object.alias", limit=1)[0]
    assert event.params == {"alias": "production", "previous_version": 1}
    with pytest.raises(NotFoundError, match="no alias 'staging'"):
        with store.read_session() as s:
            get_object(s, "model", "logd", "staging")


def test_artifacts_are_content_addressed_and_verified(store: Store) -> None:
    with store.session() as s:
        saved = save_object(s, kind="model", name="m", content={}, artifacts={"model.bin": b"\x00weights"}, actor="sam")
    digest = saved.artifacts["model.bin"]
    assert read_artifact(digest) == b"\x00weights"
    artifact_path(digest).write_bytes(b"tampered")
    with pytest.raises(StoreError, match="corrupt"):
        read_artifact(digest)


def test_bad_input_writes_nothing(store: Store) -> None:
    with pytest.raises(InputError, match="kind"):
        with store.session() as s:
            save_object(s, kind="Bad Kind", name="x", content={}, actor="sam")
    with pytest.raises(InputError, match="not JSON-serialisable"):
        with store.session() as s:
            save_object(s, kind="model", name="x", content={"r2": float("nan")}, actor="sam")
    with pytest.raises(NotFoundError, match="no model 'x'"):
        with store.read_session() as s:
            get_object(s, "model", "x")
    with store.read_session() as s:
        assert list_events(s)[1] == 0
