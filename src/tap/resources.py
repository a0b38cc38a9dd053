"""One declaration per resource type the program registers: everything tap knows about the type.

Each declaration is bound to its token (the AWS tokens are named in `tap.facts.tokens`, the
component tokens here) and says, once, what every layer needs of it:

- `fake`/`id_input`, `tagged`: what `synth`'s fake provider answers (`tap.synth.fake_aws`
  calls its `_<fake>` function, or answers with the `id_input` input as the id);
- `applier`: how `tap local` creates it (a function of `tap.local.appliers`, named
  `<module>.<function>`, or `no_op` for what creates nothing);
- `drawing`, `box`: how `tap graph` shows it, or why it does not;
- `weight`: its typical create time and the source of that figure
  (`benchmarks.critical_path.SOURCES`).

The layers find their tables here (`synth`, `local`, the diagram and the benchmarks each build
theirs from `DECLARED`), so adding a type is one declaration plus the code it names. Names, not
functions: `synth` must not import the emulator nor `tap graph` pulumi, so this module imports
nothing of ours but the facts, and each layer resolves the names it owns.
`tests/facts/test_registries.py` resolves every name and fails naming the type and the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from tap.facts import tokens

NO_OP: Final = "no_op"
"""The applier of what creates nothing in the emulator: the stack, the provider, components."""


class Kind(StrEnum):
    """What registering a resource of the type does."""

    STACK = "stack"
    """The engine's root resource."""
    PROVIDER = "provider"
    """Configured, not created in AWS."""
    COMPONENT = "component"
    """One of tap's ComponentResources: a parent, nothing in AWS."""
    CREATED = "created"
    """A custom resource the provider creates in AWS."""


@dataclass(frozen=True)
class Box:
    """A type drawn as one box per resource, labelled with its physical name."""

    label: str
    shape: str
    """`box`, `queue`, `db` or `event`."""


@dataclass(frozen=True)
class Weight:
    """A typical create time, for the critical-path benchmark."""

    seconds: float
    source: str
    """A key of `benchmarks.critical_path.SOURCES`."""


@dataclass(frozen=True)
class ResourceType:
    """Everything tap's layers need to know about one resource type."""

    token: str
    kind: Kind
    applier: str = NO_OP
    """`<module>.<function>` in `tap.local.appliers`, or `no_op`."""
    fake: str | None = None
    """`tap.synth.fake_aws._<fake>` computes its id and outputs."""
    id_input: str | None = None
    """Instead of `fake`: its id is this input, and AWS computes nothing else."""
    tagged: bool = False
    """It carries `tags`, so `tagsAll` includes the provider's default tags."""
    drawing: str | None = None
    """How `tap graph` shows it, or why it does not (every custom resource says)."""
    box: Box | None = None
    weight: Weight | None = None

    def __post_init__(self) -> None:
        """A declaration that leaves out what its kind needs is a programming error."""
        created = self.kind is Kind.CREATED
        if created and (self.fake is None) == (self.id_input is None):
            raise ValueError(f"{self.token}: declare exactly one of fake and id_input")
        if created and (self.weight is None or self.applier == NO_OP):
            raise ValueError(f"{self.token}: a created type needs a weight and an applier")
        if self.custom and not self.drawing:
            raise ValueError(f"{self.token}: say how `tap graph` draws it, or why it does not")
        if not created and (self.fake or self.id_input or self.weight or self.tagged):
            raise ValueError(f"{self.token}: only a created type has fake outputs or a weight")

    @property
    def custom(self) -> bool:
        """A provider or a created resource (the engine's `custom`)."""
        return self.kind in (Kind.PROVIDER, Kind.CREATED)


def component(token: str) -> ResourceType:
    """A ComponentResource of tap's: `tap:<module>:<Type>`."""
    return ResourceType(token, Kind.COMPONENT)


def _setting(token: str, applier: str) -> ResourceType:
    """An S3 sub-resource: its id is the bucket's name, and it is a setting, not a box."""
    return ResourceType(
        token,
        Kind.CREATED,
        applier,
        id_input="bucket",
        drawing="not drawn: a setting of its bucket",
        weight=Weight(2, "estimate"),
    )


