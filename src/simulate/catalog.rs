//! The API catalogue: which CloudTrail events exist, their flags and error habits.
//!
//! readOnly flags follow what CloudTrail really records (sts AssumeRole, kms Decrypt and
//! GenerateDataKey are read-only; ssm UpdateInstanceInformation is a write), because
//! rate detectors that model write APIs only are sensitive to them. Event names are
//! unique across the catalogue, so a name alone identifies an entry.

/// How CloudTrail classifies an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// Management API call (`AwsApiCall`).
    Call,
    /// Data event (`AwsApiCall`, eventCategory `Data`).
    Data,
    /// Event emitted by AWS itself (`AwsServiceEvent`).
    Service,
    /// Console sign-in (`AwsConsoleSignIn`).
    SignIn,
}

/// Error codes the simulator emits; the discriminant order matches `CODES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Code {
    AccessDenied,
    AccessDeniedException,
    UnauthorizedOperation,
    NoSuchEntity,
    ResourceNotFound,
    Throttling,
    RequestLimitExceeded,
    NoSuchBucketPolicy,
    NoEncryptionConfig,
    ParameterNotFound,
    InsufficientCapacity,
    InvalidInstanceId,
    NoSuchKey,
}

const CODES: [Code; 13] = [
    Code::AccessDenied,
    Code::AccessDeniedException,
    Code::UnauthorizedOperation,
    Code::NoSuchEntity,
    Code::ResourceNotFound,
    Code::Throttling,
    Code::RequestLimitExceeded,
    Code::NoSuchBucketPolicy,
    Code::NoEncryptionConfig,
    Code::ParameterNotFound,
    Code::InsufficientCapacity,
    Code::InvalidInstanceId,
    Code::NoSuchKey,
];

impl Code {
    /// Compact non-zero id stored in events; 0 means "no error".
    pub(super) fn id(self) -> u8 {
        self as u8 + 1
    }

    pub(super) fn from_id(id: u8) -> Option<Self> {
        CODES.get(usize::from(id).checked_sub(1)?).copied()
    }

    pub(super) fn as_str(self) -> &'static str {
        match self {
            Code::AccessDenied => "AccessDenied",
            Code::AccessDeniedException => "AccessDeniedException",
            Code::UnauthorizedOperation => "Client.UnauthorizedOperation",
            Code::NoSuchEntity => "NoSuchEntityException",
            Code::ResourceNotFound => "ResourceNotFoundException",
            Code::Throttling => "ThrottlingException",
            Code::RequestLimitExceeded => "Client.RequestLimitExceeded",
            Code::NoSuchBucketPolicy => "NoSuchBucketPolicy",
            Code::NoEncryptionConfig => "ServerSideEncryptionConfigurationNotFoundError",
            Code::ParameterNotFound => "ParameterNotFound",
            Code::InsufficientCapacity => "Server.InsufficientInstanceCapacity",
            Code::InvalidInstanceId => "Client.InvalidInstanceID.NotFound",
            Code::NoSuchKey => "NoSuchKey",
        }
    }

    /// Fixed message, or `None` for authorisation failures whose message names the caller.
    pub(super) fn static_message(self) -> Option<&'static str> {
        Some(match self {
            Code::AccessDenied | Code::AccessDeniedException | Code::UnauthorizedOperation => {
                return None
            }
            Code::NoSuchEntity => "The role with name legacy-etl-role cannot be found.",
            Code::ResourceNotFound => "The requested resource was not found.",
            Code::Throttling => "Rate exceeded",
            Code::RequestLimitExceeded => "Request limit exceeded.",
            Code::NoSuchBucketPolicy => "The bucket policy does not exist",
            Code::NoEncryptionConfig => "The server side encryption configuration was not found",
            Code::ParameterNotFound => "Parameter /prod/app/legacy-endpoint not found.",
            Code::InsufficientCapacity => {
                "We currently do not have sufficient capacity in the Availability Zone you requested."
            }
            Code::InvalidInstanceId => "The instance ID does not exist",
            Code::NoSuchKey => "The specified key does not exist.",
        })
    }
}

