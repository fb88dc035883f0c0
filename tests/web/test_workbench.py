"""The workbench in a real browser: log in, read the audit trail, be refused what a role may not see."""

from __future__ import annotations

import pytest

from pharmakon.store import Store, list_events

pytestmark = pytest.mark.browser


def log_in(page, username: str, password: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_login_then_home_lists_capabilities(page, make_user) -> None:
    _, password, _ = make_user("alice", "admin")
    page.goto("/")
    assert "/login" in page.url  # not logged in: sent to the login page
    log_in(page, "alice", password)
    page.wait_for_url("**/")
    assert page.get_by_test_id("who").inner_text() == "alice · admin"
    assert page.get_by_role("link", name="Audit trail").first.is_visible()
    assert page.locator("article.capability").count() >= 3


def test_audit_page_shows_events_and_chain_status(page, make_user, store: Store) -> None:
    _, password, _ = make_user("vic", "viewer")
    log_in(page, "vic", password)
    page.wait_for_url("**/")
    page.goto("/audit")
    assert "Chain intact" in page.get_by_test_id("chain-status").inner_text()
    rows = page.get_by_test_id("audit-table").locator("tbody tr")
    assert rows.count() >= 3  # user.create, token.issue, auth.login
    page.fill("input[name=action]", "user.*")
    page.click("form.filters button")
    page.wait_for_url("**/audit?*action=user.*")
    assert page.get_by_test_id("audit-table").locator("tbody tr").count() == 1
    assert "user.create" in page.get_by_test_id("audit-table").inner_text()


def test_viewer_is_refused_the_users_page_and_it_is_audited(page, make_user, store: Store) -> None:
    _, password, _ = make_user("vic", "viewer")
    log_in(page, "vic", password)
    page.wait_for_url("**/")
    assert page.get_by_role("link", name="Users").count() == 0
    response = page.goto("/users")
    assert response.status == 403
    assert "needs 'admin'" in page.get_by_role("alert").inner_text()
    with store.read_session() as session:
        [event] = list_events(session, action="access.denied")[0]
    assert event.actor == "vic" and event.object_id == "GET /users"


def test_wrong_password_is_refused_and_audited(page, make_user, store: Store) -> None:
    make_user("alice", "admin")
    log_in(page, "alice", "not-the-password")
    assert "wrong user name or password" in page.get_by_role("alert").inner_text()
    with store.read_session() as session:
        assert list_events(session, action="auth.login_failed")[1] == 1


def test_admin_adds_and_disables_a_user(page, make_user, store: Store) -> None:
    _, password, _ = make_user("alice", "admin")
    log_in(page, "alice", password)
    page.wait_for_url("**/")
    page.goto("/users")
    page.fill("form[action='/users'] input[name=username]", "carol")
    page.fill("form[action='/users'] input[name=password]", "carol-password")
    page.select_option("form[action='/users'] select[name=role]", "scientist")
    page.click("form[action='/users'] button")
    assert "added carol" in page.get_by_role("status").inner_text()
    page.click("form[action='/users/carol/disable'] button")
    assert "disabled carol" in page.get_by_role("status").inner_text()
    with store.read_session() as session:
        actions = [e.action for e in list_events(session, actor="alice", newest_first=False)[0]]
    assert actions == ["auth.login", "user.create", "user.disable"]


def test_long_chain_shows_the_last_recorded_verification(page, make_user, store: Store, monkeypatch) -> None:
    from pharmakon.web import routes

    monkeypatch.setattr(routes, "LIVE_VERIFY_MAX_EVENTS", 2)
    _, password, _ = make_user("alice", "admin")
    log_in(page, "alice", password)
    page.wait_for_url("**/")
    page.goto("/audit")
    assert "Never verified" in page.get_by_test_id("chain-status").inner_text()
    page.get_by_test_id("verify-now").click()
    page.wait_for_url("**/audit")
    status = page.get_by_test_id("chain-status").inner_text()
    assert "by alice: intact" in status and "(3 events)" in status