def _created(
    token: str,
    *,
    applier: str,
    fake: str,
    drawing: str,
    weight: Weight,
    tagged: bool = False,
    box: Box | None = None,
) -> ResourceType:
    """A type AWS creates, whose id and outputs `fake_aws._<fake>` computes at synth."""
    return ResourceType(
        token,
        Kind.CREATED,
        applier,
        fake=fake,
        tagged=tagged,
        drawing=drawing,
        box=box,
        weight=weight,
    )


_ESTIMATE: Final = Weight(2, "estimate")
_SECOND: Final = Weight(1, "estimate")

STACK: Final = ResourceType("pulumi:pulumi:Stack", Kind.STACK)
PROVIDER: Final = ResourceType(
    tokens.AWS_PROVIDER, Kind.PROVIDER, drawing="not drawn: no part of the data path"
)

PIPELINE: Final = component("tap:pipeline:TapPipeline")
ENCRYPTION_KEY: Final = component("tap:key:EncryptionKey")
DATA_BUCKET: Final = component("tap:bucket:DataBucket")
ITEMS_TABLE: Final = component("tap:table:ItemsTable")
FAILURE_QUEUES: Final = component("tap:queues:FailureQueues")
PROCESSOR_FUNCTION: Final = component("tap:processor:ProcessorFunction")
EVENT_ROUTING: Final = component("tap:routing:EventRouting")
PIPELINE_ALARMS: Final = component("tap:alarms:PipelineAlarms")
BATCH_OPERATIONS_ROLE: Final = component("tap:backfill:BatchOperationsRole")

