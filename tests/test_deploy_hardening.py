"""Deployment hardening: a Content Security Policy on our own pages, HTTPS settings that
`check --deploy` accepts in a production-like environment."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.support.servers import ROOT

PRODUCTION = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "support.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://support.example.com",
    "SUPPORTCALL_HTTPS": "1",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
}


def check_deploy(**env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("SUPPORTCALL_DEV", "DEBUG")}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**base, "DJANGO_SETTINGS_MODULE": "supportcall.settings", **env},
        timeout=60,
    )


def test_check_deploy_passes_in_a_production_like_environment():
    result = check_deploy(SECRET_KEY=secrets.token_urlsafe(50), **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_fails_without_https_settings():
    result = check_deploy(SECRET_KEY=secrets.token_urlsafe(50))
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stdout + result.stderr, warning


def test_a_bad_ssl_header_setting_stops_start_up_naming_it():
    result = check_deploy(SECRET_KEY=secrets.token_urlsafe(50), SECURE_PROXY_SSL_HEADER="a b")
    assert result.returncode != 0 and "SECURE_PROXY_SSL_HEADER" in result.stderr


def policy(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.mark.django_db
def test_the_dashboard_sign_in_and_admin_pages_run_only_their_own_scripts(directory):
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", "", "root-pw"))
    agent = Client()
    agent.force_login(User.objects.get(username="alice"))
    for response in (
        Client().get("/accounts/login/"),
        Client().get("/admin/login/"),
        admin.get("/admin/calls/call/"),
        agent.get("/agent/"),
    ):
        assert response.status_code == 200
        directives = policy(response)
        assert directives["script-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        assert directives["object-src"] == "'none'"


@pytest.mark.django_db
def test_the_demo_page_stands_for_a_customers_page_and_sets_no_policy():
    response = Client().get("/")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response.headers
