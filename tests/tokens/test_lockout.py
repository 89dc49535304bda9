"""Password guessing: failures are counted per username and per address, then locked out."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client

from tests.support.ws import PASSWORD

pytestmark = pytest.mark.usefixtures("directory")


def agent_login(username, password, address="192.0.2.1"):
    return Client().post(
        "/api/v1/agent-login",
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def test_the_right_password_is_refused_after_too_many_wrong_ones(settings):
    settings.AXES_FAILURE_LIMIT = 5
    # The fifth failure is the last one the login answers: it locks the account out.
    codes = [agent_login("alice", f"guess-{n}").status_code for n in range(5)]
    assert codes == [401, 401, 401, 401, 429]
    locked = agent_login("alice", PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "rate_limited"
    assert "Try again in 15 minutes" in locked.json()["error"]["message"]
    assert locked["Retry-After"] == "900"


def test_an_address_guessing_many_usernames_is_locked_out_but_not_others(settings):
    settings.AXES_FAILURE_LIMIT = 3
    codes = [agent_login(name, "wrong", address="198.51.100.7").status_code for name in "abc"]
    assert codes == [401, 401, 429]
    assert agent_login("bob", PASSWORD, address="198.51.100.7").status_code == 429
    assert agent_login("bob", PASSWORD, address="203.0.113.9").status_code == 201


def test_a_username_guessed_from_many_addresses_is_locked_out(settings):
    settings.AXES_FAILURE_LIMIT = 3
    codes = [agent_login("alice", "x", address=f"198.51.100.{n}").status_code for n in range(3)]
    assert codes == [401, 401, 429]
    assert agent_login("alice", PASSWORD, address="203.0.113.9").status_code == 429
    assert agent_login("bob", PASSWORD, address="203.0.113.9").status_code == 201


def test_a_success_starts_the_count_again(settings):
    settings.AXES_FAILURE_LIMIT = 3
    codes = [agent_login("alice", p).status_code for p in ("x", "y", PASSWORD, "x", "y")]
    assert codes == [401, 401, 201, 401, 401]
    assert agent_login("alice", PASSWORD).status_code == 201


def test_the_admin_sign_in_form_locks_out_too_and_says_so(settings):
    settings.AXES_FAILURE_LIMIT = 2
    User.objects.create_superuser("root", "", "root-pw")
    client = Client(REMOTE_ADDR="192.0.2.50")
    form = {"username": "root", "password": "wrong", "next": "/admin/"}
    assert client.post("/admin/login/", form).status_code == 200  # the form again
    assert client.post("/admin/login/", form).status_code == 429
    locked = client.post("/admin/login/", {**form, "password": "root-pw"})
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()


def test_the_dashboard_sign_in_form_locks_out(settings):
    settings.AXES_FAILURE_LIMIT = 2
    client = Client(REMOTE_ADDR="192.0.2.60")
    wrong = {"username": "alice", "password": "no"}
    assert [client.post("/accounts/login/", wrong).status_code for _ in range(2)] == [200, 429]
    locked = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert locked.status_code == 429
    assert 'data-testid="locked-out"' in locked.content.decode()


def test_an_admin_sees_the_lockout_and_lifts_it(settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        agent_login("alice", "wrong")
    assert agent_login("alice", PASSWORD).status_code == 429
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", "", "root-pw"))
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "alice" in listing.content.decode()
    attempts = list(AccessAttempt.objects.values_list("pk", flat=True))
    lifted = admin.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": attempts, "post": "yes"},
    )
    assert lifted.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert agent_login("alice", PASSWORD).status_code == 201
