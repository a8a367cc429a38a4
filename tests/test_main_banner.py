"""What `python -m src` prints once the server is up."""

from src.__main__ import _banner
from src.demo.market import DEMO_PASSWORD, demo_logins


def test_banner_lists_the_demo_sign_ins_and_their_password():
    text = _banner("http://127.0.0.1:8000", None, demo=True)
    assert "http://127.0.0.1:8000/login" in text and DEMO_PASSWORD in text
    logins = demo_logins()
    assert len(logins) == 7 and all(login.email in text for login in logins)
    assert {login.role for login in logins} == {"platform_admin", "admin", "member", "viewer"}


def test_banner_without_demo_data_names_no_accounts():
    text = _banner("http://127.0.0.1:8000", None, demo=False)
    assert DEMO_PASSWORD not in text and "@example.com" not in text