/// The code a service returns when IAM denies a call.
pub(super) fn denial_code(source: &str) -> Code {
    match source {
        "ec2.amazonaws.com" => Code::UnauthorizedOperation,
        "s3.amazonaws.com"
        | "iam.amazonaws.com"
        | "sts.amazonaws.com"
        | "monitoring.amazonaws.com"
        | "rds.amazonaws.com"
        | "autoscaling.amazonaws.com"
        | "cloudfront.amazonaws.com" => Code::AccessDenied,
        _ => Code::AccessDeniedException,
    }
}

/// One CloudTrail event type.
#[derive(Debug)]
pub(super) struct Api {
    pub source: &'static str,
    pub name: &'static str,
    pub read_only: bool,
    pub kind: Kind,
    /// Habitual errors with their probability per call.
    pub errors: &'static [(Code, f64)],
}

impl Api {
    /// IAM, STS (global endpoint), CloudFront and sign-in are recorded in us-east-1 only.
    pub(super) fn global(&self) -> bool {
        matches!(
            self.source,
            "iam.amazonaws.com"
                | "sts.amazonaws.com"
                | "cloudfront.amazonaws.com"
                | "signin.amazonaws.com"
        )
    }

    pub(super) fn management(&self) -> bool {
        self.kind != Kind::Data
    }

    pub(super) fn category(&self) -> &'static str {
        if self.kind == Kind::Data {
            "Data"
        } else {
            "Management"
        }
    }

    pub(super) fn event_type(&self) -> &'static str {
        match self.kind {
            Kind::Call | Kind::Data => "AwsApiCall",
            Kind::Service => "AwsServiceEvent",
            Kind::SignIn => "AwsConsoleSignIn",
        }
    }

    /// Services moved to 1.09 at different times, so both versions coexist in real trails.
    pub(super) fn event_version(&self) -> &'static str {
        match self.source {
            "ec2.amazonaws.com"
            | "iam.amazonaws.com"
            | "sts.amazonaws.com"
            | "kms.amazonaws.com"
            | "ssm.amazonaws.com"
            | "cloudtrail.amazonaws.com"
            | "logs.amazonaws.com" => "1.09",
            _ => "1.08",
        }
    }

    /// IAM action prefix used in AccessDenied messages.
    pub(super) fn iam_prefix(&self) -> &'static str {
        match self.source {
            "monitoring.amazonaws.com" => "cloudwatch",
            "autoscaling.amazonaws.com" => "autoscaling",
            other => other.split('.').next().unwrap_or(other),
        }
    }

    /// IAM action name: Lambda event names carry an API-version suffix the action lacks.
    pub(super) fn iam_action(&self) -> &'static str {
        self.name
            .trim_end_matches(|c: char| c.is_ascii_digit() || c == 'v')
    }
}

const EC2: &str = "ec2.amazonaws.com";
const S3: &str = "s3.amazonaws.com";
const IAM: &str = "iam.amazonaws.com";
const STS: &str = "sts.amazonaws.com";
const KMS: &str = "kms.amazonaws.com";
const SSM: &str = "ssm.amazonaws.com";
const LAMBDA: &str = "lambda.amazonaws.com";
const TRAIL: &str = "cloudtrail.amazonaws.com";
const WATCH: &str = "monitoring.amazonaws.com";
const LOGS: &str = "logs.amazonaws.com";
const SECRETS: &str = "secretsmanager.amazonaws.com";
const RDS: &str = "rds.amazonaws.com";
const DDB: &str = "dynamodb.amazonaws.com";
const ASG: &str = "autoscaling.amazonaws.com";
const ECS: &str = "ecs.amazonaws.com";
const CF: &str = "cloudfront.amazonaws.com";
const SIGNIN: &str = "signin.amazonaws.com";

