"""The day-2 package keeps the shape issue 24 asked of it: reconcile is a package of modules of
one concern each, none over 300 lines, and no AWS client in src/tap/ops is typed `Any`."""

from __future__ import annotations

import ast
from pathlib import Path

import tap.ops

OPS = Path(tap.ops.__file__).parent
CLIENT_NAMES = ("s3", "dynamodb", "sqs", "sts", "client", "_client", "_s3", "_dynamodb")
"""Names the ops code gives a boto3 client (parameters, attributes, variables)."""


def _annotated(tree: ast.AST) -> list[tuple[str, ast.expr, int]]:
    """(name, annotation, line) of every annotated parameter, variable and attribute."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.annotation is not None:
            found.append((node.arg, node.annotation, node.lineno))
        elif isinstance(node, ast.AnnAssign):
            target = node.target
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            found.append((name, node.annotation, node.lineno))
    return found


def test_reconcile_is_a_package_of_modules_of_at_most_300_lines() -> None:
    modules = {p.name: len(p.read_text().splitlines()) for p in (OPS / "reconcile").glob("*.py")}

    assert not (OPS / "reconcile.py").exists()
    assert len(modules) >= 6
    assert {name: n for name, n in modules.items() if n > 300} == {}


def test_no_client_in_src_tap_ops_is_typed_any() -> None:
    untyped = [
        f"{path.relative_to(OPS)}:{line} {name}"
        for path in sorted(OPS.rglob("*.py"))
        for name, annotation, line in _annotated(ast.parse(path.read_text()))
        if name in CLIENT_NAMES and "Any" in ast.unparse(annotation)
    ]

    assert untyped == []


def test_an_operator_session_keeps_each_distinct_call_once_so_its_memory_is_flat() -> None:
    """A backfill of 10^6 keys makes 10^6 PutItems of one action on one table: the operator
    session's record (what the access proof judges) holds that call once, not 10^6 times."""
    import boto3
    from botocore.stub import Stubber

    from tap.calls import AwsCall, CallRecorder, CallSource
    from tap.ops.session import OpsSession
    from tap.ops.stack import resolve
    from tests.support.shipped import shipped

    resources = resolve(shipped("dev")[0])
    base = boto3.session.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="us-east-1"
    )
    recorder = CallRecorder(region=resources.region, account_id=resources.account_id, distinct=True)
    recorder.source = CallSource.OPERATOR
    session = OpsSession(base, resources.region, resources.account_id, None, recorder)
    dynamodb = session.client("dynamodb")
    item = {"id": {"S": "b/k"}}
    with Stubber(dynamodb) as stub:
        for _ in range(50):
            stub.add_response("put_item", {}, {"TableName": resources.table, "Item": item})
            dynamodb.put_item(TableName=resources.table, Item=item)
        stub.add_response("get_item", {}, {"TableName": resources.table, "Key": item})
        dynamodb.get_item(TableName=resources.table, Key=item)

    table = f"arn:aws:dynamodb:{resources.region}:{resources.account_id}:table/{resources.table}"
    assert session.calls == [
        AwsCall("dynamodb:PutItem", table, CallSource.OPERATOR),
        AwsCall("dynamodb:GetItem", table, CallSource.OPERATOR),
    ]
