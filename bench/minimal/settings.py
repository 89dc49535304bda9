"""Just enough Django for one consumer: no database, no middleware, no apps of ours."""

import os

SECRET_KEY = os.environ["BENCH_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["daphne", "channels"]
DATABASES: dict = {}
ROOT_URLCONF = "bench.minimal.asgi"
USE_TZ = True

_redis = os.environ.get("BENCH_REDIS_URL", "")
if _redis:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # The same client settings as the product's, so both pay the same Redis.
            "CONFIG": {
                "hosts": [{"address": _redis, "socket_timeout": 15, "socket_connect_timeout": 5}],
                "capacity": 1000,
                "expiry": 60,
                "prefix": os.environ.get("BENCH_CHANNEL_PREFIX", "benchmin"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
