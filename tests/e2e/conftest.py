"""Fixtures that start real daphne processes."""

from __future__ import annotations

import pytest

from tests.support.servers import (
    Server,
    base_env,
    drop_postgres_database,
    postgres_database,
    prepare,
    redis_url,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One daphne process on SQLite and the in-memory channel layer (the laptop defaults)."""
    tmp = tmp_path_factory.mktemp("server")
    env = base_env(tmp)
    prepare(env)
    server = Server(env, tmp).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two daphne processes sharing a fresh PostgreSQL database and Redis."""
    tmp = tmp_path_factory.mktemp("cluster")
    database = postgres_database()
    env = base_env(
        tmp,
        DATABASE_URL=database,
        REDIS_URL=redis_url(),
        SUPPORTCALL_CHANNEL_PREFIX=f"test-{database.rsplit('_', 1)[-1]}",
    )
    prepare(env)
    servers = [Server(env, tmp).start(), Server(env, tmp).start()]
    for server in servers:
        server.env = env
    yield servers
    for server in servers:
        server.stop()
    drop_postgres_database(database)
