"""The issued-token row is the authority: signed claims that disagree with it are refused."""

import pytest
from django.contrib.auth.models import User
from django.core import signing

from supportcall.directory.models import Site
from supportcall.tokens.issuing import SALT, InvalidToken, consume, issue
from supportcall.tokens.models import IssuedToken, Role
from tests.support.ws import addr

pytestmark = pytest.mark.usefixtures("directory")


def visitor_token() -> tuple[str, IssuedToken]:
    shop = Site.objects.get(key="shop")
    return issue(Role.VISITOR, addr("anonymous-1"), site=shop, targets=[addr("support")])


def re_signed(token: str, **claims) -> str:
    """The token signed again with the server's own key, as by someone who has it."""
    data = signing.loads(token, salt=SALT)
    return signing.dumps({**data, **claims}, salt=SALT, compress=True)


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param(lambda: {"role": "agent"}, id="role"),
        pytest.param(lambda: {"sub": addr("alice")}, id="identity"),
        pytest.param(lambda: {"user": User.objects.get(username="alice").pk}, id="user"),
        pytest.param(lambda: {"site": Site.objects.get(key="other").pk}, id="site"),
        pytest.param(lambda: {"targets": [addr("billing")]}, id="targets"),
    ],
)
def test_a_token_whose_claims_disagree_with_its_row_is_refused(claims):
    token, row = visitor_token()
    with pytest.raises(InvalidToken):
        consume(re_signed(token, **claims()))
    row.refresh_from_db()
    assert row.consumed is None


def test_a_genuine_token_still_opens_after_a_forged_one_was_refused():
    token, row = visitor_token()
    with pytest.raises(InvalidToken):
        consume(re_signed(token, role="agent", sub=addr("alice")))
    claims = consume(token)
    assert (claims.role, claims.identity, claims.site_id, claims.user_id, claims.targets) == (
        Role.VISITOR,
        addr("anonymous-1"),
        row.site_id,
        None,
        (addr("support"),),
    )
