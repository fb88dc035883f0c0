"""Persistence: the database, the audit trail, users and roles."""

from pharmakon.store.audit import (
    GENESIS_HASH,
    AuditRecord,
    ChainReport,
    chain_head,
    export_jsonl,
    list_events,
    read_jsonl,
    record_event,
    verify_and_record,
    verify_chain,
    verify_records,
)
from pharmakon.store.database import Store, close_stores, mask_url, open_store
from pharmakon.store.objects import (
    ObjectVersion,
    get_object,
    list_objects,
    object_versions,
    read_artifact,
    save_object,
    set_alias,
)
from pharmakon.store.users import (
    ROLES,
    SIGNATURE_MEANINGS,
    UserInfo,
    authenticate_password,
    authenticate_token,
    create_user,
    get_user,
    issue_token,
    list_users,
    require_role,
    revoke_token,
    role_allows,
    set_user_active,
    sign,
)

__all__ = [
    "GENESIS_HASH", "AuditRecord", "ChainReport", "chain_head", "export_jsonl", "list_events", "read_jsonl",
    "record_event", "verify_and_record", "verify_chain", "verify_records", "Store", "close_stores", "mask_url",
    "open_store", "ROLES", "SIGNATURE_MEANINGS", "UserInfo", "authenticate_password",
    "authenticate_token", "create_user", "get_user", "issue_token", "list_users", "require_role",
    "revoke_token", "role_allows", "set_user_active", "sign", "ObjectVersion", "get_object", "list_objects",
    "object_versions", "read_artifact", "save_object", "set_alias",
]  # fmt: skip
