"""The stage-3 system check: nothing an instance keeps for itself."""

from __future__ import annotations

from django.test import override_settings

from monoboard.ops.checks import stateless_instances

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/0",
    }
}
FILES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
S3 = {
    "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def ids(**overrides: object) -> list[str]:
    with override_settings(**overrides):
        return [m.id or "" for m in stateless_instances(None)]


def test_one_instance_keeps_what_it_likes() -> None:
    assert ids(BEHIND_PROXY=False, INSTANCES=1, CACHES=LOCMEM, STORAGES=FILES) == []


def test_several_instances_are_warned_about_each_local_state() -> None:
    with override_settings(
        BEHIND_PROXY=True, INSTANCES=1, CACHES=LOCMEM, STORAGES=FILES, SECRET_KEY_FROM_ENV=False
    ):
        messages = stateless_instances(None)
    assert [m.id for m in messages] == ["monoboard.W030", "monoboard.W031", "monoboard.W032"]
    cache, files, key = (m.msg for m in messages)
    assert cache == (
        "CACHES['default'] uses LocMemCache, which each instance keeps for itself, "
        "and this site runs several instances (BEHIND_PROXY=1)."
    )
    assert "REDIS_URL" in (messages[0].hint or "")
    assert files == (
        "The default file storage is FileSystemStorage: a file uploaded to one instance "
        "is missing on the others (BEHIND_PROXY=1)."
    )
    assert "STORAGE_S3_" in (messages[1].hint or "")
    assert key.startswith("SECRET_KEY was generated into this machine's data folder")


def test_instances_without_a_proxy_setting_count_too() -> None:
    found = ids(
        BEHIND_PROXY=False,
        INSTANCES=3,
        CACHES={"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache"}},
        STORAGES=S3,
        SECRET_KEY_FROM_ENV=True,
    )
    assert found == ["monoboard.W030"]


def test_shared_cache_files_and_key_pass() -> None:
    assert ids(BEHIND_PROXY=True, CACHES=REDIS, STORAGES=S3, SECRET_KEY_FROM_ENV=True) == []