_S3: Final = (
    _created(
        tokens.BUCKET,
        applier="storage.bucket",
        fake="bucket",
        drawing="a box per S3 bucket",
        weight=Weight(3, "estimate"),
        tagged=True,
        box=Box("S3 bucket", "box"),
    ),
    _setting(tokens.BUCKET_OWNERSHIP_CONTROLS, "storage.ownership_controls"),
    _setting(tokens.PUBLIC_ACCESS_BLOCK, "storage.public_access_block"),
    _setting(tokens.BUCKET_VERSIONING, "storage.versioning"),
    _setting(tokens.BUCKET_ENCRYPTION, "storage.encryption"),
    _setting(tokens.BUCKET_LIFECYCLE, "storage.lifecycle"),
    _setting(tokens.BUCKET_POLICY, "storage.policy"),
    ResourceType(
        tokens.BUCKET_NOTIFICATION,
        Kind.CREATED,
        "storage.notification",
        id_input="bucket",
        drawing="not drawn: the bucket's arrow to its rule stands for it",
        weight=_ESTIMATE,
    ),
)
_DYNAMODB: Final = (
    _created(
        tokens.TABLE,
        applier="data.table",
        fake="table",
        drawing="a box per DynamoDB items table",
        weight=Weight(20, "ddb-create"),
        tagged=True,
        box=Box("DynamoDB items table", "db"),
    ),
    _created(
        tokens.TABLE_REPLICA,
        applier="data.table_replica",
        fake="table_replica",
        drawing="a box per replica, labelled with its region, fed by its table",
        weight=Weight(300, "ddb-replica"),
        tagged=True,
    ),
)
_SQS: Final = (
    _created(
        tokens.QUEUE,
        applier="data.queue",
        fake="queue",
        drawing="a box per SQS DLQ",
        weight=Weight(2, "sqs-create"),
        tagged=True,
        box=Box("SQS DLQ", "queue"),
    ),
    ResourceType(
        tokens.QUEUE_POLICY,
        Kind.CREATED,
        "data.queue_policy",
        id_input="queueUrl",
        drawing="not drawn: a setting of its queue",
        weight=_ESTIMATE,
    ),
)
_IAM: Final = (
    _created(
        tokens.ROLE,
        applier="compute.role",
        fake="role",
        drawing="not drawn: the function's permissions",
        weight=Weight(10, "iam-consistency"),
        tagged=True,
    ),
    _created(
        tokens.ROLE_POLICY,
        applier="compute.role_policy",
        fake="role_policy",
        drawing="not drawn: the function's permissions",
        weight=Weight(5, "iam-consistency"),
    ),
)
_LAMBDA: Final = (
    _created(
        tokens.FUNCTION,
        applier="compute.function",
        fake="function",
        drawing="a box per Lambda processor",
        weight=Weight(20, "lambda-states"),
        tagged=True,
        box=Box("Lambda processor", "box"),
    ),
    _created(
        tokens.LAMBDA_ALIAS,
        applier="compute.alias",
        fake="lambda_alias",
        drawing="the name on the invoke arrow",
        weight=_ESTIMATE,
    ),
    _created(
        tokens.PERMISSION,
        applier="compute.permission",
        fake="permission",
        drawing="not drawn: implied by the invoke arrow",
        weight=_ESTIMATE,
    ),
    _created(
        tokens.INVOKE_CONFIG,
        applier="compute.event_invoke_config",
        fake="invoke_config",
        drawing="the function's 'retries exhausted' arrow to its DLQ",
        weight=_ESTIMATE,
    ),
    _created(
        tokens.LOG_GROUP,
        applier="compute.log_group",
        fake="log_group",
        drawing="not drawn: the function's logs",
        weight=_SECOND,
        tagged=True,
    ),
)
_SNS: Final = (
    _created(
        tokens.TOPIC,
        applier="monitoring.topic",
        fake="topic",
        drawing="a box per SNS alarm topic",
        weight=_ESTIMATE,
        tagged=True,
        box=Box("SNS alarm topic", "box"),
    ),
    _created(
        tokens.TOPIC_SUBSCRIPTION,
        applier="monitoring.subscription",
        fake="topic_subscription",
        drawing="not drawn: who the alarm topic notifies",
        weight=_ESTIMATE,
    ),
)
_EVENTS: Final = (
    _created(
        tokens.EVENT_RULE,
        applier="events.rule",
        fake="event_rule",
        drawing="a box per EventBridge rule",
        weight=_ESTIMATE,
        tagged=True,
        box=Box("EventBridge rule", "event"),
    ),
    _created(
        tokens.EVENT_TARGET,
        applier="events.target",
        fake="event_target",
        drawing="arrows from its rule to the function it invokes and to its DLQ",
        weight=_ESTIMATE,
    ),
)
_CLOUDWATCH: Final = (
    _created(
        tokens.METRIC_ALARM,
        applier="monitoring.alarm",
        fake="metric_alarm",
        drawing="one box counting the alarms that notify a topic",
        weight=_SECOND,
        tagged=True,
    ),
    _created(
        tokens.DASHBOARD,
        applier="monitoring.dashboard",
        fake="dashboard",
        drawing="not drawn: a view, no part of the data path",
        weight=_SECOND,
    ),
)
_KMS: Final = (
    _created(
        tokens.KMS_KEY,
        applier="data.kms_key",
        fake="kms_key",
        drawing="not drawn: encrypts the boxes, no part of the data path",
        weight=Weight(3, "estimate"),
        tagged=True,
    ),
    _created(
        tokens.KMS_REPLICA_KEY,
        applier="data.kms_replica_key",
        fake="kms_replica_key",
        drawing="not drawn: encrypts the replicas, no part of the data path",
        weight=Weight(10, "kms-replica"),
        tagged=True,
    ),
    _created(
        tokens.KMS_ALIAS,
        applier="data.kms_alias",
        fake="kms_alias",
        drawing="not drawn: a name for the key",
        weight=_SECOND,
    ),
)

DECLARED: Final[Mapping[str, ResourceType]] = MappingProxyType(
    {
        declared.token: declared
        for declared in (
            STACK,
            PROVIDER,
            PIPELINE,
            ENCRYPTION_KEY,
            DATA_BUCKET,
            ITEMS_TABLE,
            FAILURE_QUEUES,
            PROCESSOR_FUNCTION,
            EVENT_ROUTING,
            PIPELINE_ALARMS,
            BATCH_OPERATIONS_ROLE,
            *_S3,
            *_DYNAMODB,
            *_SQS,
            *_IAM,
            *_LAMBDA,
            *_SNS,
            *_EVENTS,
            *_CLOUDWATCH,
            *_KMS,
        )
    }
)
"""Every type the program may register, by token; the boxes are drawn in this order."""


def of_kind(kind: Kind) -> tuple[ResourceType, ...]:
    """The declarations of one kind, in declaration order."""
    return tuple(d for d in DECLARED.values() if d.kind is kind)