const fn entry(source: &'static str, name: &'static str, read_only: bool, kind: Kind) -> Api {
    Api {
        source,
        name,
        read_only,
        kind,
        errors: &[],
    }
}

const fn r(source: &'static str, name: &'static str) -> Api {
    entry(source, name, true, Kind::Call)
}

const fn w(source: &'static str, name: &'static str) -> Api {
    entry(source, name, false, Kind::Call)
}

const fn err(api: Api, errors: &'static [(Code, f64)]) -> Api {
    Api { errors, ..api }
}

/// Every event the simulator can emit.
pub(super) static CATALOG: &[Api] = &[
    err(
        r(EC2, "DescribeInstances"),
        &[(Code::RequestLimitExceeded, 0.008)],
    ),
    // Monitoring integrations commonly lack this permission in some accounts.
    err(
        r(EC2, "DescribeInstanceStatus"),
        &[(Code::UnauthorizedOperation, 0.15)],
    ),
    r(EC2, "DescribeSecurityGroups"),
    r(EC2, "DescribeVolumes"),
    r(EC2, "DescribeSnapshots"),
    r(EC2, "DescribeVpcs"),
    r(EC2, "DescribeSubnets"),
    r(EC2, "DescribeImages"),
    r(EC2, "DescribeNetworkInterfaces"),
    r(EC2, "DescribeTags"),
    err(
        w(EC2, "RunInstances"),
        &[
            (Code::UnauthorizedOperation, 0.03),
            (Code::InsufficientCapacity, 0.01),
        ],
    ),
    err(
        w(EC2, "TerminateInstances"),
        &[(Code::InvalidInstanceId, 0.02)],
    ),
    w(EC2, "StartInstances"),
    w(EC2, "StopInstances"),
    w(EC2, "CreateTags"),
    w(EC2, "CreateSnapshot"),
    err(
        w(EC2, "AuthorizeSecurityGroupIngress"),
        &[(Code::UnauthorizedOperation, 0.02)],
    ),
    w(EC2, "ModifyInstanceAttribute"),
    w(EC2, "CreateNetworkInterface"),
    w(EC2, "DeleteNetworkInterface"),
    r(S3, "ListBuckets"),
    err(r(S3, "GetBucketPolicy"), &[(Code::NoSuchBucketPolicy, 0.2)]),
    r(S3, "GetBucketAcl"),
    r(S3, "GetBucketLocation"),
    r(S3, "GetBucketVersioning"),
    err(
        r(S3, "GetBucketEncryption"),
        &[(Code::NoEncryptionConfig, 0.08)],
    ),
    w(S3, "PutBucketPolicy"),
    w(S3, "PutBucketAcl"),
    w(S3, "CreateBucket"),
    err(
        entry(S3, "GetObject", true, Kind::Data),
        &[(Code::NoSuchKey, 0.01), (Code::AccessDenied, 0.004)],
    ),
    entry(S3, "PutObject", false, Kind::Data),
    err(
        entry(S3, "HeadObject", true, Kind::Data),
        &[(Code::NoSuchKey, 0.05)],
    ),
    r(IAM, "GetUser"),
    r(IAM, "ListUsers"),
    r(IAM, "ListRoles"),
    err(r(IAM, "GetRole"), &[(Code::NoSuchEntity, 0.1)]),
    err(
        r(IAM, "ListAttachedRolePolicies"),
        &[(Code::NoSuchEntity, 0.03)],
    ),
    r(IAM, "GetAccountAuthorizationDetails"),
    r(IAM, "ListAccessKeys"),
    r(IAM, "GetPolicyVersion"),
    w(IAM, "CreateUser"),
    w(IAM, "CreateAccessKey"),
    w(IAM, "AttachUserPolicy"),
    w(IAM, "PutUserPolicy"),
    w(IAM, "CreateLoginProfile"),
    w(IAM, "CreateRole"),
    w(IAM, "AttachRolePolicy"),
    w(IAM, "UpdateAssumeRolePolicy"),
    w(IAM, "DeleteAccessKey"),
    r(STS, "GetCallerIdentity"),
    err(r(STS, "AssumeRole"), &[(Code::AccessDenied, 0.012)]),
    r(KMS, "Decrypt"),
    r(KMS, "GenerateDataKey"),
    r(KMS, "DescribeKey"),
    w(KMS, "CreateKey"),
    w(KMS, "ScheduleKeyDeletion"),
    entry(KMS, "RotateKey", false, Kind::Service),
    err(
        r(SSM, "GetParameter"),
        &[(Code::ParameterNotFound, 0.04), (Code::Throttling, 0.004)],
    ),
    r(SSM, "GetParameters"),
    r(SSM, "DescribeInstanceInformation"),
    r(SSM, "ListInstanceAssociations"),
    err(w(SSM, "PutParameter"), &[(Code::Throttling, 0.01)]),
    w(SSM, "SendCommand"),
    w(SSM, "UpdateInstanceInformation"),
    r(LAMBDA, "ListFunctions20150331"),
    err(
        r(LAMBDA, "GetFunction20150331v2"),
        &[(Code::ResourceNotFound, 0.05)],
    ),
    w(LAMBDA, "UpdateFunctionCode20150331v2"),
    w(LAMBDA, "CreateFunction20150331"),
    entry(LAMBDA, "Invoke", false, Kind::Data),
    err(r(TRAIL, "LookupEvents"), &[(Code::Throttling, 0.05)]),
    r(TRAIL, "DescribeTrails"),
    r(TRAIL, "GetTrailStatus"),
    w(TRAIL, "StopLogging"),
    w(TRAIL, "DeleteTrail"),
    r(WATCH, "DescribeAlarms"),
    err(r(WATCH, "GetMetricData"), &[(Code::Throttling, 0.015)]),
    w(WATCH, "PutMetricAlarm"),
    r(LOGS, "DescribeLogGroups"),
    err(r(LOGS, "FilterLogEvents"), &[(Code::Throttling, 0.03)]),
    w(LOGS, "CreateLogStream"),
    err(
        r(SECRETS, "GetSecretValue"),
        &[(Code::ResourceNotFound, 0.03)],
    ),
    r(SECRETS, "ListSecrets"),
    r(RDS, "DescribeDBInstances"),
    r(RDS, "DescribeDBClusters"),
    err(r(DDB, "DescribeTable"), &[(Code::ResourceNotFound, 0.03)]),
    r(DDB, "ListTables"),
    r(ASG, "DescribeAutoScalingGroups"),
    w(ASG, "CompleteLifecycleAction"),
    w(ASG, "SetDesiredCapacity"),
    r(ECS, "DescribeServices"),
    r(ECS, "DescribeTasks"),
    w(ECS, "RunTask"),
    w(ECS, "UpdateService"),
    w(ECS, "RegisterTaskDefinition"),
    r(CF, "ListDistributions"),
    w(CF, "CreateInvalidation"),
    entry(SIGNIN, "ConsoleLogin", false, Kind::SignIn),
    // Appended, not grouped with S3: resource pools are drawn in catalogue order, so an
    // entry added at the end leaves every earlier history byte-identical.
    entry(S3, "DeleteObject", false, Kind::Data),
];

/// Catalogue index of an event name.
pub(super) fn id(name: &str) -> Option<u16> {
    CATALOG
        .iter()
        .position(|a| a.name == name)
        .map(|i| i as u16)
}

/// Catalogue indices of several names, skipping none: a missing name is a programming
/// error that the catalogue tests catch.
pub(super) fn ids(names: &[&str]) -> Vec<u16> {
    names.iter().filter_map(|n| id(n)).collect()
}

pub(super) fn api(id: u16) -> &'static Api {
    &CATALOG[usize::from(id)]
}
