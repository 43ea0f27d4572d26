"""object_storage_bucket against a real S3 API implementation (moto in server mode on 127.0.0.1)."""

import boto3
import pytest
from botocore.config import Config

CREDS = {"access_key": "testing-key", "secret_key": "testing-secret"}


def s3(url):
    return boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id=CREDS["access_key"],
                        aws_secret_access_key=CREDS["secret_key"], config=Config(s3={"addressing_style": "path"}))


def play(url, tasks):
    defaults = dict(CREDS, endpoint_url=url, region="us-east-1", addressing_style="path")
    return [{"name": "buckets", "hosts": "localhost", "gather_facts": False,
             "module_defaults": {"baobab.webstack.object_storage_bucket": defaults}, "tasks": tasks}]


def bucket(name, register, **args):
    return {"name": name, "baobab.webstack.object_storage_bucket": dict({"name": "uploads-test"}, **args),
            "register": register}


@pytest.fixture
def moto_url(moto):
    client = s3(moto)
    yield moto
    for b in client.list_buckets().get("Buckets", []):
        for v in client.list_object_versions(Bucket=b["Name"]).get("Versions", []):
            client.delete_object(Bucket=b["Name"], Key=v["Key"], VersionId=v["VersionId"])
        client.delete_bucket(Bucket=b["Name"])


def test_bucket_lifecycle(run_play, moto_url):
    client = s3(moto_url)
    result = run_play(play(moto_url, [
        bucket("create", "c1", versioning=True, expiration_days=30),
        bucket("again", "c2", versioning=True, expiration_days=30),
        dict(bucket("check", "c3", versioning=False, expiration_days=7, acl="public-read"), check_mode=True, diff=True),
        dict(bucket("update", "c4", versioning=False, expiration_days=7), diff=True),
        bucket("update again", "c5", versioning=False, expiration_days=7),
    ]))
    assert result.rc == 0, result.explain()
    assert result.task("create")["changed"] is True
    assert result.task("create")["bucket"] == {"name": "uploads-test", "versioning": True,
                                               "versioning_status": "Enabled",
                                               "expiration_days": 30, "acl": "private"}
    assert result.task("again")["changed"] is False
    check = result.task("check")
    assert check["changed"] is True
    assert check["diff"]["after"]["acl"] == "public-read" and check["diff"]["after"]["expiration_days"] == 7
    # the check run wrote nothing: the real update still starts from the created state
    update = result.task("update")
    assert update["changed"] is True
    assert update["diff"]["before"]["expiration_days"] == 30 and update["diff"]["before"]["acl"] == "private"
    assert update["diff"]["before"]["versioning"] is True
    assert result.task("update again")["changed"] is False

    # what the S3 server itself says
    assert client.get_bucket_versioning(Bucket="uploads-test")["Status"] == "Suspended"
    rules = client.get_bucket_lifecycle_configuration(Bucket="uploads-test")["Rules"]
    assert [r["Expiration"]["Days"] for r in rules] == [7]
    grants = client.get_bucket_acl(Bucket="uploads-test")["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]

    client.put_object(Bucket="uploads-test", Key="a.txt", Body=b"hello")
    result = run_play(play(moto_url, [
        dict(bucket("refuse", "d0", state="absent"), ignore_errors=True),
        bucket("force", "d1", state="absent", force=True),
        bucket("gone", "d2", state="absent"),
    ]))
    assert result.rc == 0, result.explain()
    assert result.task("refuse")["failed"] is True
    assert "bucket uploads-test is not empty" in result.task("refuse")["msg"]
    assert result.task("force")["changed"] is True
    assert result.task("gone")["changed"] is False
    assert "uploads-test" not in [b["Name"] for b in client.list_buckets()["Buckets"]]
